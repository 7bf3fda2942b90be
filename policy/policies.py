"""The policies of webstack's CrossGuard pack: what the program promises, enforced on every preview and update.

Each check is a pure function of a Kubernetes object's inputs (``props``, camelCase as the engine
sends them) that yields one message per violation; each ``ResourceValidationPolicy`` below reports
those messages. ``tests/policy/`` tests the checks with fake arguments, ``tests/engine/test_policy.py``
runs the pack through the engine.

What a policy can see: the resource's type, inputs, URN, name, provider and a few resource options
(``protect``, ``ignoreChanges``, ``deleteBeforeReplace``, ``aliases``, ``customTimeouts``,
``additionalSecretOutputs``, ``parent``). ``retainOnDelete`` is not among them: neither pulumi-policy
1.21.0 (``PolicyResourceOptions``) nor the engine's analyzer protocol (``AnalyzerResourceOptions``,
pulumi v3.232.0 to v3.274.1) carries it, for resource and stack policies alike. ``pvc-retain-on-delete``
therefore checks the closest observable facts (see there), and the engine tier checks the real flag
in the state after ``pulumi up``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

# Annotation PostgresDatabase puts on each PVC it registers with retain_on_delete=True: the policy
# cannot see the option itself (see the module docstring), so the component declares it.
RETAIN_ANNOTATION = "webstack.io/retain-on-delete"

# Where each workload kind keeps its pod spec, as a path of keys into the inputs.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:core/v1:ReplicationController": ("spec", "template", "spec"),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
# Run-to-completion workloads: a liveness or readiness probe has nothing to say about them.
RUN_TO_COMPLETION = frozenset({"kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob"})
SERVICE = "kubernetes:core/v1:Service"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
GATEWAY_GROUP = "gateway.networking.k8s.io"
GATEWAY = f"kubernetes:{GATEWAY_GROUP}/v1:Gateway"
HTTP_ROUTE = f"kubernetes:{GATEWAY_GROUP}/v1:HTTPRoute"
REQUIRED_RESOURCES = ("cpu", "memory")

# ConfigMap keys that name a secret, matched on the words of the key (DB_PASSWORD, apiKey, tls.private-key)...
_SECRET_WORDS = frozenset(
    {"password", "passwd", "passphrase", "secret", "token", "apikey", "credential", "credentials"}
)
_SECRET_PAIRS = frozenset({("api", "key"), ("private", "key"), ("access", "key")})
# ...unless the last word says it holds where a secret is, not the secret: POSTGRES_PASSWORD_FILE, TOKEN_URL.
_REFERENCE_WORDS = frozenset({"file", "path", "dir", "url", "uri", "endpoint", "ref", "name"})
# Values that are secrets whatever the key: private keys, cloud and forge tokens, credentials in URLs, JWTs.
_SECRET_VALUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----")),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a password in a URL", re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.IGNORECASE)),
    ("a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")),
)


# -- reading the inputs ----------------------------------------------------------------------------


def _get(obj: Any, *path: str) -> Any:
    """``obj[path[0]][path[1]]...``, or None where a level is missing or not a mapping."""
    for key in path:
        if not isinstance(obj, Mapping) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []


def _describe(props: Mapping[str, Any], kind: str) -> str:
    name = _get(props, "metadata", "name")
    return f"{kind} {name!r}" if isinstance(name, str) and name else kind


def _kind(resource_type: str) -> str:
    return resource_type.rsplit(":", 1)[-1]


def pod_containers(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], bool]]:
    """``(description, container, is_init)`` for each container of a workload's pod spec."""
    path = POD_SPEC_PATHS.get(resource_type)
    if path is None:
        return
    spec = _get(props, *path)
    owner = _describe(props, _kind(resource_type))
    for field, is_init in (("initContainers", True), ("containers", False)):
        for container in _list(_get(spec, field)):
            if isinstance(container, Mapping):
                what = "init container" if is_init else "container"
                yield f"{owner}: {what} {container.get('name')!r}", container, is_init


