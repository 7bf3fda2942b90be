"""Pulumi.yaml, the stack files and the README stay in step with the key list."""

from __future__ import annotations

import subprocess
import sys

from tests.harness import ROOT, STACKS, project_document, stack_config
from webstack.settings import ALL_KEYS


def test_pulumi_yaml_declares_every_key_with_type_and_description() -> None:
    config = project_document()["config"]
    assert list(config) == [k.name for k in ALL_KEYS]
    for key in ALL_KEYS:
        entry = config[key.name]
        assert entry["type"] == key.type
        assert entry["description"]
        assert entry.get("default", "REQUIRED") == (key.default if not key.required else "REQUIRED")


def test_pulumi_yaml_uses_python_with_a_pip_virtualenv() -> None:
    runtime = project_document()["runtime"]
    assert runtime["name"] == "python"
    assert runtime["options"] == {"toolchain": "pip", "virtualenv": ".venv"}


def test_generated_files_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/gen_config.py", "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_stack_files_use_only_declared_keys() -> None:
    declared = {k.name for k in ALL_KEYS}
    for stack in STACKS:
        assert set(stack_config(stack)) <= declared, stack


def test_readme_gives_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "scripts/deploy.sh" in readme
    assert "scripts/test.sh" in readme
    assert (ROOT / ".ci" / "run").read_text().count("scripts/test.sh") >= 1
