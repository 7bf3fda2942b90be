"""The full composition, built from each real stack file (read here, so tests cannot drift)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.harness import STACKS, Recorded, Recorder, install_mocks, stack_config, synth
from webstack.settings import Settings, load_settings
from webstack.stack import build_stack

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
PROVIDER = "pulumi:providers:kubernetes"


def _settings(stack: str) -> Settings:
    return load_settings(stack_config(stack), stack)


def _build(stack: str) -> dict[str, Any]:
    settings = _settings(stack)
    return dict(synth(lambda: build_stack(settings)))


def _web(mocks: Recorder, stack: str) -> dict[str, Any]:
    name = _settings(stack).app.name
    return next(r for r in mocks.of_type(DEPLOYMENT) if r.name == f"{name}-deployment").spec


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_file_builds_with_outputs(mocks: Recorder, stack: str) -> None:
    # GIVEN the stack file WHEN the whole stack is built THEN the outputs name the app's Service
    outputs = _build(stack)
    settings = _settings(stack)
    assert outputs["service_name"] == settings.app.name
    assert outputs["namespace"] == settings.namespace.name


def _providers(mocks: Recorder) -> dict[str, Recorded]:
    return {p.name: p for p in mocks.of_type(PROVIDER)}


# What a destroy leaves in the cluster when the stack has a database, in every stack file: the
# Namespace (Kubernetes would delete the claims with it), the claims and the credentials to the
# data on them. Only these may be adopted when the next deployment finds them.
ADOPTED = {
    "dev": {"baseline-ns", "postgres-data", "postgres-credentials", "postgres-admin-credentials"},
    "staging": {
        "baseline-ns",
        "postgres-data",
        "postgres-backups",
        "postgres-credentials",
        "postgres-admin-credentials",
    },
    "prod": {
        "baseline-ns",
        "postgres-data",
        "postgres-backups",
        "postgres-credentials",
        "postgres-admin-credentials",
    },
}


@pytest.mark.parametrize("stack", STACKS)
def test_every_kubernetes_object_uses_a_stack_provider_and_a_component_parent(mocks: Recorder, stack: str) -> None:
    _build(stack)
    providers = _providers(mocks)
    objects = [r for r in mocks.resources if r.typ.startswith("kubernetes:")]
    assert objects
    for obj in objects:
        assert any(obj.provider.startswith(f"{p.urn}::") for p in providers.values()), obj.name
        assert "webstack:" in obj.parent, f"{obj.name} is not parented to a component"


@pytest.mark.parametrize("stack", STACKS)
def test_only_the_objects_a_destroy_keeps_use_the_adoption_provider(mocks: Recorder, stack: str) -> None:
    # GIVEN a stack file WHEN it is built THEN exactly the retained objects use the upserting
    # provider (a destroy leaves them; the next up must take them back instead of failing with
    # AlreadyExists), and every other object uses the provider that refuses to overwrite.
    _build(stack)
    adopt = _providers(mocks)["k8s-adopt"]
    adopted = {r.name for r in mocks.resources if r.provider.startswith(f"{adopt.urn}::")}
    assert adopted == ADOPTED[stack]
    retained = {r.name for r in mocks.resources if r.custom and r.retain_on_delete}
    assert retained == adopted


@pytest.mark.parametrize("stack", STACKS)
def test_the_adopted_objects_take_over_the_fields_of_their_former_manager(mocks: Recorder, stack: str) -> None:
    # After a destroy the next up applies them under a new field manager; a field whose value has
    # changed since (a regenerated password, a version label) must not fail with an SSA conflict
    # against the deleted state's manager. Nothing else forces its fields.
    _build(stack)
    forced = {
        r.name
        for r in mocks.resources
        if r.typ.startswith("kubernetes:") and (r.metadata.get("annotations") or {}).get("pulumi.com/patchForce")
    }
    assert forced == ADOPTED[stack]
    assert all(mocks.named(name).metadata["annotations"]["pulumi.com/patchForce"] == "true" for name in forced)


@pytest.mark.parametrize("stack", STACKS)
def test_upsert_is_on_for_the_adoption_provider_only(mocks: Recorder, stack: str) -> None:
    _build(stack)
    providers = _providers(mocks)
    assert set(providers) == {"k8s", "k8s-adopt"}
    # Explicitly off on the stack's provider: PULUMI_K8S_UPSERT_EXISTING_OBJECTS cannot turn it on.
    assert providers["k8s"].inputs["upsertExistingObjects"] == "false"
    assert providers["k8s-adopt"].inputs["upsertExistingObjects"] == "true"


def test_the_adoption_provider_targets_the_stack_provider_s_cluster(mocks: Recorder) -> None:
    # Same kubeconfig, cluster and context inputs: moving an object between them replaces nothing.
    _build("prod")
    providers = _providers(mocks)
    ignore = {"upsertExistingObjects", "version"}
    main = {k: v for k, v in providers["k8s"].inputs.items() if k not in ignore}
    adopt = {k: v for k, v in providers["k8s-adopt"].inputs.items() if k not in ignore}
    assert main == adopt


def test_a_stack_without_a_database_keeps_nothing_and_has_no_adoption_provider(mocks: Recorder) -> None:
    settings = load_settings({**stack_config("dev"), "dbEnabled": False}, "dev")
    synth(lambda: build_stack(settings))
    assert set(_providers(mocks)) == {"k8s"}
    assert [r.name for r in mocks.resources if r.custom and r.retain_on_delete] == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_namespaced_object_lives_in_the_stack_namespace(mocks: Recorder, stack: str) -> None:
    _build(stack)
    namespace = _settings(stack).namespace.name
    cluster_scoped = ("Namespace", "ClusterIssuer", "ClusterRole", "ClusterRoleBinding", "StorageClass")
    for obj in mocks.resources:
        if not obj.typ.startswith("kubernetes:") or obj.typ.endswith(cluster_scoped) or "helm.sh" in obj.typ:
            continue
        ns = obj.metadata.get("namespace")
        if "webstack:platform" in obj.parent:
            continue  # add-ons live in their own namespaces
        assert ns == namespace, f"{obj.typ} {obj.name} is in {ns!r}"


@pytest.mark.parametrize("stack", STACKS)
def test_object_names_fit_in_63_characters(mocks: Recorder, stack: str) -> None:
    _build(stack)
    for obj in mocks.resources:
        name = obj.metadata.get("name")
        if name:
            assert len(name) <= 63, name


def test_dev_runs_one_small_replica_without_pdb_or_hpa(mocks: Recorder) -> None:
    _build("dev")
    spec = _web(mocks, "dev")
    assert spec["replicas"] == 1
    assert [r.name for r in mocks.of_type(PDB) if r.name.startswith("web")] == []
    assert mocks.of_type(HPA) == []


def test_prod_runs_three_or_more_replicas_with_hpa_pdb_and_hard_spread(mocks: Recorder) -> None:
    _build("prod")
    settings = _settings("prod")
    assert settings.app.replicas >= 3
    hpa = mocks.one(HPA).spec
    assert hpa["minReplicas"] == settings.app.replicas
    assert hpa["maxReplicas"] >= hpa["minReplicas"]
    spec = _web(mocks, "prod")
    assert "replicas" not in spec, "the HPA owns the replica count"
    assert spec["template"]["spec"]["topologySpreadConstraints"][0]["whenUnsatisfiable"] == "DoNotSchedule"
    assert any(r.name == f"{settings.app.name}-pdb" for r in mocks.of_type(PDB))


def test_staging_is_production_shaped_at_smaller_scale(mocks: Recorder) -> None:
    _build("staging")
    settings = _settings("staging")
    assert settings.environment == "staging"
    assert _web(mocks, "staging")["replicas"] == settings.app.replicas >= 2
    assert any(r.name == f"{settings.app.name}-pdb" for r in mocks.of_type(PDB))


def _registered(config_of: str, stack: str) -> list[tuple[str, str, str]]:
    """Build ``config_of``'s stack file under the stack name ``stack``; every resource's type, name
    and inputs, with the stack name written as <stack>."""
    recorder = install_mocks(stack=stack)
    settings = load_settings(stack_config(config_of), stack)
    synth(lambda: build_stack(settings))
    return sorted(
        (r.typ, r.name, json.dumps(r.inputs, sort_keys=True, default=str).replace(stack, "<stack>"))
        for r in recorder.resources
    )


@pytest.mark.parametrize("stack", STACKS)
def test_environments_differ_only_by_config(stack: str) -> None:
    # GIVEN one stack file built under two stack names WHEN compared THEN the resources are the same
    # but for the name itself (the instance label): nothing reads the stack name but the config.
    assert _registered(stack, "alpha") == _registered(stack, "omega")


def test_environments_built_from_different_config_differ() -> None:
    # The comparison above can tell two stacks apart.
    assert _registered("dev", "same") != _registered("prod", "same")


@pytest.mark.parametrize("stack", STACKS)
def test_lets_encrypt_stacks_admit_the_ingress_namespace_to_the_http01_solver(mocks: Recorder, stack: str) -> None:
    # The namespace denies all ingress: without this policy no ACME certificate could be issued.
    _build(stack)
    settings = _settings(stack)
    solver = [r for r in mocks.of_type(NETWORK_POLICY) if r.name == f"{settings.app.name}-allow-acme-solver"]
    if settings.platform.ingress.issuer not in ("letsencrypt-staging", "letsencrypt-prod"):
        assert solver == [], f"{stack} ({settings.platform.ingress.issuer}) needs no ACME solver policy"
        return
    (policy,) = solver
    peer = policy.spec["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]
    assert peer == {"kubernetes.io/metadata.name": settings.platform.ingress.namespace}


def test_chart_values_held_encrypted_reach_the_release_only_as_secrets(mocks: Recorder) -> None:
    # GIVEN chartValues set with --secret, one of them a credential
    entry = 'traefik:extra={"auth": {"password": "s3cret-Value"}, "replicas": 2}'
    raw = {**stack_config("prod"), "chartValues": [entry]}
    settings = load_settings(raw, "prod", frozenset({"chartValues"}))
    synth(lambda: build_stack(settings))
    release = next(r for r in mocks.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["name"] == "traefik")
    # THEN each of its values travels as a secret, and the plaintext is in no other input
    assert {"values.extra.auth.password", "values.extra.replicas"} <= set(release.secret_paths)
    others = [r for r in mocks.resources if r is not release]
    assert all("s3cret-Value" not in json.dumps(r.inputs, default=str) for r in others)
