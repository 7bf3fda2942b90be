"""Platform add-ons as pinned Helm charts: ingress controller, cert-manager + ClusterIssuers, monitoring.

Each add-on is switched on or off on its own (render mode and clusters that already run an add-on
switch them off) and lives in its own namespace, created here with Pod Security labels at the
level the add-on's pods need. Each is a Helm release, or a ``helm.v4.Chart`` where its chart needs
no hook (``chart_addons``, ``CHART_CAPABLE``). The add-ons are independent of each other and install
in parallel; only the custom resources wait, each for the one add-on that installs its CRDs: the
ClusterIssuers for cert-manager (its webhook must be ready to admit them), and the app's
ServiceMonitor (in ``WebApp``) for kube-prometheus-stack, through ``monitoring_release``. With a
Gateway (``routing``), the Gateway API CRDs are installed here first, and Traefik and cert-manager
wait for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import yaml

from components.gateway import DEFAULT_GATEWAY_CLASS, HTTP_LISTENER
from components.helm_release import HelmRelease, HelmReleaseArgs
from components.ingress import (
    ACME_ISSUERS,
    CONTROLLERS,
    DEFAULT_CLASS_NAMES,
    INGRESS_NGINX,
    ISSUERS,
    LETSENCRYPT_PROD,
    LETSENCRYPT_STAGING,
    SELF_SIGNED,
    TRAEFIK,
)
from components.labels import DEFAULT_PART_OF, MANAGED_BY, namespace_labels
from components.validation import check_choice, check_dns_label, check_dns_subdomain, check_email, check_int_range

CERT_MANAGER = "cert-manager"
ROUTING_INGRESS = "ingress"
ROUTING_GATEWAY = "gateway"
ROUTING_BOTH = "both"
ROUTINGS = (ROUTING_INGRESS, ROUTING_GATEWAY, ROUTING_BOTH)
"""What serves the app's hosts: an Ingress, a Gateway API Gateway, or both during a migration."""
# Gateway API standard channel: the version Traefik 3.7 and cert-manager 1.21 are built against.
GATEWAY_API_VERSION = "v1.6.1"
GATEWAY_API_CRDS_URL = (
    f"https://github.com/kubernetes-sigs/gateway-api/releases/download/{GATEWAY_API_VERSION}/standard-install.yaml"
)
KUBE_PROMETHEUS_STACK = "kube-prometheus-stack"
ADDONS = (TRAEFIK, INGRESS_NGINX, CERT_MANAGER, KUBE_PROMETHEUS_STACK)


class ChartPin(TypedDict):
    """A published chart at one exact version."""

    chart: str
    version: str
    repo: str
    """``https://`` chart repository or ``oci://`` registry prefix."""


# Released versions, looked up when pinned (README "Add-ons and TLS"); Renovate proposes bumps (renovate.json).
# Read a chart's upgrade notes before merging one: values and CRDs change between majors.
CHARTS: dict[str, ChartPin] = {
    TRAEFIK: ChartPin(chart="traefik", version="41.5.0", repo="https://traefik.github.io/charts"),
    # Upstream ingress-nginx was retired in March 2026: 4.14.5 (controller v1.14.5), its last release, is kept for
    # clusters that still run it; new clusters use Traefik.
    INGRESS_NGINX: ChartPin(chart="ingress-nginx", version="4.14.5", repo="https://kubernetes.github.io/ingress-nginx"),
    CERT_MANAGER: ChartPin(chart="cert-manager", version="v1.21.2", repo="oci://quay.io/jetstack/charts"),
    KUBE_PROMETHEUS_STACK: ChartPin(
        chart="kube-prometheus-stack", version="89.2.3", repo="https://prometheus-community.github.io/helm-charts"
    ),
}

