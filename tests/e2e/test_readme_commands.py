"""The README's two commands on a fresh clone, in both orders: neither modifies a tracked file.

Each order gets its own clone (a new git repository holding the project's tracked and new files, one commit), its
own state directory and its own bundled cluster. "test" here is the part of ``scripts/test.sh`` that can touch the
clone, bounded: ``scripts/test.sh --unit`` (setup, lint, type-check, unit tier) and the engine tier's run of the
``dev`` stack (``pulumi stack init``/``preview``/``up`` on a copy of the clone's stack files, the step that failed
with "incorrect passphrase" once a deploy had rewritten ``Pulumi.dev.yaml``). ``git status --porcelain`` must stay
empty after every command.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.e2e.conftest import REPORT
from tests.workspace import ROOT, Result, base_env, copy_project, run

pytestmark = pytest.mark.e2e

DEPLOY_TIMEOUT = 900
TEST_TIMEOUT = 1200
ENGINE_DEV = "tests/engine/test_engine.py::test_preview_and_up_succeed_and_render_manifests[dev]"


def _git(clone: Path, *args: str) -> Result:
    return run(
        ["git", "-c", "user.name=webstack", "-c", "user.email=webstack@example.test", *args], cwd=clone, timeout=120
    )


def fresh_clone(workdir: Path) -> Path:
    """The project as it is now, as a one-commit repository; its .venv links to the repository's own."""
    clone = copy_project(ROOT, workdir)
    assert _git(clone, "init", "-q").ok
    # The link stands in for the .venv that scripts/setup.sh would create (ignored as a directory by .gitignore;
    # a link is not a directory to git): making a second venv is not what these tests are about.
    (clone / ".git" / "info" / "exclude").write_text(".venv\n")
    assert _git(clone, "add", "-A").ok
    committed = _git(clone, "commit", "-q", "-m", "fresh clone")
    assert committed.ok, committed.explain()
    assert status(clone) == ""
    return clone


def status(clone: Path) -> str:
    result = _git(clone, "status", "--porcelain")
    assert result.ok, result.explain()
    return result.stdout.strip()


def _env(workdir: Path) -> dict[str, str]:
    env = base_env()  # no KUBECONFIG: deploy.sh starts the bundled cluster
    env.update(
        {
            "WEBSTACK_STATE_DIR": str(workdir / "state"),
            "WEBSTACK_CLUSTER_NAME": f"e2e-readme-{secrets.token_hex(3)}",
            # Fake nodes: the one real node per machine belongs to the session's cluster; what is checked here is
            # the repository, not the containers.
            "WEBSTACK_CLUSTER_NODE": "fake",
        }
    )
    return env


def deploy(clone: Path, env: dict[str, str], label: str) -> None:
    result = run([str(clone / "scripts" / "deploy.sh")], cwd=clone, env=env, timeout=DEPLOY_TIMEOUT)
    REPORT.time(f"fresh clone: {label}", result)
    assert result.ok, result.explain()
    assert status(clone) == "", f"scripts/deploy.sh modified tracked files:\n{status(clone)}"


def run_test_command(clone: Path, env: dict[str, str], label: str) -> None:
    unit = run([str(clone / "scripts" / "test.sh"), "--unit"], cwd=clone, env=env, timeout=TEST_TIMEOUT)
    REPORT.time(f"fresh clone: {label}: scripts/test.sh --unit", unit)
    assert unit.ok, unit.explain()
    assert status(clone) == "", f"scripts/test.sh --unit modified tracked files:\n{status(clone)}"
    engine = run(
        [
            str(clone / ".venv" / "bin" / "python"),
            "-m",
            "pytest",
            "-q",
            "-m",
            "engine",
            "-p",
            "no:cacheprovider",
            ENGINE_DEV,
        ],
        cwd=clone,
        env=env,
        timeout=TEST_TIMEOUT,
    )
    REPORT.time(f"fresh clone: {label}: engine tier, dev stack", engine)
    assert engine.ok, engine.explain()
    assert status(clone) == "", f"the engine tier modified tracked files:\n{status(clone)}"


def _down(clone: Path, env: dict[str, str]) -> None:
    run([str(clone / "scripts" / "deploy.sh"), "--down"], cwd=clone, env=env, timeout=300)


def test_deploy_then_test_leaves_the_clone_clean(kubectl_bin: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    workdir = tmp_path_factory.mktemp("readme-deploy-first")
    clone, env = fresh_clone(workdir), _env(workdir)
    try:
        deploy(clone, env, "deploy.sh first (new state, new cluster)")
        run_test_command(clone, env, "then test")
        deploy(clone, env, "deploy.sh again (existing stack)")
    finally:
        _down(clone, env)
    REPORT.fact("fresh clone, deploy then test: git status --porcelain empty after each command")


def test_test_then_deploy_leaves_the_clone_clean(kubectl_bin: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    workdir = tmp_path_factory.mktemp("readme-test-first")
    clone, env = fresh_clone(workdir), _env(workdir)
    try:
        run_test_command(clone, env, "test first")
        deploy(clone, env, "then deploy.sh (new state, new cluster)")
    finally:
        _down(clone, env)
    REPORT.fact("fresh clone, test then deploy: git status --porcelain empty after each command")
