"""The database's monitoring: the ServiceMonitor for its exporter and its alert rules."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.postgres import PostgresDatabase, PostgresDatabaseArgs
from components.postgres.monitoring import VOLUME_FREE_CRITICAL, VOLUME_FREE_WARNING, alert_rules
from tests.harness import Recorder, synth

MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
CLIENTS = {"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "shop", "app.kubernetes.io/component": "web"}
SERVER = {"app.kubernetes.io/name": "db", "app.kubernetes.io/instance": "db", "app.kubernetes.io/component": "database"}


def _build(**overrides: Any) -> None:
    args: dict[str, Any] = {"namespace": "shop", "client_selector": CLIENTS, **overrides}
    synth(lambda: PostgresDatabase("db", PostgresDatabaseArgs(**args)).host)  # type: ignore[typeddict-item]


def _rules(mocks: Recorder) -> dict[str, dict[str, Any]]:
    (group,) = mocks.one(RULE).spec["groups"]
    return {rule["alert"]: rule for rule in group["rules"]}


def test_metrics_add_a_service_monitor_selected_by_the_release_label(mocks: Recorder) -> None:
    _build(metrics={})
    monitor = mocks.one(MONITOR)
    assert monitor.metadata["name"] == "db"
    assert monitor.metadata["namespace"] == "shop"
    assert monitor.metadata["labels"]["release"] == "kube-prometheus-stack"
    assert monitor.spec == {
        "selector": {"matchLabels": SERVER},
        "endpoints": [{"port": "metrics", "interval": "30s", "scheme": "http"}],
    }


def test_the_service_monitor_selects_exactly_the_database_service(mocks: Recorder) -> None:
    _build(metrics={}, backup={"schedule": "@daily"})
    selector = mocks.one(MONITOR).spec["selector"]["matchLabels"]
    services = [r for r in mocks.resources if r.typ == "kubernetes:core/v1:Service"]
    matching = [s.name for s in services if selector.items() <= s.metadata["labels"].items()]
    assert matching == ["db-service"]


def test_monitor_labels_and_crd_dependency_come_from_the_args(mocks: Recorder) -> None:
    def build() -> pulumi.Output[str]:
        crds = k8s.core.v1.ConfigMap("crds")
        metrics = {"labels": {"release": "prom"}, "depends_on": [crds]}
        db = PostgresDatabase("db", {"namespace": "shop", "client_selector": CLIENTS, "metrics": metrics})
        return db.host

    synth(build)
    crds = mocks.named("crds")
    for typ in (MONITOR, RULE):
        resource = mocks.one(typ)
        assert resource.metadata["labels"]["release"] == "prom"
        assert crds.urn in resource.dependencies
    assert crds.urn not in mocks.named("db-deployment").dependencies, "the database does not wait for the CRDs"


def test_without_backups_the_alerts_watch_the_server_and_the_data_volume(mocks: Recorder) -> None:
    _build(metrics={})
    rules = _rules(mocks)
    assert sorted(rules) == ["PostgresDown", "PostgresVolumeFull", "PostgresVolumeNearlyFull"]
    assert 'persistentvolumeclaim=~"db-data"' in rules["PostgresVolumeFull"]["expr"]


def test_with_backups_the_alerts_watch_the_backups_and_their_volume(mocks: Recorder) -> None:
    _build(metrics={}, backup={"schedule": "@daily"})
    rules = _rules(mocks)
    assert {"PostgresBackupFailing", "PostgresBackupStale"} <= set(rules)
    assert 'cronjob="db-backup"' in rules["PostgresBackupStale"]["expr"]
    assert 'persistentvolumeclaim=~"db-data|db-backups"' in rules["PostgresVolumeNearlyFull"]["expr"]
    assert mocks.one("kubernetes:batch/v1:CronJob").metadata["name"] == "db-backup"


def test_service_monitor_off_keeps_the_exporter_without_custom_resources(mocks: Recorder) -> None:
    _build(metrics={"service_monitor": False})
    assert mocks.of_type(MONITOR) == []
    assert mocks.of_type(RULE) == []
    containers = mocks.one("kubernetes:apps/v1:Deployment").spec["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["postgres", "exporter"]


def test_no_metrics_no_monitoring(mocks: Recorder) -> None:
    _build()
    assert mocks.of_type(MONITOR) == []
    assert mocks.of_type(RULE) == []


def test_service_monitor_must_be_a_boolean(mocks: Recorder) -> None:
    with pytest.raises(ValueError, match=r"metrics.service_monitor: 'yes' is not a boolean"):
        PostgresDatabase("db", {"namespace": "shop", "client_selector": CLIENTS, "metrics": {"service_monitor": "yes"}})  # type: ignore[typeddict-item]


# -- the rules, without mocks --------------------------------------------------------------------


def _pure(cronjob: str | None = "pg-backup") -> dict[str, dict[str, Any]]:
    (group,) = alert_rules("prod", "pg", ["pg-data", "pg-backups"], cronjob)["groups"]
    assert group["name"] == "pg.database"
    return {rule["alert"]: rule for rule in group["rules"]}


def test_down_covers_a_refused_connection_and_a_missing_scrape() -> None:
    rule = _pure()["PostgresDown"]
    assert rule["expr"] == 'pg_up{namespace="prod",job="pg"} == 0 or absent(up{namespace="prod",job="pg"} == 1)'
    assert rule["labels"] == {"severity": "critical"}


def test_volume_alerts_compare_free_space_with_capacity() -> None:
    rules = _pure()
    ratio = (
        'kubelet_volume_stats_available_bytes{namespace="prod",persistentvolumeclaim=~"pg-data|pg-backups"} / '
        'kubelet_volume_stats_capacity_bytes{namespace="prod",persistentvolumeclaim=~"pg-data|pg-backups"}'
    )
    assert rules["PostgresVolumeNearlyFull"]["expr"] == f"{ratio} < {VOLUME_FREE_WARNING}"
    assert rules["PostgresVolumeFull"]["expr"] == f"{ratio} < {VOLUME_FREE_CRITICAL}"
    assert VOLUME_FREE_CRITICAL < VOLUME_FREE_WARNING


def test_backup_failing_fires_when_the_latest_run_or_every_run_has_not_succeeded() -> None:
    rule = _pure()["PostgresBackupFailing"]
    job = 'namespace="prod",cronjob="pg-backup"'
    scheduled = f"kube_cronjob_status_last_schedule_time{{{job}}}"
    succeeded = f"kube_cronjob_status_last_successful_time{{{job}}}"
    assert rule["expr"] == (
        f"({scheduled} > on(namespace, cronjob) {succeeded}) or ({scheduled} unless on(namespace, cronjob) {succeeded})"
    )
    assert rule["for"] == "1h"


def test_backup_stale_allows_two_schedule_periods() -> None:
    expr = _pure()["PostgresBackupStale"]["expr"]
    job = 'namespace="prod",cronjob="pg-backup"'
    assert expr == (
        f"time() - kube_cronjob_status_last_successful_time{{{job}}} > 2 * "
        f"(kube_cronjob_next_schedule_time{{{job}}} - kube_cronjob_status_last_schedule_time{{{job}}})"
    )


def test_no_cronjob_no_backup_alerts() -> None:
    assert sorted(_pure(None)) == ["PostgresDown", "PostgresVolumeFull", "PostgresVolumeNearlyFull"]
