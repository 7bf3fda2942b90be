"""The e2e tier's tools: a throwaway cluster with a real node, a project copy on it, kubectl, client pods and a
Deployment watcher.

Nothing here touches the repository's own files or the developer's Pulumi and Kubernetes setup: the
cluster has its own name and state directory, the project is copied (``tests/workspace.py``), and
every command gets an environment built for this run (file backend, passphrase, PULUMI_HOME,
KUBECONFIG all under the run's temp directory).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.workspace import ROOT, Result, base_env, copy_project, pulumi_env, run
from webstack.config.runtime import DEMO_APP, LOCAL_CLUSTER_ENV

PASSPHRASE = "webstack-e2e-tests-only"
COMMAND_TIMEOUT = 420  # seconds for one pulumi command; a healthy one takes well under a minute here
KUBECTL_TIMEOUT = 60
REGISTRY = "127.0.0.1:5000"  # scripts/lib/node.sh's default WEBSTACK_REGISTRY_PORT
DEMO_IMAGE = f"{REGISTRY}/webstack/demo:1.0.0"
DEMO_IMAGE_NEXT = f"{REGISTRY}/webstack/demo:1.0.1"
# Client pods pass Pod Security "restricted" wherever they run.
RESTRICTED_POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": 10001,
    "runAsGroup": 10001,
    "seccompProfile": {"type": "RuntimeDefault"},
}
RESTRICTED_CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}


# -- the cluster ----------------------------------------------------------------------------------


@dataclass
class Cluster:
    """A kwok cluster made by ``scripts/cluster.sh up`` with its own name and state directory."""

    name: str
    state_dir: Path
    kubectl_bin: str
    kubeconfig: Path = field(init=False)

    def __post_init__(self) -> None:
        self.kubeconfig = self.state_dir / "kubeconfig"

    def env(self) -> dict[str, str]:
        env = base_env()
        env.update({"WEBSTACK_CLUSTER_NAME": self.name, "WEBSTACK_STATE_DIR": str(self.state_dir)})
        return env

    def script(self, command: str, timeout: float = 300) -> Result:
        return run([str(ROOT / "scripts" / "cluster.sh"), command], env=self.env(), timeout=timeout)

    def kubectl(self, *args: str, timeout: float = KUBECTL_TIMEOUT, stdin: str | None = None) -> Result:
        env = base_env()
        env["KUBECONFIG"] = str(self.kubeconfig)
        return run([self.kubectl_bin, *args], env=env, timeout=timeout, stdin=stdin)

    def get_json(self, *args: str) -> dict[str, Any]:
        """``kubectl get ARGS -o json``, parsed; fails the test with kubectl's message on an error."""
        result = self.kubectl("get", *args, "-o", "json")
        if not result.ok:
            raise AssertionError(result.explain())
        return dict(json.loads(result.stdout))

    @property
    def node_dir(self) -> Path:
        return self.state_dir / "node"

    def ctr(self, ctr_bin: str, *args: str) -> Result:
        """containerd's own client, on the node's containerd socket, in the CRI namespace."""
        sock = self.node_dir / "containerd" / "containerd.sock"
        return run([ctr_bin, "--address", str(sock), "-n", "k8s.io", *args], env=base_env(), timeout=KUBECTL_TIMEOUT)

    def run_pod(
        self, namespace: str, name: str, command: list[str], *, timeout: float = 240, **pod: Any
    ) -> tuple[str, str]:
        """Run a one-shot pod to its end; return its phase and its log. The pod is deleted afterwards."""
        self.start_pod(namespace, name, command, **pod)
        try:
            phase = self.wait_pod_done(namespace, name, timeout)
            logs = self.kubectl("logs", "-n", namespace, name)
            return phase, logs.stdout if logs.ok else logs.explain()
        finally:
            self.kubectl("delete", "pod", "-n", namespace, name, "--wait=false", "--ignore-not-found")

    def start_pod(  # the pod's parts: see run_pod
        self,
        namespace: str,
        name: str,
        command: list[str],
        *,
        image: str = DEMO_IMAGE,
        labels: dict[str, str] | None = None,
        env: list[dict[str, Any]] | None = None,
        volumes: list[dict[str, Any]] | None = None,
        mounts: list[dict[str, Any]] | None = None,
    ) -> None:
        container: dict[str, Any] = {
            "name": "client",
            "image": image,
            "imagePullPolicy": "IfNotPresent",
            "command": command,
            "securityContext": RESTRICTED_CONTAINER_SECURITY,
            "resources": {
                "requests": {"cpu": "20m", "memory": "32Mi", "ephemeral-storage": "16Mi"},
                "limits": {"cpu": "500m", "memory": "128Mi", "ephemeral-storage": "64Mi"},
            },
            "env": env or [],
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, *(mounts or [])],
        }
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {"app.kubernetes.io/name": name}},
            "spec": {
                "restartPolicy": "Never",
                "automountServiceAccountToken": False,
                "securityContext": {**RESTRICTED_POD_SECURITY, "fsGroup": 10001},
                "containers": [container],
                "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}, *(volumes or [])],
            },
        }
        created = self.kubectl("apply", "-f", "-", stdin=json.dumps(pod))
        if not created.ok:
            raise AssertionError(created.explain())

    def wait_pod_done(self, namespace: str, name: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        phase = ""
        while time.monotonic() < deadline:
            got = self.kubectl("get", "pod", "-n", namespace, name, "-o", "jsonpath={.status.phase}")
            phase = got.stdout.strip() if got.ok else ""
            if phase in ("Succeeded", "Failed"):
                return phase
            time.sleep(1)
        raise AssertionError(f"pod {namespace}/{name} still {phase or 'absent'} after {timeout:.0f}s")

    def pods(self, namespace: str) -> list[dict[str, Any]]:
        return list(self.get_json("pods", "-n", namespace)["items"])

    def wait_all_ready(self, namespace: str, timeout: float, skip_jobs: bool = True) -> float:
        """Seconds until every pod of ``namespace`` (but finished Job pods) is Running and Ready."""
        start = time.monotonic()
        deadline = start + timeout
        last: list[str] = []
        while time.monotonic() < deadline:
            last = not_ready(self.pods(namespace), skip_jobs)
            if not last:
                return time.monotonic() - start
            time.sleep(1)
        raise AssertionError(f"pods not Ready in {namespace} after {timeout:.0f}s: {last}")

    def exists(self, *args: str) -> bool:
        result = self.kubectl("get", *args, "--ignore-not-found", "-o", "name")
        if not result.ok:
            raise AssertionError(result.explain())
        return bool(result.stdout.strip())


def not_ready(pods: list[dict[str, Any]], skip_jobs: bool = True) -> list[str]:
    """Pods that are not Running with every container Ready (as the kubelet reports), with why."""
    out = []
    for pod in pods:
        owners = {o.get("kind") for o in pod["metadata"].get("ownerReferences") or []}
        if skip_jobs and "Job" in owners:
            continue
        if pod["metadata"].get("deletionTimestamp"):
            out.append(f"{pod['metadata']['name']}: terminating")
            continue
        status = pod.get("status") or {}
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions") or [])
        if status.get("phase") != "Running" or not ready:
            waiting = [
                (c.get("state") or {}).get("waiting", {}).get("reason", "")
                for c in status.get("containerStatuses") or []
            ]
            out.append(f"{pod['metadata']['name']}: {status.get('phase')} ready={ready} {waiting}")
    return out


def restarts(pods: list[dict[str, Any]]) -> dict[str, int]:
    return {
        f"{p['metadata']['name']}/{c['name']}": int(c.get("restartCount") or 0)
        for p in pods
        for c in (p.get("status") or {}).get("containerStatuses") or []
    }


def get_through_port_forward(argv: list[str], path: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``kubectl port-forward`` (``argv``, its local port left to the system), GET ``path`` through it."""
    forward = subprocess.Popen(
        [*argv, "--address=127.0.0.1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert forward.stdout is not None
        first = forward.stdout.readline()  # "Forwarding from 127.0.0.1:PORT -> 8080"
        assert "Forwarding from 127.0.0.1:" in first, first
        port = int(first.split("127.0.0.1:")[1].split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return dict(json.load(response))
    finally:
        forward.terminate()
        try:
            forward.wait(timeout=10)
        except subprocess.TimeoutExpired:
            forward.kill()


# -- the project ----------------------------------------------------------------------------------


@dataclass
class Project:
    """A copy of the project with one stack, driven through the real ``pulumi`` CLI."""

    workdir: Path
    stack: str
    cluster: Cluster
    dir: Path = field(init=False)

    def __post_init__(self) -> None:
        self.dir = copy_project(ROOT, self.workdir)

    def env(self) -> dict[str, str]:
        # Offline kwok cluster: the ingress controller release installs the stand-in chart
        # tests/charts/webstack-probe; cert-manager, monitoring, ClusterIssuers and the
        # ServiceMonitor are off (their charts are on the internet, and no container runs).
        return pulumi_env(self.workdir, PASSPHRASE, self.cluster.kubeconfig, {LOCAL_CLUSTER_ENV: "1"})

    def use_demo_app(self, image: str = DEMO_IMAGE) -> None:
        """The project's demo app in place of the stack file's public image, as stack config (so that a
        later ``appImage`` change rolls it; scripts/deploy.sh does the same through the environment)."""
        for key, value in {"appImage": image, **DEMO_APP}.items():
            self.config_set(f"webstack:{key}", str(value))

    def pulumi(self, *args: str, timeout: float = COMMAND_TIMEOUT) -> Result:
        return run(["pulumi", *args, "--non-interactive"], cwd=self.dir, env=self.env(), timeout=timeout)

    def ok(self, *args: str, timeout: float = COMMAND_TIMEOUT) -> Result:
        result = self.pulumi(*args, timeout=timeout)
        if not result.ok:
            raise AssertionError(result.explain())
        return result

    def config_set(self, key: str, value: str) -> None:
        self.ok("config", "set", "--stack", self.stack, key, value)

    def up(self, *extra: str) -> Result:
        return self.pulumi("up", "--yes", "--stack", self.stack, *extra)

    def export(self) -> dict[str, Any]:
        return dict(json.loads(self.ok("stack", "export", "--stack", self.stack).stdout))

    def resources(self) -> list[dict[str, Any]]:
        return list(self.export().get("deployment", {}).get("resources") or [])

    def last_update(self) -> dict[str, Any]:
        """The newest entry of ``pulumi stack history``: its kind, result and resourceChanges."""
        history = json.loads(self.ok("stack", "history", "--stack", self.stack, "--json").stdout)
        return dict(history[0])


# -- the rolling-update watcher -------------------------------------------------------------------


@dataclass
class Sample:
    at: float
    ready: int
    updated: int
    replicas: int
    generation: int
    observed: int


@dataclass
class WatchReport:
    desired: int
    polls: list[Sample]
    events: list[Sample]

    @property
    def min_polled(self) -> int:
        return min(s.ready for s in self.polls)

    @property
    def min_watched(self) -> int:
        return min(s.ready for s in self.events)

    @property
    def minimum(self) -> int:
        return min(self.min_polled, self.min_watched)

    def describe(self) -> str:
        generations = sorted({s.generation for s in self.events})
        most = max(s.replicas for s in self.events + self.polls)
        return (
            f"desired {self.desired}; minimum readyReplicas {self.minimum} (polled every ~100 ms: min "
            f"{self.min_polled} over {len(self.polls)} samples; watch stream: min {self.min_watched} over "
            f"{len(self.events)} events, generations {generations}); up to {most} "
            "pods during the surge"
        )


def _sample(obj: dict[str, Any], at: float) -> Sample:
    status = obj.get("status") or {}
    return Sample(
        at=at,
        ready=int(status.get("readyReplicas") or 0),  # absent means none
        updated=int(status.get("updatedReplicas") or 0),
        replicas=int(status.get("replicas") or 0),
        generation=int(obj.get("metadata", {}).get("generation") or 0),
        observed=int(status.get("observedGeneration") or 0),
    )


class DeploymentWatcher:
    """Samples a Deployment's ``status.readyReplicas`` while something else changes it.

    Two views through ``kubectl proxy``: a poll of the object every ~100 ms, and a watch stream,
    which sees every status write the controllers make (kwok marks pods Ready at once, so a
    rollout can finish between two polls).
    """

    def __init__(self, cluster: Cluster, namespace: str, name: str, interval: float = 0.1) -> None:
        self.cluster, self.namespace, self.name, self.interval = cluster, namespace, name, interval
        self.polls: list[Sample] = []
        self.events: list[Sample] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._proxy: subprocess.Popen[str] | None = None
        self._base = ""

    def _url(self, query: str = "") -> str:
        return f"{self._base}/apis/apps/v1/namespaces/{self.namespace}/deployments{query}"

    def __enter__(self) -> DeploymentWatcher:
        env = base_env()
        env["KUBECONFIG"] = str(self.cluster.kubeconfig)
        self._proxy = subprocess.Popen(
            [self.cluster.kubectl_bin, "proxy", "--port=0", "--address=127.0.0.1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self._proxy.stdout is not None
        line = self._proxy.stdout.readline()  # "Starting to serve on 127.0.0.1:PORT"
        if "Starting to serve on" not in line:
            self._proxy.kill()
            raise AssertionError(f"kubectl proxy did not start: {line!r}")
        self._base = "http://" + line.rsplit(" ", 1)[-1].strip()
        with urllib.request.urlopen(self._url(f"/{self.name}"), timeout=10) as response:
            first = json.load(response)
        self.events.append(_sample(first, time.monotonic()))
        version = first["metadata"]["resourceVersion"]
        self._threads = [
            threading.Thread(target=self._poll, daemon=True),
            threading.Thread(target=self._watch, args=(version,), daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def _poll(self) -> None:
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(self._url(f"/{self.name}"), timeout=5) as response:
                    self.polls.append(_sample(json.load(response), time.monotonic()))
            except Exception as err:  # a lost sample is reported, never fatal to the thread
                # Not once stopping: __exit__ ends the proxy, possibly under a request in flight.
                if not self._stop.is_set():
                    self.errors.append(f"poll: {err}")
            self._stop.wait(self.interval)

    def _watch(self, version: str) -> None:
        query = f"?watch=1&fieldSelector=metadata.name%3D{self.name}&resourceVersion={version}&timeoutSeconds=600"
        try:
            with urllib.request.urlopen(self._url(query), timeout=620) as stream:
                for raw in stream:
                    if self._stop.is_set():
                        break
                    event = json.loads(raw)
                    if event.get("type") in ("ADDED", "MODIFIED"):
                        self.events.append(_sample(event["object"], time.monotonic()))
        except Exception as err:
            if not self._stop.is_set():
                self.errors.append(f"watch: {err}")

    def __exit__(self, *exc: object) -> None:
        # Let the watch stream deliver the last writes of the rollout before the proxy goes.
        time.sleep(0.5)
        self._stop.set()
        if self._proxy is not None:
            self._proxy.terminate()
            try:
                self._proxy.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proxy.kill()
        for thread in self._threads:
            thread.join(timeout=5)

    def report(self, desired: int) -> WatchReport:
        return WatchReport(desired=desired, polls=list(self.polls), events=list(self.events))
