"""PostgresDatabase under mocks: every default, every option and every error, plus the pure checks."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.postgres import (
    APP_PASSWORD_FILE,
    BACKUP_PASSWORD_FILE,
    BACKUP_ROLE,
    DEFAULT_EXPORTER_IMAGE,
    DEFAULT_IMAGE,
    METRICS_PASSWORD_FILE,
    METRICS_ROLE,
    PGDATA,
    ROLES_SCRIPT,
    SUPERUSER_PASSWORD_FILE,
    PostgresDatabase,
    PostgresDatabaseArgs,
)
from components.postgres.pods import CREDENTIALS_MOUNT
from tests.harness import Recorded, Recorder, synth

PVC = "kubernetes:core/v1:PersistentVolumeClaim"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
SECRET = "kubernetes:core/v1:Secret"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CRONJOB = "kubernetes:batch/v1:CronJob"
ACCOUNT = "kubernetes:core/v1:ServiceAccount"
PASSWORD = "random:index/randomPassword:RandomPassword"
MOCK_PASSWORD = "mock-generated-password-Zq8v"
CLIENTS = {"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "shop", "app.kubernetes.io/component": "web"}
# The restricted Pod Security settings every database pod and container must carry, written out.
POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": 10001,
    "runAsGroup": 10001,
    "fsGroup": 10001,
    "fsGroupChangePolicy": "OnRootMismatch",
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": 10001,
    "runAsGroup": 10001,
    "allowPrivilegeEscalation": False,
    "privileged": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
SERVER = {"app.kubernetes.io/component": "database", "app.kubernetes.io/instance": "db", "app.kubernetes.io/name": "db"}


def _args(**overrides: Any) -> PostgresDatabaseArgs:
    args: dict[str, Any] = {"namespace": "shop", "client_selector": CLIENTS, **overrides}
    return args  # type: ignore[return-value]


def _build(**overrides: Any) -> dict[str, Any]:
    """Build ``PostgresDatabase("db", ...)`` and return its resolved outputs."""

    def build() -> pulumi.Output[dict[str, Any]]:
        db = PostgresDatabase("db", _args(**overrides))
        return pulumi.Output.all(
            service_name=db.service_name,
            host=db.host,
            port=db.port,
            database=db.database,
            user=db.user,
            secret_name=db.secret_name,
            password_key=db.password_key,
            connection_string=db.connection_string,
            connection_string_secret=pulumi.Output.from_input(db.connection_string.is_secret()),
            storage_size=db.storage_size,
            selector=db.selector,
        )

    return dict(synth(build))


def _pod(mocks: Recorder) -> dict[str, Any]:
    return dict(mocks.one(DEPLOYMENT).spec["template"]["spec"])


def _container(mocks: Recorder, name: str = "postgres") -> dict[str, Any]:
    return next(c for c in _pod(mocks)["containers"] if c["name"] == name)


def _claim(mocks: Recorder, name: str = "db-data") -> Recorded:
    return mocks.named(name)


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def _policy(mocks: Recorder, name: str = "db-allow-clients") -> dict[str, Any]:
    return mocks.named(name).spec


def _password_files(pod: dict[str, Any], container: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The files of the container's read-only credentials mount: path -> (Secret, key). Fails when
    a password reaches the container any other way (an env var from a Secret)."""
    assert not [e for e in container["env"] if "secretKeyRef" in (e.get("valueFrom") or {})]
    volumes = {v["name"]: v for v in pod["volumes"]}
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == CREDENTIALS_MOUNT]
    assert mount["readOnly"] is True
    projected = volumes[mount["name"]]["projected"]
    assert projected["defaultMode"] == 0o440
    return {
        f"{CREDENTIALS_MOUNT}/{item['path']}": (source["secret"]["name"], item["key"])
        for source in projected["sources"]
        for item in source["secret"]["items"]
    }


def _unwrap(value: Any) -> Any:
    """The plain value of a recorded input that may travel as a Pulumi secret."""
    return value["value"] if isinstance(value, dict) and "value" in value and len(value) == 2 else value


# -- defaults ------------------------------------------------------------------------------------


def test_outputs_default_to_app_database_and_user_on_port_5432(mocks: Recorder) -> None:
    out = _build()
    assert out["service_name"] == "db"
    assert out["host"] == "db.shop.svc"
    assert out["port"] == 5432
    assert out["database"] == "app"
    assert out["user"] == "app"
    assert out["secret_name"] == "db-credentials"
    assert out["password_key"] == "password"
    assert out["storage_size"] == "10Gi"


