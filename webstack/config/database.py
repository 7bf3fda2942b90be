"""Keys of the PostgreSQL database: image, volume, resources, credentials, backups and metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from components.postgres import (
    DEFAULT_EXPORTER_IMAGE,
    DEFAULT_IMAGE,
    check_access_modes,
    check_app_role,
    check_cron_schedule,
    check_pg_identifier,
    check_storage_class,
    check_storage_size,
)
from components.validation import (
    check_dns_subdomain,
    check_pg_database_name,
    check_pg_role_name,
    check_pinned_image,
    check_secret_key,
)
from webstack.config.spec import Key, Reader

# What the web app receives from the database: DATABASE_* in its ConfigMap, the password by secretKeyRef.
APP_ENV = ("DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "DATABASE_USER", "DATABASE_PASSWORD")

KEYS: tuple[Key, ...] = (
    Key(
        "dbEnabled",
        "boolean",
        "Deploy PostgreSQL and hand the app DATABASE_HOST, _PORT, _NAME, _USER "
        "(ConfigMap) and DATABASE_PASSWORD (secretKeyRef).",
        True,
    ),
    Key(
        "dbName",
        "string",
        "Database created on first start (lowercase letters, digits, '_'). "
        "Changing it later does not rename the existing database.",
        "app",
    ),
    Key(
        "dbUser",
        "string",
        "The app's own role: owner of dbName, no superuser, no other database (the superuser is "
        "'postgres'; 'backup' and 'metrics' are taken). Created on first start.",
        "app",
    ),
    Key(
        "dbImage",
        "string",
        "PostgreSQL image, pinned by tag or digest in every environment (a "
        "moving tag could start a new major version on old data).",
        DEFAULT_IMAGE,
    ),
    Key(
        "dbStorageSize",
        "string",
        "Size of the data volume (PVC). It grows in place (the "
        "StorageClass must allow expansion) and never shrinks: the API server refuses a size at or "
        "below the volume's capacity, and preview fails with its message before anything changes.",
        "10Gi",
    ),
    Key(
        "dbStorageClass",
        "string",
        "StorageClass of the database volumes; empty for the cluster default. Fixed once deployed.",
        "",
    ),
    Key("dbAccessModes", "array", "Access modes of the data volume. Fixed once deployed.", ["ReadWriteOnce"]),
    Key("dbCpuRequest", "string", "CPU request of the PostgreSQL container.", "250m"),
    Key("dbCpuLimit", "string", "CPU limit of the PostgreSQL container.", "1"),
    Key("dbMemoryRequest", "string", "Memory request of the PostgreSQL container.", "256Mi"),
    Key("dbMemoryLimit", "string", "Memory limit of the PostgreSQL container.", "1Gi"),
    Key(
        "dbProtect",
        "boolean",
        "Protect the volumes and the generated password: Pulumi refuses to "
        "delete or replace them. The volumes are retained in the cluster on delete either way.",
        True,
    ),
    Key(
        "dbGeneratePassword",
        "boolean",
        "Generate the password (kept encrypted in the stack's "
        "state). Set false to use dbExistingSecret instead; the two are exclusive.",
        True,
    ),
    Key(
        "dbExistingSecret",
        "string",
        "Name of an existing Secret in the namespace holding the app "
        "role's password (requires dbGeneratePassword false); the server applies it at every start. "
        "Empty: generate one.",
        "",
    ),
    Key("dbExistingSecretKey", "string", "Key of the password in dbExistingSecret.", "password"),
    Key("dbBackupEnabled", "boolean", "Run pg_dump on dbBackupSchedule into a retained backup volume.", True),
    Key(
        "dbBackupSchedule",
        "string",
        "Cron schedule of the backup, in UTC (five fields or a macro such as @daily).",
        "0 3 * * *",
    ),
    Key("dbBackupStorageSize", "string", "Size of the backup volume (PVC); grows, never shrinks.", "20Gi"),
    Key("dbBackupRetentionDays", "integer", "Days a dump is kept before the backup job deletes it.", 7),
    Key(
        "dbMetricsEnabled",
        "boolean",
        "Add a postgres-exporter sidecar (the 'metrics' role), its ServiceMonitor and alerts "
        "(database down, backups failing or stale, volumes nearly full).",
        False,
    ),
    Key("dbMetricsImage", "string", "postgres-exporter image, pinned.", DEFAULT_EXPORTER_IMAGE),
)


@dataclass(frozen=True)
class DatabaseSettings:
    enabled: bool
    name: str
    user: str
    image: str
    storage_size: str
    storage_class: str | None
    access_modes: tuple[str, ...]
    requests: dict[str, str]
    limits: dict[str, str]
    protect: bool
    generate_password: bool
    existing_secret: str | None
    existing_secret_key: str
    backup_enabled: bool
    backup_schedule: str
    backup_storage_size: str
    backup_retention_days: int
    metrics_enabled: bool
    metrics_image: str


def _parse_password(r: Reader) -> tuple[bool, str | None, str]:
    generate = r.boolean("dbGeneratePassword")
    existing = r.string("dbExistingSecret") or None
    key = r.string("dbExistingSecretKey")
    if existing is not None:
        r.validate(check_dns_subdomain, existing, r.what("dbExistingSecret"))
        if generate:
            r.fail(
                "dbExistingSecret",
                f"{existing!r} is set while dbGeneratePassword is true; the "
                "password comes from one source: set dbGeneratePassword to false to use the Secret, "
                "or remove dbExistingSecret to keep the generated password",
            )
    elif not generate:
        r.fail(
            "dbGeneratePassword",
            "is false but dbExistingSecret is empty; name the Secret that holds "
            "the password, or set dbGeneratePassword back to true",
        )
    if not key:
        r.fail("dbExistingSecretKey", "must not be empty; use the key that holds the password, e.g. 'password'")
    elif r.ok("dbExistingSecretKey"):
        r.validate(check_secret_key, key, r.what("dbExistingSecretKey"))
    return generate, existing, key


def _checks(*checks: Callable[[str, str], object]) -> Callable[[str, str], None]:
    """Several pure checks in order, stopping at the first that fails."""

    def run(value: str, what: str) -> None:
        for check in checks:
            check(value, what)

    return run


def parse(r: Reader, environment: str) -> DatabaseSettings:
    # The environment does not relax anything here: a database image is pinned even in dev.
    del environment
    name = r.string("dbName", _checks(check_pg_identifier, check_pg_database_name))
    user = r.string("dbUser", _checks(check_pg_identifier, check_pg_role_name, check_app_role))
    image = r.string("dbImage", check_pinned_image)
    storage_size = r.string("dbStorageSize", check_storage_size)
    storage_class = r.check(lambda: check_storage_class(r.string("dbStorageClass"), r.what("dbStorageClass")), None)
    raw_modes = r.strings("dbAccessModes")
    access_modes = r.check(lambda: check_access_modes(raw_modes, r.what("dbAccessModes")), raw_modes)
    requests, limits = r.requests_and_limits(
        {"cpu": ("dbCpuRequest", "dbCpuLimit"), "memory": ("dbMemoryRequest", "dbMemoryLimit")}
    )
    generate, existing, key = _parse_password(r)
    schedule = r.string("dbBackupSchedule", check_cron_schedule)
    backup_size = r.string("dbBackupStorageSize", check_storage_size)
    metrics_image = r.string("dbMetricsImage", check_pinned_image)
    return DatabaseSettings(
        enabled=r.boolean("dbEnabled"),
        name=name,
        user=user,
        image=image,
        storage_size=storage_size,
        storage_class=storage_class,
        access_modes=access_modes,
        requests=requests,
        limits=limits,
        protect=r.boolean("dbProtect"),
        generate_password=generate,
        existing_secret=existing,
        existing_secret_key=key,
        backup_enabled=r.boolean("dbBackupEnabled"),
        backup_schedule=schedule,
        backup_storage_size=backup_size,
        backup_retention_days=r.integer("dbBackupRetentionDays", 1, 3650),
        metrics_enabled=r.boolean("dbMetricsEnabled"),
        metrics_image=metrics_image,
    )


def check_app_env(r: Reader, app_env_names: Iterable[str], db: DatabaseSettings) -> None:
    """The app's own env must not set what the database hands it (it would be silently overridden)."""
    if not db.enabled:
        return
    for name in app_env_names:
        if name in APP_ENV:
            r.fail(
                "appEnv", f"{name} is set by the database (dbEnabled is true); remove it from appEnv or appSecretEnv"
            )
