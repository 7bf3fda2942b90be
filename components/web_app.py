"""The web app: ServiceAccount, env ConfigMap and Secret, Deployment, Service, HPA, PDB, NetworkPolicy,
ServiceMonitor and PrometheusRule."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.labels import DEFAULT_PART_OF, SKIP_AWAIT, selector_labels, standard_labels
from components.network_policy import from_namespace, network_policy, tcp_ports
from components.objects import DEFAULT_MONITOR_LABELS, opaque_secret, prometheus_rule, service_monitor
from components.security_context import restricted_container, restricted_pod
from components.validation import (
    METADATA_NETWORKS,
    check_choice,
    check_cidr,
    check_dns1035_label,
    check_dns_label,
    check_egress_cidr,
    check_env_name,
    check_http_path,
    check_int_range,
    check_port,
    check_requests_and_limits,
    parse_image,
)

SERVICE_TYPES = ("ClusterIP", "LoadBalancer")
SPREAD_POLICIES = ("ScheduleAnyway", "DoNotSchedule")
DEFAULT_REQUESTS = {"cpu": "100m", "memory": "128Mi", "ephemeral-storage": "64Mi"}
DEFAULT_LIMITS = {"cpu": "500m", "memory": "256Mi", "ephemeral-storage": "256Mi"}
# A UID/GID above 10000 cannot collide with a host user if the container ever escapes.
DEFAULT_RUN_AS = 10001
SERVICE_PORT = 80
COMPONENT = "web"
_DURATION = re.compile(r"[0-9]+(ms|s|m|h)", re.ASCII)
# Pods a rolling update adds above the replica count (none is removed before its replacement is ready).
MAX_SURGE = 1


class SecretKeyRef(TypedDict):
    """A key of an existing Secret, delivered as an env var through ``secretKeyRef``."""

    name: pulumi.Input[str]
    key: str


class AutoscalingArgs(TypedDict):
    """HorizontalPodAutoscaler (autoscaling/v2) on CPU utilisation."""

    max_replicas: int
    """Upper bound on replicas; the lower bound is ``WebAppArgs.replicas``. Required."""
    cpu_percent: NotRequired[int]
    """Target average CPU utilisation in percent of the request. Default: ``70``."""


class AppMetricsArgs(TypedDict):
    """Prometheus scraping of the app: a ServiceMonitor (monitoring.coreos.com/v1), an alert rule and
    a NetworkPolicy rule admitting the monitoring namespace to the metrics port."""

    port: NotRequired[int]
    """Container port serving metrics; when it differs from the app port it is exposed as a named
    ``metrics`` port on the container and the Service. Default: the app port."""
    path: NotRequired[str]
    """HTTP path of the metrics. Default: ``"/metrics"``."""
    interval: NotRequired[str]
    """Scrape interval. Default: ``"30s"``."""
    labels: NotRequired[Mapping[str, str]]
    """Labels the Prometheus selects ServiceMonitors and PrometheusRules by
    (``Platform.service_monitor_labels``). Default: ``{"release": "kube-prometheus-stack"}``."""
    namespace: NotRequired[str | None]
    """Namespace of Prometheus, admitted to the metrics port. ``None`` adds no allow rule.
    Default: ``"monitoring"``."""
    alerts: NotRequired[bool]
    """Add a PrometheusRule alerting when no replica is scraped up for 5 minutes. Default: ``True``."""
    depends_on: NotRequired[Sequence[pulumi.Resource]]
    """What installs the Prometheus operator CRDs (``Platform.monitoring_release``): the custom
    resources wait for it, nothing else does. Default: none (CRDs already there)."""


class WebAppArgs(TypedDict):
    """Inputs of ``WebApp``."""

    namespace: pulumi.Input[str]
    """Namespace to deploy into. Required."""
    image: str
    """Container image, e.g. ``ghcr.io/org/app:1.4.2``. Required: there is no sensible default."""
    instance: NotRequired[str]
    """``app.kubernetes.io/instance`` label (part of the selector; never change it on a live
    app). Default: the component's resource name."""
    version: NotRequired[str]
    """``app.kubernetes.io/version`` label. Default: the image tag (or short digest)."""
    part_of: NotRequired[str]
    """``app.kubernetes.io/part-of`` label. Default: ``"webstack"``."""
    port: NotRequired[int]
    """Container port the app listens on (named ``http``). Default: ``8080``."""
    replicas: NotRequired[int]
    """Replicas, or the HPA minimum when autoscaling is set. Default: ``2``."""
    requests: NotRequired[Mapping[str, str]]
    """Container requests; missing keys take the default. Default: 100m CPU, 128Mi memory,
    64Mi ephemeral-storage."""
    limits: NotRequired[Mapping[str, str]]
    """Container limits; missing keys take the default. Default: 500m CPU, 256Mi memory,
    256Mi ephemeral-storage."""
    health_path: NotRequired[str]
    """Liveness and startup probe path. Default: ``"/health"``."""
    ready_path: NotRequired[str]
    """Readiness probe path. Default: ``"/ready"``."""
    env: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Plain env vars, kept in a ConfigMap (a change rolls the pods). Default: none."""
    secret_env: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Secret env vars: stored as Pulumi secrets in a Secret owned by the app, read through
    ``secretKeyRef``; never literal in the pod spec. Default: none."""
    secret_refs: NotRequired[Mapping[str, SecretKeyRef]]
    """Env vars from keys of Secrets owned elsewhere (e.g. the database password). Default: none."""
    service_type: NotRequired[str]
    """``ClusterIP`` (reached through the Ingress) or ``LoadBalancer`` (reached from outside the
    cluster: the app's NetworkPolicy admits the load balancer's traffic on the app port, from
    ``load_balancer_source_ranges`` or, without them, from every address). Default: ``"ClusterIP"``."""
    load_balancer_source_ranges: NotRequired[Sequence[str]]
    """With ``LoadBalancer``: the client networks (CIDR) admitted, both by the cloud load balancer
    (``spec.loadBalancerSourceRanges``) and by the NetworkPolicy, which sees the clients' own
    addresses because the Service then keeps them (``externalTrafficPolicy: Local``: traffic only
    goes to nodes running a pod, never re-sent and re-addressed by another node). Default: none
    (every address)."""
    service_annotations: NotRequired[Mapping[str, str]]
    """Annotations passed through to the Service, e.g.
    ``service.beta.kubernetes.io/aws-load-balancer-type: nlb``. Default: none."""
    autoscaling: NotRequired[AutoscalingArgs | None]
    """Add an HPA. Default: ``None`` (fixed replicas)."""
    spread_policy: NotRequired[str]
    """Topology spread over nodes: ``ScheduleAnyway`` (soft) or ``DoNotSchedule`` (hard).
    Default: ``"ScheduleAnyway"``."""
    ingress_namespace: NotRequired[str | None]
    """Namespace of the ingress controller, the only one admitted to the app port. ``None``
    admits nothing from outside the namespace's default deny. Default: ``"ingress"``."""
    run_as_user: NotRequired[int]
    """UID and GID the container runs as (non-root). Default: ``10001``."""
    egress_cidrs: NotRequired[Sequence[str]]
    """Networks (CIDR) the app may open connections to, on any port, in a namespace that denies
    egress (``Namespace``'s default); the cloud metadata address 169.254.169.254 stays excluded.
    Default: none (the app reaches DNS and what other components admit, e.g. its database)."""
    metrics: NotRequired[AppMetricsArgs | None]
    """Scrape the app with Prometheus. Default: ``None`` (no ServiceMonitor)."""


