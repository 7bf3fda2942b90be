"""The README's main command, ``scripts/deploy.sh``, end to end on the bundled local cluster and its real node.

It runs before the lifecycle module's session cluster starts (file order): one real node per machine.

Run from a copy of the project with its own ``WEBSTACK_STATE_DIR`` and cluster name,
and no ``KUBECONFIG``: the script builds (or finds) the toolchain, starts the cluster and deploys
``dev``. Then ``--down`` deletes the cluster while the stack's state stays, and a second deploy must
put every object back onto the new, empty cluster.
"""

from __future__ import annotations

import secrets
import shlex
from pathlib import Path

import pytest

from tests.e2e.cluster import Cluster, get_through_port_forward
from tests.e2e.conftest import REPORT
from tests.workspace import ROOT, Result, base_env, copy_project, run

pytestmark = pytest.mark.e2e

DEPLOY_TIMEOUT = 900  # a cold machine builds the toolchain here; a warm one takes ~20 s
NAMESPACE = "webstack-dev"


def _deploy(project: Path, env: dict[str, str], *args: str) -> Result:
    return run([str(project / "scripts" / "deploy.sh"), *args], cwd=project, env=env, timeout=DEPLOY_TIMEOUT)


def _follow_printed_command(stdout: str) -> dict[str, object]:
    """Run the ``kubectl port-forward`` deploy.sh printed (on a free local port) and GET /ready through it."""
    line = next((x for x in stdout.splitlines() if " port-forward " in x), None)
    assert line is not None, f"deploy.sh printed no command that reaches the app:\n{stdout[-2000:]}"
    argv = [a for a in shlex.split(line) if a != "&"]
    assert "8080:80" in argv, argv
    argv[argv.index("8080:80")] = ":80"  # 8080 may be taken on this machine; any free port
    return get_through_port_forward(argv, "/ready")


def test_deploy_script_deploys_dev_onto_the_local_cluster_and_again_after_down(
    kubectl_bin: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    workdir = tmp_path_factory.mktemp("e2e-deploy-script")
    project = copy_project(ROOT, workdir)
    cluster = Cluster(name=f"e2e-deploy-{secrets.token_hex(3)}", state_dir=workdir / "state", kubectl_bin=kubectl_bin)
    env = base_env()  # no KUBECONFIG: the script starts the bundled cluster
    env.update({"WEBSTACK_STATE_DIR": str(cluster.state_dir), "WEBSTACK_CLUSTER_NAME": cluster.name})
    try:
        first = _deploy(project, env)
        REPORT.time("deploy.sh (setup, toolchain, cluster up, pulumi up dev)", first)
        assert first.ok, first.explain()
        assert "https://webstack-dev.example.test/" in first.stdout, f"no url in the stack outputs: {first.explain()}"
        for name in ("web", "postgres"):
            assert cluster.exists("deployment", name, "-n", NAMESPACE), f"deploy.sh did not deploy {name}"
        cluster.wait_all_ready(NAMESPACE, 180)
        answer = _follow_printed_command(first.stdout)
        REPORT.fact(f"deploy.sh: the printed port-forward reached the app: GET /ready {answer}")

        down = _deploy(project, env, "--down")
        REPORT.time("deploy.sh --down", down)
        assert down.ok, down.explain()
        assert not cluster.kubeconfig.exists(), "--down left the cluster's kubeconfig"

        again = _deploy(project, env)
        REPORT.time("deploy.sh again (new cluster, state refreshed first)", again)
        assert again.ok, again.explain()
        for name in ("web", "postgres"):
            assert cluster.exists("deployment", name, "-n", NAMESPACE), (
                f"after --down, deploy.sh reported success but {name} is missing from the new cluster"
            )
        REPORT.fact("deploy.sh: deployed dev onto a fresh local cluster, and again after --down (state refreshed)")
    finally:
        # Checked even after a failure above: a teardown that stops halfway leaves the node's lock, and every
        # later test of the tier is refused its own node.
        last_down = _deploy(project, env, "--down")
        assert last_down.ok, last_down.explain()