# How each add-on may be installed (components/helm_release.py). helm.v4.Chart makes every object a
# Pulumi resource (per-object diffs, render mode, policies, linters) but skips Helm hooks; an add-on
# whose chart needs a hook stays a helm.v3.Release. From the pinned charts' templates:
# - traefik 41.x: no hook (the Hub admission webhook only with Hub on); CRDs in crds/, which a
#   Release installs once and never upgrades, while a Chart applies them on every update.
# - ingress-nginx 4.14.x: the admission webhook's certificate comes from hook Jobs
#   (admission-create pre-install/pre-upgrade, admission-patch post-install/post-upgrade); without
#   them the webhook has no CA and every Ingress is refused.
# - cert-manager v1.21.x: its CRDs carry helm.sh/resource-policy: keep (crds.keep), which only Helm
#   honours (a Chart would delete every Certificate with the CRDs on destroy); the startupapicheck
#   Job that holds the install until the webhook answers is a post-install hook.
# - kube-prometheus-stack 89.x: the operator's admission webhook certificate comes from hook Jobs,
#   and its CRDs (up to 830 kB each) are in crds/.
CHART_CAPABLE = (TRAEFIK,)

# The Pod Security level each add-on's namespace enforces: the strictest its pods pass.
POD_SECURITY = {
    # Chart 41.x defaults: non-root 65532, RuntimeDefault seccomp, no privilege escalation, all capabilities dropped.
    TRAEFIK: "restricted",
    # Chart 4.14.5 defaults: the controller runs as 101 with RuntimeDefault seccomp, no privilege escalation, all
    # capabilities dropped but NET_BIND_SERVICE (the one restricted allows adding back, for ports 80/443); the
    # admission-webhook jobs run as 65532 with the same settings and nothing added.
    INGRESS_NGINX: "restricted",
    # The chart's pods run non-root, read-only, all capabilities dropped, RuntimeDefault seccomp.
    CERT_MANAGER: "restricted",
    # node-exporter reads the node through hostNetwork, hostPID and hostPath mounts.
    KUBE_PROMETHEUS_STACK: "privileged",
}

ACME_SERVERS = {
    LETSENCRYPT_STAGING: "https://acme-staging-v02.api.letsencrypt.org/directory",
    LETSENCRYPT_PROD: "https://acme-v02.api.letsencrypt.org/directory",
}


class GatewayRef(TypedDict):
    """The app's Gateway, which cert-manager's ACME HTTP-01 solver routes attach to."""

    name: str
    namespace: str


