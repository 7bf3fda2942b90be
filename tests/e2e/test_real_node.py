"""The dev stack on a real node: it serves traffic, survives updates and faults, and never loses its data.

The bundled cluster (scripts/cluster.sh) runs the kwok control plane with one real node: containerd and
runc start every container, kubelet runs the real probes, kube-proxy routes the Services, CoreDNS
resolves their names. The app is the project's demo app (demo/), a real client of the database through
the ``DATABASE_*`` settings WebApp hands it; PostgreSQL is the stack file's image name, served from
Debian's postgresql-17 by the node's registry.

The steps run in file order against one stack and share its state; each needs the one it builds on and
fails at once, naming it, when that one failed. The faults (8) and the port-forward (9) run before the
destroy (7), so that a failure of one never hides the others.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cluster import (
    DEMO_IMAGE,
    DEMO_IMAGE_NEXT,
    REGISTRY,
    Cluster,
    DeploymentWatcher,
    Project,
    get_through_port_forward,
    not_ready,
    restarts,
)
from tests.e2e.conftest import REPORT, Lifecycle
from tests.workspace import ROOT, Result, base_env, run

pytestmark = pytest.mark.e2e

NAMESPACE = "webstack-dev"  # Pulumi.dev.yaml
CLIENT_NAMESPACE = "ingress"  # the namespace the app's NetworkPolicy admits (the ingress controller's)
APP = "web"
DB = "postgres"
CLAIM = "postgres-data"
APP_LABELS = {
    "app.kubernetes.io/component": "web",
    "app.kubernetes.io/instance": "webstack-dev",
    "app.kubernetes.io/name": "web",
}
BACKUP_CRONJOB = "postgres-backup"
BACKUP_CLAIM = "postgres-backups"
APP_URL = f"http://{APP}.{NAMESPACE}.svc.cluster.local"
REPLICAS = 3
ROWS = 25
# A patch release of the database image: the same image under the next tag (the stack changes the tag).
NEXT_DB_TAG = "17.7-alpine"
# How long a fault may take to heal (measured here: well under half of it; see the report).
RECOVERY_BOUND = 120.0

PRIVILEGED_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "psa-probe", "namespace": NAMESPACE},
    "spec": {
        "containers": [{"name": "c", "image": DEMO_IMAGE, "securityContext": {"privileged": True, "runAsUser": 0}}]
    },
}


# A new pod's address reaches kube-router's ipsets a moment after the pod starts; a client that sent at once
# could be refused by the very policy that admits it.
SETTLE = "3s"


def _client(
    cluster: Cluster, name: str, *args: str, namespace: str = CLIENT_NAMESPACE, timeout: float = 240
) -> dict[str, Any]:
    """Run the demo image's bounded HTTP client in a pod (of the ingress namespace); its JSON report."""
    phase, log = cluster.run_pod(
        namespace,
        name,
        ["/webstack-demo", "client", "-start-after", SETTLE, *args],
        labels={"app.kubernetes.io/name": "e2e-client"},
        timeout=timeout,
    )
    assert phase == "Succeeded", f"client pod {name} {phase}:\n{log}"
    return dict(json.loads(log.strip().splitlines()[-1]))


def _row_count(cluster: Cluster, name: str) -> int:
    """The number of rows the app reads back through its own database settings."""
    report = _client(cluster, name, "-url", f"{APP_URL}/rows", "-n", "1", "-keep-bodies")
    assert report["ok"] == 1, f"GET /rows failed: {report}"
    return int(report["bodies"][0]["count"])


def _row_count_after_up(cluster: Cluster, name: str) -> tuple[int, int]:
    """Rows read back right after an up, and how many of 15 requests a second apart failed.

    An up that changes the database's pod template (turning backups on does) replaces its one pod
    (Recreate), and the new pod's address reaches the NetworkPolicy enforcer's sets about 1 s after
    it starts: CI runs saw 1 or 2 failed requests then. At most 5 failures in 15 s is reported as
    that; more is a fault.
    """
    report = _client(cluster, name, "-url", f"{APP_URL}/rows", "-n", "15", "-interval", "1s", "-keep-bodies")
    assert report["ok"] >= 10, f"GET /rows failed after the up: {report}"
    assert report["bodies"], report
    return int(report["bodies"][-1]["count"]), int(report["failed"])


def _deployment(cluster: Cluster, name: str) -> dict[str, Any]:
    return cluster.get_json("deployment", name, "-n", NAMESPACE)


