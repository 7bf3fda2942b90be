"""components/namespace.py: the namespace baseline, built on recording mocks."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.namespace import Namespace, NamespaceArgs
from tests.harness import Recorder, synth

NAMESPACE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CHILD_TYPES = [LIMIT_RANGE, NAMESPACE, QUOTA, NETWORK_POLICY, NETWORK_POLICY]


def _build(**extra: Any) -> str:
    """Build a fresh Namespace named ``team-a`` and return its resolved ``name`` output."""
    args: NamespaceArgs = {"name": "team-a", **extra}  # type: ignore[typeddict-item]
    return str(synth(lambda: Namespace("baseline", args).name))


def test_name_output_is_the_namespace_name(mocks: Recorder) -> None:
    assert _build() == "team-a"
    assert mocks.one(NAMESPACE).metadata["name"] == "team-a"


def test_component_type_token_and_exactly_its_five_children(mocks: Recorder) -> None:
    _build()
    component = mocks.one("webstack:core:Namespace")
    assert component.name == "baseline"
    assert sorted(r.typ for r in mocks.resources if r.typ.startswith("kubernetes:")) == sorted(CHILD_TYPES)


def test_every_child_is_parented_to_the_component(mocks: Recorder) -> None:
    _build()
    component = mocks.one("webstack:core:Namespace")
    children = [r for r in mocks.resources if r.typ.startswith("kubernetes:")]
    assert sorted(r.typ for r in children) == sorted(CHILD_TYPES)
    for child in children:
        assert child.parent == component.urn
        assert "webstack:core:Namespace" in child.parent


def test_pod_security_default_is_restricted_for_enforce_warn_and_audit(mocks: Recorder) -> None:
    _build()
    labels = mocks.one(NAMESPACE).metadata["labels"]
    for mode in ("enforce", "warn", "audit"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "latest"


def test_pod_security_level_can_be_lowered(mocks: Recorder) -> None:
    _build(pod_security="baseline")
    labels = mocks.one(NAMESPACE).metadata["labels"]
    assert {labels[f"pod-security.kubernetes.io/{m}"] for m in ("enforce", "warn", "audit")} == {"baseline"}


def test_namespace_carries_the_recommended_labels(mocks: Recorder) -> None:
    _build()
    labels = mocks.one(NAMESPACE).metadata["labels"]
    assert labels["app.kubernetes.io/name"] == "team-a"
    assert labels["app.kubernetes.io/part-of"] == "webstack"
    assert labels["app.kubernetes.io/managed-by"] == "pulumi"
    assert labels["kubernetes.io/metadata.name"] == "team-a"


def test_quota_default(mocks: Recorder) -> None:
    _build()
    assert mocks.one(QUOTA).spec["hard"] == {
        "requests.cpu": "4",
        "requests.memory": "8Gi",
        "limits.cpu": "8",
        "limits.memory": "16Gi",
        "requests.storage": "100Gi",
        "pods": "50",
    }


def test_quota_can_be_set(mocks: Recorder) -> None:
    _build(quota={"pods": "5"})
    assert mocks.one(QUOTA).spec["hard"] == {"pods": "5"}


def test_limit_range_defaults(mocks: Recorder) -> None:
    _build()
    assert mocks.one(LIMIT_RANGE).spec["limits"] == [
        {
            "type": "Container",
            "default": {"cpu": "500m", "memory": "256Mi"},
            "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
        }
    ]


def test_default_deny_network_policy_selects_every_pod_for_ingress_and_egress(mocks: Recorder) -> None:
    _build()
    spec = mocks.named("baseline-default-deny").spec
    # no rule: nothing admitted, nothing may leave
    assert spec == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_every_pod_may_resolve_names_on_port_53(mocks: Recorder) -> None:
    _build()
    spec = mocks.named("baseline-allow-dns").spec
    assert spec == {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}],
    }


def test_egress_can_be_left_open(mocks: Recorder) -> None:
    _build(deny_egress=False)
    assert [r.name for r in mocks.of_type(NETWORK_POLICY)] == ["baseline-default-deny"]
    assert mocks.named("baseline-default-deny").spec == {"podSelector": {}, "policyTypes": ["Ingress"]}


def test_non_boolean_deny_egress_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"^Namespace deny_egress: 'no' is not a boolean"):
        Namespace("baseline", {"name": "team-a", "deny_egress": "no"})  # type: ignore[typeddict-item]


def test_namespace_is_deleted_with_the_stack_by_default(mocks: Recorder) -> None:
    _build()
    assert mocks.one(NAMESPACE).retain_on_delete is False


def test_namespace_holding_retained_volumes_can_be_retained_alone(mocks: Recorder) -> None:
    _build(retain_on_delete=True)
    assert mocks.one(NAMESPACE).retain_on_delete is True
    # Only the namespace itself: its quota, limit range and policies still go with the stack.
    others = [r for r in mocks.resources if r.typ.startswith("kubernetes:") and r.typ != NAMESPACE]
    assert others
    assert not any(r.retain_on_delete for r in others)


def test_non_boolean_retain_on_delete_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match="Namespace retain_on_delete"):
        _build(retain_on_delete="yes")


def test_namespaced_children_live_in_the_namespace_with_its_app_labels(mocks: Recorder) -> None:
    _build(part_of="shop")
    for child in [*mocks.of_type(QUOTA), *mocks.of_type(LIMIT_RANGE), *mocks.of_type(NETWORK_POLICY)]:
        metadata = child.metadata
        assert metadata["namespace"] == "team-a"
        assert metadata["labels"] == {
            "app.kubernetes.io/name": "team-a",
            "app.kubernetes.io/part-of": "shop",
            "app.kubernetes.io/managed-by": "pulumi",
        }


# --- errors: raised before anything is registered -----------------------------------------


def test_bad_name_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"^Namespace name: 'Team_A' is not a valid DNS-1123 label"):
        Namespace("baseline", {"name": "Team_A"})


def test_bad_pod_security_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"^Namespace pod_security: 'strict' is not one of 'restricted'"):
        Namespace("baseline", {"name": "team-a", "pod_security": "strict"})


def test_bad_quota_quantity_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"^Namespace quota\['limits.memory'\]: '16GB' is not a Kubernetes quantity"):
        Namespace("baseline", {"name": "team-a", "quota": {"limits.memory": "16GB"}})


def test_zero_quota_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"^Namespace quota\['pods'\]: '0' must be greater than zero"):
        Namespace("baseline", {"name": "team-a", "quota": {"pods": "0"}})


def test_default_request_above_default_limit_is_refused(mocks: Recorder) -> None:
    with pytest.raises(
        ValueError,
        match=r"^Namespace default_requests\['cpu'\]: the request '1' is above the limit '500m' "
        r"\(Namespace default_limits\['cpu'\]\)",
    ):
        Namespace("baseline", {"name": "team-a", "default_requests": {"cpu": "1", "memory": "128Mi"}})


def test_negative_default_request_is_refused(mocks: Recorder) -> None:
    # A negative request is numerically "within" the limit, so it needs its own check.
    with pytest.raises(ValueError, match=r"^Namespace default_requests\['cpu'\]: '-1' must be greater than zero"):
        Namespace("baseline", {"name": "team-a", "default_requests": {"cpu": "-1"}})


def test_malformed_default_limit_without_a_matching_request_is_refused(mocks: Recorder) -> None:
    with pytest.raises(
        ValueError, match=r"^Namespace default_limits\['ephemeral-storage'\]: 'lots' is not a Kubernetes quantity"
    ):
        Namespace("baseline", {"name": "team-a", "default_limits": {"ephemeral-storage": "lots"}})


def _build_with_adoption_provider(retain: bool) -> None:
    def build() -> object:
        adopt = k8s.Provider("adopt")
        return Namespace("baseline", {"name": "team-a", "retain_on_delete": retain, "adoption_provider": adopt}).name

    synth(build)


def test_a_retained_namespace_alone_uses_the_adoption_provider(mocks: Recorder) -> None:
    _build_with_adoption_provider(retain=True)
    adopt = mocks.one("pulumi:providers:kubernetes")
    adopted = [r.typ for r in mocks.resources if r.provider.startswith(f"{adopt.urn}::")]
    assert adopted == [NAMESPACE]
    assert mocks.one(NAMESPACE).metadata["annotations"] == {"pulumi.com/patchForce": "true"}


def test_a_namespace_deleted_with_the_stack_is_not_adopted(mocks: Recorder) -> None:
    _build_with_adoption_provider(retain=False)
    assert [r.name for r in mocks.resources if r.provider] == []
    assert "annotations" not in mocks.one(NAMESPACE).metadata
