"""The policy gate through the real engine: ``pulumi preview --policy-pack policy``.

Every stack previews with 0 violations (in render mode, against a temporary file backend, in a
copy of the project, as the other engine tests do); the deliberately bad program in
``policy_bad/`` makes each of the pack's policies fire exactly once; and, because policies cannot
see ``retainOnDelete`` (see ``policy/policies.py``), the state after ``pulumi up`` is checked for it
on every PVC. The outputs are kept in ``bench/out/policy-gate.txt``.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from policy.policies import POLICIES, STACK_POLICIES
from tests.engine.workspace import StackRun, Step, copy_project, engine_env
from tests.engine.workspace import _run as run_step
from tests.harness import STACKS

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
BAD_PROGRAM = Path(__file__).resolve().parent / "policy_bad"
EVIDENCE = ROOT / "bench" / "out" / "policy-gate.txt"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
# A reported violation, as the CLI prints it: "- [mandatory]  container-probes  (kubernetes:apps/v1:Deployment: x)".
VIOLATION = re.compile(r"^\s*- \[(?P<level>mandatory|advisory|remediate)\]\s+(?P<policy>[\w.-]+)\s+\((?P<what>[^)]*)\)")


def violations(step: Step) -> list[tuple[str, str, str]]:
    """``(level, policy, resource)`` for each violation in a preview's output."""
    text = step.stdout + "\n" + step.stderr
    return [(m["level"], m["policy"], m["what"]) for m in map(VIOLATION.match, text.splitlines()) if m]


def policies_section(step: Step) -> str:
    """The "Policies:" block of a preview's output (the evidence)."""
    lines = (step.stdout + "\n" + step.stderr).splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Policies:")), None)
    if start is None:
        return "(no Policies: section)"
    end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith(" ")), len(lines))
    return "\n".join(lines[start:end]).rstrip()


def _evidence(title: str, text: str) -> None:
    EVIDENCE.parent.mkdir(parents=True, exist_ok=True)
    with EVIDENCE.open("a") as out:
        out.write(f"== {title}\n{text}\n\n")


@pytest.fixture(scope="module", autouse=True)
def _fresh_evidence() -> None:
    EVIDENCE.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def policy_preview(pulumi_cli: str, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Step]:
    """``policy_preview(stack)``: the stack's ``pulumi preview --policy-pack policy``, run once, in one project copy."""
    workdir = tmp_path_factory.mktemp("policy-gate")
    project = copy_project(ROOT, workdir)
    env = engine_env(workdir)
    previews: dict[str, Step] = {}

    def get(stack: str) -> Step:
        if stack not in previews:
            init = run_step("init", ["pulumi", "stack", "init", stack, "--non-interactive"], project, env)
            assert init.ok, init.explain()
            args = [
                "pulumi",
                "preview",
                "--stack",
                stack,
                "--non-interactive",
                "--policy-pack",
                str(project / "policy"),
            ]
            config = project / "policy" / "config" / f"{stack}.json"
            if config.exists():
                args += ["--policy-pack-config", str(config)]
            previews[stack] = run_step(f"preview {stack} --policy-pack policy", args, project, env)
            _evidence(f"{stack}: {' '.join(args[1:])}", policies_section(previews[stack]))
        return previews[stack]

    return get


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_previews_with_zero_policy_violations(policy_preview: Callable[[str], Step], stack: str) -> None:
    step = policy_preview(stack)
    print(f"{stack}:\n{policies_section(step)}")
    assert violations(step) == [], f"{stack}: {violations(step)}\n{step.explain()}"
    assert step.ok, f"{stack}: {step.explain()}"
    # The pack really ran (a preview without it would pass too).
    assert "webstack@v0.1.0" in policies_section(step), step.explain()


def test_each_policy_fires_exactly_once_on_the_bad_program(pulumi_cli: str, tmp_path: Path) -> None:
    # GIVEN a program that breaks each promise once WHEN it previews with the pack THEN it is refused,
    # with exactly one mandatory violation per policy
    # The program and the pack side by side, each finding the project's venv at ../.venv or .venv.
    program, policy = tmp_path / "policy-bad", tmp_path / "policy"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(BAD_PROGRAM, program, ignore=ignore)
    shutil.copytree(ROOT / "policy", policy, ignore=ignore)
    venv = (ROOT / ".venv").resolve()
    for link in (program / ".venv", tmp_path / ".venv"):
        link.symlink_to(venv, target_is_directory=True)
    env = engine_env(tmp_path)
    init = run_step("init", ["pulumi", "stack", "init", "bad", "--non-interactive"], program, env)
    assert init.ok, init.explain()
    # prod's config: the strictest (no wildcard hosts, no LoadBalancer).
    pack = ["--policy-pack", str(policy), "--policy-pack-config", str(policy / "config" / "prod.json")]
    step = run_step("preview bad", ["pulumi", "preview", "--stack", "bad", "--non-interactive", *pack], program, env)
    found = violations(step)
    print(policies_section(step))
    _evidence("policy_bad: pulumi preview --policy-pack policy (each policy fires once)", policies_section(step))

    assert not step.ok, "a mandatory violation must fail the preview"
    assert {level for level, _, _ in found} == {"mandatory"}
    fired = Counter(policy for _, policy, _ in found)
    expected = Counter({policy.name: 1 for policy in [*POLICIES, *STACK_POLICIES]})
    assert fired == expected, f"fired: {dict(fired)}\n{step.explain(120)}"


@pytest.mark.parametrize("stack", STACKS)
def test_every_pvc_is_retained_on_delete_in_the_state(engine_run: Callable[[str], StackRun], stack: str) -> None:
    # What pvc-retain-on-delete cannot see: the option itself, as the engine recorded it after `pulumi up`.
    claims = [r for r in engine_run(stack).resources if r["type"] == PVC]
    assert claims, f"{stack}: no PersistentVolumeClaim in the state"
    for claim in claims:
        assert claim.get("retainOnDelete") is True, f"{stack}: {claim['urn']} is not retainOnDelete in the state"
