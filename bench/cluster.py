"""Benchmark (not a test): ``pulumi up`` on the bundled local cluster against ``kubectl apply`` and wait.

Three operations of the dev stack, each against its plain-Kubernetes baseline on the same cluster:

* create: ``pulumi up`` from an empty stack and namespace until everything is Ready, against
  ``kubectl apply`` of the same rendered manifests into an empty namespace, then waiting for the
  same readiness;
* no-op: the same ``pulumi up`` again, against the same ``kubectl apply`` again (and the wait);
* image update: a new ``appImage`` tag, against applying the manifests Pulumi rendered for it.

Target: ``pulumi up`` within 1.3x of apply-and-wait.

Same objects on both sides. The cluster is the bundled cluster with its real node
(``scripts/cluster.sh``, its own name and state directory, deleted at the end): Ready means the
kubelet ran the containers' real probes. The app is the project's demo app (``demo/``, images
1.0.0 and 1.0.1 from the node's registry), PostgreSQL the stack file's image. Both sides run with
``WEBSTACK_LOCAL_CLUSTER=1`` and the dev stack file, with the platform add-ons switched off on
both sides (``platformIngressController``, ``platformCertManager``, ``platformMonitoring`` false,
and ``tlsSecretName`` in place of the ClusterIssuer): a Helm release cannot be rendered to a
manifest, and the ClusterIssuer needs cert-manager's CRDs. The manifests come from the same
program in render mode (``WEBSTACK_RENDER_DIR``), rendered once before any timing for the first
image and again after ``appImage`` changed, in a namespace that each round renames.

Readiness, the same on both sides: what the Kubernetes provider awaits for these objects, as
kubectl waits for it, run in parallel: every Deployment rolled out (``kubectl rollout status``),
every PersistentVolumeClaim Bound, the ResourceQuota's status filled in. (The provider also awaits
a Service with a selector until its Endpoints target a pod and have stayed unchanged for 10 s, and
a claim until it is Bound; webstack skips both awaits, ``bench/results.md`` says why. A Deployment
cannot roll out before its claim is Bound, so the kubectl side's wait on claims costs it nothing.)
``pulumi up`` runs with ``--skip-preview``: ``kubectl apply`` computes no preview either; the
preview is ``bench/engine.py``'s figure.

Each round uses a new stack and two new namespaces; within a round the two sides alternate who
goes first, and so do the rounds. Needs the ``pulumi`` and ``cluster`` toolchain groups.
Usage: ``.venv/bin/python bench/cluster.py [--repeat 5] [--section cluster]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    ROOT,
    Run,
    Series,
    copy_project,
    machine_facts,
    median,
    progress,
    pulumi_env,
    ratios,
    require,
    run,
    spread,
    stack_config,
    table,
    update_results,
    verdict,
    write_stack_file,
)

UP_TARGET = 1.3
REGISTRY = "127.0.0.1:5000"  # scripts/lib/node.sh's default
DEMO = {
    "appImage": f"{REGISTRY}/webstack/demo:1.0.0",
    "appPort": 8080,
    "appHealthPath": "/health",
    "appReadyPath": "/ready",
}
IMAGE_NEXT = f"{REGISTRY}/webstack/demo:1.0.1"
RENDER_NAMESPACE = "wsbench"  # a word found nowhere else in the manifests: renamed per round
ADDONS_OFF = {
    "platformIngressController": False,
    "platformCertManager": False,
    "platformMonitoring": False,
    "tlsIssuer": "none",
    "tlsSecretName": "web-tls",
}
OPERATIONS = ("create", "no-op", "image update")
WAIT_TIMEOUT = "300s"


class Cluster:
    def __init__(self, workdir: Path, volumes: int) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "WEBSTACK_"))}
        self.env.pop("KUBECONFIG", None)
        self.env.update(
            {
                "WEBSTACK_CLUSTER_NAME": f"bench-{os.getpid()}",
                "WEBSTACK_STATE_DIR": str(workdir / "cluster"),
                # The node's volumes are made ahead of time, and every round keeps its two databases' claims.
                "WEBSTACK_NODE_VOLUMES": str(volumes),
            }
        )
        self.kubeconfig = workdir / "cluster" / "kubeconfig"

    def script(self, command: str) -> Run:
        return run([str(ROOT / "scripts" / "cluster.sh"), command], env=self.env, timeout=600)

    def kubectl(self, *args: str) -> list[str]:
        return ["kubectl", "--kubeconfig", str(self.kubeconfig), *args]


class Manifests:
    """A rendered folder, renamed into one namespace."""

    def __init__(self, source: Path, dest: Path, namespace: str) -> None:
        self.dir = dest
        self.deployments: list[str] = []
        self.claims: list[str] = []
        self.quotas: list[str] = []
        self.namespace_file: Path | None = None
        for path in sorted(source.rglob("*.yaml")):
            text = path.read_text().replace(RENDER_NAMESPACE, namespace)
            target = dest / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            for doc in yaml.safe_load_all(text):
                kind, name = doc.get("kind"), doc["metadata"]["name"]
                if kind == "Namespace":
                    self.namespace_file = target
                self.deployments += [name] if kind == "Deployment" else []
                self.claims += [name] if kind == "PersistentVolumeClaim" else []
                self.quotas += [name] if kind == "ResourceQuota" else []
        if self.namespace_file is None or not self.deployments:
            raise RuntimeError(f"{source} holds no Namespace or no Deployment: the render went wrong")


def _parallel(commands: list[list[str]]) -> None:
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for c in commands]
    for command, proc in zip(commands, procs, strict=True):
        out, _ = proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"`{' '.join(command)}` exited {proc.returncode}:\n{out}")


def apply_and_wait(cluster: Cluster, manifests: Manifests, namespace: str, first: bool) -> Run:
    """``kubectl apply`` (the Namespace first on a fresh one) and wait for the readiness Pulumi awaits."""
    start = time.perf_counter()
    cpu = os.times()
    if first:
        assert manifests.namespace_file is not None
        run(cluster.kubectl("apply", "-f", str(manifests.namespace_file)))
    run(cluster.kubectl("apply", "-R", "-f", str(manifests.dir)))
    waits = [
        cluster.kubectl("rollout", "status", f"deployment/{d}", "-n", namespace, f"--timeout={WAIT_TIMEOUT}")
        for d in manifests.deployments
    ]
    waits += [
        cluster.kubectl(
            "wait", "--for=jsonpath={.status.phase}=Bound", f"pvc/{c}", "-n", namespace, f"--timeout={WAIT_TIMEOUT}"
        )
        for c in manifests.claims
    ]
    waits += [
        cluster.kubectl(
            "wait", "--for=jsonpath={.status.hard}", f"resourcequota/{q}", "-n", namespace, f"--timeout={WAIT_TIMEOUT}"
        )
        for q in manifests.quotas
    ]
    _parallel(waits)
    done = os.times()
    used = (done.children_user - cpu.children_user) + (done.children_system - cpu.children_system)
    return Run(["kubectl apply + wait"], 0, time.perf_counter() - start, used, 0.0, "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--section", default="cluster")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the cluster and the temporary directory")
    args = parser.parse_args()
    require("pulumi", "pulumi-resource-kubernetes", "kubectl", "kwokctl")
    started = time.perf_counter()
    facts = machine_facts(tools=("pulumi", "kubectl"))
    workdir = Path(tempfile.mkdtemp(prefix="webstack-bench-cluster-"))
    cluster = Cluster(workdir, volumes=2 * args.repeat)
    series = {(side, op): Series() for side in ("pulumi", "kubectl") for op in OPERATIONS}
    try:
        up = cluster.script("up")
        progress(f"cluster up in {up.wall:.1f} s")
        project = copy_project(workdir)
        env = pulumi_env(workdir, KUBECONFIG=str(cluster.kubeconfig), WEBSTACK_LOCAL_CLUSTER="1")
        config = {**stack_config("dev"), **ADDONS_OFF, **DEMO}
        image = str(config["appImage"])

        def pulumi(*argv: str) -> Run:
            return run(["pulumi", *argv, "--non-interactive"], cwd=project, env=env)

        # Render the manifests of both images once, through the same program, before any timing.
        rendered = workdir / "rendered"
        write_stack_file(project, "wsk", {**config, "namespace": RENDER_NAMESPACE})
        pulumi("stack", "init", "wsk")
        render_env = {**env, "WEBSTACK_RENDER_DIR": str(rendered)}
        run(
            ["pulumi", "up", "--yes", "--skip-preview", "--stack", "wsk", "--non-interactive"],
            cwd=project,
            env=render_env,
        )
        shutil.copytree(rendered, workdir / "rendered-first")
        pulumi("config", "set", "--stack", "wsk", "webstack:appImage", IMAGE_NEXT)
        run(
            ["pulumi", "up", "--yes", "--skip-preview", "--stack", "wsk", "--non-interactive"],
            cwd=project,
            env=render_env,
        )
        shutil.copytree(rendered, workdir / "rendered-next")
        progress(f"rendered both images; {image} -> {IMAGE_NEXT}")

        for r in range(args.repeat):
            stack, namespace_k = f"wsp{r + 1}", f"wsk{r + 1}"
            write_stack_file(project, stack, {**config, "namespace": stack})
            pulumi("stack", "init", stack)
            first = Manifests(workdir / "rendered-first", workdir / f"k{r + 1}-first", namespace_k)
            following = Manifests(workdir / "rendered-next", workdir / f"k{r + 1}-next", namespace_k)

            def up_stack(stack: str = stack) -> Run:
                return pulumi("up", "--yes", "--skip-preview", "--stack", stack)

            def set_image(stack: str = stack) -> None:
                pulumi("config", "set", "--stack", stack, "webstack:appImage", IMAGE_NEXT)

            steps: list[tuple[str, Callable[[], Run], Callable[[], Run], Callable[[], None] | None]] = [
                ("create", up_stack, partial(apply_and_wait, cluster, first, namespace_k, True), None),
                ("no-op", up_stack, partial(apply_and_wait, cluster, first, namespace_k, False), None),
                ("image update", up_stack, partial(apply_and_wait, cluster, following, namespace_k, False), set_image),
            ]
            for i, (op, with_pulumi, with_kubectl, before) in enumerate(steps):
                if before is not None:
                    before()
                sides = [("pulumi", with_pulumi), ("kubectl", with_kubectl)]
                for side, action in sides if (r + i) % 2 == 0 else sides[::-1]:
                    series[(side, op)].add(action())
            progress(
                f"round {r + 1}/{args.repeat}: "
                + ", ".join(
                    f"{op} {series[('pulumi', op)].wall[-1]:.1f}/{series[('kubectl', op)].wall[-1]:.1f}s"
                    for op in OPERATIONS
                )
            )
    finally:
        if not args.keep:
            down = cluster.script("down")
            progress(f"cluster down ({'ok' if down.ok else 'failed'})")
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            progress(f"kept {workdir}")

    rows = []
    for op in OPERATIONS:
        p, k = series[("pulumi", op)], series[("kubectl", op)]
        per_round = ratios(p.wall, k.wall)
        rows.append(
            [
                op,
                f"{median(p.wall):.2f} ({spread(p.wall)})",
                f"{median(k.wall):.2f} ({spread(k.wall)})",
                f"**{median(per_round):.2f}** ({spread(per_round)})",
                verdict(median(per_round), UP_TARGET),
                f"{median(p.cpu):.2f} / {median(k.cpu):.2f}",
            ]
        )
    lines = [
        *facts,
        f"- {args.repeat} rounds, the two sides alternating; cluster: bundled, one real node (containerd, kubelet), "
        f"cluster up {up.wall:.1f} s; wall time {time.perf_counter() - started:.0f} s for this bench",
        f"- dev stack with `WEBSTACK_LOCAL_CLUSTER=1` and {json.dumps(ADDONS_OFF)} on both sides; "
        f"image update {image} -> {IMAGE_NEXT}",
        "",
        *table(
            [
                "operation",
                "`pulumi up --skip-preview` s (spread)",
                "`kubectl apply` + wait s (spread)",
                "ratio (spread)",
                "target",
                "CPU s pulumi / kubectl",
            ],
            rows,
        ),
    ]
    print("\n".join(lines))
    if not args.no_write:
        update_results(
            args.section, "Cluster: `pulumi up` against `kubectl apply` and wait (`bench/cluster.py`)", lines
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