def _assert_rolled_out(cluster: Cluster, name: str, replicas: int) -> dict[str, Any]:
    deploy = _deployment(cluster, name)
    status = deploy.get("status") or {}
    assert deploy["spec"]["replicas"] == replicas
    assert status.get("readyReplicas", 0) == replicas, f"{name}: {status}"
    assert status.get("updatedReplicas", 0) == replicas, f"{name}: {status}"
    return deploy


def _claim(cluster: Cluster, name: str = CLAIM) -> dict[str, Any]:
    return cluster.get_json("pvc", name, "-n", NAMESPACE)


def _changes(update: dict[str, Any]) -> dict[str, int]:
    return {op: n for op, n in (update.get("resourceChanges") or {}).items() if n}


def _up(dev: Project, label: str, *extra: str) -> None:
    result = dev.up(*extra)
    REPORT.time(label, result)
    assert result.ok, result.explain()


def test_1_dev_goes_up_and_every_pod_is_ready(dev: Project, cluster: Cluster, lifecycle: Lifecycle) -> None:
    _up(dev, "1. pulumi up (dev, first deployment, real node)")
    pods = cluster.pods(NAMESPACE)
    assert pods, f"no pods in {NAMESPACE}"
    assert not not_ready(pods), not_ready(pods)
    assert set(restarts(pods).values()) == {0}, restarts(pods)
    images = sorted({c["image"] for p in pods for c in p["spec"]["containers"]})
    assert images == sorted([DEMO_IMAGE, "postgres:17.6-alpine"]), images
    node = {p["spec"]["nodeName"] for p in pods}
    assert node == {f"{cluster.name}-node"}, f"pods ran on {node}, not on the real node"

    labels = cluster.get_json("namespace", NAMESPACE)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    probe = cluster.kubectl("apply", "--dry-run=server", "-f", "-", stdin=json.dumps(PRIVILEGED_POD))
    assert not probe.ok, f"a privileged pod was admitted into {NAMESPACE}"
    assert 'violates PodSecurity "restricted:latest"' in probe.output, probe.output
    assert _claim(cluster)["status"]["phase"] == "Bound"

    again = dev.up("--expect-no-changes")
    REPORT.time("1b. pulumi up again (expect no changes)", again)
    assert again.ok, again.explain()
    changes = _changes(dev.last_update())
    assert set(changes) <= {"same", "read"}, f"the second up changed something: {changes}"
    REPORT.fact(
        f"1. {len(pods)} pods Running and Ready on node {cluster.name}-node (kubelet's report), restarts "
        f"{restarts(pods)}, images {images}; namespace enforces Pod Security restricted (privileged pod "
        f"refused); second up: {changes}"
    )
    lifecycle.done("up")


def test_1c_a_second_cluster_is_refused_while_the_node_runs(cluster: Cluster, lifecycle: Lifecycle) -> None:
    lifecycle.require("up")
    env = cluster.env()
    env.update({"WEBSTACK_CLUSTER_NAME": "e2e-second", "WEBSTACK_STATE_DIR": str(cluster.state_dir.parent / "second")})
    second = run([str(ROOT / "scripts" / "cluster.sh"), "up"], env=env, timeout=120)
    assert not second.ok
    assert f"a real node of another cluster is on this machine ('{cluster.name}'" in second.stderr, second.explain()
    assert f"WEBSTACK_CLUSTER_NAME={cluster.name} WEBSTACK_STATE_DIR={cluster.state_dir} scripts/cluster.sh down" in (
        second.stderr
    ), second.explain()
    assert not not_ready(cluster.pods(NAMESPACE)), "the refused second cluster disturbed the running one"


