"""Security contexts that pass Pod Security ``restricted`` (what ``Namespace`` enforces by default).

Every container runs non-root under a fixed UID/GID, without privilege escalation or capabilities,
with a read-only root filesystem and the RuntimeDefault seccomp profile.
"""

from __future__ import annotations

import pulumi_kubernetes as k8s


def restricted_container(run_as: int) -> k8s.core.v1.SecurityContextArgs:
    """A container's context: what it writes must be a mounted volume (e.g. an emptyDir at /tmp)."""
    return k8s.core.v1.SecurityContextArgs(
        allow_privilege_escalation=False,
        privileged=False,
        read_only_root_filesystem=True,
        run_as_non_root=True,
        run_as_user=run_as,
        run_as_group=run_as,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def restricted_pod(run_as: int, fs_group_change_policy: str | None = None) -> k8s.core.v1.PodSecurityContextArgs:
    """A pod's context; its volumes belong to group ``run_as`` (``fsGroup``). ``fs_group_change_policy``
    ``"OnRootMismatch"`` skips the recursive chown of a volume whose root is already the pod's."""
    return k8s.core.v1.PodSecurityContextArgs(
        run_as_non_root=True,
        run_as_user=run_as,
        run_as_group=run_as,
        fs_group=run_as,
        fs_group_change_policy=fs_group_change_policy,
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )
