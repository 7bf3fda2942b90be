"""components/platform.py: the add-ons as pinned Helm releases, on recording mocks.

Also the ordering contract with ``WebApp``: custom resources wait for the release that installs
their CRDs, and nothing else waits for anything it does not need.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime import rpc

from components.platform import CHARTS, POD_SECURITY, Platform, PlatformArgs
from components.web_app import WebApp
from tests.harness import ROOT, STACKS, Recorded, Recorder, stack_config, synth
from webstack.settings import load_settings
from webstack.stack import build_stack

RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
CLUSTER_ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer"
SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SERVICE = "kubernetes:core/v1:Service"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
PASSWORD = "random:index/randomPassword:RandomPassword"
PROBE_CHART = str(ROOT / "tests" / "charts" / "webstack-probe")


def _build(**args: Any) -> Platform:
    box: dict[str, Platform] = {}

    def build() -> Any:
        box["platform"] = Platform("platform", PlatformArgs(**args))  # type: ignore[typeddict-item]
        return {addon: release.status for addon, release in box["platform"].releases.items()}

    synth(build)
    return box["platform"]


def _release(mocks: Recorder, addon: str) -> Recorded:
    return mocks.named(f"platform-{addon}-release")


def _values(release: Recorded) -> dict[str, Any]:
    values = release.inputs.get("values") or {}
    if rpc._special_sig_key in values:  # a whole-secret input comes back in its envelope
        values = values["value"]
    return dict(values)


# --- the default set ----------------------------------------------------------------------


def test_default_installs_traefik_cert_manager_and_monitoring(mocks: Recorder) -> None:
    platform = _build()
    assert sorted(platform.releases) == ["cert-manager", "kube-prometheus-stack", "traefik"]
    assert sorted(r.inputs["name"] for r in mocks.of_type(RELEASE)) == sorted(platform.releases)
    assert mocks.one("webstack:platform:Platform").name == "platform"


# What each release must install, written out: (chart input, version, repositoryOpts or None for OCI).
PINNED: dict[str, tuple[str, str, dict[str, str] | None]] = {
    "traefik": ("traefik", "41.5.0", {"repo": "https://traefik.github.io/charts"}),
    "ingress-nginx": ("ingress-nginx", "4.14.5", {"repo": "https://kubernetes.github.io/ingress-nginx"}),
    "cert-manager": ("oci://quay.io/jetstack/charts/cert-manager", "v1.21.2", None),
    "kube-prometheus-stack": (
        "kube-prometheus-stack",
        "89.2.3",
        {"repo": "https://prometheus-community.github.io/helm-charts"},
    ),
}


def _source(release: Any) -> tuple[str, str, dict[str, str] | None]:
    inputs = release.inputs
    return inputs["chart"], inputs["version"], inputs.get("repositoryOpts")


@pytest.mark.parametrize("addon", ["traefik", "cert-manager", "kube-prometheus-stack"])
def test_releases_use_the_pinned_chart_version_and_source(mocks: Recorder, addon: str) -> None:
    _build()
    assert _source(_release(mocks, addon)) == PINNED[addon]


def test_ingress_nginx_release_uses_its_pinned_chart_version_and_source(mocks: Recorder) -> None:
    _build(ingress_controller="ingress-nginx", ingress_class_name="nginx")
    assert _source(_release(mocks, "ingress-nginx")) == PINNED["ingress-nginx"]


def test_pins_are_exact_released_versions() -> None:
    assert {addon: pin["version"] for addon, pin in CHARTS.items()} == {
        "traefik": "41.5.0",
        "ingress-nginx": "4.14.5",
        "cert-manager": "v1.21.2",
        "kube-prometheus-stack": "89.2.3",
    }
    assert CHARTS["cert-manager"]["repo"] == "oci://quay.io/jetstack/charts"


@pytest.mark.parametrize(
    ("addon", "namespace", "level"),
    [("traefik", "ingress", "restricted"), ("cert-manager", "cert-manager", "restricted"),
     ("kube-prometheus-stack", "monitoring", "privileged")],
)  # fmt: skip
def test_each_addon_gets_its_own_labelled_namespace(mocks: Recorder, addon: str, namespace: str, level: str) -> None:
    _build()
    ns = mocks.named(f"platform-{addon}-ns")
    labels = ns.metadata["labels"]
    assert ns.metadata["name"] == namespace
    assert labels["kubernetes.io/metadata.name"] == namespace
    assert labels["pod-security.kubernetes.io/enforce"] == level == POD_SECURITY[addon]
    assert labels["pod-security.kubernetes.io/warn"] == level
    release = _release(mocks, addon)
    assert release.inputs["namespace"] == namespace
    assert release.inputs["createNamespace"] is False
    assert ns.urn in release.dependencies


def test_namespaces_can_be_renamed(mocks: Recorder) -> None:
    platform = _build(ingress_namespace="edge", cert_manager_namespace="certs", monitoring_namespace="obs")
    assert sorted(r.metadata["name"] for r in mocks.of_type(NAMESPACE)) == ["certs", "edge", "obs"]
    assert (platform.ingress_namespace, platform.monitoring_namespace) == ("edge", "obs")


# --- values webstack chooses ----------------------------------------------------------------


def test_traefik_redirects_http_to_https_at_the_entry_point(mocks: Recorder) -> None:
    platform = _build()
    values = _values(_release(mocks, "traefik"))
    assert values["ports"]["web"]["http"]["redirections"]["entryPoint"] == {
        "to": "websecure",
        "scheme": "https",
        "permanent": True,
    }
    assert values["ingressClass"] == {"enabled": True, "isDefaultClass": False, "name": "traefik"}
    # The chart already runs the pod with RuntimeDefault seccomp as non-root: nothing of ours overrides that.
    assert "podSecurityContext" not in values
    assert (platform.ingress_controller, platform.ingress_class_name) == ("traefik", "traefik")


def test_ingress_nginx_is_selectable_with_its_class_and_redirect(mocks: Recorder) -> None:
    platform = _build(ingress_controller="ingress-nginx")
    assert "traefik" not in platform.releases
    release = _release(mocks, "ingress-nginx")
    assert release.inputs["chart"] == "ingress-nginx"
    assert release.inputs["version"] == "4.14.5"
    controller = _values(release)["controller"]
    assert controller["ingressClassResource"]["name"] == controller["ingressClass"] == "nginx"
    assert controller["config"]["ssl-redirect"] == "true"
    assert mocks.named("platform-ingress-nginx-ns").metadata["labels"]["pod-security.kubernetes.io/enforce"] == (
        "restricted"
    )
    assert platform.ingress_class_name == "nginx"


def test_cert_manager_installs_its_crds(mocks: Recorder) -> None:
    _build()
    assert _values(_release(mocks, "cert-manager"))["crds"] == {"enabled": True, "keep": True}


def test_kube_prometheus_stack_upgrades_its_crds_with_each_chart_bump_from_a_pinned_image(mocks: Recorder) -> None:
    _build()
    job = _values(_release(mocks, "kube-prometheus-stack"))["crds"]["upgradeJob"]
    assert job["enabled"] is True
    assert job["image"]["busybox"]["tag"] == "1.37.0"


def test_prometheus_selects_the_label_platform_hands_out(mocks: Recorder) -> None:
    platform = _build()
    spec = _values(_release(mocks, "kube-prometheus-stack"))["prometheus"]["prometheusSpec"]
    assert spec["serviceMonitorSelector"] == {"matchLabels": platform.service_monitor_labels}
    assert spec["ruleSelector"] == {"matchLabels": platform.service_monitor_labels}
    assert spec["serviceMonitorNamespaceSelector"] == {}
    assert platform.service_monitor_labels == {"release": "kube-prometheus-stack"}


def test_grafana_password_is_generated_and_the_release_values_are_secret(mocks: Recorder) -> None:
    _build()
    release = _release(mocks, "kube-prometheus-stack")
    password = mocks.one(PASSWORD)
    assert password.inputs["length"] == 24
    assert _values(release)["grafana"]["adminPassword"] == "mock-generated-password-Zq8v"
    assert "values" in release.secret_paths
    assert release.additional_secret_outputs == ["values"]


def test_grafana_password_can_be_given(mocks: Recorder) -> None:
    _build(grafana_admin_password="given-password")
    assert mocks.of_type(PASSWORD) == []
    assert _values(_release(mocks, "kube-prometheus-stack"))["grafana"]["adminPassword"] == "given-password"


def test_other_releases_hold_no_secrets(mocks: Recorder) -> None:
    _build()
    for addon in ("traefik", "cert-manager"):
        assert _release(mocks, addon).secret_paths == []


def test_stack_overrides_merge_over_the_values(mocks: Recorder) -> None:
    _build(overrides={"traefik": {"deployment": {"replicas": 2}, "ingressClass": {"isDefaultClass": True}}})
    values = _values(_release(mocks, "traefik"))
    assert values["deployment"] == {"replicas": 2}
    assert values["ingressClass"] == {"enabled": True, "isDefaultClass": True, "name": "traefik"}


def test_timeout_reaches_every_release(mocks: Recorder) -> None:
    _build(timeout=900)
    assert {r.inputs["timeout"] for r in mocks.of_type(RELEASE)} == {900}


# --- local charts (air-gapped clusters, tests) ----------------------------------------------


def test_chart_path_installs_an_addon_from_the_local_test_chart(mocks: Recorder) -> None:
    _build(chart_paths={"cert-manager": PROBE_CHART})
    inputs = _release(mocks, "cert-manager").inputs
    assert inputs["chart"] == PROBE_CHART
    assert inputs["version"] == "0.1.0"
    assert "repositoryOpts" not in inputs
    assert _release(mocks, "traefik").inputs["chart"] == "traefik"


def test_charts_dir_points_every_addon_at_a_local_copy(mocks: Recorder, tmp_path: Path) -> None:
    # GIVEN a mirror directory with one chart per add-on (copies of the test chart stand in)
    for addon in ("traefik", "cert-manager", "kube-prometheus-stack"):
        shutil.copytree(PROBE_CHART, tmp_path / addon)
    _build(charts_dir=str(tmp_path))
    for addon in ("traefik", "cert-manager", "kube-prometheus-stack"):
        inputs = _release(mocks, addon).inputs
        assert inputs["chart"] == f"{tmp_path}/{addon}"
        assert inputs["version"] == "0.1.0"
        assert "repositoryOpts" not in inputs


def test_charts_dir_without_the_chart_is_refused(mocks: Recorder, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"HelmRelease 'traefik' path: .*/traefik' is not a chart"):
        _build(charts_dir=str(tmp_path))


# --- switches -----------------------------------------------------------------------------


def test_every_addon_can_be_switched_off(mocks: Recorder) -> None:
    platform = _build(install_ingress_controller=False, cert_manager=False, monitoring=False, issuers=[])
    assert platform.releases == {}
    assert mocks.of_type(RELEASE) == mocks.of_type(NAMESPACE) == mocks.of_type(CLUSTER_ISSUER) == []
    assert platform.monitoring_release is None
    assert platform.cert_manager_release is None


@pytest.mark.parametrize("off", ["install_ingress_controller", "cert_manager", "monitoring"])
def test_switching_one_addon_off_keeps_the_others(mocks: Recorder, off: str) -> None:
    platform = _build(**{off: False})
    assert len(platform.releases) == 2


# --- ClusterIssuers and ordering ------------------------------------------------------------


def test_selfsigned_issuer_waits_for_the_cert_manager_release_only(mocks: Recorder) -> None:
    _build()
    issuer = mocks.one(CLUSTER_ISSUER)
    assert issuer.metadata["name"] == "selfsigned"
    assert issuer.spec == {"selfSigned": {}}
    assert issuer.dependencies == [_release(mocks, "cert-manager").urn]


@pytest.mark.parametrize(
    ("issuer", "server"),
    [
        ("letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory"),
        ("letsencrypt-prod", "https://acme-v02.api.letsencrypt.org/directory"),
    ],
)
def test_lets_encrypt_issuers_use_acme_http01_through_the_ingress_class(
    mocks: Recorder, issuer: str, server: str
) -> None:
    _build(issuers=[issuer], acme_email="ops@example.com", ingress_controller="ingress-nginx")
    acme = mocks.one(CLUSTER_ISSUER).spec["acme"]
    assert acme["server"] == server
    assert acme["email"] == "ops@example.com"
    assert acme["privateKeySecretRef"] == {"name": f"{issuer}-account-key"}
    assert acme["solvers"] == [{"http01": {"ingress": {"ingressClassName": "nginx"}}}]


def test_issuers_without_cert_manager_here_wait_for_nothing(mocks: Recorder) -> None:
    _build(cert_manager=False)
    assert mocks.one(CLUSTER_ISSUER).dependencies == []


def test_releases_do_not_wait_for_each_other(mocks: Recorder) -> None:
    _build()
    releases = {r.urn for r in mocks.of_type(RELEASE)}
    for release in mocks.of_type(RELEASE):
        assert not releases & set(release.dependencies), f"{release.name} waits for another release"
        kinds = {mocks.by_urn(urn).typ for urn in release.dependencies}
        assert kinds <= {NAMESPACE, PASSWORD}, f"{release.name} waits for {kinds}"


def _platform_and_app(mocks: Recorder, **metrics: Any) -> Platform:
    box: dict[str, Platform] = {}

    def build() -> Any:
        platform = Platform("platform", PlatformArgs())
        box["platform"] = platform
        release = platform.monitoring_release
        assert release is not None
        app = WebApp(
            "web",
            {
                "namespace": "team-a",
                "image": "ghcr.io/org/app:1.4.2",
                "ingress_namespace": platform.ingress_namespace,
                "metrics": {
                    "labels": platform.service_monitor_labels,
                    "namespace": platform.monitoring_namespace,
                    "depends_on": [release],
                    **metrics,
                },
            },
        )
        return app.url

    synth(build)
    return box["platform"]


def test_app_service_monitor_waits_for_the_monitoring_release_and_carries_its_label(mocks: Recorder) -> None:
    platform = _platform_and_app(mocks)
    monitor = mocks.one(SERVICE_MONITOR)
    release = _release(mocks, "kube-prometheus-stack")
    assert release.urn in monitor.dependencies
    assert monitor.metadata["labels"]["release"] == "kube-prometheus-stack"
    assert monitor.metadata["labels"].items() >= platform.service_monitor_labels.items()
    assert monitor.spec["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s", "scheme": "http"}]
    assert monitor.spec["selector"]["matchLabels"]["app.kubernetes.io/name"] == "web"
    rule = mocks.one(PROMETHEUS_RULE)
    assert release.urn in rule.dependencies
    assert rule.metadata["labels"]["release"] == "kube-prometheus-stack"
    alert = rule.spec["groups"][0]["rules"][0]
    assert alert["alert"] == "WebAppDown"
    assert alert["expr"] == 'absent(up{job="web",namespace="team-a"} == 1)'


def test_only_the_custom_resources_wait_for_the_monitoring_release(mocks: Recorder) -> None:
    _platform_and_app(mocks)
    release = _release(mocks, "kube-prometheus-stack").urn
    waiting = sorted(r.typ for r in mocks.resources if release in r.dependencies)
    assert waiting == sorted([SERVICE_MONITOR, PROMETHEUS_RULE])


def test_separate_metrics_port_is_named_exposed_and_admitted_from_monitoring(mocks: Recorder) -> None:
    _platform_and_app(mocks, port=9090, path="/stats")
    [container] = mocks.one(DEPLOYMENT).spec["template"]["spec"]["containers"]
    assert {"name": "metrics", "containerPort": 9090, "protocol": "TCP"} in container["ports"]
    service_ports = mocks.one(SERVICE).spec["ports"]
    assert {"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"} in service_ports
    assert mocks.one(SERVICE_MONITOR).spec["endpoints"][0]["port"] == "metrics"
    assert mocks.one(SERVICE_MONITOR).spec["endpoints"][0]["path"] == "/stats"
    policy = mocks.named("web-allow-metrics")
    [rule] = policy.spec["ingress"]
    assert rule["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "monitoring"}
    assert rule["ports"] == [{"port": "metrics", "protocol": "TCP"}]
    assert mocks.named("web-allow-ingress").spec["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "ingress"
    }


def test_alerts_can_be_switched_off(mocks: Recorder) -> None:
    _platform_and_app(mocks, alerts=False)
    assert mocks.of_type(PROMETHEUS_RULE) == []
    assert len(mocks.of_type(SERVICE_MONITOR)) == 1


@pytest.mark.parametrize("interval", ["30 seconds", "30s\n", "３0s"])
def test_bad_metrics_interval_is_refused(mocks: Recorder, interval: str) -> None:
    with pytest.raises(ValueError, match=rf"WebApp metrics.interval: {re.escape(repr(interval))} is not a duration"):
        _platform_and_app(mocks, interval=interval)


# --- errors -------------------------------------------------------------------------------


def test_unknown_issuer_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"Platform issuers: 'vault' is not a known ClusterIssuer; use"):
        _build(issuers=["vault"])


@pytest.mark.parametrize("issuer", ["letsencrypt-staging", "letsencrypt-prod"])
def test_lets_encrypt_without_acme_email_is_refused(mocks: Recorder, issuer: str) -> None:
    with pytest.raises(ValueError, match=rf"Platform acme_email: not set, but the Let's Encrypt issuer '{issuer}'"):
        _build(issuers=[issuer])


def test_acme_email_that_is_no_address_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"Platform acme_email: 'ops' is not an email address"):
        _build(issuers=["letsencrypt-prod"], acme_email="ops")


def test_duplicate_issuer_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"'selfsigned' is listed twice"):
        _build(issuers=["selfsigned", "selfsigned"])


def test_shared_addon_namespace_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"'infra' is used by both cert-manager and kube-prometheus-stack"):
        _build(cert_manager_namespace="infra", monitoring_namespace="infra")


def test_unknown_addon_in_chart_paths_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"Platform chart_paths: 'nginx' is not an add-on"):
        _build(chart_paths={"nginx": PROBE_CHART})


def test_unknown_controller_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"Platform ingress_controller: 'contour' is not one of"):
        _build(ingress_controller="contour")


# --- per stack: the Release inputs each stack file produces --------------------------------


def _stack(stack: str) -> dict[str, Any]:
    settings = load_settings(stack_config(stack), stack)
    return dict(synth(lambda: build_stack(settings)))


EXPECTED_ADDONS = {
    "dev": ["cert-manager", "traefik"],
    "staging": ["cert-manager", "kube-prometheus-stack", "traefik"],
    "prod": ["cert-manager", "kube-prometheus-stack", "traefik"],
}
EXPECTED_ISSUER = {"dev": "selfsigned", "staging": "letsencrypt-staging", "prod": "letsencrypt-prod"}


@pytest.mark.parametrize("stack", STACKS)
def test_stack_releases_chart_version_source_and_values(mocks: Recorder, stack: str) -> None:
    _stack(stack)
    releases = {r.inputs["name"]: r for r in mocks.of_type(RELEASE)}
    assert sorted(releases) == EXPECTED_ADDONS[stack]
    for addon, release in releases.items():
        assert _source(release) == PINNED[addon]
    traefik = _values(releases["traefik"])
    assert traefik["ports"]["web"]["http"]["redirections"]["entryPoint"]["to"] == "websecure"
    assert _values(releases["cert-manager"])["crds"]["enabled"] is True
    if "kube-prometheus-stack" in releases:
        assert "values" in releases["kube-prometheus-stack"].secret_paths


def test_prod_traefik_runs_two_replicas_with_a_disruption_budget(mocks: Recorder) -> None:
    _stack("prod")
    values = _values(mocks.named("platform-traefik-release"))
    assert values["deployment"] == {"replicas": 2}
    assert values["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1}


@pytest.mark.parametrize("stack", STACKS)
def test_stack_ingress_uses_the_environment_issuer_and_the_url_is_https(mocks: Recorder, stack: str) -> None:
    outputs = _stack(stack)
    ingress = mocks.one("kubernetes:networking.k8s.io/v1:Ingress")
    host = stack_config(stack)["ingressHosts"][0]
    assert ingress.metadata["annotations"]["cert-manager.io/cluster-issuer"] == EXPECTED_ISSUER[stack]
    assert [r.metadata["name"] for r in mocks.of_type(CLUSTER_ISSUER)] == [EXPECTED_ISSUER[stack]]
    assert mocks.one(CLUSTER_ISSUER).dependencies == [mocks.named("platform-cert-manager-release").urn]
    assert outputs["url"] == f"https://{host}/"


@pytest.mark.parametrize("stack", STACKS)
def test_stack_service_monitor_only_where_metrics_are_on(mocks: Recorder, stack: str) -> None:
    _stack(stack)
    monitors = [r for r in mocks.of_type(SERVICE_MONITOR) if "webstack:app:WebApp" in r.parent]
    if not stack_config(stack).get("metricsEnabled"):
        assert monitors == []
        return
    [monitor] = monitors
    assert monitor.metadata["labels"]["release"] == "kube-prometheus-stack"
    assert mocks.named("platform-kube-prometheus-stack-release").urn in monitor.dependencies
