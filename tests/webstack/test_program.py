"""webstack.program: what __main__.py runs, and how a bad input ends the run."""

from __future__ import annotations

import pulumi
import pytest

from tests.harness import Recorder, stack_config, synth
from webstack import program
from webstack.settings import load_settings


def test_a_bad_config_value_ends_the_run_with_its_message_only(mocks: Recorder) -> None:
    pulumi.runtime.set_all_config({"webstack:appReplicas": "zero"})
    with pytest.raises(pulumi.RunError) as raised:
        program.load()
    assert "webstack:appReplicas" in str(raised.value)
    # No chained traceback: the engine prints the message alone.
    assert raised.value.__suppress_context__
    assert not mocks.resources


def test_build_registers_the_stack_and_returns_its_outputs(mocks: Recorder) -> None:
    settings = load_settings(stack_config("dev"), "dev")
    outputs = synth(lambda: program.build(settings))
    assert outputs["url"] == "https://webstack-dev.example.test/"
    assert any(r.typ == "kubernetes:apps/v1:Deployment" for r in mocks.resources)