def _pod_security(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    path = POD_SPEC_PATHS.get(resource_type)
    context = _get(props, *path, "securityContext") if path else None
    return context if isinstance(context, Mapping) else {}


# -- the checks: each yields one message per violation ---------------------------------------------


def check_resources(resource_type: str, props: Mapping[str, Any]) -> Iterator[str]:
    """Every container sets CPU and memory requests and limits."""
    for where, container, _ in pod_containers(resource_type, props):
        missing = [
            f"{kind}.{resource}"
            for kind in ("requests", "limits")
            for resource in REQUIRED_RESOURCES
            if _get(container, "resources", kind, resource) in (None, "")
        ]
        if missing:
            yield f"{where} has no {', '.join(missing)}: set resources.requests and resources.limits for cpu and memory"


def check_probes(resource_type: str, props: Mapping[str, Any]) -> Iterator[str]:
    """Every container of a long-running workload has a liveness and a readiness probe."""
    if resource_type in RUN_TO_COMPLETION:
        return
    for where, container, is_init in pod_containers(resource_type, props):
        if is_init:
            continue
        missing = [probe for probe in ("livenessProbe", "readinessProbe") if not container.get(probe)]
        if missing:
            yield f"{where} has no {' and no '.join(missing)}: add them so Kubernetes restarts and routes it correctly"


def check_run_as_non_root(resource_type: str, props: Mapping[str, Any]) -> Iterator[str]:
    """Every container runs as non-root: runAsNonRoot true on it, or on the pod and not overridden."""
    pod_level = _pod_security(resource_type, props).get("runAsNonRoot") is True
    for where, container, _ in pod_containers(resource_type, props):
        own = _get(container, "securityContext", "runAsNonRoot")
        if own is not True and not (pod_level and own is None):
            yield f"{where} may run as root: set securityContext.runAsNonRoot: true"


def check_read_only_root_filesystem(resource_type: str, props: Mapping[str, Any]) -> Iterator[str]:
    """Every container has a read-only root filesystem."""
    for where, container, _ in pod_containers(resource_type, props):
        if _get(container, "securityContext", "readOnlyRootFilesystem") is not True:
            yield (
                f"{where} has a writable root filesystem: set securityContext.readOnlyRootFilesystem: true "
                "(mount an emptyDir where it must write)"
            )


def check_drop_all_capabilities(resource_type: str, props: Mapping[str, Any]) -> Iterator[str]:
    """Every container drops ALL Linux capabilities."""
    for where, container, _ in pod_containers(resource_type, props):
        dropped = _list(_get(container, "securityContext", "capabilities", "drop"))
        if "ALL" not in dropped:
            yield f"{where} keeps Linux capabilities: set securityContext.capabilities.drop: [ALL]"


def image_problem(image: str) -> str | None:
    """Why ``image`` is not pinned, or None: a digest, or a tag other than ``latest``."""
    if "@" in image:
        return None if re.search(r"@sha256:[0-9a-f]{64}$", image) else "has a malformed digest"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "is untagged (it means :latest)"
    if last.rsplit(":", 1)[1] == "latest":
        return "uses the moving tag :latest"
    return None


def check_image_pinned(resource_type: str, props: Mapping[str, Any]) -> Iterator[str]:
    """No container image is untagged or ``:latest``."""
    for where, container, _ in pod_containers(resource_type, props):
        image = container.get("image")
        problem = image_problem(image) if isinstance(image, str) else "has no image"
        if problem:
            yield f"{where}: image {image!r} {problem}; pin a version tag or a digest"


def check_no_load_balancer(resource_type: str, props: Mapping[str, Any], allow: bool) -> Iterator[str]:
    """No Service of type LoadBalancer unless the stack's policy config allows it."""
    if resource_type == SERVICE and _get(props, "spec", "type") == "LoadBalancer" and not allow:
        yield (
            f"{_describe(props, 'Service')} is a LoadBalancer, which this stack does not allow: use ClusterIP behind "
            'the Ingress, or allow it with {"no-load-balancer-service": {"allowLoadBalancer": true}} in the '
            "stack's policy config (policy/config/<stack>.json)"
        )


def check_pvc_retained(resource_type: str, props: Mapping[str, Any], protect: bool) -> Iterator[str]:
    """A PVC survives the stack's deletion: protected, or declared retained by the component that owns it.

    The closest observable facts to ``retainOnDelete`` (which policies cannot see): the ``protect``
    option, or the ``webstack.io/retain-on-delete: "true"`` annotation that ``PostgresDatabase`` sets
    on the PVCs it registers with ``retain_on_delete=True``. The engine tier verifies the flag itself.
    """
    if resource_type != PVC or protect:
        return
    if _get(props, "metadata", "annotations", RETAIN_ANNOTATION) != "true":
        yield (
            f"{_describe(props, 'PersistentVolumeClaim')} may be deleted with its data: register it with "
            f'retain_on_delete=True and the annotation {RETAIN_ANNOTATION}: "true" (or protect=True)'
        )


def secret_key(key: str) -> bool:
    """Whether a ConfigMap key names a secret (and is not a reference to one, like ``*_FILE``)."""
    words = [w for w in re.split(r"[^a-z0-9]+", re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()) if w]
    if not words or words[-1] in _REFERENCE_WORDS:
        return False
    return any(w in _SECRET_WORDS for w in words) or any(pair in _SECRET_PAIRS for pair in itertools.pairwise(words))


def secret_value(value: str) -> str | None:
    """What secret ``value`` looks like, or None."""
    return next((what for what, pattern in _SECRET_VALUES if pattern.search(value)), None)


def check_configmap_secrets(resource_type: str, props: Mapping[str, Any]) -> Iterator[str]:
    """No ConfigMap holds secret-looking keys or values: those belong in a Secret."""
    if resource_type != CONFIG_MAP:
        return
    data = _get(props, "data")
    if not isinstance(data, Mapping):
        return
    owner = _describe(props, "ConfigMap")
    for key in sorted(data):
        if secret_key(key):
            yield f"{owner}: key {key!r} names a secret; put it in a Secret and read it through secretKeyRef"
            continue
        try:
            value = data[key]
        except UnknownValueError:  # computed during preview: checked on update, when it is known
            continue
        what = secret_value(value) if isinstance(value, str) else None
        if what:
            yield f"{owner}: the value of {key!r} looks like {what}; put it in a Secret"


def check_ingress_tls(resource_type: str, props: Mapping[str, Any]) -> Iterator[str]:
    """Every Ingress serves TLS, for every host it routes, from a named certificate Secret."""
    if resource_type != INGRESS:
        return
    owner = _describe(props, "Ingress")
    tls = [entry for entry in _list(_get(props, "spec", "tls")) if isinstance(entry, Mapping)]
    if not tls:
        yield f"{owner} has no spec.tls: serve it over HTTPS (TlsIngress does)"
        return
    covered = {host for entry in tls for host in _list(entry.get("hosts"))}
    hosts = [rule.get("host") for rule in _list(_get(props, "spec", "rules")) if isinstance(rule, Mapping)]
    plain = sorted(str(host) for host in hosts if host not in covered)
    if plain:
        yield f"{owner} routes {', '.join(plain)} without TLS: list each rule host in spec.tls[].hosts"
    if any(not entry.get("secretName") for entry in tls):
        yield f"{owner} has a spec.tls entry without secretName: name the certificate Secret"


def hostnames(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """The host names an Ingress, Gateway or HTTPRoute serves (as written, wildcards included)."""
    found: list[Any] = []
    if resource_type == INGRESS:
        found += [rule.get("host") for rule in _list(_get(props, "spec", "rules")) if isinstance(rule, Mapping)]
        found += [
            host
            for entry in _list(_get(props, "spec", "tls"))
            if isinstance(entry, Mapping)
            for host in _list(entry.get("hosts"))
        ]
    elif resource_type == GATEWAY:
        found += [item.get("hostname") for item in _list(_get(props, "spec", "listeners")) if isinstance(item, Mapping)]
    elif resource_type == HTTP_ROUTE:
        found += _list(_get(props, "spec", "hostnames"))
    return list(dict.fromkeys(host for host in found if isinstance(host, str)))


def check_no_wildcard_hosts(resource_type: str, props: Mapping[str, Any], allow: bool) -> Iterator[str]:
    """No Ingress, Gateway or HTTPRoute serves a wildcard host unless the stack's policy config allows it."""
    if allow:
        return
    wildcards = [host for host in hostnames(resource_type, props) if host.startswith("*")]
    if wildcards:
        yield (
            f"{_describe(props, _kind(resource_type))} serves the wildcard host(s) {', '.join(wildcards)}: every "
            "name under them reaches the app (and shares one certificate); list the host names, or allow it with "
            '{"no-wildcard-hosts": {"allowWildcardHosts": true}} in the stack\'s policy config'
        )


def _listener_problem(listener: Mapping[str, Any]) -> str | None:
    protocol = listener.get("protocol")
    if protocol == "HTTP":
        return None  # allowed when its routes only redirect (checked on the routes)
    if protocol != "HTTPS":
        return f"is {protocol}, not HTTPS"
    tls = listener.get("tls")
    mode = tls.get("mode", "Terminate") if isinstance(tls, Mapping) else None
    if mode != "Terminate":
        return "does not terminate TLS (tls.mode Terminate)"
    if not _list(tls.get("certificateRefs") if isinstance(tls, Mapping) else None):
        return "names no certificate (tls.certificateRefs)"
    return None


def redirects_to_https(rule: Mapping[str, Any]) -> bool:
    """A route rule that serves nothing: its only action is a redirect to https."""
    if _list(rule.get("backendRefs")):
        return False
    filters = [f for f in _list(rule.get("filters")) if isinstance(f, Mapping)]
    return any(f.get("type") == "RequestRedirect" and _get(f, "requestRedirect", "scheme") == "https" for f in filters)


def check_gateway_https_only(resources: Sequence[tuple[str, Mapping[str, Any], str]]) -> Iterator[tuple[str, str]]:
    """Every Gateway listener is HTTPS with a certificate, or HTTP whose routes only redirect to https.

    ``resources`` are ``(type, props, urn)`` of the whole stack (a route's listener is on another
    object); yields ``(urn, message)`` of the offending object. A route whose Gateway is not in the
    stack is not this stack's to judge; an object with a value still unknown in a preview is
    judged in the update, when it is known.
    """
    listeners: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    found: list[tuple[str, str]] = []
    for resource_type, props, urn in resources:
        if resource_type != GATEWAY:
            continue
        try:
            key = (str(_get(props, "metadata", "namespace") or ""), str(_get(props, "metadata", "name") or ""))
            items = [dict(item) for item in _list(_get(props, "spec", "listeners")) if isinstance(item, Mapping)]
            problems = [(item.get("name"), _listener_problem(item)) for item in items]
        except UnknownValueError:
            continue
        listeners[key] = items
        found += [(urn, f"{_describe(props, 'Gateway')}: listener {n!r} {p}") for n, p in problems if p]
    for resource_type, props, urn in resources:
        if resource_type != HTTP_ROUTE:
            continue
        try:
            message = _plain_http_route(props, listeners)
        except UnknownValueError:
            continue
        if message:
            found.append((urn, message))
    yield from found


def _plain_http_route(
    props: Mapping[str, Any], listeners: Mapping[tuple[str, str], list[dict[str, Any]]]
) -> str | None:
    """Why an HTTPRoute serves plain HTTP on a listener of ``listeners`` (Gateway -> its listeners), or None."""
    namespace = str(_get(props, "metadata", "namespace") or "")
    plain: list[str] = []
    for ref in _list(_get(props, "spec", "parentRefs")):
        if not isinstance(ref, Mapping) or ref.get("kind", "Gateway") != "Gateway":
            continue
        if ref.get("group", GATEWAY_GROUP) != GATEWAY_GROUP:
            continue
        items = listeners.get((str(ref.get("namespace") or namespace), str(ref.get("name"))), [])
        section = ref.get("sectionName")
        plain += [str(i.get("name")) for i in items if i.get("protocol") == "HTTP" and section in (None, i.get("name"))]
    rules = [rule for rule in _list(_get(props, "spec", "rules")) if isinstance(rule, Mapping)]
    on = ", ".join(sorted(set(plain)))
    if plain and not all(redirects_to_https(rule) for rule in rules):
        return (
            f"{_describe(props, 'HTTPRoute')} serves plain HTTP on listener(s) {on}: "
            "on an HTTP listener a route may only redirect to https (RequestRedirect, scheme https); attach "
            "it to the HTTPS listener by sectionName (TlsGateway does)"
        )
    return None


# -- the policies ----------------------------------------------------------------------------------

Check = Callable[[str, Mapping[str, Any]], Iterator[str]]
Validate = Callable[[ResourceValidationArgs, ReportViolation], None]


def _reporting(check: Check) -> Validate:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in check(args.resource_type, args.props):
            report_violation(message, None)

    return validate


def _validate_load_balancer(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    allow = args.get_config().get("allowLoadBalancer") is True
    for message in check_no_load_balancer(args.resource_type, args.props, allow):
        report_violation(message, None)


def _validate_wildcards(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    allow = args.get_config().get("allowWildcardHosts") is True
    for message in check_no_wildcard_hosts(args.resource_type, args.props, allow):
        report_violation(message, None)


def _validate_gateway_https(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = [(r.resource_type, r.props, r.urn) for r in args.resources]
    for urn, message in check_gateway_https_only(resources):
        report_violation(message, urn)


def _validate_pvc(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for message in check_pvc_retained(args.resource_type, args.props, bool(args.opts.protect)):
        report_violation(message, None)


def _policy(
    name: str, description: str, validate: Validate, config: PolicyConfigSchema | None = None
) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=config,
    )


POLICIES: list[ResourceValidationPolicy] = [
    _policy(
        "container-resources",
        "Every container sets CPU and memory requests and limits.",
        _reporting(check_resources),
    ),
    _policy(
        "container-probes",
        "Every container of a long-running workload has liveness and readiness probes (Jobs and CronJobs are exempt).",
        _reporting(check_probes),
    ),
    _policy(
        "container-run-as-non-root",
        "Every container runs with runAsNonRoot: true (its own or its pod's).",
        _reporting(check_run_as_non_root),
    ),
    _policy(
        "container-read-only-root-filesystem",
        "Every container has readOnlyRootFilesystem: true.",
        _reporting(check_read_only_root_filesystem),
    ),
    _policy(
        "container-drop-all-capabilities",
        "Every container drops ALL Linux capabilities.",
        _reporting(check_drop_all_capabilities),
    ),
    _policy(
        "image-pinned",
        "No container image is untagged or :latest; pin a version tag or a digest.",
        _reporting(check_image_pinned),
    ),
    _policy(
        "no-load-balancer-service",
        "No Service of type LoadBalancer unless the stack's policy config sets allowLoadBalancer.",
        _validate_load_balancer,
        PolicyConfigSchema(properties={"allowLoadBalancer": {"type": "boolean", "default": False}}),
    ),
    _policy(
        "pvc-retain-on-delete",
        f"Every PersistentVolumeClaim is protected or declared retained on delete ({RETAIN_ANNOTATION}).",
        _validate_pvc,
    ),
    _policy(
        "configmap-no-secrets",
        "No ConfigMap holds secret-looking keys (password, token, ...) or values (private keys, tokens, ...).",
        _reporting(check_configmap_secrets),
    ),
    _policy(
        "ingress-tls",
        "Every Ingress has TLS for each host it routes, from a named certificate Secret.",
        _reporting(check_ingress_tls),
    ),
    _policy(
        "no-wildcard-hosts",
        "No Ingress, Gateway or HTTPRoute serves a wildcard host unless the stack's policy config sets "
        "allowWildcardHosts (prod does not).",
        _validate_wildcards,
        PolicyConfigSchema(properties={"allowWildcardHosts": {"type": "boolean", "default": False}}),
    ),
]

STACK_POLICIES: list[StackValidationPolicy] = [
    StackValidationPolicy(
        name="gateway-https-only",
        description="Every Gateway listener is HTTPS with a certificate, or HTTP whose routes only redirect to https.",
        validate=_validate_gateway_https,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
]