class PlatformArgs(TypedDict):
    """Inputs of ``Platform``. Every add-on is on by default; switch off what the cluster already has."""

    ingress_controller: NotRequired[str]
    """Controller serving the Ingresses: ``traefik`` (maintained) or ``ingress-nginx`` (retired
    upstream; for clusters that still run it). Default: ``"traefik"``."""
    install_ingress_controller: NotRequired[bool]
    """Install that controller as a Helm release. Default: ``True``."""
    ingress_namespace: NotRequired[str]
    """Namespace of the controller; the app's NetworkPolicy admits traffic from it. Default: ``"ingress"``."""
    ingress_class_name: NotRequired[str]
    """IngressClass the controller serves (and the ACME HTTP-01 solver uses). Default: ``traefik``
    for Traefik, ``nginx`` for ingress-nginx."""
    cert_manager: NotRequired[bool]
    """Install cert-manager (CRDs included). Default: ``True``."""
    cert_manager_namespace: NotRequired[str]
    """Namespace of cert-manager. Default: ``"cert-manager"``."""
    issuers: NotRequired[Sequence[str]]
    """ClusterIssuers to create: ``selfsigned``, ``letsencrypt-staging``, ``letsencrypt-prod``
    (ACME HTTP-01 through the ingress class). Created after the cert-manager release when it is
    installed here. Default: ``["selfsigned"]``."""
    acme_email: NotRequired[str | None]
    """ACME account email, required by the Let's Encrypt issuers (expiry notices go there).
    Default: ``None``."""
    monitoring: NotRequired[bool]
    """Install kube-prometheus-stack (Prometheus operator and CRDs, Prometheus, Alertmanager,
    Grafana). Default: ``True``."""
    monitoring_namespace: NotRequired[str]
    """Namespace of the monitoring stack; the app's NetworkPolicy admits scrapes from it. Default:
    ``"monitoring"``."""
    grafana_admin_password: NotRequired[pulumi.Input[str] | None]
    """Grafana admin password, passed as a Pulumi secret. Default: ``None`` (a random 24-character
    password, kept secret in the state)."""
    charts_dir: NotRequired[str | None]
    """Directory holding a local copy of every chart as ``<dir>/<chart name>`` (air-gapped
    clusters) instead of the pinned repository/OCI charts. Default: ``None``."""
    chart_paths: NotRequired[Mapping[str, str]]
    """Per-add-on local chart path, taking precedence over ``charts_dir``. Default: none."""
    overrides: NotRequired[Mapping[str, Mapping[str, Any]]]
    """Per-add-on values from stack config, merged over the values chosen here. Default: none."""
    timeout: NotRequired[int]
    """Seconds each release may take to become ready. Default: ``600``."""
    part_of: NotRequired[str]
    """``app.kubernetes.io/part-of`` label of the namespaces and issuers. Default: ``"webstack"``."""
    routing: NotRequired[str]
    """What serves the app: ``ingress``, ``gateway`` (Gateway API) or ``both`` (a migration). With a
    Gateway, Traefik's Gateway provider and GatewayClass and cert-manager's Gateway support are
    switched on and the Gateway API CRDs installed; with an Ingress, Traefik's ``web`` entry point
    redirects to HTTPS (with the Gateway alone its HTTP listener's route does, so that the ACME
    HTTP-01 solver route stays reachable). Default: ``"ingress"``."""
    gateway_class_name: NotRequired[str]
    """GatewayClass the Traefik release creates. Default: ``"traefik"``."""
    gateway_api_crds: NotRequired[bool]
    """Install the Gateway API CRDs (standard channel, ``GATEWAY_API_VERSION``) when a Gateway
    serves; kept on destroy. Default: ``True``."""
    gateway_api_crds_source: NotRequired[str | None]
    """An https URL of a standard-install manifest, or a local folder of CRD files. Default:
    ``None`` (the pinned release manifest ``GATEWAY_API_CRDS_URL``)."""
    chart_addons: NotRequired[Sequence[str]]
    """Add-ons installed as ``helm.v4.Chart`` (each object a Pulumi resource, visible to render
    mode, policies and linters) instead of a ``helm.v3.Release``; only add-ons whose chart needs no
    Helm hook (``CHART_CAPABLE``: traefik). Default: none."""
    acme_gateway: NotRequired[GatewayRef | None]
    """With routing ``gateway`` and a Let's Encrypt issuer: the Gateway whose HTTP listener serves
    the ACME HTTP-01 challenges (required then). Default: ``None``."""


def _validate_issuers(issuers: Sequence[str], acme_email: str | None) -> list[str]:
    checked: list[str] = []
    for issuer in issuers:
        if issuer not in ISSUERS:
            raise ValueError(
                f"Platform issuers: {issuer!r} is not a known ClusterIssuer; use {', '.join(repr(i) for i in ISSUERS)}"
            )
        if issuer in checked:
            raise ValueError(f"Platform issuers: {issuer!r} is listed twice; list each issuer once")
        checked.append(issuer)
    acme = [issuer for issuer in checked if issuer in ACME_ISSUERS]
    if acme and not acme_email:
        raise ValueError(
            f"Platform acme_email: not set, but the Let's Encrypt issuer {acme[0]!r} needs an ACME account "
            "email; set acme_email to an address that receives certificate expiry notices"
        )
    if acme and acme_email:
        check_email(acme_email, "Platform acme_email")
    return checked


