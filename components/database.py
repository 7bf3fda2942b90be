"""PostgreSQL on a PersistentVolumeClaim that never loses data.

Credentials, volume, server, Service, NetworkPolicy, optional ``pg_dump`` backups and an optional
metrics sidecar. The pure ``check_*`` functions at the top validate plain values (they raise
``ValueError`` naming the input and the fix, like ``components.validation``) and are shared with
the settings loader.

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
* A PVC can only grow. The component cannot see the deployed state, so it takes the largest size
  already deployed as ``min_storage_size`` and refuses a smaller ``storage_size`` with a clear
  error. ``webstack.stack`` fills it from this same stack's previous ``database_storage_size``
  output (see ``check_storage_not_shrunk``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple, NotRequired, TypedDict, cast

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.labels import DEFAULT_PART_OF, SKIP_AWAIT, selector_labels, standard_labels
from components.network_policy import from_namespace, from_pods, network_policy, to_pods
from components.security_context import restricted_container, restricted_pod
from components.validation import (
    check_byte_quantity,
    check_dns1035_label,
    check_dns_label,
    check_dns_subdomain,
    check_int_range,
    check_pinned_image,
    check_requests_and_limits,
    check_secret_key,
    parse_quantity,
    shown,
)

DEFAULT_IMAGE = "postgres:17.6-alpine"
DEFAULT_EXPORTER_IMAGE = "quay.io/prometheuscommunity/postgres-exporter:v0.17.1"
DEFAULT_DATABASE = "app"
DEFAULT_USER = "app"
DEFAULT_STORAGE_SIZE = "10Gi"
DEFAULT_BACKUP_STORAGE_SIZE = "20Gi"
DEFAULT_BACKUP_RETENTION_DAYS = 7
DEFAULT_ACCESS_MODES = ("ReadWriteOnce",)
DEFAULT_MONITORING_NAMESPACE = "monitoring"
DEFAULT_REQUESTS = {"cpu": "250m", "memory": "256Mi", "ephemeral-storage": "128Mi"}
DEFAULT_LIMITS = {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi"}
EXPORTER_REQUESTS = {"cpu": "10m", "memory": "32Mi", "ephemeral-storage": "16Mi"}
EXPORTER_LIMITS = {"cpu": "100m", "memory": "64Mi", "ephemeral-storage": "64Mi"}
BACKUP_REQUESTS = {"cpu": "50m", "memory": "64Mi", "ephemeral-storage": "64Mi"}
BACKUP_LIMITS = {"cpu": "500m", "memory": "256Mi", "ephemeral-storage": "256Mi"}
# UID/GID of the server, the exporter and the backup job: above 10000, so it never maps to a host
# user. The official image runs as any UID: its entrypoint fakes a passwd entry for initdb with
# nss_wrapper (shipped in the Alpine variants since docker-library/postgres#1018).
DEFAULT_RUN_AS = 10001
PORT = 5432
METRICS_PORT = 9187
PASSWORD_KEY = "password"
PASSWORD_LENGTH = 32
# Set on every PVC registered with retain_on_delete; policy/policies.py checks it (pvc-retain-on-delete).
RETAIN_ANNOTATION = "webstack.io/retain-on-delete"
COMPONENT = "database"
BACKUP_COMPONENT = "database-backup"
DATA_MOUNT = "/var/lib/postgresql/data"
# PGDATA in a subdirectory of the volume: the volume root may hold lost+found (ext4) or be owned
# by root, and initdb insists on an empty directory it owns with mode 0700.
PGDATA = f"{DATA_MOUNT}/pgdata"
BACKUP_MOUNT = "/backups"
# The password reaches every container as a file in a Secret volume, never as an env var (an env
# var is inherited by every child process and readable in /proc/<pid>/environ): the image reads
# POSTGRES_PASSWORD_FILE, the exporter DATA_SOURCE_PASS_FILE, the backup script PGPASSWORD_FILE.
CREDENTIALS_MOUNT = "/run/secrets/postgres"
PASSWORD_FILE = f"{CREDENTIALS_MOUNT}/password"
# Longest suffix is "-credentials"; a CronJob name is limited to 52 characters ("-backup" + 45).
MAX_NAME_LENGTH = 45

ACCESS_MODES = ("ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany", "ReadOnlyMany")
CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_MONTHS = {
    m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])
}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
# (field, low, high, names): the fields Kubernetes' CronJob controller (robfig/cron) accepts.
_CRON_FIELDS: tuple[tuple[str, int, int, Mapping[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _DAYS),
)
# Matched with fullmatch, ASCII only: '\d' and '$' would admit other digits and a trailing newline.
_PG_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}", re.ASCII)
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}", re.ASCII)
_CRON_TEXT = re.compile(r"[ -~]+", re.ASCII)


# -- pure checks ---------------------------------------------------------------------------------


def check_pg_identifier(value: str, what: str) -> str:
    """A database or role name that needs no quoting: lowercase letters, digits and '_'."""
    if not isinstance(value, str) or not _PG_IDENTIFIER.fullmatch(value):
        raise ValueError(
            f"{what}: {shown(value)} is not a plain PostgreSQL name; use 1-63 lowercase letters, digits and "
            "'_', starting with a letter or '_' (e.g. 'app')"
        )
    return value


def check_storage_size(value: str, what: str) -> Decimal:
    """A volume size: a positive, whole number of bytes such as ``10Gi``."""
    return check_byte_quantity(value, what)


def check_storage_class(value: str | None, what: str) -> str | None:
    """A StorageClass name (a DNS-1123 subdomain); empty or None means the cluster's default class."""
    if value is None or value == "":
        return None
    return check_dns_subdomain(value, what)


