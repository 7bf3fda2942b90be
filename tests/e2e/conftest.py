"""Fixtures of the e2e tier: one fresh kwok cluster per test session, torn down at the end.

``WEBSTACK_E2E_KEEP_CLUSTER=1`` keeps the cluster for a look afterwards (it prints how to remove it).

Needs the ``pulumi``, ``cluster`` and ``node`` toolchain groups (``scripts/toolchain.sh build pulumi cluster``
and ``eval "$(scripts/toolchain.sh env)"``; ``scripts/test.sh`` does both). A missing tool fails the
tests with that instruction: it never skips them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.cluster import Cluster, Project
from tests.workspace import ROOT, Result, run, write_summary

RESULTS = ROOT / "bench" / "out" / "results-e2e.txt"
TOOLCHAIN_HINT = (
    'run `scripts/toolchain.sh build pulumi cluster` and `eval "$(scripts/toolchain.sh env)"` '
    "(scripts/test.sh does both)"
)


@dataclass
class Report:
    """Figures printed at the end of the session (and written to bench/out/results-e2e.txt)."""

    started: float = field(default_factory=time.perf_counter)
    times: list[tuple[str, float]] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)

    def time(self, label: str, result: Result | float) -> None:
        self.times.append((label, result if isinstance(result, float) else result.seconds))

    def fact(self, line: str) -> None:
        self.facts.append(line)

    def lines(self) -> list[str]:
        if not self.times and not self.facts:
            return []
        out = [f"  {label:<58} {seconds:7.1f} s" for label, seconds in self.times]
        total = time.perf_counter() - self.started
        out.append(f"  {'total e2e wall time':<58} {total:7.1f} s")
        return [*self.facts, "step times:", *out]


REPORT = Report()


@dataclass
class Lifecycle:
    """Which ordered steps of a module passed: a later step needs its predecessor, and says so."""

    passed: set[str] = field(default_factory=set)

    def require(self, step: str) -> None:
        if step not in self.passed:
            pytest.fail(f"needs step '{step}', which failed or did not run (see its failure above)", pytrace=False)

    def done(self, step: str) -> None:
        self.passed.add(step)


@pytest.fixture(scope="session")
def kubectl_bin() -> str:
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        pytest.fail(f"`pulumi` is not on PATH: {TOOLCHAIN_HINT}", pytrace=False)
    result = run([str(ROOT / "scripts" / "toolchain.sh"), "bin-path", "cluster"], timeout=60)
    if not result.ok:
        pytest.fail(f"the cluster toolchain is not built: {TOOLCHAIN_HINT}\n{result.stderr}", pytrace=False)
    return str(Path(result.stdout.strip()) / "kubectl")


@pytest.fixture(scope="session")
def cluster(kubectl_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A fresh cluster with a unique name and its own state directory; deleted at the end of the session."""
    made = Cluster(
        name=f"e2e-{os.getpid()}-{secrets.token_hex(3)}",
        state_dir=tmp_path_factory.mktemp("e2e-cluster"),
        kubectl_bin=kubectl_bin,
    )
    up = made.script("up", timeout=600)  # a cold machine builds the images here
    REPORT.time("cluster up (kwok control plane and a real node)", up)
    try:
        if not up.ok:
            pytest.fail(f"scripts/cluster.sh up failed:\n{up.explain()}", pytrace=False)
        REPORT.fact(f"cluster: {made.name}, state in {made.state_dir}")
        yield made
    finally:
        if os.environ.get("WEBSTACK_E2E_KEEP_CLUSTER") == "1":
            keep = f"WEBSTACK_CLUSTER_NAME={made.name} WEBSTACK_STATE_DIR={made.state_dir} scripts/cluster.sh down"
            print(f"kept the cluster; remove it with: {keep}")
        else:
            down = made.script("down")
            REPORT.time("cluster down", down)
            if not down.ok:
                print(f"scripts/cluster.sh down failed:\n{down.explain()}")


@pytest.fixture(scope="module")
def dev(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A copy of the project with the ``dev`` stack initialised on a file backend in the copy's temp dir."""
    project = Project(workdir=tmp_path_factory.mktemp("e2e-dev"), stack="dev", cluster=cluster)
    project.ok("stack", "init", "dev")
    project.use_demo_app()
    return project


@pytest.fixture(scope="module")
def lifecycle() -> Lifecycle:
    return Lifecycle()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    write_summary(terminalreporter, "e2e tier results", REPORT.lines(), RESULTS)
