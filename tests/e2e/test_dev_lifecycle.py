"""The dev stack's life on a real control plane: deploy, re-deploy, roll, change the database, bad input, destroy.

The steps run in file order against one stack and share its state; each needs the one before it and
fails at once, naming it, when that one failed. The bad-input step runs before the destroy so that
"the cluster is untouched" is checked against a deployed stack.

The cluster is kwok (scripts/cluster.sh): a real kube-apiserver (with its admission plugins,
PodSecurity included), controller-manager and scheduler, but fake nodes on which kwok marks every
scheduled pod Running and Ready at once. No container runs: Ready here proves what the API and the
controllers did (the rollout strategy, the PodSecurity admission, the volume binding), not that the
app or PostgreSQL would start.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.cluster import Cluster, DeploymentWatcher, Project
from tests.e2e.conftest import REPORT, Lifecycle

pytestmark = pytest.mark.e2e

NAMESPACE = "webstack-dev"  # Pulumi.dev.yaml
APP = "web"
DB = "postgres"
CLAIM = "postgres-data"
RELEASE_NAMESPACE = "ingress"
PROBE_CONFIG_MAP = "traefik-probe"  # the stand-in chart's ConfigMap, named after the release
REPLICAS = 3
NEW_IMAGE = "ghcr.io/stefanprodan/podinfo:6.8.0"
NEW_DB_IMAGE = "postgres:17.7-alpine"
# Kinds the program creates in the namespace (the bad-input step compares their UIDs and versions).
SNAPSHOT_KINDS = (
    "deployments,services,configmaps,secrets,serviceaccounts,persistentvolumeclaims,networkpolicies,"
    "resourcequotas,limitranges,ingresses,poddisruptionbudgets"
)

PRIVILEGED_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "psa-probe", "namespace": NAMESPACE},
    "spec": {
        "containers": [{"name": "c", "image": "busybox:1.36", "securityContext": {"privileged": True, "runAsUser": 0}}]
    },
}


def _deployment(cluster: Cluster, name: str) -> dict[str, Any]:
    return cluster.get_json("deployment", name, "-n", NAMESPACE)


def _assert_ready(cluster: Cluster, name: str, replicas: int) -> dict[str, Any]:
    deploy = _deployment(cluster, name)
    status = deploy.get("status") or {}
    assert deploy["spec"]["replicas"] == replicas
    assert status.get("readyReplicas", 0) == replicas, f"{name}: {status}"
    assert status.get("updatedReplicas", 0) == replicas, f"{name}: {status}"
    assert status.get("observedGeneration") == deploy["metadata"]["generation"], f"{name}: {status}"
    return deploy


def _claim(cluster: Cluster) -> dict[str, Any]:
    return cluster.get_json("pvc", CLAIM, "-n", NAMESPACE)


def _changes(update: dict[str, Any]) -> dict[str, int]:
    return {op: n for op, n in (update.get("resourceChanges") or {}).items() if n}


def _snapshot(cluster: Cluster) -> dict[str, tuple[str, str]]:
    """kind/name → (uid, resourceVersion) of every object of the program's kinds in the namespace and
    the release's namespace, and of the namespaces themselves."""
    objects: list[dict[str, Any]] = []
    for ns in (NAMESPACE, RELEASE_NAMESPACE):
        objects += cluster.get_json(SNAPSHOT_KINDS, "-n", ns)["items"]
    objects += cluster.get_json("namespace", NAMESPACE, RELEASE_NAMESPACE)["items"]
    return {
        f"{o['kind']}/{o['metadata'].get('namespace', '')}/{o['metadata']['name']}": (
            o["metadata"]["uid"],
            o["metadata"]["resourceVersion"],
        )
        for o in objects
    }