def check_access_modes(modes: Sequence[str], what: str) -> tuple[str, ...]:
    """Known, distinct PVC access modes, at least one of them writable (PostgreSQL writes)."""
    if isinstance(modes, str) or not modes:
        raise ValueError(f"{what}: {modes!r} must be a non-empty list of access modes, e.g. ['ReadWriteOnce']")
    for mode in modes:
        if mode not in ACCESS_MODES:
            raise ValueError(f"{what}: {mode!r} is not an access mode; use one of {', '.join(ACCESS_MODES)}")
    if len(set(modes)) != len(modes):
        raise ValueError(f"{what}: {list(modes)!r} repeats an access mode; list each once")
    if set(modes) == {"ReadOnlyMany"}:
        raise ValueError(f"{what}: {list(modes)!r} is read-only; PostgreSQL needs 'ReadWriteOnce' (recommended)")
    return tuple(modes)


def check_storage_not_shrunk(size: str, floor: str | None, what: str) -> str:
    """Refuse a volume size below ``floor`` (the size already deployed): a PVC can only grow.

    Kubernetes rejects a smaller ``spec.resources.requests.storage`` deep in the apply; this
    check fails first, naming the input and the smallest acceptable value. Returns ``size``.
    """
    if floor is None or floor == "":
        return size
    if parse_quantity(size, what) < parse_quantity(floor, f"{what} (deployed size)"):
        raise ValueError(
            f"{what}: {size!r} is smaller than the volume already deployed ({floor!r}); a "
            f"PersistentVolumeClaim can only grow, so set it to {floor!r} or more (a smaller volume "
            "means a new database restored from a backup)"
        )
    return size


def _cron_number(token: str, field: str, low: int, high: int, names: Mapping[str, int]) -> int:
    lowered = token.lower()
    if lowered in names:
        return names[lowered]
    if not _WHOLE_NUMBER.fullmatch(token):
        raise ValueError(f"{field} {shown(token)} is not a number")
    number = int(token)
    if not low <= number <= high:
        raise ValueError(f"{field} {number} is outside {low}-{high}")
    return number


def _check_cron_field(text: str, field: str, low: int, high: int, names: Mapping[str, int]) -> None:
    for part in text.split(","):
        base, slash, step = part.partition("/")
        if slash and (not _WHOLE_NUMBER.fullmatch(step) or int(step) < 1):
            raise ValueError(f"{field} step {shown(step)} is not a whole number of at least 1")
        if base in ("*", "?"):
            continue
        if not base:
            raise ValueError(f"{field} has an empty entry in {shown(text)}")
        start, dash, end = base.partition("-")
        first = _cron_number(start, field, low, high, names)
        if dash and _cron_number(end, field, low, high, names) < first:
            raise ValueError(f"{field} range {shown(base)} runs backwards")


