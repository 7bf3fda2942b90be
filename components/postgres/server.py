"""The PostgresDatabase component: credentials, data volume, server, Service and NetworkPolicies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.labels import ADOPTED_ANNOTATIONS, DEFAULT_PART_OF, SKIP_AWAIT, selector_labels, standard_labels
from components.network_policy import from_namespace, from_pods, network_policy, to_pods
from components.objects import opaque_secret
from components.postgres.backup import (
    BACKUP_COMPONENT,
    BackupArgs,
    backup_cronjob_name,
    backup_job,
    resolve_backup,
)
from components.postgres.checks import (
    check_access_modes,
    check_pg_identifier,
    check_storage_class,
    check_storage_size,
)
from components.postgres.monitoring import (
    METRICS_PORT,
    MetricsArgs,
    exporter_container,
    exporter_volume,
    monitoring_objects,
    resolve_metrics,
)
from components.postgres.pods import (
    DATA_MOUNT,
    DEFAULT_ACCESS_MODES,
    DEFAULT_RUN_AS,
    PASSWORD_KEY,
    PGDATA,
    PORT,
    PULL_POLICY,
    SHM_MOUNT,
    claim,
    claim_volume,
    credentials_mount,
    credentials_volume,
    empty_dir,
    pod_spec,
    shm_volume,
)
from components.postgres.roles import (
    APP_PASSWORD_PATH,
    BACKUP_PASSWORD_KEY,
    BACKUP_ROLE,
    DEFAULT_SUPERUSER,
    INITDB_ARGS,
    INITDB_DIR,
    METRICS_PASSWORD_KEY,
    METRICS_ROLE,
    ROLES_SCRIPT,
    SCRIPT_NAME,
    SOCKET_DIR,
    SUPERUSER_PASSWORD_FILE,
    SUPERUSER_PASSWORD_KEY,
    Roles,
    check_distinct_roles,
    roles_env,
)
from components.security_context import restricted_container
from components.validation import (
    check_dns1035_label,
    check_dns_label,
    check_dns_subdomain,
    check_int_range,
    check_pinned_image,
    check_requests_and_limits,
    check_secret_key,
)

DEFAULT_IMAGE = "postgres:17.6-alpine"
DEFAULT_DATABASE = "app"
DEFAULT_USER = "app"
DEFAULT_STORAGE_SIZE = "10Gi"
DEFAULT_REQUESTS = {"cpu": "250m", "memory": "256Mi", "ephemeral-storage": "128Mi"}
DEFAULT_LIMITS = {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi"}
PASSWORD_LENGTH = 32
COMPONENT = "database"
# Longest suffix is "-admin-credentials" (45 + 18 = 63); a CronJob name is limited to 52 characters.
MAX_NAME_LENGTH = 45


class ExistingSecretRef(TypedDict):
    """A key of a Secret created outside this program that holds the database password."""

    name: str
    """Secret name (DNS-1123 subdomain), in the database's namespace. Required."""
    key: NotRequired[str]
    """Key holding the password. Default: ``"password"``."""


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
    """The app's role: owner of ``database`` and nothing more (no superuser, no other database);
    created on first start and its password aligned with the credentials Secret at every start.
    Default: ``"app"``."""
    superuser: NotRequired[str]
    """The bootstrap superuser (``POSTGRES_USER``), whose password only the server's pod mounts.
    On a data directory whose superuser was ``user`` (this component's earlier layout) it is
    created at the next start and ``user`` demoted. Default: ``"postgres"``."""
    storage_size: NotRequired[str]
    """Size of the data PVC; may grow in place (the StorageClass must allow expansion). The API
    server refuses a size at or below the volume's capacity (``status.capacity``): a preview
    fails with its message before anything changes. Default: ``"10Gi"``."""
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
    adoption_provider: NotRequired[pulumi.ProviderResource | None]
    """Kubernetes provider for the objects kept in the cluster on delete (the volumes and the
    credentials Secrets), and only for them: one with ``upsert_existing_objects`` adopts what a
    destroy left behind, where the stack's provider (4.29 and later) refuses to create an object
    that exists. Default: ``None`` (the component's provider)."""
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
            "derived names ('<name>-admin-credentials', the backup CronJob's '<name>-backup') stay within "
            "Kubernetes' limits"
        )
    return name


