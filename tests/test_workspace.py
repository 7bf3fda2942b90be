"""tests/workspace.py: what the scripts and pulumi commands of the engine and e2e tiers inherit."""

from __future__ import annotations

import pytest

from tests.workspace import base_env


def test_base_env_keeps_the_machines_cache_and_drops_backend_cluster_and_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBSTACK_CACHE", "/srv/cache")
    monkeypatch.setenv("WEBSTACK_STATE_DIR", "/srv/state")
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://team-state")
    monkeypatch.setenv("KUBECONFIG", "/srv/prod.kubeconfig")
    env = base_env()
    assert env["WEBSTACK_CACHE"] == "/srv/cache"
    assert not {"WEBSTACK_STATE_DIR", "PULUMI_BACKEND_URL", "KUBECONFIG"} & env.keys()