def test_2_the_app_answers_through_its_service(cluster: Cluster, lifecycle: Lifecycle) -> None:
    lifecycle.require("up")
    report = _client(cluster, "e2e-ready", "-url", f"{APP_URL}/ready", "-n", "20", "-interval", "100ms")
    assert report["sent"] == 20, report
    assert report["ok"] == 20, report
    version = _client(cluster, "e2e-version", "-url", f"{APP_URL}/version", "-n", "1", "-keep-bodies")
    assert version["bodies"][0]["version"] == "1.0.0", version
    metrics = _client(cluster, "e2e-metrics", "-url", f"{APP_URL}/metrics", "-n", "1")
    assert metrics["ok"] == 1, metrics

    # NetworkPolicy is enforced (kube-router): the app admits only the ingress namespace, the database only
    # the app's pods, and the namespace denies everything else.
    outside = _client(
        cluster, "e2e-outside", "-url", f"{APP_URL}/ready", "-n", "5", "-timeout", "2s", namespace="default"
    )
    assert outside["ok"] == 0, f"a pod in namespace default reached the app: {outside}"
    probe = "for i in 1 2 3; do pg_isready -U probe -d probe -h postgres -t 2; echo rc=$?; done"
    results = {}
    for name, labels in (("e2e-intruder", {"app.kubernetes.io/name": "intruder"}), ("e2e-as-app", APP_LABELS)):
        phase, log = cluster.run_pod(
            NAMESPACE, name, ["/bin/sh", "-c", f"sleep 3; {probe}"], image="postgres:17.6-alpine", labels=labels
        )
        assert phase == "Succeeded", log
        results[name] = [line for line in log.splitlines() if line.startswith("rc=")]
    assert results["e2e-intruder"] == ["rc=2"] * 3, f"a pod without the app's labels reached 5432: {results}"
    assert results["e2e-as-app"] == ["rc=0"] * 3, f"a pod with the app's labels was refused 5432: {results}"
    REPORT.fact(
        f"2. from a pod in namespace {CLIENT_NAMESPACE}: {report['ok']}/{report['sent']} GET /ready answered 200 "
        f"through Service {APP} (ready means the database answered); /version {version['bodies'][0]['version']}"
    )
    REPORT.fact(
        f"   NetworkPolicy enforced (kube-router): from namespace default {outside['ok']}/{outside['sent']} answered "
        f"({outside['errors']}); 5432 from a pod without the app's labels: {results['e2e-intruder']} (no response), "
        f"with the app's labels: {results['e2e-as-app']} (accepting)"
    )
    lifecycle.done("service")


def test_3_the_app_writes_rows_and_reads_them_back(cluster: Cluster, lifecycle: Lifecycle) -> None:
    lifecycle.require("service")
    before = _row_count(cluster, "e2e-count-0")
    wrote = _client(
        cluster,
        "e2e-write",
        "-url",
        f"{APP_URL}/rows",
        "-method",
        "POST",
        "-body",
        "row %d",
        "-n",
        str(ROWS),
        "-keep-bodies",
    )
    assert wrote["ok"] == ROWS, wrote
    ids = [b["id"] for b in wrote["bodies"]]
    assert len(set(ids)) == ROWS
    after = _row_count(cluster, "e2e-count-1")
    assert after == before + ROWS, (before, after)
    REPORT.fact(f"3. POST /rows x{ROWS} through the app's DATABASE_* settings; rows read back {before} -> {after}")
    lifecycle.done("rows")


def test_4_a_new_image_rolls_out_without_a_failed_request(dev: Project, cluster: Cluster, lifecycle: Lifecycle) -> None:
    lifecycle.require("rows")
    dev.config_set("webstack:appReplicas", str(REPLICAS))
    _up(dev, f"4a. pulumi up (appReplicas {REPLICAS})")
    _assert_rolled_out(cluster, APP, REPLICAS)

    # The load runs in a pod while the rollout happens: bounded by count and time, it stops by itself
    # once 200 answers in a row came from the new version.
    load = [
        "/webstack-demo", "client", "-start-after", SETTLE, "-url", f"{APP_URL}/version", "-n", "20000",
        "-interval", "20ms", "-duration", "240s", "-stop-after-version", "1.0.1", "-stop-count", "200",
    ]  # fmt: skip
    cluster.start_pod(CLIENT_NAMESPACE, "e2e-load", load, labels={"app.kubernetes.io/name": "e2e-client"})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            phase = cluster.kubectl("get", "pod", "-n", CLIENT_NAMESPACE, "e2e-load", "-o", "jsonpath={.status.phase}")
            if phase.stdout.strip() == "Running":
                break
            time.sleep(0.5)
        time.sleep(5)  # some answers from the old version first
        dev.config_set("webstack:appImage", DEMO_IMAGE_NEXT)
        with DeploymentWatcher(cluster, NAMESPACE, APP) as watcher:
            rolled = dev.up()
        REPORT.time("4b. pulumi up (new app image, under load, watched)", rolled)
        assert rolled.ok, rolled.explain()
        phase = cluster.wait_pod_done(CLIENT_NAMESPACE, "e2e-load", 300)
        log = cluster.kubectl("logs", "-n", CLIENT_NAMESPACE, "e2e-load").stdout
    finally:
        cluster.kubectl("delete", "pod", "-n", CLIENT_NAMESPACE, "e2e-load", "--wait=false", "--ignore-not-found")
    assert phase == "Succeeded", log
    report = json.loads(log.strip().splitlines()[-1])
    watch = watcher.report(desired=REPLICAS)
    assert not watcher.errors, watcher.errors
    after = _assert_rolled_out(cluster, APP, REPLICAS)
    assert after["spec"]["template"]["spec"]["containers"][0]["image"] == DEMO_IMAGE_NEXT
    REPORT.fact(
        f"4. rolling update under load: {report['sent']} requests, {report['ok']} ok, {report['failed']} failed "
        f"{report['errors'] or ''} in {report['seconds']:.1f}s; versions answered {report['versions']}; "
        f"{watch.describe()}"
    )
    assert set(report["versions"]) == {"1.0.0", "1.0.1"}, f"the load did not span the rollout: {report}"
    assert report["failed"] == 0, f"requests failed during the rollout: {report}"
    assert watch.minimum >= REPLICAS, f"ready replicas dropped below {REPLICAS}: {watch.describe()}"
    lifecycle.done("rolling")


