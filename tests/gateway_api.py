"""The Gateway API CRDs (standard channel) at the version ``Platform`` pins, as test data.

They come from the pinned Go module ``sigs.k8s.io/gateway-api`` (its ``config/crd/standard``
folder), downloaded at test time with ``go mod download`` into a cache folder outside the
repository (``$XDG_CACHE_HOME/webstack/gomod``, or ``WEBSTACK_GOMODCACHE``); nothing of it is
copied into the project.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from components.platform import GATEWAY_API_VERSION
from tests.workspace import base_env, run

MODULE = "sigs.k8s.io/gateway-api"
DOWNLOAD_TIMEOUT = 600


def module_cache() -> Path:
    configured = os.environ.get("WEBSTACK_GOMODCACHE")
    if configured:
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "webstack" / "gomod"


def standard_crds() -> Path:
    """The folder of the pinned standard-channel CRD files; fails with go's message when it cannot be had."""
    go = shutil.which("go")
    if go is None:
        raise AssertionError("`go` is not on PATH: the Gateway API CRDs come from the Go module proxy")
    env = base_env()
    env.update({"GOMODCACHE": str(module_cache()), "GOFLAGS": "-mod=mod"})
    result = run([go, "mod", "download", "-json", f"{MODULE}@{GATEWAY_API_VERSION}"], env=env, timeout=DOWNLOAD_TIMEOUT)
    if not result.ok:
        raise AssertionError(f"go mod download {MODULE}@{GATEWAY_API_VERSION} failed:\n{result.explain()}")
    folder = Path(json.loads(result.stdout)["Dir"]) / "config" / "crd" / "standard"
    if not any(folder.glob("*.yaml")):
        raise AssertionError(f"{folder} holds no CRD file")
    return folder