def test_connection_string_is_a_secret_with_the_generated_password(mocks: Recorder) -> None:
    out = _build()
    assert out["connection_string"] == f"postgresql://app:{MOCK_PASSWORD}@db.shop.svc:5432/app"
    assert out["connection_string_secret"] is True


def test_passwords_are_generated_stable_and_url_safe_one_per_role(mocks: Recorder) -> None:
    _build()
    passwords = mocks.of_type(PASSWORD)
    assert sorted(p.name for p in passwords) == [
        "db-backup-password",
        "db-metrics-password",
        "db-password",
        "db-superuser-password",
    ]
    for password in passwords:
        assert password.inputs["length"] == 32
        assert password.inputs["special"] is False
        assert password.protect is True
        assert {"result", "bcryptHash"} <= set(password.additional_secret_outputs)
        assert password.parent == mocks.one("webstack:data:PostgresDatabase").urn


def test_password_lives_in_a_secret_whose_data_is_secret(mocks: Recorder) -> None:
    _build()
    secret = mocks.named("db-credentials")
    assert secret.metadata["name"] == "db-credentials"
    assert secret.inputs["type"] == "Opaque"
    # The whole map travels as a Pulumi secret (one of its values is one).
    assert secret.secret_paths == ["stringData"]
    assert _unwrap(secret.inputs["stringData"]) == {"username": "app", "password": MOCK_PASSWORD}
    assert {"data", "stringData"} <= set(secret.additional_secret_outputs)


def test_password_appears_in_no_input_outside_the_secret(mocks: Recorder) -> None:
    _build(backup={"schedule": "@daily"}, metrics={})
    for resource in mocks.resources:
        if resource.typ == SECRET:
            continue
        assert MOCK_PASSWORD not in json.dumps(resource.inputs, default=str), resource.name


def test_data_volume_defaults_to_10gi_rwo_default_class_with_a_stable_name(mocks: Recorder) -> None:
    _build()
    claim = _claim(mocks)
    assert claim.metadata["name"] == "db-data"
    assert claim.metadata["namespace"] == "shop"
    assert claim.spec["accessModes"] == ["ReadWriteOnce"]
    assert claim.spec["resources"] == {"requests": {"storage": "10Gi"}}
    assert "storageClassName" not in claim.spec, "None leaves the choice to the default StorageClass"


def test_data_volume_is_retained_and_protected_by_default(mocks: Recorder) -> None:
    _build()
    claim = _claim(mocks)
    assert claim.retain_on_delete is True
    assert claim.protect is True
    assert claim.delete_before_replace is False
    assert claim.replace_on_changes == []
    assert claim.ignore_changes == []


def test_unprotected_volume_is_still_retained(mocks: Recorder) -> None:
    _build(protect=False)
    claim = _claim(mocks)
    assert claim.protect is False
    assert claim.retain_on_delete is True
    assert [p.protect for p in mocks.of_type(PASSWORD)] == [False] * 4


def test_volumes_are_not_awaited_the_server_deployment_is(mocks: Recorder) -> None:
    # GIVEN the defaults and a backup volume WHEN built THEN neither claim is awaited (the
    # Deployment that mounts the data volume is), and the retain annotation stays beside it.
    _build(backup={"schedule": "@daily"})
    for name in ("db-data", "db-backups"):
        assert _claim(mocks, name).metadata["annotations"] == {
            "pulumi.com/skipAwait": "true",
            "webstack.io/retain-on-delete": "true",
            "pulumi.com/patchForce": "true",
        }
    assert "annotations" not in mocks.one(DEPLOYMENT).metadata, "the server's rollout is still awaited"


def test_storage_class_size_modes_and_claim_name_come_from_args(mocks: Recorder) -> None:
    _build(storage_size="30Gi", storage_class="fast-ssd", access_modes=["ReadWriteOncePod"], claim_name="pg-vol")
    claim = mocks.named("db-data")
    assert claim.metadata["name"] == "pg-vol"
    assert claim.spec["storageClassName"] == "fast-ssd"
    assert claim.spec["accessModes"] == ["ReadWriteOncePod"]
    assert claim.spec["resources"]["requests"]["storage"] == "30Gi"
    volume = next(v for v in _pod(mocks)["volumes"] if v["name"] == "data")
    assert volume["persistentVolumeClaim"]["claimName"] == "pg-vol"