def check_cron_schedule(value: str, what: str) -> str:
    """A CronJob schedule: five fields (minute hour day-of-month month day-of-week) or a macro.

    Follows what the Kubernetes CronJob controller accepts (numbers, ranges, lists, steps, month
    and weekday names, ``?``); time zones belong in ``spec.timeZone``, not in the schedule.
    """
    fix = (
        "use five fields 'minute hour day-of-month month day-of-week' such as '0 3 * * *' "
        f"(03:00 every day) or one of {', '.join(CRON_MACROS)}"
    )
    # Printable ASCII, spaces between the fields: no tab, newline or non-ASCII digit or space.
    if not isinstance(value, str) or not _CRON_TEXT.fullmatch(value) or value != value.strip():
        raise ValueError(f"{what}: {shown(value)} is not a cron schedule; {fix}")
    text = value
    if text.startswith("@"):
        if text.lower() not in CRON_MACROS:
            raise ValueError(f"{what}: {shown(value)} is not a supported macro; {fix}")
        return value
    if "TZ=" in text.upper():
        raise ValueError(f"{what}: {shown(value)} sets a time zone; the schedule runs in UTC, so drop it and {fix}")
    fields = text.split()
    if len(fields) != len(_CRON_FIELDS):
        raise ValueError(f"{what}: {shown(value)} has {len(fields)} fields, not 5; {fix}")
    for field_text, (field, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        try:
            _check_cron_field(field_text, field, low, high, names)
        except ValueError as err:
            raise ValueError(f"{what}: {shown(value)} is not a valid cron schedule ({err}); {fix}") from err
    return value


# -- component -----------------------------------------------------------------------------------


class ExistingSecretRef(TypedDict):
    """A key of a Secret created outside this program that holds the database password."""

    name: str
    """Secret name (DNS-1123 subdomain), in the database's namespace. Required."""
    key: NotRequired[str]
    """Key holding the password. Default: ``"password"``."""


class BackupArgs(TypedDict):
    """A ``pg_dump`` CronJob writing custom-format dumps to its own retained PVC."""

    schedule: str
    """Cron schedule, in UTC (e.g. ``"0 3 * * *"``). Required."""
    storage_size: NotRequired[str]
    """Size of the backup PVC; like the data volume it can only grow. Default: ``"20Gi"``."""
    min_storage_size: NotRequired[pulumi.Input[str | None]]
    """The backup PVC size already deployed (see ``PostgresDatabaseArgs.min_storage_size``).
    Default: ``None`` (no floor)."""
    storage_class: NotRequired[str | None]
    """StorageClass of the backup PVC. Default: the data volume's ``storage_class``."""
    retention_days: NotRequired[int]
    """Dumps older than this many days are deleted after each successful dump. Default: ``7``."""
    claim_name: NotRequired[str]
    """``metadata.name`` of the backup PVC; never change it on a live stack. Default:
    ``<name>-backups``."""
    aliases: NotRequired[Sequence[pulumi.Input[str | pulumi.Alias]]]
    """Former identities of the backup PVC resource, when it is renamed or moved. Default: none."""


class MetricsArgs(TypedDict):
    """A postgres-exporter sidecar, exposed as the Service's ``metrics`` port for a ServiceMonitor."""

    image: NotRequired[str]
    """Exporter image, pinned. Default: ``quay.io/prometheuscommunity/postgres-exporter:v0.17.1``."""
    monitoring_namespace: NotRequired[str]
    """Namespace of the Prometheus that scrapes it; the only one admitted to the metrics port.
    Default: ``"monitoring"``."""


class PostgresDatabaseArgs(TypedDict):
    """Inputs of ``PostgresDatabase``."""

    namespace: pulumi.Input[str]
    """Namespace to deploy into. Required."""
    client_selector: Mapping[str, str]
    """Pod labels of the only clients admitted to port 5432 (the web app's selector labels, in
    the same namespace). Required: with no clients nothing may connect."""
    name: NotRequired[str]
    """Prefix of every Kubernetes object name (Service, Deployment, Secret, PVCs); the Service
    name is the host name clients use. At most 45 characters. Default: the component's resource
    name. Never change it on a live database (the volume's default name derives from it)."""
    instance: NotRequired[str]
    """``app.kubernetes.io/instance`` label (part of the selector). Default: ``name``."""
    version: NotRequired[str]
    """``app.kubernetes.io/version`` label. Default: the image tag."""
    part_of: NotRequired[str]
    """``app.kubernetes.io/part-of`` label. Default: ``"webstack"``."""
    image: NotRequired[str]
    """PostgreSQL image, pinned by tag or digest (a moving tag could start a new major version on
    old data). Default: ``"postgres:17.6-alpine"``."""
    database: NotRequired[str]
    """Database created on first start (``POSTGRES_DB``). Changing it later does not rename the
    existing database. Default: ``"app"``."""
    user: NotRequired[str]
    """Role created on first start (``POSTGRES_USER``). Default: ``"app"``."""
    storage_size: NotRequired[str]
    """Size of the data PVC; may grow in place, never shrink. Default: ``"10Gi"``."""
    min_storage_size: NotRequired[pulumi.Input[str | None]]
    """The data PVC size already deployed: a smaller ``storage_size`` is refused. A plain value is
    checked at once; an Output (e.g. a previous stack output) when it resolves, before the PVC is
    sent to the engine. Default: ``None`` (no floor, e.g. the first deployment)."""
    storage_class: NotRequired[str | None]
    """StorageClass of the data PVC. Default: ``None`` (the cluster's default class)."""
    access_modes: NotRequired[Sequence[str]]
    """Access modes of the data PVC. Default: ``["ReadWriteOnce"]``."""
    claim_name: NotRequired[str]
    """``metadata.name`` of the data PVC; never change it on a live database. Default:
    ``<name>-data``."""
    data_aliases: NotRequired[Sequence[pulumi.Input[str | pulumi.Alias]]]
    """Former identities of the data PVC resource, when it is renamed or moved (e.g.
    ``pulumi.Alias(name="old-db-data")``). Default: none."""
    requests: NotRequired[Mapping[str, str]]
    """Server container requests; missing keys take the default. Default: 250m CPU, 256Mi memory,
    128Mi ephemeral-storage."""
    limits: NotRequired[Mapping[str, str]]
    """Server container limits; missing keys take the default. Default: 1 CPU, 1Gi memory, 1Gi
    ephemeral-storage."""
    protect: NotRequired[bool]
    """``protect`` on the PVCs and the generated password: the engine refuses to delete or replace
    them. Default: ``True``."""
    generate_password: NotRequired[bool]
    """Generate the password (``RandomPassword``, kept in state as a secret). Default: ``True``
    unless ``existing_secret`` is given; giving both is an error."""
    existing_secret: NotRequired[ExistingSecretRef | None]
    """Read the password from an existing Secret instead; Pulumi never sees it. Default: ``None``."""
    backup: NotRequired[BackupArgs | None]
    """Scheduled ``pg_dump`` to a retained PVC. Default: ``None`` (no backups)."""
    metrics: NotRequired[MetricsArgs | None]
    """postgres-exporter sidecar. Default: ``None`` (no metrics)."""
    run_as_user: NotRequired[int]
    """UID, GID and fsGroup of every container (non-root). Never change it on a live database: the
    data directory belongs to it. Default: ``10001``."""


def _validate_password_source(args: PostgresDatabaseArgs) -> ExistingSecretRef | None:
    """The existing Secret to read the password from, or None to generate one."""
    existing = args.get("existing_secret")
    generate = args.get("generate_password", existing is None)
    if existing is not None and generate:
        raise ValueError(
            "PostgresDatabase existing_secret: a password cannot come both from an existing Secret and "
            "from a generated one; drop existing_secret to keep the generated password, or set "
            "generate_password to False to use the Secret"
        )
    if existing is None and not generate:
        raise ValueError(
            "PostgresDatabase generate_password: False needs existing_secret (the Secret holding the "
            "password); set one, or let the component generate the password"
        )
    if existing is not None:
        check_dns_subdomain(existing["name"], "PostgresDatabase existing_secret.name")
        check_secret_key(existing.get("key", PASSWORD_KEY), "PostgresDatabase existing_secret.key")
    return existing


def _validate_name(name: str) -> str:
    # It names the Service, which must be an RFC 1035 label (starting with a letter).
    check_dns1035_label(name, "PostgresDatabase name")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(
            f"PostgresDatabase name: {name!r} is {len(name)} characters; use at most {MAX_NAME_LENGTH} so that "
            "derived names ('<name>-credentials', the backup CronJob's '<name>-backup') stay within "
            "Kubernetes' limits"
        )
    return name


def _storage_request(size: str, floor: pulumi.Input[str | None] | None, what: str) -> pulumi.Input[str]:
    """``size``, checked against ``floor`` now if it is plain, or when it resolves if it is an Output."""
    if floor is None or isinstance(floor, str):
        return check_storage_not_shrunk(size, floor, what)
    deployed = pulumi.Output.from_input(cast(pulumi.Output[str | None], floor))
    return deployed.apply(lambda value: check_storage_not_shrunk(size, value, what))


class _Backup(NamedTuple):
    schedule: str
    storage_size: str
    request: pulumi.Input[str]
    storage_class: str | None
    retention_days: int
    claim_name: str
    aliases: list[pulumi.Input[str | pulumi.Alias]]


def _resolve_backup(backup: BackupArgs | None, name: str, storage_class: str | None) -> _Backup | None:
    if backup is None:
        return None
    size = backup.get("storage_size", DEFAULT_BACKUP_STORAGE_SIZE)
    check_storage_size(size, "PostgresDatabase backup.storage_size")
    return _Backup(
        schedule=check_cron_schedule(backup["schedule"], "PostgresDatabase backup.schedule"),
        storage_size=size,
        request=_storage_request(size, backup.get("min_storage_size"), "PostgresDatabase backup.storage_size"),
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


def _resolve_metrics(metrics: MetricsArgs | None) -> tuple[str, str] | None:
    """(exporter image, monitoring namespace), or None without metrics."""
    if metrics is None:
        return None
    image = metrics.get("image", DEFAULT_EXPORTER_IMAGE)
    check_pinned_image(image, "PostgresDatabase metrics.image")
    namespace = check_dns_label(
        metrics.get("monitoring_namespace", DEFAULT_MONITORING_NAMESPACE),
        "PostgresDatabase metrics.monitoring_namespace",
    )
    return image, namespace


def _pg_isready(user: str, database: str) -> k8s.core.v1.ExecActionArgs:
    # Over TCP on loopback: the same path clients take, and no dependency on the socket directory.
    return k8s.core.v1.ExecActionArgs(
        command=["pg_isready", "--host=127.0.0.1", f"--port={PORT}", f"--username={user}", f"--dbname={database}"]
    )


def _credentials_volume(secret_name: pulumi.Input[str], key: str) -> k8s.core.v1.VolumeArgs:
    """The password key of the Secret as the file ``password`` (see ``PASSWORD_FILE``)."""
    return k8s.core.v1.VolumeArgs(
        name="credentials",
        secret=k8s.core.v1.SecretVolumeSourceArgs(
            secret_name=secret_name,
            items=[k8s.core.v1.KeyToPathArgs(key=key, path="password")],
            # Owner and the pod's fsGroup (the containers' group) may read it; nobody writes it.
            default_mode=0o440,
        ),
    )


_CREDENTIALS_MOUNT = k8s.core.v1.VolumeMountArgs(name="credentials", mount_path=CREDENTIALS_MOUNT, read_only=True)


def _pod_security(run_as: int) -> k8s.core.v1.PodSecurityContextArgs:
    # Only chown the volume when its root is not ours yet: a recursive walk of a large data
    # directory on every restart would delay startup for minutes.
    return restricted_pod(run_as, fs_group_change_policy="OnRootMismatch")


def _pod_spec(
    account: k8s.core.v1.ServiceAccount,
    run_as: int,
    containers: Sequence[k8s.core.v1.ContainerArgs],
    volumes: Sequence[k8s.core.v1.VolumeArgs],
    *,
    restart_policy: str | None = None,
    termination_grace_period_seconds: int | None = None,
) -> k8s.core.v1.PodSpecArgs:
    """The pod-level hardening the server and the backup job share, so they cannot drift apart."""
    return k8s.core.v1.PodSpecArgs(
        service_account_name=account.metadata.name,
        automount_service_account_token=False,
        # No *_SERVICE_HOST/_PORT variables: a Service named "postgres" would otherwise inject
        # POSTGRES_PORT=tcp://... next to the image's own POSTGRES_*.
        enable_service_links=False,
        security_context=_pod_security(run_as),
        restart_policy=restart_policy,
        containers=list(containers),
        volumes=list(volumes),
        termination_grace_period_seconds=termination_grace_period_seconds,
    )


def _claim_volume(name: str, claim: k8s.core.v1.PersistentVolumeClaim) -> k8s.core.v1.VolumeArgs:
    return k8s.core.v1.VolumeArgs(
        name=name,
        persistent_volume_claim=k8s.core.v1.PersistentVolumeClaimVolumeSourceArgs(claim_name=claim.metadata.name),
    )


def _empty_dir(name: str, size: str) -> k8s.core.v1.VolumeArgs:
    return k8s.core.v1.VolumeArgs(name=name, empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit=size))


def _claim(
    *,
    resource_name: str,
    claim_name: str,
    namespace: pulumi.Input[str],
    labels: Mapping[str, str],
    size: pulumi.Input[str],
    storage_class: str | None,
    access_modes: Sequence[str],
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.PersistentVolumeClaim:
    # Not awaited: an awaited claim holds back the Deployment that mounts it until the volume is
    # Bound (the longest step of a first `pulumi up`, bench/results.md), and the provider's claim
    # await has hung on WaitForFirstConsumer classes (pulumi-kubernetes #895 on create, #4179 on a
    # resize). Readiness is still awaited where it is decided: the server's pod cannot become Ready,
    # so its Deployment's await cannot end, before the claim is Bound and mounted.
    annotations = {SKIP_AWAIT: "true"}
    # The option itself is invisible to policy packs: the annotation declares it for the policy
    # pvc-retain-on-delete (policy/policies.py); it is derived from the option, so the two agree.
    if opts.retain_on_delete:
        annotations[RETAIN_ANNOTATION] = "true"
    return k8s.core.v1.PersistentVolumeClaim(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=claim_name, namespace=namespace, labels=dict(labels), annotations=annotations
        ),
        spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
            access_modes=list(access_modes),
            # None (not "") leaves the choice to the cluster's default StorageClass.
            storage_class_name=storage_class,
            resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": size}),
        ),
        opts=opts,
    )


