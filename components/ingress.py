"""TLS Ingress: a networking.k8s.io/v1 Ingress with TLS always on and HTTP redirected to HTTPS.

The certificate comes from a cert-manager ClusterIssuer (``cert-manager.io/cluster-issuer``
annotation; cert-manager writes the Secret) or from a TLS Secret the user brings. The controller
is selectable; the annotations each one needs for TLS and the redirect are produced here, never by
the user:

* ``traefik`` (maintained; the default): the router listens on the ``websecure`` entry point only
  with TLS on. Plain HTTP reaches Traefik's ``web`` entry point, whose entry-point redirect (set in
  the Traefik chart values by ``Platform``) answers with a permanent redirect to HTTPS.
* ``ingress-nginx`` (upstream retired in March 2026; for clusters that still run it):
  ``ssl-redirect`` and ``force-ssl-redirect``.

With a Let's Encrypt issuer, cert-manager answers the ACME HTTP-01 challenge from a solver pod it
starts in the Ingress's namespace; the controller must reach it through the namespace's default
deny, so a NetworkPolicy admits the controller's namespace to the solver's port. The solver only
answers: it needs no egress.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.labels import standard_labels
from components.network_policy import from_namespace, network_policy
from components.validation import (
    check_choice,
    check_dns_label,
    check_dns_subdomain,
    check_hostname,
    check_http_path,
    check_port,
)

TRAEFIK = "traefik"
INGRESS_NGINX = "ingress-nginx"
CONTROLLERS = (TRAEFIK, INGRESS_NGINX)
DEFAULT_CLASS_NAMES = {TRAEFIK: "traefik", INGRESS_NGINX: "nginx"}
SELF_SIGNED = "selfsigned"
LETSENCRYPT_STAGING = "letsencrypt-staging"
LETSENCRYPT_PROD = "letsencrypt-prod"
ISSUERS = (SELF_SIGNED, LETSENCRYPT_STAGING, LETSENCRYPT_PROD)
"""ClusterIssuer names that ``Platform`` creates; a TlsIngress refers to one of them."""
ACME_ISSUERS = (LETSENCRYPT_STAGING, LETSENCRYPT_PROD)
PATH_TYPES = ("Prefix", "Exact", "ImplementationSpecific")
CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"
COMPONENT = "ingress"
# cert-manager's HTTP-01 solver pods: the label it sets on every one, and the port they listen on.
ACME_SOLVER_LABELS = {"acme.cert-manager.io/http01-solver": "true"}
ACME_SOLVER_PORT = 8089


class TlsIngressArgs(TypedDict):
    """Inputs of ``TlsIngress``."""

    namespace: pulumi.Input[str]
    """Namespace of the Ingress and of the backend Service. Required."""
    hosts: Sequence[str]
    """Fully qualified host names served (at least one; a leading ``*.`` wildcard only with a BYO
    Secret, since Let's Encrypt's HTTP-01 cannot issue wildcards). Required."""
    service_name: pulumi.Input[str]
    """Backend Service name, e.g. ``WebApp.service_name``. Required."""
    service_port: NotRequired[int]
    """Backend Service port number. Default: ``80`` (``WebApp.service_port``)."""
    paths: NotRequired[Sequence[str]]
    """HTTP paths routed to the Service on every host. Default: ``["/"]``."""
    path_type: NotRequired[str]
    """``Prefix``, ``Exact`` or ``ImplementationSpecific``. Default: ``"Prefix"``."""
    controller: NotRequired[str]
    """Ingress controller that serves the Ingress: ``traefik`` or ``ingress-nginx``; decides the
    redirect/TLS annotations. Default: ``"traefik"``."""
    ingress_class_name: NotRequired[str]
    """``spec.ingressClassName``. Default: the controller's usual class (``traefik`` / ``nginx``)."""
    issuer: NotRequired[str | None]
    """cert-manager ClusterIssuer that issues the certificate: ``selfsigned``,
    ``letsencrypt-staging`` or ``letsencrypt-prod``. Exactly one of ``issuer`` and
    ``tls_secret_name`` is set. Default: ``None``."""
    tls_secret_name: NotRequired[str | None]
    """An existing ``kubernetes.io/tls`` Secret in the namespace (bring your own certificate).
    Default: ``None`` (with an issuer, cert-manager writes ``<name>-tls``)."""
    instance: NotRequired[str]
    """``app.kubernetes.io/instance`` label. Default: the component's resource name."""
    ingress_namespace: NotRequired[str | None]
    """Namespace of the ingress controller. With a Let's Encrypt issuer it is admitted to port 8089
    of cert-manager's HTTP-01 solver pods (label ``acme.cert-manager.io/http01-solver: "true"``),
    which the namespace's default-deny NetworkPolicy would otherwise keep the challenge from.
    ``None`` adds no policy. Default: ``"ingress"`` (as ``WebApp.ingress_namespace``)."""
    annotations: NotRequired[Mapping[str, str]]
    """Extra annotations (e.g. rate limits); they cannot override the TLS/redirect ones. Default: none."""