def test_data_aliases_are_passed_to_the_claim(mocks: Recorder) -> None:
    _build(data_aliases=[pulumi.Alias(name="old-db-data")])
    aliases = _claim(mocks).aliases
    assert len(aliases) == 1
    assert "old-db-data" in json.dumps(aliases)


def test_server_is_one_replica_with_recreate_and_a_stable_selector(mocks: Recorder) -> None:
    out = _build()
    deployment = mocks.one(DEPLOYMENT)
    assert deployment.metadata["name"] == "db"
    assert deployment.spec["replicas"] == 1
    assert deployment.spec["strategy"] == {"type": "Recreate"}
    assert (
        deployment.spec["selector"]["matchLabels"]
        == out["selector"]
        == {
            "app.kubernetes.io/name": "db",
            "app.kubernetes.io/instance": "db",
            "app.kubernetes.io/component": "database",
        }
    )


def test_server_runs_the_pinned_image_with_pgdata_in_a_subdirectory(mocks: Recorder) -> None:
    _build()
    container = _container(mocks)
    assert container["image"] == DEFAULT_IMAGE == "postgres:17.6-alpine"
    # Pinned: a restart uses the node's copy, so a registry outage cannot keep the server down.
    assert container["imagePullPolicy"] == "IfNotPresent"
    env = _env(container)
    assert env["PGDATA"] == PGDATA == "/var/lib/postgresql/data/pgdata"
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["data"] == "/var/lib/postgresql/data"
    assert PGDATA.startswith(mounts["data"] + "/")
    assert env["POSTGRES_DB"] == "app"
    assert env["POSTGRES_USER"] == "postgres", "the bootstrap superuser is not the app's role"
    assert env["POSTGRES_PASSWORD_FILE"] == SUPERUSER_PASSWORD_FILE == "/run/secrets/postgres/superuser-password"
    assert "POSTGRES_PASSWORD" not in env
    # Only the server container's own socket is trusted, not loopback TCP (which the exporter shares).
    assert env["POSTGRES_INITDB_ARGS"] == "--auth-local=trust --auth-host=scram-sha-256"
    # The server aligns every role, so it alone sees every password.
    assert _password_files(_pod(mocks), container) == {
        APP_PASSWORD_FILE: ("db-credentials", "password"),
        SUPERUSER_PASSWORD_FILE: ("db-admin-credentials", "superuser-password"),
        BACKUP_PASSWORD_FILE: ("db-admin-credentials", "backup-password"),
        METRICS_PASSWORD_FILE: ("db-admin-credentials", "metrics-password"),
    }


def test_startup_and_readiness_use_pg_isready_and_liveness_only_tcp(mocks: Recorder) -> None:
    _build()
    container = _container(mocks)
    for probe in ("readinessProbe", "startupProbe"):
        command = container[probe]["exec"]["command"]
        assert command[0] == "pg_isready", probe
        assert "--username=app" in command
        assert "--dbname=app" in command
    assert container["startupProbe"]["failureThreshold"] * container["startupProbe"]["periodSeconds"] >= 600
    # A server refusing sessions (max_connections, clean shutdown) is not ready, but not dead either.
    assert container["livenessProbe"]["tcpSocket"] == {"port": "postgres"}
    assert "exec" not in container["livenessProbe"]


def test_security_context_is_restricted_with_a_high_uid(mocks: Recorder) -> None:
    _build()
    pod = _pod(mocks)
    ctx = pod["securityContext"]
    assert ctx["runAsNonRoot"] is True
    assert ctx["runAsUser"] == ctx["runAsGroup"] == ctx["fsGroup"] == 10001
    assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}
    assert ctx["fsGroupChangePolicy"] == "OnRootMismatch"
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False
    container = _container(mocks)["securityContext"]
    assert container["allowPrivilegeEscalation"] is False
    assert container["privileged"] is False
    assert container["readOnlyRootFilesystem"] is True
    assert container["runAsNonRoot"] is True
    assert container["runAsUser"] > 10000
    assert container["capabilities"] == {"drop": ["ALL"]}
    assert container["seccompProfile"] == {"type": "RuntimeDefault"}


def test_read_only_root_has_writable_socket_and_tmp_dirs(mocks: Recorder) -> None:
    _build()
    mounts = {m["mountPath"]: m["name"] for m in _container(mocks)["volumeMounts"]}
    volumes = {v["name"]: v for v in _pod(mocks)["volumes"]}
    for path in ("/var/run/postgresql", "/tmp"):
        assert "emptyDir" in volumes[mounts[path]], path


