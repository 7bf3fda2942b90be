"""Kubernetes objects several components build the same way: secret-holding Secrets and the
Prometheus Operator's ServiceMonitor and PrometheusRule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

MONITORING_API_VERSION = "monitoring.coreos.com/v1"
# The label kube-prometheus-stack's Prometheus selects ServiceMonitors and PrometheusRules by.
DEFAULT_MONITOR_LABELS = {"release": "kube-prometheus-stack"}


def opaque_secret(
    resource_name: str,
    metadata: k8s.meta.v1.ObjectMetaArgs,
    string_data: Mapping[str, pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.Secret:
    """An Opaque Secret whose ``data`` and ``stringData`` are Pulumi secrets in state and outputs."""
    return k8s.core.v1.Secret(
        resource_name,
        metadata=metadata,
        type="Opaque",
        string_data=dict(string_data),
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=["data", "stringData"])
        ),
    )


def service_monitor(
    resource_name: str,
    metadata: k8s.meta.v1.ObjectMetaArgs,
    selector: Mapping[str, str],
    endpoints: Sequence[Mapping[str, Any]],
    opts: pulumi.ResourceOptions,
) -> k8s.apiextensions.CustomResource:
    """A ServiceMonitor scraping the named ports of the Services matching ``selector``."""
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=MONITORING_API_VERSION,
        kind="ServiceMonitor",
        metadata=metadata,
        spec={"selector": {"matchLabels": dict(selector)}, "endpoints": [dict(e) for e in endpoints]},
        opts=opts,
    )


def prometheus_rule(
    resource_name: str,
    metadata: k8s.meta.v1.ObjectMetaArgs,
    spec: pulumi.Input[Mapping[str, Any]],
    opts: pulumi.ResourceOptions,
) -> k8s.apiextensions.CustomResource:
    """A PrometheusRule: ``spec`` holds its alert groups."""
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=MONITORING_API_VERSION,
        kind="PrometheusRule",
        metadata=metadata,
        spec=spec,
        opts=opts,
    )
