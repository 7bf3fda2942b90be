"""Ingress to Gateway without downtime, on the bundled cluster: the README's sequence of config changes.

One copy of the dev stack, in a namespace of its own (so that it can share the session's cluster
with the dev lifecycle), goes ``routing: ingress`` → ``both`` → ``gateway`` with ``pulumi up``
after each change. The API server admits what each step registers: the Gateway API CRDs (from the
pinned ``sigs.k8s.io/gateway-api`` module, tests/gateway_api.py), then the Gateway and its
HTTPRoutes, which it checks against the CRDs' schemas and CEL rules (a broken route is refused).
During ``both`` the Ingress (the same object, never replaced) and the Gateway exist side by side;
the last step removes only the Ingress. The bundled cluster runs no Gateway controller (the Traefik
release is the stand-in chart): "serving" here is what the API server admitted, not traffic.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cluster import Cluster, Project
from tests.e2e.conftest import REPORT, Lifecycle
from tests.gateway_api import standard_crds

pytestmark = pytest.mark.e2e

NAMESPACE = "webstack-routing"
CONTROLLER_NAMESPACE = "routing-ingress"
APP = "web"
GATEWAY_CRDS = ("gateways.gateway.networking.k8s.io", "httproutes.gateway.networking.k8s.io")
ROUTES = ["web-https-0", "web-redirect"]


@pytest.fixture(scope="module")
def crds() -> Path:
    return standard_crds()


@pytest.fixture(scope="module")
def routed(cluster: Cluster, crds: Path, tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = Project(workdir=tmp_path_factory.mktemp("e2e-routing"), stack="dev", cluster=cluster)
    project.ok("stack", "init", "dev")
    project.use_demo_app()
    project.config_set("namespace", NAMESPACE)
    project.config_set("ingressNamespace", CONTROLLER_NAMESPACE)
    project.config_set("gatewayApiCrdsSource", str(crds))
    return project


@pytest.fixture(scope="module")
def steps() -> Lifecycle:
    return Lifecycle()


def _uid(cluster: Cluster, *what: str) -> str:
    return str(cluster.get_json(*what)["metadata"]["uid"])


def _routes(cluster: Cluster) -> list[str]:
    items: list[dict[str, Any]] = cluster.get_json("httproutes.gateway.networking.k8s.io", "-n", NAMESPACE)["items"]
    return sorted(item["metadata"]["name"] for item in items)


def test_1_ingress(routed: Project, cluster: Cluster, steps: Lifecycle) -> None:
    result = routed.up()
    REPORT.time("routing 1. pulumi up (routing: ingress)", result)
    assert result.ok, result.explain()
    assert cluster.exists("ingress", APP, "-n", NAMESPACE)
    assert not cluster.exists("crd", GATEWAY_CRDS[0])
    steps.done("ingress")


def test_2_both_serve_during_the_switch(routed: Project, cluster: Cluster, steps: Lifecycle) -> None:
    steps.require("ingress")
    ingress_uid = _uid(cluster, "ingress", APP, "-n", NAMESPACE)
    routed.config_set("routing", "both")
    result = routed.up()
    REPORT.time("routing 2. pulumi up (routing: both)", result)
    assert result.ok, result.explain()
    for crd in GATEWAY_CRDS:
        conditions = {c["type"]: c["status"] for c in cluster.get_json("crd", crd)["status"]["conditions"]}
        assert conditions.get("Established") == "True", (crd, conditions)
    gateway = cluster.get_json("gateways.gateway.networking.k8s.io", APP, "-n", NAMESPACE)
    assert [listener["name"] for listener in gateway["spec"]["listeners"]] == ["http", "https-0"]
    assert _routes(cluster) == ROUTES
    # The Ingress kept serving: the same object, not replaced.
    assert _uid(cluster, "ingress", APP, "-n", NAMESPACE) == ingress_uid
    REPORT.fact(
        f"routing both: Ingress {NAMESPACE}/{APP} (uid unchanged) beside Gateway {NAMESPACE}/{APP} and HTTPRoutes "
        f"{', '.join(ROUTES)}, admitted by the API server with the Gateway API CRDs {GATEWAY_CRDS[0].split('.')[0]}, "
        f"{GATEWAY_CRDS[1].split('.')[0]} established"
    )
    steps.done("both")


def test_3_the_api_server_checks_routes_against_the_crds(cluster: Cluster, steps: Lifecycle) -> None:
    steps.require("both")
    route = cluster.get_json("httproutes.gateway.networking.k8s.io", "web-redirect", "-n", NAMESPACE)
    bad = {
        "apiVersion": route["apiVersion"],
        "kind": "HTTPRoute",
        "metadata": {"name": "web-broken", "namespace": NAMESPACE},
        "spec": {
            **route["spec"],
            "rules": [
                {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 399}}]}
            ],
        },
    }
    probe = cluster.kubectl("apply", "--dry-run=server", "-f", "-", stdin=json.dumps(bad))
    assert not probe.ok, f"a redirect with status 399 was admitted:\n{probe.output}"
    assert "statusCode" in probe.output, probe.output
    reason = next(line for line in probe.output.splitlines() if "statusCode" in line).strip()
    REPORT.fact(f"HTTPRoute with redirect status 399 refused by the API server: {reason[:160]}")


def test_4_gateway_alone(routed: Project, cluster: Cluster, steps: Lifecycle) -> None:
    steps.require("both")
    gateway_uid = _uid(cluster, "gateways.gateway.networking.k8s.io", APP, "-n", NAMESPACE)
    routed.config_set("routing", "gateway")
    result = routed.up()
    REPORT.time("routing 3. pulumi up (routing: gateway)", result)
    assert result.ok, result.explain()
    assert not cluster.exists("ingress", APP, "-n", NAMESPACE)
    assert _uid(cluster, "gateways.gateway.networking.k8s.io", APP, "-n", NAMESPACE) == gateway_uid
    assert _routes(cluster) == ROUTES
    steps.done("gateway")


def test_5_destroy_keeps_the_crds(routed: Project, cluster: Cluster, steps: Lifecycle) -> None:
    steps.require("gateway")
    result = routed.pulumi("destroy", "--yes", "--stack", "dev")
    REPORT.time("routing 4. pulumi destroy", result)
    assert result.ok, result.explain()
    assert not cluster.exists("gateways.gateway.networking.k8s.io", APP, "-n", NAMESPACE)
    # Other stacks' Gateways would have gone with the CRDs: they are retained.
    assert all(cluster.exists("crd", crd) for crd in GATEWAY_CRDS)