def test_dev_shm_is_memory_backed_and_half_the_memory_limit(mocks: Recorder) -> None:
    _build(limits={"memory": "2Gi"})
    mounts = {m["mountPath"]: m["name"] for m in _container(mocks)["volumeMounts"]}
    volumes = {v["name"]: v for v in _pod(mocks)["volumes"]}
    assert volumes[mounts["/dev/shm"]]["emptyDir"] == {"medium": "Memory", "sizeLimit": "1024Mi"}


def test_dev_shm_follows_the_default_memory_limit(mocks: Recorder) -> None:
    _build()
    (shm,) = [v for v in _pod(mocks)["volumes"] if v["name"] == "shm"]
    assert shm["emptyDir"]["sizeLimit"] == "512Mi"


def test_every_database_image_is_pulled_only_when_missing(mocks: Recorder) -> None:
    _build(backup={"schedule": "@daily"}, metrics={})
    job = mocks.one(CRONJOB).spec["jobTemplate"]["spec"]["template"]["spec"]
    containers = [*_pod(mocks)["containers"], *job["containers"]]
    assert [c["imagePullPolicy"] for c in containers] == ["IfNotPresent"] * 3


def test_dedicated_service_account_without_token(mocks: Recorder) -> None:
    _build()
    account = mocks.one(ACCOUNT)
    assert account.inputs["automountServiceAccountToken"] is False
    assert _pod(mocks)["serviceAccountName"] == account.metadata["name"] == "db"


def test_resources_default_and_merge_overrides(mocks: Recorder) -> None:
    _build(requests={"memory": "512Mi"}, limits={"cpu": "2"})
    resources = _container(mocks)["resources"]
    assert resources["requests"] == {"cpu": "250m", "memory": "512Mi", "ephemeral-storage": "128Mi"}
    assert resources["limits"] == {"cpu": "2", "memory": "1Gi", "ephemeral-storage": "1Gi"}


def test_service_is_cluster_ip_on_5432_with_a_stable_name(mocks: Recorder) -> None:
    _build()
    service = mocks.one(SERVICE)
    assert service.metadata["name"] == "db"
    assert service.spec["type"] == "ClusterIP"
    assert service.spec["ports"] == [{"name": "postgres", "port": 5432, "targetPort": "postgres", "protocol": "TCP"}]
    assert service.spec["selector"] == mocks.one(DEPLOYMENT).spec["selector"]["matchLabels"]
    # Not awaited (the Deployment awaits the pods): no 10 s Endpoints settle ahead of the app's env.
    assert service.metadata["annotations"] == {"pulumi.com/skipAwait": "true"}


def test_network_policy_admits_only_the_clients_to_5432(mocks: Recorder) -> None:
    _build()
    policy = _policy(mocks)
    assert policy["podSelector"]["matchLabels"] == mocks.one(DEPLOYMENT).spec["selector"]["matchLabels"]
    assert policy["policyTypes"] == ["Ingress"]
    assert policy["ingress"] == [
        {"from": [{"podSelector": {"matchLabels": CLIENTS}}], "ports": [{"port": 5432, "protocol": "TCP"}]}
    ]


def test_no_backup_and_no_metrics_by_default(mocks: Recorder) -> None:
    _build()
    assert mocks.of_type(CRONJOB) == []
    assert [c["name"] for c in _pod(mocks)["containers"]] == ["postgres"]
    assert [p["name"] for p in mocks.one(SERVICE).spec["ports"]] == ["postgres"]
    assert len(mocks.of_type(PVC)) == 1


def test_labels_are_the_standard_set_with_the_image_tag_as_version(mocks: Recorder) -> None:
    _build(instance="shop-prod", part_of="shop")
    labels = mocks.one(DEPLOYMENT).metadata["labels"]
    assert labels == {
        "app.kubernetes.io/name": "db",
        "app.kubernetes.io/instance": "shop-prod",
        "app.kubernetes.io/component": "database",
        "app.kubernetes.io/version": "17.6-alpine",
        "app.kubernetes.io/part-of": "shop",
        "app.kubernetes.io/managed-by": "pulumi",
    }
    assert _claim(mocks).metadata["labels"] == labels


def test_every_child_is_parented_to_the_component(mocks: Recorder) -> None:
    _build(backup={"schedule": "@daily"}, metrics={})
    component = mocks.one("webstack:data:PostgresDatabase")
    for resource in mocks.resources:
        if resource is not component:
            assert resource.parent == component.urn, resource.name


