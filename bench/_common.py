"""What the benchmarks share: measured subprocesses, interleaved rounds, statistics, a linear fit,
the project copy and Pulumi environment of the engine and cluster benches, and ``bench/results.md``.

Every figure is a ratio measured within one run: the variants of one comparison run interleaved
(round r starts with variant r mod k: A B C, B C A, C A B, ...), so a load spike on this shared
machine hits every variant alike; each figure is the median over the rounds, with its spread
(min-max) beside it. Only the standard library is imported here: the benches' child processes
pay for nothing they do not measure.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.md"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
TOOLCHAIN_HINT = 'run `scripts/toolchain.sh build` and `eval "$(scripts/toolchain.sh env)"` first'

# A shell starts its background jobs with SIGINT ignored, and the pulumi processes started from here would inherit
# that: the engine stops each plugin with SIGINT and waits 5 s for one that ignores it, on every preview and up.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

PASSPHRASE = "webstack-bench-only"


# -- one measured process -------------------------------------------------------------------------


@dataclass
class Run:
    """One process: wall time, CPU time and peak RSS (the largest process of its tree), and its output."""

    args: list[str]
    returncode: int
    wall: float
    cpu: float
    """User + system seconds of the process and every descendant it waited for."""
    rss_mb: float
    """``ru_maxrss`` of the process and its waited-for descendants: the largest single one, in MiB."""
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def explain(self, tail: int = 40) -> str:
        shown = "\n".join(self.output.strip().splitlines()[-tail:])
        return f"`{' '.join(self.args)}` exited {self.returncode} after {self.wall:.1f}s:\n{shown}"


def run(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 900,
    check: bool = True,
) -> Run:
    """Run ``args`` to completion; its output goes to a file (no pipe can fill up and stall it)."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = start + timeout
        while True:
            # wait4 returns the child's own usage plus that of every descendant it waited for.
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    result = Run(
        args=list(args),
        returncode=proc.returncode,
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,
        output=text,
    )
    if check and not result.ok:
        raise RuntimeError(result.explain())
    return result


# -- rounds and statistics ------------------------------------------------------------------------


@dataclass
class Series:
    """The samples of one variant, one per round."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    extra: dict[str, list[float]] = field(default_factory=dict)

    def add(self, sample: Run, **extra: float) -> None:
        self.wall.append(sample.wall)
        self.cpu.append(sample.cpu)
        self.rss_mb.append(sample.rss_mb)
        for key, value in extra.items():
            self.extra.setdefault(key, []).append(value)

    def values(self, metric: str) -> list[float]:
        if metric in ("wall", "cpu", "rss_mb"):
            return list(getattr(self, metric))
        return list(self.extra[metric])


def interleave(
    variants: Mapping[str, Callable[[], Run | tuple[Run, dict[str, float]]]], repeat: int, label: str = ""
) -> dict[str, Series]:
    """Run every variant once per round, the starting variant rotating from round to round."""
    names = list(variants)
    series = {name: Series() for name in names}
    for r in range(repeat):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            got = variants[name]()
            sample, extra = got if isinstance(got, tuple) else (got, {})
            series[name].add(sample, **extra)
        progress(f"{label} round {r + 1}/{repeat}: " + ", ".join(f"{n} {series[n].wall[-1]:.2f}s" for n in names))
    return series


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def spread(values: Sequence[float]) -> str:
    """``min-max`` of the samples."""
    return f"{min(values):.2f}-{max(values):.2f}"


def ratios(num: Sequence[float], den: Sequence[float]) -> list[float]:
    """Per-round ratios: each round's two samples ran back to back, under the same load."""
    return [a / b for a, b in zip(num, den, strict=True)]


