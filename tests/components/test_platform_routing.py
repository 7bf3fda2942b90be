"""components/platform.py with a Gateway: Traefik's Gateway provider, cert-manager's Gateway
support, the Gateway API CRDs and the ACME solver, on recording mocks; and the stack's routing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.platform import GATEWAY_API_CRDS_URL, GATEWAY_API_VERSION, Platform, PlatformArgs
from tests.components.test_platform import CLUSTER_ISSUER, _build, _release, _values
from tests.harness import Recorder, stack_config, synth
from webstack.settings import load_settings
from webstack.stack import build_stack

CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ACME_GATEWAY = {"name": "web", "namespace": "team-a"}


# --- ingress (the default) ------------------------------------------------------------------


def test_default_routing_is_ingress_without_gateway_parts(mocks: Recorder) -> None:
    platform = _build()
    values = _values(_release(mocks, "traefik"))
    assert "providers" not in values
    assert "gatewayClass" not in values
    assert "config" not in _values(_release(mocks, "cert-manager"))
    assert mocks.of_type(CONFIG_GROUP) == []
    assert platform.gateway_api_crds is None


# --- gateway ----------------------------------------------------------------------------------


def test_gateway_switches_on_traefiks_provider_and_class_but_not_its_own_gateway(mocks: Recorder) -> None:
    _build(routing="gateway")
    values = _values(_release(mocks, "traefik"))
    assert values["providers"] == {"kubernetesGateway": {"enabled": True}}
    assert values["gatewayClass"] == {"enabled": True, "name": "traefik"}
    assert values["gateway"] == {"enabled": False}


def test_gateway_class_name_reaches_the_chart(mocks: Recorder) -> None:
    _build(routing="gateway", gateway_class_name="public")
    assert _values(_release(mocks, "traefik"))["gatewayClass"]["name"] == "public"


def test_gateway_alone_leaves_the_redirect_to_the_gateway_route(mocks: Recorder) -> None:
    # An entry-point redirect would shadow the ACME HTTP-01 route on the Gateway's HTTP listener.
    _build(routing="gateway")
    assert "ports" not in _values(_release(mocks, "traefik"))


def test_both_keeps_the_entry_point_redirect_for_the_ingress(mocks: Recorder) -> None:
    _build(routing="both")
    values = _values(_release(mocks, "traefik"))
    assert values["ports"]["web"]["http"]["redirections"]["entryPoint"]["scheme"] == "https"
    assert values["providers"] == {"kubernetesGateway": {"enabled": True}}


@pytest.mark.parametrize("routing", ["gateway", "both"])
def test_cert_manager_gateway_support_is_switched_on(mocks: Recorder, routing: str) -> None:
    _build(routing=routing)
    assert _values(_release(mocks, "cert-manager"))["config"] == {
        "apiVersion": "controller.config.cert-manager.io/v1alpha1",
        "kind": "ControllerConfiguration",
        "gatewayAPI": {"enabled": True},
    }


def test_gateway_api_crds_are_the_pinned_standard_release_kept_on_destroy(mocks: Recorder) -> None:
    platform = _build(routing="gateway")
    crds = mocks.one(CONFIG_GROUP)
    assert crds.inputs["files"] == [GATEWAY_API_CRDS_URL]
    assert GATEWAY_API_CRDS_URL.endswith(f"/{GATEWAY_API_VERSION}/standard-install.yaml")
    assert crds.retain_on_delete
    assert platform.gateway_api_crds is not None


CRD = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: %s}\n"


def test_gateway_api_crds_from_a_local_folder_are_its_crd_files(mocks: Recorder, tmp_path: Path) -> None:
    (tmp_path / "b_gateways.yaml").write_text(CRD % "gateways.gateway.networking.k8s.io")
    (tmp_path / "a_httproutes.yaml").write_text(CRD % "httproutes.gateway.networking.k8s.io")
    # The release's ValidatingAdmissionPolicy: not a CRD, left out (render mode cannot place it).
    vap = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: x}\n"
    (tmp_path / "c_vap.yaml").write_text(vap)
    (tmp_path / "notes.txt").write_text("not yaml")
    _build(routing="gateway", gateway_api_crds_source=str(tmp_path))
    files = mocks.one(CONFIG_GROUP).inputs["files"]
    assert files == [str(tmp_path / "a_httproutes.yaml"), str(tmp_path / "b_gateways.yaml")]


def test_gateway_api_crds_folder_without_crds_is_refused(mocks: Recorder, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^Platform gateway_api_crds_source: .* is neither an https URL nor a folder"):
        Platform("platform", PlatformArgs(routing="gateway", gateway_api_crds_source=str(tmp_path)))
    assert [r for r in mocks.resources if not r.typ.startswith("webstack:")] == []


def test_gateway_api_crds_can_be_left_to_the_cluster(mocks: Recorder) -> None:
    platform = _build(routing="gateway", gateway_api_crds=False)
    assert mocks.of_type(CONFIG_GROUP) == []
    assert platform.gateway_api_crds is None
    assert not any("ConfigGroup" in urn for urn in _release(mocks, "traefik").dependencies)


@pytest.mark.parametrize("addon", ["traefik", "cert-manager"])
def test_traefik_and_cert_manager_wait_for_the_crds(mocks: Recorder, addon: str) -> None:
    _build(routing="gateway")
    assert mocks.one(CONFIG_GROUP).urn in _release(mocks, addon).dependencies


def test_monitoring_does_not_wait_for_the_crds(mocks: Recorder) -> None:
    _build(routing="gateway")
    assert mocks.one(CONFIG_GROUP).urn not in _release(mocks, "kube-prometheus-stack").dependencies


def test_lets_encrypt_with_gateway_solves_http01_through_the_apps_gateway(mocks: Recorder) -> None:
    _build(routing="gateway", issuers=["letsencrypt-prod"], acme_email="ops@example.com", acme_gateway=ACME_GATEWAY)
    assert mocks.one(CLUSTER_ISSUER).spec["acme"]["solvers"] == [
        {
            "http01": {
                "gatewayHTTPRoute": {
                    "parentRefs": [
                        {
                            "group": "gateway.networking.k8s.io",
                            "kind": "Gateway",
                            "name": "web",
                            "namespace": "team-a",
                            "sectionName": "http",
                        }
                    ]
                }
            }
        }
    ]


def test_lets_encrypt_with_both_keeps_the_ingress_solver(mocks: Recorder) -> None:
    _build(routing="both", issuers=["letsencrypt-prod"], acme_email="ops@example.com", acme_gateway=ACME_GATEWAY)
    assert mocks.one(CLUSTER_ISSUER).spec["acme"]["solvers"] == [
        {"http01": {"ingress": {"ingressClassName": "traefik"}}}
    ]


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"routing": "mesh"}, r"^Platform routing: 'mesh'"),
        (
            {"routing": "gateway", "ingress_controller": "ingress-nginx"},
            r"^Platform routing: 'gateway' needs a controller with a Gateway API provider",
        ),
        (
            {"routing": "gateway", "issuers": ["letsencrypt-prod"], "acme_email": "ops@example.com"},
            r"^Platform acme_gateway: not set, but the Let's Encrypt issuer 'letsencrypt-prod'",
        ),
        (
            {"routing": "gateway", "acme_gateway": {"name": "Web", "namespace": "a"}},
            r"^Platform acme_gateway name",
        ),
        ({"routing": "gateway", "gateway_class_name": "Bad Class"}, r"^Platform gateway_class_name"),
        (
            {"routing": "gateway", "gateway_api_crds_source": "http://example.com/crds.yaml"},
            r"^Platform gateway_api_crds_source: 'http://example.com/crds.yaml' is plain http",
        ),
    ],
)
def test_bad_routing_input_is_refused(mocks: Recorder, args: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Platform("platform", PlatformArgs(**args))  # type: ignore[typeddict-item]
    assert [r for r in mocks.resources if not r.typ.startswith("webstack:")] == []


# --- the stack ----------------------------------------------------------------------------------


def _stack(stack: str, **config: Any) -> dict[str, Any]:
    settings = load_settings({**stack_config(stack), **config}, stack)
    return dict(synth(lambda: build_stack(settings)))


def test_stack_default_routing_is_an_ingress_only(mocks: Recorder) -> None:
    _stack("dev")
    assert len(mocks.of_type(INGRESS)) == 1
    assert mocks.of_type(GATEWAY) == []


def test_stack_gateway_routing_replaces_the_ingress_and_waits_for_the_crds(mocks: Recorder) -> None:
    outputs = _stack("dev", routing="gateway")
    assert mocks.of_type(INGRESS) == []
    gateway = mocks.one(GATEWAY)
    # Named after the app, like its Service (and the Ingress it replaces).
    assert gateway.metadata["name"] == outputs["service_name"]
    assert mocks.one(CONFIG_GROUP).urn in gateway.dependencies
    assert outputs["url"] == f"https://{stack_config('dev')['ingressHosts'][0]}/"


def test_stack_both_serves_an_ingress_and_a_gateway_with_separate_certificates(mocks: Recorder) -> None:
    _stack("dev", routing="both")
    ingress = mocks.one(INGRESS)
    gateway = mocks.one(GATEWAY)
    ingress_secret = ingress.spec["tls"][0]["secretName"]
    gateway_secret = gateway.spec["listeners"][1]["tls"]["certificateRefs"][0]["name"]
    assert ingress_secret != gateway_secret


def test_stack_prod_gateway_solves_acme_through_the_apps_gateway(mocks: Recorder) -> None:
    _stack("prod", routing="gateway")
    parent = mocks.one(CLUSTER_ISSUER).spec["acme"]["solvers"][0]["http01"]["gatewayHTTPRoute"]["parentRefs"][0]
    gateway = mocks.one(GATEWAY)
    assert (parent["name"], parent["namespace"]) == (gateway.metadata["name"], stack_config("prod")["namespace"])
    solver_policy = [
        p for p in mocks.of_type(NETWORK_POLICY) if p.metadata.get("name", "").endswith("allow-acme-solver")
    ]
    assert len(solver_policy) == 1


def test_stack_app_admits_the_same_namespace_for_either_routing(mocks: Recorder) -> None:
    _stack("dev", routing="gateway")
    policy = next(p for p in mocks.of_type(NETWORK_POLICY) if p.metadata.get("name", "").endswith("-allow-ingress"))
    selector = policy.spec["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]
    assert selector == {"kubernetes.io/metadata.name": stack_config("dev").get("ingressNamespace", "ingress")}


def _log_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    import pulumi

    calls: dict[str, list[str]] = {"warn": [], "info": []}
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: calls["warn"].append(message))
    monkeypatch.setattr(pulumi.log, "info", lambda message, *a, **k: calls["info"].append(message))
    return calls


OPEN_LOAD_BALANCER = "serviceType LoadBalancer without loadBalancerSourceRanges"


def test_stack_prod_open_load_balancer_is_warned_about(mocks: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _log_calls(monkeypatch)
    _stack("prod", serviceType="LoadBalancer")
    assert [m for m in calls["warn"] if m.startswith(OPEN_LOAD_BALANCER)] != []


def test_stack_dev_open_load_balancer_is_only_noted(mocks: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _log_calls(monkeypatch)
    _stack("dev", serviceType="LoadBalancer")
    assert [m for m in calls["warn"] if m.startswith(OPEN_LOAD_BALANCER)] == []
    assert [m for m in calls["info"] if m.startswith(OPEN_LOAD_BALANCER)] != []


def test_stack_prod_load_balancer_with_ranges_is_not_warned_about(
    mocks: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _log_calls(monkeypatch)
    _stack("prod", serviceType="LoadBalancer", loadBalancerSourceRanges=["203.0.113.0/24"])
    assert [m for m in calls["warn"] if m.startswith(OPEN_LOAD_BALANCER)] == []
    policy = next(p for p in mocks.of_type(NETWORK_POLICY) if p.name.endswith("-allow-load-balancer"))
    assert policy.spec["ingress"][0]["from"] == [{"ipBlock": {"cidr": "203.0.113.0/24"}}]


# --- add-ons as helm.v4.Chart -------------------------------------------------------------------

CHART = "kubernetes:helm.sh/v4:Chart"


def test_addons_are_releases_by_default(mocks: Recorder) -> None:
    _build()
    assert mocks.of_type(CHART) == []


def test_traefik_can_be_installed_as_a_chart_and_keeps_its_values(mocks: Recorder) -> None:
    _build(chart_addons=["traefik"], routing="gateway")
    chart = mocks.one(CHART)
    assert chart.name == "platform-traefik-chart"
    assert chart.inputs["values"]["providers"] == {"kubernetesGateway": {"enabled": True}}
    assert mocks.one(CONFIG_GROUP).urn in chart.dependencies
    assert sorted(r.name for r in mocks.of_type("kubernetes:helm.sh/v3:Release")) == [
        "platform-cert-manager-release",
        "platform-kube-prometheus-stack-release",
    ]


@pytest.mark.parametrize("addon", ["ingress-nginx", "cert-manager", "kube-prometheus-stack"])
def test_addons_whose_chart_needs_hooks_cannot_be_charts(mocks: Recorder, addon: str) -> None:
    with pytest.raises(ValueError, match=rf"^Platform chart_addons: {addon} cannot be installed as a helm.v4.Chart"):
        Platform("platform", PlatformArgs(chart_addons=[addon]))


def test_unknown_chart_addon_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"^Platform chart_addons: 'nginx' is not an add-on"):
        Platform("platform", PlatformArgs(chart_addons=["nginx"]))


def test_render_mode_renders_a_chart_addon_and_skips_the_releases(mocks: Recorder) -> None:
    from webstack.config.runtime import RENDER_ENV

    config = {
        **stack_config("dev"),
        "platformChartAddons": ["traefik"],
        "chartPaths": ["traefik=tests/charts/webstack-probe"],
    }
    settings = load_settings(config, "dev", environ={RENDER_ENV: "/tmp/rendered"})
    synth(lambda: build_stack(settings))
    assert mocks.one(CHART).inputs["chart"] == "tests/charts/webstack-probe"
    assert mocks.of_type("kubernetes:helm.sh/v3:Release") == []


def test_render_mode_without_chart_addons_skips_every_addon(mocks: Recorder) -> None:
    from webstack.config.runtime import RENDER_ENV

    settings = load_settings(stack_config("dev"), "dev", environ={RENDER_ENV: "/tmp/rendered"})
    synth(lambda: build_stack(settings))
    assert mocks.of_type(CHART) == []
    assert mocks.of_type("kubernetes:helm.sh/v3:Release") == []
