"""The two workloads the benches compare: N WebApps, and the same Kubernetes objects registered raw.

``raw_app`` writes out by hand what ``WebApp(name, {"namespace": ..., "image": ...})`` registers
with every other argument at its default, through the same SDK input classes, without the
component: no ComponentResource, no validation, no ``register_outputs``, no derived outputs.
``check_equivalent`` proves it stays so: it records both under Pulumi mocks and compares every
object's type, name and inputs. A bench refuses to run when they differ (e.g. after WebApp
changed): a ratio against a different set of objects would mean nothing.

Imported by the benches' child processes and by the engine bench's N-apps program.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.labels import selector_labels, standard_labels
from components.web_app import WebApp

NAMESPACE = "bench"
IMAGE = "ghcr.io/org/app:1.0.0"


def components(n: int, opts: pulumi.ResourceOptions | None = None) -> list[pulumi.Output[Any]]:
    return [WebApp(f"app{i}", {"namespace": NAMESPACE, "image": IMAGE}, opts=opts).service_name for i in range(n)]


def raw(n: int, opts: pulumi.ResourceOptions | None = None) -> list[pulumi.Output[Any]]:
    return [raw_app(f"app{i}", opts) for i in range(n)]


def _probe(path: str, period: int, failure_threshold: int = 3) -> k8s.core.v1.ProbeArgs:
    return k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path=path, port="http"),
        period_seconds=period,
        timeout_seconds=2,
        failure_threshold=failure_threshold,
    )


def raw_app(name: str, opts: pulumi.ResourceOptions | None = None) -> pulumi.Output[Any]:
    """WebApp's default objects for ``name``: ServiceAccount, Deployment, Service, PDB, NetworkPolicy."""
    selector = selector_labels(name, name, "web")
    labels = standard_labels(name, name, "web", "1.0.0")
    uid = 10001

    def meta(object_name: str = name) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=NAMESPACE, labels=labels)

    match = k8s.meta.v1.LabelSelectorArgs(match_labels=selector)
    account = k8s.core.v1.ServiceAccount(
        f"{name}-sa", metadata=meta(), automount_service_account_token=False, opts=opts
    )
    container = k8s.core.v1.ContainerArgs(
        name=name,
        image=IMAGE,
        image_pull_policy="Always",
        ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=8080, protocol="TCP")],
        resources=k8s.core.v1.ResourceRequirementsArgs(
            requests={"cpu": "100m", "memory": "128Mi", "ephemeral-storage": "64Mi"},
            limits={"cpu": "500m", "memory": "256Mi", "ephemeral-storage": "256Mi"},
        ),
        startup_probe=_probe("/health", period=5, failure_threshold=30),
        liveness_probe=_probe("/health", period=10),
        readiness_probe=_probe("/ready", period=5),
        security_context=k8s.core.v1.SecurityContextArgs(
            allow_privilege_escalation=False,
            privileged=False,
            read_only_root_filesystem=True,
            run_as_non_root=True,
            run_as_user=uid,
            run_as_group=uid,
            capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
        ),
        volume_mounts=[k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp")],
    )
    pod = k8s.core.v1.PodSpecArgs(
        service_account_name=account.metadata.name,
        automount_service_account_token=False,
        security_context=k8s.core.v1.PodSecurityContextArgs(
            run_as_non_root=True,
            run_as_user=uid,
            run_as_group=uid,
            fs_group=uid,
            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
        ),
        containers=[container],
        volumes=[k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="64Mi"))],
        affinity=k8s.core.v1.AffinityArgs(
            pod_anti_affinity=k8s.core.v1.PodAntiAffinityArgs(
                preferred_during_scheduling_ignored_during_execution=[
                    k8s.core.v1.WeightedPodAffinityTermArgs(
                        weight=100,
                        pod_affinity_term=k8s.core.v1.PodAffinityTermArgs(
                            topology_key="kubernetes.io/hostname", label_selector=match
                        ),
                    )
                ]
            )
        ),
        topology_spread_constraints=[
            k8s.core.v1.TopologySpreadConstraintArgs(
                max_skew=1,
                topology_key="kubernetes.io/hostname",
                when_unsatisfiable="ScheduleAnyway",
                label_selector=match,
            )
        ],
        termination_grace_period_seconds=30,
    )
    k8s.apps.v1.Deployment(
        f"{name}-deployment",
        metadata=meta(),
        spec=k8s.apps.v1.DeploymentSpecArgs(
            replicas=2,
            selector=match,
            strategy=k8s.apps.v1.DeploymentStrategyArgs(
                type="RollingUpdate",
                rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(max_unavailable=0, max_surge=1),
            ),
            revision_history_limit=5,
            template=k8s.core.v1.PodTemplateSpecArgs(metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels), spec=pod),
        ),
        opts=opts,
    )
    service = k8s.core.v1.Service(
        f"{name}-service",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name, namespace=NAMESPACE, labels=labels, annotations={"pulumi.com/skipAwait": "true"}
        ),
        spec=k8s.core.v1.ServiceSpecArgs(
            type="ClusterIP",
            selector=selector,
            ports=[k8s.core.v1.ServicePortArgs(name="http", port=80, target_port="http", protocol="TCP")],
        ),
        opts=opts,
    )
    k8s.policy.v1.PodDisruptionBudget(
        f"{name}-pdb",
        metadata=meta(),
        spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(max_unavailable=1, selector=match),
        opts=opts,
    )
    k8s.networking.v1.NetworkPolicy(
        f"{name}-allow-ingress",
        metadata=meta(f"{name}-allow-ingress"),
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=match,
            policy_types=["Ingress"],
            ingress=[
                k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                    from_=[
                        k8s.networking.v1.NetworkPolicyPeerArgs(
                            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                match_labels={"kubernetes.io/metadata.name": "ingress"}
                            )
                        )
                    ],
                    ports=[k8s.networking.v1.NetworkPolicyPortArgs(port="http", protocol="TCP")],
                )
            ],
        ),
        opts=opts,
    )
    service_name: pulumi.Output[Any] = service.metadata.name
    return service_name


