"""manifests/preview-rbac.yaml on a real API server: dry-run writes pass, real writes are refused, read-only fails.

A control plane of its own (fake nodes: nothing runs; RBAC and admission are the API server's), the manifest applied
as the administrator, then kubectl impersonating the preview identity (``--as``), as a preview's kubeconfig would.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.e2e.cluster import Cluster
from tests.e2e.conftest import REPORT
from tests.workspace import ROOT, Result, run

pytestmark = pytest.mark.e2e

PREVIEW = "system:serviceaccount:webstack-ci:preview"
CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: preview-probe
  namespace: webstack-dev
data:
  key: value
"""


@pytest.fixture(scope="module")
def cluster(kubectl_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    made = Cluster(
        name=f"e2e-rbac-{secrets.token_hex(3)}", state_dir=tmp_path_factory.mktemp("e2e-rbac"), kubectl_bin=kubectl_bin
    )
    env = {**made.env(), "WEBSTACK_CLUSTER_NODE": "fake"}
    try:
        up = run([str(ROOT / "scripts" / "cluster.sh"), "up"], env=env, timeout=300)
        assert up.ok, up.explain()
        for args in (
            ["apply", "--server-side", "-f", str(ROOT / "manifests" / "preview-rbac.yaml")],
            ["create", "namespace", "webstack-dev"],
            # The read-only identity the workflow comment used to ask for: Kubernetes' own `view` role.
            ["create", "clusterrolebinding", "readonly-view", "--clusterrole=view", "--user=readonly"],
        ):
            result = made.kubectl(*args)
            assert result.ok, result.explain()
        yield made
    finally:
        run([str(ROOT / "scripts" / "cluster.sh"), "down"], env=env, timeout=300)


def _apply_as(cluster: Cluster, user: str, *extra: str) -> Result:
    result = cluster.kubectl("--as", user, "apply", "--server-side", *extra, "-f", "-", stdin=CONFIG_MAP)
    REPORT.fact(
        f"rbac: apply {' '.join(extra) or '(real)'} as {user}: exit {result.returncode}: {result.output.strip()}"
    )
    return result


def test_the_preview_identity_makes_dry_run_writes(cluster: Cluster) -> None:
    result = _apply_as(cluster, PREVIEW, "--dry-run=server")
    assert result.ok, result.explain()


def test_the_preview_identity_cannot_write_for_real(cluster: Cluster) -> None:
    result = _apply_as(cluster, PREVIEW)
    assert not result.ok
    assert "the webstack preview identity may only make dry-run writes" in result.output
    assert not cluster.exists("configmap", "preview-probe", "-n", "webstack-dev")


def test_the_preview_identity_cannot_delete(cluster: Cluster) -> None:
    result = cluster.kubectl("--as", PREVIEW, "delete", "namespace", "webstack-dev", "--dry-run=server")
    assert not result.ok
    assert "forbidden" in result.output


def test_a_read_only_identity_cannot_even_dry_run_which_is_why_the_role_has_write_verbs(cluster: Cluster) -> None:
    result = _apply_as(cluster, "readonly", "--dry-run=server")
    assert not result.ok
    assert "forbidden" in result.output
