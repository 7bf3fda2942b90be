"""webstack/config/routing.py: the routing choice and the LoadBalancer's source ranges."""

from __future__ import annotations

from typing import Any

import pytest

from tests.webstack.loading import load_minimal, minimal_problems, one_problem
from webstack.config.routing import RoutingSettings


def _routing(**raw: Any) -> RoutingSettings:
    return load_minimal(**raw).routing


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("routing", "ingress"),
        ("gateway_class_name", "traefik"),
        ("gateway_api_crds", True),
        ("gateway_api_crds_source", None),
        ("load_balancer_source_ranges", ()),
    ],
)
def test_routing_default(field: str, expected: Any) -> None:
    assert getattr(_routing(), field) == expected


@pytest.mark.parametrize(
    ("routing", "ingress", "gateway"),
    [("ingress", True, False), ("gateway", False, True), ("both", True, True)],
)
def test_routing_decides_what_serves(routing: str, ingress: bool, gateway: bool) -> None:
    settings = _routing(routing=routing)
    assert (settings.ingress, settings.gateway) == (ingress, gateway)


def test_gateway_keys_are_read() -> None:
    settings = _routing(
        routing="gateway", gatewayClassName="public", platformGatewayApiCrds="false", gatewayApiCrdsSource="crds/"
    )
    assert (settings.gateway_class_name, settings.gateway_api_crds, settings.gateway_api_crds_source) == (
        "public",
        False,
        "crds/",
    )


def test_source_ranges_are_read_with_a_load_balancer() -> None:
    settings = _routing(serviceType="LoadBalancer", loadBalancerSourceRanges='["203.0.113.0/24"]')
    assert settings.load_balancer_source_ranges == ("203.0.113.0/24",)


def test_unknown_routing_is_refused() -> None:
    assert one_problem(routing="mesh").startswith("webstack:routing: 'mesh' is not one of 'ingress', 'gateway', 'both'")


@pytest.mark.parametrize("routing", ["gateway", "both"])
def test_gateway_with_ingress_nginx_is_refused(routing: str) -> None:
    assert one_problem(routing=routing, ingressController="ingress-nginx").startswith(
        f"webstack:routing: {routing!r} needs a controller with a Gateway API provider, but ingressController is "
        "'ingress-nginx'"
    )


def test_bad_gateway_class_is_refused() -> None:
    assert one_problem(gatewayClassName="Bad Class").startswith("webstack:gatewayClassName:")


def test_plain_http_crd_source_is_refused() -> None:
    assert one_problem(gatewayApiCrdsSource="http://example.com/crds.yaml").startswith(
        "webstack:gatewayApiCrdsSource: 'http://example.com/crds.yaml' is plain http"
    )


def test_source_ranges_without_a_load_balancer_are_refused() -> None:
    assert one_problem(loadBalancerSourceRanges='["203.0.113.0/24"]').startswith(
        "webstack:loadBalancerSourceRanges: is set but serviceType is 'ClusterIP'"
    )


@pytest.mark.parametrize("network", ["203.0.113.7/24", "10.0.0.1/8", "2001:db8::1/32", "203.0.113.0"])
def test_a_range_that_is_no_network_is_refused(network: str) -> None:
    problems = minimal_problems(serviceType="LoadBalancer", loadBalancerSourceRanges=f'["{network}"]')
    assert problems == [
        f"webstack:loadBalancerSourceRanges: {network!r} is not a network in CIDR notation; use an address and a "
        "prefix length with no host bits set, such as '10.20.0.0/16', '203.0.113.7/32' or '0.0.0.0/0'"
    ]


def test_chart_addons_default_to_none_and_take_traefik() -> None:
    assert _routing().chart_addons == ()
    assert _routing(platformChartAddons='["traefik"]').chart_addons == ("traefik",)


def test_chart_addon_that_needs_hooks_is_refused() -> None:
    assert one_problem(platformChartAddons='["cert-manager"]').startswith(
        "webstack:platformChartAddons: 'cert-manager' needs Helm hooks"
    )


def test_unknown_chart_addon_is_refused() -> None:
    assert one_problem(platformChartAddons='["nginx"]').startswith(
        "webstack:platformChartAddons: 'nginx' is not an add-on"
    )


def test_chart_addon_the_stack_does_not_install_is_refused() -> None:
    assert one_problem(platformChartAddons='["traefik"]', platformIngressController="false").startswith(
        "webstack:platformChartAddons: names 'traefik', which this stack does not install"
    )
