"""One Helm chart installed with a pinned version and secret-safe values, as a Helm release or as objects.

Two mechanisms (``mechanism``):

* ``release`` (``kubernetes.helm.v3.Release``): Helm's own lifecycle in the cluster. Hooks run,
  CRDs in ``crds/`` are installed once, ``helm.sh/resource-policy: keep`` is honoured; a preview
  shows one values diff, render mode cannot write it, and policies and linters never see the
  chart's objects.
* ``chart`` (``kubernetes.helm.v4.Chart``): the chart is rendered client-side and every object is
  a Pulumi resource: per-object diffs, render mode, the policy pack and the linters see them all,
  CRDs are applied before the custom resources of the chart. Helm hooks are skipped (not run), so
  only a chart whose objects need no hook can use it.

The chart comes from exactly one source: a chart repository (``https://``), an OCI registry
(``oci://``; the chart name is appended) or a local chart directory or ``.tgz`` (air-gapped
clusters, tests). Repository and OCI charts need an exact version; a local chart is pinned by its
own ``Chart.yaml``, and a version given for it must match.

Values are merged in three layers: the caller's defaults, then the stack config overrides, then the
secret values, whose leaves travel as Pulumi secrets; when there are any, the whole ``values``
input and output of the Release are secret in the state.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.validation import check_choice, check_dns_label, check_int_range

# An exact SemVer 2 version (Helm accepts a leading "v", e.g. cert-manager's "v1.21.2");
# ranges such as "^1.2", "~1.2.3", "1.x" or "*" are refused: a release must be reproducible.
_EXACT_VERSION = re.compile(r"v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?", re.ASCII)
_SCHEMES = ("https://", "oci://")
MAX_RELEASE_NAME = 53  # Helm's limit: release names end up in label values with suffixes
DEFAULT_TIMEOUT = 600
RELEASE = "release"
CHART = "chart"
MECHANISMS = (RELEASE, CHART)


class HelmReleaseArgs(TypedDict):
    """Inputs of ``HelmRelease``."""

    chart: str
    """Chart name, e.g. ``traefik`` (DNS-1123 label). Required."""
    namespace: pulumi.Input[str]
    """Namespace the release is installed into. Required."""
    version: NotRequired[str | None]
    """Exact chart version, e.g. ``41.5.0``. Required with ``repo``; with ``path`` it defaults to
    the chart's ``Chart.yaml`` version and must match it when given. Default: ``None``."""
    repo: NotRequired[str | None]
    """Chart repository URL (``https://...``) or OCI registry prefix (``oci://host/path``; the chart
    name is appended). Exactly one of ``repo`` and ``path`` is set. Default: ``None``."""
    path: NotRequired[str | None]
    """Local chart directory (with ``Chart.yaml``) or packaged ``.tgz``, relative to the project
    directory or absolute. Default: ``None``."""
    release_name: NotRequired[str]
    """Helm release name (at most 53 characters). Default: the chart name."""
    create_namespace: NotRequired[bool]
    """Let Helm create the namespace when it is missing (without Pod Security labels). Default:
    ``False``: the caller creates a labelled namespace first."""
    values: NotRequired[Mapping[str, Any]]
    """Chart values chosen by the caller. Default: none (the chart's own defaults)."""
    overrides: NotRequired[Mapping[str, Any]]
    """Values from stack config, deep-merged over ``values`` (mappings merge, anything else
    replaces). Default: none."""
    secret_values: NotRequired[Mapping[str, Any]]
    """Values merged last whose leaves are secrets (e.g. a password); they are wrapped as Pulumi
    secrets and the Release's values are kept secret in the state. Default: none."""
    timeout: NotRequired[int]
    """Seconds Helm waits for the release's resources (and hook jobs) to be ready. Default: ``600``."""
    max_history: NotRequired[int]
    """Release revisions Helm keeps for rollback. Default: ``10``."""
    mechanism: NotRequired[str]
    """``release`` (Helm's lifecycle) or ``chart`` (each object a Pulumi resource; hooks skipped).
    Default: ``"release"``."""
    depends_on: NotRequired[Sequence[pulumi.Resource]]
    """Resources the Release waits for, e.g. CRDs of kinds its chart renders. Default: none."""


