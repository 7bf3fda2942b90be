"""The shared object builders: secret-holding Secrets, ServiceMonitors and PrometheusRules."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.objects import opaque_secret, prometheus_rule, service_monitor
from tests.harness import Recorder, synth

META = k8s.meta.v1.ObjectMetaArgs(name="x", namespace="ns")


def test_opaque_secret_keeps_data_and_string_data_secret_in_state(mocks: Recorder) -> None:
    synth(lambda: opaque_secret("x", META, {"k": pulumi.Output.secret("v")}, pulumi.ResourceOptions()).metadata)
    secret = mocks.one("kubernetes:core/v1:Secret")
    assert secret.inputs["type"] == "Opaque"
    assert secret.secret_paths == ["stringData"]
    assert set(secret.additional_secret_outputs) == {"data", "stringData"}


def test_opaque_secret_keeps_the_options_it_is_given(mocks: Recorder) -> None:
    opts = pulumi.ResourceOptions(retain_on_delete=True)
    synth(lambda: opaque_secret("x", META, {"k": "v"}, opts).metadata)
    assert mocks.one("kubernetes:core/v1:Secret").retain_on_delete


def test_service_monitor_selects_by_labels_and_lists_the_endpoints(mocks: Recorder) -> None:
    endpoints = [{"port": "metrics", "interval": "30s"}]
    synth(lambda: service_monitor("x", META, {"a": "b"}, endpoints, pulumi.ResourceOptions()).metadata)
    monitor = mocks.one("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")
    assert monitor.inputs["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor.spec == {"selector": {"matchLabels": {"a": "b"}}, "endpoints": endpoints}


def test_prometheus_rule_carries_the_given_groups(mocks: Recorder) -> None:
    spec = {"groups": [{"name": "g", "rules": []}]}
    synth(lambda: prometheus_rule("x", META, spec, pulumi.ResourceOptions()).metadata)
    assert mocks.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule").spec == spec
