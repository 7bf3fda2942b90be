"""components/helm_release.py with the ``chart`` mechanism: a helm.v4.Chart, every object a Pulumi resource."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime import rpc

from components.helm_release import HelmRelease, HelmReleaseArgs
from tests.components.test_helm_release import RELEASE, REPO, _build
from tests.harness import ROOT, Recorder

CHART = "kubernetes:helm.sh/v4:Chart"
PROBE_CHART = str(ROOT / "tests" / "charts" / "webstack-probe")


def test_release_is_the_default_mechanism(mocks: Recorder) -> None:
    _build()
    assert len(mocks.of_type(RELEASE)) == 1
    assert mocks.of_type(CHART) == []


def test_chart_mechanism_registers_a_v4_chart_with_the_pin_and_no_release(mocks: Recorder) -> None:
    outputs = _build(mechanism="chart", values={"a": 1}, overrides={"b": 2})
    assert mocks.of_type(RELEASE) == []
    chart = mocks.one(CHART)
    assert chart.parent == mocks.one("webstack:platform:HelmRelease").urn
    assert chart.inputs["chart"] == "traefik"
    assert chart.inputs["version"] == "41.5.0"
    assert chart.inputs["repositoryOpts"] == {"repo": REPO}
    assert chart.inputs["name"] == "traefik"
    assert chart.inputs["namespace"] == "ingress"
    assert chart.inputs["values"] == {"a": 1, "b": 2}
    assert outputs["status"] == "deployed"


def test_chart_mechanism_takes_a_local_chart_pinned_by_its_chart_yaml(mocks: Recorder) -> None:
    _build(chart="webstack-probe", path=PROBE_CHART, mechanism="chart")
    chart = mocks.one(CHART)
    assert chart.inputs["chart"] == PROBE_CHART
    assert chart.inputs["version"] == "0.1.0"
    assert "repositoryOpts" not in chart.inputs


def test_chart_mechanism_keeps_secret_values_secret(mocks: Recorder) -> None:
    _build(mechanism="chart", secret_values={"grafana": {"adminPassword": "s3cret"}})
    values = mocks.one(CHART).inputs["values"]
    # The whole values input travels as a secret: nothing of it is plain in the state.
    assert values[rpc._special_sig_key] == rpc._special_secret_sig


def test_chart_mechanism_waits_for_depends_on(mocks: Recorder) -> None:
    import pulumi_kubernetes as k8s

    from tests.harness import synth

    def build() -> Any:
        crds = k8s.core.v1.ConfigMap("crds-stand-in")
        release = HelmRelease(
            "traefik",
            HelmReleaseArgs(
                chart="traefik", namespace="ingress", repo=REPO, version="41.5.0", mechanism="chart", depends_on=[crds]
            ),
        )
        return release.status

    synth(build)
    assert mocks.one("kubernetes:core/v1:ConfigMap").urn in mocks.one(CHART).dependencies


def test_unknown_mechanism_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"^HelmRelease mechanism: 'kustomize'"):
        HelmRelease(
            "traefik",
            HelmReleaseArgs(chart="traefik", namespace="i", repo=REPO, version="1.0.0", mechanism="kustomize"),
        )
    assert [r for r in mocks.resources if not r.typ.startswith("webstack:")] == []
