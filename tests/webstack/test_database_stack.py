"""The database inside the whole stack: no volume replacement, no plaintext password, app wiring.

The no-replace matrix synthesises the prod stack twice (a baseline and one change) and compares
every PersistentVolumeClaim: its URN and resource options, and the inputs that make Kubernetes
(and pulumi-kubernetes) replace a claim: ``metadata.name``/``namespace`` and ``spec.accessModes``,
``selector``, ``storageClassName``, ``volumeName`` (plus ``volumeMode``/``dataSource``, immutable
too). The storage request may only grow. A real-engine version of this test comes later.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.validation import parse_quantity
from tests.harness import PROJECT, Recorded, Recorder, RecordingMonitor, stack_config, synth
from webstack.settings import Settings, load_settings
from webstack.stack import build_stack, database_claims

PVC = "kubernetes:core/v1:PersistentVolumeClaim"
SECRET = "kubernetes:core/v1:Secret"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CRONJOB = "kubernetes:batch/v1:CronJob"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
DATABASE = "webstack:data:PostgresDatabase"
# DistinctPasswords gives every RandomPassword its own result, so the database's can be told apart.
DB_PASSWORD = "mock-password-of-postgres-password"
REPLACING_SPEC_FIELDS = ("accessModes", "selector", "storageClassName", "volumeName", "volumeMode", "dataSource")


class DistinctPasswords(Recorder):
    """Mocks whose RandomPasswords each get a result of their own, so that they can be told apart."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = f"mock-password-of-{args.name}"
        return resource_id, state


def _install() -> Recorder:
    recorder = DistinctPasswords()
    pulumi.runtime.set_mocks(recorder, project=PROJECT, stack="test", preview=False, monitor=RecordingMonitor(recorder))
    pulumi.runtime.set_all_config({})
    return recorder


def _settings(stack: str = "prod", as_stack: str | None = None, **overrides: Any) -> Settings:
    return load_settings({**stack_config(stack), **overrides}, as_stack or stack)


def _synth(settings: Settings) -> tuple[Recorder, dict[str, Any]]:
    recorder = _install()
    outputs = synth(lambda: build_stack(settings))
    return recorder, dict(outputs)


def _claims(recorder: Recorder) -> dict[str, Recorded]:
    return {r.urn: r for r in recorder.of_type(PVC)}


def _replace_fingerprint(claim: Recorded) -> dict[str, Any]:
    """Everything whose change would make the engine replace (or lose track of) the claim."""
    return {
        "type": claim.typ,
        "name": claim.name,
        "parent": claim.parent,
        "provider": claim.provider,
        "protect": claim.protect,
        "retain_on_delete": claim.retain_on_delete,
        "delete_before_replace": claim.delete_before_replace,
        "aliases": claim.aliases,
        "replace_on_changes": claim.replace_on_changes,
        "ignore_changes": claim.ignore_changes,
        "metadata.name": claim.metadata.get("name"),
        "metadata.namespace": claim.metadata.get("namespace"),
        **{f"spec.{field}": claim.spec.get(field) for field in REPLACING_SPEC_FIELDS},
    }


def _storage(claim: Recorded) -> str:
    return str(claim.spec["resources"]["requests"]["storage"])


# -- the no-replace matrix -----------------------------------------------------------------------

MATRIX: dict[str, tuple[dict[str, Any], str | None]] = {
    "image tag": ({"dbImage": "postgres:17.7-alpine"}, None),
    "db resources": (
        {"dbCpuRequest": "1", "dbCpuLimit": "4", "dbMemoryRequest": "2Gi", "dbMemoryLimit": "4Gi"},
        None,
    ),
    "app replicas": ({"appReplicas": 6}, None),
    "storage size increase": ({"dbStorageSize": "80Gi", "dbBackupStorageSize": "150Gi"}, None),
    "database name": ({"dbName": "shop"}, None),
    "labels (instance)": ({}, "prod-eu"),
    "metrics off": ({"dbMetricsEnabled": False}, None),
}


@pytest.mark.parametrize("change", list(MATRIX))
def test_no_volume_is_replaced_or_deleted_by_the_change(change: str) -> None:
    overrides, as_stack = MATRIX[change]
    before, _ = _synth(_settings())
    after, _ = _synth(_settings(as_stack=as_stack, **overrides))
    old, new = _claims(before), _claims(after)
    assert len(old) == 2, "prod has a data and a backup volume"
    assert set(new) == set(old), "a claim would be created or deleted"
    for urn, claim in old.items():
        assert _replace_fingerprint(new[urn]) == _replace_fingerprint(claim), f"{change}: {claim.name}"
        assert parse_quantity(_storage(new[urn]), "new") >= parse_quantity(_storage(claim), "old")
        assert new[urn].retain_on_delete is True
        assert new[urn].protect is True


