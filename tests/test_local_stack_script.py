"""scripts/lib/local-stack.sh: the pulumi it runs gets SIGINT back when its caller ignored it.

A shell starts its background jobs with SIGINT ignored, an ignored signal stays ignored across exec, and the engine
stops each plugin with SIGINT, waiting 5 s for one that ignores it. A fake `pulumi` reports its own ignored signals.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.harness import ROOT

SIGINT_BIT = 1 << (signal.SIGINT - 1)


def _ignored_mask(tmp_path: Path, snippet: str, **env: str) -> int:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "pulumi"
    fake.write_text("#!/bin/sh\nsed -n 's/^SigIgn:[[:space:]]*//p' /proc/self/status\n")
    fake.chmod(0o755)
    full = {k: v for k, v in os.environ.items() if not k.startswith(("WEBSTACK_", "PULUMI_"))}
    full.update({"PATH": f"{bin_dir}:{full['PATH']}", **env})
    result = subprocess.run(
        ["bash", "-c", f"set -euo pipefail; . scripts/lib/local-stack.sh; {snippet}"],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
        # What `cmd &` in a non-interactive shell does to the job.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1], 16)


def test_the_caller_in_this_test_really_ignores_sigint(tmp_path: Path) -> None:
    assert _ignored_mask(tmp_path, "pulumi") & SIGINT_BIT


@pytest.mark.parametrize("which", ["installed", "built"])
def test_local_stack_pulumi_runs_pulumi_with_the_default_sigint(tmp_path: Path, which: str) -> None:
    assert not _ignored_mask(tmp_path, "local_stack_pulumi preview", WEBSTACK_PULUMI=which) & SIGINT_BIT
