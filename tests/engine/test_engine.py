"""The real engine, per stack, in render mode against a temporary file backend.

``pulumi preview`` and ``pulumi up`` succeed; the state holds exactly the resources a mocks
synthesis of the same stack registers (plus what the engine adds); a second preview finds nothing
to change; and the generated database password is nowhere in plaintext, neither in the state nor
in anything the engine printed.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from components.postgres import PASSWORD_LENGTH
from tests.engine.report import REPORT
from tests.engine.workspace import COMMAND_TIMEOUT, StackRun, engine_env, synthesized_count
from tests.harness import STACKS
from tests.workspace import Result
from tests.workspace import run as run_command

pytestmark = pytest.mark.engine

EngineRun = Callable[[str], StackRun]
# How the state marks a secret value (the engine's signature keys).
SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270"


@pytest.mark.parametrize("stack", STACKS)
def test_preview_and_up_succeed_and_render_manifests(engine_run: EngineRun, stack: str) -> None:
    run = engine_run(stack)
    for name in ("init", "preview", "up"):
        step = run.step(name)
        assert step.ok, f"{stack}: {step.explain()}"
    print(f"{stack}: preview {run.steps['preview'].seconds:.1f}s, up {run.steps['up'].seconds:.1f}s")
    assert run.manifests(), f"{stack}: render mode wrote no manifest under {run.rendered}"


@pytest.mark.parametrize("stack", STACKS)
def test_state_holds_exactly_the_resources_of_the_mocks_synthesis(engine_run: EngineRun, stack: str) -> None:
    run = engine_run(stack)
    expected = synthesized_count(stack, str(run.rendered))
    got = Counter(r["type"] for r in run.resources)
    REPORT.resources[stack] = (sum(got.values()), expected.describe())
    print(f"{stack}: expected {expected.describe()}; the state holds {sum(got.values())}")
    want = expected.registered + expected.read
    want["pulumi:pulumi:Stack"] += 1
    for package in expected.default_providers:
        want[f"pulumi:providers:{package}"] += 1
    assert sum(got.values()) == expected.total, (
        f"{stack}: the state holds {sum(got.values())} resources, the synthesis expects {expected.total}; "
        f"only in the state: {dict(got - want)}, only in the synthesis: {dict(want - got)}"
    )
    assert got == want


@pytest.mark.parametrize("stack", STACKS)
def test_every_kubernetes_object_is_rendered(engine_run: EngineRun, stack: str) -> None:
    # GIVEN render mode WHEN up has run THEN each Kubernetes object of the state has its manifest
    run = engine_run(stack)
    objects = [r for r in run.resources if r["type"].startswith("kubernetes:") and r.get("custom")]
    assert len(run.manifests()) == len(objects), (
        f"{stack}: {len(run.manifests())} manifests for {len(objects)} Kubernetes objects: "
        f"{[p.name for p in run.manifests()]}"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_second_preview_expects_no_changes(engine_run: EngineRun, stack: str) -> None:
    step = engine_run(stack).step("preview-again")
    assert step.ok, f"{stack}: the stack is not stable after up: {step.explain()}"


@pytest.mark.parametrize("stack", STACKS)
def test_state_and_engine_output_hold_no_plaintext_password(engine_run: EngineRun, stack: str) -> None:
    run = engine_run(stack)
    step = run.step("output-secret")
    assert step.ok, f"{stack}: {step.explain()}"
    password = run.password
    assert password is not None
    assert len(password) == PASSWORD_LENGTH, f"{stack}: the generated password has {len(password)} characters"
    # The admin roles' passwords: known here only from the rendered Secret (render mode writes it).
    admin = _rendered_secret(run.manifests(), "postgres-admin-credentials")
    admin_passwords = [value for key, value in admin.items() if key.endswith("-password")]
    assert len(admin_passwords) == 3
    export = run.step("export").stdout
    for secret in (password, *admin_passwords):
        # The Secret's data is the base64 of the password: look for both spellings.
        spellings = {"plaintext": secret, "base64": base64.b64encode(secret.encode()).decode()}
        for how, text in spellings.items():
            assert text not in export, f"{stack}: `pulumi stack export` holds a database password ({how})"
            assert text not in run.logs(), f"{stack}: the engine printed a database password ({how})"
    # They are there, encrypted: each password resource's result is a secret with a ciphertext.
    generated = [r for r in run.resources if r["type"] == "random:index/randomPassword:RandomPassword"]
    assert len(generated) == 4, "the app's, the superuser's, the backup and the monitoring role's"
    for resource in generated:
        result = resource["outputs"]["result"]
        assert result.get(SECRET_SIG) == SECRET_VALUE, f"{stack}: {resource['urn']} is not a secret in the state"
        assert result.get("ciphertext"), f"{stack}: {resource['urn']} has no ciphertext in the state"


def _preview_with(run: StackRun, config: dict[str, str]) -> Result:
    """``pulumi preview`` of the stack after its up, with ``config`` over its stack file (put back after)."""
    project = run.workdir / "project"
    stack_file = project / f"Pulumi.{run.stack}.yaml"
    before = stack_file.read_text()
    settings = [arg for key, value in config.items() for arg in ("--config", f"webstack:{key}={value}")]
    try:
        return run_command(
            ["pulumi", "preview", "--stack", run.stack, "--non-interactive", *settings],
            cwd=project,
            env=engine_env(run.workdir),
            timeout=COMMAND_TIMEOUT,
        )
    finally:
        stack_file.write_text(before)


def test_smaller_volumes_are_refused_naming_each_key_before_any_resource(engine_run: EngineRun) -> None:
    # staging: dbStorageSize 10Gi, dbBackupStorageSize 20Gi, recorded by its up.
    run = engine_run("staging")
    run.step("up")
    result = _preview_with(run, {"dbStorageSize": "5Gi", "dbBackupStorageSize": "19Gi"})
    assert not result.ok, "preview accepted smaller volumes"
    for key, size, was, claim in (
        ("dbStorageSize", "5Gi", "10Gi", "postgres-data"),
        ("dbBackupStorageSize", "19Gi", "20Gi", "postgres-backups"),
    ):
        assert (
            f"webstack:{key}: '{size}' is smaller than the {was} the volume webstack-staging/{claim} was last given"
        ) in result.output, result.output
    assert "Traceback" not in result.output, result.output
    assert "kubernetes:core/v1:PersistentVolumeClaim" not in result.output, "a resource was registered"


def test_larger_volumes_preview_as_updates_in_place(engine_run: EngineRun) -> None:
    # The control of the test above: the same stack, growing.
    run = engine_run("staging")
    run.step("up")
    result = _preview_with(run, {"dbStorageSize": "11Gi", "dbBackupStorageSize": "21Gi"})
    assert result.ok, result.explain()
    updates = [line for line in result.output.splitlines() if "kubernetes:core/v1:PersistentVolumeClaim" in line]
    assert len(updates) == 2, result.output
    assert all("~" in line and "update" in line and "replace" not in line for line in updates), updates


def _rendered_secret(manifests: list[Path], name: str) -> dict[str, str]:
    """The plain values of the rendered Secret ``name`` (stringData, or data decoded)."""
    for path in manifests:
        for document in yaml.safe_load_all(path.read_text()):
            if document and document.get("kind") == "Secret" and document["metadata"]["name"] == name:
                if document.get("stringData"):
                    return {k: str(v) for k, v in document["stringData"].items()}
                return {k: base64.b64decode(v).decode() for k, v in (document.get("data") or {}).items()}
    raise AssertionError(f"no rendered Secret {name}")
