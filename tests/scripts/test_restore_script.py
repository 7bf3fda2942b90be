"""scripts/restore.sh with a stand-in kubectl: what it sends to the cluster, and what it refuses."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "restore.sh"
IN_SERVER = ROOT / "components" / "postgres" / "scripts" / "restore-in-server.sh"

# Answers like a cluster running the dev stack; records every call, one JSON array per line.
FAKE_KUBECTL = r"""#!/usr/bin/env bash
python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@" >> "$FAKE_DIR/calls"
[ "$1" = --namespace ] && shift 2
case "$1" in
  get)
    case "$*" in
      *POSTGRES_DB*) printf app ;;
      *runAsUser*) printf 10001 ;;
      *image*) printf postgres:17.6-alpine ;;
    esac ;;
  run) for a; do case "$a" in --overrides=*) printf '%s' "${a#--overrides=}" > "$FAKE_DIR/overrides" ;; esac; done ;;
  exec)
    case "$*" in
      *" -- ls -l /backups") echo "-rw-r----- 1 10001 10001 2048 Jan  1 03:00 app-20260101T030000Z.dump" ;;
      *" -- cat /backups/"*) printf 'PGDMP from the volume' ;;
      *" -- sh -c "*) cat > "$FAKE_DIR/stdin"; echo "restore: 1 tables restored" ;;
    esac ;;
esac
"""


class Cluster:
    def __init__(self, root: Path) -> None:
        self.dir = root
        bin_dir = root / "bin"
        bin_dir.mkdir()
        kubectl = bin_dir / "kubectl"
        kubectl.write_text(FAKE_KUBECTL)
        kubectl.chmod(0o755)
        self.env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_DIR": str(root), "TMPDIR": str(root)}

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), *args], env=self.env, capture_output=True, text=True, check=False, timeout=60, cwd=cwd
        )

    def calls(self) -> list[list[str]]:
        path = self.dir / "calls"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def restore_call(self) -> list[str]:
        (call,) = [c for c in self.calls() if "-i" in c and "sh" in c]
        return call


@pytest.fixture
def cluster(tmp_path: Path) -> Cluster:
    return Cluster(tmp_path)


def test_a_local_dump_is_streamed_to_the_server_container_into_the_app_database(
    cluster: Cluster, tmp_path: Path
) -> None:
    dump = tmp_path / "shipped.dump"
    dump.write_bytes(b"PGDMP shipped off the cluster")
    result = cluster.run("dev", str(dump))
    assert result.returncode == 0, result.stderr
    call = cluster.restore_call()
    assert call[:7] == ["--namespace", "webstack-dev", "exec", "-i", "deployment/postgres", "-c", "postgres"]
    assert call[7:10] == ["--", "sh", "-c"]
    assert call[10] == IN_SERVER.read_text().rstrip("\n")  # through "$(cat ...)"
    assert call[11:] == ["restore", "app", "false"]
    assert (tmp_path / "stdin").read_bytes() == b"PGDMP shipped off the cluster"
    assert not [c for c in cluster.calls() if "run" in c], "a local file needs no pod of its own"


def test_into_restores_into_a_new_database(cluster: Cluster, tmp_path: Path) -> None:
    dump = tmp_path / "x.dump"
    dump.write_bytes(b"PGDMP")
    assert cluster.run("dev", str(dump), "--into", "app_check").returncode == 0
    assert cluster.restore_call()[11:] == ["restore", "app_check", "true"]


def test_a_dump_on_the_volume_is_copied_out_through_a_restricted_pod_then_restored(
    cluster: Cluster, tmp_path: Path
) -> None:
    result = cluster.run("prod", "app-20260101T030000Z.dump")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "stdin").read_bytes() == b"PGDMP from the volume"
    spec = json.loads((tmp_path / "overrides").read_text())["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 10001
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = spec["containers"]
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert spec["volumes"][0]["persistentVolumeClaim"] == {"claimName": "postgres-backups", "readOnly": True}
    calls = cluster.calls()
    assert all(c[:2] == ["--namespace", "webstack-prod"] for c in calls)
    pod = next(c[3] for c in calls if c[2] == "run")
    assert ["--namespace", "webstack-prod", "delete", "pod", pod, "--wait=false"] in calls, "the pod is removed"
    assert not list(tmp_path.glob("webstack-restore.*")), "the local copy is removed"


def test_fetch_copies_a_dump_off_the_volume_and_restores_nothing(cluster: Cluster, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    result = cluster.run("prod", "--fetch", "app-20260101T030000Z.dump", cwd=work)
    assert result.returncode == 0, result.stderr
    # In the directory it was run from, not the repository's.
    assert (work / "app-20260101T030000Z.dump").read_bytes() == b"PGDMP from the volume"
    assert not (ROOT / "app-20260101T030000Z.dump").exists()
    assert not [c for c in cluster.calls() if "-i" in c]


def test_a_relative_local_dump_is_read_from_the_directory_it_is_run_from(cluster: Cluster, tmp_path: Path) -> None:
    (tmp_path / "shipped.dump").write_bytes(b"PGDMP relative")
    result = cluster.run("dev", "shipped.dump", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "stdin").read_bytes() == b"PGDMP relative"


def test_list_shows_the_dumps_on_the_volume(cluster: Cluster) -> None:
    result = cluster.run("staging", "--list")
    assert result.returncode == 0, result.stderr
    assert "app-20260101T030000Z.dump" in result.stdout
    assert not [c for c in cluster.calls() if "-i" in c], "listing restores nothing"


def test_runs_in_the_same_second_name_their_pods_apart(cluster: Cluster) -> None:
    # The pod of a run a moment ago may still be terminating: a second-resolution name collides.
    for _ in range(2):
        assert cluster.run("dev", "--list").returncode == 0
    pods = [c[c.index("run") + 1] for c in cluster.calls() if "run" in c]
    assert len(pods) == 2
    assert pods[0] != pods[1]
    assert all(re.fullmatch(r"postgres-restore-\d{14}-[0-9a-f]{8}", pod) and len(pod) <= 63 for pod in pods), pods
    deleted = [c[c.index("pod") + 1] for c in cluster.calls() if "delete" in c]
    assert deleted == pods, "each run deletes the pod it made"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "usage: scripts/restore.sh STACK --list"),
        (("dev",), "usage"),
        (("dev", "x.dump", "--into"), "usage"),
        (("dev", "x.dump", "--into", "App-DB"), "--into 'App-DB' is not a plain PostgreSQL name"),
        (("nosuchstack", "x.dump"), "no stack file Pulumi.nosuchstack.yaml"),
        (("dev", "../etc/passwd"), "is neither a local file nor a dump name from --list"),
    ],
)
def test_bad_arguments_are_refused_before_the_cluster_is_touched(
    cluster: Cluster, args: tuple[str, ...], message: str
) -> None:
    result = cluster.run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert cluster.calls() == []