def test_the_matrix_changes_something_each_time() -> None:
    # Guards the matrix itself: each case must really change the rendered stack.
    def rendered(recorder: Recorder) -> str:
        return json.dumps([(r.urn, r.inputs) for r in recorder.resources], sort_keys=True, default=str)

    baseline = rendered(_synth(_settings())[0])
    for change, (overrides, as_stack) in MATRIX.items():
        assert rendered(_synth(_settings(as_stack=as_stack, **overrides))[0]) != baseline, change


def test_building_the_stack_reads_no_deployed_state() -> None:
    # The checkpoint is read once, before the build (webstack.program.load): no self-StackReference,
    # no invoke while resources are registered.
    recorder, outputs = _synth(_settings())
    assert [r.name for r in recorder.resources if r.typ == "pulumi:pulumi:StackReference"] == []
    assert recorder.calls == []
    assert not [name for name in outputs if "storage_size" in name]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, {"postgres-data": ("dbStorageSize", "50Gi"), "postgres-backups": ("dbBackupStorageSize", "100Gi")}),
        ({"dbBackupEnabled": False}, {"postgres-data": ("dbStorageSize", "50Gi")}),
        ({"dbEnabled": False}, {}),
    ],
)
def test_the_claims_checked_against_the_checkpoint_are_the_claims_the_stack_registers(
    overrides: dict[str, Any], expected: dict[str, tuple[str, str]]
) -> None:
    settings = _settings(**overrides)
    wanted = {c.name: (c.key, c.size) for c in database_claims(settings)}
    assert wanted == expected
    recorder, _ = _synth(settings)
    registered = {c.metadata["name"]: _storage(c) for c in recorder.of_type(PVC)}
    assert registered == {name: size for name, (_, size) in wanted.items()}
    assert {c.metadata["namespace"] for c in recorder.of_type(PVC)} <= {settings.namespace.name}


def test_storage_size_increase_is_an_in_place_request_change() -> None:
    recorder, _ = _synth(_settings(dbStorageSize="80Gi"))
    assert _storage(recorder.named("postgres-data")) == "80Gi"


# -- the password is never plaintext -------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_password_appears_in_no_input_outside_the_credentials_secret(stack: str) -> None:
    recorder, _ = _synth(_settings(stack))
    holders = [r.name for r in recorder.resources if DB_PASSWORD in json.dumps(r.inputs, default=str)]
    assert holders == ["postgres-credentials"]
    admin_passwords = [f"mock-password-of-postgres-{role}-password" for role in ("superuser", "backup", "metrics")]
    for password in admin_passwords:
        holders = [r.name for r in recorder.resources if password in json.dumps(r.inputs, default=str)]
        assert holders == ["postgres-admin-credentials"], password
    secret = recorder.named("postgres-credentials")
    assert secret.typ == SECRET
    assert secret.secret_paths, "the password travels as a Pulumi secret"
    assert {"data", "stringData"} <= set(secret.additional_secret_outputs)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_stack_output_shows_the_password_unless_secret(stack: str) -> None:
    settings = _settings(stack)

    _install()

    def build() -> pulumi.Output[dict[str, Any]]:
        outputs = {name: pulumi.Output.from_input(value) for name, value in build_stack(settings).items()}
        return pulumi.Output.all(
            **{
                name: pulumi.Output.all(value, pulumi.Output.from_input(value.is_secret()))
                for name, value in outputs.items()
            }
        )

    resolved = synth(build)
    assert resolved["connection_string"][1] is True, "connection_string is a secret output"
    assert DB_PASSWORD in resolved["connection_string"][0]
    for name, (value, is_secret) in resolved.items():
        if DB_PASSWORD in json.dumps(value, default=str):
            assert is_secret, f"output {name} shows the password"


# -- the web app is wired to the database --------------------------------------------------------


def test_web_app_gets_database_settings_from_its_config_map() -> None:
    recorder, outputs = _synth(_settings())
    (config,) = [c for c in recorder.of_type(CONFIG_MAP) if "DATABASE_HOST" in (c.inputs.get("data") or {})]
    data = config.inputs["data"]
    assert data["DATABASE_HOST"] == outputs["database_host"] == "postgres.webstack-prod.svc"
    assert data["DATABASE_PORT"] == "5432"
    assert data["DATABASE_NAME"] == "app"
    assert data["DATABASE_USER"] == "app"
    assert "DATABASE_PASSWORD" not in data


