"""webstack/config/platform.py: the ingress, TLS, add-on and metrics keys, parsed without mocks.

One test per default and one per error; every error is a ConfigError problem naming ``webstack:<key>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.webstack.loading import load_minimal, one_problem
from webstack.config.platform import PlatformSettings
from webstack.config.spec import SecretStr

INGRESS: dict[str, Any] = {"ingressEnabled": True, "ingressHosts": ["app.example.com"]}
ACME: dict[str, Any] = {**INGRESS, "acmeEmail": "ops@example.com"}


def _platform(secret_keys: frozenset[str] = frozenset(), **raw: Any) -> PlatformSettings:
    return load_minimal(secret_keys=secret_keys, **raw).platform


# -- defaults ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("enabled", False),
        ("hosts", ()),
        ("paths", ("/",)),
        ("controller", "traefik"),
        ("class_name", "traefik"),
        ("namespace", "ingress"),
        ("tls_secret_name", None),
        ("acme_email", None),
    ],
)
def test_ingress_default(field: str, expected: Any) -> None:
    assert getattr(_platform().ingress, field) == expected


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("ingress_controller", True),
        ("cert_manager", True),
        ("monitoring", True),
        ("cert_manager_namespace", "cert-manager"),
        ("monitoring_namespace", "monitoring"),
        ("grafana_admin_password", None),
        ("charts_dir", None),
        ("chart_paths", ()),
        ("chart_values", {}),
        ("helm_timeout", 600),
        ("issuers", ()),
    ],
)
def test_platform_default(field: str, expected: Any) -> None:
    assert getattr(_platform(), field) == expected


@pytest.mark.parametrize(("field", "expected"), [("enabled", False), ("port", None), ("path", "/metrics")])
def test_metrics_default(field: str, expected: Any) -> None:
    assert getattr(_platform().metrics, field) == expected


@pytest.mark.parametrize(
    ("environment", "issuer"),
    [("dev", "selfsigned"), ("staging", "letsencrypt-staging"), ("prod", "letsencrypt-prod")],
)
def test_default_issuer_follows_the_environment(environment: str, issuer: str) -> None:
    assert _platform(environment=environment).ingress.issuer == issuer


def test_ingress_nginx_default_class_is_nginx() -> None:
    assert _platform(ingressController="ingress-nginx").ingress.class_name == "nginx"


def test_own_secret_alone_means_no_issuer() -> None:
    platform = _platform(**INGRESS, tlsSecretName="app-example-com-tls")
    assert platform.ingress.issuer is None
    assert platform.ingress.tls_secret_name == "app-example-com-tls"
    assert platform.issuers == ()


def test_issuer_none_with_own_secret_is_accepted() -> None:
    assert _platform(**INGRESS, tlsIssuer="none", tlsSecretName="mine").ingress.issuer is None


def test_issuers_to_create_are_the_ingress_issuer_when_the_ingress_is_on() -> None:
    assert _platform(**INGRESS).issuers == ("selfsigned",)


def test_chart_values_become_nested_values_per_addon() -> None:
    platform = _platform(
        chartValues=[
            "traefik:deployment.replicas=2",
            "traefik:deployment.kind=DaemonSet",
            "kube-prometheus-stack:prometheus.prometheusSpec.retention=15d",
            "cert-manager:enableCertificateOwnerRef=true",
        ]
    )
    assert platform.chart_values == {
        "traefik": {"deployment": {"replicas": 2, "kind": "DaemonSet"}},
        "kube-prometheus-stack": {"prometheus": {"prometheusSpec": {"retention": "15d"}}},
        "cert-manager": {"enableCertificateOwnerRef": True},
    }


def test_chart_paths_and_local_dir_are_read(tmp_path: Path) -> None:
    # GIVEN a charts folder holding cert-manager's chart (traefik comes from its own path)
    _chart(tmp_path / "cert-manager", "cert-manager")
    platform = _platform(
        chartsLocalDir=str(tmp_path), chartPaths=["traefik=tests/charts/webstack-probe"], platformMonitoring=False
    )
    assert platform.charts_dir == str(tmp_path)
    assert platform.chart_paths == (("traefik", "tests/charts/webstack-probe"),)


def _chart(folder: Path, name: str) -> None:
    folder.mkdir(parents=True)
    (folder / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n")


def test_chart_path_that_does_not_exist_is_refused_before_any_resource() -> None:
    assert one_problem(chartPaths=["traefik=charts/missing"]) == (
        "webstack:chartPaths: 'traefik': 'charts/missing' is not a directory here (paths are relative to the "
        "project directory); give the directory of an unpacked chart (e.g. from `helm pull --untar`)"
    )


def test_chart_path_without_a_chart_yaml_is_refused(tmp_path: Path) -> None:
    assert one_problem(chartPaths=[f"traefik={tmp_path}"]).startswith(
        f"webstack:chartPaths: 'traefik': '{tmp_path}' is not a chart: no Chart.yaml there"
    )


def test_charts_local_dir_that_does_not_exist_is_refused() -> None:
    assert one_problem(chartsLocalDir="/nonexistent/charts").startswith(
        "webstack:chartsLocalDir: '/nonexistent/charts' is not a directory here"
    )


def test_charts_local_dir_missing_an_installed_addon_is_refused(tmp_path: Path) -> None:
    # GIVEN a charts folder with only traefik's chart WHEN cert-manager is installed too
    _chart(tmp_path / "traefik", "traefik")
    problem = one_problem(chartsLocalDir=str(tmp_path), platformMonitoring=False)
    assert problem == (
        f"webstack:chartsLocalDir: 'cert-manager': '{tmp_path}/cert-manager' is not a directory here (paths are "
        "relative to the project directory); give the directory of an unpacked chart (e.g. from `helm pull --untar`)"
    )


def test_grafana_password_is_kept_as_a_secret_string() -> None:
    platform = _platform(frozenset({"grafanaAdminPassword"}), grafanaAdminPassword="hunter22")
    assert platform.grafana_admin_password == SecretStr("hunter22")
    assert "hunter22" not in repr(platform)


def test_metrics_port_and_path_are_read() -> None:
    metrics = _platform(metricsEnabled=True, metricsPort=9797, metricsPath="/stats").metrics
    assert (metrics.enabled, metrics.port, metrics.path) == (True, 9797, "/stats")


# -- errors --------------------------------------------------------------------------------------


def test_unknown_issuer_is_refused() -> None:
    problem = one_problem(tlsIssuer="letsencrypt")
    assert problem.startswith("webstack:tlsIssuer: 'letsencrypt' is not a known issuer; use one of 'selfsigned'")


def test_lets_encrypt_without_acme_email_is_refused() -> None:
    problem = one_problem(**INGRESS, tlsIssuer="letsencrypt-staging")
    assert problem.startswith("webstack:acmeEmail: is empty but tlsIssuer is 'letsencrypt-staging'; set the email")


@pytest.mark.parametrize("bad", ["ops", "ops@example", "ops @example.com", "@example.com"])
def test_acme_email_that_is_no_address_is_refused(bad: str) -> None:
    # The same check as Platform's: an address the component would refuse fails here, with the key.
    problem = one_problem(acmeEmail=bad)
    assert problem == f"webstack:acmeEmail: {bad!r} is not an email address; use one such as ops@example.com"


@pytest.mark.parametrize("bad", ["App.example.com", "localhost", "https://app.example.com", "app.example.com/x"])
def test_host_that_is_not_a_dns_name_is_refused(bad: str) -> None:
    problem = one_problem(ingressHosts=[bad])
    assert problem.startswith(f"webstack:ingressHosts: {bad!r} is not a valid DNS host name")


def test_duplicate_host_is_refused() -> None:
    assert one_problem(ingressHosts=["a.example.com", "a.example.com"]).startswith(
        "webstack:ingressHosts: lists a host twice"
    )


def test_own_secret_and_issuer_both_set_are_refused() -> None:
    problem = one_problem(**INGRESS, tlsIssuer="selfsigned", tlsSecretName="mine")
    assert problem.startswith("webstack:tlsIssuer: 'selfsigned' is set and so is tlsSecretName ('mine')")


def test_ingress_without_hosts_is_refused() -> None:
    problem = one_problem(ingressEnabled=True)
    assert problem.startswith("webstack:ingressHosts: is empty but ingressEnabled is true")


def test_ingress_without_paths_is_refused() -> None:
    problem = one_problem(**INGRESS, ingressPaths=[])
    assert problem.startswith("webstack:ingressPaths: is empty but ingressEnabled is true")


@pytest.mark.parametrize(
    "path",
    ["api", "/a//b", "/a/./b", "/a/../b", "/a%2fb", "/a%2Fb", "/a/..", "/a/.", "/a b", "/é", "/a?b=1", "/a#b", "/\n"],
)
def test_path_the_api_server_refuses_is_refused(path: str) -> None:
    assert one_problem(ingressPaths=[path]).startswith(
        f"webstack:ingressPaths: {path!r} is not a path an Ingress accepts; use an absolute path"
    )


@pytest.mark.parametrize("path", ["/", "/api", "/a.b/c_d~e-f", "/%41pi", "/a/...", "/v1:x@y"])
def test_path_the_api_server_accepts_is_accepted(path: str) -> None:
    assert _platform(ingressPaths=[path]).ingress.paths == (path,)


def test_path_listed_twice_is_refused() -> None:
    assert one_problem(ingressPaths=["/", "/"]) == "webstack:ingressPaths: lists a path twice; list each path once"


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_ingress_without_a_certificate_source_is_refused(environment: str) -> None:
    extra = {"appImage": "x/y:1"}
    problem = one_problem(**INGRESS, environment=environment, tlsIssuer="none", **extra)
    assert problem.startswith(
        f"webstack:tlsIssuer: is 'none' and tlsSecretName is empty, so the Ingress has no certificate ({environment} "
        "serves HTTPS only)"
    )


def test_wildcard_host_with_lets_encrypt_is_refused() -> None:
    problem = one_problem(**{**ACME, "ingressHosts": ["*.example.com"]}, tlsIssuer="letsencrypt-staging")
    assert problem.startswith("webstack:ingressHosts: *.example.com cannot be issued through ACME HTTP-01")


@pytest.mark.parametrize("issuer", ["selfsigned", "letsencrypt-staging"])
def test_untrusted_certificates_are_refused_in_prod(issuer: str) -> None:
    problem = one_problem(environment="prod", appImage="x/y:1", tlsIssuer=issuer)
    assert problem.startswith(f"webstack:tlsIssuer: {issuer!r} in prod would serve a certificate browsers reject")


def test_unknown_controller_is_refused() -> None:
    assert one_problem(ingressController="nginx").startswith(
        "webstack:ingressController: 'nginx' is not one of 'traefik', 'ingress-nginx'"
    )


def test_invalid_class_name_is_refused() -> None:
    assert one_problem(ingressClassName="Traefik_Public").startswith(
        "webstack:ingressClassName: 'Traefik_Public' is not a valid DNS-1123 subdomain"
    )


def test_invalid_own_secret_name_is_refused() -> None:
    assert one_problem(tlsSecretName="My_Cert").startswith(
        "webstack:tlsSecretName: 'My_Cert' is not a valid DNS-1123 subdomain"
    )


@pytest.mark.parametrize("key", ["ingressNamespace", "certManagerNamespace", "monitoringNamespace"])
def test_invalid_addon_namespace_is_refused(key: str) -> None:
    assert one_problem(**{key: "Ingress"}).startswith(f"webstack:{key}: 'Ingress' is not a valid DNS-1123 label")


def test_shared_addon_namespace_is_refused() -> None:
    problem = one_problem(monitoringNamespace="ingress")
    assert problem.startswith("webstack:monitoringNamespace: 'ingress' is also ingressNamespace")


def test_addon_in_the_app_namespace_is_refused() -> None:
    problem = one_problem(namespace="apps", ingressNamespace="apps")
    assert problem.startswith("webstack:ingressNamespace: 'apps' is the app namespace")


@pytest.mark.parametrize("entry", ["traefik.deployment.replicas=2", "traefik:=2", "traefik:deployment..replicas=2"])
def test_malformed_chart_value_is_refused(entry: str) -> None:
    assert one_problem(chartValues=[entry]) == (
        f"webstack:chartValues: entry {entry!r} is not of the form addon:dotted.key=value"
    )


def test_chart_value_for_an_unknown_addon_is_refused() -> None:
    assert one_problem(chartValues=["nginx:replicas=2"]).startswith(
        "webstack:chartValues: entry 'nginx:replicas=2' names no add-on"
    )


def test_chart_value_that_is_a_credential_is_refused() -> None:
    problem = one_problem(chartValues=["kube-prometheus-stack:grafana.adminPassword=admin"])
    assert problem.startswith(
        "webstack:chartValues: entry 'kube-prometheus-stack:grafana.adminPassword' sets a credential"
    )
    assert "=admin" not in problem


def test_credential_nested_in_a_chart_value_map_is_refused_without_showing_it() -> None:
    entry = 'kube-prometheus-stack:grafana={"admin": {"user": "root", "password": "hunter22"}}'
    problem = one_problem(chartValues=[entry])
    assert problem == (
        "webstack:chartValues: entry for 'kube-prometheus-stack' sets a credential ('grafana.admin.password') in "
        "plain config; use grafanaAdminPassword, the chart's existing-Secret option, or set chartValues with "
        "`pulumi config set --secret --path`"
    )
    assert "hunter22" not in problem


@pytest.mark.parametrize("key", ["apiKey", "secret_key", "privateKey", "AWS_ACCESS_KEY", "clientSecret", "db-passwd"])
def test_chart_value_named_like_a_credential_is_refused(key: str) -> None:
    assert one_problem(chartValues=[f"traefik:env={{{key}: v4lue}}"]).startswith(
        f"webstack:chartValues: entry for 'traefik' sets a credential ('env.{key}') in plain config"
    )


def test_credential_in_a_list_inside_a_chart_value_is_refused() -> None:
    problem = one_problem(chartValues=['traefik:env=[{"name": "X", "apiToken": "t0k"}]'])
    assert "('env[0].apiToken')" in problem
    assert "t0k" not in problem


@pytest.mark.parametrize(
    "key", ["existingSecret", "passwordKey", "tokenSecretName", "passwordFile", "passwordSecretRef", "apiKeySecret"]
)
def test_chart_value_naming_where_a_credential_is_kept_is_accepted(key: str) -> None:
    platform = _platform(chartValues=[f"kube-prometheus-stack:grafana.admin.{key}=grafana-admin"])
    assert platform.chart_values == {"kube-prometheus-stack": {"grafana": {"admin": {key: "grafana-admin"}}}}


def test_credential_in_a_secret_chart_values_key_is_accepted_and_marked_secret() -> None:
    platform = _platform(
        frozenset({"chartValues"}), chartValues=['kube-prometheus-stack:grafana={"admin": {"password": "s3"}}']
    )
    assert platform.chart_values == {"kube-prometheus-stack": {"grafana": {"admin": {"password": "s3"}}}}
    assert platform.chart_values_secret is True


def test_chart_value_that_is_not_yaml_is_refused() -> None:
    assert one_problem(chartValues=["traefik:a.b=[unclosed"]) == (
        "webstack:chartValues: entry 'traefik:a.b' has a value that is not valid YAML (or uses aliases, or nests "
        "over 32 levels); quote it"
    )


def test_chart_value_nested_too_deep_is_refused() -> None:
    assert one_problem(chartValues=["traefik:a=" + "[" * 33 + "]" * 33]) == (
        "webstack:chartValues: entry 'traefik:a' has a value that is not valid YAML (or uses aliases, or nests over "
        "32 levels); quote it"
    )


def test_chart_value_nested_32_deep_is_accepted() -> None:
    value = _platform(chartValues=["traefik:a=" + "[" * 32 + "]" * 32]).chart_values["traefik"]["a"]
    for _ in range(31):
        value = value[0]
    assert value == []


def test_chart_value_with_a_yaml_alias_is_refused() -> None:
    entry = "traefik:a=[&x [1, 2], *x, *x]"
    assert one_problem(chartValues=[entry]) == (
        "webstack:chartValues: entry 'traefik:a' has a value that is not valid YAML (or uses aliases, or nests "
        "over 32 levels); quote it"
    )


@pytest.mark.parametrize(
    ("key", "entry", "addon"),
    [
        ("chartValues", "ingress-nginx:controller.replicaCount=2", "ingress-nginx"),
        ("chartValues", "kube-prometheus-stack:grafana.enabled=false", "kube-prometheus-stack"),
        ("chartPaths", "cert-manager=tests/charts/webstack-probe", "cert-manager"),
    ],
)
def test_settings_for_an_addon_that_is_not_installed_are_refused(key: str, entry: str, addon: str) -> None:
    # GIVEN traefik (not ingress-nginx) as the controller, and neither monitoring nor cert-manager
    problem = one_problem(**{key: [entry]}, platformMonitoring=False, platformCertManager=False)
    assert problem == (
        f"webstack:{key}: sets {addon!r}, which this stack does not install (platformIngressController, "
        "platformCertManager, platformMonitoring and ingressController choose the add-ons; installed: traefik); "
        "remove the entry or switch the add-on on"
    )


def test_chart_path_for_an_unknown_addon_is_refused() -> None:
    assert one_problem(chartPaths=["nginx=/srv/nginx"]).startswith("webstack:chartPaths: 'nginx' is not an add-on")


def test_chart_path_that_is_empty_is_refused() -> None:
    assert one_problem(chartPaths=["traefik="]).startswith("webstack:chartPaths: 'traefik' has an empty path")


def test_helm_timeout_out_of_range_is_refused() -> None:
    assert one_problem(helmTimeout=5).startswith("webstack:helmTimeout: 5 is out of range")


def test_metrics_port_out_of_range_is_refused() -> None:
    assert one_problem(metricsPort=70000).startswith("webstack:metricsPort: 70000 is out of range")


def test_metrics_path_that_is_relative_is_refused() -> None:
    assert one_problem(metricsPath="metrics").startswith("webstack:metricsPath: 'metrics' is not an HTTP path")


def test_plaintext_grafana_password_is_refused() -> None:
    assert one_problem(grafanaAdminPassword="admin").startswith("webstack:grafanaAdminPassword: holds plaintext")
