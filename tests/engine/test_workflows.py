"""The GitHub workflows (``.github/workflows``), linted offline by actionlint from the ``linters`` toolchain group.

actionlint checks the workflow syntax, expressions, job graph, the inputs given to known actions
(``pulumi/actions`` among them) and to the local composite action, and the ``run:`` scripts
with shellcheck when it is on PATH. The output is kept in ``bench/out/actionlint.txt``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
EVIDENCE = ROOT / "bench" / "out" / "actionlint.txt"
HINT = 'run `scripts/toolchain.sh build linters` and `eval "$(scripts/toolchain.sh env)"` (scripts/test.sh does both)'


def test_workflows_pass_actionlint() -> None:
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.fail(f"`actionlint` is not on PATH: {HINT}", pytrace=False)
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows, "no workflow in .github/workflows"
    done = subprocess.run(
        [actionlint, "-verbose", "-no-color"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=300
    )
    output = f"$ actionlint -verbose -no-color   (exit {done.returncode})\n{done.stdout}{done.stderr}"
    EVIDENCE.parent.mkdir(parents=True, exist_ok=True)
    EVIDENCE.write_text(output)
    print(output)
    assert done.returncode == 0, output
    assert f"Found 0 errors in {len(workflows)} files" in done.stderr, output
