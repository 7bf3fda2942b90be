"""components/gateway.py: the Gateway API Gateway and HTTPRoutes, on recording mocks."""

from __future__ import annotations

from typing import Any

import pytest

from components.gateway import TlsGateway, TlsGatewayArgs
from tests.harness import Recorded, Recorder, synth

GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SAME_NAMESPACE = {"namespaces": {"from": "Same"}}


def _build(**extra: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "namespace": "team-a",
        "hosts": ["app.example.com"],
        "service_name": "web",
        "issuer": "selfsigned",
        **extra,
    }

    def build() -> dict[str, Any]:
        gateway = TlsGateway("web", TlsGatewayArgs(**args))  # type: ignore[typeddict-item]
        return {"url": gateway.url, "name": gateway.name, "secret": gateway.tls_secret_name}

    return dict(synth(build))


def _gateway(mocks: Recorder) -> Recorded:
    return mocks.one(GATEWAY)


def _routes(mocks: Recorder) -> dict[str, Recorded]:
    return {route.metadata["name"]: route for route in mocks.of_type(ROUTE)}


# --- structure ----------------------------------------------------------------------------


def test_gateway_and_routes_are_parented_to_the_component_with_https_url(mocks: Recorder) -> None:
    outputs = _build()
    component = mocks.one("webstack:routing:TlsGateway")
    gateway = _gateway(mocks)
    assert gateway.parent == component.urn
    assert all(route.parent == component.urn for route in mocks.of_type(ROUTE))
    assert gateway.metadata["name"] == "web"
    assert gateway.metadata["namespace"] == "team-a"
    assert outputs == {"url": "https://app.example.com/", "name": "web", "secret": "web-gateway-tls"}


def test_default_class_is_traefik(mocks: Recorder) -> None:
    _build()
    assert _gateway(mocks).spec["gatewayClassName"] == "traefik"


def test_class_name_can_be_set(mocks: Recorder) -> None:
    _build(gateway_class_name="public")
    assert _gateway(mocks).spec["gatewayClassName"] == "public"


def test_listeners_are_http_then_one_terminating_https_per_host_on_traefiks_entry_points(mocks: Recorder) -> None:
    _build(hosts=["a.example.com", "b.example.com"])
    assert _gateway(mocks).spec["listeners"] == [
        {"name": "http", "protocol": "HTTP", "port": 8000, "allowedRoutes": SAME_NAMESPACE},
        *[
            {
                "name": f"https-{index}",
                "protocol": "HTTPS",
                "port": 8443,
                "hostname": host,
                "tls": {
                    "mode": "Terminate",
                    "certificateRefs": [{"group": "", "kind": "Secret", "name": "web-gateway-tls"}],
                },
                "allowedRoutes": SAME_NAMESPACE,
            }
            for index, host in enumerate(["a.example.com", "b.example.com"])
        ],
    ]


def test_listener_ports_can_be_set(mocks: Recorder) -> None:
    _build(http_port=80, https_port=443)
    ports = [(listener["name"], listener["port"]) for listener in _gateway(mocks).spec["listeners"]]
    assert ports == [("http", 80), ("https-0", 443)]


