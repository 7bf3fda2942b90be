"""components/web_app.py: a LoadBalancer Service is reachable through the namespace's default deny."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.web_app import WebApp, _validate_source_ranges
from tests.components.test_web_app import NETWORK_POLICY, SELECTOR, SERVICE, _args, _build
from tests.harness import Recorder


def _load_balancer_policy(mocks: Recorder) -> dict[str, object]:
    found = [p for p in mocks.of_type(NETWORK_POLICY) if p.name == "web-allow-load-balancer"]
    assert len(found) == 1, [p.name for p in mocks.of_type(NETWORK_POLICY)]
    assert found[0].metadata["name"] == "web-allow-load-balancer"
    return found[0].spec


def test_cluster_ip_adds_no_load_balancer_policy(mocks: Recorder) -> None:
    _build()
    assert [p.name for p in mocks.of_type(NETWORK_POLICY)] == ["web-allow-ingress"]


def test_load_balancer_without_ranges_admits_every_address_on_the_app_port_only(mocks: Recorder) -> None:
    _build(service_type="LoadBalancer")
    assert _load_balancer_policy(mocks) == {
        "podSelector": {"matchLabels": SELECTOR},
        "policyTypes": ["Ingress"],
        # No `from`: every source; the port is the app's only.
        "ingress": [{"ports": [{"port": "http", "protocol": "TCP"}]}],
    }
    spec = mocks.one(SERVICE).spec
    assert "loadBalancerSourceRanges" not in spec
    assert "externalTrafficPolicy" not in spec


def test_load_balancer_ranges_are_admitted_by_the_policy_and_the_load_balancer(mocks: Recorder) -> None:
    ranges = ["203.0.113.0/24", "2001:db8::/32"]
    _build(service_type="LoadBalancer", load_balancer_source_ranges=ranges)
    assert _load_balancer_policy(mocks)["ingress"] == [
        {
            "from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}, {"ipBlock": {"cidr": "2001:db8::/32"}}],
            "ports": [{"port": "http", "protocol": "TCP"}],
        }
    ]
    spec = mocks.one(SERVICE).spec
    assert spec["loadBalancerSourceRanges"] == ranges
    # Client addresses kept, so the policy's ipBlocks see them (not a node's address).
    assert spec["externalTrafficPolicy"] == "Local"


def test_load_balancer_keeps_the_ingress_namespace_rule(mocks: Recorder) -> None:
    _build(service_type="LoadBalancer")
    assert "web-allow-ingress" in [p.name for p in mocks.of_type(NETWORK_POLICY)]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"service_type": "LoadBalancer", "load_balancer_source_ranges": ["203.0.113.1/24"]},
            r"^WebApp load_balancer_source_ranges: '203.0.113.1/24' is not a network in CIDR notation",
        ),
        (
            {"service_type": "LoadBalancer", "load_balancer_source_ranges": "203.0.113.0/24"},
            r"^WebApp load_balancer_source_ranges: '203.0.113.0/24' is a string",
        ),
        (
            {"load_balancer_source_ranges": ["203.0.113.0/24"]},
            r"^WebApp load_balancer_source_ranges: set, but service_type is 'ClusterIP'",
        ),
    ],
)
def test_bad_source_ranges_are_refused(mocks: Recorder, extra: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WebApp("web", _args(**extra))
    assert [r for r in mocks.resources if not r.typ.startswith("webstack:")] == []


# --- property: exactly the networks in CIDR notation are accepted --------------------------------


@given(st.ip_addresses(v=4), st.integers(min_value=0, max_value=32))
def test_a_range_is_accepted_exactly_when_it_has_no_host_bits(address: object, prefix: int) -> None:
    value = f"{address}/{prefix}"
    host_bits = int(address) & ((1 << (32 - prefix)) - 1)  # type: ignore[call-overload]
    if host_bits:
        with pytest.raises(ValueError, match=r"^WebApp load_balancer_source_ranges: "):
            _validate_source_ranges([value], "LoadBalancer")
    else:
        assert _validate_source_ranges([value], "LoadBalancer") == [value]