def _validate_env(env: Mapping[str, object], secret_env: Mapping[str, object], refs: Mapping[str, object]) -> None:
    seen: set[str] = set()
    for what, names in (("env", env), ("secret_env", secret_env), ("secret_refs", refs)):
        for name in names:
            check_env_name(name, f"WebApp {what}")
            if name in seen:
                raise ValueError(f"WebApp {what}: {name!r} is already set by another env argument; set it once")
            seen.add(name)


def _validate_autoscaling(autoscaling: AutoscalingArgs | None, replicas: int) -> None:
    if autoscaling is None:
        return
    check_int_range(autoscaling["max_replicas"], "WebApp autoscaling.max_replicas", replicas, 1000)
    check_int_range(autoscaling.get("cpu_percent", 70), "WebApp autoscaling.cpu_percent", 1, 100)


def _validate_metrics(metrics: AppMetricsArgs, app_port: int) -> tuple[int, str, str]:
    """The metrics port, its name (``http`` when it is the app port) and the path."""
    port = check_port(metrics.get("port", app_port), "WebApp metrics.port")
    path = check_http_path(metrics.get("path", "/metrics"), "WebApp metrics.path")
    interval = metrics.get("interval", "30s")
    if not isinstance(interval, str) or not _DURATION.fullmatch(interval):
        raise ValueError(f"WebApp metrics.interval: {interval!r} is not a duration; use e.g. '30s' or '1m'")
    namespace = metrics.get("namespace", "monitoring")
    if namespace is not None:
        check_dns_label(namespace, "WebApp metrics.namespace")
    return port, "http" if port == app_port else "metrics", path


