"""The components other Pulumi languages use: typed facades over ``components/``.

``component_provider_host`` (``provider/__main__.py``) infers the package schema from these
classes: each facade's ``__init__(self, name, args: XArgs, opts)`` annotation gives the inputs,
its class annotations the outputs, and the attribute docstrings the descriptions. It reads
annotations as objects, so this module must not use ``from __future__ import annotations`` (which
``components/`` does) — that is one reason for facades instead of hosting ``components/`` directly.
The other: the facades choose what crosses the language boundary. Arguments that hold Python
objects (``WebApp``'s ``metrics.depends_on``: resources) or that only the webstack program needs
stay out; ``tests/provider/`` checks that every facade argument is one of the component's own.

Each facade registers as ``webstack:index:<Name>`` (the schema's token) and builds the real
component as its only child, so the resources and their validation are exactly the Python ones.
"""

from typing import Any, NotRequired, TypedDict, cast, get_args, get_origin, is_typeddict

import pulumi

import components

PACKAGE = "webstack"
"""The package name: other languages see ``webstack:index:WebApp`` and ``webstack:index:Namespace``."""
VERSION = "0.1.0"
"""The package (and generated SDK) version; the project's version in pyproject.toml."""


def plain_ints(args: Any, typ: type) -> Any:
    """``args`` with the whole-number floats of its ``int`` fields made ints, nested TypedDicts included.

    Numbers cross the language boundary as protobuf doubles, so ``port: 9898`` arrives as ``9898.0``,
    which the components' validation rightly refuses as a port.
    """
    if not isinstance(args, dict):
        return args
    # The annotations as objects (typing.get_type_hints cannot resolve pulumi.Input's forward reference).
    hints: dict[str, Any] = typ.__annotations__
    out = dict(args)
    for key, value in args.items():
        hint = hints.get(key)
        if get_origin(hint) is NotRequired:
            hint = get_args(hint)[0]
        if hint is int and isinstance(value, float) and value.is_integer():
            out[key] = int(value)
        elif isinstance(hint, type) and is_typeddict(hint):
            out[key] = plain_ints(value, hint)
    return out


class AutoscalingArgs(TypedDict):
    """HorizontalPodAutoscaler (autoscaling/v2) on CPU utilisation."""

    max_replicas: int
    """Upper bound on replicas; the lower bound is ``replicas``."""
    cpu_percent: NotRequired[int]
    """Target average CPU utilisation in percent of the request. Default: 70."""


class SecretKeyRef(TypedDict):
    """A key of an existing Secret, delivered as an environment variable through ``secretKeyRef``."""

    name: pulumi.Input[str]
    """Name of the Secret, in the app's namespace."""
    key: str
    """Key in the Secret."""


class WebAppArgs(TypedDict):
    """Inputs of ``WebApp``."""

    namespace: pulumi.Input[str]
    """Namespace to deploy into (e.g. a ``Namespace``'s ``name`` output)."""
    image: str
    """Container image, pinned by tag or digest, e.g. ``ghcr.io/org/app:1.4.2``."""
    instance: NotRequired[str]
    """``app.kubernetes.io/instance`` label (part of the selector). Default: the resource name."""
    version: NotRequired[str]
    """``app.kubernetes.io/version`` label. Default: the image tag."""
    part_of: NotRequired[str]
    """``app.kubernetes.io/part-of`` label. Default: ``webstack``."""
    port: NotRequired[int]
    """Container port the app listens on. Default: 8080."""
    replicas: NotRequired[int]
    """Replicas, or the autoscaler's minimum. Default: 2 (a PodDisruptionBudget is added above 1)."""
    requests: NotRequired[dict[str, str]]
    """Container requests; missing keys take the defaults (100m CPU, 128Mi memory, 64Mi ephemeral storage)."""
    limits: NotRequired[dict[str, str]]
    """Container limits; missing keys take the defaults (500m CPU, 256Mi memory, 256Mi ephemeral storage)."""
    health_path: NotRequired[str]
    """Liveness and startup probe path. Default: ``/health``."""
    ready_path: NotRequired[str]
    """Readiness probe path. Default: ``/ready``."""
    env: NotRequired[dict[str, pulumi.Input[str]]]
    """Plain environment variables, kept in a ConfigMap."""
    secret_env: NotRequired[dict[str, pulumi.Input[str]]]
    """Secret environment variables: kept in a Secret, read through ``secretKeyRef``."""
    secret_refs: NotRequired[dict[str, SecretKeyRef]]
    """Environment variables from keys of Secrets owned elsewhere."""
    service_type: NotRequired[str]
    """``ClusterIP`` (behind an Ingress) or ``LoadBalancer``. Default: ``ClusterIP``."""
    service_annotations: NotRequired[dict[str, str]]
    """Annotations of the Service."""
    autoscaling: NotRequired[AutoscalingArgs]
    """Add a HorizontalPodAutoscaler. Default: none (fixed replicas)."""
    spread_policy: NotRequired[str]
    """Topology spread over nodes: ``ScheduleAnyway`` or ``DoNotSchedule``. Default: ``ScheduleAnyway``."""
    ingress_namespace: NotRequired[str]
    """Namespace of the ingress controller, the only one admitted to the app port. Default: ``ingress``."""
    run_as_user: NotRequired[int]
    """UID and GID the container runs as (non-root). Default: 10001."""
    egress_cidrs: NotRequired[list[str]]
    """Networks (CIDR) the app may connect to; the cloud metadata address stays excluded."""


