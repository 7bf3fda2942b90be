"""components/helm_release.py: one pinned Helm release, on recording mocks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.runtime import rpc

from components.helm_release import HelmRelease, HelmReleaseArgs, deep_merge, resolve_chart
from tests.harness import ROOT, Recorded, Recorder, synth

RELEASE = "kubernetes:helm.sh/v3:Release"
PROBE_CHART = ROOT / "tests" / "charts" / "webstack-probe"
REPO = "https://traefik.github.io/charts"


def _build(**args: Any) -> dict[str, Any]:
    full: dict[str, Any] = {"chart": "traefik", "namespace": "ingress", **args}
    if "repo" not in full and "path" not in full:
        full.update(repo=REPO, version="41.5.0")

    def build() -> dict[str, Any]:
        release = HelmRelease("traefik", HelmReleaseArgs(**full))  # type: ignore[typeddict-item]
        return {"name": release.name, "status": release.status, "namespace": release.namespace}

    return dict(synth(build))


def _release(mocks: Recorder) -> Recorded:
    return mocks.one(RELEASE)


def _unsecret(value: Any) -> Any:
    """A value as the chart sees it: the mocks hand a whole-secret input back in its envelope."""
    if isinstance(value, dict) and rpc._special_sig_key in value:
        return value["value"]
    return value


# --- chart sources --------------------------------------------------------------------------


def test_repo_chart_is_pinned_with_the_repository(mocks: Recorder) -> None:
    outputs = _build()
    inputs = _release(mocks).inputs
    assert inputs["chart"] == "traefik"
    assert inputs["version"] == "41.5.0"
    assert inputs["repositoryOpts"] == {"repo": REPO}
    assert outputs == {"name": "traefik", "status": "deployed", "namespace": "ingress"}


def test_oci_chart_appends_the_chart_name_and_sets_no_repository(mocks: Recorder) -> None:
    _build(chart="cert-manager", repo="oci://quay.io/jetstack/charts/", version="v1.21.2")
    inputs = _release(mocks).inputs
    assert inputs["chart"] == "oci://quay.io/jetstack/charts/cert-manager"
    assert inputs["version"] == "v1.21.2"
    assert "repositoryOpts" not in inputs


def test_local_chart_path_is_the_chart_and_its_chart_yaml_pins_the_version(mocks: Recorder) -> None:
    # GIVEN the test chart under tests/charts, used through the local-path option
    chart_yaml = yaml.safe_load((PROBE_CHART / "Chart.yaml").read_text())
    assert chart_yaml["apiVersion"] == "v2"
    assert chart_yaml["name"] == "webstack-probe"
    # WHEN it is released THEN the Release's chart is that path and the version is the chart's own
    _build(chart="webstack-probe", path=str(PROBE_CHART))
    inputs = _release(mocks).inputs
    assert inputs["chart"] == str(PROBE_CHART)
    assert Path(inputs["chart"], "Chart.yaml").is_file()
    assert inputs["version"] == chart_yaml["version"]
    assert "repositoryOpts" not in inputs


def test_local_chart_values_and_template_are_well_formed() -> None:
    values = yaml.safe_load((PROBE_CHART / "values.yaml").read_text())
    assert isinstance(values, dict)
    assert "message" in values
    template = (PROBE_CHART / "templates" / "configmap.yaml").read_text()
    assert "kind: ConfigMap" in template
    assert "{{ .Values.message | quote }}" in template


def test_local_chart_accepts_the_matching_pinned_version(mocks: Recorder) -> None:
    _build(chart="webstack-probe", path=str(PROBE_CHART), version="0.1.0")
    assert _release(mocks).inputs["version"] == "0.1.0"


# --- release options ------------------------------------------------------------------------


def test_release_defaults_name_cleanup_wait_timeout_and_history(mocks: Recorder) -> None:
    _build()
    inputs = _release(mocks).inputs
    assert inputs["name"] == "traefik"
    assert inputs["namespace"] == "ingress"
    assert inputs["createNamespace"] is False
    assert inputs["cleanupOnFail"] is True
    assert inputs["atomic"] is False
    assert inputs["skipAwait"] is False
    assert inputs["waitForJobs"] is True
    assert inputs["timeout"] == 600
    assert inputs["maxHistory"] == 10


def test_release_name_timeout_and_namespace_creation_can_be_set(mocks: Recorder) -> None:
    _build(release_name="edge", timeout=120, create_namespace=True, max_history=3)
    inputs = _release(mocks).inputs
    assert (inputs["name"], inputs["timeout"], inputs["createNamespace"], inputs["maxHistory"]) == (
        "edge",
        120,
        True,
        3,
    )


def test_release_is_parented_to_the_component(mocks: Recorder) -> None:
    _build()
    component = mocks.one("webstack:platform:HelmRelease")
    assert _release(mocks).parent == component.urn
    assert _release(mocks).name == "traefik-release"


# --- values ---------------------------------------------------------------------------------


def test_overrides_deep_merge_over_the_values(mocks: Recorder) -> None:
    _build(
        values={"deployment": {"replicas": 1, "kind": "Deployment"}, "ports": {"web": {"port": 8000}}},
        overrides={"deployment": {"replicas": 3}, "logs": {"level": "INFO"}},
    )
    assert _release(mocks).inputs["values"] == {
        "deployment": {"replicas": 3, "kind": "Deployment"},
        "ports": {"web": {"port": 8000}},
        "logs": {"level": "INFO"},
    }


def test_plain_values_are_not_secret(mocks: Recorder) -> None:
    _build(values={"a": 1})
    release = _release(mocks)
    assert release.secret_paths == []
    assert release.additional_secret_outputs == []


def test_secret_values_are_merged_and_keep_the_values_secret_in_state(mocks: Recorder) -> None:
    _build(values={"grafana": {"enabled": True}}, secret_values={"grafana": {"adminPassword": "s3cret"}})
    release = _release(mocks)
    assert _unsecret(release.inputs["values"]) == {"grafana": {"enabled": True, "adminPassword": "s3cret"}}
    assert "values" in release.secret_paths
    assert release.additional_secret_outputs == ["values"]


def test_deep_merge_replaces_lists_and_leaves_inputs_untouched() -> None:
    base = {"a": {"b": [1, 2], "c": 1}}
    merged = deep_merge(base, {"a": {"b": [3]}})
    assert merged == {"a": {"b": [3], "c": 1}}
    assert base == {"a": {"b": [1, 2], "c": 1}}


# --- errors ---------------------------------------------------------------------------------


def test_chart_with_neither_repo_nor_path_is_refused() -> None:
    with pytest.raises(ValueError, match=r"HelmRelease 'traefik': no chart source; set repo .* or path"):
        resolve_chart("traefik", "41.5.0", None, None)


def test_chart_with_both_repo_and_path_is_refused() -> None:
    with pytest.raises(ValueError, match=r"both repo .* and path .* are set"):
        resolve_chart("traefik", "41.5.0", REPO, str(PROBE_CHART))


def test_plain_http_repository_is_refused() -> None:
    with pytest.raises(ValueError, match=r"neither an https:// chart repository nor an oci:// registry"):
        resolve_chart("traefik", "41.5.0", "http://charts.example.com", None)


def test_repository_chart_without_version_is_refused() -> None:
    with pytest.raises(ValueError, match=r"HelmRelease 'traefik' version: not set; pin the exact chart version"):
        resolve_chart("traefik", None, REPO, None)


@pytest.mark.parametrize("loose", ["^41.0.0", "~41.5", "41.x", "*", "latest", "41.5", "41.5.0\n", "４1.5.0"])
def test_version_ranges_are_refused(loose: str) -> None:
    with pytest.raises(ValueError, match=r"is not an exact chart version; pin one released version"):
        resolve_chart("traefik", loose, REPO, None)


def test_missing_local_chart_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"path: .* is not a chart: no Chart.yaml there"):
        resolve_chart("traefik", None, None, str(tmp_path / "nope"))


def test_local_chart_with_another_version_than_pinned_is_refused() -> None:
    with pytest.raises(ValueError, match=r"is version 0.1.0, but 9.9.9 is pinned"):
        resolve_chart("webstack-probe", "9.9.9", None, str(PROBE_CHART))


def test_local_chart_without_version_in_chart_yaml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: broken\n")
    with pytest.raises(ValueError, match=r"has no name or version"):
        resolve_chart("broken", None, None, str(tmp_path))


def test_packaged_local_chart_needs_a_version(tmp_path: Path) -> None:
    package = tmp_path / "traefik-41.5.0.tgz"
    package.write_bytes(b"")
    with pytest.raises(ValueError, match=r"a packaged chart .* needs the version it holds; set version"):
        resolve_chart("traefik", None, None, str(package))
    assert resolve_chart("traefik", "41.5.0", None, str(package))["chart"] == str(package)


def test_release_name_longer_than_helm_allows_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"release_name: .* is longer than 53 characters"):
        _build(release_name="r" * 54)


def test_timeout_out_of_range_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"HelmRelease timeout: 5 is out of range"):
        _build(timeout=5)
