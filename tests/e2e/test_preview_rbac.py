"""manifests/preview-rbac.yaml on a real API server: dry-run writes pass, real writes are refused, read-only fails.

A control plane of its own (fake nodes: nothing runs; RBAC and admission are the API server's), the manifest applied
as the administrator, then kubectl impersonating the preview identity (``--as``), as a preview's kubeconfig would.
"""

from __future__ import annotations

import secrets
import time
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
        _wait_for_the_policy(made)
        yield made
    finally:
        run([str(ROOT / "scripts" / "cluster.sh"), "down"], env=env, timeout=300)


def _wait_for_the_policy(cluster: Cluster, tries: int = 60) -> None:
    """The API server enforces a new admission policy once its policy cache has it (a second or so): until a real
    write by the preview identity is denied, remove what got through and try again (bounded)."""
    start = time.perf_counter()
    for _ in range(tries):
        probe = cluster.kubectl("--as", PREVIEW, "create", "configmap", "policy-ready-probe", "-n", "webstack-dev")
        if not probe.ok and "may only make dry-run writes" in probe.output:
            REPORT.fact(f"rbac: admission policy enforced {time.perf_counter() - start:.1f} s after it was applied")
            return
        cluster.kubectl("delete", "configmap", "policy-ready-probe", "-n", "webstack-dev", "--ignore-not-found")
        time.sleep(0.5)
    raise AssertionError(f"the admission policy was not enforced after {tries} tries: {probe.explain()}")


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
