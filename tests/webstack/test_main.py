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


def _run_program(config: dict[str, Any]) -> tuple[BaseException | None, Recorder]:
    """Run __main__.py with ``config`` (bare webstack keys, or full names with a ':'); return its
    RunError (None when it ran through) and the recorder of what it registered."""
    full = {k if ":" in k else f"webstack:{k}": v for k, v in config.items()}
    recorder = install_mocks(stack="prod")
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