class ChartSource(TypedDict):
    """Where a chart comes from, as resolved by ``resolve_chart``."""

    chart: str
    """What the Release's ``chart`` input gets: a chart name, an ``oci://`` reference or a path."""
    version: str
    repo: str | None
    """The https chart repository, if any (OCI and local charts have none)."""


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """A new mapping: ``override`` over ``base``; nested mappings merge, other values replace."""
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def _as_secrets(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: _as_secrets(value) if isinstance(value, Mapping) else pulumi.Output.secret(value)
        for key, value in values.items()
    }


def _check_version(version: str, what: str) -> str:
    if not isinstance(version, str) or not _EXACT_VERSION.fullmatch(version):
        raise ValueError(
            f"{what}: {version!r} is not an exact chart version; pin one released version such as '41.5.0' "
            "or 'v1.21.2' (ranges like '^1.2' or '1.x' make a deploy unrepeatable)"
        )
    return version


def read_local_chart(path: str, what: str) -> dict[str, Any]:
    """The parsed ``Chart.yaml`` of a local chart directory; a packaged ``.tgz`` is taken as it is."""
    location = Path(path)
    if location.is_file() and location.name.endswith((".tgz", ".tar.gz")):
        return {}
    chart_file = location / "Chart.yaml"
    if not chart_file.is_file():
        raise ValueError(
            f"{what}: {path!r} is not a chart: no Chart.yaml there; point it at an unpacked chart directory "
            "or a packaged .tgz (e.g. from `helm pull --untar`)"
        )
    try:
        document = yaml.safe_load(chart_file.read_text())
    except yaml.YAMLError as err:
        raise ValueError(f"{what}: {chart_file} is not valid YAML ({err}); fix or re-download the chart") from err
    if not isinstance(document, dict) or not document.get("name") or not document.get("version"):
        raise ValueError(f"{what}: {chart_file} has no name or version; fix or re-download the chart")
    return document


def resolve_chart(chart: str, version: str | None, repo: str | None, path: str | None) -> ChartSource:
    """Check that exactly one source is given and turn it into the Release's chart inputs."""
    what = f"HelmRelease {chart!r}"
    if repo and path:
        raise ValueError(
            f"{what}: both repo {repo!r} and path {path!r} are set; use repo for a published chart or path "
            "for a local copy, not both"
        )
    if not repo and not path:
        raise ValueError(
            f"{what}: no chart source; set repo (an https:// chart repository or an oci:// registry) or path "
            "(a local chart directory, for air-gapped clusters and tests)"
        )
    if repo:
        if not repo.startswith(_SCHEMES):
            raise ValueError(
                f"{what} repo: {repo!r} is neither an https:// chart repository nor an oci:// registry; use "
                "one of those (plain http lets anyone on the path swap the chart)"
            )
        if version is None:
            raise ValueError(f"{what} version: not set; pin the exact chart version to install from {repo}")
        pinned = _check_version(version, f"{what} version")
        if repo.startswith("oci://"):
            return ChartSource(chart=f"{repo.rstrip('/')}/{chart}", version=pinned, repo=None)
        return ChartSource(chart=chart, version=pinned, repo=repo)
    assert path is not None
    document = read_local_chart(path, f"{what} path")
    local_version = str(document["version"]) if document else None
    if version is not None and local_version is not None and version != local_version:
        raise ValueError(
            f"{what} path: the chart at {path!r} is version {local_version}, but {version} is pinned; copy the "
            "pinned version there or change the pin"
        )
    resolved = version or local_version
    if resolved is None:
        raise ValueError(f"{what} version: a packaged chart ({path!r}) needs the version it holds; set version")
    return ChartSource(chart=path, version=_check_version(resolved, f"{what} version"), repo=None)


