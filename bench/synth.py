"""Benchmark: synthesis cost under Pulumi mocks (a benchmark, not a test).

1. The full dev stack, import included, in a fresh interpreter, against the floor of a fresh
   interpreter that only imports ``pulumi_kubernetes`` (target: at most 1.5x).
2. N WebApps (N = 1, 10, 100) against the same Kubernetes resources registered raw, without the
   component (target: at most 1.2x), and the growth per app (target: linear).

Each figure is the median of ``--repeat`` runs, measured as a ratio within one run.
Usage: ``.venv/bin/python bench/synth.py [--repeat 5] [--sizes 1,10,100]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pulumi  # noqa: E402
import pulumi_kubernetes as k8s  # noqa: E402

from components import WebApp  # noqa: E402
from components.labels import selector_labels, standard_labels  # noqa: E402

FLOOR = "import pulumi_kubernetes"
STACK = """
import pulumi, yaml
import pulumi_kubernetes
from pulumi.runtime import Mocks, set_mocks
class M(Mocks):
    def new_resource(self, a): return a.name + "-id", a.inputs
    def call(self, a): return {}
set_mocks(M(), project="webstack", stack="dev", preview=False)
from webstack.settings import load_settings
from webstack.stack import build_stack
cfg = yaml.safe_load(open("Pulumi.dev.yaml"))["config"]
raw = {k.split(":", 1)[1]: v for k, v in cfg.items()}
@pulumi.runtime.test
def run():
    return pulumi.Output.all(*build_stack(load_settings(raw, "dev")).values())
run()
"""


def _median_seconds(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), max(samples) - min(samples)


def _python(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def _install_mocks() -> None:
    class Echo(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            return f"{args.name}-id", args.inputs

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
            return {}, None

    pulumi.runtime.set_mocks(Echo(), project="webstack", stack="bench", preview=False)


def _synth(build: Callable[[], list[Any]]) -> None:
    def run() -> pulumi.Output[Any]:
        return pulumi.Output.all(*build())

    pulumi.runtime.test(run)()  # type: ignore[no-untyped-call]


def _fresh_synth(build: Callable[[int], list[Any]], n: int) -> None:
    _install_mocks()
    _synth(lambda: build(n))


def _components(n: int) -> list[Any]:
    return [WebApp(f"app{i}", {"namespace": "bench", "image": "ghcr.io/org/app:1.0.0"}).service_name for i in range(n)]


def _raw(n: int) -> list[Any]:
    """The same objects WebApp registers by default, without the component or its checks."""
    outs = []
    for i in range(n):
        name = f"app{i}"
        sel = selector_labels(name, name, "web")
        labels = standard_labels(name, name, "web", "1.0.0")
        meta = {"name": name, "namespace": "bench", "labels": labels}
        sa = k8s.core.v1.ServiceAccount(f"{name}-sa", metadata=meta, automount_service_account_token=False)
        container = {
            "name": name,
            "image": "ghcr.io/org/app:1.0.0",
            "imagePullPolicy": "Always",
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
            "startupProbe": {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 5},
            "livenessProbe": {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 10},
            "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5},
            "securityContext": {"readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }
        pod = {
            "serviceAccountName": sa.metadata.name,
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [container],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
            "topologySpreadConstraints": [
                {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway"}
            ],
        }
        spec = {
            "replicas": 2,
            "selector": {"matchLabels": sel},
            "template": {"metadata": {"labels": labels}, "spec": pod},
        }
        k8s.apps.v1.Deployment(f"{name}-deployment", metadata=meta, spec=spec)
        svc = k8s.core.v1.Service(
            f"{name}-service",
            metadata=meta,
            spec={"selector": sel, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb", metadata=meta, spec={"maxUnavailable": 1, "selector": {"matchLabels": sel}}
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-allow-ingress",
            metadata=meta,
            spec={
                "podSelector": {"matchLabels": sel},
                "policyTypes": ["Ingress"],
                "ingress": [{"ports": [{"port": "http"}]}],
            },
        )
        outs.append(svc.metadata.name)
    return outs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="1,10,100")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    floor, floor_spread = _median_seconds(lambda: _python(FLOOR), args.repeat)
    stack, stack_spread = _median_seconds(lambda: _python(STACK), args.repeat)
    print("| measure | median s | spread s | ratio | target |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| import pulumi_kubernetes (floor) | {floor:.3f} | {floor_spread:.3f} | 1.00 | |")
    print(
        f"| dev stack under mocks, import included | {stack:.3f} | {stack_spread:.3f} | {stack / floor:.2f} | <= 1.5 |"
    )

    _install_mocks()
    _synth(lambda: _components(1) + _raw(1))  # warm imports and the event loop once
    per_app: list[tuple[int, float]] = []
    for n in sizes:
        comp, comp_spread = _median_seconds(partial(_fresh_synth, _components, n), args.repeat)
        raw, raw_spread = _median_seconds(partial(_fresh_synth, _raw, n), args.repeat)
        per_app.append((n, comp))
        print(f"| {n} WebApps, raw resources | {raw:.3f} | {raw_spread:.3f} | 1.00 | |")
        print(f"| {n} WebApps, components | {comp:.3f} | {comp_spread:.3f} | {comp / raw:.2f} | <= 1.2 |")
    if len(per_app) >= 2:
        (n0, t0), (n1, t1) = per_app[-2], per_app[-1]
        slope = (t1 - t0) / (n1 - n0)
        print(f"\ncost per WebApp between N={n0} and N={n1}: {slope * 1000:.2f} ms")
        for n, t in per_app:
            print(f"N={n}: {t / n * 1000:.2f} ms per app")
    return 0


if __name__ == "__main__":
    sys.exit(main())