class WebApp(pulumi.ComponentResource):
    """A stateless HTTP app, hardened and observable by default: Deployment (probes, requests and limits,
    restricted security context, read-only root filesystem), Service, NetworkPolicy, optional HPA and PDB."""

    service_name: pulumi.Output[str]
    """Name of the app's Service."""
    url: pulumi.Output[str]
    """In-cluster URL of the Service."""
    deployment_name: pulumi.Output[str]
    """Name of the Deployment."""

    def __init__(self, name: str, args: WebAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("webstack:index:WebApp", name, None, opts)
        # The facade's keys are a subset of the component's (tests/provider/ checks it).
        app = components.WebApp(
            name, cast(components.WebAppArgs, plain_ints(args, WebAppArgs)), pulumi.ResourceOptions(parent=self)
        )
        self.service_name = app.service_name
        self.url = app.url
        self.deployment_name = app.deployment_name
        self.register_outputs(
            {"service_name": app.service_name, "url": app.url, "deployment_name": app.deployment_name}
        )


class NamespaceArgs(TypedDict):
    """Inputs of ``Namespace``."""

    name: str
    """Namespace name (DNS-1123 label)."""
    pod_security: NotRequired[str]
    """Pod Security Admission level: ``restricted``, ``baseline`` or ``privileged``. Default: ``restricted``."""
    quota: NotRequired[dict[str, str]]
    """ResourceQuota ``spec.hard``. Default: 4/8 CPU, 8Gi/16Gi memory, 100Gi storage, 50 pods."""
    default_requests: NotRequired[dict[str, str]]
    """LimitRange default requests. Default: 100m CPU, 128Mi memory."""
    default_limits: NotRequired[dict[str, str]]
    """LimitRange default limits. Default: 500m CPU, 256Mi memory."""
    part_of: NotRequired[str]
    """``app.kubernetes.io/part-of`` label. Default: ``webstack``."""
    deny_egress: NotRequired[bool]
    """Deny egress from every pod except DNS. Default: true."""
    retain_on_delete: NotRequired[bool]
    """Leave the Namespace object in the cluster when the stack deletes it. Default: false."""


class Namespace(pulumi.ComponentResource):
    """A namespace that is safe to deploy into: Pod Security ``restricted``, ResourceQuota, LimitRange and
    default-deny NetworkPolicies (DNS allowed out)."""

    name: pulumi.Output[str]
    """Name of the namespace."""

    def __init__(self, name: str, args: NamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("webstack:index:Namespace", name, None, opts)
        namespace = components.Namespace(
            name, cast(components.NamespaceArgs, plain_ints(args, NamespaceArgs)), pulumi.ResourceOptions(parent=self)
        )
        self.name = namespace.name
        self.register_outputs({"name": namespace.name})


FACADES: list[type[pulumi.ComponentResource]] = [WebApp, Namespace]
