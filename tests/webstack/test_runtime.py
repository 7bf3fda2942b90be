"""Render mode and the bundled local cluster: switched at the edge, visible in what is registered."""

from __future__ import annotations

import pytest

from tests.harness import Recorder, stack_config, synth
from webstack.config.runtime import LOCAL_APP_IMAGE_ENV, LOCAL_CLUSTER_ENV, LOCAL_STAND_IN_CHART, RENDER_ENV
from webstack.config.spec import ConfigError
from webstack.settings import load_settings
from webstack.stack import build_stack

RELEASE = "kubernetes:helm.sh/v3:Release"
CUSTOM = "kubernetes:cert-manager.io/v1:ClusterIssuer"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"


def _build(stack: str, environ: dict[str, str], **config: object) -> None:
    settings = load_settings({**stack_config(stack), **config}, stack, environ=environ)
    synth(lambda: build_stack(settings)["url"])


def test_runtime_defaults_to_applying_to_a_cluster() -> None:
    settings = load_settings(stack_config("dev"), "dev")
    assert settings.runtime.render_dir is None
    assert settings.runtime.local_cluster is False


def test_render_dir_comes_from_config_and_the_environment_overrides_it() -> None:
    from_config = load_settings({**stack_config("dev"), "renderYamlTo": "out/a"}, "dev")
    from_env = load_settings({**stack_config("dev"), "renderYamlTo": "out/a"}, "dev", environ={RENDER_ENV: "out/b"})
    assert from_config.runtime.render_dir == "out/a"
    assert from_env.runtime.render_dir == "out/b"


def test_a_local_cluster_switch_that_is_not_a_switch_is_refused() -> None:
    with pytest.raises(ConfigError, match=f"{LOCAL_CLUSTER_ENV}: 'yes please' is not a switch; use 1 or 0"):
        load_settings(stack_config("dev"), "dev", environ={LOCAL_CLUSTER_ENV: "yes please"})


def test_render_mode_points_the_provider_at_the_folder_and_skips_helm_releases(mocks: Recorder) -> None:
    _build("staging", {RENDER_ENV: "/tmp/rendered"})
    assert mocks.one("pulumi:providers:kubernetes").inputs["renderYamlToDirectory"] == "/tmp/rendered"
    assert mocks.of_type(RELEASE) == []
    # Plain objects still render, custom resources included.
    assert mocks.of_type(CUSTOM)
    assert mocks.of_type(INGRESS)


def test_render_mode_has_one_provider_and_nothing_to_adopt(mocks: Recorder) -> None:
    _build("prod", {RENDER_ENV: "/tmp/rendered"})
    assert [p.name for p in mocks.of_type("pulumi:providers:kubernetes")] == ["k8s"]


def test_render_mode_ignores_a_kubeconfig_in_the_environment(mocks: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a developer's KUBECONFIG WHEN rendering THEN the provider gets none: the SDK would fill it
    # in from the environment, and the provider refuses a kubeconfig next to renderYamlToDirectory.
    monkeypatch.setenv("KUBECONFIG", "/home/dev/.kube/config")
    _build("dev", {RENDER_ENV: "/tmp/rendered"})
    assert mocks.one("pulumi:providers:kubernetes").inputs.get("kubeconfig", "") == ""


def test_a_cluster_deployment_reads_the_kubeconfig_of_the_environment(
    mocks: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", "/home/dev/.kube/config")
    _build("dev", {})
    providers = mocks.of_type("pulumi:providers:kubernetes")
    # Both the stack's provider and the adoption provider: one cluster.
    assert sorted(p.name for p in providers) == ["k8s", "k8s-adopt"]
    assert {p.inputs["kubeconfig"] for p in providers} == {"/home/dev/.kube/config"}


def test_local_cluster_installs_the_stand_in_chart_and_switches_off_what_needs_the_internet(mocks: Recorder) -> None:
    _build("dev", {LOCAL_CLUSTER_ENV: "1"}, platformMonitoring=True, metricsEnabled=True)
    releases = mocks.of_type(RELEASE)
    assert [r.inputs["chart"] for r in releases] == [LOCAL_STAND_IN_CHART]
    assert mocks.of_type(CUSTOM) == []
    assert [r for r in mocks.resources if "ServiceMonitor" in r.typ] == []
    assert mocks.one(INGRESS).metadata["annotations"]["pulumi.com/skipAwait"] == "true"


def test_a_real_cluster_gets_the_pinned_charts_and_waits_for_the_ingress(mocks: Recorder) -> None:
    _build("dev", {})
    assert all(r.inputs["chart"] != LOCAL_STAND_IN_CHART for r in mocks.of_type(RELEASE))
    assert "pulumi.com/skipAwait" not in mocks.one(INGRESS).metadata["annotations"]


DEMO = "127.0.0.1:5000/webstack/demo:1.0.0"


def test_the_demo_app_replaces_the_stack_files_app_on_the_bundled_cluster() -> None:
    settings = load_settings(stack_config("dev"), "dev", environ={LOCAL_CLUSTER_ENV: "1", LOCAL_APP_IMAGE_ENV: DEMO})
    # The demo app's own contract (demo/main.go), not the stack file's podinfo values.
    assert (settings.app.image, settings.app.port) == (DEMO, 8080)
    assert (settings.app.health_path, settings.app.ready_path) == ("/health", "/ready")


def test_without_the_demo_image_the_bundled_cluster_runs_the_stack_files_app() -> None:
    settings = load_settings(stack_config("dev"), "dev", environ={LOCAL_CLUSTER_ENV: "1"})
    assert (settings.app.image, settings.app.port) == ("ghcr.io/stefanprodan/podinfo:6.7.1", 9898)


def test_the_demo_image_outside_the_bundled_cluster_is_refused() -> None:
    with pytest.raises(ConfigError, match=f"{LOCAL_APP_IMAGE_ENV}: set without {LOCAL_CLUSTER_ENV}=1"):
        load_settings(stack_config("dev"), "dev", environ={LOCAL_APP_IMAGE_ENV: DEMO})


def test_demo_image_without_the_local_cluster_is_listed_with_the_other_problems() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**stack_config("dev"), "appReplicas": 0}, "dev", environ={LOCAL_APP_IMAGE_ENV: DEMO})
    assert [p.split(":")[0] for p in caught.value.problems] == [LOCAL_APP_IMAGE_ENV, "webstack"]
    assert caught.value.problems[1].startswith("webstack:appReplicas: 0 is out of range")
