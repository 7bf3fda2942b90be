"""webstack.volumes: the claims in a checkpoint, and the sizes the API server would refuse against them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.harness import Recorder
from webstack.config.spec import ConfigError
from webstack.volumes import (
    READ_ATTEMPTS,
    RecordedClaim,
    WantedClaim,
    check_volume_sizes,
    read_recorded_resources,
    recorded_claims,
    shrink_problems,
)

NS = "webstack-dev"


def _entry(typ: str, outputs: dict[str, Any]) -> dict[str, Any]:
    return {"type": typ, "outputs": outputs}


def _claim_outputs(name: str, request: str, capacity: str | None = None, namespace: str = NS) -> dict[str, Any]:
    outputs: dict[str, Any] = {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"resources": {"requests": {"storage": request}}},
    }
    if capacity is not None:
        outputs["status"] = {"phase": "Bound", "capacity": {"storage": capacity}}
    return outputs


def test_recorded_claims_reads_name_namespace_request_and_capacity() -> None:
    answer = {
        "name": "organization/webstack/dev",
        "outputs": {
            "urn:a": _entry("kubernetes:core/v1:PersistentVolumeClaim", _claim_outputs("postgres-data", "2Gi", "2Gi")),
            "urn:b": _entry("kubernetes:core/v1:PersistentVolumeClaim", _claim_outputs("postgres-backups", "1Gi")),
        },
    }
    assert sorted(recorded_claims(answer), key=lambda c: c.name) == [
        RecordedClaim(NS, "postgres-backups", "1Gi", None),
        RecordedClaim(NS, "postgres-data", "2Gi", "2Gi"),
    ]


def test_recorded_claims_skips_other_types_and_claims_without_a_name() -> None:
    answer = {
        "outputs": {
            "urn:a": _entry("kubernetes:core/v1:Service", _claim_outputs("postgres-data", "2Gi")),
            "urn:b": _entry("kubernetes:core/v1:PersistentVolumeClaim", {"spec": {}}),
            "urn:c": "not an entry",
        }
    }
    assert recorded_claims(answer) == []


@pytest.mark.parametrize("answer", [{}, {"outputs": None}, {"outputs": "x"}])
def test_a_new_stack_or_an_empty_answer_has_no_claims(answer: dict[str, Any]) -> None:
    assert recorded_claims(answer) == []


def _problems(new: str, request: str, capacity: str | None = None) -> list[str]:
    return shrink_problems(
        NS,
        [WantedClaim("postgres-data", "dbStorageSize", new)],
        [RecordedClaim(NS, "postgres-data", request, capacity)],
    )


@pytest.mark.parametrize(
    ("new", "asked", "capacity"), [("2Gi", "2Gi", "2Gi"), ("3Gi", "2Gi", "2Gi"), ("2048Mi", "2Gi", None)]
)
def test_a_size_at_or_above_the_recorded_request_passes(new: str, asked: str, capacity: str | None) -> None:
    assert _problems(new, asked, capacity) == []


@pytest.mark.parametrize("capacity", ["2Gi", None, "5Gi"])
def test_a_size_below_the_recorded_request_is_refused_naming_the_key_and_the_floor(capacity: str | None) -> None:
    (problem,) = _problems("1Gi", "2Gi", capacity)
    assert problem == (
        "webstack:dbStorageSize: '1Gi' is smaller than the 2Gi the volume webstack-dev/postgres-data was last "
        "given; a PersistentVolumeClaim grows but never shrinks: set it to 2Gi or more, or move the data to a "
        'smaller volume with a backup and a restore (README "Backups and restore")'
    )


def test_walking_back_an_expansion_the_volume_never_got_passes() -> None:
    # Asked for 10Gi, still 2Gi: the API server lets the request come down to above the capacity.
    assert _problems("5Gi", "10Gi", "2Gi") == []


def test_walking_back_to_the_capacity_itself_is_refused_naming_what_the_volume_has() -> None:
    (problem,) = _problems("2Gi", "10Gi", "2Gi")
    assert "set it to more than 2Gi (the size the volume has)" in problem


def test_claims_in_another_namespace_or_not_wanted_are_not_compared() -> None:
    recorded = [RecordedClaim("elsewhere", "postgres-data", "9Gi", None), RecordedClaim(NS, "other", "9Gi", None)]
    assert shrink_problems(NS, [WantedClaim("postgres-data", "dbStorageSize", "1Gi")], recorded) == []


def test_a_recorded_size_that_is_no_quantity_is_left_to_the_api_server() -> None:
    assert _problems("1Gi", "lots") == []


def test_check_volume_sizes_raises_one_config_error_with_every_problem() -> None:
    wanted = [
        WantedClaim("postgres-data", "dbStorageSize", "1Gi"),
        WantedClaim("postgres-backups", "dbBackupStorageSize", "1Gi"),
    ]
    recorded = [RecordedClaim(NS, "postgres-data", "2Gi", None), RecordedClaim(NS, "postgres-backups", "4Gi", None)]
    with pytest.raises(ConfigError) as raised:
        check_volume_sizes(NS, wanted, recorded)
    assert [p.split(":")[1] for p in raised.value.problems] == ["dbStorageSize", "dbBackupStorageSize"]
    check_volume_sizes(NS, wanted[:1], [])  # nothing recorded: a first deploy


MI = 2**20


@given(
    new=st.integers(1, 4096),
    request=st.integers(1, 4096),
    capacity=st.none() | st.integers(1, 4096),
)
def test_refused_exactly_when_the_api_server_would_refuse(new: int, request: int, capacity: int | None) -> None:
    # ValidatePersistentVolumeClaimUpdate with RecoverVolumeExpansionFailure: a request may go down
    # only while it stays above status.capacity. With no capacity recorded the claim is taken as
    # bound at its request (the checkpoint holds it as created), so it may not go down at all.
    api_refuses = new < request and (capacity is None or new <= capacity)
    problems = _problems(f"{new}Mi", f"{request * MI}", None if capacity is None else f"{capacity}Mi")
    assert bool(problems) == api_refuses


class _Answer:
    def __init__(self, value: Any) -> None:
        self.value = value


class _FlakyEngine:
    """An invoke that fails ``failures`` times (as a read racing the engine's own write does), then answers."""

    def __init__(self, failures: int, value: Any) -> None:
        self.failures, self.value = failures, value
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, token: str, args: dict[str, Any]) -> _Answer:
        self.calls.append((token, dict(args)))
        if len(self.calls) <= self.failures:
            raise Exception("invoke of pulumi:pulumi:readStackResourceOutputs failed: failed to load checkpoint: EOF")
        return _Answer(self.value)


