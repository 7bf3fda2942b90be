"""Keys of the TLS Ingress, the platform add-ons (Helm releases) and the app's Prometheus scraping."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.helm_release import read_local_chart
from components.ingress import (
    ACME_ISSUERS,
    CONTROLLERS,
    DEFAULT_CLASS_NAMES,
    ISSUERS,
    LETSENCRYPT_PROD,
    LETSENCRYPT_STAGING,
    SELF_SIGNED,
)
from components.platform import ADDONS, CERT_MANAGER, CHARTS, KUBE_PROMETHEUS_STACK
from components.validation import (
    check_dns_label,
    check_dns_subdomain,
    check_email,
    check_hostname,
    check_http_path,
    check_ingress_path,
    shown,
)
from webstack.config.spec import Key, Reader, SecretStr

NO_ISSUER = "none"
TLS_ISSUERS = (*ISSUERS, NO_ISSUER)
# The issuer each environment gets when tlsIssuer is left empty.
DEFAULT_ISSUER = {"dev": SELF_SIGNED, "staging": LETSENCRYPT_STAGING, "prod": LETSENCRYPT_PROD}
# Chart value keys whose values are credentials (compared without case, '-', '_' and '.'): never
# in plain config. A key in which such a word is followed by a reference suffix names where a
# credential is kept (a Secret's name, a key in it, a reference, a file), not the credential.
_SECRET_WORDS = ("password", "passwd", "token", "apikey", "secretkey", "privatekey", "accesskey", "clientsecret")
# Deepest nesting of one chart value; real chart values stay well within it.
MAX_VALUE_DEPTH = 32
_REFERENCE_SUFFIXES = ("secretname", "secret", "ref", "key", "file", "path")

KEYS: tuple[Key, ...] = (
    Key(
        "ingressEnabled",
        "boolean",
        "Expose the app over HTTPS (an Ingress or a Gateway, see routing): HTTP redirected to HTTPS. The stack's "
        "url output becomes https://<first host><first path>.",
        False,
    ),
    Key(
        "ingressHosts",
        "array",
        "Host names the Ingress serves (lowercase, fully qualified, e.g. app.example.com); at least one when "
        "ingressEnabled.",
        [],
    ),
    Key("ingressPaths", "array", "Paths routed to the app on every host (prefix match).", ["/"]),
    Key(
        "ingressController",
        "string",
        "Ingress controller: traefik (maintained) or ingress-nginx (upstream retired in March 2026; for "
        "clusters that still run it). Decides the TLS and redirect annotations and the chart "
        "platformIngressController installs.",
        "traefik",
    ),
    Key(
        "ingressClassName",
        "string",
        "IngressClass of the Ingress; empty: the controller's usual class (traefik, or nginx for ingress-nginx).",
        "",
    ),
    Key(
        "ingressNamespace",
        "string",
        "Namespace of the ingress controller: the only namespace admitted to the app port (and, with a Let's "
        "Encrypt issuer, to cert-manager's HTTP-01 solver pods on port 8089).",
        "ingress",
    ),
    Key(
        "tlsIssuer",
        "string",
        "Certificate source: selfsigned, letsencrypt-staging or letsencrypt-prod (cert-manager ClusterIssuers; "
        "Let's Encrypt through ACME HTTP-01), or none with tlsSecretName. Empty: letsencrypt-prod in prod, "
        "letsencrypt-staging in staging, selfsigned in dev, none when tlsSecretName is set. prod accepts only "
        "letsencrypt-prod or your own certificate.",
        "",
    ),
    Key(
        "tlsSecretName",
        "string",
        "Existing kubernetes.io/tls Secret in the app namespace (bring your own certificate); excludes a tlsIssuer.",
        "",
    ),
    Key(
        "acmeEmail",
        "string",
        "ACME account email for the Let's Encrypt issuers (certificate expiry notices); required with them.",
        "",
    ),
    Key(
        "platformIngressController",
        "boolean",
        "Install the ingressController as a pinned Helm release into ingressNamespace. Switch off when the "
        "cluster already runs one (or in render mode).",
        True,
    ),
    Key(
        "platformCertManager",
        "boolean",
        "Install cert-manager (CRDs included) as a pinned Helm release; the ClusterIssuers wait for it.",
        True,
    ),
    Key(
        "platformMonitoring",
        "boolean",
        "Install kube-prometheus-stack (Prometheus operator, Prometheus, Alertmanager, Grafana) as a pinned Helm "
        "release into monitoringNamespace.",
        True,
    ),
    Key("certManagerNamespace", "string", "Namespace of cert-manager.", "cert-manager"),
    Key(
        "monitoringNamespace",
        "string",
        "Namespace of the monitoring stack: the only namespace admitted to the app's metrics port.",
        "monitoring",
    ),
    Key(
        "grafanaAdminPassword",
        "string",
        "Grafana admin password (`pulumi config set --secret grafanaAdminPassword ...`); empty: a random "
        "password, kept secret in the state.",
        "",
        secret=True,
    ),
    Key(
        "chartsLocalDir",
        "string",
        "Install every add-on from a local chart directory <dir>/<chart name> (air-gapped clusters) instead of "
        "the pinned repository or OCI charts; a local chart is pinned by its Chart.yaml.",
        "",
    ),
    Key(
        "chartPaths",
        "array",
        "Local chart path of one add-on as addon=path (addons: traefik, ingress-nginx, cert-manager, "
        "kube-prometheus-stack); wins over chartsLocalDir.",
        [],
    ),
    Key(
        "chartValues",
        "array",
        "Extra chart values as addon:dotted.key=value (the value is read as YAML), e.g. "
        "traefik:deployment.replicas=2; merged over webstack's values. Credentials only when set with --secret.",
        [],
    ),
    Key("helmTimeout", "integer", "Seconds each add-on release may take to become ready (30-3600).", 600),
    Key(
        "metricsEnabled",
        "boolean",
        "Scrape the app with Prometheus: a ServiceMonitor and an alert rule (need the Prometheus operator CRDs: "
        "platformMonitoring or an existing install) and a NetworkPolicy rule admitting monitoringNamespace.",
        False,
    ),
    Key("metricsPort", "integer", "Port serving the app's metrics; 0: the app port (appPort).", 0),
    Key("metricsPath", "string", "HTTP path of the app's metrics.", "/metrics"),
)


@dataclass(frozen=True)
class IngressSettings:
    enabled: bool
    hosts: tuple[str, ...]
    paths: tuple[str, ...]
    controller: str
    class_name: str
    namespace: str
    issuer: str | None
    """The ClusterIssuer of the certificate; ``None`` with a BYO ``tls_secret_name``."""
    tls_secret_name: str | None
    acme_email: str | None


@dataclass(frozen=True)
class MetricsSettings:
    enabled: bool
    port: int | None
    """``None``: the app port."""
    path: str


@dataclass(frozen=True)
class PlatformSettings:
    ingress: IngressSettings
    metrics: MetricsSettings
    ingress_controller: bool
    cert_manager: bool
    monitoring: bool
    cert_manager_namespace: str
    monitoring_namespace: str
    grafana_admin_password: SecretStr | None
    charts_dir: str | None
    chart_paths: tuple[tuple[str, str], ...]
    helm_timeout: int
    chart_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per add-on values from ``chartValues``, nested."""
    chart_values_secret: bool = False
    """``chartValues`` is held encrypted: its values go to the releases as Pulumi secrets."""

    @property
    def installed(self) -> tuple[str, ...]:
        """The add-ons this stack installs, by the platform switches."""
        addons = [self.ingress.controller] if self.ingress_controller else []
        if self.cert_manager:
            addons.append(CERT_MANAGER)
        if self.monitoring:
            addons.append(KUBE_PROMETHEUS_STACK)
        return tuple(addons)

    @property
    def issuers(self) -> tuple[str, ...]:
        """The ClusterIssuers to create: the one the Ingress uses, if any."""
        return (self.ingress.issuer,) if self.ingress.enabled and self.ingress.issuer else ()


