"""Keys of the web app: image, replicas, resources, probes, env, Service and autoscaling."""

from __future__ import annotations

from dataclasses import dataclass

from components.validation import (
    check_annotations,
    check_dns1035_label,
    check_egress_cidr,
    check_env_name,
    check_http_path,
    check_pinned_image,
    check_port,
    parse_image,
)
from webstack.config.spec import Key, Reader, SecretStr

SERVICE_TYPES = ("ClusterIP", "LoadBalancer")
SPREAD_POLICIES = ("ScheduleAnyway", "DoNotSchedule")
MAX_REPLICAS = 100

KEYS: tuple[Key, ...] = (
    Key("appName", "string", "Name of the web app: its Deployment, Service and labels (DNS-1123 label).", "web"),
    Key(
        "appImage",
        "string",
        "Container image of the web app, pinned by tag or digest "
        "(':latest' and untagged images are refused outside dev).",
    ),
    Key("appPort", "integer", "Container port the app listens on (1-65535).", 8080),
    Key(
        "appReplicas",
        "integer",
        f"Replicas (1-{MAX_REPLICAS}); the HPA minimum when "
        "autoscaling is on. A PodDisruptionBudget is added when above 1.",
        2,
    ),
    Key("appCpuRequest", "string", "CPU request of the app container.", "100m"),
    Key("appCpuLimit", "string", "CPU limit of the app container.", "500m"),
    Key("appMemoryRequest", "string", "Memory request of the app container.", "128Mi"),
    Key("appMemoryLimit", "string", "Memory limit of the app container.", "256Mi"),
    Key("appHealthPath", "string", "HTTP path of the liveness (and startup) probe.", "/health"),
    Key("appReadyPath", "string", "HTTP path of the readiness probe.", "/ready"),
    Key(
        "appEnv",
        "array",
        "Plain environment variables as NAME=value strings (kept in a "
        "ConfigMap). Add one with `pulumi config set --path 'appEnv[0]' LOG_LEVEL=info`.",
        [],
    ),
    Key(
        "appSecretEnv",
        "array",
        "Secret environment variables as NAME=value strings, stored "
        "encrypted and delivered through a Secret and secretKeyRef: `pulumi config set --secret "
        "--path 'appSecretEnv[0]' API_TOKEN=...` (plaintext entries are refused).",
        [],
        secret=True,
    ),
    Key("serviceType", "string", "Service type: ClusterIP (behind the Ingress) or LoadBalancer.", "ClusterIP"),
    Key(
        "serviceAnnotations",
        "array",
        "Service annotations as key=value strings, e.g. service.beta.kubernetes.io/aws-load-balancer-type=nlb.",
        [],
    ),
    Key("autoscalingEnabled", "boolean", "Add a HorizontalPodAutoscaler (autoscaling/v2, CPU).", False),
    Key("autoscalingMaxReplicas", "integer", "HPA maximum replicas (at least appReplicas).", 10),
    Key("autoscalingCpuPercent", "integer", "HPA target average CPU utilisation, in percent of the request.", 70),
    Key(
        "appEgressCidrs",
        "array",
        "Networks (CIDR) the app may connect to, on any port; the namespace denies all other egress "
        "but DNS and the database. E.g. `pulumi config set --path 'appEgressCidrs[0]' 203.0.113.0/24`; "
        "0.0.0.0/0 opens the internet (never the cloud metadata address).",
        [],
    ),
    Key(
        "spreadPolicy",
        "string",
        "Topology spread across nodes: ScheduleAnyway (soft) or DoNotSchedule (hard).",
        "ScheduleAnyway",
    ),
)


@dataclass(frozen=True)
class AppSettings:
    name: str
    image: str
    version: str
    port: int
    replicas: int
    requests: dict[str, str]
    limits: dict[str, str]
    health_path: str
    ready_path: str
    env: tuple[tuple[str, str], ...]
    secret_env: tuple[tuple[str, SecretStr], ...]
    service_type: str
    service_annotations: tuple[tuple[str, str], ...]
    autoscaling: bool
    max_replicas: int
    cpu_percent: int
    spread_policy: str
    egress_cidrs: tuple[str, ...] = ()


