"""TLS Gateway: a Gateway API (``gateway.networking.k8s.io/v1``) Gateway and HTTPRoutes, HTTPS only.

The Gateway API counterpart of ``TlsIngress``, for clusters that route with it (Ingress is frozen
upstream). In the app's namespace:

* a ``Gateway`` of the class the controller serves (``traefik`` by default) with one HTTPS
  listener per host (TLS terminated with the host's certificate) and one plain HTTP listener;
* an ``HTTPRoute`` per host, attached to that host's HTTPS listener only, sending every path to
  the app's Service;
* an ``HTTPRoute`` on the HTTP listener whose only rule answers with a permanent redirect
  (``RequestRedirect``, scheme https, 301) to the same host and path on port 443: nothing is ever
  served over plain HTTP.

The certificate comes from a cert-manager ClusterIssuer (the ``cert-manager.io/cluster-issuer``
annotation on the Gateway: cert-manager's Gateway support, switched on by ``Platform``, issues a
Certificate for every HTTPS listener's hostname into the Secret the listener names) or from a
``kubernetes.io/tls`` Secret the user brings. Listeners only accept routes from their own
namespace (the API default, spelled out), so no other team can attach a route to this Gateway.

Listener ports are the controller's own: Traefik's Gateway provider binds a listener to the entry
point with the same port, ``web`` (8000) and ``websecure`` (8443) in its chart; the Service in
front of Traefik maps 80 and 443 to them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.ingress import (
    ACME_ISSUERS,
    CLUSTER_ISSUER_ANNOTATION,
    acme_solver_policy,
    https_url,
    validate_certificate_source,
    validate_hosts,
    validate_paths,
)
from components.labels import standard_labels
from components.validation import check_choice, check_dns_label, check_dns_subdomain, check_port

API_VERSION = "gateway.networking.k8s.io/v1"
COMPONENT = "gateway"
DEFAULT_GATEWAY_CLASS = "traefik"
# Traefik's chart: entry point ``web`` listens on 8000, ``websecure`` on 8443.
DEFAULT_HTTP_PORT = 8000
DEFAULT_HTTPS_PORT = 8443
HTTP_LISTENER = "http"
PATH_MATCH_TYPES = {"Prefix": "PathPrefix", "Exact": "Exact"}
"""``path_type`` (named as in ``TlsIngress``) → HTTPRoute path match type."""
REDIRECT_STATUS = 301
# Gateway API v1 limits (CRD schema): 64 listeners per Gateway, one of them the HTTP listener;
# 64 matches per HTTPRoute rule and 16 hostnames per HTTPRoute.
MAX_HOSTS = 63
MAX_PATHS = 64
MAX_REDIRECT_HOSTNAMES = 16


class TlsGatewayArgs(TypedDict):
    """Inputs of ``TlsGateway``."""

    namespace: pulumi.Input[str]
    """Namespace of the Gateway, its routes and the backend Service. Required."""
    hosts: Sequence[str]
    """Fully qualified host names served (1 to 63; a leading ``*.`` wildcard only with a BYO
    Secret, since Let's Encrypt's HTTP-01 cannot issue wildcards). Required."""
    service_name: pulumi.Input[str]
    """Backend Service name, e.g. ``WebApp.service_name``. Required."""
    service_port: NotRequired[int]
    """Backend Service port number. Default: ``80`` (``WebApp.service_port``)."""
    paths: NotRequired[Sequence[str]]
    """HTTP paths routed to the Service on every host (at most 64). Default: ``["/"]``."""
    path_type: NotRequired[str]
    """``Prefix`` (HTTPRoute ``PathPrefix``) or ``Exact``. Default: ``"Prefix"``."""
    gateway_class_name: NotRequired[str]
    """``spec.gatewayClassName``: the GatewayClass of the controller. Default: ``"traefik"``."""
    http_port: NotRequired[int]
    """Port of the HTTP listener (the controller's plain-HTTP entry point). Default: ``8000``."""
    https_port: NotRequired[int]
    """Port of the HTTPS listeners (the controller's TLS entry point). Default: ``8443``."""
    issuer: NotRequired[str | None]
    """cert-manager ClusterIssuer: ``selfsigned``, ``letsencrypt-staging`` or ``letsencrypt-prod``.
    Exactly one of ``issuer`` and ``tls_secret_name`` is set. Default: ``None``."""
    tls_secret_name: NotRequired[str | None]
    """An existing ``kubernetes.io/tls`` Secret in the namespace covering every host (bring your
    own certificate). Default: ``None`` (with an issuer, cert-manager writes ``<name>-gateway-tls``,
    a Secret of its own so that an Ingress of the same name can keep its certificate while both
    serve during a migration)."""
    instance: NotRequired[str]
    """``app.kubernetes.io/instance`` label. Default: the component's resource name."""
    controller_namespace: NotRequired[str | None]
    """Namespace of the controller's pods (Traefik's: the ingress namespace). With a Let's
    Encrypt issuer it is admitted to port 8089 of cert-manager's HTTP-01 solver pods. ``None``
    adds no policy. Default: ``"ingress"``."""
    annotations: NotRequired[Mapping[str, str]]
    """Extra annotations of the Gateway; they cannot override the issuer one. Default: none."""
    depends_on: NotRequired[Sequence[pulumi.Resource]]
    """What the Gateway and routes wait for: the Gateway API CRDs when installed in the same
    deployment (``Platform.gateway_api_crds``). Default: none."""


def validate_hosts_for_gateway(hosts: Sequence[str]) -> list[str]:
    checked = validate_hosts(hosts, "TlsGateway")
    if len(checked) > MAX_HOSTS:
        raise ValueError(
            f"TlsGateway hosts: {len(checked)} hosts, but a Gateway holds at most {MAX_HOSTS} HTTPS listeners "
            "(64 listeners, one for HTTP); split the hosts over several stacks or use a wildcard certificate"
        )
    return checked


def validate_paths_for_gateway(paths: Sequence[str]) -> list[str]:
    checked = validate_paths(paths, "TlsGateway")
    if len(checked) > MAX_PATHS:
        raise ValueError(
            f"TlsGateway paths: {len(checked)} paths, but an HTTPRoute rule matches at most {MAX_PATHS}; "
            "route a common prefix instead"
        )
    duplicates = sorted({path for path in checked if checked.count(path) > 1})
    if duplicates:
        raise ValueError(f"TlsGateway paths: {', '.join(duplicates)} listed twice; list each path once")
    return checked


def https_listener_name(index: int) -> str:
    return f"https-{index}"


def listeners(hosts: Sequence[str], secret_name: str, http_port: int, https_port: int) -> list[dict[str, Any]]:
    """One plain HTTP listener (for the redirect), then one terminating HTTPS listener per host."""
    same_namespace = {"namespaces": {"from": "Same"}}
    http: dict[str, Any] = {
        "name": HTTP_LISTENER,
        "protocol": "HTTP",
        "port": http_port,
        "allowedRoutes": same_namespace,
    }
    https = [
        {
            "name": https_listener_name(index),
            "protocol": "HTTPS",
            "port": https_port,
            "hostname": host,
            "tls": {"mode": "Terminate", "certificateRefs": [{"group": "", "kind": "Secret", "name": secret_name}]},
            "allowedRoutes": same_namespace,
        }
        for index, host in enumerate(hosts)
    ]
    return [http, *https]


def redirect_rules() -> list[dict[str, Any]]:
    """The HTTP listener's only rule: everything goes to https on the well-known port (443)."""
    # No port: with the scheme changed, the redirect takes the scheme's well-known port, never the
    # listener's own 8000.
    return [
        {
            "filters": [
                {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": REDIRECT_STATUS}}
            ]
        }
    ]


def backend_rules(paths: Sequence[str], match_type: str, service_name: Any, port: int) -> list[dict[str, Any]]:
    return [
        {
            "matches": [{"path": {"type": match_type, "value": path}} for path in paths],
            "backendRefs": [{"group": "", "kind": "Service", "name": service_name, "port": port}],
        }
    ]


class TlsGateway(pulumi.ComponentResource):
    """A Gateway and HTTPRoutes that only ever serve HTTPS for their hosts; plain HTTP is redirected."""

    name: pulumi.Output[str]
    url: pulumi.Output[str]
    """``https://<first host><first path>``."""
    tls_secret_name: str
    """The Secret holding the certificate (written by cert-manager when an issuer is used)."""

    def __init__(self, resource_name: str, args: TlsGatewayArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:routing:TlsGateway", resource_name, None, opts)
        name = check_dns_label(resource_name, "TlsGateway resource name")
        hosts = validate_hosts_for_gateway(args["hosts"])
        paths = validate_paths_for_gateway(args.get("paths", ["/"]))
        path_type = check_choice(args.get("path_type", "Prefix"), "TlsGateway path_type", tuple(PATH_MATCH_TYPES))
        port = check_port(args.get("service_port", 80), "TlsGateway service_port")
        class_name = check_dns_subdomain(
            args.get("gateway_class_name", DEFAULT_GATEWAY_CLASS), "TlsGateway gateway_class_name"
        )
        http_port = check_port(args.get("http_port", DEFAULT_HTTP_PORT), "TlsGateway http_port")
        https_port = check_port(args.get("https_port", DEFAULT_HTTPS_PORT), "TlsGateway https_port")
        if http_port == https_port:
            raise ValueError(
                f"TlsGateway https_port: {https_port} is also http_port; give the HTTP and HTTPS listeners the "
                "controller's two different entry-point ports (Traefik: 8000 and 8443)"
            )
        issuer = args.get("issuer")
        byo_secret = args.get("tls_secret_name")
        validate_certificate_source(issuer, byo_secret, hosts, "TlsGateway")
        instance = check_dns_label(args.get("instance", name), "TlsGateway instance")
        controller_namespace = args.get("controller_namespace", "ingress")
        if controller_namespace is not None:
            check_dns_label(controller_namespace, "TlsGateway controller_namespace")
        if len(hosts) > MAX_REDIRECT_HOSTNAMES:
            # The redirect route then matches every host on the HTTP listener: still redirect only.
            pulumi.log.info(
                f"TlsGateway {name}: more than {MAX_REDIRECT_HOSTNAMES} hosts; the redirect route covers every host"
            )
        secret_name = byo_secret if byo_secret is not None else f"{name}-gateway-tls"
        labels = standard_labels(name, instance, COMPONENT)
        child = pulumi.ResourceOptions(parent=self)
        routing_opts = pulumi.ResourceOptions(parent=self, depends_on=list(args.get("depends_on", [])) or None)
        namespace = args["namespace"]

        annotations = dict(args.get("annotations", {}))
        annotations.pop(CLUSTER_ISSUER_ANNOTATION, None)
        if issuer is not None:
            annotations[CLUSTER_ISSUER_ANNOTATION] = issuer

        gateway = k8s.apiextensions.CustomResource(
            f"{resource_name}-gateway",
            api_version=API_VERSION,
            kind="Gateway",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name, namespace=namespace, labels=labels, annotations=annotations or None
            ),
            spec={"gatewayClassName": class_name, "listeners": listeners(hosts, secret_name, http_port, https_port)},
            opts=routing_opts,
        )
        # The routes name the Gateway by its fixed name; they may exist before it (the API allows that).
        gateway_name = gateway.id.apply(lambda _: name)

        def route(suffix: str, section: str, hostnames: Sequence[str] | None, rules: Any) -> None:
            k8s.apiextensions.CustomResource(
                f"{resource_name}-{suffix}",
                api_version=API_VERSION,
                kind="HTTPRoute",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{name}-{suffix}", namespace=namespace, labels=labels),
                spec={
                    "parentRefs": [
                        {
                            "group": "gateway.networking.k8s.io",
                            "kind": "Gateway",
                            "name": name,
                            "sectionName": section,
                        }
                    ],
                    **({"hostnames": list(hostnames)} if hostnames else {}),
                    "rules": rules,
                },
                opts=routing_opts,
            )

        match_type = PATH_MATCH_TYPES[path_type]
        for index, host in enumerate(hosts):
            route(
                https_listener_name(index),
                https_listener_name(index),
                [host],
                backend_rules(paths, match_type, args["service_name"], port),
            )
        route(
            "redirect",
            HTTP_LISTENER,
            hosts if len(hosts) <= MAX_REDIRECT_HOSTNAMES else None,
            redirect_rules(),
        )
        if issuer in ACME_ISSUERS and controller_namespace is not None:
            acme_solver_policy(
                resource_name,
                name,
                namespace=namespace,
                labels=labels,
                controller_namespace=controller_namespace,
                opts=child,
            )

        self.tls_secret_name = secret_name
        self.name = gateway_name
        self.url = pulumi.Output.from_input(https_url(hosts[0], paths[0]))
        self.register_outputs({"name": self.name, "url": self.url})