def test_every_host_gets_a_route_on_its_own_https_listener_with_every_path(mocks: Recorder) -> None:
    _build(hosts=["a.example.com", "b.example.com"], paths=["/", "/api"], service_port=8080)
    routes = _routes(mocks)
    for index, host in enumerate(["a.example.com", "b.example.com"]):
        route = routes[f"web-https-{index}"]
        assert route.metadata["namespace"] == "team-a"
        assert route.spec["hostnames"] == [host]
        assert route.spec["parentRefs"] == [
            {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web", "sectionName": f"https-{index}"}
        ]
        assert route.spec["rules"] == [
            {
                "matches": [
                    {"path": {"type": "PathPrefix", "value": "/"}},
                    {"path": {"type": "PathPrefix", "value": "/api"}},
                ],
                "backendRefs": [{"group": "", "kind": "Service", "name": "web", "port": 8080}],
            }
        ]


def test_default_service_port_is_80(mocks: Recorder) -> None:
    _build()
    assert _routes(mocks)["web-https-0"].spec["rules"][0]["backendRefs"][0]["port"] == 80


def test_exact_path_type_matches_exactly(mocks: Recorder) -> None:
    _build(path_type="Exact", paths=["/login"])
    assert _routes(mocks)["web-https-0"].spec["rules"][0]["matches"] == [{"path": {"type": "Exact", "value": "/login"}}]


# --- HTTP only redirects --------------------------------------------------------------------


def test_http_listener_route_only_redirects_to_https_permanently(mocks: Recorder) -> None:
    _build(hosts=["a.example.com", "b.example.com"])
    route = _routes(mocks)["web-redirect"]
    assert route.spec["parentRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web", "sectionName": "http"}
    ]
    assert route.spec["hostnames"] == ["a.example.com", "b.example.com"]
    # No backendRefs and no port: the scheme's own port (443), nothing served over HTTP.
    assert route.spec["rules"] == [
        {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}
    ]


def test_no_route_sends_plain_http_to_the_service(mocks: Recorder) -> None:
    _build(hosts=["a.example.com", "b.example.com"], paths=["/", "/api"])
    for route in mocks.of_type(ROUTE):
        if any(ref["sectionName"] == "http" for ref in route.spec["parentRefs"]):
            assert all("backendRefs" not in rule for rule in route.spec["rules"])


def test_more_hosts_than_a_route_names_redirect_every_host(mocks: Recorder) -> None:
    hosts = [f"h{index}.example.com" for index in range(17)]
    _build(hosts=hosts)
    assert "hostnames" not in _routes(mocks)["web-redirect"].spec
    assert len(_gateway(mocks).spec["listeners"]) == 18


# --- certificates -------------------------------------------------------------------------


@pytest.mark.parametrize("issuer", ["selfsigned", "letsencrypt-staging", "letsencrypt-prod"])
def test_cluster_issuer_annotation_names_the_issuer(mocks: Recorder, issuer: str) -> None:
    _build(issuer=issuer, controller_namespace=None)
    assert _gateway(mocks).metadata["annotations"]["cert-manager.io/cluster-issuer"] == issuer


def test_bring_your_own_secret_is_referenced_with_no_issuer_annotation(mocks: Recorder) -> None:
    outputs = _build(issuer=None, tls_secret_name="wildcard-example-com", hosts=["*.example.com"])
    gateway = _gateway(mocks)
    assert "annotations" not in gateway.metadata
    assert gateway.spec["listeners"][1]["tls"]["certificateRefs"][0]["name"] == "wildcard-example-com"
    assert gateway.spec["listeners"][1]["hostname"] == "*.example.com"
    assert outputs["secret"] == "wildcard-example-com"


def test_extra_annotations_cannot_replace_the_issuer(mocks: Recorder) -> None:
    _build(annotations={"cert-manager.io/cluster-issuer": "other", "team": "a"})
    assert _gateway(mocks).metadata["annotations"] == {"cert-manager.io/cluster-issuer": "selfsigned", "team": "a"}


def test_extra_issuer_annotation_is_dropped_with_an_own_certificate(mocks: Recorder) -> None:
    _build(issuer=None, tls_secret_name="mine", annotations={"cert-manager.io/cluster-issuer": "other"})
    assert "annotations" not in _gateway(mocks).metadata


# --- network policy for the ACME solver -----------------------------------------------------


def test_lets_encrypt_admits_the_controller_namespace_to_the_solver(mocks: Recorder) -> None:
    _build(issuer="letsencrypt-prod")
    policy = mocks.one(NETWORK_POLICY)
    assert policy.metadata["name"] == "web-allow-acme-solver"
    assert policy.spec["podSelector"] == {"matchLabels": {"acme.cert-manager.io/http01-solver": "true"}}
    assert policy.spec["ingress"] == [
        {
            "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}}],
            "ports": [{"port": 8089, "protocol": "TCP"}],
        }
    ]