# -- existing secret -----------------------------------------------------------------------------


def test_existing_secret_replaces_the_generated_password(mocks: Recorder) -> None:
    out = _build(existing_secret={"name": "pg-creds", "key": "pw"})
    assert "db-password" not in [p.name for p in mocks.of_type(PASSWORD)]
    assert [s.name for s in mocks.of_type(SECRET)] == ["db-admin-credentials"]
    assert out["secret_name"] == "pg-creds"
    assert out["password_key"] == "pw"
    files = _password_files(_pod(mocks), _container(mocks))
    assert files[APP_PASSWORD_FILE] == ("pg-creds", "pw")


def test_existing_secret_connection_string_has_no_password_and_is_secret(mocks: Recorder) -> None:
    out = _build(existing_secret={"name": "pg-creds"})
    assert out["connection_string"] == "postgresql://app@db.shop.svc:5432/app"
    assert out["connection_string_secret"] is True
    assert out["password_key"] == "password"


# -- backups -------------------------------------------------------------------------------------


def test_backup_cronjob_runs_pg_dump_on_the_schedule_in_utc(mocks: Recorder) -> None:
    _build(backup={"schedule": "30 1 * * *"})
    job = mocks.one(CRONJOB)
    assert job.metadata["name"] == "db-backup"
    assert job.spec["schedule"] == "30 1 * * *"
    assert job.spec["timeZone"] == "Etc/UTC"
    assert job.spec["concurrencyPolicy"] == "Forbid"
    pod = job.spec["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == DEFAULT_IMAGE
    assert "pg_dump" in container["command"][-1]
    env = _env(container)
    assert env["PGHOST"] == "db"
    assert env["PGUSER"] == BACKUP_ROLE == "backup", "backups read as the read-only role"
    assert env["PGPASSWORD_FILE"] == BACKUP_PASSWORD_FILE
    assert 'PGPASSWORD="$(cat "${PGPASSWORD_FILE}")"' in container["command"][-1]
    assert _password_files(pod, container) == {BACKUP_PASSWORD_FILE: ("db-admin-credentials", "backup-password")}
    assert env["RETENTION_DAYS"] == "7"
    assert pod["restartPolicy"] == "Never"


def test_backup_pod_has_the_same_security_context(mocks: Recorder) -> None:
    _build(backup={"schedule": "@daily"})
    pod = mocks.one(CRONJOB).spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["securityContext"] == POD_SECURITY
    assert pod["containers"][0]["securityContext"] == CONTAINER_SECURITY
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == "db"


def test_backup_volume_is_its_own_retained_protected_claim(mocks: Recorder) -> None:
    _build(backup={"schedule": "@daily", "storage_size": "40Gi", "retention_days": 3}, storage_class="fast")
    claim = mocks.named("db-backups")
    assert claim.metadata["name"] == "db-backups"
    assert claim.spec["resources"]["requests"]["storage"] == "40Gi"
    assert claim.spec["storageClassName"] == "fast", "defaults to the data volume's class"
    assert claim.spec["accessModes"] == ["ReadWriteOnce"]
    assert claim.retain_on_delete is True
    assert claim.protect is True
    pod = mocks.one(CRONJOB).spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == "db-backups"
    assert _env(pod["containers"][0])["RETENTION_DAYS"] == "3"


def test_backup_defaults_to_20gi(mocks: Recorder) -> None:
    _build(backup={"schedule": "@daily"})
    assert mocks.named("db-backups").spec["resources"]["requests"]["storage"] == "20Gi"


def test_backup_pods_may_reach_the_database(mocks: Recorder) -> None:
    _build(backup={"schedule": "@daily"})
    peers = _policy(mocks)["ingress"][0]["from"]
    backup_labels = mocks.one(CRONJOB).spec["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    backup_selector = peers[1]["podSelector"]["matchLabels"]
    assert peers[0] == {"podSelector": {"matchLabels": CLIENTS}}
    assert backup_selector.items() <= backup_labels.items()
    assert backup_selector["app.kubernetes.io/component"] == "database-backup"
    # and, where the namespace denies egress, may open connections to it
    egress = _policy(mocks, "db-egress-backup")
    assert egress["podSelector"] == {"matchLabels": backup_selector}
    assert egress["policyTypes"] == ["Egress"]
    assert egress["egress"] == [
        {"to": [{"podSelector": {"matchLabels": SERVER}}], "ports": [{"port": 5432, "protocol": "TCP"}]}
    ]


def test_clients_may_connect_to_5432_of_the_server_only(mocks: Recorder) -> None:
    # GIVEN a namespace that denies egress WHEN the database is built THEN the clients' pods may
    # open connections to the server's pods on 5432, and nowhere else through this policy
    _build()
    server = mocks.one(DEPLOYMENT).spec["selector"]["matchLabels"]
    policy = _policy(mocks, "db-egress-clients")
    assert mocks.named("db-egress-clients").metadata["name"] == "db-egress-clients"
    assert policy == {
        "podSelector": {"matchLabels": CLIENTS},
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"podSelector": {"matchLabels": server}}], "ports": [{"port": 5432, "protocol": "TCP"}]}],
    }
    assert sorted(r.name for r in mocks.of_type(POLICY)) == ["db-allow-clients", "db-egress-clients"]


