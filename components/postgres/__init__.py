"""PostgreSQL on a PersistentVolumeClaim that never loses data: the ``PostgresDatabase`` component.

Its parts: ``server`` (credentials, volume, server, Service, NetworkPolicies), ``roles`` (the
least-privileged roles and the script that keeps them in line with the Secrets), ``backup`` (the
optional ``pg_dump`` CronJob and its volume), ``monitoring`` (the optional exporter), ``pods``
(what the server's and the backup's pods share) and ``checks`` (the pure checks of plain values,
shared with the settings loader).

Data safety, in layers:

* The volume is a separately managed ``PersistentVolumeClaim`` (not a StatefulSet's
  ``volumeClaimTemplates``), so its resource options are ours: ``retain_on_delete=True`` always
  (removing it from the program, or a replacement, leaves the claim and its data in the cluster)
  and ``protect`` (on by default) so that the engine refuses to delete or replace it at all.
* Its name is explicit and stable (``claim_name``), and renames of the Pulumi resource carry
  ``aliases`` (``data_aliases``, or the component's own ``opts.aliases``, which children inherit).
* Only ``spec.resources.requests.storage`` ever changes, which pulumi-kubernetes v4 applies as an
  in-place update (its replace-triggering PVC fields are ``metadata.name``/``namespace`` and
  ``spec.accessModes``/``selector``/``storageClassName``/``volumeName``). Growing needs a
  StorageClass with ``allowVolumeExpansion: true``.
* A PVC can only grow: the API server refuses a ``storage_size`` at or below the volume's
  ``status.capacity`` (a smaller one above it is how Kubernetes lets a failed expansion be
  undone), and pulumi-kubernetes' server-side dry run makes ``pulumi preview`` fail with that
  message before anything changes. The API server knows the real size, also after a destroy.
"""

from components.postgres.backup import BACKUP_SCRIPT, BackupArgs
from components.postgres.checks import (
    check_access_modes,
    check_cron_schedule,
    check_pg_identifier,
    check_storage_class,
    check_storage_size,
)
from components.postgres.monitoring import DEFAULT_EXPORTER_IMAGE, MetricsArgs
from components.postgres.pods import PGDATA, RETAIN_ANNOTATION
from components.postgres.roles import (
    APP_PASSWORD_FILE,
    BACKUP_PASSWORD_FILE,
    BACKUP_ROLE,
    METRICS_PASSWORD_FILE,
    METRICS_ROLE,
    ROLES_SCRIPT,
    SUPERUSER_PASSWORD_FILE,
    check_app_role,
)
from components.postgres.server import (
    DEFAULT_IMAGE,
    PASSWORD_LENGTH,
    ExistingSecretRef,
    PostgresDatabase,
    PostgresDatabaseArgs,
)

__all__ = [
    "APP_PASSWORD_FILE",
    "BACKUP_PASSWORD_FILE",
    "BACKUP_ROLE",
    "BACKUP_SCRIPT",
    "DEFAULT_EXPORTER_IMAGE",
    "DEFAULT_IMAGE",
    "METRICS_PASSWORD_FILE",
    "METRICS_ROLE",
    "PASSWORD_LENGTH",
    "PGDATA",
    "RETAIN_ANNOTATION",
    "ROLES_SCRIPT",
    "SUPERUSER_PASSWORD_FILE",
    "BackupArgs",
    "ExistingSecretRef",
    "MetricsArgs",
    "PostgresDatabase",
    "PostgresDatabaseArgs",
    "check_access_modes",
    "check_app_role",
    "check_cron_schedule",
    "check_pg_identifier",
    "check_storage_class",
    "check_storage_size",
]