def test_selfsigned_needs_no_solver_policy(mocks: Recorder) -> None:
    _build()
    assert mocks.of_type(NETWORK_POLICY) == []


def test_controller_namespace_none_adds_no_solver_policy(mocks: Recorder) -> None:
    _build(issuer="letsencrypt-prod", controller_namespace=None)
    assert mocks.of_type(NETWORK_POLICY) == []


def test_depends_on_reaches_the_gateway_and_every_route(mocks: Recorder) -> None:
    def build() -> Any:
        import pulumi_kubernetes as k8s

        crds = k8s.core.v1.ConfigMap("crds-stand-in")
        gateway = TlsGateway(
            "web",
            TlsGatewayArgs(
                namespace="a", hosts=["a.example.com"], service_name="web", issuer="selfsigned", depends_on=[crds]
            ),
        )
        return gateway.url

    synth(build)
    stand_in = mocks.one("kubernetes:core/v1:ConfigMap").urn
    assert stand_in in _gateway(mocks).dependencies
    assert all(stand_in in route.dependencies for route in mocks.of_type(ROUTE))


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"hosts": []}, r"^TlsGateway hosts: no host given"),
        ({"hosts": ["a.example.com", "a.example.com"]}, r"^TlsGateway hosts: a.example.com listed twice"),
        ({"hosts": ["Bad_Host"]}, r"^TlsGateway hosts: 'Bad_Host'"),
        (
            {"hosts": [f"h{i}.example.com" for i in range(64)]},
            r"^TlsGateway hosts: 64 hosts, but a Gateway holds at most 63 HTTPS listeners",
        ),
        ({"paths": []}, r"^TlsGateway paths: no path given"),
        ({"paths": ["api"]}, r"^TlsGateway paths: 'api'"),
        ({"paths": ["/a", "/a"]}, r"^TlsGateway paths: /a listed twice"),
        (
            {"paths": [f"/p{i}" for i in range(65)]},
            r"^TlsGateway paths: 65 paths, but an HTTPRoute rule matches at most 64",
        ),
        ({"path_type": "ImplementationSpecific"}, r"^TlsGateway path_type: 'ImplementationSpecific'"),
        ({"service_port": 0}, r"^TlsGateway service_port"),
        ({"http_port": 70000}, r"^TlsGateway http_port"),
        ({"https_port": 8000}, r"^TlsGateway https_port: 8000 is also http_port"),
        ({"gateway_class_name": "Bad Class"}, r"^TlsGateway gateway_class_name"),
        ({"issuer": None}, r"^TlsGateway: no certificate source"),
        ({"tls_secret_name": "mine"}, r"^TlsGateway: both issuer 'selfsigned' and tls_secret_name 'mine'"),
        ({"issuer": "letsencrypt"}, r"^TlsGateway issuer: 'letsencrypt' is not a known ClusterIssuer"),
        (
            {"issuer": "letsencrypt-prod", "hosts": ["*.example.com"]},
            r"^TlsGateway hosts: \*.example.com cannot be issued by 'letsencrypt-prod'",
        ),
        ({"issuer": None, "tls_secret_name": "Bad_Secret"}, r"^TlsGateway tls_secret_name"),
        ({"instance": "Bad Instance"}, r"^TlsGateway instance"),
        ({"controller_namespace": "Bad_NS"}, r"^TlsGateway controller_namespace"),
    ],
)
def test_bad_input_is_refused_before_anything_is_registered(
    mocks: Recorder, extra: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        TlsGateway(
            "web",
            TlsGatewayArgs(
                **{
                    "namespace": "a",
                    "hosts": ["a.example.com"],
                    "service_name": "web",  # type: ignore[typeddict-item]
                    "issuer": "selfsigned",
                    **extra,
                }
            ),
        )
    assert [r for r in mocks.resources if not r.typ.startswith("webstack:")] == []


def test_bad_resource_name_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"^TlsGateway resource name"):
        TlsGateway(
            "Web_App", TlsGatewayArgs(namespace="a", hosts=["a.example.com"], service_name="web", issuer="selfsigned")
        )
