"""Where the stack goes: a cluster, the bundled local cluster, or a folder of rendered manifests.

Switches beside the config keys, read here at the edge and nowhere else:
``WEBSTACK_RENDER_DIR`` (overrides ``renderYamlTo``), ``WEBSTACK_LOCAL_CLUSTER=1``, which
``scripts/deploy.sh`` sets when it deploys onto the bundled cluster, and with it
``WEBSTACK_LOCAL_APP_IMAGE``: the project's demo app (demo/), served by the bundled cluster's own
registry, in place of the stack file's public app image, which no registry here can serve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from webstack.config.spec import ConfigError, Key, Reader

RENDER_ENV = "WEBSTACK_RENDER_DIR"
LOCAL_CLUSTER_ENV = "WEBSTACK_LOCAL_CLUSTER"
LOCAL_APP_IMAGE_ENV = "WEBSTACK_LOCAL_APP_IMAGE"
# The demo app's contract (demo/main.go): its port and probe paths replace the stack file's.
DEMO_APP = {"appPort": 8080, "appHealthPath": "/health", "appReadyPath": "/ready"}
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


def local_app_overrides(environ: Mapping[str, str]) -> dict[str, object]:
    """Raw config values that put the demo app in place of the stack file's app, or none.

    Only on the bundled cluster: anywhere else the stack's own app image is what users deploy.
    """
    image = environ.get(LOCAL_APP_IMAGE_ENV, "")
    if not image:
        return {}
    flag = environ.get(LOCAL_CLUSTER_ENV, "").strip().lower()
    if flag not in ("1", "true"):
        raise ConfigError(
            [f"{LOCAL_APP_IMAGE_ENV}: set without {LOCAL_CLUSTER_ENV}=1; it swaps the app only on the bundled cluster"]
        )
    return {"appImage": image, **DEMO_APP}


def parse(r: Reader, environ: Mapping[str, str]) -> RuntimeSettings:
    render_dir = environ.get(RENDER_ENV) or r.string("renderYamlTo") or None
    flag = environ.get(LOCAL_CLUSTER_ENV, "").strip().lower()
    if flag not in ("", "0", "1", "true", "false"):
        r.problems.append(f"{LOCAL_CLUSTER_ENV}: {flag!r} is not a switch; use 1 or 0")
    return RuntimeSettings(render_dir=render_dir, local_cluster=flag in ("1", "true"))
