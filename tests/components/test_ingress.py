"""components/ingress.py: the TLS Ingress, on recording mocks."""

from __future__ import annotations

from typing import Any

import pytest

from components.ingress import TlsIngress, TlsIngressArgs
from tests.harness import Recorded, Recorder, synth

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
TRAEFIK_ANNOTATIONS = {
    "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
    "traefik.ingress.kubernetes.io/router.tls": "true",
}
NGINX_ANNOTATIONS = {
    "nginx.ingress.kubernetes.io/ssl-redirect": "true",
    "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
}


def _build(**extra: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "namespace": "team-a",
        "hosts": ["app.example.com"],
        "service_name": "web",
        "issuer": "selfsigned",
        **extra,
    }

    def build() -> dict[str, Any]:
        ingress = TlsIngress("web", TlsIngressArgs(**args))  # type: ignore[typeddict-item]
        return {"url": ingress.url, "name": ingress.name, "secret": ingress.tls_secret_name}

    return dict(synth(build))


def _ingress(mocks: Recorder) -> Recorded:
    return mocks.one(INGRESS)


# --- structure ----------------------------------------------------------------------------


def test_one_ingress_parented_to_the_component_with_https_url(mocks: Recorder) -> None:
    outputs = _build()
    component = mocks.one("webstack:ingress:TlsIngress")
    ingress = _ingress(mocks)
    assert ingress.parent == component.urn
    assert ingress.metadata["name"] == "web"
    assert ingress.metadata["namespace"] == "team-a"
    assert outputs == {"url": "https://app.example.com/", "name": "web", "secret": "web-tls"}


def test_every_host_gets_a_rule_with_every_path_to_the_service(mocks: Recorder) -> None:
    _build(hosts=["a.example.com", "b.example.com"], paths=["/", "/api"], service_port=8080)
    rules = _ingress(mocks).spec["rules"]
    assert [rule["host"] for rule in rules] == ["a.example.com", "b.example.com"]
    for rule in rules:
        paths = rule["http"]["paths"]
        assert [p["path"] for p in paths] == ["/", "/api"]
        assert all(p["pathType"] == "Prefix" for p in paths)
        assert all(p["backend"]["service"] == {"name": "web", "port": {"number": 8080}} for p in paths)


def test_url_uses_the_first_host_and_path(mocks: Recorder) -> None:
    assert _build(hosts=["b.example.com", "a.example.com"], paths=["/app"])["url"] == "https://b.example.com/app"


# --- TLS always on ------------------------------------------------------------------------


def test_tls_covers_every_host_with_the_issued_secret(mocks: Recorder) -> None:
    _build(hosts=["a.example.com", "b.example.com"])
    assert _ingress(mocks).spec["tls"] == [{"hosts": ["a.example.com", "b.example.com"], "secretName": "web-tls"}]


@pytest.mark.parametrize("issuer", ["selfsigned", "letsencrypt-staging", "letsencrypt-prod"])
def test_cluster_issuer_annotation_names_the_issuer(mocks: Recorder, issuer: str) -> None:
    _build(issuer=issuer)
    assert _ingress(mocks).metadata["annotations"]["cert-manager.io/cluster-issuer"] == issuer


def test_bring_your_own_secret_has_no_issuer_annotation(mocks: Recorder) -> None:
    outputs = _build(issuer=None, tls_secret_name="wildcard-example-com")
    ingress = _ingress(mocks)
    assert ingress.spec["tls"][0]["secretName"] == "wildcard-example-com"
    assert "cert-manager.io/cluster-issuer" not in ingress.metadata["annotations"]
    assert outputs["secret"] == "wildcard-example-com"


def test_wildcard_host_with_own_certificate_is_allowed(mocks: Recorder) -> None:
    outputs = _build(hosts=["*.example.com"], issuer=None, tls_secret_name="wildcard")
    assert outputs["url"] == "https://example.com/"


# --- controllers: the component writes the redirect/TLS annotations -------------------------


def test_traefik_is_the_default_controller_with_websecure_tls_only(mocks: Recorder) -> None:
    _build()
    ingress = _ingress(mocks)
    assert ingress.spec["ingressClassName"] == "traefik"
    annotations = ingress.metadata["annotations"]
    assert annotations.items() >= TRAEFIK_ANNOTATIONS.items()
    assert not any(key.startswith("nginx.") for key in annotations)


def test_ingress_nginx_gets_ssl_redirect_annotations_and_its_class(mocks: Recorder) -> None:
    _build(controller="ingress-nginx")
    ingress = _ingress(mocks)
    assert ingress.spec["ingressClassName"] == "nginx"
    annotations = ingress.metadata["annotations"]
    assert annotations.items() >= NGINX_ANNOTATIONS.items()
    assert not any(key.startswith("traefik.") for key in annotations)