def _parse_hosts(r: Reader) -> tuple[str, ...]:
    hosts = r.strings("ingressHosts")
    for host in hosts:
        r.validate(check_hostname, host, r.what("ingressHosts"))
    if len(set(hosts)) != len(hosts):
        r.fail("ingressHosts", "lists a host twice; list each host once")
    return hosts


def _parse_paths(r: Reader) -> tuple[str, ...]:
    paths = r.strings("ingressPaths")
    for path in paths:
        r.validate(check_ingress_path, path, r.what("ingressPaths"))
    if len(set(paths)) != len(paths):
        r.fail("ingressPaths", "lists a path twice; list each path once")
    return paths


def _parse_issuer(r: Reader, environment: str, secret_name: str) -> str | None:
    issuer = r.string("tlsIssuer")
    if issuer and issuer not in TLS_ISSUERS:
        r.fail("tlsIssuer", f"{issuer!r} is not a known issuer; use one of {', '.join(repr(i) for i in TLS_ISSUERS)}")
        return None
    if issuer and issuer != NO_ISSUER and secret_name:
        r.fail(
            "tlsIssuer",
            f"{issuer!r} is set and so is tlsSecretName ({secret_name!r}); keep the issuer for a cert-manager "
            "certificate or tlsSecretName for your own certificate (with tlsIssuer none or empty), not both",
        )
        return None
    if not issuer:
        issuer = NO_ISSUER if secret_name else DEFAULT_ISSUER.get(environment, SELF_SIGNED)
    if environment == "prod" and issuer in (SELF_SIGNED, LETSENCRYPT_STAGING):
        r.fail(
            "tlsIssuer",
            f"{issuer!r} in prod would serve a certificate browsers reject; use letsencrypt-prod or bring your own "
            "certificate with tlsSecretName",
        )
    return None if issuer == NO_ISSUER else issuer


