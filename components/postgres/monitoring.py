"""What PostgresDatabase adds with ``metrics``: the postgres-exporter sidecar, its ServiceMonitor and
the alerts (server down, backups failing or stale, volumes nearly full)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.objects import DEFAULT_MONITOR_LABELS, prometheus_rule, service_monitor
from components.postgres.pods import PORT, PULL_POLICY, credentials_mount, credentials_volume
from components.postgres.roles import METRICS_PASSWORD_FILE, METRICS_PASSWORD_KEY, METRICS_ROLE
from components.validation import check_dns_label, check_pinned_image

DEFAULT_EXPORTER_IMAGE = "quay.io/prometheuscommunity/postgres-exporter:v0.17.1"
DEFAULT_MONITORING_NAMESPACE = "monitoring"
EXPORTER_REQUESTS = {"cpu": "10m", "memory": "32Mi", "ephemeral-storage": "16Mi"}
EXPORTER_LIMITS = {"cpu": "100m", "memory": "64Mi", "ephemeral-storage": "64Mi"}
METRICS_PORT = 9187


class MetricsArgs(TypedDict):
    """A postgres-exporter sidecar, exposed as the Service's ``metrics`` port for a ServiceMonitor."""

    image: NotRequired[str]
    """Exporter image, pinned. Default: ``quay.io/prometheuscommunity/postgres-exporter:v0.17.1``."""
    monitoring_namespace: NotRequired[str]
    """Namespace of the Prometheus that scrapes it; the only one admitted to the metrics port.
    Default: ``"monitoring"``."""
    service_monitor: NotRequired[bool]
    """Add a ServiceMonitor for the exporter and a PrometheusRule with the database's alerts (both
    need the Prometheus Operator's CRDs). Default: ``True``."""
    labels: NotRequired[Mapping[str, str]]
    """Labels the Prometheus selects ServiceMonitors and PrometheusRules by
    (``Platform.service_monitor_labels``). Default: ``{"release": "kube-prometheus-stack"}``."""
    depends_on: NotRequired[Sequence[pulumi.Resource]]
    """What installs the Prometheus Operator's CRDs (``Platform.monitoring_release``): the two
    custom resources wait for it, nothing else does. Default: none (CRDs already there)."""


class Metrics(NamedTuple):
    image: str
    monitoring_namespace: str
    service_monitor: bool
    labels: dict[str, str]
    depends_on: list[pulumi.Resource]


def resolve_metrics(metrics: MetricsArgs | None) -> Metrics | None:
    """The exporter image and the monitoring namespace, or None without metrics."""
    if metrics is None:
        return None
    image = metrics.get("image", DEFAULT_EXPORTER_IMAGE)
    check_pinned_image(image, "PostgresDatabase metrics.image")
    namespace = check_dns_label(
        metrics.get("monitoring_namespace", DEFAULT_MONITORING_NAMESPACE),
        "PostgresDatabase metrics.monitoring_namespace",
    )
    service_monitor_on = metrics.get("service_monitor", True)
    if not isinstance(service_monitor_on, bool):
        raise ValueError(
            f"PostgresDatabase metrics.service_monitor: {service_monitor_on!r} is not a boolean; use True or False"
        )
    return Metrics(
        image,
        namespace,
        service_monitor_on,
        dict(metrics.get("labels", DEFAULT_MONITOR_LABELS)),
        list(metrics.get("depends_on", [])),
    )


EXPORTER_VOLUME = "metrics-credentials"


def exporter_volume(admin_secret: pulumi.Input[str]) -> k8s.core.v1.VolumeArgs:
    """The monitoring role's password, the only one the exporter sees."""
    return credentials_volume(EXPORTER_VOLUME, [(admin_secret, {METRICS_PASSWORD_KEY: METRICS_PASSWORD_KEY})])


def exporter_container(
    metrics: Metrics, database: str, security: k8s.core.v1.SecurityContextArgs
) -> k8s.core.v1.ContainerArgs:
    """The exporter, reading statistics over loopback as the monitoring role (``pg_monitor``)."""
    return k8s.core.v1.ContainerArgs(
        name="exporter",
        image=metrics.image,
        image_pull_policy=PULL_POLICY,
        ports=[k8s.core.v1.ContainerPortArgs(name="metrics", container_port=METRICS_PORT, protocol="TCP")],
        env=[
            k8s.core.v1.EnvVarArgs(name="DATA_SOURCE_URI", value=f"127.0.0.1:{PORT}/{database}?sslmode=disable"),
            k8s.core.v1.EnvVarArgs(name="DATA_SOURCE_USER", value=METRICS_ROLE),
            k8s.core.v1.EnvVarArgs(name="DATA_SOURCE_PASS_FILE", value=METRICS_PASSWORD_FILE),
        ],
        resources=k8s.core.v1.ResourceRequirementsArgs(requests=EXPORTER_REQUESTS, limits=EXPORTER_LIMITS),
        # Ready once it serves HTTP (its landing page: /metrics would query the database);
        # alive while it accepts connections.
        readiness_probe=k8s.core.v1.ProbeArgs(
            http_get=k8s.core.v1.HTTPGetActionArgs(path="/", port="metrics"), period_seconds=10
        ),
        liveness_probe=k8s.core.v1.ProbeArgs(
            tcp_socket=k8s.core.v1.TCPSocketActionArgs(port="metrics"),
            period_seconds=20,
            failure_threshold=3,
        ),
        security_context=security,
        volume_mounts=[credentials_mount(EXPORTER_VOLUME)],
    )