def _parse_image(r: Reader, environment: str) -> tuple[str, str]:
    image = r.string("appImage")
    if not image:
        return "", ""
    # dev may run a moving tag for fast iteration; everything else must be reproducible.
    check = parse_image if environment == "dev" else check_pinned_image
    ref = r.check(lambda: check(image, r.what("appImage")), None)
    return image, (ref.version if ref and (ref.tag or ref.digest) else "latest")


def _parse_env(r: Reader) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, SecretStr], ...]]:
    env = r.pairs("appEnv")
    secret_env = r.pairs("appSecretEnv", secret=True)
    seen: set[str] = set()
    for key, pairs in (("appEnv", env), ("appSecretEnv", secret_env)):
        for name, _ in pairs:
            r.validate(check_env_name, name, r.what(key))
            if name in seen:
                r.fail(key, f"variable {name!r} is set twice (in appEnv and appSecretEnv, or repeated); keep one")
            seen.add(name)
    return env, secret_env


def parse(r: Reader, environment: str) -> AppSettings:
    name = r.string("appName", check_dns1035_label)
    image, version = _parse_image(r, environment)
    port = r.integer("appPort", 1, 65535)
    r.validate(check_port, port, r.what("appPort"))
    replicas = r.integer("appReplicas", 1, MAX_REPLICAS)
    requests, limits = r.requests_and_limits(
        {
            "cpu": ("appCpuRequest", "appCpuLimit"),
            "memory": ("appMemoryRequest", "appMemoryLimit"),
        }
    )
    health = r.string("appHealthPath", check_http_path)
    ready = r.string("appReadyPath", check_http_path)
    env, secret_env = _parse_env(r)
    annotations = r.pairs("serviceAnnotations")
    r.validate(check_annotations, annotations, r.what("serviceAnnotations"))
    egress_cidrs = r.strings("appEgressCidrs")
    for cidr in egress_cidrs:
        r.validate(check_egress_cidr, cidr, r.what("appEgressCidrs"))
    if len(set(egress_cidrs)) != len(egress_cidrs):
        r.fail("appEgressCidrs", "lists a network twice; list each network once")
    autoscaling = r.boolean("autoscalingEnabled")
    max_replicas = r.integer("autoscalingMaxReplicas", 1, 1000)
    if autoscaling and max_replicas < replicas and r.ok("appReplicas", "autoscalingMaxReplicas"):
        r.fail(
            "autoscalingMaxReplicas",
            f"{max_replicas} is below appReplicas ({replicas}), the HPA's minimum; raise it to at least "
            f"{replicas} or lower appReplicas",
        )
    spread_policy = r.choice("spreadPolicy", SPREAD_POLICIES)
    if spread_policy == "DoNotSchedule" and replicas == 1 and not autoscaling and r.ok("appReplicas"):
        r.fail(
            "spreadPolicy",
            "'DoNotSchedule' spreads nothing with appReplicas 1 and autoscalingEnabled false (one pod has no "
            "peer to keep apart from); raise appReplicas to 2 or more, or use 'ScheduleAnyway'",
        )
    return AppSettings(
        name=name,
        image=image,
        version=version,
        port=port,
        replicas=replicas,
        requests=requests,
        limits=limits,
        health_path=health,
        ready_path=ready,
        env=env,
        secret_env=secret_env,
        service_type=r.choice("serviceType", SERVICE_TYPES),
        service_annotations=annotations,
        autoscaling=autoscaling,
        max_replicas=max_replicas,
        cpu_percent=r.integer("autoscalingCpuPercent", 1, 100),
        spread_policy=spread_policy,
        egress_cidrs=egress_cidrs,
    )
