"""scripts/cluster.sh refuses what it cannot do with a message that says what failed and how to fix it.

Runs before the lifecycle module starts its cluster (file order): one real node per machine.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.workspace import ROOT, Result, base_env, run

pytestmark = pytest.mark.e2e


def _up(tmp_path: Path, **env: str) -> Result:
    full = base_env()
    full.update({"WEBSTACK_CLUSTER_NAME": "e2e-refusals", "WEBSTACK_STATE_DIR": str(tmp_path / "state"), **env})
    return run([str(ROOT / "scripts" / "cluster.sh"), "up"], env=full, timeout=300)


def _down(tmp_path: Path) -> None:
    full = base_env()
    full.update({"WEBSTACK_CLUSTER_NAME": "e2e-refusals", "WEBSTACK_STATE_DIR": str(tmp_path / "state")})
    done = run([str(ROOT / "scripts" / "cluster.sh"), "down"], env=full, timeout=300)
    assert done.ok, done.explain()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WEBSTACK_CLUSTER_NODE": "bogus"}, "WEBSTACK_CLUSTER_NODE: bogus is not real or fake"),
        ({"WEBSTACK_CLUSTER_FAKE_NODES": "two"}, "WEBSTACK_CLUSTER_FAKE_NODES: two is not a number"),
        (
            {"WEBSTACK_NODE_SUBNET": "300.1"},
            "WEBSTACK_NODE_SUBNET: '300.1' is not the first two numbers of an IPv4 address",
        ),
        (
            {"WEBSTACK_NODE_VOLUMES": "i=9"},
            "WEBSTACK_NODE_VOLUMES: 'i=9' is not a number of volumes from 1 to 100",
        ),
    ],
)
def test_bad_settings_are_refused_by_name(tmp_path: Path, env: dict[str, str], message: str) -> None:
    result = _up(tmp_path, **env)
    assert not result.ok
    assert message in result.stderr, result.explain()


def test_a_registry_port_in_use_is_named_with_the_fix(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        try:
            result = _up(tmp_path, WEBSTACK_REGISTRY_PORT=str(port))
        finally:
            _down(tmp_path)
    assert not result.ok
    assert f"port {port} on 127.0.0.1 is in use: stop what listens there, or set WEBSTACK_REGISTRY_PORT" in (
        result.stderr
    ), result.explain()
