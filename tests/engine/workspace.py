"""One stack through the real Pulumi engine, in render mode, in a throwaway copy of the project.

``deploy(stack, root)`` copies the project into a temporary directory (so ``pulumi stack init``
writes its ``encryptionsalt`` there, not into the repository's stack files), points Pulumi at a
file backend in that directory with a test passphrase, and runs ``pulumi stack init``,
``preview``, ``up``, a second ``preview --expect-no-changes``, ``stack export`` and ``stack output
connection_string --show-secrets``, timing each. The Kubernetes provider writes the manifests to
``<tmp>/rendered`` (``WEBSTACK_RENDER_DIR``); no cluster is contacted.

``synthesized_count(stack, render_dir)`` is what the engine's state should hold: the resources the
same program registers under Pulumi mocks, plus the ones the engine adds itself (the Stack and
one default provider per package used without an explicit provider).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml

from tests.harness import PROJECT, Recorder, RecordingMonitor, stack_config, synth
from tests.workspace import Result, copy_project, pulumi_env, run
from webstack.config.runtime import LOCAL_CLUSTER_ENV, RENDER_ENV
from webstack.program import check_against_checkpoint
from webstack.settings import load_settings
from webstack.stack import build_stack

PASSPHRASE = "webstack-engine-tests-only"
COMMAND_TIMEOUT = 900  # seconds; a cold preview imports pulumi_kubernetes, ~200 MB of modules
_CONNECTION = re.compile(r"^postgresql://(?P<user>[^:@/]+):(?P<password>[^@]+)@")


@dataclass(init=False)
class Step(Result):
    """One named pulumi command of a stack run: ``Step(name, args, returncode, seconds, stdout, stderr)``."""

    name: str

    # Positional, as tests/engine build Steps of their own: Step("project file", [], 0, 0.0, text, "").
    def __init__(  # noqa: PLR0917
        self, name: str, args: list[str], returncode: int, seconds: float, stdout: str, stderr: str
    ) -> None:
        super().__init__(args, returncode, seconds, stdout, stderr)
        self.name = name


@dataclass
class StackRun:
    """Everything one stack's engine run produced."""

    stack: str
    workdir: Path
    rendered: Path
    steps: dict[str, Step] = field(default_factory=dict)
    export: dict[str, Any] | None = None
    password: str | None = None

    def step(self, name: str) -> Step:
        """The step, asserting that every step before it got that far."""
        if name not in self.steps:
            failed = next((s for s in self.steps.values() if not s.ok), None)
            reason = failed.explain() if failed else "it was never run"
            raise AssertionError(f"{self.stack}: `pulumi {name}` did not run because an earlier step failed: {reason}")
        return self.steps[name]

    @property
    def resources(self) -> list[dict[str, Any]]:
        self.step("export")
        assert self.export is not None
        return list(self.export.get("deployment", {}).get("resources") or [])

    def logs(self) -> str:
        """Every byte the engine printed, except the one command that was asked to reveal secrets."""
        return "\n".join(s.stdout + s.stderr for n, s in self.steps.items() if n != "output-secret")

    def manifests(self) -> list[Path]:
        return sorted(self.rendered.rglob("*.yaml"))


def engine_env(workdir: Path) -> dict[str, str]:
    """The environment of every pulumi command: only this run's backend, passphrase and folders.

    The render folder lives in ``workdir`` too, and no developer kubeconfig is read: render mode
    never talks to a cluster.
    """
    return pulumi_env(workdir, PASSPHRASE, workdir / "no-kubeconfig", {RENDER_ENV: str(workdir / "rendered")})


def _run(name: str, args: list[str], cwd: Path, env: dict[str, str]) -> Step:
    result = run(args, cwd=cwd, env=env, timeout=COMMAND_TIMEOUT)
    return Step(name, result.args, result.returncode, result.seconds, result.stdout, result.stderr)


