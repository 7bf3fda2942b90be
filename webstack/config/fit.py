"""Cross-field checks: settings each valid alone that Kubernetes would accept and then never run.

The namespace's ResourceQuota must hold every workload at its peak (the app at its largest
replica count plus the rolling-update surge, the database with its exporter, the backup job), and
the app's Service cannot expose two ports with one number. Each message shows the arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from components.postgres.backup import BACKUP_LIMITS, BACKUP_REQUESTS
from components.postgres.monitoring import EXPORTER_LIMITS, EXPORTER_REQUESTS
from components.validation import parse_quantity
from components.web_app import MAX_SURGE, SERVICE_PORT
from webstack.config.spec import Reader

if TYPE_CHECKING:
    from webstack.settings import Settings

# quota key -> (quota field, workload amount: "requests"/"limits", resource)
QUOTA_AMOUNTS = {
    "quotaRequestsCpu": ("requests.cpu", "requests", "cpu"),
    "quotaRequestsMemory": ("requests.memory", "requests", "memory"),
    "quotaLimitsCpu": ("limits.cpu", "limits", "cpu"),
    "quotaLimitsMemory": ("limits.memory", "limits", "memory"),
}
_BINARY_UNITS = (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


class Term:
    """One workload's share of a total: ``count`` pods (or volumes) of ``amount`` each."""

    def __init__(self, label: str, count: int, amount: str, keys: Sequence[str]) -> None:
        self.label, self.count, self.amount, self.keys = label, count, amount, tuple(keys)

    def total(self) -> Decimal:
        return self.count * parse_quantity(self.amount, self.label)

    def __str__(self) -> str:
        return f"{self.label} {self.amount}" if self.count == 1 else f"{self.label} × {self.amount}"


def format_amount(amount: Decimal, resource: str) -> str:
    """An amount as a user would write it: millicores for CPU, the largest exact binary unit for bytes."""
    if resource == "cpu":
        millis = amount * 1000
        return f"{millis.to_integral_value():f}m" if millis == millis.to_integral_value() else f"{amount:f}"
    whole = int(amount)
    for suffix, size in _BINARY_UNITS:
        if whole and whole % size == 0:
            return f"{whole // size}{suffix}"
    return str(whole)


def _app_pods(s: Settings) -> tuple[int, str]:
    """The app's peak pod count and how it comes about."""
    app = s.app
    base = (app.max_replicas, "autoscalingMaxReplicas") if app.autoscaling else (app.replicas, "appReplicas")
    return base[
        0
    ] + MAX_SURGE, f"app {base[0] + MAX_SURGE} pods ({base[1]} {base[0]} + {MAX_SURGE} rolling-update surge)"


def workload_terms(s: Settings, kind: str, resource: str) -> list[Term]:
    """What each workload takes of ``kind`` ("requests" or "limits") of ``resource`` at its peak."""
    pods, label = _app_pods(s)
    app_amounts = s.app.requests if kind == "requests" else s.app.limits
    key = f"app{resource.capitalize()}{'Request' if kind == 'requests' else 'Limit'}"
    terms = [Term(label, pods, app_amounts[resource], ("appReplicas", "autoscalingMaxReplicas", key))]
    db = s.database
    if db.enabled:
        db_amounts = db.requests if kind == "requests" else db.limits
        terms.append(Term("database", 1, db_amounts[resource], (key.replace("app", "db", 1),)))
        if db.metrics_enabled:
            exporter = EXPORTER_REQUESTS if kind == "requests" else EXPORTER_LIMITS
            terms.append(Term("metrics exporter", 1, exporter[resource], ()))
        if db.backup_enabled:
            backup = BACKUP_REQUESTS if kind == "requests" else BACKUP_LIMITS
            terms.append(Term("backup job", 1, backup[resource], ()))
    return terms


def storage_terms(s: Settings) -> list[Term]:
    db = s.database
    if not db.enabled:
        return []
    terms = [Term("database volume", 1, db.storage_size, ("dbStorageSize",))]
    if db.backup_enabled:
        terms.append(Term("backup volume", 1, db.backup_storage_size, ("dbBackupStorageSize",)))
    return terms


def _check_total(r: Reader, key: str, quota: str, terms: list[Term], resource: str) -> None:
    if not terms or not r.ok(key, *(k for t in terms for k in t.keys)):
        return
    needed = sum((t.total() for t in terms), Decimal(0))
    if parse_quantity(quota, r.what(key)) < needed:
        shown = format_amount(needed, resource)
        r.fail(
            key,
            f"{quota!r} is less than the workloads take at their peak: {shown} = "
            f"{' + '.join(str(t) for t in terms)}; raise it to at least {shown!r} or lower those amounts "
            "(the pods over the quota would never start)",
        )


def check_quota(r: Reader, s: Settings) -> None:
    """The ResourceQuota holds every workload at its peak, amount by amount and in pods."""
    for key, (field, kind, resource) in QUOTA_AMOUNTS.items():
        _check_total(r, key, s.namespace.quota[field], workload_terms(s, kind, resource), resource)
    _check_total(r, "quotaStorage", s.namespace.quota["requests.storage"], storage_terms(s), "storage")
    pods, label = _app_pods(s)
    others = [("database", 1)] if s.database.enabled else []
    if s.database.enabled and s.database.backup_enabled:
        others.append(("backup job", 1))
    needed = pods + sum(n for _, n in others)
    quota_pods = int(s.namespace.quota["pods"])
    if quota_pods < needed and r.ok("quotaPods", "appReplicas", "autoscalingMaxReplicas"):
        parts = " + ".join([label, *(f"{name} {n}" for name, n in others)])
        r.fail(
            "quotaPods",
            f"{quota_pods} is less than the pods the workloads run at their peak: {needed} = {parts}; raise it to "
            f"at least {needed}",
        )


def check_ports(r: Reader, s: Settings) -> None:
    """The metrics port is a port of the app's Service next to its http port."""
    metrics = s.platform.metrics
    if metrics.port is None or not r.ok("metricsPort", "appPort"):
        return
    if not metrics.enabled:
        r.fail(
            "metricsPort",
            f"{metrics.port} is set but metricsEnabled is false, so nothing serves or scrapes it; set "
            "metricsEnabled to true or remove metricsPort",
        )
    elif metrics.port != s.app.port and metrics.port == SERVICE_PORT:
        r.fail(
            "metricsPort",
            f"{metrics.port} is already the app Service's http port; a Service cannot expose two ports with one "
            f"number: choose another port, or 0 to scrape the app port ({s.app.port})",
        )


def check(r: Reader, s: Settings) -> None:
    check_quota(r, s)
    check_ports(r, s)