@dataclass(frozen=True)
class Fit:
    slope: float
    intercept: float
    r2: float


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> Fit:
    """Least squares ``y = slope * x + intercept`` and its coefficient of determination."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = my - slope * mx
    ss_res = sum((y - (slope * x + intercept)) ** 2 for x, y in zip(xs, ys, strict=True))
    ss_tot = sum((y - my) ** 2 for y in ys)
    return Fit(slope, intercept, 1 - ss_res / ss_tot if ss_tot else 1.0)


def verdict(value: float, target: float) -> str:
    return f"<= {target:g}: {'met' if value <= target else '**missed**'}"


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- the machine ----------------------------------------------------------------------------------


def _version(args: Sequence[str], pattern: str = r"v?(\d+\.\d+\.\d+\S*)") -> str:
    try:
        text = subprocess.run(list(args), capture_output=True, text=True, timeout=60, check=False).stdout
    except OSError:
        return "not found"
    match = re.search(pattern, text)
    return match.group(1) if match else text.strip()[:40] or "unknown"


def machine_facts(tools: Sequence[str] = ()) -> list[str]:
    """Date, CPU count, load average at the start, and the versions that shape the figures."""
    load = os.getloadavg()
    packages = run(
        [PYTHON, "-c", "import importlib.metadata as m; print(m.version('pulumi'), m.version('pulumi_kubernetes'))"]
    ).output.split()
    facts = [
        f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {os.cpu_count()} CPUs ({platform.machine()}, {platform.system()} {platform.release()}); "
        f"load average at start {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min)",
        f"- Python {platform.python_version()}; SDK pulumi {packages[0]}, pulumi-kubernetes {packages[1]}",
    ]
    if "pulumi" in tools:
        pins = (ROOT / "scripts" / "toolchain" / "pulumi.sh").read_text()
        provider = re.search(r"^K8S_PROVIDER_VERSION=(\S+)", pins, re.M)
        facts.append(
            f"- Pulumi CLI {_version(['pulumi', 'version'])}; provider plugin kubernetes "
            f"{provider.group(1) if provider else 'unknown'} (scripts/toolchain/pulumi.sh)"
        )
    if "kubectl" in tools:
        kubectl = _version(["kubectl", "version", "--client"], r"Client Version: (v\S+)")
        facts.append(f"- kubectl {kubectl}")
    return facts


def require(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"{', '.join(missing)} not on PATH: {TOOLCHAIN_HINT}")
    if not Path(PYTHON).exists():
        raise SystemExit(f"{PYTHON} is missing: run scripts/setup.sh first")


# -- the project copy and the Pulumi environment --------------------------------------------------


def copy_project(dest: Path) -> Path:
    """The work tree's tracked and new files (what a clone plus local edits holds) in ``dest/project``.

    A copy, because ``pulumi stack init`` writes its ``encryptionsalt`` into the stack file; its
    ``.venv`` is a link to the repository's own.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    project = dest / "project"
    for rel in (p for p in listed.split("\0") if p and (ROOT / p).is_file()):
        target = project / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    (project / ".venv").symlink_to((ROOT / ".venv").resolve(), target_is_directory=True)
    return project


def pulumi_env(workdir: Path, **extra: str) -> dict[str, str]:
    """Only this run's file backend, passphrase and PULUMI_HOME; plugins come from PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "WEBSTACK_")) and k != "KUBECONFIG"}
    env.update(
        {
            "PULUMI_BACKEND_URL": f"file://{workdir / 'backend'}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_HOME": str(workdir / "pulumi-home"),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "KUBECONFIG": str(workdir / "no-kubeconfig"),
            "NO_COLOR": "1",
        }
    )
    env.update(extra)
    (workdir / "backend").mkdir(parents=True, exist_ok=True)
    return env


def write_stack_file(project: Path, stack: str, config: Mapping[str, object]) -> None:
    """``Pulumi.<stack>.yaml`` with ``config`` (``webstack:`` keys without the prefix) as JSON, which is YAML."""
    document = {"config": {f"webstack:{key}": value for key, value in config.items()}}
    (project / f"Pulumi.{stack}.yaml").write_text(json.dumps(document, indent=2) + "\n")


def stack_config(stack: str) -> dict[str, object]:
    """The ``webstack:`` keys of the repository's ``Pulumi.<stack>.yaml``, read with the project's YAML parser."""
    code = (
        "import json, sys, yaml; doc = yaml.safe_load(open(sys.argv[1])) or {}; "
        "print(json.dumps({k.split(':', 1)[1]: v for k, v in (doc.get('config') or {}).items() "
        "if k.startswith('webstack:')}))"
    )
    return dict(json.loads(run([PYTHON, "-c", code, str(ROOT / f"Pulumi.{stack}.yaml")]).output))


# -- bench/results.md -----------------------------------------------------------------------------


def update_results(section: str, title: str, lines: Sequence[str]) -> None:
    """Replace (or append) the section between ``<!-- bench:<section>:begin/end -->`` in results.md.

    Everything outside the markers (the notes written by hand) is kept as it is.
    """
    begin, end = f"<!-- bench:{section}:begin -->", f"<!-- bench:{section}:end -->"
    body = "\n".join([begin, f"## {title}", "", *lines, end])
    text = RESULTS.read_text() if RESULTS.exists() else "# webstack benchmarks\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: body, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + body + "\n"
    RESULTS.write_text(text)
    progress(f"wrote section {section!r} of {RESULTS.relative_to(ROOT)}")