class HelmRelease(pulumi.ComponentResource):
    """A pinned chart installed as a Helm release (cleaned up when an install or upgrade fails) or as objects."""

    release: k8s.helm.v3.Release | None
    """The underlying Release with the ``release`` mechanism."""
    chart: k8s.helm.v4.Chart | None
    """The underlying Chart with the ``chart`` mechanism."""
    installed: pulumi.Resource
    """The Release or the Chart: ``depends_on`` it for objects whose CRDs or webhooks it installs."""
    name: pulumi.Output[str]
    namespace: pulumi.Output[str]
    status: pulumi.Output[str]
    source: ChartSource

    def __init__(self, resource_name: str, args: HelmReleaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:platform:HelmRelease", resource_name, None, opts)
        chart = check_dns_label(args["chart"], "HelmRelease chart")
        source = resolve_chart(chart, args.get("version"), args.get("repo"), args.get("path"))
        release_name = check_dns_label(args.get("release_name", chart), "HelmRelease release_name")
        if len(release_name) > MAX_RELEASE_NAME:
            raise ValueError(
                f"HelmRelease release_name: {release_name!r} is longer than {MAX_RELEASE_NAME} characters; "
                "use a shorter name"
            )
        timeout = check_int_range(args.get("timeout", DEFAULT_TIMEOUT), "HelmRelease timeout", 30, 3600)
        max_history = check_int_range(args.get("max_history", 10), "HelmRelease max_history", 1, 100)
        mechanism = check_choice(args.get("mechanism", RELEASE), "HelmRelease mechanism", MECHANISMS)
        secret_values = args.get("secret_values", {})
        values = deep_merge(args.get("values", {}), args.get("overrides", {}))
        values_input: pulumi.Input[Mapping[str, Any]] = values
        secret_outputs: list[str] = []
        if secret_values:
            values_input = pulumi.Output.secret(deep_merge(values, _as_secrets(secret_values)))
            # The provider echoes the values back as an output: keep that copy encrypted too.
            secret_outputs = ["values"]

        depends_on = list(args.get("depends_on", [])) or None
        self.source = source
        self.name = pulumi.Output.from_input(release_name)
        self.namespace = pulumi.Output.from_input(args["namespace"])
        self.release = None
        self.chart = None
        if mechanism == CHART:
            self.chart = k8s.helm.v4.Chart(
                f"{resource_name}-chart",
                name=release_name,
                chart=source["chart"],
                version=source["version"],
                repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=source["repo"]) if source["repo"] else None,
                namespace=args["namespace"],
                values=values_input,
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
            )
            self.installed = self.chart
            # Every object of the chart is awaited by the provider; the Chart's resources resolve after.
            self.status = self.chart.resources.apply(lambda _: "deployed")
            self.register_outputs({"name": self.name, "namespace": self.namespace, "status": self.status})
            return
        self.release = k8s.helm.v3.Release(
            f"{resource_name}-release",
            name=release_name,
            chart=source["chart"],
            version=source["version"],
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=source["repo"]) if source["repo"] else None,
            namespace=args["namespace"],
            create_namespace=args.get("create_namespace", False),
            values=values_input,
            timeout=timeout,
            # A failed upgrade removes what it created. Not atomic: a failed first install stays
            # inspectable instead of vanishing.
            cleanup_on_fail=True,
            atomic=False,
            # Wait for Deployments and hook Jobs: custom resources that depend on this release (and
            # are checked by the chart's webhooks) must find them ready.
            skip_await=False,
            wait_for_jobs=True,
            max_history=max_history,
            opts=pulumi.ResourceOptions(
                parent=self,
                additional_secret_outputs=secret_outputs or None,
                depends_on=depends_on,
            ),
        )
        self.installed = self.release
        self.status = self.release.status.apply(lambda s: s.status)
        self.register_outputs({"name": self.name, "namespace": self.namespace, "status": self.status})
