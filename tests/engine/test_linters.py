"""Third-party checks on the manifests each stack renders: kubernetes-validate, kube-score,
kube-linter and checkov (see ``tests/engine/linters.py``).

Every finding is either fixed in ``components/`` or listed in ``lint-exceptions.yaml`` with its
reason; an exception that no longer matches a finding fails, so the file cannot rot.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.engine.linters import TOOLS, Finding, ToolPolicy, kubernetes_minor, load_exceptions
from tests.engine.report import REPORT
from tests.engine.workspace import StackRun
from tests.harness import STACKS

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
EXCEPTIONS_FILE = ROOT / "lint-exceptions.yaml"
Findings = Callable[[str, str], list[Finding]]


@pytest.fixture(scope="session")
def policies() -> dict[str, ToolPolicy]:
    return load_exceptions(EXCEPTIONS_FILE, tuple(TOOLS))


@pytest.fixture(scope="session")
def findings(engine_run: Callable[[str], StackRun]) -> Findings:
    """``findings(tool, stack)``: what the tool reports on the stack's rendered manifests, run once."""
    version = kubernetes_minor(ROOT)
    cache: dict[tuple[str, str], list[Finding]] = {}

    def get(tool: str, stack: str) -> list[Finding]:
        if (tool, stack) not in cache:
            run = engine_run(stack)
            step = run.step("up")
            assert step.ok, f"{stack}: no manifests to check, up failed: {step.explain()}"
            cache[tool, stack] = TOOLS[tool](run.rendered, run.manifests(), version)
        return cache[tool, stack]

    return get


def _unavailable(policy: ToolPolicy) -> bool:
    """A tool the exceptions file declares uninstallable; fails once it is installed after all."""
    if policy.unavailable is None:
        return False
    assert shutil.which(policy.tool) is None, (
        f"{policy.tool} is on PATH now: drop `unavailable` from its entry in {EXCEPTIONS_FILE.name} and let it run"
    )
    assert not policy.exceptions, f"{policy.tool} is unavailable: its exceptions cannot be checked, remove them"
    return True


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("tool", tuple(TOOLS))
def test_rendered_manifests_have_no_finding_outside_the_exceptions(
    tool: str, stack: str, policies: dict[str, ToolPolicy], findings: Findings
) -> None:
    policy = policies[tool]
    if _unavailable(policy):
        print(f"{tool}: not run: {policy.unavailable}")
        return
    found = findings(tool, stack)
    open_findings = [f for f in found if not any(e.covers(f, stack) for e in policy.exceptions)]
    REPORT.findings[tool, stack] = (len(found), len(found) - len(open_findings))
    for finding in found:
        print(f"{tool} {stack}: {'OPEN' if finding in open_findings else 'excepted'} {finding}")
    assert not open_findings, (
        f"{tool} on {stack}'s manifests: fix these in components/ or add an exception with its reason to "
        f"{EXCEPTIONS_FILE.name}:\n" + "\n".join(f"  {f}" for f in open_findings)
    )


@pytest.mark.parametrize("tool", tuple(TOOLS))
def test_every_exception_still_matches_a_finding(
    tool: str, policies: dict[str, ToolPolicy], findings: Findings
) -> None:
    policy = policies[tool]
    if _unavailable(policy):
        return
    stale = [
        exception
        for exception in policy.exceptions
        if not any(
            exception.covers(finding, stack)
            for stack in STACKS
            if not exception.stacks or stack in exception.stacks
            for finding in findings(tool, stack)
        )
    ]
    assert not stale, f"stale exceptions in {EXCEPTIONS_FILE.name} (nothing to except any more): " + ", ".join(
        map(str, stale)
    )


def test_exceptions_name_only_known_stacks(policies: dict[str, ToolPolicy]) -> None:
    for policy in policies.values():
        for exception in policy.exceptions:
            assert set(exception.stacks) <= set(STACKS), f"{exception}: unknown stack"