def _pg_isready(user: str, database: str) -> k8s.core.v1.ExecActionArgs:
    # Over TCP on loopback: the same path clients take, and no dependency on the socket directory.
    return k8s.core.v1.ExecActionArgs(
        command=["pg_isready", "--host=127.0.0.1", f"--port={PORT}", f"--username={user}", f"--dbname={database}"]
    )


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
    """The data PVC size requested now."""
    selector: dict[str, str]

    def __init__(self, resource_name: str, args: PostgresDatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:data:PostgresDatabase", resource_name, None, opts)
        name = _validate_name(args.get("name", resource_name))
        instance = check_dns_label(args.get("instance", name), "PostgresDatabase instance")
        image_name = args.get("image", DEFAULT_IMAGE)
        image = check_pinned_image(image_name, "PostgresDatabase image")
        database = check_pg_identifier(args.get("database", DEFAULT_DATABASE), "PostgresDatabase database")
        user = check_pg_identifier(args.get("user", DEFAULT_USER), "PostgresDatabase user")
        superuser = check_pg_identifier(args.get("superuser", DEFAULT_SUPERUSER), "PostgresDatabase superuser")
        check_distinct_roles(superuser, user)
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
        backup = resolve_backup(args.get("backup"), name, storage_class)
        metrics = resolve_metrics(args.get("metrics"))
        run_as = check_int_range(args.get("run_as_user", DEFAULT_RUN_AS), "PostgresDatabase run_as_user", 1, 2**31 - 1)

        namespace = args["namespace"]
        version = args.get("version", image.version)
        part_of = args.get("part_of", DEFAULT_PART_OF)
        selector = selector_labels(name, instance, COMPONENT)
        labels = standard_labels(name, instance, COMPONENT, version, part_of)
        child = pulumi.ResourceOptions(parent=self)
        # What a destroy leaves in the cluster: the volumes (protected unless the stack says
        # otherwise) and the credentials to the data on them. The adoption provider takes them
        # back on the next deployment.
        adoption_provider = args.get("adoption_provider")
        kept = pulumi.ResourceOptions(parent=self, retain_on_delete=True, provider=adoption_provider)
        keep = pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(protect=protect))

        def meta(object_name: str | None = name, adopted: bool = False) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(
                name=object_name,
                namespace=namespace,
                labels=labels,
                annotations=dict(ADOPTED_ANNOTATIONS) if adopted else None,
            )

        # -- credentials ----------------------------------------------------------------------
        # Two Secrets, both kept with the data: the app role's (the app reads it) and the admin
        # one (superuser, backup and monitoring roles), which only the server's, the backup's and
        # the exporter's containers mount, each the keys it needs. The server applies whatever
        # they hold at every start (``roles``), so a regenerated password is never locked out.
        def generate(suffix: str) -> pulumi.Output[str]:
            # Inputs are constants: a change would replace the resource, i.e. a new password.
            generated = random.RandomPassword(
                f"{resource_name}-{suffix}",
                length=PASSWORD_LENGTH,
                special=False,  # letters and digits only: safe in a URL and in a shell
                min_lower=2,
                min_upper=2,
                min_numeric=2,
                opts=pulumi.ResourceOptions(
                    parent=self, protect=protect, additional_secret_outputs=["result", "bcryptHash"]
                ),
            )
            return pulumi.Output.secret(generated.result)

        secret_name: pulumi.Input[str]
        if existing is not None:
            secret_name = existing["name"]
            password_key = existing.get("key", PASSWORD_KEY)
            password: pulumi.Output[str] | None = None
        else:
            password = generate("password")
            credentials = opaque_secret(
                f"{resource_name}-credentials",
                meta(f"{name}-credentials", adopted=True),
                {"username": user, PASSWORD_KEY: password},
                kept,
            )
            secret_name = credentials.metadata.name
            password_key = PASSWORD_KEY
        admin = opaque_secret(
            f"{resource_name}-admin-credentials",
            meta(f"{name}-admin-credentials", adopted=True),
            {
                "superuser-username": superuser,
                SUPERUSER_PASSWORD_KEY: generate("superuser-password"),
                "backup-username": BACKUP_ROLE,
                BACKUP_PASSWORD_KEY: generate("backup-password"),
                "metrics-username": METRICS_ROLE,
                METRICS_PASSWORD_KEY: generate("metrics-password"),
            },
            kept,
        )
        admin_secret = admin.metadata.name
        # The image runs the script once on an empty data directory; the postStart hook at every
        # start. Auto-named: a changed script is a new ConfigMap, which restarts the server.
        initdb = k8s.core.v1.ConfigMap(
            f"{resource_name}-initdb", metadata=meta(None), data={SCRIPT_NAME: ROLES_SCRIPT}, opts=child
        )

        account = k8s.core.v1.ServiceAccount(
            f"{resource_name}-sa", metadata=meta(), automount_service_account_token=False, opts=child
        )

        # -- storage --------------------------------------------------------------------------
        data_claim = claim(
            resource_name=f"{resource_name}-data",
            claim_name=claim_name,
            namespace=namespace,
            labels=labels,
            size=storage_size,
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
                image_pull_policy=PULL_POLICY,
                ports=[k8s.core.v1.ContainerPortArgs(name="postgres", container_port=PORT, protocol="TCP")],
                env=[
                    k8s.core.v1.EnvVarArgs(name="POSTGRES_DB", value=database),
                    # The bootstrap superuser: only the server's pod knows its password.
                    k8s.core.v1.EnvVarArgs(name="POSTGRES_USER", value=superuser),
                    k8s.core.v1.EnvVarArgs(name="POSTGRES_PASSWORD_FILE", value=SUPERUSER_PASSWORD_FILE),
                    k8s.core.v1.EnvVarArgs(name="PGDATA", value=PGDATA),
                    # initdb's default trusts TCP from loopback too, which the exporter shares: only
                    # the server container's own socket is trusted (the roles script uses it).
                    k8s.core.v1.EnvVarArgs(name="POSTGRES_INITDB_ARGS", value=INITDB_ARGS),
                    *roles_env(Roles(superuser, user, backup is not None, metrics is not None)),
                ],
                # Every start aligns the roles with the mounted Secrets (see ``roles``); a failure
                # restarts the container, and shows as a FailedPostStartHook event.
                lifecycle=k8s.core.v1.LifecycleArgs(
                    post_start=k8s.core.v1.LifecycleHandlerArgs(
                        exec_=k8s.core.v1.ExecActionArgs(
                            command=["bash", f"{INITDB_DIR}/{SCRIPT_NAME}", "--after-start"]
                        )
                    )
                ),
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
                    k8s.core.v1.VolumeMountArgs(name="run", mount_path=SOCKET_DIR),
                    k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
                    k8s.core.v1.VolumeMountArgs(name="shm", mount_path=SHM_MOUNT),
                    k8s.core.v1.VolumeMountArgs(name="initdb", mount_path=INITDB_DIR, read_only=True),
                    credentials_mount(),
                ],
            )
        ]
        service_ports = [
            k8s.core.v1.ServicePortArgs(name="postgres", port=PORT, target_port="postgres", protocol="TCP")
        ]
        if metrics is not None:
            containers.append(exporter_container(metrics, database, container_security))
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
                    spec=pod_spec(
                        account,
                        run_as,
                        containers,
                        [
                            claim_volume("data", data_claim),
                            empty_dir("run", "16Mi"),
                            empty_dir("tmp", "64Mi"),
                            shm_volume(limits["memory"]),
                            k8s.core.v1.VolumeArgs(
                                name="initdb",
                                config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(
                                    name=initdb.metadata.name,
                                    # Executable: the entrypoint runs an executable *.sh, sources others.
                                    default_mode=0o555,
                                ),
                            ),
                            credentials_volume(
                                "credentials",
                                [
                                    (secret_name, {password_key: APP_PASSWORD_PATH}),
                                    (
                                        admin_secret,
                                        {
                                            k: k
                                            for k in (SUPERUSER_PASSWORD_KEY, BACKUP_PASSWORD_KEY, METRICS_PASSWORD_KEY)
                                        },
                                    ),
                                ],
                            ),
                            *([exporter_volume(admin_secret)] if metrics is not None else []),
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
        if backup is not None:
            backup_selector = selector_labels(name, instance, BACKUP_COMPONENT)
            backup_labels = standard_labels(name, instance, BACKUP_COMPONENT, version, part_of)
            backup_job(
                resource_name=resource_name,
                name=name,
                namespace=namespace,
                labels=backup_labels,
                backup=backup,
                image=image_name,
                host=service.metadata.name,
                database=database,
                account=account,
                run_as=run_as,
                security=container_security,
                admin_secret=admin_secret,
                keep=keep,
                child=child,
            )

        # -- monitoring -----------------------------------------------------------------------
        if metrics is not None and metrics.service_monitor:
            monitoring_objects(
                resource_name=resource_name,
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=name, namespace=namespace, labels={**labels, **metrics.labels}
                ),
                namespace=namespace,
                service=name,
                selector=selector,
                metrics=metrics,
                claims=[claim_name] if backup is None else [claim_name, backup.claim_name],
                cronjob=None if backup is None else backup_cronjob_name(name),
                parent=self,
            )

        # -- network policy -------------------------------------------------------------------
        # The namespace denies all ingress by default; admit the web app's pods (and the backup
        # job, which dumps over the network) to 5432 and, with metrics, only the monitoring
        # namespace to the metrics port.
        clients = [client_selector] if backup_selector is None else [client_selector, backup_selector]
        rules = [from_pods(clients, [PORT])]
        if metrics is not None:
            rules.append(from_namespace(metrics.monitoring_namespace, [METRICS_PORT]))
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
