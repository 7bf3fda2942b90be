"""scripts/drift.sh on the bundled cluster: none on a fresh deployment, a scale and a label edit named, errors apart.

The ``dev`` stack is deployed by ``scripts/deploy.sh`` from a copy of the project onto a cluster of its own (unique
name and state directory); kubectl then changes the cluster behind Pulumi's back, as an operator would.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.cluster import Cluster
from tests.e2e.conftest import REPORT
from tests.workspace import ROOT, Result, base_env, copy_project, run

pytestmark = pytest.mark.e2e

NAMESPACE = "webstack-dev"
TIMEOUT = 900


@dataclass
class Deployed:
    project: Path
    cluster: Cluster
    env: dict[str, str]

    def drift(self, **extra: str) -> Result:
        result = run([str(self.project / "scripts" / "drift.sh"), "dev"], cwd=self.project, env={**self.env, **extra},
                     timeout=TIMEOUT)  # fmt: skip
        # Every case's output is evidence: keep it in the e2e report file.
        REPORT.fact(f"drift.sh dev -> exit {result.returncode}: " + " | ".join(result.output.strip().splitlines()[-8:]))
        return result

    def kubectl_ok(self, *args: str) -> None:
        result = self.cluster.kubectl(*args)
        assert result.ok, result.explain()


@pytest.fixture(scope="module")
def deployed(kubectl_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    workdir = tmp_path_factory.mktemp("e2e-drift")
    project = copy_project(ROOT, workdir)
    cluster = Cluster(name=f"e2e-drift-{secrets.token_hex(3)}", state_dir=workdir / "state", kubectl_bin=kubectl_bin)
    env = base_env()
    # A control plane with fake nodes: the one real node per machine belongs to the session's cluster, and drift
    # is about what the API server holds, not about running containers.
    env.update(
        {
            "WEBSTACK_STATE_DIR": str(cluster.state_dir),
            "WEBSTACK_CLUSTER_NAME": cluster.name,
            "WEBSTACK_CLUSTER_NODE": "fake",
        }
    )
    try:
        up = run([str(project / "scripts" / "deploy.sh")], cwd=project, env=env, timeout=TIMEOUT)
        REPORT.time("drift: deploy.sh dev", up)
        assert up.ok, up.explain()
        yield Deployed(project, cluster, env)
    finally:
        run([str(project / "scripts" / "deploy.sh"), "--down"], cwd=project, env=env, timeout=300)


def test_a_fresh_deployment_has_no_drift(deployed: Deployed) -> None:
    result = deployed.drift()
    assert result.returncode == 0, result.explain()
    assert "drift: none" in result.stdout


def test_a_kubectl_scale_is_reported_naming_the_deployment_and_its_replicas(deployed: Deployed) -> None:
    deployed.kubectl_ok("scale", "deployment/web", "-n", NAMESPACE, "--replicas=3")
    try:
        result = deployed.drift()
        assert result.returncode == 1, result.explain()
        assert "Deployment web-deployment" in result.stdout, result.stdout
        assert "spec.replicas: 1 -> 3" in result.stdout, result.stdout
    finally:
        deployed.kubectl_ok("scale", "deployment/web", "-n", NAMESPACE, "--replicas=1")


def test_a_label_edit_is_reported_naming_the_service_and_the_label(deployed: Deployed) -> None:
    # An edit of a label the program sets (a label only another field manager added is not the program's: server-side
    # apply leaves it alone, and so does the refresh).
    label = "app.kubernetes.io/part-of"
    original = deployed.cluster.get_json("service/web", "-n", NAMESPACE)["metadata"]["labels"][label]
    deployed.kubectl_ok("label", "service/web", "-n", NAMESPACE, f"{label}=edited-by-hand", "--overwrite")
    try:
        result = deployed.drift()
        assert result.returncode == 1, result.explain()
        assert "Service web-service" in result.stdout, result.stdout
        assert f'metadata.labels.{label}: "{original}" -> "edited-by-hand"' in result.stdout, result.stdout
        assert "Deployment" not in result.stdout, "the scale was undone: only the label should be reported"
    finally:
        deployed.kubectl_ok("label", "service/web", "-n", NAMESPACE, f"{label}={original}", "--overwrite")


def test_a_broken_kubeconfig_is_an_error_not_drift(deployed: Deployed) -> None:
    # The kubeconfig the stack reads its cluster through, garbled (as a bad edit or a truncated copy would leave it).
    kubeconfig = deployed.cluster.kubeconfig
    good = kubeconfig.read_text()
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: [this is not a kubeconfig\n")
    try:
        result = deployed.drift()
    finally:
        kubeconfig.write_text(good)
    assert result.returncode == 2, result.explain()
    assert "drift: error: the refresh failed" in result.stderr


def test_a_kubeconfig_other_than_the_stacks_is_an_error_not_drift(deployed: Deployed, tmp_path: Path) -> None:
    other = tmp_path / "kubeconfig"
    other.write_text(deployed.cluster.kubeconfig.read_text())
    result = deployed.drift(KUBECONFIG=str(other))
    assert result.returncode == 2, result.explain()
    assert "recorded at its last deployment" in result.stderr


def test_after_undoing_the_edits_there_is_no_drift_again(deployed: Deployed) -> None:
    result = deployed.drift()
    assert result.returncode == 0, result.explain()