def _validate_namespaces(namespaces: Mapping[str, str]) -> None:
    seen: dict[str, str] = {}
    for addon, namespace in namespaces.items():
        check_dns_label(namespace, f"Platform {addon} namespace")
        if namespace in seen:
            raise ValueError(
                f"Platform namespaces: {namespace!r} is used by both {seen[namespace]} and {addon}; give each "
                "add-on its own namespace (their Pod Security levels differ)"
            )
        seen[namespace] = addon


def _validate_addons(addons: Iterable[str], what: str) -> None:
    for addon in addons:
        if addon not in ADDONS:
            raise ValueError(
                f"Platform {what}: {addon!r} is not an add-on; use one of {', '.join(repr(a) for a in ADDONS)}"
            )


def _validate_gateway(routing: str, controller: str, issuers: Sequence[str], acme_gateway: GatewayRef | None) -> None:
    if routing != ROUTING_INGRESS and controller != TRAEFIK:
        raise ValueError(
            f"Platform routing: {routing!r} needs a controller with a Gateway API provider, but ingress_controller "
            f"is {controller!r}; use traefik, or routing 'ingress'"
        )
    acme = [issuer for issuer in issuers if issuer in ACME_ISSUERS]
    if routing == ROUTING_GATEWAY and acme and acme_gateway is None:
        raise ValueError(
            f"Platform acme_gateway: not set, but the Let's Encrypt issuer {acme[0]!r} answers HTTP-01 challenges "
            "through the app's Gateway with routing 'gateway'; give the Gateway's name and namespace"
        )
    if acme_gateway is not None:
        check_dns_label(acme_gateway["name"], "Platform acme_gateway name")
        check_dns_label(acme_gateway["namespace"], "Platform acme_gateway namespace")


def _validate_chart_addons(addons: Sequence[str]) -> list[str]:
    if isinstance(addons, str):
        raise ValueError(f"Platform chart_addons: {addons!r} is a string; give a list such as ['traefik']")
    _validate_addons(addons, "chart_addons")
    hooked = [addon for addon in addons if addon not in CHART_CAPABLE]
    if hooked:
        raise ValueError(
            f"Platform chart_addons: {', '.join(hooked)} cannot be installed as a helm.v4.Chart (its chart needs Helm "
            f"hooks, which a Chart skips); only {', '.join(CHART_CAPABLE)} can"
        )
    return list(addons)


def gateway_api_crd_files(source: str) -> list[str]:
    """The ConfigGroup ``files`` of a CRD source: a URL as it is; of a local folder, the YAML files that hold
    CustomResourceDefinitions only.

    The release's ``standard`` folder also holds a ValidatingAdmissionPolicy (``safe-upgrades``, which
    refuses experimental-channel CRDs over standard ones): the Kubernetes provider cannot tell without
    a cluster whether that kind is namespaced, so render mode would fail on it. The release manifest
    (the URL) keeps it.
    """
    if source.startswith("https://"):
        return [source]
    if source.startswith("http://"):
        raise ValueError(
            f"Platform gateway_api_crds_source: {source!r} is plain http; use https (anyone on the path could "
            "swap the CRDs) or a local folder"
        )
    folder = Path(source)
    files = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            kinds = {doc.get("kind") for doc in yaml.safe_load_all(path.read_text()) if isinstance(doc, dict)}
        except yaml.YAMLError as err:
            raise ValueError(f"Platform gateway_api_crds_source: {path} is not valid YAML ({err})") from err
        if kinds == {"CustomResourceDefinition"}:
            files.append(str(path))
    if not files:
        raise ValueError(
            f"Platform gateway_api_crds_source: {source!r} is neither an https URL nor a folder holding CRD files; "
            "give the release's standard-install.yaml URL or its config/crd/standard folder"
        )
    return files


class ChartChoice(NamedTuple):
    """Where an add-on's chart comes from: a local path (pinned by its Chart.yaml) or the pin."""

    path: str | None
    version: str | None
    repo: str | None