def _parse_ingress(r: Reader, environment: str) -> IngressSettings:
    enabled = r.boolean("ingressEnabled")
    hosts = _parse_hosts(r)
    paths = _parse_paths(r)
    controller = r.choice("ingressController", CONTROLLERS)
    class_name = r.string("ingressClassName") or DEFAULT_CLASS_NAMES[controller]
    r.validate(check_dns_subdomain, class_name, r.what("ingressClassName"))
    namespace = r.string("ingressNamespace", check_dns_label)
    secret_name = r.string("tlsSecretName")
    if secret_name:
        r.validate(check_dns_subdomain, secret_name, r.what("tlsSecretName"))
    issuer = _parse_issuer(r, environment, secret_name)
    email = r.string("acmeEmail")
    if email:
        r.validate(check_email, email, r.what("acmeEmail"))
    if enabled:
        if not hosts:
            r.fail("ingressHosts", "is empty but ingressEnabled is true; add at least one host such as app.example.com")
        if not paths:
            r.fail("ingressPaths", "is empty but ingressEnabled is true; route at least '/'")
        if issuer is None and not secret_name and r.ok("tlsIssuer", "tlsSecretName"):
            r.fail(
                "tlsIssuer",
                f"is 'none' and tlsSecretName is empty, so the Ingress has no certificate ({environment} serves "
                "HTTPS only); name your kubernetes.io/tls Secret in tlsSecretName or choose an issuer such as "
                f"{DEFAULT_ISSUER.get(environment, SELF_SIGNED)!r}",
            )
        if issuer in ACME_ISSUERS and not email:
            r.fail(
                "acmeEmail",
                f"is empty but tlsIssuer is {issuer!r}; set the email of the Let's Encrypt account (expiry notices "
                "go there) or choose another certificate source",
            )
        wildcards = [host for host in hosts if host.startswith("*.")]
        if issuer in ACME_ISSUERS and wildcards:
            r.fail(
                "ingressHosts",
                f"{', '.join(wildcards)} cannot be issued through ACME HTTP-01; list the host names or bring a "
                "wildcard certificate with tlsSecretName",
            )
    return IngressSettings(
        enabled=enabled,
        hosts=hosts,
        paths=paths,
        controller=controller,
        class_name=class_name,
        namespace=namespace,
        issuer=issuer,
        tls_secret_name=secret_name or None,
        acme_email=email or None,
    )


def is_credential_key(key: str) -> bool:
    """A chart value key that holds a credential, such as ``adminPassword`` or ``api-token``
    (``passwordKey`` or ``existingSecret`` name where one is kept, and are not)."""
    plain = key.lower().replace("-", "").replace("_", "").replace(".", "")
    for word in _SECRET_WORDS:
        at = plain.rfind(word)
        if at >= 0 and not plain[at + len(word) :].endswith(_REFERENCE_SUFFIXES):
            return True
    return False