def _validate_source_ranges(ranges: Sequence[str], service_type: str) -> list[str]:
    if isinstance(ranges, str):
        raise ValueError(
            f"WebApp load_balancer_source_ranges: {ranges!r} is a string; give a list such as ['203.0.113.0/24']"
        )
    checked = [check_cidr(cidr, "WebApp load_balancer_source_ranges") for cidr in ranges]
    if checked and service_type != "LoadBalancer":
        raise ValueError(
            f"WebApp load_balancer_source_ranges: set, but service_type is {service_type!r}; use service_type "
            "'LoadBalancer' or drop the ranges"
        )
    return checked


def load_balancer_rule(source_ranges: Sequence[str]) -> k8s.networking.v1.NetworkPolicyIngressRuleArgs:
    """The load balancer's clients on the app port: the given networks, or every address."""
    sources = [
        k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr))
        for cidr in source_ranges
    ]
    # No `from`: every source, which is what a load balancer open to the internet needs.
    return k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=sources or None, ports=tcp_ports(["http"]))


def _ip_block(cidr: str) -> k8s.networking.v1.IPBlockArgs:
    """``cidr``, less the cloud metadata addresses that fall inside (networks that hold nothing else
    are refused earlier, by ``check_egress_cidr``)."""
    network = ipaddress.ip_network(cidr)
    inside = [
        f"{address}/{address.max_prefixlen}"
        for address, _ in METADATA_NETWORKS
        if address.version == network.version and address in network
    ]
    return k8s.networking.v1.IPBlockArgs(cidr=cidr, except_=inside or None)


def _probe(path: str, period: int, failure_threshold: int = 3, timeout: int = 2) -> k8s.core.v1.ProbeArgs:
    return k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path=path, port="http"),
        period_seconds=period,
        timeout_seconds=timeout,
        failure_threshold=failure_threshold,
    )