def validate_hosts(hosts: Sequence[str], component: str = "TlsIngress") -> list[str]:
    if isinstance(hosts, str) or not hosts:
        raise ValueError(f"{component} hosts: no host given; list at least one host name such as 'app.example.com'")
    checked = [check_hostname(host, f"{component} hosts") for host in hosts]
    duplicates = sorted({host for host in checked if checked.count(host) > 1})
    if duplicates:
        raise ValueError(f"{component} hosts: {', '.join(duplicates)} listed twice; list each host once")
    return checked


def validate_paths(paths: Sequence[str], component: str = "TlsIngress") -> list[str]:
    if isinstance(paths, str) or not paths:
        raise ValueError(f"{component} paths: no path given; use at least one absolute path such as '/'")
    return [check_http_path(path, f"{component} paths") for path in paths]


def validate_certificate_source(
    issuer: str | None, secret_name: str | None, hosts: Sequence[str], component: str = "TlsIngress"
) -> None:
    """TLS is always on: exactly one certificate source, and one that can cover every host."""
    if issuer is not None and secret_name is not None:
        raise ValueError(
            f"{component}: both issuer {issuer!r} and tls_secret_name {secret_name!r} are set; set the issuer "
            "for a cert-manager certificate or tls_secret_name for your own certificate, not both"
        )
    if issuer is None and secret_name is None:
        raise ValueError(
            f"{component}: no certificate source; TLS is always on, so set issuer (selfsigned, letsencrypt-staging, "
            "letsencrypt-prod) or tls_secret_name (an existing kubernetes.io/tls Secret)"
        )
    if issuer is not None:
        if issuer not in ISSUERS:
            raise ValueError(
                f"{component} issuer: {issuer!r} is not a known ClusterIssuer; use one of "
                f"{', '.join(repr(i) for i in ISSUERS)}, or tls_secret_name for your own certificate"
            )
        wildcards = [host for host in hosts if host.startswith("*.")]
        if issuer in ACME_ISSUERS and wildcards:
            raise ValueError(
                f"{component} hosts: {', '.join(wildcards)} cannot be issued by {issuer!r} (ACME HTTP-01 does not "
                "issue wildcard certificates); list the host names explicitly or bring a wildcard certificate "
                "through tls_secret_name"
            )
    if secret_name is not None:
        check_dns_subdomain(secret_name, f"{component} tls_secret_name")


def controller_annotations(controller: str) -> dict[str, str]:
    """The annotations a controller needs to serve the Ingress over TLS only, HTTP redirected."""
    if controller == TRAEFIK:
        return {
            "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
            "traefik.ingress.kubernetes.io/router.tls": "true",
        }
    return {
        "nginx.ingress.kubernetes.io/ssl-redirect": "true",
        "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
    }


