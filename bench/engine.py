"""Benchmark (not a test): ``pulumi preview`` through the real engine, in render mode.

The dev and prod stacks, and programs of N = 10 and 100 WebApps (and the same objects raw,
``bench/workloads.py``), each previewed against the floor: an empty Python Pulumi program (a
``__main__.py`` that registers nothing) on the same engine, language host, virtualenv and file
backend. Target: dev and prod preview at most 2x the floor.

Everything runs in a throwaway copy of the project with its own file backend and PULUMI_HOME; the
Kubernetes provider renders to a folder (``WEBSTACK_RENDER_DIR``), so no cluster is read. Each
stack is initialised once; the previews then run interleaved, ``--repeat`` rounds (default 5).
Needs the ``pulumi`` toolchain group: ``eval "$(scripts/toolchain.sh env)"``.
Usage: ``.venv/bin/python bench/engine.py [--repeat 5] [--apps 10,100] [--section engine]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    Run,
    copy_project,
    interleave,
    machine_facts,
    median,
    progress,
    pulumi_env,
    ratios,
    require,
    run,
    spread,
    table,
    update_results,
    verdict,
)

PREVIEW_TARGET = 2.0

PROJECT_FILE = """\
name: {name}
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: .venv
"""

APPS_PROGRAM = """\
\"\"\"N WebApps, or the same objects raw (bench/workloads.py), rendered to WEBSTACK_RENDER_DIR.\"\"\"

import os
import sys

sys.path.insert(0, {project!r})

import pulumi
import pulumi_kubernetes as k8s

from bench import workloads

config = pulumi.Config("bench")
count, kind = config.require_int("apps"), config.require("kind")
provider = k8s.Provider("k8s", render_yaml_to_directory=os.environ["WEBSTACK_RENDER_DIR"], kubeconfig="")
# A component hands its providers down to its children; a custom resource takes its own.
opts = pulumi.ResourceOptions(providers=[provider]) if kind == "components" else pulumi.ResourceOptions(
    provider=provider
)
pulumi.export("services", pulumi.Output.all(*getattr(workloads, kind)(count, opts)))
"""


def _program(workdir: Path, name: str, main: str) -> Path:
    """A Pulumi project of its own in ``workdir/name`` on the repository's virtualenv."""
    path = workdir / name
    path.mkdir()
    (path / "Pulumi.yaml").write_text(PROJECT_FILE.format(name=f"webstack-bench-{name}"))
    (path / "__main__.py").write_text(main)
    (path / ".venv").symlink_to(Path(workdir / "project" / ".venv").resolve(), target_is_directory=True)
    return path


def _init(directory: Path, stack: str, env: dict[str, str], config: dict[str, str] | None = None) -> None:
    if config:
        document = {"config": {f"bench:{key}": value for key, value in config.items()}}
        (directory / f"Pulumi.{stack}.yaml").write_text(json.dumps(document) + "\n")
    run(["pulumi", "stack", "init", stack, "--non-interactive"], cwd=directory, env=env)


def _preview(directory: Path, stack: str, env: dict[str, str], render: Path) -> Run:
    return run(
        ["pulumi", "preview", "--stack", stack, "--non-interactive"],
        cwd=directory,
        env={**env, "WEBSTACK_RENDER_DIR": str(render / stack)},
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--apps", default="10,100", help="N of the WebApp programs (each also raw)")
    parser.add_argument("--section", default="engine")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    require("pulumi", "pulumi-resource-kubernetes")
    started = time.perf_counter()
    facts = machine_facts(tools=("pulumi",))
    sizes = [int(s) for s in args.apps.split(",") if s]

    workdir = Path(tempfile.mkdtemp(prefix="webstack-bench-engine-"))
    try:
        project = copy_project(workdir)
        env = pulumi_env(workdir)
        render = workdir / "rendered"
        empty = _program(workdir, "empty", '"""An empty Pulumi program: the floor."""\n')
        apps = _program(workdir, "apps", APPS_PROGRAM.format(project=str(project)))
        variants = {"empty program (floor)": partial(_preview, empty, "floor", env, render)}
        _init(empty, "floor", env)
        for stack in ("dev", "prod"):
            _init(project, stack, env)
            variants[f"{stack} stack"] = partial(_preview, project, stack, env, render)
        for n in sizes:
            for kind in ("components", "raw"):
                stack = f"{kind}{n}"
                _init(apps, stack, env, {"apps": str(n), "kind": kind})
                label = f"{n} WebApps" if kind == "components" else f"{n} apps raw"
                variants[label] = partial(_preview, apps, stack, env, render)
        progress(f"stacks initialised in {workdir}; previewing")
        series = interleave(variants, args.repeat, "preview")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    floor = series["empty program (floor)"]
    rows = []
    for name, s in series.items():
        r = ratios(s.wall, floor.wall)
        cpu = ratios(s.cpu, floor.cpu)
        is_floor = s is floor
        target = verdict(median(r), PREVIEW_TARGET) if name.endswith("stack") else ""
        rows.append(
            [
                f"`pulumi preview`: {name}",
                f"{median(s.wall):.2f}",
                spread(s.wall),
                f"{median(s.cpu):.2f}",
                f"{median(s.rss_mb):.0f}",
                "1.00" if is_floor else f"**{median(r):.2f}** ({spread(r)})",
                "1.00" if is_floor else f"{median(cpu):.2f}",
                target,
            ]
        )
    lines = [
        *facts,
        f"- {args.repeat} interleaved rounds of every preview; render mode; file backend; "
        f"wall time {time.perf_counter() - started:.0f} s for this bench",
        "",
        *table(
            [
                "preview",
                "wall s (median)",
                "wall spread",
                "CPU s",
                "peak RSS MiB",
                "ratio to floor (spread)",
                "CPU ratio",
                "target",
            ],
            rows,
        ),
        "",
        "CPU s is user + system time of the whole process tree (CLI, language host, program, plugins);",
        "peak RSS is the largest single process of it. The N-app programs have no target of their own:",
        "their cost grows with N. WebApp against raw, through the engine (per-round ratios):",
        "",
    ]
    comp_rows = []
    for n in sizes:
        comp, raw = series[f"{n} WebApps"], series[f"{n} apps raw"]
        r = ratios(comp.wall, raw.wall)
        comp_rows.append([n, f"**{median(r):.2f}** ({spread(r)})", f"{median(ratios(comp.cpu, raw.cpu)):.2f}"])
    lines += table(["N apps", "preview WebApp / raw, wall (spread)", "CPU ratio"], comp_rows)
    print("\n".join(lines))
    if not args.no_write:
        update_results(args.section, "Engine: `pulumi preview` in render mode (`bench/engine.py`)", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
