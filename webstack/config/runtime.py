"""Where the stack goes: a cluster, the bundled local cluster, or a folder of rendered manifests.

Two switches beside the config keys, both read here at the edge and nowhere else:
``WEBSTACK_RENDER_DIR`` (overrides ``renderYamlTo``) and ``WEBSTACK_LOCAL_CLUSTER=1``, which
``scripts/deploy.sh`` sets when it deploys onto the bundled kwok cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from webstack.config.spec import Key, Reader

RENDER_ENV = "WEBSTACK_RENDER_DIR"
LOCAL_CLUSTER_ENV = "WEBSTACK_LOCAL_CLUSTER"
# The project's own chart, a stand-in for add-on charts where no chart repository is reachable.
LOCAL_STAND_IN_CHART = "tests/charts/webstack-probe"

KEYS: tuple[Key, ...] = (
    Key(
        "renderYamlTo",
        "string",
        "Render mode: write the manifests to this folder instead of applying them to a cluster "
        f"(no cluster needed; Helm releases are skipped). The {RENDER_ENV} environment variable "
        "overrides it. Empty: deploy to the cluster.",
        "",
    ),
)


@dataclass(frozen=True)
class RuntimeSettings:
    render_dir: str | None
    """Folder the Kubernetes provider writes manifests to; ``None`` applies to the cluster."""
    local_cluster: bool
    """Deploying onto the bundled offline kwok cluster: no chart repository is reachable and no
    ingress controller runs, so internet charts are swapped or switched off (logged)."""


def parse(r: Reader, environ: Mapping[str, str]) -> RuntimeSettings:
    render_dir = environ.get(RENDER_ENV) or r.string("renderYamlTo") or None
    flag = environ.get(LOCAL_CLUSTER_ENV, "").strip().lower()
    if flag not in ("", "0", "1", "true", "false"):
        r.problems.append(f"{LOCAL_CLUSTER_ENV}: {flag!r} is not a switch; use 1 or 0")
    return RuntimeSettings(render_dir=render_dir, local_cluster=flag in ("1", "true"))
