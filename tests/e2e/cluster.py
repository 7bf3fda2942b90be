"""The e2e tier's tools: a throwaway kwok cluster, a throwaway project copy, kubectl and a Deployment watcher.

Nothing here touches the repository's own files or the developer's Pulumi and Kubernetes setup: the
cluster has its own name and state directory, the project is copied (so ``pulumi stack init`` writes
its ``encryptionsalt`` into the copy), and every command gets an environment built from scratch for
this run (file backend, passphrase, PULUMI_HOME, KUBECONFIG all under the run's temp directory).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webstack.config.runtime import LOCAL_CLUSTER_ENV

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "webstack-e2e-tests-only"
COMMAND_TIMEOUT = 420  # seconds for one pulumi command; a healthy one takes well under a minute here
KUBECTL_TIMEOUT = 60


@dataclass
class Result:
    """One command: its arguments, exit code, wall time and output."""

    args: list[str]
    returncode: int
    seconds: float
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def output(self) -> str:
        return self.stdout + "\n" + self.stderr

    def explain(self, tail: int = 60) -> str:
        shown = "\n".join(self.output.strip().splitlines()[-tail:])
        return f"`{' '.join(self.args)}` exited {self.returncode} after {self.seconds:.1f}s; last output:\n{shown}"


def run(
    args: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float,
    stdin: str | None = None,
) -> Result:
    start = time.perf_counter()
    try:
        done = subprocess.run(
            args,
            check=False,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
        )
        code, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        code, err = -1, f"timed out after {timeout}s"
    return Result(args, code, time.perf_counter() - start, out, err)


def base_env() -> dict[str, str]:
    """The caller's environment less anything that would point a command at another backend or cluster."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "WEBSTACK_")) and k != "KUBECONFIG"}


# -- the cluster ----------------------------------------------------------------------------------


@dataclass
class Cluster:
    """A kwok cluster made by ``scripts/cluster.sh up`` with its own name and state directory."""

    name: str
    state_dir: Path
    kubectl_bin: str
    kubeconfig: Path = field(init=False)
    up_seconds: float = 0.0

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

    def exists(self, *args: str) -> bool:
        result = self.kubectl("get", *args, "--ignore-not-found", "-o", "name")
        if not result.ok:
            raise AssertionError(result.explain())
        return bool(result.stdout.strip())


# -- the project ----------------------------------------------------------------------------------


def _project_files(root: Path) -> list[Path]:
    """Tracked and new (not ignored) files of the work tree: what a fresh clone plus local edits holds."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [Path(p) for p in listed.split("\0") if p and (root / p).is_file()]


def copy_project(workdir: Path) -> Path:
    """Copy the project to ``workdir/project``; its ``.venv`` is a link to the repository's own."""
    dest = workdir / "project"
    for rel in _project_files(ROOT):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    venv = ROOT / ".venv"
    if not (venv / "bin" / "python").exists():
        raise AssertionError(f"{venv} has no Python: run scripts/setup.sh first")
    (dest / ".venv").symlink_to(venv.resolve(), target_is_directory=True)
    return dest


@dataclass
class Project:
    """A copy of the project with one stack, driven through the real ``pulumi`` CLI."""

    workdir: Path
    stack: str
    cluster: Cluster
    dir: Path = field(init=False)

    def __post_init__(self) -> None:
        self.dir = copy_project(self.workdir)
        (self.workdir / "backend").mkdir(exist_ok=True)

    def env(self) -> dict[str, str]:
        env = base_env()
        env.update(
            {
                "PULUMI_BACKEND_URL": f"file://{self.workdir / 'backend'}",
                "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
                "PULUMI_HOME": str(self.workdir / "pulumi-home"),
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "KUBECONFIG": str(self.cluster.kubeconfig),
                # Offline kwok cluster: the ingress controller release installs the stand-in chart
                # tests/charts/webstack-probe; cert-manager, monitoring, ClusterIssuers and the
                # ServiceMonitor are off (their charts are on the internet, and no container runs).
                LOCAL_CLUSTER_ENV: "1",
                "NO_COLOR": "1",
            }
        )
        return env

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
