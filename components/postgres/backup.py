"""The ``pg_dump`` CronJob that PostgresDatabase adds with ``backup``, and its retained volume."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.postgres.checks import check_cron_schedule, check_storage_class, check_storage_size
from components.postgres.pods import (
    DEFAULT_ACCESS_MODES,
    PORT,
    PULL_POLICY,
    claim,
    claim_volume,
    credentials_mount,
    credentials_volume,
    empty_dir,
    pod_spec,
)
from components.postgres.roles import BACKUP_PASSWORD_FILE, BACKUP_PASSWORD_KEY, BACKUP_ROLE
from components.validation import check_dns_subdomain, check_int_range

DEFAULT_BACKUP_STORAGE_SIZE = "20Gi"
DEFAULT_BACKUP_RETENTION_DAYS = 7
BACKUP_REQUESTS = {"cpu": "50m", "memory": "64Mi", "ephemeral-storage": "64Mi"}
BACKUP_LIMITS = {"cpu": "500m", "memory": "256Mi", "ephemeral-storage": "256Mi"}
BACKUP_COMPONENT = "database-backup"
BACKUP_MOUNT = "/backups"


class BackupArgs(TypedDict):
    """A ``pg_dump`` CronJob writing custom-format dumps to its own retained PVC."""

    schedule: str
    """Cron schedule, in UTC (e.g. ``"0 3 * * *"``). Required."""
    storage_size: NotRequired[str]
    """Size of the backup PVC; like the data volume it can only grow. Default: ``"20Gi"``."""
    storage_class: NotRequired[str | None]
    """StorageClass of the backup PVC. Default: the data volume's ``storage_class``."""
    retention_days: NotRequired[int]
    """Dumps older than this many days are deleted after each successful dump. Default: ``7``."""
    claim_name: NotRequired[str]
    """``metadata.name`` of the backup PVC; never change it on a live stack. Default:
    ``<name>-backups``."""
    aliases: NotRequired[Sequence[pulumi.Input[str | pulumi.Alias]]]
    """Former identities of the backup PVC resource, when it is renamed or moved. Default: none."""


class Backup(NamedTuple):
    schedule: str
    storage_size: str
    storage_class: str | None
    retention_days: int
    claim_name: str
    aliases: list[pulumi.Input[str | pulumi.Alias]]


def resolve_backup(backup: BackupArgs | None, name: str, storage_class: str | None) -> Backup | None:
    if backup is None:
        return None
    size = backup.get("storage_size", DEFAULT_BACKUP_STORAGE_SIZE)
    check_storage_size(size, "PostgresDatabase backup.storage_size")
    return Backup(
        schedule=check_cron_schedule(backup["schedule"], "PostgresDatabase backup.schedule"),
        storage_size=size,
        storage_class=check_storage_class(
            backup.get("storage_class", storage_class), "PostgresDatabase backup.storage_class"
        ),
        retention_days=check_int_range(
            backup.get("retention_days", DEFAULT_BACKUP_RETENTION_DAYS),
            "PostgresDatabase backup.retention_days",
            1,
            3650,
        ),
        claim_name=check_dns_subdomain(
            backup.get("claim_name", f"{name}-backups"), "PostgresDatabase backup.claim_name"
        ),
        aliases=list(backup.get("aliases", [])),
    )


# Kept as a file of its own, so that its tests run it as it is.
BACKUP_SCRIPT = (Path(__file__).parent / "scripts" / "backup.sh").read_text()


def backup_cronjob_name(name: str) -> str:
    return f"{name}-backup"


def backup_job(
    *,
    resource_name: str,
    name: str,
    namespace: pulumi.Input[str],
    labels: Mapping[str, str],
    backup: Backup,
    image: str,
    host: pulumi.Input[str],
    database: str,
    account: k8s.core.v1.ServiceAccount,
    run_as: int,
    security: k8s.core.v1.SecurityContextArgs,
    admin_secret: pulumi.Input[str],
    keep: pulumi.ResourceOptions,
    child: pulumi.ResourceOptions,
) -> None:
    """The backup volume (retained like the data volume) and the CronJob dumping into it."""
    backup_claim = claim(
        resource_name=f"{resource_name}-backups",
        claim_name=backup.claim_name,
        namespace=namespace,
        labels=labels,
        size=backup.storage_size,
        storage_class=backup.storage_class,
        access_modes=DEFAULT_ACCESS_MODES,
        opts=pulumi.ResourceOptions.merge(keep, pulumi.ResourceOptions(aliases=backup.aliases)),
    )
    k8s.batch.v1.CronJob(
        f"{resource_name}-backup",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=backup_cronjob_name(name), namespace=namespace, labels=labels),
        spec=k8s.batch.v1.CronJobSpecArgs(
            schedule=backup.schedule,
            time_zone="Etc/UTC",
            # Never two dumps at once; a missed run is skipped after an hour, not queued.
            concurrency_policy="Forbid",
            starting_deadline_seconds=3600,
            successful_jobs_history_limit=3,
            failed_jobs_history_limit=3,
            job_template=k8s.batch.v1.JobTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                spec=k8s.batch.v1.JobSpecArgs(
                    backoff_limit=2,
                    template=k8s.core.v1.PodTemplateSpecArgs(
                        metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                        spec=pod_spec(
                            account,
                            run_as,
                            [
                                k8s.core.v1.ContainerArgs(
                                    name="pg-dump",
                                    # The server's own image: pg_dump is never older than the server.
                                    image=image,
                                    image_pull_policy=PULL_POLICY,
                                    command=["/bin/sh", "-c", BACKUP_SCRIPT],
                                    env=[
                                        k8s.core.v1.EnvVarArgs(name="PGHOST", value=host),
                                        k8s.core.v1.EnvVarArgs(name="PGPORT", value=str(PORT)),
                                        k8s.core.v1.EnvVarArgs(name="PGDATABASE", value=database),
                                        k8s.core.v1.EnvVarArgs(name="PGUSER", value=BACKUP_ROLE),
                                        k8s.core.v1.EnvVarArgs(name="PGPASSWORD_FILE", value=BACKUP_PASSWORD_FILE),
                                        k8s.core.v1.EnvVarArgs(name="BACKUP_DIR", value=BACKUP_MOUNT),
                                        k8s.core.v1.EnvVarArgs(name="RETENTION_DAYS", value=str(backup.retention_days)),
                                        k8s.core.v1.EnvVarArgs(name="HOME", value="/tmp"),
                                    ],
                                    resources=k8s.core.v1.ResourceRequirementsArgs(
                                        requests=BACKUP_REQUESTS, limits=BACKUP_LIMITS
                                    ),
                                    security_context=security,
                                    volume_mounts=[
                                        k8s.core.v1.VolumeMountArgs(name="backups", mount_path=BACKUP_MOUNT),
                                        k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
                                        credentials_mount(),
                                    ],
                                )
                            ],
                            [
                                claim_volume("backups", backup_claim),
                                empty_dir("tmp", "64Mi"),
                                credentials_volume(
                                    "credentials", [(admin_secret, {BACKUP_PASSWORD_KEY: BACKUP_PASSWORD_KEY})]
                                ),
                            ],
                            restart_policy="Never",
                        ),
                    ),
                ),
            ),
        ),
        opts=child,
    )
