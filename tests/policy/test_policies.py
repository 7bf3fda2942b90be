"""The policy pack's validations, called as the analyzer calls them, with fake arguments (no engine).

Each policy gets a compliant object (no violation) and one bad object per rule (exactly the
violation it names). The last tests run every policy over each stack's mocks synthesis: the
program keeps its own promises before any engine runs (``tests/engine/test_policy.py`` repeats
that through ``pulumi preview --policy-pack``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from components.postgres import RETAIN_ANNOTATION as COMPONENT_RETAIN_ANNOTATION
from policy.policies import (
    GATEWAY,
    HTTP_ROUTE,
    POLICIES,
    RETAIN_ANNOTATION,
    STACK_POLICIES,
    check_gateway_https_only,
    image_problem,
    secret_key,
    secret_value,
)
from tests.harness import STACKS, Recorder, stack_config, synth
from webstack.settings import load_settings
from webstack.stack import build_stack

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CRONJOB = "kubernetes:batch/v1:CronJob"
SERVICE = "kubernetes:core/v1:Service"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
BY_NAME = {policy.name: policy for policy in POLICIES}


def violations(
    policy: str,
    resource_type: str,
    props: Mapping[str, Any],
    *,
    protect: bool = False,
    config: Mapping[str, Any] | None = None,
) -> list[str]:
    """The messages ``policy`` reports for one resource, its inputs wrapped as the analyzer wraps them."""
    opts = PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    args = ResourceValidationArgs(
        resource_type, unknown_checking_proxy(copy.deepcopy(dict(props))), "urn:test", "test", opts, None, config
    )
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    BY_NAME[policy].validate(args, report)
    return found


def container(**overrides: Any) -> dict[str, Any]:
    """A container as WebApp renders it: every promise kept."""
    base: dict[str, Any] = {
        "name": "web",
        "image": "ghcr.io/stefanprodan/podinfo:6.7.1",
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}},
        "securityContext": {
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def deployment(*containers: dict[str, Any], pod_security: dict[str, Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": list(containers) or [container()]}
    if pod_security is not None:
        spec["securityContext"] = pod_security
    return {"metadata": {"name": "web"}, "spec": {"template": {"spec": spec}}}


def insecure(**security: Any) -> dict[str, Any]:
    """The compliant security context with some fields replaced (None drops a field)."""
    context = {**container()["securityContext"], **security}
    return container(securityContext={k: v for k, v in context.items() if v is not None})


# -- the pack -------------------------------------------------------------------------------------


def test_every_policy_is_mandatory_and_named_once() -> None:
    names = [policy.name for policy in POLICIES]
    assert len(names) == len(set(names))
    assert len(names) == 11
    assert [policy.name for policy in STACK_POLICIES] == ["gateway-https-only"]
    assert all(policy.enforcement_level == EnforcementLevel.MANDATORY for policy in STACK_POLICIES)
    assert all(policy.enforcement_level == EnforcementLevel.MANDATORY for policy in POLICIES)


def test_the_policy_and_the_component_agree_on_the_retain_annotation() -> None:
    assert RETAIN_ANNOTATION == COMPONENT_RETAIN_ANNOTATION


@pytest.mark.parametrize("policy", sorted(BY_NAME))
def test_a_compliant_object_of_each_kind_passes_every_policy(policy: str) -> None:
    compliant = {
        DEPLOYMENT: deployment(),
        SERVICE: {"metadata": {"name": "web"}, "spec": {"type": "ClusterIP"}},
        PVC: {"metadata": {"name": "data", "annotations": {RETAIN_ANNOTATION: "true"}}},
        CONFIG_MAP: {"metadata": {"name": "env"}, "data": {"LOG_LEVEL": "info", "DATABASE_USER": "app"}},
        INGRESS: {
            "metadata": {"name": "web"},
            "spec": {
                "rules": [{"host": "app.example.com"}],
                "tls": [{"hosts": ["app.example.com"], "secretName": "web-tls"}],
            },
        },
        GATEWAY: gateway(),
        HTTP_ROUTE: route("https-0"),
    }
    for resource_type, props in compliant.items():
        assert violations(policy, resource_type, props) == [], resource_type


# -- containers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "bad", "expected"),
    [
        ("container-resources", container(resources={"requests": {"cpu": "1"}}), "no requests.memory, limits.cpu"),
        ("container-resources", container(resources=None), "no requests.cpu, requests.memory, limits.cpu"),
        ("container-probes", container(livenessProbe=None), "has no livenessProbe"),
        ("container-probes", container(readinessProbe=None, livenessProbe=None), "livenessProbe and no readinessProbe"),
        ("container-run-as-non-root", insecure(runAsNonRoot=None), "may run as root"),
        ("container-run-as-non-root", insecure(runAsNonRoot=False), "may run as root"),
        ("container-read-only-root-filesystem", insecure(readOnlyRootFilesystem=False), "writable root filesystem"),
        ("container-read-only-root-filesystem", container(securityContext=None), "writable root filesystem"),
        ("container-drop-all-capabilities", insecure(capabilities={"drop": ["NET_RAW"]}), "keeps Linux capabilities"),
        ("container-drop-all-capabilities", insecure(capabilities=None), "keeps Linux capabilities"),
        ("image-pinned", container(image="nginx:latest"), "uses the moving tag :latest"),
        ("image-pinned", container(image="registry:5000/team/app"), "is untagged"),
        ("image-pinned", container(image="nginx@sha256:abc"), "malformed digest"),
    ],
)
def test_each_container_policy_fires_once_on_its_violation(policy: str, bad: dict[str, Any], expected: str) -> None:
    # GIVEN a Deployment with one good and one bad container THEN only the bad one is reported
    found = violations(policy, DEPLOYMENT, deployment(container(name="ok"), {**bad, "name": "bad"}))
    assert len(found) == 1, found
    assert "Deployment 'web': container 'bad'" in found[0]
    assert expected in found[0]


def test_container_policies_cover_init_containers_and_cronjobs() -> None:
    bare = {"name": "init", "image": "busybox:1.37"}
    props = deployment()
    props["spec"]["template"]["spec"]["initContainers"] = [bare]
    assert violations("container-resources", DEPLOYMENT, props) == [
        "Deployment 'web': init container 'init' has no requests.cpu, requests.memory, limits.cpu, limits.memory: "
        "set resources.requests and resources.limits for cpu and memory"
    ]
    assert violations("container-run-as-non-root", DEPLOYMENT, props) == [
        "Deployment 'web': init container 'init' may run as root: set securityContext.runAsNonRoot: true"
    ]
    assert violations("container-drop-all-capabilities", DEPLOYMENT, props) == [
        "Deployment 'web': init container 'init' keeps Linux capabilities: set securityContext.capabilities.drop: [ALL]"
    ]
    # Init containers and run-to-completion jobs need no probes; everything else still applies.
    assert violations("container-probes", DEPLOYMENT, props) == []
    job = {
        "metadata": {"name": "backup"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [bare]}}}}},
    }
    assert violations("container-probes", CRONJOB, job) == []
    assert "CronJob 'backup': container 'init'" in violations("container-resources", CRONJOB, job)[0]


def test_run_as_non_root_may_come_from_the_pod_but_a_container_cannot_undo_it() -> None:
    from_pod = deployment(insecure(runAsNonRoot=None), pod_security={"runAsNonRoot": True})
    assert violations("container-run-as-non-root", DEPLOYMENT, from_pod) == []
    undone = deployment(insecure(runAsNonRoot=False), pod_security={"runAsNonRoot": True})
    assert len(violations("container-run-as-non-root", DEPLOYMENT, undone)) == 1


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("postgres:17.6-alpine", None),
        ("quay.io/prometheuscommunity/postgres-exporter:v0.17.1", None),
        ("localhost:5000/app:1.0", None),
        ("app@sha256:" + "a" * 64, None),
        ("localhost:5000/app", "is untagged (it means :latest)"),
        ("app", "is untagged (it means :latest)"),
        ("app:latest", "uses the moving tag :latest"),
    ],
)
def test_image_problem(image: str, problem: str | None) -> None:
    assert image_problem(image) == problem


# -- services, volumes, config maps, ingresses --------------------------------------------------


def test_load_balancer_is_refused_unless_the_stack_config_allows_it() -> None:
    lb = {"metadata": {"name": "web"}, "spec": {"type": "LoadBalancer"}}
    [message] = violations("no-load-balancer-service", SERVICE, lb)
    assert "Service 'web' is a LoadBalancer" in message
    assert "allowLoadBalancer" in message
    assert violations("no-load-balancer-service", SERVICE, lb, config={"allowLoadBalancer": True}) == []
    assert len(violations("no-load-balancer-service", SERVICE, lb, config={"allowLoadBalancer": False})) == 1


def test_a_pvc_must_be_protected_or_declared_retained() -> None:
    bare = {"metadata": {"name": "data"}}
    [message] = violations("pvc-retain-on-delete", PVC, bare)
    assert "PersistentVolumeClaim 'data' may be deleted with its data" in message
    assert violations("pvc-retain-on-delete", PVC, bare, protect=True) == []
    other_value = {"metadata": {"name": "data", "annotations": {RETAIN_ANNOTATION: "false"}}}
    assert len(violations("pvc-retain-on-delete", PVC, other_value)) == 1


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"DB_PASSWORD": "x"}, "key 'DB_PASSWORD' names a secret"),
        ({"apiKey": "x"}, "key 'apiKey' names a secret"),
        ({"tls.private-key": "x"}, "names a secret"),
        ({"GITHUB_TOKEN": "x"}, "names a secret"),
        ({"KEY": "-----BEGIN RSA PRIVATE KEY-----\nMIIE..."}, "looks like a private key"),
        ({"AWS_ID": "AKIAIOSFODNN7EXAMPLE"}, "looks like an AWS access key id"),
        ({"DSN": "postgresql://app:hunter2@db:5432/app"}, "looks like a password in a URL"),
    ],
)
def test_secret_looking_config_map_data_is_refused(data: dict[str, str], expected: str) -> None:
    [message] = violations("configmap-no-secrets", CONFIG_MAP, {"metadata": {"name": "env"}, "data": data})
    assert expected in message


def test_config_map_references_to_secrets_and_unknown_values_pass() -> None:
    data = {
        "POSTGRES_PASSWORD_FILE": "/run/secrets/password",
        "DATABASE_HOST": UNKNOWN_STRING_VALUE,  # computed during preview
        "TOKEN_URL": "https://auth.example.com/token",
        "DATABASE_URL": "postgresql://db:5432/app",
    }
    assert secret_key("TOKEN_URL") is False
    assert violations("configmap-no-secrets", CONFIG_MAP, {"metadata": {"name": "env"}, "data": data}) == []
    assert secret_value("postgresql://db:5432/app") is None


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"rules": [{"host": "a.example.com"}]}, "has no spec.tls"),
        ({"rules": [{"host": "a.example.com"}], "tls": []}, "has no spec.tls"),
        (
            {
                "rules": [{"host": "a.example.com"}, {"host": "b.example.com"}],
                "tls": [{"hosts": ["a.example.com"], "secretName": "t"}],
            },
            "routes b.example.com without TLS",
        ),
        ({"rules": [{"host": "a.example.com"}], "tls": [{"hosts": ["a.example.com"]}]}, "without secretName"),
    ],
)
def test_an_ingress_without_tls_for_every_host_is_refused(spec: dict[str, Any], expected: str) -> None:
    [message] = violations("ingress-tls", INGRESS, {"metadata": {"name": "web"}, "spec": spec})
    assert message.startswith("Ingress 'web'")
    assert expected in message


# -- the program keeps its promises --------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_passes_every_policy_under_mocks(mocks: Recorder, stack: str) -> None:
    # GIVEN the stack file WHEN the stack is built under mocks THEN no policy reports anything
    settings = load_settings(stack_config(stack), stack)
    synth(lambda: build_stack(settings))
    assert mocks.of_type(PVC), "the stack should have volumes for pvc-retain-on-delete to check"
    found = [
        f"{policy.name}: {message}"
        for resource in mocks.resources
        for policy in POLICIES
        for message in violations(policy.name, resource.typ, resource.inputs, protect=resource.protect)
    ]
    found += [message for _, message in check_gateway_https_only([(r.typ, r.inputs, r.urn) for r in mocks.resources])]
    assert found == []


@pytest.mark.parametrize("routing", ["gateway", "both"])
def test_the_gateway_variants_pass_every_policy_under_mocks(mocks: Recorder, routing: str) -> None:
    settings = load_settings({**stack_config("prod"), "routing": routing}, "prod")
    synth(lambda: build_stack(settings))
    assert mocks.of_type(GATEWAY)
    assert mocks.of_type(HTTP_ROUTE)
    config = {"allowWildcardHosts": False}
    found = [
        f"{policy.name}: {message}"
        for resource in mocks.resources
        for policy in POLICIES
        for message in violations(policy.name, resource.typ, resource.inputs, protect=resource.protect, config=config)
    ]
    found += [message for _, message in check_gateway_https_only([(r.typ, r.inputs, r.urn) for r in mocks.resources])]
    assert found == []


# -- gateways: HTTPS only, no wildcard hosts --------------------------------------------------------


def gateway(**https: Any) -> dict[str, Any]:
    """A Gateway as TlsGateway renders it: an HTTP listener and one terminating HTTPS listener."""
    listener = {
        "name": "https-0",
        "protocol": "HTTPS",
        "port": 8443,
        "hostname": "app.example.com",
        "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "web-gateway-tls"}]},
        **https,
    }
    return {
        "metadata": {"name": "web", "namespace": "team"},
        "spec": {
            "gatewayClassName": "traefik",
            "listeners": [
                {"name": "http", "protocol": "HTTP", "port": 8000},
                {k: v for k, v in listener.items() if v is not None},
            ],
        },
    }


def https_only(*resources: tuple[str, dict[str, Any]]) -> list[str]:
    """The messages of the stack policy over ``resources`` (each given the URN ``urn:<index>``)."""
    return [
        message for _, message in check_gateway_https_only([(t, p, f"urn:{i}") for i, (t, p) in enumerate(resources)])
    ]


BACKEND_RULE = {
    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
    "backendRefs": [{"name": "web", "port": 80}],
}
REDIRECT_RULE = {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}


def route(
    section: str | None, rules: list[dict[str, Any]] | None = None, name: str = "web-route", **ref: Any
) -> dict[str, Any]:
    parent = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web", **ref}
    if section is not None:
        parent["sectionName"] = section
    return {
        "metadata": {"name": name, "namespace": "team"},
        "spec": {"parentRefs": [parent], "hostnames": ["app.example.com"], "rules": rules or [BACKEND_RULE]},
    }


def test_tls_gateway_shape_is_https_only() -> None:
    redirect = route("http", [REDIRECT_RULE], "r")
    assert https_only((GATEWAY, gateway()), (HTTP_ROUTE, route("https-0")), (HTTP_ROUTE, redirect)) == []


@pytest.mark.parametrize(
    ("https", "expected"),
    [
        ({"protocol": "TLS", "tls": {"mode": "Passthrough"}}, "listener 'https-0' is TLS, not HTTPS"),
        ({"protocol": "TCP", "tls": None}, "listener 'https-0' is TCP, not HTTPS"),
        (
            {"tls": {"mode": "Passthrough", "certificateRefs": [{"name": "x"}]}},
            "listener 'https-0' does not terminate TLS (tls.mode Terminate)",
        ),
        ({"tls": {"mode": "Terminate"}}, "listener 'https-0' names no certificate (tls.certificateRefs)"),
        ({"tls": None}, "listener 'https-0' does not terminate TLS (tls.mode Terminate)"),
    ],
)
def test_a_gateway_listener_that_is_not_https_is_refused(https: dict[str, Any], expected: str) -> None:
    [message] = https_only((GATEWAY, gateway(**https)))
    assert message == f"Gateway 'web': {expected}"


def test_tls_mode_defaults_to_terminate() -> None:
    https = {"tls": {"certificateRefs": [{"name": "web-gateway-tls"}]}}
    assert https_only((GATEWAY, gateway(**https))) == []


@pytest.mark.parametrize(
    ("bad_route", "listeners"),
    [
        (route("http"), "http"),
        # No sectionName: the route attaches to every listener, the HTTP one included.
        (route(None), "http"),
        (route("http", [REDIRECT_RULE, BACKEND_RULE]), "http"),
        (route("http", [{"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "http"}}]}]), "http"),
        (route("http", namespace="team"), "http"),
    ],
)
def test_a_route_serving_on_the_http_listener_is_refused(bad_route: dict[str, Any], listeners: str) -> None:
    [message] = https_only((GATEWAY, gateway()), (HTTP_ROUTE, bad_route))
    assert message.startswith(f"HTTPRoute 'web-route' serves plain HTTP on listener(s) {listeners}:")


def test_routes_to_other_gateways_are_not_judged() -> None:
    elsewhere = [route("http", name="a", namespace="other"), route("http", name="b", kind="Service")]
    assert https_only((GATEWAY, gateway()), *((HTTP_ROUTE, r) for r in elsewhere)) == []


@pytest.mark.parametrize(
    ("resource_type", "props", "host"),
    [
        (INGRESS, {"metadata": {"name": "web"}, "spec": {"rules": [{"host": "*.example.com"}]}}, "*.example.com"),
        (INGRESS, {"metadata": {"name": "web"}, "spec": {"tls": [{"hosts": ["*.example.com"]}]}}, "*.example.com"),
        (GATEWAY, gateway(hostname="*.example.com"), "*.example.com"),
        (HTTP_ROUTE, {"metadata": {"name": "web"}, "spec": {"hostnames": ["*.example.com"]}}, "*.example.com"),
    ],
)
def test_a_wildcard_host_is_refused_unless_allowed(resource_type: str, props: dict[str, Any], host: str) -> None:
    [message] = violations("no-wildcard-hosts", resource_type, props)
    assert f"serves the wildcard host(s) {host}:" in message
    assert violations("no-wildcard-hosts", resource_type, props, config={"allowWildcardHosts": True}) == []


def test_an_ingress_listing_a_wildcard_twice_is_one_violation() -> None:
    props = {"metadata": {"name": "web"}, "spec": {"rules": [{"host": "*.a.com"}], "tls": [{"hosts": ["*.a.com"]}]}}
    assert len(violations("no-wildcard-hosts", INGRESS, props)) == 1


def test_stack_policy_reports_through_the_pack() -> None:
    from pulumi_policy import PolicyResource, StackValidationArgs

    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    resources = [
        PolicyResource(GATEWAY, gateway(), "urn:g", "g", opts, None, None, [], {}),
        PolicyResource(HTTP_ROUTE, route("http"), "urn:r", "r", opts, None, None, [], {}),
    ]
    found: list[tuple[str, str | None]] = []
    STACK_POLICIES[0].validate(
        StackValidationArgs(resources, {}), lambda message, urn=None: found.append((message, urn))
    )
    [(message, urn)] = found
    assert message.startswith("HTTPRoute 'web-route' serves plain HTTP")
    assert urn == "urn:r"  # the offending route, which the CLI then names


def test_gateway_objects_with_values_unknown_in_a_preview_are_judged_later() -> None:
    unknown_gateway = gateway(tls={"mode": "Terminate"})  # no certificate: refused once it is known
    unknown_gateway["metadata"]["namespace"] = UNKNOWN_STRING_VALUE
    unknown_route = route("http")
    unknown_route["spec"]["rules"] = UNKNOWN_STRING_VALUE
    resources = [
        (GATEWAY, unknown_checking_proxy(unknown_gateway), "urn:g"),
        (GATEWAY, unknown_checking_proxy(gateway()), "urn:known"),
        (HTTP_ROUTE, unknown_checking_proxy(unknown_route), "urn:r"),
    ]
    assert list(check_gateway_https_only(resources)) == []
    # Known, the same objects are refused.
    assert len(https_only((GATEWAY, gateway(tls={"mode": "Terminate"})), (HTTP_ROUTE, route("http")))) == 2
