"""What the engine and e2e tiers share: commands, a throwaway project copy and a Pulumi environment.

Nothing here touches the repository's own files or the developer's Pulumi and Kubernetes setup:
the project is copied (so ``pulumi stack init`` writes its ``encryptionsalt`` into the copy), and
every pulumi command gets an environment built for the run (file backend, passphrase, PULUMI_HOME
and KUBECONFIG all under the run's temporary directory).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What the project's program needs; copied when the checkout is not a git work tree.
PROGRAM_PATHS = ("Pulumi.yaml", "__main__.py", "components", "webstack", "requirements.txt")


@dataclass
class Result:
    """One command: its arguments, exit code, wall time and output."""

    args: list[str]
    returncode: int
    seconds: float
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def output(self) -> str:
        return self.stdout + "\n" + self.stderr

    def explain(self, tail: int = 60) -> str:
        shown = "\n".join(self.output.strip().splitlines()[-tail:])
        return f"`{' '.join(self.args)}` exited {self.returncode} after {self.seconds:.1f}s; last output:\n{shown}"


def run(
    args: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float,
    stdin: str | None = None,
) -> Result:
    """Run a command to its end (or ``timeout``, exit code -1), never raising on failure."""
    start = time.perf_counter()
    try:
        done = subprocess.run(
            args,
            check=False,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
        )
        code, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        code, err = -1, f"timed out after {timeout}s"
    return Result(args, code, time.perf_counter() - start, out, err)


# Where this machine keeps its built toolchain and images: not a backend or a cluster, and a script that lost it would
# build everything again into the default cache (and take the caller's toolchain on PATH for an installed pulumi).
MACHINE_SETTINGS = frozenset({"WEBSTACK_CACHE"})


def base_env() -> dict[str, str]:
    """The caller's environment less anything that would point a command at another backend or cluster."""
    return {
        k: v
        for k, v in os.environ.items()
        if (k in MACHINE_SETTINGS or not k.startswith(("PULUMI_", "WEBSTACK_"))) and k != "KUBECONFIG"
    }


def pulumi_env(
    workdir: Path, passphrase: str, kubeconfig: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a pulumi command: a file backend, PULUMI_HOME and ``kubeconfig``, nothing else.

    Nothing of the developer's Pulumi setup leaks in (login, passphrase, plugins cache): the backend
    and PULUMI_HOME live in ``workdir``; plugins come from PATH. ``extra`` adds the run's switches.
    """
    (workdir / "backend").mkdir(exist_ok=True)
    env = base_env()
    env.update(
        {
            "PULUMI_BACKEND_URL": f"file://{workdir / 'backend'}",
            "PULUMI_CONFIG_PASSPHRASE": passphrase,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "KUBECONFIG": str(kubeconfig),
            "NO_COLOR": "1",
            **plugin_env(workdir),
            **(extra or {}),
        }
    )
    return env


def plugin_env(workdir: Path) -> dict[str, str]:
    """Where plugins come from: PATH only for the project's toolchain; the usual way for an installed CLI.

    ``scripts/toolchain.sh pulumi-env`` says which (``WEBSTACK_PULUMI``). An installed CLI keeps the
    developer's plugin cache (``PULUMI_HOME`` when set, else ``~/.pulumi``) and may download plugins.
    """
    if os.environ.get("WEBSTACK_PULUMI") == "installed":
        home = os.environ.get("PULUMI_HOME")
        return {"PULUMI_HOME": home} if home else {}
    return {"PULUMI_HOME": str(workdir / "pulumi-home"), "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true"}


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


def write_summary(terminalreporter: pytest.TerminalReporter, title: str, lines: list[str], results: Path) -> None:
    """Print a tier's figures at the end of the session and keep them in ``results`` (bench/out/)."""
    if not lines:
        return
    terminalreporter.section(title)
    for line in lines:
        terminalreporter.write_line(line)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text("\n".join(lines) + "\n")
    terminalreporter.write_line(f"(also written to {results.relative_to(ROOT)})")