def chart_source(addon: str, charts_dir: str | None, chart_paths: Mapping[str, str]) -> ChartChoice:
    """The HelmRelease source of an add-on: a local path if one is configured, else the pin."""
    pin = CHARTS[addon]
    if addon in chart_paths:
        return ChartChoice(path=chart_paths[addon], version=None, repo=None)
    if charts_dir:
        return ChartChoice(path=f"{charts_dir.rstrip('/')}/{pin['chart']}", version=None, repo=None)
    return ChartChoice(path=None, version=pin["version"], repo=pin["repo"])


def ingress_controller_values(
    controller: str, class_name: str, routing: str = ROUTING_INGRESS, gateway_class_name: str = "traefik"
) -> dict[str, Any]:
    """Chart values that make the controller serve ``class_name`` (and, with a Gateway, its
    GatewayClass) and redirect HTTP to HTTPS."""
    if controller == TRAEFIK:
        values: dict[str, Any] = {
            "ingressClass": {"enabled": True, "isDefaultClass": False, "name": class_name},
        }
        if routing != ROUTING_GATEWAY:
            # Chart >= 39 nests entry-point HTTP options under `http` (upstream syntax).
            values["ports"] = {
                "web": {
                    "http": {"redirections": {"entryPoint": {"to": "websecure", "scheme": "https", "permanent": True}}}
                }
            }
        if routing != ROUTING_INGRESS:
            values["providers"] = {"kubernetesGateway": {"enabled": True}}
            # The chart's own Gateway would listen for every host in Traefik's namespace: the app
            # brings its own (TlsGateway). The GatewayClass only needs the provider switched on.
            values["gateway"] = {"enabled": False}
            values["gatewayClass"] = {"enabled": True, "name": gateway_class_name}
        return values
    return {
        "controller": {
            "ingressClass": class_name,
            "ingressClassResource": {"name": class_name, "enabled": True, "default": False},
            "config": {"ssl-redirect": "true"},
        }
    }


def cert_manager_values(routing: str) -> dict[str, Any]:
    # crds.keep (the chart's default) leaves the CRDs, and so every Certificate, on uninstall.
    values: dict[str, Any] = {"crds": {"enabled": True, "keep": True}}
    if routing != ROUTING_INGRESS:
        # The controller's gateway-shim issues a Certificate for each HTTPS listener of an annotated
        # Gateway (chart >= 1.15 takes the controller configuration; 1.21 names it gatewayAPI).
        values["config"] = {
            "apiVersion": "controller.config.cert-manager.io/v1alpha1",
            "kind": "ControllerConfiguration",
            "gatewayAPI": {"enabled": True},
        }
    return values


# Helm installs a chart's CRDs on first install only; kube-prometheus-stack's upgrade job (a pre-install/pre-upgrade
# hook running `kubectl apply --server-side` on the new CRDs) keeps them in step with each chart bump. Its busybox
# image defaults to `latest`: pinned here.
CRD_UPGRADE_BUSYBOX_TAG = "1.37.0"


def monitoring_values(release_name: str) -> dict[str, Any]:
    """Prometheus selects ServiceMonitors and PrometheusRules labelled ``release: <release>``, in any
    namespace: the chart's own monitors carry that label, and so do the app's. The CRDs are upgraded
    with the chart (``crds.upgradeJob``)."""
    selector = {"matchLabels": {"release": release_name}}
    return {
        "crds": {"upgradeJob": {"enabled": True, "image": {"busybox": {"tag": CRD_UPGRADE_BUSYBOX_TAG}}}},
        "prometheus": {
            "prometheusSpec": {
                "serviceMonitorSelector": selector,
                "serviceMonitorNamespaceSelector": {},
                "ruleSelector": selector,
                "ruleNamespaceSelector": {},
            }
        },
    }


