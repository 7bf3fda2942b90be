"""Keys of the routing choice (Ingress or Gateway API) and of the LoadBalancer Service's reach.

The hosts, paths and certificate source are the Ingress keys (``ingressHosts``, ``tlsIssuer``, ...):
``routing`` only decides which objects serve them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from components.ingress import TRAEFIK
from components.platform import (
    ADDONS,
    CHART_CAPABLE,
    GATEWAY_API_VERSION,
    ROUTING_BOTH,
    ROUTING_GATEWAY,
    ROUTING_INGRESS,
    ROUTINGS,
)
from components.validation import check_cidr, check_dns_subdomain
from webstack.config.spec import Key, Reader

KEYS: tuple[Key, ...] = (
    Key(
        "routing",
        "string",
        "What serves the hosts: ingress (a networking.k8s.io Ingress; every cluster), gateway (a Gateway API "
        "Gateway and HTTPRoutes; needs a Gateway API controller: traefik here) or both (the two side by side, "
        "for a migration from Ingress to Gateway without downtime).",
        ROUTING_INGRESS,
    ),
    Key(
        "gatewayClassName",
        "string",
        "GatewayClass of the Gateway (routing gateway or both); the Traefik release creates it.",
        "traefik",
    ),
    Key(
        "platformGatewayApiCrds",
        "boolean",
        f"Install the Gateway API CRDs (standard channel {GATEWAY_API_VERSION}) with routing gateway or both; "
        "switch off when the cluster already provides them. They are kept on destroy (deleting them would "
        "delete every Gateway and route in the cluster).",
        True,
    ),
    Key(
        "gatewayApiCrdsSource",
        "string",
        f"Where the Gateway API CRDs come from: an https URL of a standard-install manifest or a local folder of "
        f"CRD files (air-gapped clusters). Empty: the {GATEWAY_API_VERSION} release manifest.",
        "",
    ),
    Key(
        "platformChartAddons",
        "array",
        "Add-ons installed as helm.v4.Chart (every object a Pulumi resource: per-object diffs, render mode, policies "
        "and linters see them) instead of a Helm release; only add-ons whose chart needs no Helm hook: traefik. "
        "Switching a running add-on uninstalls the release: see the README before changing it.",
        [],
    ),
    Key(
        "loadBalancerSourceRanges",
        "array",
        "With serviceType LoadBalancer: client networks (CIDR) the load balancer admits; the app's NetworkPolicy "
        "admits exactly these on the app port (the Service keeps client addresses: externalTrafficPolicy Local). "
        "Empty: the app port is open to every address (a warning in prod).",
        [],
    ),
)


@dataclass(frozen=True)
class RoutingSettings:
    routing: str
    gateway_class_name: str
    gateway_api_crds: bool
    gateway_api_crds_source: str | None
    load_balancer_source_ranges: tuple[str, ...]
    chart_addons: tuple[str, ...] = ()

    @property
    def ingress(self) -> bool:
        """An Ingress serves the hosts."""
        return self.routing in (ROUTING_INGRESS, ROUTING_BOTH)

    @property
    def gateway(self) -> bool:
        """A Gateway serves the hosts."""
        return self.routing in (ROUTING_GATEWAY, ROUTING_BOTH)


def parse(r: Reader, ingress_controller: str, service_type: str, installed: Sequence[str] = ()) -> RoutingSettings:
    """``installed``: the add-ons this stack installs (a Chart entry for another would be ignored)."""
    routing = r.choice("routing", ROUTINGS)
    class_name = r.string("gatewayClassName", check_dns_subdomain)
    source = r.string("gatewayApiCrdsSource").strip()
    if source.startswith("http://"):
        r.fail("gatewayApiCrdsSource", f"{source!r} is plain http; use an https URL or a local folder")
    if routing in (ROUTING_GATEWAY, ROUTING_BOTH) and ingress_controller != TRAEFIK:
        r.fail(
            "routing",
            f"{routing!r} needs a controller with a Gateway API provider, but ingressController is "
            f"{ingress_controller!r}; set ingressController to traefik, or keep routing ingress",
        )
    ranges = r.strings("loadBalancerSourceRanges")
    for cidr in ranges:
        r.validate(check_cidr, cidr, r.what("loadBalancerSourceRanges"))
    if ranges and service_type != "LoadBalancer":
        r.fail(
            "loadBalancerSourceRanges",
            f"is set but serviceType is {service_type!r}; set serviceType to LoadBalancer or remove the ranges",
        )
    chart_addons = r.strings("platformChartAddons")
    for addon in chart_addons:
        if addon not in ADDONS:
            r.fail("platformChartAddons", f"{addon!r} is not an add-on; use one of {', '.join(ADDONS)}")
        elif addon not in CHART_CAPABLE:
            r.fail(
                "platformChartAddons",
                f"{addon!r} needs Helm hooks, which a helm.v4.Chart skips; only {', '.join(CHART_CAPABLE)} can be "
                "installed as a Chart",
            )
        elif addon not in installed:
            r.fail(
                "platformChartAddons",
                f"names {addon!r}, which this stack does not install (installed: {', '.join(installed) or 'none'}); "
                "remove the entry or switch the add-on on",
            )
    return RoutingSettings(
        routing=routing,
        gateway_class_name=class_name,
        gateway_api_crds=r.boolean("platformGatewayApiCrds"),
        gateway_api_crds_source=source or None,
        load_balancer_source_ranges=ranges,
        chart_addons=chart_addons,
    )
