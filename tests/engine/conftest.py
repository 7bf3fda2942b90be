"""Fixtures of the engine tier: each stack goes through the real engine once per session.

Needs ``pulumi`` and its plugins on PATH (``scripts/toolchain.sh build pulumi`` and
``eval "$(scripts/toolchain.sh env)"``; ``scripts/test.sh`` does both) and, for the linters, the
``linters`` group. A missing tool fails the tests with that instruction: it never skips them.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.engine.postgres import INSTALL_HINT, PASSWORDS, Pod, Server, server_bin_dir, started
from tests.engine.report import REPORT, TIMED_STEPS
from tests.engine.workspace import StackRun, deploy
from tests.workspace import ROOT, write_summary

RESULTS = ROOT / "bench" / "out" / "results-engine.txt"
TOOLCHAIN_HINT = 'run `scripts/toolchain.sh build` and `eval "$(scripts/toolchain.sh env)"` (scripts/test.sh does both)'


@pytest.fixture(scope="session")
def pulumi_cli() -> str:
    path = shutil.which("pulumi")
    if path is None:
        pytest.fail(f"`pulumi` is not on PATH: {TOOLCHAIN_HINT}", pytrace=False)
    return path


@pytest.fixture(scope="session")
def engine_run(pulumi_cli: str, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], StackRun]:
    """``engine_run(stack)``: the stack's run through the engine, made on first use and then shared."""
    runs: dict[str, StackRun] = {}

    def get(stack: str) -> StackRun:
        if stack not in runs:
            run = deploy(stack, ROOT, tmp_path_factory.mktemp(f"engine-{stack}"))
            runs[stack] = run
            REPORT.times[stack] = {name: run.steps[name].seconds for name in TIMED_STEPS if name in run.steps}
        return runs[stack]

    return get


@pytest.fixture
def workdir() -> Iterator[Path]:
    if server_bin_dir() is None or shutil.which("psql") is None:
        pytest.fail(f"no PostgreSQL server: {INSTALL_HINT}", pytrace=False)
    # Outside pytest's private tmp tree: the server's user must reach it.
    path = Path(tempfile.mkdtemp(prefix="webstack-pg-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def fresh(workdir: Path) -> Iterator[tuple[Server, Pod]]:
    """A server as the image's entrypoint leaves it before its init scripts: superuser ``postgres``
    and the database ``app`` (POSTGRES_DB), owned by the superuser."""
    server = started(workdir, "postgres", PASSWORDS["superuser"])
    try:
        assert server.psql("CREATE DATABASE app", user="postgres", tcp=False).returncode == 0
        yield server, Pod(workdir, "postgres")
    finally:
        server.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    write_summary(terminalreporter, "engine tier results", REPORT.lines(), RESULTS)
