"""manifests/preview-rbac.yaml: the preview identity may read and dry-run-write every kind any stack manages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness import ROOT, STACKS, Recorder, install_mocks, stack_config, synth
from webstack.settings import load_settings
from webstack.stack import build_stack

MANIFEST = ROOT / "manifests" / "preview-rbac.yaml"
READ = {"get", "list", "watch"}
DRY_RUN_WRITE = {"create", "patch", "update"}
# Not Kubernetes objects the preview reads or applies: the provider, the random password, and Helm releases
# (rendered on the runner; their record is a Secret, covered by the core rule).
NOT_OBJECTS = ("pulumi:providers:", "random:", "kubernetes:helm.sh/")


def _documents(path: Path = MANIFEST) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _one(kind: str) -> dict[str, Any]:
    found = [d for d in _documents() if d["kind"] == kind]
    assert len(found) == 1, f"want one {kind} in {MANIFEST.name}, found {len(found)}"
    return found[0]


def plural(kind: str) -> str:
    """The resource name of a kind, as Kubernetes derives it by default."""
    lower = kind.lower()
    if lower.endswith("y"):
        return lower[:-1] + "ies"
    if lower.endswith("s"):
        return lower + "es"
    return lower + "s"


def _resource(pulumi_type: str) -> tuple[str, str]:
    """kubernetes:apps/v1:Deployment -> ("apps", "deployments"); core/v1 is the "" group."""
    _, group_version, kind = pulumi_type.split(":")
    group = group_version.rsplit("/", 1)[0]
    return ("" if group == "core" else group, plural(kind))


def _granted(verbs: set[str]) -> set[tuple[str, str]]:
    out = set()
    for rule in _one("ClusterRole")["rules"]:
        if verbs <= set(rule["verbs"]):
            out |= {(g, r) for g in rule["apiGroups"] for r in rule["resources"]}
    return out


@pytest.mark.parametrize(
    ("kind", "resource"),
    [("Deployment", "deployments"), ("NetworkPolicy", "networkpolicies"), ("Ingress", "ingresses"),
     ("ClusterIssuer", "clusterissuers")],
)  # fmt: skip
def test_plural_follows_the_kubernetes_default(kind: str, resource: str) -> None:
    assert plural(kind) == resource


@pytest.mark.parametrize("stack", STACKS)
def test_every_kind_the_stack_manages_can_be_read_and_dry_run_written(stack: str) -> None:
    recorder: Recorder = install_mocks(stack)
    settings = load_settings(stack_config(stack), stack)
    synth(lambda: build_stack(settings))
    managed = {_resource(r.typ) for r in recorder.resources if r.custom and not r.typ.startswith(NOT_OBJECTS)}
    assert ("apps", "deployments") in managed
    assert managed - _granted(READ) == set(), "the preview identity cannot read these"
    assert managed - _granted(DRY_RUN_WRITE) == set(), "the preview identity cannot dry-run these"


def test_helm_release_records_are_readable() -> None:
    assert ("", "secrets") in _granted(READ)


def test_the_role_grants_no_delete_and_no_wildcard() -> None:
    for rule in _one("ClusterRole")["rules"]:
        assert "delete" not in rule["verbs"]
        assert "deletecollection" not in rule["verbs"]
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"], rule


def test_the_binding_names_the_service_account_and_the_group_the_policy_matches() -> None:
    subjects = _one("ClusterRoleBinding")["subjects"]
    assert {"kind": "ServiceAccount", "name": "preview", "namespace": "webstack-ci"} in subjects
    assert any(s["kind"] == "Group" and s["name"] == "webstack:preview" for s in subjects)
    match = _one("ValidatingAdmissionPolicy")["spec"]["matchConditions"][0]["expression"]
    assert "'system:serviceaccount:webstack-ci:preview'" in match
    assert "'webstack:preview'" in match


def test_the_admission_policy_refuses_every_write_that_is_not_a_dry_run() -> None:
    policy = _one("ValidatingAdmissionPolicy")["spec"]
    assert [v["expression"] for v in policy["validations"]] == ["request.dryRun == true"]
    rules = policy["matchConstraints"]["resourceRules"]
    assert rules == [{"apiGroups": ["*"], "apiVersions": ["*"], "operations": ["CREATE", "UPDATE", "DELETE", "CONNECT"],
                      "resources": ["*"]}]  # fmt: skip
    binding = _one("ValidatingAdmissionPolicyBinding")["spec"]
    assert binding == {
        "policyName": _one("ValidatingAdmissionPolicy")["metadata"]["name"],
        "validationActions": ["Deny"],
    }
