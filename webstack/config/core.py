"""Stack-wide keys: environment, namespace baseline (Pod Security, quota, limit range), provider."""

from __future__ import annotations

from dataclasses import dataclass

from components.validation import check_byte_quantity, check_cpu_quantity, check_dns_label
from webstack.config.spec import Key, Reader

ENVIRONMENTS = ("dev", "staging", "prod")
POD_SECURITY_LEVELS = ("restricted", "baseline", "privileged")

KEYS: tuple[Key, ...] = (
    Key(
        "environment",
        "string",
        "Environment this stack deploys: dev, staging or prod. Sets "
        "environment-dependent checks (e.g. :latest images are refused outside dev).",
    ),
    Key("namespace", "string", "Namespace that holds the app and the database (DNS-1123 label).", "webstack"),
    Key(
        "podSecurity",
        "string",
        "Pod Security Admission level enforced on the namespace: restricted, baseline or privileged.",
        "restricted",
    ),
    Key("quotaRequestsCpu", "string", "ResourceQuota: total CPU requests in the namespace.", "4"),
    Key("quotaRequestsMemory", "string", "ResourceQuota: total memory requests.", "8Gi"),
    Key("quotaLimitsCpu", "string", "ResourceQuota: total CPU limits.", "8"),
    Key("quotaLimitsMemory", "string", "ResourceQuota: total memory limits.", "16Gi"),
    Key("quotaStorage", "string", "ResourceQuota: total storage requested by PVCs.", "100Gi"),
    Key("quotaPods", "integer", "ResourceQuota: maximum number of pods.", 50),
    Key("defaultCpuRequest", "string", "LimitRange: CPU request for containers that set none.", "100m"),
    Key("defaultMemoryRequest", "string", "LimitRange: memory request for containers that set none.", "128Mi"),
    Key("defaultCpuLimit", "string", "LimitRange: CPU limit for containers that set none.", "500m"),
    Key("defaultMemoryLimit", "string", "LimitRange: memory limit for containers that set none.", "256Mi"),
)


@dataclass(frozen=True)
class NamespaceSettings:
    name: str
    pod_security: str
    quota: dict[str, str]
    default_requests: dict[str, str]
    default_limits: dict[str, str]


def parse_environment(r: Reader) -> str:
    return r.choice("environment", ENVIRONMENTS)


def parse_namespace(r: Reader) -> NamespaceSettings:
    name = r.string("namespace", check_dns_label)
    quota_keys = {
        "requests.cpu": "quotaRequestsCpu",
        "requests.memory": "quotaRequestsMemory",
        "limits.cpu": "quotaLimitsCpu",
        "limits.memory": "quotaLimitsMemory",
        "requests.storage": "quotaStorage",
    }
    quota: dict[str, str] = {}
    for field, key in quota_keys.items():
        quota[field] = r.string(key, check_cpu_quantity if field.endswith(".cpu") else check_byte_quantity)
    quota["pods"] = str(r.integer("quotaPods", 1, 10_000))
    requests, limits = r.requests_and_limits(
        {
            "cpu": ("defaultCpuRequest", "defaultCpuLimit"),
            "memory": ("defaultMemoryRequest", "defaultMemoryLimit"),
        }
    )
    return NamespaceSettings(
        name=name,
        pod_security=r.choice("podSecurity", POD_SECURITY_LEVELS),
        quota=quota,
        default_requests=requests,
        default_limits=limits,
    )