def test_5_database_changes_keep_the_rows_and_the_claim(dev: Project, cluster: Cluster, lifecycle: Lifecycle) -> None:
    lifecycle.require("rolling")
    rows = _row_count(cluster, "e2e-count-2")
    claim = _claim(cluster)
    # The same image under the patch tag the stack moves to, in the node's registry.
    copied = run(
        ["skopeo", "copy", "--quiet", "--insecure-policy", "--src-tls-verify=false", "--dest-tls-verify=false",
         f"docker://{REGISTRY}/library/postgres:17.6-alpine", f"docker://{REGISTRY}/library/postgres:{NEXT_DB_TAG}"],
        timeout=120,
    )  # fmt: skip
    assert copied.ok, copied.explain()
    dev.config_set("webstack:dbStorageSize", "2Gi")
    dev.config_set("webstack:dbImage", f"postgres:{NEXT_DB_TAG}")
    dev.config_set("webstack:dbCpuLimit", "750m")
    dev.config_set("webstack:dbMemoryLimit", "768Mi")
    _up(dev, "5. pulumi up (db size 2Gi, image patch tag, limits)")
    changes = _changes(dev.last_update())
    assert not {"replace", "create-replacement", "delete-replaced", "delete", "create"} & set(changes), changes
    after = _claim(cluster)
    assert after["metadata"]["uid"] == claim["metadata"]["uid"], "the data volume's claim was replaced"
    assert after["spec"]["volumeName"] == claim["spec"]["volumeName"]
    # The provider's await of a Recreate rollout has returned before the new server was Ready here (once
    # in several runs): wait for it, bounded, and say how long it took.
    lag = cluster.wait_all_ready(NAMESPACE, RECOVERY_BOUND)
    db = _assert_rolled_out(cluster, DB, 1)
    assert db["spec"]["template"]["spec"]["containers"][0]["image"] == f"postgres:{NEXT_DB_TAG}"
    assert _row_count(cluster, "e2e-count-3") == rows
    REPORT.fact(
        f"5. database resources, image tag 17.6-alpine -> {NEXT_DB_TAG}, volume 1Gi -> 2Gi: rows {rows} -> "
        f"{rows}, claim UID {claim['metadata']['uid']} kept; update changes {changes}; every pod Ready "
        f"{lag:.1f}s after pulumi up returned"
    )
    lifecycle.done("data")


