"""The pure checks of PostgresDatabase's plain values, without mocks."""

from __future__ import annotations

import pytest

from components.postgres import (
    check_access_modes,
    check_cron_schedule,
    check_pg_identifier,
    check_storage_class,
    check_storage_size,
)
from components.postgres.pods import shm_size


@pytest.mark.parametrize(
    "schedule",
    [
        "0 3 * * *",
        "*/15 * * * *",
        "0 0 1,15 * *",
        "30 2 * * mon-fri",
        "0 4 ? JAN,JUL SUN",
        "5-55/10 0-23/2 1-31 1-12 0-6",
        "@daily",
        "@Weekly",
        "@midnight",
        "5/10 * * * *",
    ],
)
def test_cron_schedules_kubernetes_accepts_pass(schedule: str) -> None:
    assert check_cron_schedule(schedule, "k") == schedule


@pytest.mark.parametrize(
    ("schedule", "detail"),
    [
        ("", "is not a cron schedule"),
        ("0 3 * *", "has 4 fields, not 5"),
        ("0 3 * * * *", "has 6 fields, not 5"),
        ("60 * * * *", "minute 60 is outside 0-59"),
        ("0 24 * * *", "hour 24 is outside 0-23"),
        ("0 0 0 * *", "day of month 0 is outside 1-31"),
        ("0 0 * 13 *", "month 13 is outside 1-12"),
        ("0 0 * * 7", "day of week 7 is outside 0-6"),
        ("0 0 * * funday", "day of week 'funday' is not a number"),
        ("*/0 * * * *", "minute step '0' is not a whole number of at least 1"),
        ("10-5 * * * *", "minute range '10-5' runs backwards"),
        ("0 3 * * 1,", "day of week has an empty entry"),
        ("@every 1h", "is not a supported macro"),
        ("@fortnightly", "is not a supported macro"),
        ("CRON_TZ=UTC 0 3 * * *", "sets a time zone"),
    ],
)
def test_malformed_cron_schedules_are_refused_with_the_reason(schedule: str, detail: str) -> None:
    with pytest.raises(ValueError, match=r"^webstack:dbBackupSchedule: ") as info:
        check_cron_schedule(schedule, "webstack:dbBackupSchedule")
    assert detail in str(info.value)
    assert "'0 3 * * *'" in str(info.value), "the message shows a valid example"


def test_storage_size_accepts_whole_byte_quantities() -> None:
    assert check_storage_size("10Gi", "k") == 10 * 2**30
    assert check_storage_size("1.5Gi", "k") == 3 * 2**29
    assert check_storage_size("1G", "k") == 10**9


def test_storage_class_empty_means_the_default_class() -> None:
    assert check_storage_class("", "k") is None
    assert check_storage_class(None, "k") is None
    assert check_storage_class("gp3.encrypted", "k") == "gp3.encrypted"


def test_access_modes_refuse_duplicates() -> None:
    assert check_access_modes(["ReadWriteOnce"], "k") == ("ReadWriteOnce",)
    with pytest.raises(ValueError, match="repeats an access mode"):
        check_access_modes(["ReadWriteOnce", "ReadWriteOnce"], "k")


def test_pg_identifier_allows_plain_lowercase_names() -> None:
    assert check_pg_identifier("shop_2", "k") == "shop_2"
    with pytest.raises(ValueError, match="not a plain PostgreSQL name"):
        check_pg_identifier("x" * 64, "k")


@pytest.mark.parametrize(
    ("limit", "size"),
    [("1Gi", "512Mi"), ("512Mi", "256Mi"), ("768Mi", "384Mi"), ("1G", "476Mi"), ("3Mi", "1Mi"), ("1Mi", "1Mi")],
)
def test_shm_is_half_the_memory_limit_in_whole_mebibytes(limit: str, size: str) -> None:
    assert shm_size(limit) == size


@pytest.mark.parametrize("limit", [2**21 + step * 7_654_321 for step in range(0, 2000, 37)])
def test_shm_is_the_largest_whole_mebibyte_count_within_half_the_limit(limit: int) -> None:
    mib = int(shm_size(str(limit)).removesuffix("Mi"))
    assert mib * 2**20 <= limit / 2
    assert (mib + 1) * 2**20 > limit / 2