def with_config(project: Path, stack: str, config: Mapping[str, Any]) -> None:
    """Set ``config`` (bare key -> value) in the copied project's stack file: a variant of the stack."""
    path = project / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text()) or {}
    document.setdefault("config", {}).update({f"{PROJECT}:{key}": value for key, value in config.items()})
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def deploy(stack: str, root: Path, workdir: Path, config: Mapping[str, Any] | None = None) -> StackRun:
    """Run the stack (with ``config`` over its stack file) through the engine in render mode; stops at the
    first failing step."""
    project = copy_project(root, workdir)
    if config:
        with_config(project, stack, config)
    env = engine_env(workdir)
    stack_run = StackRun(stack=stack, workdir=workdir, rendered=workdir / "rendered")
    common = ["--stack", stack, "--non-interactive"]
    plan = [
        ("init", ["pulumi", "stack", "init", stack, "--non-interactive"]),
        ("preview", ["pulumi", "preview", *common]),
        # The preview above is the one timed: up does not repeat it.
        ("up", ["pulumi", "up", "--yes", "--skip-preview", *common]),
        ("preview-again", ["pulumi", "preview", "--expect-no-changes", *common]),
        ("export", ["pulumi", "stack", "export", "--stack", stack]),
        ("output-secret", ["pulumi", "stack", "output", "connection_string", "--show-secrets", "--stack", stack]),
    ]
    for name, args in plan:
        step = _run(name, args, project, env)
        stack_run.steps[name] = step
        if not step.ok:
            break
        if name == "export":
            stack_run.export = json.loads(step.stdout)
        if name == "output-secret":
            stack_run.password = parse_password(step.stdout.strip())
    return stack_run


def parse_password(connection_string: str) -> str:
    """The password of ``postgresql://user:password@host:port/db``."""
    match = _CONNECTION.match(connection_string)
    if match is None:
        # Never echo the value: it is the secret itself.
        raise AssertionError(f"connection_string is not postgresql://user:password@...; {len(connection_string)} chars")
    return match.group("password")


# -- the expected resource count ------------------------------------------------------------------


class _Monitor(RecordingMonitor):
    """Records reads and invokes too: a StackReference is read, not registered, and the state holds
    it; an invoke without a provider gets its package's default provider, which the state holds."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__(recorder)
        self.reads: list[tuple[str, str]] = []
        """(type, provider reference) of each read."""
        self.invokes: list[tuple[str, str]] = []
        """(token, provider reference) of each invoke."""

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self.reads.append((request.type, request.provider))
        return super().ReadResource(request)

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self.invokes.append((request.tok, request.provider))
        return super().Invoke(request)


@dataclass(frozen=True)
class Synthesis:
    registered: Counter[str]
    """Resources the program registers, by type (components, providers and objects)."""
    read: Counter[str]
    default_providers: tuple[str, ...]
    """Packages used without an explicit provider: the engine adds a default provider for each."""

    @property
    def total(self) -> int:
        # + 1: the pulumi:pulumi:Stack resource, which the engine creates (the mocks skip it).
        return sum(self.registered.values()) + sum(self.read.values()) + len(self.default_providers) + 1

    def describe(self) -> str:
        return (
            f"{sum(self.registered.values())} registered + {sum(self.read.values())} read + "
            f"{len(self.default_providers)} default provider(s) {list(self.default_providers)} + 1 Stack = {self.total}"
        )


def synthesized_count(stack: str, render_dir: str, config: Mapping[str, Any] | None = None) -> Synthesis:
    """Build ``stack`` from its stack file (and ``config`` over it) under mocks, in render mode, and count
    what the state should hold."""
    raw: dict[str, Any] = {}
    secret: set[str] = set()
    for key, value in {**stack_config(stack), **(config or {})}.items():
        if isinstance(value, dict) and "secure" in value:  # an encrypted value: any text will do here
            raw[key] = "engine-test-secret"
            secret.add(key)
        else:
            raw[key] = value if isinstance(value, str) else json.dumps(value)
    recorder = Recorder()
    monitor = _Monitor(recorder)
    pulumi.runtime.set_mocks(
        recorder, project=PROJECT, stack=stack, preview=False, monitor=monitor, organization="organization"
    )
    settings = load_settings(raw, stack, frozenset(secret), {RENDER_ENV: render_dir, LOCAL_CLUSTER_ENV: ""})
    # The program's own path: the checkpoint check (an invoke) before the stack is built.
    synth(lambda: (check_against_checkpoint(settings), build_stack(settings))[1])
    registered = Counter(r.typ for r in recorder.resources)
    # Custom resources without an explicit provider, registered or read, get their package's
    # default provider; so do invokes. That includes the engine's own "pulumi" package (the
    # StackReference, the checkpoint check).
    unprovided = [r.typ for r in recorder.resources if r.custom and not r.provider]
    unprovided += [typ for typ, provider in monitor.reads if not provider]
    unprovided += [token for token, provider in monitor.invokes if not provider]
    defaults = sorted({typ.split(":", 1)[0] for typ in unprovided if not typ.startswith("pulumi:providers:")})
    return Synthesis(
        registered=registered, read=Counter(typ for typ, _ in monitor.reads), default_providers=tuple(defaults)
    )