def test_5b_shrinking_the_volume_fails_preview_and_changes_nothing(
    dev: Project, cluster: Cluster, lifecycle: Lifecycle
) -> None:
    # The program refuses it before registering anything, against the claim in the checkpoint: left
    # to the API server, the refusal came mid-preview and the engine's shutdown printed a traceback.
    lifecycle.require("data")
    before = _claim(cluster)
    capacity = before["status"]["capacity"]["storage"]
    dev.config_set("webstack:dbStorageSize", "1Gi")
    try:
        result = dev.pulumi("preview", "--stack", dev.stack)
    finally:
        dev.config_set("webstack:dbStorageSize", "2Gi")
    REPORT.time("5b. pulumi preview (webstack:dbStorageSize 2Gi -> 1Gi)", result)
    assert not result.ok, "preview accepted a smaller volume"
    expected = (
        f"webstack:dbStorageSize: '1Gi' is smaller than the 2Gi the volume {NAMESPACE}/{DB}-data was last given; "
        "a PersistentVolumeClaim grows but never shrinks"
    )
    assert expected in result.output, result.output
    assert "Traceback" not in result.output, result.output
    # Refused before registration: the engine never asked the provider about the claim.
    assert "kubernetes:core/v1:PersistentVolumeClaim" not in result.output, result.output
    after = _claim(cluster)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"], "the claim changed"
    assert after["spec"]["resources"]["requests"]["storage"] == "2Gi"
    refusal = next(line.strip() for line in result.output.splitlines() if "webstack:dbStorageSize" in line)
    REPORT.fact(f"5b. shrink: preview exited {result.returncode} (claim capacity {capacity}): '{refusal}'")
    lifecycle.done("shrink")


ROWS_CHECKSUM = "SELECT count(*) || ':' || md5(string_agg(id || ':' || body, ',' ORDER BY id)) FROM webstack_demo_rows"
# The Secrets a destroy keeps with the data: the app role's and the admin roles' credentials.
KEPT_SECRETS = ("postgres-credentials", "postgres-admin-credentials")


def _server_sql(cluster: Cluster, sql: str, database: str) -> str:
    """``sql`` as the superuser, on the server container's trusted local socket."""
    result = cluster.kubectl(
        "exec", "-n", NAMESPACE, f"deployment/{DB}", "-c", "postgres", "--",
        "psql", "--no-psqlrc", "-h", "/var/run/postgresql", "-U", "postgres", "-d", database, "-tAc", sql,
    )  # fmt: skip
    assert result.ok, result.explain()
    return result.stdout.strip()


def _restore_script(cluster: Cluster, *args: str) -> Result:
    """scripts/restore.sh for the dev stack, with the cluster's kubectl and kubeconfig."""
    env = base_env()
    env["KUBECONFIG"] = str(cluster.kubeconfig)
    env["PATH"] = f"{Path(cluster.kubectl_bin).parent}:{env['PATH']}"
    return run([str(ROOT / "scripts" / "restore.sh"), "dev", *args], env=env, timeout=600)