def test_web_app_reads_the_password_through_secret_key_ref() -> None:
    recorder, _ = _synth(_settings())
    web = recorder.named("web-deployment")
    (container,) = [c for c in web.spec["template"]["spec"]["containers"] if c["name"] == "web"]
    env = {e["name"]: e for e in container.get("env", [])}
    assert env["DATABASE_PASSWORD"] == {
        "name": "DATABASE_PASSWORD",
        "valueFrom": {"secretKeyRef": {"name": "postgres-credentials", "key": "password"}},
    }


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_web_app_logs_in_as_its_own_role_and_never_sees_the_admin_secret(stack: str) -> None:
    recorder, _ = _synth(_settings(stack))
    superuser = _env_of(recorder.named("postgres-deployment"), "postgres")["POSTGRES_USER"]
    (config,) = [c for c in recorder.of_type(CONFIG_MAP) if "DATABASE_USER" in (c.inputs.get("data") or {})]
    assert config.inputs["data"]["DATABASE_USER"] == "app" != superuser
    web = json.dumps(recorder.named("web-deployment").spec, default=str)
    assert "postgres-admin-credentials" not in web
    assert "postgres-credentials" in web


def _env_of(deployment: Recorded, container: str) -> dict[str, Any]:
    (found,) = [c for c in deployment.spec["template"]["spec"]["containers"] if c["name"] == container]
    return {e["name"]: e.get("value") for e in found.get("env", [])}


def test_only_the_web_pods_and_the_backup_job_reach_the_database() -> None:
    recorder, _ = _synth(_settings())
    web_selector = recorder.named("web-deployment").spec["selector"]["matchLabels"]
    policy = recorder.named("postgres-allow-clients").spec
    peers = policy["ingress"][0]["from"]
    assert peers[0] == {"podSelector": {"matchLabels": web_selector}}
    assert peers[1]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "database-backup"
    assert len(peers) == 2
    assert policy["ingress"][0]["ports"] == [{"port": 5432, "protocol": "TCP"}]


def test_prod_database_is_protected_backed_up_and_monitored() -> None:
    recorder, _ = _synth(_settings())
    assert all(c.protect and c.retain_on_delete for c in recorder.of_type(PVC))
    assert len(recorder.of_type(CRONJOB)) == 1
    pod = recorder.named("postgres-deployment").spec["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["postgres", "exporter"]


def test_dev_database_is_unprotected_but_retained_and_not_backed_up() -> None:
    recorder, _ = _synth(_settings("dev"))
    (claim,) = recorder.of_type(PVC)
    assert claim.protect is False
    assert claim.retain_on_delete is True
    assert claim.spec["resources"]["requests"]["storage"] == "1Gi"
    assert recorder.of_type(CRONJOB) == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_namespace_holding_the_volumes_outlives_the_stack(stack: str) -> None:
    # Kubernetes deletes a deleted namespace's contents, the retained claims included.
    recorder, _ = _synth(_settings(stack))
    assert recorder.named("baseline-ns").retain_on_delete is True


def test_disabled_database_leaves_no_trace() -> None:
    recorder, outputs = _synth(_settings(dbEnabled=False))
    assert recorder.named("baseline-ns").retain_on_delete is False
    assert recorder.of_type(DATABASE) == []
    assert recorder.of_type(PVC) == []
    assert not any(name.startswith("database") or name == "connection_string" for name in outputs)
    for config in recorder.of_type(CONFIG_MAP):
        assert "DATABASE_HOST" not in (config.inputs.get("data") or {})


# -- monitoring ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_database_metrics_are_scraped_and_alerted_on_by_the_platform_s_prometheus(stack: str) -> None:
    recorder, _ = _synth(_settings(stack))
    monitor = recorder.named("postgres-servicemonitor")
    rule = recorder.named("postgres-alerts")
    prometheus = [r for r in recorder.resources if r.typ == "kubernetes:helm.sh/v3:Release" and "prometheus" in r.name]
    assert len(prometheus) == 1
    for resource in (monitor, rule):
        assert resource.metadata["labels"]["release"] == prometheus[0].inputs["name"]
        assert prometheus[0].urn in resource.dependencies, "waits for the CRDs"


def test_the_local_cluster_gets_the_exporter_without_custom_resources() -> None:
    settings = load_settings(stack_config("prod"), "prod", environ={"WEBSTACK_LOCAL_CLUSTER": "1"})
    recorder, _ = _synth(settings)
    assert [r.name for r in recorder.resources if "monitoring.coreos.com" in r.typ and "postgres" in r.name] == []