# -- metrics -------------------------------------------------------------------------------------


def test_metrics_sidecar_exposes_a_named_metrics_port_on_the_service(mocks: Recorder) -> None:
    _build(metrics={})
    exporter = _container(mocks, "exporter")
    assert exporter["image"] == DEFAULT_EXPORTER_IMAGE
    assert exporter["ports"] == [{"name": "metrics", "containerPort": 9187, "protocol": "TCP"}]
    assert exporter["securityContext"] == CONTAINER_SECURITY
    env = _env(exporter)
    assert env["DATA_SOURCE_URI"] == "127.0.0.1:5432/app?sslmode=disable"
    assert env["DATA_SOURCE_USER"] == METRICS_ROLE == "metrics", "the exporter reads as the pg_monitor role"
    assert env["DATA_SOURCE_PASS_FILE"] == METRICS_PASSWORD_FILE
    assert exporter["readinessProbe"]["httpGet"] == {"path": "/", "port": "metrics"}
    assert exporter["livenessProbe"]["tcpSocket"] == {"port": "metrics"}
    assert _password_files(_pod(mocks), exporter) == {
        METRICS_PASSWORD_FILE: ("db-admin-credentials", "metrics-password")
    }
    ports = {p["name"]: p for p in mocks.one(SERVICE).spec["ports"]}
    assert ports["metrics"] == {"name": "metrics", "port": 9187, "targetPort": "metrics", "protocol": "TCP"}


def test_metrics_port_admits_only_the_monitoring_namespace(mocks: Recorder) -> None:
    _build(metrics={"monitoring_namespace": "observability"})
    rules = _policy(mocks)["ingress"]
    assert rules[1] == {
        "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}}],
        "ports": [{"port": 9187, "protocol": "TCP"}],
    }
    assert rules[0]["ports"] == [{"port": 5432, "protocol": "TCP"}], "the database port stays clients-only"