def test_6_backup_job_writes_a_dump_that_restores(
    dev: Project, cluster: Cluster, lifecycle: Lifecycle, tmp_path: Path
) -> None:
    lifecycle.require("data")
    dev.config_set("webstack:dbBackupEnabled", "true")
    dev.config_set("webstack:dbBackupStorageSize", "1Gi")
    generation = _deployment(cluster, DB)["metadata"]["generation"]
    _up(dev, "6a. pulumi up (backups on)")
    # The server learns of the backup role at start (DB_BACKUP_ENABLED): its pod is replaced.
    assert _deployment(cluster, DB)["metadata"]["generation"] > generation, "the database's pod template kept"
    rows, blip = _row_count_after_up(cluster, "e2e-count-4")
    REPORT.fact(f"6. right after backups on (database pod replaced): {blip} of 15 GET /rows a second apart failed")
    made = cluster.kubectl("create", "job", "-n", NAMESPACE, f"--from=cronjob/{BACKUP_CRONJOB}", "e2e-backup")
    assert made.ok, made.explain()
    waited = cluster.kubectl(
        "wait", "-n", NAMESPACE, "--for=condition=complete", "job/e2e-backup", "--timeout=240s", timeout=260
    )
    job_log = cluster.kubectl("logs", "-n", NAMESPACE, "job/e2e-backup").output
    assert waited.ok, f"{waited.explain()}\n{job_log}"
    # The job keeps a dump only after pg_restore has listed and read it.
    assert "written and verified" in job_log, job_log

    listed = _restore_script(cluster, "--list")
    assert listed.ok, listed.explain()
    dumps = sorted(word for word in listed.stdout.split() if word.startswith("app-") and word.endswith(".dump"))
    assert dumps, listed.stdout
    dump = dumps[-1]
    restored = _restore_script(cluster, dump, "--into", "restore_check")
    assert restored.ok, restored.explain()
    assert "tables restored into restore_check, owned by app" in restored.stdout, restored.stdout
    live = _server_sql(cluster, ROWS_CHECKSUM, "app")
    copy = _server_sql(cluster, ROWS_CHECKSUM, "restore_check")
    assert copy == live, f"restored rows differ from the live ones: {copy} != {live}"
    assert int(live.split(":")[0]) == rows
    owner = _server_sql(
        cluster, "SELECT tableowner FROM pg_tables WHERE tablename = 'webstack_demo_rows'", "restore_check"
    )
    assert owner == "app"
    _server_sql(cluster, "DROP DATABASE restore_check", "postgres")

    # Shipping off the cluster: the dump copied to a local file, byte for byte readable.
    fetched = run(
        [str(ROOT / "scripts" / "restore.sh"), "dev", "--fetch", dump],
        env={**base_env(), "KUBECONFIG": str(cluster.kubeconfig),
             "PATH": f"{Path(cluster.kubectl_bin).parent}:{base_env()['PATH']}"},
        timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert fetched.ok, fetched.explain()
    assert (tmp_path / dump).stat().st_size > 0
    REPORT.fact(
        f"6. backup job: {job_log.strip().splitlines()[-1]}; restore.sh {dump} --into restore_check: "
        f"{restored.stdout.strip().splitlines()[-1]}; checksum equal to the live table's ({live}); fetched "
        f"{(tmp_path / dump).stat().st_size} bytes off the cluster"
    )
    lifecycle.done("backup")


LEAST_PRIVILEGE_SCRIPT = r"""
sleep 3  # until the NetworkPolicy enforcer admits this new pod
probe() {
  if psql --no-psqlrc -tAc "$2" ${3:+-d "$3"} >/dev/null 2>&1; then echo "$1=allowed"; else echo "$1=denied"; fi
}
echo "superuser=$(psql --no-psqlrc -tAc "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")"
echo "owner=$(psql --no-psqlrc -tAc "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'")"
probe own_table 'CREATE TABLE e2e_probe (id int); DROP TABLE e2e_probe'
probe set_role_postgres 'SET ROLE postgres'
probe create_database 'CREATE DATABASE e2e_escape'
probe create_role 'CREATE ROLE e2e_escape'
probe read_authid 'SELECT rolpassword FROM pg_authid'
probe database_postgres 'SELECT 1' postgres
probe database_template1 'SELECT 1' template1
# Last: the app's password under the superuser's name.
PGUSER=postgres probe login_as_postgres 'SELECT 1'
"""


def test_6b_the_app_s_credentials_reach_its_database_and_nothing_else(cluster: Cluster, lifecycle: Lifecycle) -> None:
    # A pod with the web app's labels (admitted by the database's policies) and its credentials.
    lifecycle.require("backup")
    env = [
        {"name": "PGHOST", "value": f"{DB}.{NAMESPACE}.svc"},
        {"name": "PGDATABASE", "value": "app"},
        {"name": "PGUSER", "value": "app"},
        {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "postgres-credentials", "key": "password"}}},
    ]
    phase, log = cluster.run_pod(
        NAMESPACE, "e2e-least-privilege", ["/bin/sh", "-c", LEAST_PRIVILEGE_SCRIPT],
        image="postgres:17.6-alpine", labels=APP_LABELS, env=env,
    )  # fmt: skip
    assert phase == "Succeeded", log
    facts = dict(line.split("=", 1) for line in log.strip().splitlines() if "=" in line)
    assert facts == {
        "superuser": "f",
        "owner": "app",
        "set_role_postgres": "denied",
        "create_database": "denied",
        "create_role": "denied",
        "read_authid": "denied",
        "database_postgres": "denied",
        "database_template1": "denied",
        "login_as_postgres": "denied",
        "own_table": "allowed",
    }, log
    REPORT.fact(f"6b. the app's role: {', '.join(f'{k} {v}' for k, v in facts.items())}")
    lifecycle.done("least-privilege")


def _timed_recovery(cluster: Cluster, what: str) -> float:
    seconds = cluster.wait_all_ready(NAMESPACE, RECOVERY_BOUND)
    REPORT.fact(f"8. {what}: every pod Ready again after {seconds:.1f}s (bound {RECOVERY_BOUND:.0f}s)")
    return seconds


def _ctr_bin() -> str:
    result = run([str(ROOT / "scripts" / "toolchain.sh"), "bin-path", "node"], timeout=60)
    assert result.ok, result.explain()
    return result.stdout.strip() + "/ctr"