def _read(engine: _FlakyEngine, monkeypatch: pytest.MonkeyPatch) -> tuple[Mapping[str, Any], list[float], list[str]]:
    pauses: list[float] = []
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *_, **__: warnings.append(message))
    return read_recorded_resources(engine, pauses.append), pauses, warnings


def test_a_read_that_meets_the_engine_s_write_is_tried_again(mocks: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = {"name": "organization/webstack/test", "outputs": {}}
    engine = _FlakyEngine(2, answer)
    got, pauses, warnings = _read(engine, monkeypatch)
    assert got == answer
    assert engine.calls == [("pulumi:pulumi:readStackResourceOutputs", {"stackName": "organization/webstack/test"})] * 3
    assert pauses == [0.1, 0.2]
    assert warnings == []


def test_a_checkpoint_that_cannot_be_read_leaves_the_sizes_to_the_api_server_with_a_warning(
    mocks: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _FlakyEngine(99, {})
    got, pauses, warnings = _read(engine, monkeypatch)
    assert got == {}
    assert len(engine.calls) == READ_ATTEMPTS
    assert len(pauses) == READ_ATTEMPTS - 1
    (warning,) = warnings
    assert warning.startswith("the database volumes' sizes were not checked against the stack's last checkpoint (5 ")
    assert "failed to load checkpoint: EOF" in warning
    assert "the API server still refuses a smaller volume" in warning


def test_an_answer_that_is_no_mapping_reads_as_empty(mocks: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    got, _, warnings = _read(_FlakyEngine(0, None), monkeypatch)
    assert got == {}
    assert warnings == []