def credential_paths(value: Any, path: str) -> Iterator[str]:
    """Dotted paths in a chart value (maps and lists, walked once) whose key is a credential key
    and whose value is a non-empty scalar: a credential written into plain config."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                child = f"{where}.{key}"
                if isinstance(item, dict | list):
                    stack.append((item, child))
                elif is_credential_key(str(key)) and item not in (None, "") and not isinstance(item, bool):
                    yield child
        elif isinstance(node, list):
            stack.extend((item, f"{where}[{index}]") for index, item in enumerate(node))


def _flow_depth(text: str) -> int:
    """How deep '[' and '{' nest in ``text``, outside quoted strings: one pass. The YAML scanner
    costs depth × length on deep flow nesting, so depth is checked before the text is parsed."""
    depth = deepest = 0
    quote = ""
    last = ""  # the last character outside strings and blanks: a quote opens a string only after these
    i = 0
    while i < len(text):
        char = text[i]
        i += 1
        if quote == '"':
            if char == "\\":
                i += 1  # an escaped character, perhaps a quote
            elif char == '"':
                quote, last = "", '"'
        elif quote == "'":
            if char == "'" and text[i : i + 1] == "'":
                i += 1  # '' is a quote inside a single-quoted string
            elif char == "'":
                quote, last = "", "'"
        elif char in "\"'" and last in ("", "[", "{", ",", ":", "-", "?"):
            quote = char
        else:
            if char in "[{":
                depth += 1
                deepest = max(deepest, depth)
            elif char in "]}":
                depth -= 1
            if not char.isspace():
                last = char
    return deepest


def _load_yaml(text: str) -> Any:
    """A YAML value nested at most MAX_VALUE_DEPTH deep and without aliases (a few bytes could
    expand into a huge value); the parser's events are read before the value is built."""
    if _flow_depth(text) > MAX_VALUE_DEPTH:
        raise yaml.YAMLError(f"nested deeper than {MAX_VALUE_DEPTH} levels")
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.YAMLError("aliases are not allowed")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_VALUE_DEPTH:
                raise yaml.YAMLError(f"nested deeper than {MAX_VALUE_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return yaml.safe_load(text)


def _set_nested(target: dict[str, Any], path: list[str], value: Any) -> None:
    """Merge ``value`` in at ``path`` in place (one walk down the path: linear in the entries)."""
    node = target
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[path[-1]] = value


def _parse_chart_values(r: Reader) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = {}
    secret = r.is_secret("chartValues")
    for entry in r.strings("chartValues"):
        # A secret entry is never shown: it may hold the credential.
        what = "[secret]" if secret else shown(entry)
        target, sep, raw = entry.partition("=")
        addon, colon, dotted = target.partition(":")
        path = dotted.split(".")
        if not sep or not colon or not all(path):
            r.fail("chartValues", f"entry {what} is not of the form addon:dotted.key=value")
            continue
        if addon not in ADDONS:
            r.fail("chartValues", f"entry {what} names no add-on; start it with one of {', '.join(ADDONS)}")
            continue
        # Checked before the value is parsed, so that no message ever shows it.
        if not secret and is_credential_key(path[-1]):
            r.fail(
                "chartValues",
                f"entry {shown(target)} sets a credential in plain config; use grafanaAdminPassword, the chart's "
                "existing-Secret option, or set chartValues with `pulumi config set --secret --path`",
            )
            continue
        try:
            value = _load_yaml(raw) if raw else ""
        except (yaml.YAMLError, RecursionError):
            where = "[secret]" if secret else shown(target)
            r.fail(
                "chartValues",
                f"entry {where} has a value that is not valid YAML (or uses aliases, or nests over "
                f"{MAX_VALUE_DEPTH} levels); quote it",
            )
            continue
        if not secret:
            found = list(credential_paths(value, dotted))
            if found:
                r.fail(
                    "chartValues",
                    f"entry for {addon!r} sets a credential ({', '.join(shown(f) for f in found)}) in plain "
                    "config; use grafanaAdminPassword, the chart's existing-Secret option, or set chartValues "
                    "with `pulumi config set --secret --path`",
                )
                continue
        _set_nested(values.setdefault(addon, {}), path, value)
    return values


def _is_dir(path: str) -> bool:
    """``path`` is a directory; False for a name the system refuses (too long, a NUL byte)."""
    try:
        return Path(path).is_dir()
    except (OSError, ValueError):
        return False


def _check_chart_dir(path: str, what: str) -> None:
    """An unpacked chart directory with a Chart.yaml (a packaged chart has no version to pin it by)."""
    if not _is_dir(path):
        raise ValueError(
            f"{what}: {shown(path)} is not a directory here (paths are relative to the project directory); give the "
            "directory of an unpacked chart (e.g. from `helm pull --untar`)"
        )
    try:
        read_local_chart(path, what)
    except OSError as err:
        raise ValueError(f"{what}: {shown(path)} cannot be read ({err.strerror}); check its permissions") from err


def _parse_chart_paths(r: Reader) -> tuple[tuple[str, str], ...]:
    pairs = r.pairs("chartPaths")
    seen: set[str] = set()
    for addon, path in pairs:
        if addon not in ADDONS:
            r.fail("chartPaths", f"{shown(addon)} is not an add-on; use one of {', '.join(ADDONS)}")
        elif addon in seen:
            r.fail("chartPaths", f"{addon!r} is given twice; give each add-on one path")
        elif not path:
            r.fail("chartPaths", f"{addon!r} has an empty path; give the chart's directory")
        else:
            r.validate(_check_chart_dir, path, f"{r.what('chartPaths')}: {addon!r}")
        seen.add(addon)
    return pairs


def _check_unused_addons(r: Reader, platform: PlatformSettings) -> None:
    """Values and chart paths for an add-on this stack does not install would be silently ignored."""
    installed = platform.installed
    switches = "platformIngressController, platformCertManager, platformMonitoring and ingressController"
    for key, addons in (("chartValues", platform.chart_values), ("chartPaths", dict(platform.chart_paths))):
        for addon in addons:
            if addon in ADDONS and addon not in installed:
                r.fail(
                    key,
                    f"sets {addon!r}, which this stack does not install ({switches} choose the add-ons; installed: "
                    f"{', '.join(installed) or 'none'}); remove the entry or switch the add-on on",
                )
    if platform.charts_dir is not None and r.ok("chartsLocalDir"):
        for addon in installed:
            if addon not in dict(platform.chart_paths):
                chart = f"{platform.charts_dir.rstrip('/')}/{CHARTS[addon]['chart']}"
                r.validate(_check_chart_dir, chart, f"{r.what('chartsLocalDir')}: {addon!r}")


def _parse_metrics(r: Reader) -> MetricsSettings:
    port = r.integer("metricsPort", 0, 65535)
    path = r.string("metricsPath", check_http_path)
    return MetricsSettings(enabled=r.boolean("metricsEnabled"), port=port or None, path=path)


def parse(r: Reader, environment: str) -> PlatformSettings:
    ingress = _parse_ingress(r, environment)
    cert_manager_namespace = r.string("certManagerNamespace", check_dns_label)
    monitoring_namespace = r.string("monitoringNamespace", check_dns_label)
    namespaces = {
        "ingressNamespace": ingress.namespace,
        "certManagerNamespace": cert_manager_namespace,
        "monitoringNamespace": monitoring_namespace,
    }
    seen: dict[str, str] = {}
    for key, value in namespaces.items():
        if value in seen:
            r.fail(key, f"{value!r} is also {seen[value]}; give each add-on its own namespace")
        seen.setdefault(value, key)
    password = r.string("grafanaAdminPassword")
    charts_dir = r.string("chartsLocalDir")
    if charts_dir and not _is_dir(charts_dir):
        r.fail(
            "chartsLocalDir",
            f"{shown(charts_dir)} is not a directory here (paths are relative to the project directory); give the "
            "folder that holds one unpacked chart per add-on",
        )
    platform = PlatformSettings(
        ingress=ingress,
        metrics=_parse_metrics(r),
        ingress_controller=r.boolean("platformIngressController"),
        cert_manager=r.boolean("platformCertManager"),
        monitoring=r.boolean("platformMonitoring"),
        cert_manager_namespace=cert_manager_namespace,
        monitoring_namespace=monitoring_namespace,
        grafana_admin_password=SecretStr(password) if password else None,
        charts_dir=charts_dir or None,
        chart_paths=_parse_chart_paths(r),
        helm_timeout=r.integer("helmTimeout", 30, 3600),
        chart_values=_parse_chart_values(r),
        chart_values_secret=r.is_secret("chartValues"),
    )
    _check_unused_addons(r, platform)
    return platform


def check_namespaces(r: Reader, platform: PlatformSettings, app_namespace: str) -> None:
    """Cross-area check: every add-on stays out of the app namespace."""
    for key, value in (
        ("ingressNamespace", platform.ingress.namespace),
        ("certManagerNamespace", platform.cert_manager_namespace),
        ("monitoringNamespace", platform.monitoring_namespace),
    ):
        if value == app_namespace:
            r.fail(key, f"{value!r} is the app namespace (namespace); give the add-on a namespace of its own")
