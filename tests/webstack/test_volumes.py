"""webstack.volumes: the claims in a checkpoint, and the sizes the API server would refuse against them."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webstack.config.spec import ConfigError
from webstack.volumes import RecordedClaim, WantedClaim, check_volume_sizes, recorded_claims, shrink_problems

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
