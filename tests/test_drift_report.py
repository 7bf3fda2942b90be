"""scripts/lib/drift_report.py: the refresh preview's JSON turned into drift.sh's exit code and report."""

from __future__ import annotations

import importlib.util
import json
from types import ModuleType
from typing import Any

from tests.harness import ROOT

SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "hunter2"}
URN = "urn:pulumi:dev::webstack::webstack:app:WebApp$kubernetes:apps/v1:Deployment::web-deployment"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("drift_report", ROOT / "scripts" / "lib" / "drift_report.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DRIFT = _module()


def _step(op: str, old: dict[str, Any] | None, new: dict[str, Any] | None, urn: str = URN) -> dict[str, Any]:
    step: dict[str, Any] = {"op": op, "urn": urn}
    if old is not None:
        step["oldState"] = {"urn": urn, "outputs": old}
    if new is not None:
        step["newState"] = {"urn": urn, "outputs": new}
    return step


def _report(*steps: dict[str, Any], code: int = 0) -> tuple[int, list[str]]:
    result: tuple[int, list[str]] = DRIFT.report(json.dumps({"steps": list(steps)}), "", code)
    return result


def _deployment(replicas: int, **labels: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "labels": {"app": "web", **labels}, "resourceVersion": "1"},
        "spec": {"replicas": replicas},
        "status": {"readyReplicas": replicas},
    }


def test_resources_that_read_back_unchanged_are_no_drift() -> None:
    code, lines = _report(
        _step("same", _deployment(1), _deployment(1)), _step("refresh", _deployment(1), _deployment(1))
    )
    assert code == 0
    assert lines == ["drift: none: every resource reads back as the last deployment left it"]


def test_status_and_bookkeeping_fields_alone_are_no_drift() -> None:
    new = _deployment(1)
    new["metadata"]["resourceVersion"] = "99"
    new["status"] = {"readyReplicas": 0, "conditions": [{"type": "Progressing"}]}
    assert _report(_step("update", _deployment(1), new))[0] == 0


def test_a_changed_field_is_drift_naming_resource_and_field_with_both_values() -> None:
    old, new = _deployment(1), _deployment(3)
    old["__inputs"], new["__inputs"] = {"spec": {"replicas": 1}}, {"spec": {"replicas": 3}}
    code, lines = _report(_step("update", old, new))
    assert code == 1
    assert not any("__inputs" in line for line in lines), "the provider's copy of the inputs repeats the change"
    assert "DRIFT update Deployment web-deployment (kubernetes:apps/v1:Deployment)" in lines
    assert "    spec.replicas: 1 -> 3" in lines


def test_an_added_label_is_drift_shown_as_absent_before() -> None:
    code, lines = _report(_step("update", _deployment(1), _deployment(1, **{"edited-by": "hand"})))
    assert code == 1
    assert '    metadata.labels.edited-by: (absent) -> "hand"' in lines


def test_a_resource_gone_from_the_cluster_is_drift() -> None:
    code, lines = _report(_step("delete", _deployment(1), None))
    assert code == 1
    assert "    (gone from the cluster)" in lines


def test_secret_values_are_never_printed() -> None:
    old = {"data": {"password": SECRET}}
    new = {"data": {"password": {**SECRET, "value": "changed"}}}
    code, lines = _report(_step("update", old, new))
    assert code == 1
    text = "\n".join(lines)
    assert "hunter2" not in text
    assert "changed" not in text
    assert "data.password: [secret] -> [secret]" in text


def test_the_stack_and_providers_are_not_reported() -> None:
    stack = _step("update", {"a": 1}, {"a": 2}, urn="urn:pulumi:dev::webstack::pulumi:pulumi:Stack::webstack-dev")
    provider = _step("update", {"a": 1}, {"a": 2}, urn="urn:pulumi:dev::webstack::pulumi:providers:kubernetes::k8s")
    assert _report(stack, provider)[0] == 0


def test_a_failed_refresh_is_an_error_with_its_reason_once_not_drift() -> None:
    failed = {"severity": "error", "message": "failed to read resource state due to unreachable cluster"}
    reason = {"severity": "warning", "message": "configured Kubernetes cluster is unreachable: bad kubeconfig"}
    other = {"severity": "warning", "message": "local cluster: cert-manager is off"}
    digest = {"diagnostics": [failed, reason, failed, other]}
    code, lines = DRIFT.report(json.dumps(digest), "", 255)
    assert code == 2
    assert lines[1:] == [f"  {reason['message']}", f"  {failed['message']}"]


def test_output_that_is_not_json_is_an_error_even_with_exit_zero() -> None:
    code, lines = DRIFT.report("not json", "boom", 0)
    assert code == 2
    assert "  boom" in lines