class WebApp(pulumi.ComponentResource):
    """A stateless HTTP app, hardened and observable by default.

    Rolling updates never remove a ready pod before its replacement is ready (maxUnavailable 0);
    the pod runs under the ``restricted`` Pod Security profile with a read-only root filesystem
    and an emptyDir at /tmp.
    """

    service_name: pulumi.Output[str]
    url: pulumi.Output[str]
    deployment_name: pulumi.Output[str]
    selector: dict[str, str]
    """The pod selector labels, plain, for other components' NetworkPolicies."""
    service_port: int

    def __init__(self, resource_name: str, args: WebAppArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:app:WebApp", resource_name, None, opts)
        name = check_dns1035_label(resource_name, "WebApp resource name")
        image = parse_image(args["image"], "WebApp image")
        instance = check_dns_label(args.get("instance", name), "WebApp instance")
        port = check_port(args.get("port", 8080), "WebApp port")
        replicas = check_int_range(args.get("replicas", 2), "WebApp replicas", 1, 1000)
        requests = {**DEFAULT_REQUESTS, **args.get("requests", {})}
        limits = {**DEFAULT_LIMITS, **args.get("limits", {})}
        health_path = check_http_path(args.get("health_path", "/health"), "WebApp health_path")
        ready_path = check_http_path(args.get("ready_path", "/ready"), "WebApp ready_path")
        env = dict(args.get("env", {}))
        secret_env = dict(args.get("secret_env", {}))
        secret_refs = dict(args.get("secret_refs", {}))
        service_type = check_choice(args.get("service_type", "ClusterIP"), "WebApp service_type", SERVICE_TYPES)
        source_ranges = _validate_source_ranges(args.get("load_balancer_source_ranges", ()), service_type)
        autoscaling = args.get("autoscaling")
        spread = check_choice(args.get("spread_policy", "ScheduleAnyway"), "WebApp spread_policy", SPREAD_POLICIES)
        ingress_namespace = args.get("ingress_namespace", "ingress")
        run_as = check_int_range(args.get("run_as_user", DEFAULT_RUN_AS), "WebApp run_as_user", 1, 2**31 - 1)
        metrics = args.get("metrics")
        egress_cidrs = args.get("egress_cidrs", ())
        if isinstance(egress_cidrs, str):
            raise ValueError(f"WebApp egress_cidrs: {egress_cidrs!r} is a string; give a list such as ['10.0.0.0/8']")
        egress_cidrs = [check_egress_cidr(cidr, "WebApp egress_cidrs") for cidr in egress_cidrs]
        check_requests_and_limits(requests, limits, "WebApp requests", "WebApp limits")
        _validate_env(env, secret_env, secret_refs)
        _validate_autoscaling(autoscaling, replicas)
        if ingress_namespace is not None:
            check_dns_label(ingress_namespace, "WebApp ingress_namespace")
        # ``{}`` is metrics with every default, not "no metrics": only None switches them off.
        metrics_port, metrics_port_name, metrics_path = (
            _validate_metrics(metrics, port) if metrics is not None else (0, "", "")
        )
        extra_metrics_port = metrics_port_name == "metrics"

        namespace = args["namespace"]
        selector = selector_labels(name, instance, COMPONENT)
        labels = standard_labels(
            name, instance, COMPONENT, args.get("version", image.version), args.get("part_of", DEFAULT_PART_OF)
        )
        child = pulumi.ResourceOptions(parent=self)

        def meta(object_name: str | None = name) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=namespace, labels=labels)

        account = k8s.core.v1.ServiceAccount(
            f"{resource_name}-sa", metadata=meta(), automount_service_account_token=False, opts=child
        )

        env_from: list[k8s.core.v1.EnvFromSourceArgs] = []
        if env:
            # Auto-named: a changed ConfigMap gets a new name, so the Deployment rolls onto it.
            config = k8s.core.v1.ConfigMap(f"{resource_name}-env", metadata=meta(None), data=env, opts=child)
            env_from.append(
                k8s.core.v1.EnvFromSourceArgs(
                    config_map_ref=k8s.core.v1.ConfigMapEnvSourceArgs(name=config.metadata.name)
                )
            )

        env_vars: list[k8s.core.v1.EnvVarArgs] = []
        refs: dict[str, SecretKeyRef] = dict(secret_refs)
        if secret_env:
            secret = opaque_secret(
                f"{resource_name}-secret-env",
                meta(None),
                {key: pulumi.Output.secret(value) for key, value in secret_env.items()},
                child,
            )
            refs.update({key: SecretKeyRef(name=secret.metadata.name, key=key) for key in secret_env})
        for env_name, ref in sorted(refs.items()):
            env_vars.append(
                k8s.core.v1.EnvVarArgs(
                    name=env_name,
                    value_from=k8s.core.v1.EnvVarSourceArgs(
                        secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(name=ref["name"], key=ref["key"])
                    ),
                )
            )

        container = k8s.core.v1.ContainerArgs(
            name=name,
            image=args["image"],
            # Always: a node never runs a stale or tampered copy under a reused tag.
            image_pull_policy="Always",
            ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=port, protocol="TCP")]
            + (
                [k8s.core.v1.ContainerPortArgs(name="metrics", container_port=metrics_port, protocol="TCP")]
                if extra_metrics_port
                else []
            ),
            env_from=env_from or None,
            env=env_vars or None,
            resources=k8s.core.v1.ResourceRequirementsArgs(requests=requests, limits=limits),
            startup_probe=_probe(health_path, period=5, failure_threshold=30),
            liveness_probe=_probe(health_path, period=10),
            readiness_probe=_probe(ready_path, period=5),
            security_context=restricted_container(run_as),
            volume_mounts=[k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp")],
        )
        host_term = k8s.core.v1.PodAffinityTermArgs(
            topology_key="kubernetes.io/hostname", label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector)
        )
        pod_spec = k8s.core.v1.PodSpecArgs(
            service_account_name=account.metadata.name,
            automount_service_account_token=False,
            security_context=restricted_pod(run_as),
            containers=[container],
            volumes=[
                k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="64Mi"))
            ],
            affinity=k8s.core.v1.AffinityArgs(
                pod_anti_affinity=k8s.core.v1.PodAntiAffinityArgs(
                    preferred_during_scheduling_ignored_during_execution=[
                        k8s.core.v1.WeightedPodAffinityTermArgs(weight=100, pod_affinity_term=host_term)
                    ]
                )
            ),
            topology_spread_constraints=[
                k8s.core.v1.TopologySpreadConstraintArgs(
                    max_skew=1,
                    topology_key="kubernetes.io/hostname",
                    when_unsatisfiable=spread,
                    label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                )
            ],
            termination_grace_period_seconds=30,
        )
        deployment = k8s.apps.v1.Deployment(
            f"{resource_name}-deployment",
            metadata=meta(),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                # With an HPA the replica count is the HPA's to own; a fixed one would fight it.
                replicas=None if autoscaling else replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                strategy=k8s.apps.v1.DeploymentStrategyArgs(
                    type="RollingUpdate",
                    rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(max_unavailable=0, max_surge=MAX_SURGE),
                ),
                revision_history_limit=5,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels), spec=pod_spec
                ),
            ),
            opts=child,
        )
        service_annotations = dict(args.get("service_annotations", {}))
        if service_type == "ClusterIP":
            # The provider holds a Service until its Endpoints have not changed for 10 s, on create
            # and on every update (a new version label): 10 s on the critical path of each `up`.
            # The Deployment's own await already waits for these pods to be Ready, and the
            # selector is the Deployment's. A LoadBalancer is still awaited for its address.
            service_annotations.setdefault(SKIP_AWAIT, "true")
        service = k8s.core.v1.Service(
            f"{resource_name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name,
                namespace=namespace,
                labels=labels,
                annotations=service_annotations or None,
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                type=service_type,
                load_balancer_source_ranges=source_ranges or None,
                external_traffic_policy="Local" if source_ranges else None,
                selector=selector,
                ports=[k8s.core.v1.ServicePortArgs(name="http", port=SERVICE_PORT, target_port="http", protocol="TCP")]
                + (
                    [
                        k8s.core.v1.ServicePortArgs(
                            name="metrics", port=metrics_port, target_port="metrics", protocol="TCP"
                        )
                    ]
                    if extra_metrics_port
                    else []
                ),
            ),
            opts=child,
        )
        if autoscaling is not None:
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{resource_name}-hpa",
                metadata=meta(),
                spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
                    scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                        api_version="apps/v1", kind="Deployment", name=deployment.metadata.name
                    ),
                    min_replicas=replicas,
                    max_replicas=autoscaling["max_replicas"],
                    metrics=[
                        k8s.autoscaling.v2.MetricSpecArgs(
                            type="Resource",
                            resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
                                name="cpu",
                                target=k8s.autoscaling.v2.MetricTargetArgs(
                                    type="Utilization", average_utilization=autoscaling.get("cpu_percent", 70)
                                ),
                            ),
                        )
                    ],
                ),
                opts=child,
            )
        if replicas > 1:
            k8s.policy.v1.PodDisruptionBudget(
                f"{resource_name}-pdb",
                metadata=meta(),
                spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                    max_unavailable=1, selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector)
                ),
                opts=child,
            )
        # Policy names are DNS subdomains (≤ 253): no truncation, which could leave a trailing '-'.
        if ingress_namespace is not None:
            network_policy(
                f"{resource_name}-allow-ingress",
                meta(f"{name}-allow-ingress"),
                pods=selector,
                ingress=[from_namespace(ingress_namespace, ["http"])],
                opts=child,
            )
        if service_type == "LoadBalancer":
            network_policy(
                f"{resource_name}-allow-load-balancer",
                meta(f"{name}-allow-load-balancer"),
                pods=selector,
                ingress=[load_balancer_rule(source_ranges)],
                opts=child,
            )
        if egress_cidrs:
            to_networks = k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                to=[k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=_ip_block(cidr)) for cidr in egress_cidrs]
            )
            network_policy(
                f"{resource_name}-allow-egress",
                meta(f"{name}-allow-egress"),
                pods=selector,
                egress=[to_networks],
                opts=child,
            )
        if metrics is not None:
            self._monitoring(
                resource_name=resource_name,
                name=name,
                namespace=namespace,
                labels=labels,
                selector=selector,
                metrics=metrics,
                port_name=metrics_port_name,
                path=metrics_path,
            )

        self.selector = selector
        self.service_port = SERVICE_PORT
        self.service_name = service.metadata.name
        self.deployment_name = deployment.metadata.name
        self.url = pulumi.Output.all(service.metadata.name, service.metadata.namespace).apply(
            lambda parts: f"http://{parts[0]}.{parts[1]}.svc.cluster.local:{SERVICE_PORT}"
        )
        self.register_outputs(
            {"service_name": self.service_name, "url": self.url, "deployment_name": self.deployment_name}
        )

    def _monitoring(
        self,
        *,
        resource_name: str,
        name: str,
        namespace: pulumi.Input[str],
        labels: dict[str, str],
        selector: dict[str, str],
        metrics: AppMetricsArgs,
        port_name: str,
        path: str,
    ) -> None:
        """ServiceMonitor, PrometheusRule and the NetworkPolicy rule that lets Prometheus scrape."""
        monitor_labels = {**labels, **dict(metrics.get("labels", DEFAULT_MONITOR_LABELS))}
        # The custom resources wait for the release that installs their CRDs; nothing else does.
        crd_opts = pulumi.ResourceOptions(parent=self, depends_on=list(metrics.get("depends_on", [])) or None)
        monitor_meta = k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=monitor_labels)
        service_monitor(
            f"{resource_name}-servicemonitor",
            monitor_meta,
            selector,
            [{"port": port_name, "path": path, "interval": metrics.get("interval", "30s"), "scheme": "http"}],
            crd_opts,
        )
        if metrics.get("alerts", True):
            prometheus_rule(
                f"{resource_name}-alerts",
                monitor_meta,
                pulumi.Output.from_input(namespace).apply(lambda ns: _alert_rules(name, ns)),
                crd_opts,
            )
        monitoring_namespace = metrics.get("namespace", "monitoring")
        if monitoring_namespace is not None:
            network_policy(
                f"{resource_name}-allow-metrics",
                k8s.meta.v1.ObjectMetaArgs(name=f"{name}-allow-metrics", namespace=namespace, labels=labels),
                pods=selector,
                ingress=[from_namespace(monitoring_namespace, [port_name])],
                opts=pulumi.ResourceOptions(parent=self),
            )


def _alert_rules(name: str, namespace: str) -> dict[str, object]:
    """One alert: no replica of the app has been scraped up for 5 minutes (down, or not scraped)."""
    selector = f'job="{name}",namespace="{namespace}"'
    return {
        "groups": [
            {
                "name": f"{name}.availability",
                "rules": [
                    {
                        "alert": "WebAppDown",
                        "expr": f"absent(up{{{selector}}} == 1)",
                        "for": "5m",
                        "labels": {"severity": "critical"},
                        "annotations": {
                            "summary": f"{namespace}/{name}: no replica is up",
                            "description": f"Prometheus has scraped no healthy replica of {name} in {namespace} "
                            "for 5 minutes.",
                        },
                    }
                ],
            }
        ]
    }