def test_class_name_can_be_set(mocks: Recorder) -> None:
    _build(ingress_class_name="traefik-public")
    assert _ingress(mocks).spec["ingressClassName"] == "traefik-public"


def test_user_annotations_cannot_switch_off_the_redirect(mocks: Recorder) -> None:
    _build(
        controller="ingress-nginx",
        annotations={"nginx.ingress.kubernetes.io/ssl-redirect": "false", "example.com/team": "a"},
    )
    annotations = _ingress(mocks).metadata["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/ssl-redirect"] == "true"
    assert annotations["example.com/team"] == "a"


def test_labels_are_the_recommended_ones(mocks: Recorder) -> None:
    _build(instance="webstack-dev")
    labels = _ingress(mocks).metadata["labels"]
    assert labels["app.kubernetes.io/name"] == "web"
    assert labels["app.kubernetes.io/instance"] == "webstack-dev"
    assert labels["app.kubernetes.io/component"] == "ingress"
    assert labels["app.kubernetes.io/managed-by"] == "pulumi"


# --- ACME HTTP-01 through the namespace's default deny --------------------------------------

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


@pytest.mark.parametrize("issuer", ["letsencrypt-staging", "letsencrypt-prod"])
def test_acme_issuer_admits_the_ingress_controller_to_the_http01_solver(mocks: Recorder, issuer: str) -> None:
    _build(issuer=issuer)
    policy = mocks.one(NETWORK_POLICY)
    assert policy.parent == mocks.one("webstack:ingress:TlsIngress").urn
    assert policy.metadata["name"] == "web-allow-acme-solver"
    assert policy.metadata["namespace"] == "team-a"
    assert policy.spec == {
        "podSelector": {"matchLabels": {"acme.cert-manager.io/http01-solver": "true"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}}],
                "ports": [{"port": 8089, "protocol": "TCP"}],
            }
        ],
    }


def test_acme_solver_policy_admits_the_given_ingress_namespace(mocks: Recorder) -> None:
    _build(issuer="letsencrypt-prod", ingress_namespace="traefik-system")
    peer = mocks.one(NETWORK_POLICY).spec["ingress"][0]["from"][0]
    assert peer == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "traefik-system"}}}


@pytest.mark.parametrize(
    "source",
    [
        {"issuer": "selfsigned"},
        {"issuer": None, "tls_secret_name": "wildcard-example-com"},
        {"issuer": "letsencrypt-prod", "ingress_namespace": None},
    ],
    ids=["selfsigned", "own-secret", "no-ingress-namespace"],
)
def test_no_acme_solver_policy_without_an_acme_issuer_or_ingress_namespace(
    mocks: Recorder, source: dict[str, Any]
) -> None:
    _build(**source)
    assert mocks.of_type(NETWORK_POLICY) == []


# --- errors -------------------------------------------------------------------------------


def test_unknown_issuer_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"TlsIngress issuer: 'letsencrypt' is not a known ClusterIssuer; use one"):
        _build(issuer="letsencrypt")


def test_issuer_and_own_secret_together_are_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"both issuer 'selfsigned' and tls_secret_name 'mine' are set"):
        _build(tls_secret_name="mine")


def test_no_certificate_source_is_refused_since_tls_is_always_on(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"no certificate source; TLS is always on"):
        _build(issuer=None)


@pytest.mark.parametrize("bad", ["App.example.com", "localhost", "https://app.example.com", "10.0.0.1", "a_b.example"])
def test_host_that_is_not_a_dns_name_is_refused(mocks: Recorder, bad: str) -> None:
    with pytest.raises(ValueError, match=r"TlsIngress hosts: .* is not a valid DNS host name"):
        _build(hosts=[bad])


def test_no_host_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"TlsIngress hosts: no host given"):
        _build(hosts=[])


def test_duplicate_host_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"app.example.com listed twice"):
        _build(hosts=["app.example.com", "app.example.com"])


def test_wildcard_host_with_lets_encrypt_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"\*\.example\.com cannot be issued by 'letsencrypt-prod'"):
        _build(hosts=["*.example.com"], issuer="letsencrypt-prod")


def test_unknown_controller_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"TlsIngress controller: 'haproxy' is not one of 'traefik', 'ingress-nginx'"):
        _build(controller="haproxy")


def test_relative_path_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"TlsIngress paths: 'api' is not an HTTP path"):
        _build(paths=["api"])


def test_invalid_own_secret_name_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"TlsIngress tls_secret_name: 'My_Cert' is not a valid DNS-1123 subdomain"):
        _build(issuer=None, tls_secret_name="My_Cert")


def test_invalid_ingress_namespace_is_refused(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"TlsIngress ingress_namespace: 'Ingress' is not a valid DNS-1123 label"):
        _build(ingress_namespace="Ingress")
