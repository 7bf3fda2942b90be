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
import os
import re
import shutil
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from tests.harness import PROJECT, Recorder, RecordingMonitor, stack_config, synth
from webstack.config.runtime import LOCAL_CLUSTER_ENV, RENDER_ENV
from webstack.settings import load_settings
from webstack.stack import build_stack

PASSPHRASE = "webstack-engine-tests-only"
COMMAND_TIMEOUT = 900  # seconds; a cold preview imports pulumi_kubernetes, ~200 MB of modules
# What the project's program needs; used when the checkout is not a git work tree.
PROGRAM_PATHS = ("Pulumi.yaml", "__main__.py", "components", "webstack", "requirements.txt")
_CONNECTION = re.compile(r"^postgresql://(?P<user>[^:@/]+):(?P<password>[^@]+)@")


@dataclass
class Step:
    """One pulumi command: its arguments, exit code, wall time and output."""

    name: str
    args: list[str]
    returncode: int
    seconds: float
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def explain(self, tail: int = 60) -> str:
        lines = (self.stdout + "\n" + self.stderr).strip().splitlines()
        shown = "\n".join(lines[-tail:])
        return f"`{' '.join(self.args)}` exited {self.returncode} after {self.seconds:.1f}s; last output:\n{shown}"


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


def _project_files(root: Path) -> list[Path]:
    """The files to copy: tracked and new (not ignored) ones in a git work tree, else the program."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        files: list[Path] = []
        for name in PROGRAM_PATHS + tuple(p.name for p in root.glob("Pulumi.*.yaml")):
            path = root / name
            files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
        return [p.relative_to(root) for p in files if p.exists() and "__pycache__" not in p.parts]
    # A file deleted in the work tree but still in the index is not copied.
    return [Path(p) for p in listed.split("\0") if p and (root / p).is_file()]


def copy_project(root: Path, dest: Path) -> Path:
    """Copy the project to ``dest/project``; its ``.venv`` is a link to the repository's own."""
    project = dest / "project"
    for rel in _project_files(root):
        target = project / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target)
    venv = root / ".venv"
    if not (venv / "bin" / "python").exists():
        raise AssertionError(f"{venv} has no Python: run scripts/setup.sh first")
    (project / ".venv").symlink_to(venv.resolve(), target_is_directory=True)
    return project


def engine_env(workdir: Path) -> dict[str, str]:
    """The environment of every pulumi command: only this run's backend, passphrase and folders.

    Nothing of the developer's Pulumi setup leaks in (login, passphrase, plugins cache): the
    backend, PULUMI_HOME and the render folder all live in ``workdir``; plugins come from PATH.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "WEBSTACK_"))}
    env.update(
        {
            "PULUMI_BACKEND_URL": f"file://{workdir / 'backend'}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_HOME": str(workdir / "pulumi-home"),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            RENDER_ENV: str(workdir / "rendered"),
            # Render mode never talks to a cluster: make sure no developer kubeconfig is read.
            "KUBECONFIG": str(workdir / "no-kubeconfig"),
            "NO_COLOR": "1",
        }
    )
    (workdir / "backend").mkdir(exist_ok=True)
    return env


def _run(name: str, args: list[str], cwd: Path, env: dict[str, str]) -> Step:
    start = time.perf_counter()
    try:
        done = subprocess.run(
            args,
            check=False,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        returncode, stdout, stderr = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as err:
        out = err.stdout.decode() if isinstance(err.stdout, bytes) else err.stdout or ""
        returncode, stdout, stderr = -1, out, f"timed out after {COMMAND_TIMEOUT}s"
    return Step(name, args, returncode, time.perf_counter() - start, stdout, stderr)


def deploy(stack: str, root: Path, workdir: Path) -> StackRun:
    """Run the stack through the engine in render mode; stops at the first failing step."""
    project = copy_project(root, workdir)
    env = engine_env(workdir)
    run = StackRun(stack=stack, workdir=workdir, rendered=workdir / "rendered")
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
        run.steps[name] = step
        if not step.ok:
            break
        if name == "export":
            run.export = json.loads(step.stdout)
        if name == "output-secret":
            run.password = parse_password(step.stdout.strip())
    return run


def parse_password(connection_string: str) -> str:
    """The password of ``postgresql://user:password@host:port/db``."""
    match = _CONNECTION.match(connection_string)
    if match is None:
        # Never echo the value: it is the secret itself.
        raise AssertionError(f"connection_string is not postgresql://user:password@...; {len(connection_string)} chars")
    return match.group("password")


# -- the expected resource count ------------------------------------------------------------------


class _Monitor(RecordingMonitor):
    """Records reads too: a StackReference is read, not registered, and the state holds it."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__(recorder)
        self.reads: list[tuple[str, str]] = []
        """(type, provider reference) of each read."""

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self.reads.append((request.type, request.provider))
        return super().ReadResource(request)


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


def synthesized_count(stack: str, render_dir: str) -> Synthesis:
    """Build ``stack`` from its stack file under mocks, in render mode, and count what the state should hold."""
    raw: dict[str, Any] = {}
    secret: set[str] = set()
    for key, value in stack_config(stack).items():
        if isinstance(value, dict) and "secure" in value:  # an encrypted value: any text will do here
            raw[key] = "engine-test-secret"
            secret.add(key)
        else:
            raw[key] = value if isinstance(value, str) else json.dumps(value)
    recorder = Recorder()
    monitor = _Monitor(recorder)
    pulumi.runtime.set_mocks(recorder, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    settings = load_settings(raw, stack, frozenset(secret), {RENDER_ENV: render_dir, LOCAL_CLUSTER_ENV: ""})
    synth(lambda: build_stack(settings))
    registered = Counter(r.typ for r in recorder.resources)
    # Custom resources without an explicit provider, registered or read, get their package's
    # default provider; that includes the engine's own "pulumi" package (the StackReference).
    unprovided = [r.typ for r in recorder.resources if r.custom and not r.provider]
    unprovided += [typ for typ, provider in monitor.reads if not provider]
    defaults = sorted({typ.split(":", 1)[0] for typ in unprovided if not typ.startswith("pulumi:providers:")})
    return Synthesis(
        registered=registered, read=Counter(typ for typ, _ in monitor.reads), default_providers=tuple(defaults)
    )
