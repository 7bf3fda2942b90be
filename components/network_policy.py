"""NetworkPolicy building blocks shared by the components.

The namespace denies all ingress and (by default) all egress (``Namespace``); every component then
admits exactly the connections its pods take part in, with a policy built here:
``network_policy(name, metadata, pods=..., ingress=[from_namespace(...)], egress=[to_pods(...)])``.
Ports are always TCP except where a rule spells out its own ``NetworkPolicyPortArgs`` (DNS).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

import pulumi
import pulumi_kubernetes as k8s

from components.labels import NAMESPACE_NAME_LABEL

Port: TypeAlias = int | str
"""A port number, or the name of a container port."""


def tcp_ports(ports: Sequence[Port]) -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [k8s.networking.v1.NetworkPolicyPortArgs(port=port, protocol="TCP") for port in ports]


def namespace_peer(namespace: str) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    """Every pod of the namespace ``namespace``."""
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={NAMESPACE_NAME_LABEL: namespace})
    )


def pod_peer(labels: Mapping[str, str]) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    """The pods carrying ``labels``, in the policy's own namespace."""
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(labels))
    )


def from_namespace(namespace: str, ports: Sequence[Port]) -> k8s.networking.v1.NetworkPolicyIngressRuleArgs:
    """Admit every pod of ``namespace`` (e.g. the ingress controller's) to ``ports``."""
    return k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=[namespace_peer(namespace)], ports=tcp_ports(ports))


def from_pods(
    selectors: Sequence[Mapping[str, str]], ports: Sequence[Port]
) -> k8s.networking.v1.NetworkPolicyIngressRuleArgs:
    """Admit the pods matching any of ``selectors``, in the same namespace, to ``ports``."""
    return k8s.networking.v1.NetworkPolicyIngressRuleArgs(
        from_=[pod_peer(selector) for selector in selectors], ports=tcp_ports(ports)
    )


def to_pods(selector: Mapping[str, str], ports: Sequence[Port]) -> k8s.networking.v1.NetworkPolicyEgressRuleArgs:
    """Let connections out to ``ports`` of the pods matching ``selector``, in the same namespace."""
    return k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=[pod_peer(selector)], ports=tcp_ports(ports))


def network_policy(
    resource_name: str,
    metadata: k8s.meta.v1.ObjectMetaArgs,
    *,
    pods: Mapping[str, str],
    ingress: Sequence[k8s.networking.v1.NetworkPolicyIngressRuleArgs] | None = None,
    egress: Sequence[k8s.networking.v1.NetworkPolicyEgressRuleArgs] | None = None,
    opts: pulumi.ResourceOptions,
) -> k8s.networking.v1.NetworkPolicy:
    """A NetworkPolicy for the pods carrying the labels ``pods`` (``{}``: every pod of the namespace).

    A direction given a list is policed: its rules are what the policy admits, and an empty list
    admits nothing (a default deny). A direction left ``None`` is not this policy's concern.
    """
    policy_types = [kind for kind, rules in (("Ingress", ingress), ("Egress", egress)) if rules is not None]
    return k8s.networking.v1.NetworkPolicy(
        resource_name,
        metadata=metadata,
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(pods) or None),
            policy_types=policy_types,
            # No rules and no list are the same to Kubernetes; None keeps the inputs as they were.
            ingress=list(ingress) if ingress else None,
            egress=list(egress) if egress else None,
        ),
        opts=opts,
    )