def test_8_faults_heal_and_the_rows_stay(cluster: Cluster, lifecycle: Lifecycle) -> None:
    lifecycle.require("data")
    rows = _row_count(cluster, "e2e-count-7")
    db_pod = next(p for p in cluster.pods(NAMESPACE) if p["metadata"]["name"].startswith(f"{DB}-"))
    container_id = next(c for c in db_pod["status"]["containerStatuses"] if c["name"] == "postgres")["containerID"]
    killed = cluster.ctr(_ctr_bin(), "task", "kill", "--signal", "SIGKILL", container_id.split("://", 1)[1])
    assert killed.ok, killed.explain()
    time.sleep(3)
    _timed_recovery(cluster, "PostgreSQL container killed (SIGKILL)")
    restarted = restarts(cluster.pods(NAMESPACE))
    assert restarted[f"{db_pod['metadata']['name']}/postgres"] >= 1, restarted

    names = [p["metadata"]["name"] for p in cluster.pods(NAMESPACE)]
    app_pod = next(name for name in names if name.startswith(f"{APP}-"))
    deleted = cluster.kubectl("delete", "pod", "-n", NAMESPACE, app_pod, "--wait=false")
    assert deleted.ok, deleted.explain()
    time.sleep(2)
    _timed_recovery(cluster, f"app pod {app_pod} deleted")

    for component in ("containerd", "kubelet"):
        restart = run([str(ROOT / "scripts" / "cluster.sh"), "restart", component], env=cluster.env(), timeout=300)
        assert restart.ok, restart.explain()
        time.sleep(2)
        _timed_recovery(cluster, f"{component} restarted")
        # The restarted runtime starts new containers: a client pod runs and reads the rows.
        assert _row_count(cluster, f"e2e-after-{component}") == rows
    assert _row_count(cluster, "e2e-count-8") == rows
    REPORT.fact(f"8. after the faults the app reads the same {rows} rows")
    lifecycle.done("faults")


def test_9_port_forward_reaches_the_app(cluster: Cluster, lifecycle: Lifecycle) -> None:
    """The path scripts/deploy.sh prints for people: kubectl port-forward to the Service, then HTTP."""
    lifecycle.require("up")
    env = {**base_env(), "KUBECONFIG": str(cluster.kubeconfig)}
    argv = [cluster.kubectl_bin, "-n", NAMESPACE, "port-forward", f"service/{APP}", ":80"]
    body = get_through_port_forward(argv, "/ready", env)
    assert body == {"status": "ready"}, body
    REPORT.fact(f"9. kubectl port-forward service/{APP} to a local port: GET /ready {body}")


def test_7_destroy_then_up_adopts_the_data_and_the_app_logs_in(
    dev: Project, cluster: Cluster, lifecycle: Lifecycle
) -> None:
    lifecycle.require("data")
    rows = _row_count(cluster, "e2e-count-5")
    claim = _claim(cluster)
    secrets = {name: cluster.get_json("secret", name, "-n", NAMESPACE)["metadata"]["uid"] for name in KEPT_SECRETS}
    destroyed = dev.pulumi("destroy", "--yes", "--stack", dev.stack)
    REPORT.time("7a. pulumi destroy", destroyed)
    assert destroyed.ok, destroyed.explain()
    assert not cluster.exists("deployment", APP, "-n", NAMESPACE)
    kept = _claim(cluster)
    assert kept["metadata"]["uid"] == claim["metadata"]["uid"]
    for name, uid in secrets.items():
        assert cluster.get_json("secret", name, "-n", NAMESPACE)["metadata"]["uid"] == uid, f"{name} was deleted"
    _up(dev, "7b. pulumi up after destroy (adopts the retained volume and credentials)")
    adopted = _claim(cluster)
    assert adopted["metadata"]["uid"] == claim["metadata"]["uid"], "a new, empty volume replaced the retained one"
    for name, uid in secrets.items():
        assert cluster.get_json("secret", name, "-n", NAMESPACE)["metadata"]["uid"] == uid, f"{name} was replaced"
    cluster.wait_all_ready(NAMESPACE, RECOVERY_BOUND)
    assert _row_count(cluster, "e2e-count-6") == rows
    REPORT.fact(
        f"7. destroy then up: claim UID {claim['metadata']['uid']} adopted, the app logged in with its credentials "
        f"and read the same {rows} rows"
    )
    lifecycle.done("adopt")