def test_1_up_deploys_dev(dev: Project, cluster: Cluster, lifecycle: Lifecycle) -> None:
    result = dev.up()
    REPORT.time("1. pulumi up (dev, first deployment)", result)
    assert result.ok, result.explain()
    assert "local cluster: cert-manager, monitoring and ClusterIssuers are off" in result.output
    REPORT.fact(
        "e2e config: WEBSTACK_LOCAL_CLUSTER=1 (Pulumi.dev.yaml otherwise as committed): the traefik release "
        "installs the stand-in chart tests/charts/webstack-probe; cert-manager, kube-prometheus-stack, the "
        "ClusterIssuers and the ServiceMonitor are switched off (their charts are not reachable offline)"
    )

    # Pod Security: the label is on the namespace, and the API server enforces it.
    labels = cluster.get_json("namespace", NAMESPACE)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    probe = cluster.kubectl("apply", "--dry-run=server", "-f", "-", stdin=json.dumps(PRIVILEGED_POD))
    assert not probe.ok, f"a privileged pod was admitted into {NAMESPACE}:\n{probe.output}"
    assert 'violates PodSecurity "restricted:latest"' in probe.output, probe.output
    refusal = probe.stderr.strip().splitlines()[0]
    REPORT.fact(f"Pod Security: privileged pod refused by the API server: {refusal.split(': privileged')[0]}: ...")

    # The workloads: the app and the database are Ready, the volume is Bound.
    _assert_ready(cluster, APP, 1)
    db = _assert_ready(cluster, DB, 1)
    assert db["spec"]["strategy"]["type"] == "Recreate"
    claim = _claim(cluster)
    assert claim["status"]["phase"] == "Bound"
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"

    # The Helm release from the local test chart is installed (by the provider's embedded Helm).
    releases = [r for r in dev.resources() if r["type"] == "kubernetes:helm.sh/v3:Release"]
    assert len(releases) == 1, [r["urn"] for r in releases]
    status = releases[0]["outputs"]["status"]
    assert status["status"] == "deployed", status
    assert status["chart"] == "webstack-probe", status
    probe_cm = cluster.get_json("configmap", PROBE_CONFIG_MAP, "-n", RELEASE_NAMESPACE)
    assert probe_cm["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    assert probe_cm["data"]["release"] == "traefik"
    REPORT.fact(
        f"helm release: {status['name']} chart {status['chart']} {status['version']} status {status['status']} "
        f"in namespace {status['namespace']}; ConfigMap {RELEASE_NAMESPACE}/{PROBE_CONFIG_MAP} present"
    )
    lifecycle.done("up")


def test_2_second_up_changes_nothing(dev: Project, lifecycle: Lifecycle) -> None:
    lifecycle.require("up")
    result = dev.up("--expect-no-changes")
    REPORT.time("2. pulumi up again (expect no changes)", result)
    assert result.ok, result.explain()
    update = dev.last_update()
    assert update["result"] == "succeeded"
    changes = _changes(update)
    # "read": the stack's StackReference to its own last outputs, read on every run; not a change.
    assert set(changes) <= {"same", "read"}, f"the second up changed something: {changes}"
    REPORT.fact(f"second up: resourceChanges {changes} (0 created, updated, replaced or deleted)")
    lifecycle.done("no-change")


def test_3_rolling_update_keeps_every_replica_ready(dev: Project, cluster: Cluster, lifecycle: Lifecycle) -> None:
    lifecycle.require("no-change")
    # With one replica "never below desired" says little: scale out first, in an up of its own.
    dev.config_set("webstack:appReplicas", str(REPLICAS))
    scaled = dev.up()
    REPORT.time(f"3a. pulumi up (appReplicas {REPLICAS})", scaled)
    assert scaled.ok, scaled.explain()
    before = _assert_ready(cluster, APP, REPLICAS)
    strategy = before["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0

    dev.config_set("webstack:appImage", NEW_IMAGE)
    with DeploymentWatcher(cluster, NAMESPACE, APP) as watcher:
        rolled = dev.up()
    REPORT.time("3b. pulumi up (new image tag, watched)", rolled)
    assert rolled.ok, rolled.explain()
    report = watcher.report(desired=REPLICAS)
    assert not watcher.errors, watcher.errors
    assert report.polls, "the watcher took no sample"

    after = _assert_ready(cluster, APP, REPLICAS)
    assert after["spec"]["template"]["spec"]["containers"][0]["image"] == NEW_IMAGE
    # The watch saw the rollout itself: the new generation and, on the way, pods of the old template.
    assert after["metadata"]["generation"] in {s.generation for s in report.events}
    assert any(s.updated < s.replicas or s.replicas > REPLICAS for s in report.events), (
        "the watcher saw no intermediate state of the rollout"
    )
    print(report.describe())
    REPORT.fact(f"rolling update: {report.describe()}")
    REPORT.fact(
        "  (kwok marks pods Ready as soon as they are scheduled: this proves the rollout strategy "
        "(maxUnavailable 0, surge first), not the app's real readiness)"
    )
    assert report.minimum >= REPLICAS, f"ready replicas dropped below {REPLICAS}: {report.describe()}"
    lifecycle.done("rolling")


def test_4_volume_survives_size_label_and_resource_changes(
    dev: Project, cluster: Cluster, lifecycle: Lifecycle
) -> None:
    lifecycle.require("rolling")
    before = _claim(cluster)
    uid = before["metadata"]["uid"]
    volume = before["spec"]["volumeName"]

    dev.config_set("webstack:dbStorageSize", "2Gi")  # grows in place
    dev.config_set("webstack:dbImage", NEW_DB_IMAGE)  # changes the app.kubernetes.io/version label
    dev.config_set("webstack:dbCpuLimit", "750m")
    dev.config_set("webstack:dbMemoryLimit", "768Mi")
    result = dev.up()
    REPORT.time("4. pulumi up (dbStorageSize 2Gi, dbImage tag, db limits)", result)
    assert result.ok, result.explain()
    changes = _changes(dev.last_update())
    assert not {"replace", "create-replacement", "delete-replaced", "delete", "create"} & set(changes), changes

    after = _claim(cluster)
    assert after["metadata"]["uid"] == uid, "the data volume's claim was replaced"
    assert after["spec"]["volumeName"] == volume
    assert after["status"]["phase"] == "Bound"
    assert after["spec"]["resources"]["requests"]["storage"] == "2Gi"
    assert after["metadata"]["labels"]["app.kubernetes.io/version"] == "17.7-alpine"
    db = _assert_ready(cluster, DB, 1)
    container = db["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == NEW_DB_IMAGE
    assert container["resources"]["limits"]["cpu"] == "750m"
    assert container["resources"]["limits"]["memory"] == "768Mi"
    REPORT.fact(
        f"data volume {NAMESPACE}/{CLAIM}: UID before {uid}, "
        f"after size/label/resource changes {after['metadata']['uid']} "
        f"(PV {volume}; request 1Gi -> 2Gi, version label 17.6-alpine -> 17.7-alpine); update changes {changes}"
    )
    lifecycle.done("data")


def test_5_invalid_config_fails_preview_and_touches_nothing(
    dev: Project, cluster: Cluster, lifecycle: Lifecycle
) -> None:
    lifecycle.require("data")
    snapshot = _snapshot(cluster)
    resources_before = len(dev.resources())
    dev.config_set("webstack:appReplicas", "0")
    try:
        result = dev.pulumi("preview", "--stack", dev.stack)
    finally:
        dev.config_set("webstack:appReplicas", str(REPLICAS))
    REPORT.time("5. pulumi preview (webstack:appReplicas 0)", result)
    assert not result.ok, "preview accepted appReplicas 0"
    assert "webstack:appReplicas: 0 is out of range; use a whole number from 1 to 100" in result.output, result.output
    assert "Traceback" not in result.output, result.output
    after = _snapshot(cluster)
    changed = sorted(k for k in set(snapshot) | set(after) if snapshot.get(k) != after.get(k))
    assert not changed, f"objects changed by a failed preview: {changed}"
    assert len(dev.resources()) == resources_before
    error = next(line.strip() for line in result.output.splitlines() if "webstack:appReplicas" in line)
    REPORT.fact(
        f"bad input: preview exited {result.returncode} with '{error}'; {len(after)} objects unchanged (UID and "
        "resourceVersion)"
    )
    lifecycle.done("bad-input")


def test_6_destroy_keeps_the_volume_and_removes_the_workloads(
    dev: Project, cluster: Cluster, lifecycle: Lifecycle
) -> None:
    lifecycle.require("data")
    claim = _claim(cluster)
    volume = claim["spec"]["volumeName"]
    result = dev.pulumi("destroy", "--yes", "--stack", dev.stack)
    REPORT.time("6. pulumi destroy", result)
    assert result.ok, result.explain()
    assert dev.resources() == [], "the stack still holds resources"

    for name in (APP, DB):
        assert not cluster.exists("deployment", name, "-n", NAMESPACE), f"Deployment {name} survived the destroy"
    assert not cluster.exists("service", APP, "-n", NAMESPACE)
    assert not cluster.exists("secret", "postgres-credentials", "-n", NAMESPACE)
    assert not cluster.exists("namespace", RELEASE_NAMESPACE) or not cluster.exists(
        "configmap", PROBE_CONFIG_MAP, "-n", RELEASE_NAMESPACE
    ), "the Helm release's objects survived the destroy"

    kept = _claim(cluster)
    assert kept["metadata"]["uid"] == claim["metadata"]["uid"]
    assert kept["status"]["phase"] == "Bound"
    assert cluster.exists("pv", volume), f"PersistentVolume {volume} is gone"
    namespace = cluster.get_json("namespace", NAMESPACE)
    assert namespace["status"]["phase"] == "Active", "the namespace holding the volume is being deleted"
    REPORT.fact(
        f"destroy: Deployments {APP}, {DB} gone; PVC {NAMESPACE}/{CLAIM} kept (UID {kept['metadata']['uid']}, "
        f"Bound to PV {volume}); namespace {NAMESPACE} kept (retained: it holds the volume)"
    )
    lifecycle.done("destroy")


def test_7_deploying_again_adopts_the_retained_volume(dev: Project, cluster: Cluster, lifecycle: Lifecycle) -> None:
    lifecycle.require("destroy")
    claim = _claim(cluster)
    result = dev.up()
    REPORT.time("7. pulumi up after destroy (adopts the retained volume)", result)
    assert result.ok, result.explain()
    adopted = _claim(cluster)
    assert adopted["metadata"]["uid"] == claim["metadata"]["uid"], "a new, empty volume replaced the retained one"
    assert adopted["spec"]["volumeName"] == claim["spec"]["volumeName"]
    _assert_ready(cluster, DB, 1)
    _assert_ready(cluster, APP, REPLICAS)
    REPORT.fact(f"deploy after destroy: the same claim is back under management (UID {adopted['metadata']['uid']})")