# The backup script: dump to a temporary name, rename only on success (a half-written dump never
# looks like a backup), then prune dumps older than the retention period. busybox sh and find. The
# password is read from the mounted file into pg_dump's environment only, never the pod spec's.
BACKUP_SCRIPT = """set -eu
PGPASSWORD="$(cat "${PGPASSWORD_FILE}")"
export PGPASSWORD
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="${BACKUP_DIR}/${PGDATABASE}-${stamp}.dump"
pg_dump --format=custom --no-password --file="${target}.partial"
mv "${target}.partial" "${target}"
find "${BACKUP_DIR}" -maxdepth 1 -type f -name "${PGDATABASE}-*.dump" -mtime "+${RETENTION_DAYS}" -delete
find "${BACKUP_DIR}" -maxdepth 1 -type f -name '*.partial' -mmin +1440 -delete
echo "backup written: ${target}"
"""


class PostgresDatabase(pulumi.ComponentResource):
    """A single PostgreSQL server whose data survives every change the program can make.

    Runs as a Deployment with ``strategy: Recreate`` and one replica, not a StatefulSet: the
    volume is ReadWriteOnce and PostgreSQL must never have two servers on one data directory, so
    the old pod must be gone before the new one starts, which a rolling update would violate (it
    starts the new pod first; on another node it would hang on the attachment, on the same node
    two postmasters would share PGDATA). A StatefulSet would also work but adds nothing here: the
    PVC is managed separately (so that retain/protect/aliases are ours, which
    ``volumeClaimTemplates`` would not allow), and a stuck StatefulSet rollout needs manual pod
    deletion.
    """

    service_name: pulumi.Output[str]
    host: pulumi.Output[str]
    port: int
    database: str
    user: str
    secret_name: pulumi.Output[str]
    password_key: str
    connection_string: pulumi.Output[str]
    """``postgresql://user:password@host:5432/database``, always a Pulumi secret. With
    ``existing_secret`` Pulumi never sees the password, so the string has no password part."""
    deployment_name: pulumi.Output[str]
    storage_size: str
    """The data PVC size requested now: export it, and feed it back as ``min_storage_size``."""
    backup_storage_size: str | None
    selector: dict[str, str]

    def __init__(self, resource_name: str, args: PostgresDatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:data:PostgresDatabase", resource_name, None, opts)
        name = _validate_name(args.get("name", resource_name))
        instance = check_dns_label(args.get("instance", name), "PostgresDatabase instance")
        image_name = args.get("image", DEFAULT_IMAGE)
        image = check_pinned_image(image_name, "PostgresDatabase image")
        database = check_pg_identifier(args.get("database", DEFAULT_DATABASE), "PostgresDatabase database")
        user = check_pg_identifier(args.get("user", DEFAULT_USER), "PostgresDatabase user")
        storage_size = args.get("storage_size", DEFAULT_STORAGE_SIZE)
        check_storage_size(storage_size, "PostgresDatabase storage_size")
        storage_class = check_storage_class(args.get("storage_class"), "PostgresDatabase storage_class")
        access_modes = check_access_modes(
            args.get("access_modes", DEFAULT_ACCESS_MODES), "PostgresDatabase access_modes"
        )
        claim_name = check_dns_subdomain(args.get("claim_name", f"{name}-data"), "PostgresDatabase claim_name")
        requests = {**DEFAULT_REQUESTS, **args.get("requests", {})}
        limits = {**DEFAULT_LIMITS, **args.get("limits", {})}
        check_requests_and_limits(requests, limits, "PostgresDatabase requests", "PostgresDatabase limits")
        protect = args.get("protect", True)
        existing = _validate_password_source(args)
        client_selector = dict(args["client_selector"])
        if not client_selector:
            raise ValueError("PostgresDatabase client_selector: empty; give the web app's pod selector labels")
        backup = _resolve_backup(args.get("backup"), name, storage_class)
        metrics = _resolve_metrics(args.get("metrics"))
        run_as = check_int_range(args.get("run_as_user", DEFAULT_RUN_AS), "PostgresDatabase run_as_user", 1, 2**31 - 1)
        data_request = _storage_request(storage_size, args.get("min_storage_size"), "PostgresDatabase storage_size")

        namespace = args["namespace"]
        version = args.get("version", image.version)
        part_of = args.get("part_of", DEFAULT_PART_OF)
        selector = selector_labels(name, instance, COMPONENT)
        labels = standard_labels(name, instance, COMPONENT, version, part_of)
        child = pulumi.ResourceOptions(parent=self)
        # The volumes: never deleted with the stack, protected unless the stack says otherwise.
        keep = pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=True)

        def meta(object_name: str | None = name) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=namespace, labels=labels)

        # -- credentials ----------------------------------------------------------------------
        secret_name: pulumi.Input[str]
        if existing is not None:
            secret_name = existing["name"]
            password_key = existing.get("key", PASSWORD_KEY)
            password: pulumi.Output[str] | None = None
        else:
            # Inputs are constants: any change would replace the resource, i.e. a new password that
            # the running database (initialised with the old one) would not accept.
            generated = random.RandomPassword(
                f"{resource_name}-password",
                length=PASSWORD_LENGTH,
                special=False,  # letters and digits only: safe in a URL and in a shell
                min_lower=2,
                min_upper=2,
                min_numeric=2,
                # Protected with the volumes: it is the only copy of the password in Pulumi's state.
                opts=pulumi.ResourceOptions(
                    parent=self, protect=protect, additional_secret_outputs=["result", "bcryptHash"]
                ),
            )
            password = pulumi.Output.secret(generated.result)
            credentials = k8s.core.v1.Secret(
                f"{resource_name}-credentials",
                metadata=meta(f"{name}-credentials"),
                type="Opaque",
                string_data={"username": user, PASSWORD_KEY: password},
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["data", "stringData"]),
            )
            secret_name = credentials.metadata.name
            password_key = PASSWORD_KEY

        account = k8s.core.v1.ServiceAccount(
            f"{resource_name}-sa", metadata=meta(), automount_service_account_token=False, opts=child
        )

        # -- storage --------------------------------------------------------------------------
        data_claim = _claim(
            resource_name=f"{resource_name}-data",
            claim_name=claim_name,
            namespace=namespace,
            labels=labels,
            size=data_request,
            storage_class=storage_class,
            access_modes=access_modes,
            opts=pulumi.ResourceOptions.merge(keep, pulumi.ResourceOptions(aliases=list(args.get("data_aliases", [])))),
        )

        # -- server ---------------------------------------------------------------------------
        container_security = restricted_container(run_as)
        containers = [
            k8s.core.v1.ContainerArgs(
                name="postgres",
                image=image_name,
                image_pull_policy="Always",
                ports=[k8s.core.v1.ContainerPortArgs(name="postgres", container_port=PORT, protocol="TCP")],
                env=[
                    k8s.core.v1.EnvVarArgs(name="POSTGRES_DB", value=database),
                    k8s.core.v1.EnvVarArgs(name="POSTGRES_USER", value=user),
                    k8s.core.v1.EnvVarArgs(name="POSTGRES_PASSWORD_FILE", value=PASSWORD_FILE),
                    k8s.core.v1.EnvVarArgs(name="PGDATA", value=PGDATA),
                ],
                resources=k8s.core.v1.ResourceRequirementsArgs(requests=requests, limits=limits),
                # First start runs initdb and a restart may replay WAL: give both up to 15 minutes
                # before liveness may kill the server mid-recovery.
                startup_probe=k8s.core.v1.ProbeArgs(
                    exec_=_pg_isready(user, database), period_seconds=10, timeout_seconds=5, failure_threshold=90
                ),
                readiness_probe=k8s.core.v1.ProbeArgs(
                    exec_=_pg_isready(user, database), period_seconds=5, timeout_seconds=5, failure_threshold=3
                ),
                # Liveness asks less than readiness: a server that still accepts TCP connections is
                # alive even while it refuses sessions (e.g. at max_connections, or shutting down
                # cleanly), and restarting it then would only make things worse.
                liveness_probe=k8s.core.v1.ProbeArgs(
                    tcp_socket=k8s.core.v1.TCPSocketActionArgs(port="postgres"),
                    period_seconds=15,
                    timeout_seconds=5,
                    failure_threshold=6,
                ),
                security_context=container_security,
                # A read-only root works because everything the image writes is mounted: the data
                # volume (PGDATA), /var/run/postgresql (the socket, used by the entrypoint's
                # temporary init server) and /tmp (nss_wrapper's passwd files for the non-image UID).
                volume_mounts=[
                    k8s.core.v1.VolumeMountArgs(name="data", mount_path=DATA_MOUNT),
                    k8s.core.v1.VolumeMountArgs(name="run", mount_path="/var/run/postgresql"),
                    k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
                    _CREDENTIALS_MOUNT,
                ],
            )
        ]
        service_ports = [
            k8s.core.v1.ServicePortArgs(name="postgres", port=PORT, target_port="postgres", protocol="TCP")
        ]
        monitoring_namespace: str | None = None
        if metrics is not None:
            exporter_image, monitoring_namespace = metrics
            containers.append(
                k8s.core.v1.ContainerArgs(
                    name="exporter",
                    image=exporter_image,
                    image_pull_policy="Always",
                    ports=[k8s.core.v1.ContainerPortArgs(name="metrics", container_port=METRICS_PORT, protocol="TCP")],
                    env=[
                        k8s.core.v1.EnvVarArgs(
                            name="DATA_SOURCE_URI", value=f"127.0.0.1:{PORT}/{database}?sslmode=disable"
                        ),
                        k8s.core.v1.EnvVarArgs(name="DATA_SOURCE_USER", value=user),
                        k8s.core.v1.EnvVarArgs(name="DATA_SOURCE_PASS_FILE", value=PASSWORD_FILE),
                    ],
                    resources=k8s.core.v1.ResourceRequirementsArgs(requests=EXPORTER_REQUESTS, limits=EXPORTER_LIMITS),
                    # Ready once it serves HTTP (its landing page: /metrics would query the database);
                    # alive while it accepts connections.
                    readiness_probe=k8s.core.v1.ProbeArgs(
                        http_get=k8s.core.v1.HTTPGetActionArgs(path="/", port="metrics"), period_seconds=10
                    ),
                    liveness_probe=k8s.core.v1.ProbeArgs(
                        tcp_socket=k8s.core.v1.TCPSocketActionArgs(port="metrics"),
                        period_seconds=20,
                        failure_threshold=3,
                    ),
                    security_context=container_security,
                    volume_mounts=[_CREDENTIALS_MOUNT],
                )
            )
            service_ports.append(
                k8s.core.v1.ServicePortArgs(name="metrics", port=METRICS_PORT, target_port="metrics", protocol="TCP")
            )

        deployment = k8s.apps.v1.Deployment(
            f"{resource_name}-deployment",
            metadata=meta(),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                # Recreate: stop the old server before starting the new one (see the class docstring).
                strategy=k8s.apps.v1.DeploymentStrategyArgs(type="Recreate"),
                revision_history_limit=5,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=_pod_spec(
                        account,
                        run_as,
                        containers,
                        [
                            _claim_volume("data", data_claim),
                            _empty_dir("run", "16Mi"),
                            _empty_dir("tmp", "64Mi"),
                            _credentials_volume(secret_name, password_key),
                        ],
                        # The image stops on SIGINT (fast shutdown); leave time for the checkpoint.
                        termination_grace_period_seconds=120,
                    ),
                ),
            ),
            opts=child,
        )

        service = k8s.core.v1.Service(
            f"{resource_name}-service",
            # Not awaited: the provider would hold it until its Endpoints have not changed for 10 s
            # (and the app's env, which reads its name, with it); the Deployment awaits the pods.
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name, namespace=namespace, labels=labels, annotations={SKIP_AWAIT: "true"}
            ),
            spec=k8s.core.v1.ServiceSpecArgs(type="ClusterIP", selector=selector, ports=service_ports),
            opts=child,
        )

        # -- backups --------------------------------------------------------------------------
        backup_selector: dict[str, str] | None = None
        backup_storage_size: str | None = None
        if backup is not None:
            backup_storage_size = backup.storage_size
            backup_selector = selector_labels(name, instance, BACKUP_COMPONENT)
            backup_labels = standard_labels(name, instance, BACKUP_COMPONENT, version, part_of)
            backup_claim = _claim(
                resource_name=f"{resource_name}-backups",
                claim_name=backup.claim_name,
                namespace=namespace,
                labels=backup_labels,
                size=backup.request,
                storage_class=backup.storage_class,
                access_modes=DEFAULT_ACCESS_MODES,
                opts=pulumi.ResourceOptions.merge(keep, pulumi.ResourceOptions(aliases=backup.aliases)),
            )
            k8s.batch.v1.CronJob(
                f"{resource_name}-backup",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{name}-backup", namespace=namespace, labels=backup_labels),
                spec=k8s.batch.v1.CronJobSpecArgs(
                    schedule=backup.schedule,
                    time_zone="Etc/UTC",
                    # Never two dumps at once; a missed run is skipped after an hour, not queued.
                    concurrency_policy="Forbid",
                    starting_deadline_seconds=3600,
                    successful_jobs_history_limit=3,
                    failed_jobs_history_limit=3,
                    job_template=k8s.batch.v1.JobTemplateSpecArgs(
                        metadata=k8s.meta.v1.ObjectMetaArgs(labels=backup_labels),
                        spec=k8s.batch.v1.JobSpecArgs(
                            backoff_limit=2,
                            template=k8s.core.v1.PodTemplateSpecArgs(
                                metadata=k8s.meta.v1.ObjectMetaArgs(labels=backup_labels),
                                spec=_pod_spec(
                                    account,
                                    run_as,
                                    [
                                        k8s.core.v1.ContainerArgs(
                                            name="pg-dump",
                                            # The server's own image: pg_dump is never older than the server.
                                            image=image_name,
                                            image_pull_policy="Always",
                                            command=["/bin/sh", "-c", BACKUP_SCRIPT],
                                            env=[
                                                k8s.core.v1.EnvVarArgs(name="PGHOST", value=service.metadata.name),
                                                k8s.core.v1.EnvVarArgs(name="PGPORT", value=str(PORT)),
                                                k8s.core.v1.EnvVarArgs(name="PGDATABASE", value=database),
                                                k8s.core.v1.EnvVarArgs(name="PGUSER", value=user),
                                                k8s.core.v1.EnvVarArgs(name="PGPASSWORD_FILE", value=PASSWORD_FILE),
                                                k8s.core.v1.EnvVarArgs(name="BACKUP_DIR", value=BACKUP_MOUNT),
                                                k8s.core.v1.EnvVarArgs(
                                                    name="RETENTION_DAYS", value=str(backup.retention_days)
                                                ),
                                                k8s.core.v1.EnvVarArgs(name="HOME", value="/tmp"),
                                            ],
                                            resources=k8s.core.v1.ResourceRequirementsArgs(
                                                requests=BACKUP_REQUESTS, limits=BACKUP_LIMITS
                                            ),
                                            security_context=container_security,
                                            volume_mounts=[
                                                k8s.core.v1.VolumeMountArgs(name="backups", mount_path=BACKUP_MOUNT),
                                                k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
                                                _CREDENTIALS_MOUNT,
                                            ],
                                        )
                                    ],
                                    [
                                        _claim_volume("backups", backup_claim),
                                        _empty_dir("tmp", "64Mi"),
                                        _credentials_volume(secret_name, password_key),
                                    ],
                                    restart_policy="Never",
                                ),
                            ),
                        ),
                    ),
                ),
                opts=child,
            )

        # -- network policy -------------------------------------------------------------------
        # The namespace denies all ingress by default; admit the web app's pods (and the backup
        # job, which dumps over the network) to 5432 and, with metrics, only the monitoring
        # namespace to the metrics port.
        clients = [client_selector] if backup_selector is None else [client_selector, backup_selector]
        rules = [from_pods(clients, [PORT])]
        if monitoring_namespace is not None:
            rules.append(from_namespace(monitoring_namespace, [METRICS_PORT]))
        network_policy(
            f"{resource_name}-allow-clients", meta(f"{name}-allow-clients"), pods=selector, ingress=rules, opts=child
        )
        # The other direction, for a namespace that denies egress (``Namespace`` does by default):
        # the clients, and the backup job, may open connections to the server's 5432 only.
        to_server = to_pods(selector, [PORT])
        egress_sources = {"clients": client_selector}
        if backup_selector is not None:
            egress_sources["backup"] = backup_selector
        for source, source_selector in egress_sources.items():
            network_policy(
                f"{resource_name}-egress-{source}",
                meta(f"{name}-egress-{source}"),
                pods=source_selector,
                egress=[to_server],
                opts=child,
            )

        # -- outputs --------------------------------------------------------------------------
        self.selector = selector
        self.port = PORT
        self.database = database
        self.user = user
        self.password_key = password_key
        self.storage_size = storage_size
        self.backup_storage_size = backup_storage_size
        self.service_name = service.metadata.name
        self.secret_name = pulumi.Output.from_input(secret_name)
        self.host = pulumi.Output.all(service.metadata.name, service.metadata.namespace).apply(
            # No cluster domain: '<service>.<namespace>.svc' resolves through the pod's DNS search
            # path on any cluster, whatever its domain.
            lambda parts: f"{parts[0]}.{parts[1]}.svc"
        )
        userinfo: pulumi.Output[str] = (
            pulumi.Output.concat(user, ":", password) if password is not None else pulumi.Output.from_input(user)
        )
        self.connection_string = pulumi.Output.secret(
            pulumi.Output.concat("postgresql://", userinfo, "@", self.host, f":{PORT}/{database}")
        )
        self.deployment_name = deployment.metadata.name
        outputs: dict[str, Any] = {
            "service_name": self.service_name,
            "deployment_name": self.deployment_name,
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "user": self.user,
            "secret_name": self.secret_name,
            "password_key": self.password_key,
            "connection_string": self.connection_string,
            "storage_size": self.storage_size,
        }
        self.register_outputs(outputs)