def cluster_issuer_spec(
    issuer: str, acme_email: str | None, class_name: str, acme_gateway: GatewayRef | None = None
) -> dict[str, Any]:
    """With ``acme_gateway`` the HTTP-01 challenge is answered through that Gateway's HTTP listener
    (a route cert-manager creates), else through an Ingress of ``class_name``."""
    if issuer == SELF_SIGNED:
        return {"selfSigned": {}}
    if acme_gateway is not None:
        parent = {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": acme_gateway["name"],
            "namespace": acme_gateway["namespace"],
            "sectionName": HTTP_LISTENER,
        }
        solver: dict[str, Any] = {"http01": {"gatewayHTTPRoute": {"parentRefs": [parent]}}}
    else:
        solver = {"http01": {"ingress": {"ingressClassName": class_name}}}
    return {
        "acme": {
            "server": ACME_SERVERS[issuer],
            "email": acme_email,
            "privateKeySecretRef": {"name": f"{issuer}-account-key"},
            "solvers": [solver],
        }
    }


class Platform(pulumi.ComponentResource):
    """The cluster add-ons the web stack relies on, each a pinned Helm release in its own namespace."""

    releases: dict[str, HelmRelease]
    """Installed add-ons by name (``traefik``, ``ingress-nginx``, ``cert-manager``, ``kube-prometheus-stack``)."""
    ingress_controller: str
    ingress_class_name: str
    ingress_namespace: str
    monitoring_namespace: str
    cert_manager_release: pulumi.Resource | None
    """The release installing the cert-manager CRDs, if installed here."""
    monitoring_release: pulumi.Resource | None
    """The release installing the Prometheus operator CRDs: ServiceMonitors depend on it."""
    service_monitor_labels: dict[str, str]
    """Labels a ServiceMonitor or PrometheusRule needs for this Prometheus to select it."""
    issuers: dict[str, k8s.apiextensions.CustomResource]
    gateway_api_crds: k8s.yaml.v2.ConfigGroup | None
    """The Gateway API CRDs, when installed here: Gateways and HTTPRoutes depend on them."""

    def __init__(self, resource_name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:platform:Platform", resource_name, None, opts)
        controller = check_choice(args.get("ingress_controller", TRAEFIK), "Platform ingress_controller", CONTROLLERS)
        install_controller = args.get("install_ingress_controller", True)
        class_name = check_dns_subdomain(
            args.get("ingress_class_name", DEFAULT_CLASS_NAMES[controller]), "Platform ingress_class_name"
        )
        install_cert_manager = args.get("cert_manager", True)
        install_monitoring = args.get("monitoring", True)
        acme_email = args.get("acme_email")
        issuers = _validate_issuers(args.get("issuers", [SELF_SIGNED]), acme_email)
        namespaces = {
            controller: args.get("ingress_namespace", "ingress"),
            CERT_MANAGER: args.get("cert_manager_namespace", "cert-manager"),
            KUBE_PROMETHEUS_STACK: args.get("monitoring_namespace", "monitoring"),
        }
        _validate_namespaces(namespaces)
        charts_dir = args.get("charts_dir")
        chart_paths = dict(args.get("chart_paths", {}))
        _validate_addons(chart_paths, "chart_paths")
        overrides = dict(args.get("overrides", {}))
        _validate_addons(overrides, "overrides")
        timeout = check_int_range(args.get("timeout", 600), "Platform timeout", 30, 3600)
        part_of = args.get("part_of", DEFAULT_PART_OF)
        routing = check_choice(args.get("routing", ROUTING_INGRESS), "Platform routing", ROUTINGS)
        gateway_class = check_dns_subdomain(
            args.get("gateway_class_name", DEFAULT_GATEWAY_CLASS), "Platform gateway_class_name"
        )
        acme_gateway = args.get("acme_gateway")
        chart_addons = _validate_chart_addons(args.get("chart_addons", ()))
        _validate_gateway(routing, controller, issuers, acme_gateway)
        child = pulumi.ResourceOptions(parent=self)
        gateway = routing != ROUTING_INGRESS
        crds_source = args.get("gateway_api_crds_source") or GATEWAY_API_CRDS_URL
        self.gateway_api_crds = (
            k8s.yaml.v2.ConfigGroup(
                f"{resource_name}-gateway-api-crds",
                files=gateway_api_crd_files(crds_source),
                # Deleting a CRD deletes every object of its kind, in every namespace.
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
            if gateway and args.get("gateway_api_crds", True)
            else None
        )
        # Traefik renders a GatewayClass (a CRD kind) and cert-manager's gateway-shim looks for the
        # CRDs when it starts: both wait for them.
        crd_deps: list[pulumi.Resource] = [self.gateway_api_crds] if self.gateway_api_crds else []

        def install(
            addon: str, values: Mapping[str, Any], secret_values: Mapping[str, Any] | None = None
        ) -> HelmRelease:
            namespace = k8s.core.v1.Namespace(
                f"{resource_name}-{addon}-ns",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=namespaces[addon],
                    labels=namespace_labels(namespaces[addon], addon, POD_SECURITY[addon], part_of),
                ),
                opts=child,
            )
            source = chart_source(addon, charts_dir, chart_paths)
            release_args = HelmReleaseArgs(
                chart=CHARTS[addon]["chart"],
                release_name=addon,
                # Reading the name orders the release after its namespace; nothing else waits.
                namespace=namespace.metadata.name,
                path=source.path,
                version=source.version,
                repo=source.repo,
                values=values,
                overrides=overrides.get(addon, {}),
                timeout=timeout,
            )
            if secret_values:
                release_args["secret_values"] = secret_values
            if addon in chart_addons:
                release_args["mechanism"] = "chart"
            if crd_deps and addon in (TRAEFIK, CERT_MANAGER):
                release_args["depends_on"] = crd_deps
            return HelmRelease(f"{resource_name}-{addon}", release_args, opts=child)

        self.releases = {}
        if install_controller:
            self.releases[controller] = install(
                controller, ingress_controller_values(controller, class_name, routing, gateway_class)
            )
        if install_cert_manager:
            self.releases[CERT_MANAGER] = install(CERT_MANAGER, cert_manager_values(routing))
        if install_monitoring:
            password = args.get("grafana_admin_password")
            if password is None:
                password = random.RandomPassword(
                    f"{resource_name}-grafana-admin", length=24, special=False, opts=child
                ).result
            self.releases[KUBE_PROMETHEUS_STACK] = install(
                KUBE_PROMETHEUS_STACK,
                monitoring_values(KUBE_PROMETHEUS_STACK),
                secret_values={"grafana": {"adminPassword": password}},
            )

        cert_manager = self.releases.get(CERT_MANAGER)
        monitoring = self.releases.get(KUBE_PROMETHEUS_STACK)
        self.cert_manager_release = cert_manager.installed if cert_manager else None
        self.monitoring_release = monitoring.installed if monitoring else None
        # Without cert-manager here, the issuers go to a cert-manager installed by other means.
        issuer_opts = pulumi.ResourceOptions(
            parent=self, depends_on=[self.cert_manager_release] if self.cert_manager_release else None
        )
        self.issuers = {
            issuer: k8s.apiextensions.CustomResource(
                f"{resource_name}-issuer-{issuer}",
                api_version="cert-manager.io/v1",
                kind="ClusterIssuer",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=issuer,
                    labels={"app.kubernetes.io/part-of": part_of, "app.kubernetes.io/managed-by": MANAGED_BY},
                ),
                spec=cluster_issuer_spec(
                    issuer, acme_email, class_name, acme_gateway if routing == ROUTING_GATEWAY else None
                ),
                opts=issuer_opts,
            )
            for issuer in issuers
        }

        self.ingress_controller = controller
        self.ingress_class_name = class_name
        self.ingress_namespace = namespaces[controller]
        self.monitoring_namespace = namespaces[KUBE_PROMETHEUS_STACK]
        self.service_monitor_labels = {"release": KUBE_PROMETHEUS_STACK}
        self.register_outputs({f"{addon}_status": release.status for addon, release in self.releases.items()})