def acme_solver_policy(
    resource_name: str,
    name: str,
    *,
    namespace: pulumi.Input[str],
    labels: Mapping[str, str],
    controller_namespace: str,
    opts: pulumi.ResourceOptions,
) -> k8s.networking.v1.NetworkPolicy:
    """Admit the controller's namespace to cert-manager's HTTP-01 solver pods through the default deny."""
    return network_policy(
        f"{resource_name}-allow-acme-solver",
        k8s.meta.v1.ObjectMetaArgs(name=f"{name}-allow-acme-solver", namespace=namespace, labels=dict(labels)),
        pods=ACME_SOLVER_LABELS,
        ingress=[from_namespace(controller_namespace, [ACME_SOLVER_PORT])],
        opts=opts,
    )


def https_url(host: str, path: str = "/") -> str:
    """The address users open: ``https://<host><path>`` (a wildcard host has no single address)."""
    return f"https://{host.removeprefix('*.')}{path}"


class TlsIngress(pulumi.ComponentResource):
    """An Ingress that only ever serves HTTPS for its hosts; plain HTTP gets redirected."""

    name: pulumi.Output[str]
    url: pulumi.Output[str]
    """``https://<first host><first path>``."""
    tls_secret_name: str
    """The Secret holding the certificate (written by cert-manager when an issuer is used)."""

    def __init__(self, resource_name: str, args: TlsIngressArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:ingress:TlsIngress", resource_name, None, opts)
        name = check_dns_label(resource_name, "TlsIngress resource name")
        hosts = validate_hosts(args["hosts"])
        paths = validate_paths(args.get("paths", ["/"]))
        path_type = check_choice(args.get("path_type", "Prefix"), "TlsIngress path_type", PATH_TYPES)
        port = check_port(args.get("service_port", 80), "TlsIngress service_port")
        controller = check_choice(args.get("controller", TRAEFIK), "TlsIngress controller", CONTROLLERS)
        class_name = check_dns_subdomain(
            args.get("ingress_class_name", DEFAULT_CLASS_NAMES[controller]), "TlsIngress ingress_class_name"
        )
        issuer = args.get("issuer")
        byo_secret = args.get("tls_secret_name")
        validate_certificate_source(issuer, byo_secret, hosts)
        instance = check_dns_label(args.get("instance", name), "TlsIngress instance")
        ingress_namespace = args.get("ingress_namespace", "ingress")
        if ingress_namespace is not None:
            check_dns_label(ingress_namespace, "TlsIngress ingress_namespace")
        secret_name = byo_secret if byo_secret is not None else f"{name}-tls"
        labels = standard_labels(name, instance, COMPONENT)
        child = pulumi.ResourceOptions(parent=self)

        annotations = dict(args.get("annotations", {}))
        annotations.update(controller_annotations(controller))
        if issuer is not None:
            annotations[CLUSTER_ISSUER_ANNOTATION] = issuer

        backend = k8s.networking.v1.IngressBackendArgs(
            service=k8s.networking.v1.IngressServiceBackendArgs(
                name=args["service_name"], port=k8s.networking.v1.ServiceBackendPortArgs(number=port)
            )
        )
        rules = [
            k8s.networking.v1.IngressRuleArgs(
                host=host,
                http=k8s.networking.v1.HTTPIngressRuleValueArgs(
                    paths=[
                        k8s.networking.v1.HTTPIngressPathArgs(path=path, path_type=path_type, backend=backend)
                        for path in paths
                    ]
                ),
            )
            for host in hosts
        ]
        ingress = k8s.networking.v1.Ingress(
            f"{resource_name}-ingress",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name,
                namespace=args["namespace"],
                labels=labels,
                annotations=annotations,
            ),
            spec=k8s.networking.v1.IngressSpecArgs(
                ingress_class_name=class_name,
                tls=[k8s.networking.v1.IngressTLSArgs(hosts=hosts, secret_name=secret_name)],
                rules=rules,
            ),
            opts=child,
        )
        if issuer in ACME_ISSUERS and ingress_namespace is not None:
            acme_solver_policy(
                resource_name,
                name,
                namespace=args["namespace"],
                labels=labels,
                controller_namespace=ingress_namespace,
                opts=child,
            )

        self.tls_secret_name = secret_name
        self.name = ingress.metadata.name
        self.url = pulumi.Output.from_input(https_url(hosts[0], paths[0]))
        self.register_outputs({"name": self.name, "url": self.url})
