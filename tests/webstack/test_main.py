"""__main__.py under the mocks: bad config ends the program with one RunError, before any resource.

The program runs inside ``@pulumi.runtime.test``, which waits for every registration the program
started, so a resource registered before the error would be recorded (the control test shows it).
"""

from __future__ import annotations

import json
import runpy
from typing import Any

import pulumi

from tests.harness import ROOT, Recorder, install_mocks, stack_config


def _run_program(
    config: dict[str, Any], answers: dict[str, dict[str, Any]] | None = None
) -> tuple[BaseException | None, Recorder]:
    """Run __main__.py with ``config`` (bare webstack keys, or full names with a ':') and the
    invoke ``answers`` (token -> result); return its RunError (None when it ran through) and the
    recorder of what it registered."""
    full = {k if ":" in k else f"webstack:{k}": v for k, v in config.items()}
    recorder = install_mocks(stack="prod")
    recorder.answers.update(answers or {})
    pulumi.runtime.set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in full.items()})
    box: dict[str, BaseException] = {}

    @pulumi.runtime.test
    def run() -> None:
        try:
            runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
        except pulumi.RunError as err:
            box["error"] = err

    run()
    return box.get("error"), recorder


def test_a_valid_stack_file_registers_resources_through_the_same_path() -> None:
    # The control: the harness sees what the program registers.
    error, recorder = _run_program(stack_config("prod"))
    assert error is None
    assert len(recorder.resources) > 10


def test_bad_config_is_one_run_error_listing_every_problem_and_registers_nothing() -> None:
    config = {
        **stack_config("prod"),
        "helmTimeout": "６００",
        "quotaRequestsCpu": "1",
        "web:appReplicas": "3",
        "dbUser": "pg_app",
        "grafanaAdminPassword": "hunter22-plain",
    }
    error, recorder = _run_program(config)
    assert isinstance(error, pulumi.RunError)
    message = str(error)
    assert message.startswith("invalid webstack configuration (5 problems):\n")
    for start in (
        "  - webstack:helmTimeout: expected a whole number from 30 to 3600, got '６００'",
        "  - webstack:quotaRequestsCpu: '1' is less than the workloads take at their peak: 3310m = ",
        "  - web:appReplicas: is not read: the project's config keys start with 'webstack:', not 'web:'",
        "  - webstack:dbUser: 'pg_app' is reserved by PostgreSQL",
        "  - webstack:grafanaAdminPassword: holds plaintext",
    ):
        assert any(line.startswith(start) for line in message.splitlines()), start
    assert "hunter22" not in message
    assert recorder.resources == []


def _checkpoint(*claims: tuple[str, str, str | None]) -> dict[str, dict[str, Any]]:
    """A readStackResourceOutputs answer holding PersistentVolumeClaims (name, request, capacity)."""
    resources = {
        f"urn:pulumi:prod::webstack::kubernetes:core/v1:PersistentVolumeClaim::{name}": {
            "type": "kubernetes:core/v1:PersistentVolumeClaim",
            "outputs": {
                "metadata": {"name": name, "namespace": "webstack-prod"},
                "spec": {"resources": {"requests": {"storage": request}}},
                "status": {"capacity": {"storage": capacity}} if capacity else {"phase": "Pending"},
            },
        }
        for name, request, capacity in claims
    }
    return {"pulumi:pulumi:readStackResourceOutputs": {"name": "organization/webstack/prod", "outputs": resources}}


def test_a_volume_smaller_than_the_checkpoint_s_ends_the_run_naming_the_key_and_registers_nothing() -> None:
    # prod sets dbStorageSize 50Gi and dbBackupStorageSize 100Gi.
    error, recorder = _run_program(
        stack_config("prod"), _checkpoint(("postgres-data", "60Gi", "60Gi"), ("postgres-backups", "100Gi", None))
    )
    assert isinstance(error, pulumi.RunError)
    message = str(error)
    assert message.startswith("invalid webstack configuration (1 problem):\n")
    assert (
        "  - webstack:dbStorageSize: '50Gi' is smaller than the 60Gi the volume webstack-prod/postgres-data was "
        "last given; a PersistentVolumeClaim grows but never shrinks: set it to 60Gi or more"
    ) in message
    assert recorder.resources == []
    (call,) = [args for token, args in recorder.calls if token == "pulumi:pulumi:readStackResourceOutputs"]
    assert call == {"stackName": "organization/webstack/prod"}


def test_volumes_at_or_above_the_checkpoint_s_sizes_build_the_stack() -> None:
    # The control of the test above: the same checkpoint, sizes that the API server accepts.
    error, recorder = _run_program(
        stack_config("prod"), _checkpoint(("postgres-data", "40Gi", "40Gi"), ("postgres-backups", "100Gi", "100Gi"))
    )
    assert error is None
    claims = recorder.of_type("kubernetes:core/v1:PersistentVolumeClaim")
    assert {c.metadata["name"]: c.spec["resources"]["requests"]["storage"] for c in claims} == {
        "postgres-data": "50Gi",
        "postgres-backups": "100Gi",
    }
