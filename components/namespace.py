"""Namespace baseline: Pod Security Admission labels, quota, limit range and default-deny ingress and egress."""

from __future__ import annotations

from typing import NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.labels import ADOPTED_ANNOTATIONS, DEFAULT_PART_OF, namespace_labels
from components.network_policy import network_policy
from components.validation import (
    check_choice,
    check_dns_label,
    check_positive_quantity,
    check_requests_and_limits,
)

POD_SECURITY_LEVELS = ("restricted", "baseline", "privileged")
DEFAULT_QUOTA = {
    "requests.cpu": "4",
    "requests.memory": "8Gi",
    "limits.cpu": "8",
    "limits.memory": "16Gi",
    "requests.storage": "100Gi",
    "pods": "50",
}
DEFAULT_CONTAINER_REQUESTS = {"cpu": "100m", "memory": "128Mi"}
DEFAULT_CONTAINER_LIMITS = {"cpu": "500m", "memory": "256Mi"}
DNS_PORT = 53


class NamespaceArgs(TypedDict):
    """Inputs of ``Namespace``."""

    name: str
    """Namespace name (DNS-1123 label). Required: it is the stack's address in the cluster."""
    pod_security: NotRequired[str]
    """Pod Security Admission level enforced (and warned/audited): restricted, baseline or
    privileged. Default: ``"restricted"``."""
    quota: NotRequired[dict[str, str]]
    """ResourceQuota ``spec.hard``. Default: ``DEFAULT_QUOTA`` (4/8 CPU, 8Gi/16Gi memory,
    100Gi storage, 50 pods)."""
    default_requests: NotRequired[dict[str, str]]
    """LimitRange default requests for containers that set none. Default: 100m CPU, 128Mi."""
    default_limits: NotRequired[dict[str, str]]
    """LimitRange default limits for containers that set none. Default: 500m CPU, 256Mi."""
    part_of: NotRequired[str]
    """``app.kubernetes.io/part-of`` label. Default: ``"webstack"``."""
    deny_egress: NotRequired[bool]
    """Deny egress from every pod too, except DNS (port 53, UDP and TCP, to any address): each
    component then allows the connections its pods open (e.g. ``PostgresDatabase`` the clients'
    port 5432, ``WebApp.egress_cidrs``). ``False`` leaves egress open. Default: ``True``."""
    retain_on_delete: NotRequired[bool]
    """Leave the Namespace object in the cluster when the stack deletes it (``pulumi destroy``, a
    rename). Set it when the namespace holds retained volumes: Kubernetes deletes everything inside
    a deleted namespace, a PVC that Pulumi itself retains included. Its quota, limit range and
    policies are still deleted. Default: ``False``."""
    adoption_provider: NotRequired[pulumi.ProviderResource | None]
    """Kubernetes provider for the Namespace object when ``retain_on_delete`` keeps it, and for
    nothing else: one with ``upsert_existing_objects`` adopts the namespace a destroy left behind,
    where the stack's provider (4.29 and later) refuses to create an object that exists. Default:
    ``None`` (the component's provider)."""


def _validate_quota(quota: dict[str, str]) -> None:
    for resource, amount in quota.items():
        check_positive_quantity(amount, f"Namespace quota[{resource!r}]")


class Namespace(pulumi.ComponentResource):
    """A namespace that is safe to deploy into: restricted pods, bounded resources, no open ingress.

    The default-deny NetworkPolicy blocks all ingress to every pod and (unless ``deny_egress`` is
    off) all egress from it but DNS; each component adds the narrow allow rules it needs.
    """

    name: pulumi.Output[str]

    def __init__(self, resource_name: str, args: NamespaceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:core:Namespace", resource_name, None, opts)
        name = check_dns_label(args["name"], "Namespace name")
        pod_security = check_choice(
            args.get("pod_security", "restricted"), "Namespace pod_security", POD_SECURITY_LEVELS
        )
        quota = args.get("quota", DEFAULT_QUOTA)
        requests = args.get("default_requests", DEFAULT_CONTAINER_REQUESTS)
        limits = args.get("default_limits", DEFAULT_CONTAINER_LIMITS)
        _validate_quota(quota)
        check_requests_and_limits(requests, limits, "Namespace default_requests", "Namespace default_limits")
        part_of = args.get("part_of", DEFAULT_PART_OF)
        deny_egress = args.get("deny_egress", True)
        if not isinstance(deny_egress, bool):
            raise ValueError(f"Namespace deny_egress: {deny_egress!r} is not a boolean; use True or False")
        retain = args.get("retain_on_delete", False)
        if not isinstance(retain, bool):
            raise ValueError(f"Namespace retain_on_delete: {retain!r} is not a boolean; use True or False")
        child = pulumi.ResourceOptions(parent=self)

        labels = namespace_labels(name, name, pod_security, part_of)
        ns = k8s.core.v1.Namespace(
            f"{resource_name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name, labels=labels, annotations=dict(ADOPTED_ANNOTATIONS) if retain else None
            ),
            opts=pulumi.ResourceOptions(
                parent=self, retain_on_delete=retain, provider=args.get("adoption_provider") if retain else None
            ),
        )
        # Reading ns.metadata.name already orders these after the Namespace: no depends_on.
        meta = k8s.meta.v1.ObjectMetaArgs(
            namespace=ns.metadata.name,
            labels={k: v for k, v in labels.items() if k.startswith("app.kubernetes.io/")},
        )
        k8s.core.v1.ResourceQuota(
            f"{resource_name}-quota",
            metadata=meta,
            spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=quota),
            opts=child,
        )
        k8s.core.v1.LimitRange(
            f"{resource_name}-limits",
            metadata=meta,
            spec=k8s.core.v1.LimitRangeSpecArgs(
                limits=[k8s.core.v1.LimitRangeItemArgs(type="Container", default=limits, default_request=requests)]
            ),
            opts=child,
        )
        # No rules: nothing is admitted, and (with deny_egress) nothing may leave.
        network_policy(
            f"{resource_name}-default-deny", meta, pods={}, ingress=[], egress=[] if deny_egress else None, opts=child
        )
        if deny_egress:
            # Name resolution for every pod. Any destination: the cluster DNS runs in kube-system
            # on most clusters but behind a node-local cache (a link-local host address) on others.
            dns = k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                ports=[
                    k8s.networking.v1.NetworkPolicyPortArgs(port=DNS_PORT, protocol=protocol)
                    for protocol in ("UDP", "TCP")
                ]
            )
            network_policy(f"{resource_name}-allow-dns", meta, pods={}, egress=[dns], opts=child)

        self.name = ns.metadata.name
        self.register_outputs({"name": self.name})
