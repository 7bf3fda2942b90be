"""renovate.json: every custom manager finds the pins it is written for, with the values the files hold.

renovate-config-validator (scripts/renovate-check.sh) checks the config's shape; it cannot tell that a regex no
longer matches the file it watches, which would silently stop the updates. These tests read the pins straight from
the files (imports, not the regexes) and require each manager to extract exactly those.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from components.platform import CHARTS, CRD_UPGRADE_BUSYBOX_TAG
from components.postgres.monitoring import DEFAULT_EXPORTER_IMAGE
from components.postgres.server import DEFAULT_IMAGE
from tests.harness import ROOT

CONFIG: dict[str, Any] = json.loads((ROOT / "renovate.json").read_text())


def _manager(description_start: str) -> dict[str, Any]:
    found = [m for m in CONFIG["customManagers"] if m["description"].startswith(description_start)]
    assert len(found) == 1, f"want one custom manager described '{description_start}...', found {len(found)}"
    return found[0]


def _files(manager: dict[str, Any]) -> list[Path]:
    patterns = [re.compile(p) for p in manager["fileMatch"]]
    tracked = [p.relative_to(ROOT) for p in ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts]
    return [ROOT / p for p in tracked if any(r.search(p.as_posix()) for r in patterns)]


def _extract(manager: dict[str, Any]) -> list[dict[str, str]]:
    """What Renovate's regex manager captures: every match of every matchString in every watched file."""
    found = []
    for path in _files(manager):
        text = path.read_text()
        for pattern in manager["matchStrings"]:
            # Renovate's ECMAScript named groups, in Python's spelling.
            for match in re.finditer(pattern.replace("(?<", "(?P<"), text):
                found.append({k: v for k, v in match.groupdict().items() if v is not None})
    return found


def _script_pin(script: str, variable: str) -> str:
    match = re.search(rf"^{variable}=\"?([^\"\s]+)\"?", (ROOT / "scripts" / "toolchain" / script).read_text(), re.M)
    assert match is not None, f"{variable} not found in scripts/toolchain/{script}"
    return match.group(1)


def test_the_stack_files_app_images_are_extracted() -> None:
    values = _extract(_manager("Container images in the stack files"))
    stacks = sorted(ROOT.glob("Pulumi.*.yaml"))
    images = [m for p in stacks for m in re.findall(r"^\s*webstack:appImage:\s*(\S+)", p.read_text(), re.M)]
    assert len(values) == len(images) == len(stacks)
    assert [f"{v['depName']}:{v['currentValue']}" for v in values] == images


def test_the_default_images_are_extracted_from_the_code_docstrings_and_pulumi_yaml() -> None:
    found = {f"{v['depName']}:{v['currentValue']}" for v in _extract(_manager("Default container images"))}
    assert found == {DEFAULT_IMAGE, DEFAULT_EXPORTER_IMAGE}


def test_every_chart_pin_is_extracted_with_its_version_and_source() -> None:
    https = _extract(_manager("Helm chart pins from chart repositories"))
    oci = _extract(_manager("Helm chart pins from OCI registries"))
    got = {v["depName"]: (v["currentValue"], v["registryUrl"]) for v in https}
    got.update({v["depName"]: (v["currentValue"], "oci://" + v["ociPrefix"]) for v in oci})
    assert got == {pin["chart"]: (pin["version"], pin["repo"]) for pin in CHARTS.values()}


def test_the_crd_upgrade_jobs_busybox_tag_is_extracted() -> None:
    values = _extract(_manager("The busybox image of kube-prometheus-stack"))
    assert [v["currentValue"] for v in values] == [CRD_UPGRADE_BUSYBOX_TAG]


@pytest.mark.parametrize(
    ("description", "script", "variable"),
    [
        ("The Pulumi CLI the toolchain builds", "pulumi.sh", "PULUMI_VERSION"),
        ("The Pulumi YAML language host", "yaml.sh", "YAML_VERSION"),
        ("Kubernetes control plane", "cluster.sh", "K8S_VERSION"),
        ("etcd the toolchain builds", "cluster.sh", "ETCD_VERSION"),
        ("kwok the toolchain builds", "cluster.sh", "KWOK_VERSION"),
        ("kube-score", "linters.sh", "KUBE_SCORE_VERSION"),
        ("actionlint", "linters.sh", "ACTIONLINT_VERSION"),
        ("checkov", "linters.sh", "CHECKOV_VERSION"),
        ("kubernetes-validate", "linters.sh", "KUBERNETES_VALIDATE_VERSION"),
    ],
)
def test_each_toolchain_pin_is_extracted(description: str, script: str, variable: str) -> None:
    values = _extract(_manager(description))
    assert [v["currentValue"] for v in values] == [_script_pin(script, variable)]


def test_the_workflows_pulumi_cli_is_extracted_and_equals_the_sdk_pin() -> None:
    values = _extract(_manager("The released Pulumi CLI the workflows install"))
    sdk = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)
    assert sdk is not None
    # The composite action (preview, up) and the drift workflow.
    assert [v["currentValue"] for v in values] == [sdk.group(1)] * 2


def test_the_validators_own_pin_is_extracted() -> None:
    values = _extract(_manager("renovate-config-validator"))
    text = (ROOT / "scripts" / "renovate-check.sh").read_text()
    assert [v["currentValue"] for v in values] == re.findall(r"^RENOVATE_VERSION=(\S+)$", text, re.M)


def test_every_action_outside_the_repository_is_pinned_by_a_commit_sha_with_its_version() -> None:
    uses = []
    for path in [*(ROOT / ".github").rglob("*.yml"), *(ROOT / ".github").rglob("*.yaml")]:
        uses += re.findall(r"^\s*-?\s*uses:\s*(\S+)(.*)$", path.read_text(), re.M)
    remote = [(ref, rest) for ref, rest in uses if not ref.startswith("./")]
    assert remote, "no action found under .github"
    for ref, rest in remote:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), f"{ref} is not pinned by a full commit SHA"
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", rest), f"{ref} lacks its '# vX.Y.Z' comment"
    assert any(ref.startswith("pulumi/actions@") and rest.strip().startswith("# v7.") for ref, rest in remote)
