"""scripts/lib/node.sh's teardown of kube-router's ipsets, with stand-in iptables, ipset and nft.

The function runs as ``scripts/cluster.sh down`` runs it: sourced into bash under ``set -euo pipefail``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.harness import ROOT

NODE_LIB = ROOT / "scripts" / "lib" / "node.sh"

# Each stand-in records its arguments; `ipset list -n` prints $FAKE_SETS (one name per line).
STANDINS = {
    "iptables": "exit 0",
    "ip6tables": "exit 0",
    "nft": "exit 0",
    "ipset": '[ "$1" = list ] && printf "%b" "$FAKE_SETS"; exit 0',
}


def _teardown(tmp_path: Path, sets: list[str]) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    for name, body in STANDINS.items():
        path = bin_dir / name
        path.write_text(f'#!/usr/bin/env bash\necho "{name} $*" >> "{calls}"\n{body}\n')
        path.chmod(0o755)
    script = f'set -euo pipefail; source "{NODE_LIB}"; NODE_DIR="{tmp_path}/node"; remove_kube_chains; echo finished'
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_SETS": "".join(f"{s}\\n" for s in sets)}
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=False, timeout=60)
    recorded = calls.read_text().splitlines() if calls.exists() else []
    return result, [line.removeprefix("ipset destroy ") for line in recorded if line.startswith("ipset destroy ")]


@pytest.mark.parametrize("sets", [[], ["a-set-of-someone-else"]])
def test_teardown_goes_on_when_kube_router_made_no_set(tmp_path: Path, sets: list[str]) -> None:
    # A node whose first `pulumi up` failed had no NetworkPolicy synced: a grep that matched nothing
    # ended the whole teardown under pipefail, leaving the node's lock, chains and veth pair behind.
    result, destroyed = _teardown(tmp_path, sets)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "finished"
    assert destroyed == []


def test_teardown_destroys_kube_router_s_sets_and_only_those(tmp_path: Path) -> None:
    result, destroyed = _teardown(tmp_path, ["KUBE-SRC-ABC", "mine", "kube-router-xyz", "KUBE-DST-DEF", "KUBE-OTHER"])
    assert result.returncode == 0, result.stderr
    assert destroyed == ["KUBE-SRC-ABC", "kube-router-xyz", "KUBE-DST-DEF"]
