"""The postgres-exporter sidecar that PostgresDatabase adds with ``metrics``."""

from __future__ import annotations

from typing import NamedTuple, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

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


class Metrics(NamedTuple):
    image: str
    monitoring_namespace: str


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
    return Metrics(image, namespace)


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
