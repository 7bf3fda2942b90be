"""What the server's pod and the backup job's pod share: hardening, volumes, claims and mounts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.labels import ADOPTED_ANNOTATIONS, SKIP_AWAIT
from components.security_context import restricted_pod
from components.validation import parse_quantity

DEFAULT_ACCESS_MODES = ("ReadWriteOnce",)
# Every image here is pinned (``check_pinned_image``), so a node that has it runs what a pull would
# fetch: no pull on a restart, and a registry outage cannot keep the database (or its sidecar,
# which shares its pod) from coming back. Pin by digest for byte-identical images across nodes.
PULL_POLICY = "IfNotPresent"
SHM_MOUNT = "/dev/shm"
# UID/GID of the server, the exporter and the backup job: above 10000, so it never maps to a host
# user. The official image runs as any UID: its entrypoint fakes a passwd entry for initdb with
# nss_wrapper (shipped in the Alpine variants since docker-library/postgres#1018).
DEFAULT_RUN_AS = 10001
PORT = 5432
PASSWORD_KEY = "password"
# Set on every PVC registered with retain_on_delete; policy/policies.py checks it (pvc-retain-on-delete).
RETAIN_ANNOTATION = "webstack.io/retain-on-delete"
DATA_MOUNT = "/var/lib/postgresql/data"
# PGDATA in a subdirectory of the volume: the volume root may hold lost+found (ext4) or be owned
# by root, and initdb insists on an empty directory it owns with mode 0700.
PGDATA = f"{DATA_MOUNT}/pgdata"
# Passwords reach every container as files in a Secret volume, never as env vars (an env var is
# inherited by every child process and readable in /proc/<pid>/environ): the image reads
# POSTGRES_PASSWORD_FILE, the exporter DATA_SOURCE_PASS_FILE, the backup script PGPASSWORD_FILE.
CREDENTIALS_MOUNT = "/run/secrets/postgres"


def credentials_volume(
    name: str, files: Sequence[tuple[pulumi.Input[str], Mapping[str, str]]]
) -> k8s.core.v1.VolumeArgs:
    """Keys of Secrets as files, ``files`` being ``(secret name, {key: file name})`` pairs: each
    container mounts only the passwords it uses (see ``CREDENTIALS_MOUNT``)."""
    return k8s.core.v1.VolumeArgs(
        name=name,
        projected=k8s.core.v1.ProjectedVolumeSourceArgs(
            sources=[
                k8s.core.v1.VolumeProjectionArgs(
                    secret=k8s.core.v1.SecretProjectionArgs(
                        name=secret_name,
                        items=[k8s.core.v1.KeyToPathArgs(key=key, path=path) for key, path in keys.items()],
                    )
                )
                for secret_name, keys in files
            ],
            # Owner and the pod's fsGroup (the containers' group) may read them; nobody writes them.
            default_mode=0o440,
        ),
    )


def credentials_mount(volume: str = "credentials") -> k8s.core.v1.VolumeMountArgs:
    return k8s.core.v1.VolumeMountArgs(name=volume, mount_path=CREDENTIALS_MOUNT, read_only=True)


def _pod_security(run_as: int) -> k8s.core.v1.PodSecurityContextArgs:
    # Only chown the volume when its root is not ours yet: a recursive walk of a large data
    # directory on every restart would delay startup for minutes.
    return restricted_pod(run_as, fs_group_change_policy="OnRootMismatch")


def pod_spec(
    account: k8s.core.v1.ServiceAccount,
    run_as: int,
    containers: Sequence[k8s.core.v1.ContainerArgs],
    volumes: Sequence[k8s.core.v1.VolumeArgs],
    *,
    restart_policy: str | None = None,
    termination_grace_period_seconds: int | None = None,
) -> k8s.core.v1.PodSpecArgs:
    """The pod-level hardening the server and the backup job share, so they cannot drift apart."""
    return k8s.core.v1.PodSpecArgs(
        service_account_name=account.metadata.name,
        automount_service_account_token=False,
        # No *_SERVICE_HOST/_PORT variables: a Service named "postgres" would otherwise inject
        # POSTGRES_PORT=tcp://... next to the image's own POSTGRES_*.
        enable_service_links=False,
        security_context=_pod_security(run_as),
        restart_policy=restart_policy,
        containers=list(containers),
        volumes=list(volumes),
        termination_grace_period_seconds=termination_grace_period_seconds,
    )


def claim_volume(name: str, claim: k8s.core.v1.PersistentVolumeClaim) -> k8s.core.v1.VolumeArgs:
    return k8s.core.v1.VolumeArgs(
        name=name,
        persistent_volume_claim=k8s.core.v1.PersistentVolumeClaimVolumeSourceArgs(claim_name=claim.metadata.name),
    )


def shm_size(memory_limit: str) -> str:
    """Half the container's memory limit, in whole MiB (at least 1).

    The container runtime's default /dev/shm is 64 MiB, which parallel queries outgrow (dynamic
    shared memory is a file there): PostgreSQL fails with "could not resize shared memory segment".
    A memory-backed emptyDir counts against the memory limit, so it stays below it: a query that
    needs more gets "No space left on device" and fails alone, instead of the server being
    OOM-killed, and the other half stays for shared buffers and work memory.
    """
    mib = int(parse_quantity(memory_limit, "memory limit") / 2 / 2**20)
    return f"{max(mib, 1)}Mi"


def shm_volume(memory_limit: str) -> k8s.core.v1.VolumeArgs:
    return k8s.core.v1.VolumeArgs(
        name="shm", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(medium="Memory", size_limit=shm_size(memory_limit))
    )


def empty_dir(name: str, size: str) -> k8s.core.v1.VolumeArgs:
    return k8s.core.v1.VolumeArgs(name=name, empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit=size))


def claim(
    *,
    resource_name: str,
    claim_name: str,
    namespace: pulumi.Input[str],
    labels: Mapping[str, str],
    size: pulumi.Input[str],
    storage_class: str | None,
    access_modes: Sequence[str],
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.PersistentVolumeClaim:
    # Not awaited: an awaited claim holds back the Deployment that mounts it until the volume is
    # Bound (the longest step of a first `pulumi up`, bench/results.md), and the provider's claim
    # await has hung on WaitForFirstConsumer classes (pulumi-kubernetes #895 on create, #4179 on a
    # resize). Readiness is still awaited where it is decided: the server's pod cannot become Ready,
    # so its Deployment's await cannot end, before the claim is Bound and mounted.
    annotations = {SKIP_AWAIT: "true"}
    # The option itself is invisible to policy packs: the annotation declares it for the policy
    # pvc-retain-on-delete (policy/policies.py); it is derived from the option, so the two agree.
    if opts.retain_on_delete:
        annotations[RETAIN_ANNOTATION] = "true"
        annotations.update(ADOPTED_ANNOTATIONS)
    return k8s.core.v1.PersistentVolumeClaim(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=claim_name, namespace=namespace, labels=dict(labels), annotations=annotations
        ),
        spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
            access_modes=list(access_modes),
            # None (not "") leaves the choice to the cluster's default StorageClass.
            storage_class_name=storage_class,
            resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": size}),
        ),
        opts=opts,
    )