# -- mocks ----------------------------------------------------------------------------------------


class EchoMocks(pulumi.runtime.Mocks):
    """Echo the inputs back as state, plus what the real providers compute and the stack reads."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ.startswith("kubernetes:") and "metadata" in state:
            metadata = dict(state["metadata"] or {})
            metadata.setdefault("name", f"{args.name}-abc123")  # the provider's auto-name
            state["metadata"] = metadata
        if args.typ == "kubernetes:helm.sh/v3:Release":
            state["status"] = {"name": state.get("name", args.name), "namespace": state.get("namespace", "default")}
            state["status"]["status"] = "deployed"
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = "bench-mock-password"
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class RecordingMocks(EchoMocks):
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.objects[(args.typ, args.name)] = json.loads(json.dumps(args.inputs, sort_keys=True, default=str))
        return super().new_resource(args)


def install_mocks(mocks: pulumi.runtime.Mocks | None = None, stack: str = "bench") -> None:
    pulumi.runtime.set_mocks(mocks or EchoMocks(), project="webstack", stack=stack, preview=False)


def synth(build: Callable[[], Any]) -> None:
    """Register everything ``build`` makes and wait until every registration has completed."""

    def run() -> pulumi.Output[Any]:
        return pulumi.Output.from_input(build())

    pulumi.runtime.test(run)()  # type: ignore[no-untyped-call]


def check_equivalent(n: int = 2) -> int:
    """Assert that ``raw(n)`` registers the objects ``components(n)`` does, with the same inputs.

    Returns the number of Kubernetes objects per app.
    """
    recorded = []
    for build in (components, raw):
        mocks = RecordingMocks()
        install_mocks(mocks)
        synth(lambda build=build: build(n))  # type: ignore[misc]
        recorded.append({key: value for key, value in mocks.objects.items() if key[0].startswith("kubernetes:")})
    comp, plain = recorded
    problems = [f"only WebApp registers {key}" for key in comp.keys() - plain.keys()]
    problems += [f"only the raw baseline registers {key}" for key in plain.keys() - comp.keys()]
    problems += [
        f"{key} differs:\n  WebApp: {json.dumps(comp[key])}\n  raw:    {json.dumps(plain[key])}"
        for key in sorted(comp.keys() & plain.keys())
        if comp[key] != plain[key]
    ]
    if problems:
        raise AssertionError(
            "bench/workloads.py raw_app no longer registers what WebApp registers by default; update it:\n"
            + "\n".join(problems)
        )
    return len(comp) // n
