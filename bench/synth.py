"""Benchmark (not a test): synthesis under Pulumi mocks, time and peak RSS.

1. The project's ``__main__.py`` for the dev stack (``Pulumi.dev.yaml``) under mocks, in a fresh
   interpreter, imports, synthesis and interpreter exit included, against the bare-import floor: a
   fresh interpreter that only imports the SDK modules the stack uses (every ``pulumi_kubernetes``
   and ``pulumi_random`` module the stack loads, with ``pulumi`` under them), and builds nothing.
   Target: at most 1.5x the floor. ``import pulumi_kubernetes`` alone is shown beside it: that
   package's top module is lazy and loads no resource class, so it floors an interpreter start,
   not an import of the library.
2. N WebApps (N = 1, 10, 100, 300) against the same Kubernetes objects registered raw, without the
   component (``bench/workloads.py``; checked to be the same objects with the same inputs before
   anything is timed). Each sample is a fresh interpreter; the figure is the synthesis time inside
   it (both sides import the same modules), the peak RSS is the whole process's.
   Targets are judged on CPU time (user + system), with the wall-clock ratio beside it.
   Targets: components at most 1.2x raw; growth linear in N (least-squares fit, R²).

Every comparison runs interleaved, ``--repeat`` rounds (default 5); medians, with the min-max spread.
Usage: ``.venv/bin/python bench/synth.py [--repeat 5] [--sizes 1,10,100,300] [--section synth]``
(``--no-write`` prints the tables without updating ``bench/results.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    PYTHON,
    ROOT,
    Run,
    Series,
    interleave,
    linear_fit,
    machine_facts,
    median,
    progress,
    ratios,
    require,
    run,
    spread,
    table,
    update_results,
    verdict,
)

CHILD = str(ROOT / "bench" / "_synth_child.py")
LAZY_CODE = "import pulumi_kubernetes"
# The modules only, ending as __main__.py ends (gc.freeze(): no collection of the heap at exit).
LIBRARIES_CODE = "import gc, importlib, sys\nfor name in sys.argv[1:]: importlib.import_module(name)\ngc.freeze()"
STACK_TARGET = 1.5
COMPONENT_TARGET = 1.2
# The children see no render or local-cluster switch: the dev stack as committed.
CHILD_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "WEBSTACK_"))}


def _result(sample: Run) -> dict[str, Any]:
    """The child's JSON line; anything else is the interpreter's noise at exit (an asyncio finalizer)."""
    lines = [line for line in sample.output.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"no result from {sample.explain()}")
    return dict(json.loads(lines[-1]))


def _child(*args: str) -> tuple[Run, dict[str, float]]:
    sample = run([PYTHON, CHILD, *args], cwd=ROOT, env=CHILD_ENV)
    ended = time.time()
    result = _result(sample)
    extra = {key: float(value) for key, value in result.items() if key.endswith("_s")}
    extra["exit_s"] = max(0.0, ended - float(result["end_epoch"]))
    return sample, extra


def _lazy() -> Run:
    return run([PYTHON, "-c", LAZY_CODE], cwd=ROOT, env=CHILD_ENV)


def _libraries(modules: list[str]) -> Run:
    return run([PYTHON, "-c", LIBRARIES_CODE, *modules], cwd=ROOT, env=CHILD_ENV)


def stack_vs_floor(repeat: int) -> list[str]:
    # One unmeasured run names the pulumi_kubernetes and pulumi_random modules the stack loads:
    # importing just those, and nothing of the program, is the floor.
    modules = _result(_child("stack")[0])["modules"]
    series = interleave(
        {"lazy": _lazy, "floor": partial(_libraries, modules), "stack": partial(_child, "stack")},
        repeat,
        "stack vs floor",
    )
    lazy, floor, stack = series["lazy"], series["floor"], series["stack"]
    rows = []
    for label, s in (
        (f"bare import of the {len(modules)} SDK modules the stack uses (floor)", floor),
        (f"`{LAZY_CODE}`: the lazy top module only, no resource class (shown, not the floor)", lazy),
        ("`__main__.py`, dev stack, under mocks: import, synthesis, exit", stack),
    ):
        wall, cpu = ratios(s.wall, floor.wall), ratios(s.cpu, floor.cpu)
        rows.append(
            [
                label,
                f"{median(s.wall):.3f} ({spread(s.wall)})",
                f"{median(s.cpu):.3f}",
                f"{median(s.rss_mb):.0f}",
                f"{median(wall):.2f} ({spread(wall)})",
                f"**{median(cpu):.2f}** ({spread(cpu)})",
                f"{median(ratios(s.cpu, lazy.cpu)):.2f}",
                verdict(median(cpu), STACK_TARGET) if s is stack else "",
            ]
        )
    lines = table(
        [
            "process",
            "wall s (spread)",
            "CPU s",
            "peak RSS MiB",
            "wall ratio to floor (spread)",
            "CPU ratio to floor (spread)",
            "CPU ratio to the lazy import",
            "target",
        ],
        rows,
    )
    lines += [
        "",
        f"The stack's process, medians: imports {median(stack.values('import_s')):.3f} s, synthesis "
        f"{median(stack.values('synth_s')):.3f} s, interpreter exit {median(stack.values('exit_s')):.3f} s, "
        "the rest interpreter start-up.",
    ]
    return lines


def apps(sizes: list[int], repeat: int) -> list[str]:
    per_size: dict[int, dict[str, Series]] = {}
    for n in sizes:
        per_size[n] = interleave(
            {
                "components": partial(_child, "apps", "components", str(n)),
                "raw": partial(_child, "apps", "raw", str(n)),
            },
            repeat,
            f"{n} apps",
        )
    rows = []
    for n, series in per_size.items():
        comp, raw = series["components"], series["raw"]
        wall = ratios(comp.values("synth_s"), raw.values("synth_s"))
        cpu = ratios(comp.values("synth_cpu_s"), raw.values("synth_cpu_s"))
        rss = ratios(comp.rss_mb, raw.rss_mb)
        raw_cpu, comp_cpu = median(raw.values("synth_cpu_s")), median(comp.values("synth_cpu_s"))
        rows.append(
            [
                n,
                f"{raw_cpu:.3f} / {comp_cpu:.3f}",
                f"{raw_cpu / n * 1000:.1f} / {comp_cpu / n * 1000:.1f}",
                f"{median(wall):.2f} ({spread(wall)})",
                f"**{median(cpu):.2f}** ({spread(cpu)})",
                verdict(median(cpu), COMPONENT_TARGET),
                f"{median(raw.rss_mb):.0f} / {median(comp.rss_mb):.0f}",
                f"{median(rss):.2f}",
            ]
        )
    lines = table(
        [
            "N apps",
            "synthesis CPU s, raw / WebApp",
            "ms per app, raw / WebApp",
            "WebApp / raw, wall (spread)",
            "WebApp / raw, CPU (spread)",
            "target",
            "peak RSS MiB, raw / WebApp",
            "RSS ratio",
        ],
        rows,
    )
    fit_rows = []
    for kind in ("raw", "components"):
        xs = [float(n) for n, s in per_size.items() for _ in s[kind].wall]
        fits = [
            linear_fit(xs, [v for s in per_size.values() for v in s[kind].values(metric)])
            for metric in ("synth_cpu_s", "synth_s")
        ]
        rss_fit = linear_fit(xs, [v for s in per_size.values() for v in s[kind].rss_mb])
        fit_rows.append(
            [
                "WebApp" if kind == "components" else "raw",
                f"{fits[0].slope * 1000:.2f} ms/app",
                f"{fits[0].intercept * 1000:.0f} ms",
                f"{fits[0].r2:.4f}",
                f"{fits[1].r2:.4f}",
                f"{rss_fit.slope * 1024:.0f} KiB/app",
                f"{rss_fit.intercept:.0f} MiB",
                f"{rss_fit.r2:.4f}",
            ]
        )
    lines += [
        "",
        "Growth: least squares over every sample, y = slope * N + intercept (time fitted on CPU s):",
        "",
        *table(
            [
                "workload",
                "time slope",
                "time intercept",
                "R² (CPU)",
                "R² (wall)",
                "RSS slope",
                "RSS intercept",
                "RSS R²",
            ],
            fit_rows,
        ),
    ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="1,10,100,300")
    parser.add_argument("--section", default="synth", help="section of bench/results.md to (re)write")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    require()
    sizes = sorted({int(s) for s in args.sizes.split(",") if s})
    if len(sizes) < 2:
        parser.error("--sizes needs at least two different N: the growth is fitted over them")
    started = time.perf_counter()
    facts = machine_facts()
    # os._exit: the two mocked runs leave an event loop behind whose finalizer only makes noise.
    check = (
        "import os; from bench.workloads import check_equivalent; print(check_equivalent(), flush=True); os._exit(0)"
    )
    per_app = run([PYTHON, "-c", check], cwd=ROOT, env=CHILD_ENV)
    progress(f"raw baseline checked: the same {per_app.output.strip()} objects per app as WebApp")

    stack_lines = stack_vs_floor(args.repeat)
    app_lines = apps(sizes, args.repeat)
    lines = [
        *facts,
        f"- {args.repeat} interleaved rounds per comparison; every sample a fresh interpreter; "
        f"wall time {time.perf_counter() - started:.0f} s for this bench",
        "- targets judged on the median per-round CPU-time ratio (user + system): synthesis is one busy",
        "  thread, and on this shared, loaded machine wall time also measures the scheduler; the wall",
        "  ratios stand beside them",
        "",
        "### Full dev stack against the bare import of the SDK modules it uses",
        "",
        *stack_lines,
        "",
        f"### N WebApps against the same {per_app.output.strip()} objects per app registered raw",
        "",
        *app_lines,
    ]
    print("\n".join(lines))
    if not args.no_write:
        update_results(args.section, "Synthesis under mocks (`bench/synth.py`)", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