def test_metrics_monitoring_namespace_defaults_to_monitoring(mocks: Recorder) -> None:
    _build(metrics={})
    peer = _policy(mocks)["ingress"][1]["from"][0]
    assert peer["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "monitoring"}


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"storage_size": "ten"}, r"PostgresDatabase storage_size: 'ten' is not a Kubernetes quantity"),
        ({"storage_size": "0"}, r"PostgresDatabase storage_size: '0' must be greater than zero"),
        ({"storage_size": "500m"}, r"PostgresDatabase storage_size: '500m' is not a whole number of bytes"),
        ({"storage_class": "Fast_SSD"}, r"PostgresDatabase storage_class: 'Fast_SSD' is not a valid DNS-1123"),
        ({"access_modes": ["ReadWriteSometimes"]}, r"access_modes: 'ReadWriteSometimes' is not an access mode"),
        ({"access_modes": []}, r"access_modes: \[\] must be a non-empty list"),
        ({"access_modes": ["ReadOnlyMany"]}, r"access_modes: \['ReadOnlyMany'\] is read-only"),
        (
            {"existing_secret": {"name": "pg"}, "generate_password": True},
            r"existing_secret: a password cannot come both from an existing Secret and from a generated one",
        ),
        ({"generate_password": False}, r"generate_password: False needs existing_secret"),
        ({"existing_secret": {"name": "Bad_Name"}}, r"existing_secret.name: 'Bad_Name' is not a valid DNS-1123"),
        ({"backup": {"schedule": "every night"}}, r"backup.schedule: 'every night' has 2 fields, not 5"),
        ({"backup": {"schedule": "0 25 * * *"}}, r"backup.schedule: '0 25 \* \* \*' is not a valid cron .*hour 25"),
        ({"backup": {"schedule": "@daily", "retention_days": 0}}, r"backup.retention_days: 0 is out of range"),
        ({"backup": {"schedule": "@daily", "storage_size": "1x"}}, r"backup.storage_size: '1x' is not a Kubernetes"),
        ({"image": "postgres"}, r"PostgresDatabase image: 'postgres' does not pin a version"),
        ({"image": "postgres:latest"}, r"PostgresDatabase image: 'postgres:latest' does not pin a version"),
        ({"metrics": {"image": "exporter:latest"}}, r"metrics.image: 'exporter:latest' does not pin a version"),
        ({"metrics": {"monitoring_namespace": "Mon"}}, r"metrics.monitoring_namespace: 'Mon' is not a valid"),
        ({"database": "my-db"}, r"PostgresDatabase database: 'my-db' is not a plain PostgreSQL name"),
        ({"user": "Admin"}, r"PostgresDatabase user: 'Admin' is not a plain PostgreSQL name"),
        ({"user": "app\n"}, r"PostgresDatabase user: 'app\\n' is not a plain PostgreSQL name"),
        (
            {"generate_password": False, "existing_secret": {"name": "s", "key": "pass word"}},
            r"PostgresDatabase existing_secret.key: 'pass word' is not a Secret key",
        ),
        ({"name": "1db"}, r"PostgresDatabase name: '1db' must start with a letter"),
        ({"name": "d" * 46}, r"PostgresDatabase name: 'd{46}' is 46 characters; use at most 45"),
        ({"claim_name": "Data"}, r"PostgresDatabase claim_name: 'Data' is not a valid DNS-1123 subdomain"),
        ({"requests": {"cpu": "2"}}, r"PostgresDatabase requests\['cpu'\]: the request '2' is above"),
        ({"limits": {"memory": "lots"}}, r"PostgresDatabase limits\['memory'\]: 'lots' is not a Kubernetes"),
        ({"requests": {"memory": "-1Gi"}}, r"PostgresDatabase requests\['memory'\]: '-1Gi' must be greater than zero"),
        ({"client_selector": {}}, r"PostgresDatabase client_selector: empty"),
        ({"run_as_user": 0}, r"PostgresDatabase run_as_user: 0 is out of range"),
        ({"superuser": "Root"}, r"PostgresDatabase superuser: 'Root' is not a plain PostgreSQL name"),
        ({"superuser": "app"}, r"PostgresDatabase user: 'app' is already the superuser's name"),
        ({"user": "backup"}, r"PostgresDatabase backup role: 'backup' is already the user's name"),
        ({"user": "metrics"}, r"PostgresDatabase monitoring role: 'metrics' is already the user's name"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(mocks: Recorder, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PostgresDatabase("db", _args(**overrides))


@pytest.mark.parametrize(
    "overrides",
    [
        {"backup": {"schedule": "bad"}},
        {"backup": {"schedule": "@daily", "storage_size": "5x"}},
        {"metrics": {"image": "exporter:latest"}},
    ],
)
def test_every_input_is_checked_before_any_child_is_registered(mocks: Recorder, overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="PostgresDatabase"):
        synth(lambda: PostgresDatabase("db", _args(**overrides)).host)
    assert [r.typ for r in mocks.resources if r.typ != "webstack:data:PostgresDatabase"] == []


# -- pure checks ---------------------------------------------------------------------------------


def test_only_the_retained_objects_use_the_adoption_provider(mocks: Recorder) -> None:
    # GIVEN an adoption provider WHEN the database is built with backups THEN the claims and the
    # credentials Secret (what a destroy leaves) use it, and no other object does.
    def build() -> pulumi.Output[str]:
        adopt = k8s.Provider("adopt")
        db = PostgresDatabase("db", _args(backup={"schedule": "@daily"}, adoption_provider=adopt))
        return db.service_name

    synth(build)
    adopt = mocks.one("pulumi:providers:kubernetes")
    adopted = {r.name for r in mocks.resources if r.provider.startswith(f"{adopt.urn}::")}
    assert adopted == {"db-data", "db-backups", "db-credentials", "db-admin-credentials"}
    assert all(mocks.named(name).retain_on_delete for name in adopted)
    others = [r.name for r in mocks.resources if r.typ.startswith("kubernetes:") and r.name not in adopted]
    assert others
    assert all(mocks.named(name).provider == "" for name in others)


def test_without_an_adoption_provider_retained_objects_use_the_component_s(mocks: Recorder) -> None:
    _build(backup={"schedule": "@daily"})
    assert [r.name for r in mocks.resources if r.provider] == []
    assert mocks.named("db-credentials").retain_on_delete
    assert mocks.named("db-admin-credentials").retain_on_delete


# -- roles ---------------------------------------------------------------------------------------


def _initdb_volume(mocks: Recorder) -> dict[str, Any]:
    return next(v for v in _pod(mocks)["volumes"] if v["name"] == "initdb")


def test_roles_script_is_an_executable_init_script_from_a_configmap(mocks: Recorder) -> None:
    _build()
    (config,) = mocks.of_type("kubernetes:core/v1:ConfigMap")
    assert config.inputs["data"] == {"10-webstack-roles.sh": ROLES_SCRIPT}
    # Auto-named (the mocks name it <resource>-abc123): a changed script is a new ConfigMap and
    # a new pod template, so the server restarts onto it.
    assert "name" not in config.metadata
    volume = _initdb_volume(mocks)["configMap"]
    assert volume["name"] == "db-initdb-abc123"
    assert volume["defaultMode"] == 0o555, "the entrypoint only executes an executable *.sh"
    mounts = {m["name"]: m for m in _container(mocks)["volumeMounts"]}
    assert mounts["initdb"] == {"name": "initdb", "mountPath": "/docker-entrypoint-initdb.d", "readOnly": True}


def test_every_start_aligns_the_roles_through_a_post_start_hook(mocks: Recorder) -> None:
    _build()
    hook = _container(mocks)["lifecycle"]["postStart"]["exec"]["command"]
    assert hook == ["bash", "/docker-entrypoint-initdb.d/10-webstack-roles.sh", "--after-start"]


def test_roles_env_names_each_role_and_its_password_file(mocks: Recorder) -> None:
    _build(backup={"schedule": "@daily"})
    env = _env(_container(mocks))
    assert env["DB_APP_USER"] == "app"
    assert env["DB_APP_PASSWORD_FILE"] == APP_PASSWORD_FILE
    assert env["DB_BACKUP_USER"] == "backup"
    assert env["DB_BACKUP_PASSWORD_FILE"] == BACKUP_PASSWORD_FILE
    assert env["DB_METRICS_USER"] == "metrics"
    assert env["DB_METRICS_PASSWORD_FILE"] == METRICS_PASSWORD_FILE
    # Logins follow the features: no backups or metrics, no login for their roles.
    assert (env["DB_BACKUP_ENABLED"], env["DB_METRICS_ENABLED"]) == ("true", "false")


def test_superuser_is_configurable_and_never_the_app_s_role(mocks: Recorder) -> None:
    out = _build(superuser="dba")
    assert _env(_container(mocks))["POSTGRES_USER"] == "dba"
    assert out["user"] == "app"


def test_admin_credentials_hold_the_superuser_backup_and_monitoring_roles(mocks: Recorder) -> None:
    _build()
    admin = mocks.named("db-admin-credentials")
    assert admin.metadata["name"] == "db-admin-credentials"
    assert admin.secret_paths == ["stringData"]
    data = _unwrap(admin.inputs["stringData"])
    assert {k: data[k] for k in ("superuser-username", "backup-username", "metrics-username")} == {
        "superuser-username": "postgres",
        "backup-username": "backup",
        "metrics-username": "metrics",
    }
    assert {data[k] for k in ("superuser-password", "backup-password", "metrics-password")} == {MOCK_PASSWORD}
    assert admin.retain_on_delete


def test_the_app_s_secret_holds_only_the_app_role(mocks: Recorder) -> None:
    _build()
    assert _unwrap(mocks.named("db-credentials").inputs["stringData"]) == {"username": "app", "password": MOCK_PASSWORD}


def test_roles_script_never_puts_a_password_on_a_command_line() -> None:
    # Passwords go from the mounted files into psql variables (backquoted \\set), never into argv.
    reads = [line for line in ROLES_SCRIPT.splitlines() if "PASSWORD_FILE" in line and "cat" in line]
    assert len(reads) == 4
    for line in reads:
        assert line.startswith("\\set "), line
        assert line.endswith('"`'), line
    assert "log_min_error_statement = 'panic'" in ROLES_SCRIPT