# Free space on a volume below which the alerts fire: a warning leaves time to grow the volume
# (dbStorageSize), the critical one means writes (or dumps) are about to fail.
VOLUME_FREE_WARNING = 0.15
VOLUME_FREE_CRITICAL = 0.05


def alert_rules(namespace: str, service: str, claims: Sequence[str], cronjob: str | None) -> dict[str, Any]:
    """The database's alerts, on what kube-prometheus-stack collects: the exporter's ``pg_up``, the
    kubelet's volume statistics and kube-state-metrics' CronJob times (backups only with a
    ``cronjob``)."""
    server = f'namespace="{namespace}",job="{service}"'
    volumes = f'namespace="{namespace}",persistentvolumeclaim=~"{"|".join(claims)}"'
    free = f"kubelet_volume_stats_available_bytes{{{volumes}}} / kubelet_volume_stats_capacity_bytes{{{volumes}}}"

    def alert(name: str, expr: str, wait: str, severity: str, *about: str) -> dict[str, Any]:
        summary, description = about
        return {
            "alert": name,
            "expr": expr,
            "for": wait,
            "labels": {"severity": severity},
            "annotations": {"summary": f"{namespace}/{service}: {summary}", "description": description},
        }

    rules = [
        alert(
            "PostgresDown",
            f"pg_up{{{server}}} == 0 or absent(up{{{server}}} == 1)",
            "2m",
            "critical",
            "the database is down",
            "The exporter cannot reach PostgreSQL, or Prometheus cannot scrape the exporter, for 2 minutes.",
        ),
        alert(
            "PostgresVolumeNearlyFull",
            f"{free} < {VOLUME_FREE_WARNING}",
            "15m",
            "warning",
            "a database volume is nearly full",
            f"{{{{ $labels.persistentvolumeclaim }}}} has less than {VOLUME_FREE_WARNING:.0%} free: grow it "
            "(dbStorageSize or dbBackupStorageSize) before it fills.",
        ),
        alert(
            "PostgresVolumeFull",
            f"{free} < {VOLUME_FREE_CRITICAL}",
            "5m",
            "critical",
            "a database volume is full",
            f"{{{{ $labels.persistentvolumeclaim }}}} has less than {VOLUME_FREE_CRITICAL:.0%} free: writes or "
            "backups are about to fail.",
        ),
    ]
    if cronjob is not None:
        job = f'namespace="{namespace}",cronjob="{cronjob}"'
        scheduled = f"kube_cronjob_status_last_schedule_time{{{job}}}"
        succeeded = f"kube_cronjob_status_last_successful_time{{{job}}}"
        rules += [
            alert(
                "PostgresBackupFailing",
                # The latest scheduled run has not succeeded (or no run ever has) an hour on.
                f"({scheduled} > on(namespace, cronjob) {succeeded}) or ({scheduled} unless on(namespace, cronjob) "
                f"{succeeded})",
                "1h",
                "warning",
                "the latest backup has not succeeded",
                f"The run of CronJob {cronjob} scheduled last has not completed successfully within an hour: "
                "see its Job's logs.",
            ),
            alert(
                "PostgresBackupStale",
                # No success for two schedule periods (a skipped or suspended schedule included).
                f"time() - {succeeded} > 2 * ({f'kube_cronjob_next_schedule_time{{{job}}}'} - {scheduled})",
                "10m",
                "critical",
                "no recent backup",
                f"CronJob {cronjob} has not written a verified dump for two of its schedule periods.",
            ),
        ]
    return {"groups": [{"name": f"{service}.database", "rules": rules}]}


def monitoring_objects(
    *,
    resource_name: str,
    metadata: k8s.meta.v1.ObjectMetaArgs,
    namespace: pulumi.Input[str],
    service: str,
    selector: Mapping[str, str],
    metrics: Metrics,
    claims: Sequence[str],
    cronjob: str | None,
    parent: pulumi.Resource,
) -> None:
    """The ServiceMonitor scraping the exporter and the PrometheusRule with the database's alerts."""
    opts = pulumi.ResourceOptions(parent=parent, depends_on=metrics.depends_on or None)
    service_monitor(
        f"{resource_name}-servicemonitor",
        metadata,
        selector,
        [{"port": "metrics", "interval": "30s", "scheme": "http"}],
        opts,
    )
    prometheus_rule(
        f"{resource_name}-alerts",
        metadata,
        pulumi.Output.from_input(namespace).apply(lambda ns: alert_rules(ns, service, claims, cronjob)),
        opts,
    )
