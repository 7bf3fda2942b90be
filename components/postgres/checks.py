"""The pure checks of PostgresDatabase's plain inputs, shared with the settings loader.

Each raises ``ValueError`` naming the input and the fix, like ``components.validation``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal

from components.validation import check_byte_quantity, check_dns_subdomain, shown

ACCESS_MODES = ("ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany", "ReadOnlyMany")
CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_MONTHS = {
    m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])
}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
# (field, low, high, names): the fields Kubernetes' CronJob controller (robfig/cron) accepts.
_CRON_FIELDS: tuple[tuple[str, int, int, Mapping[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _DAYS),
)
# Matched with fullmatch, ASCII only: '\d' and '$' would admit other digits and a trailing newline.
_PG_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}", re.ASCII)
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}", re.ASCII)
_CRON_TEXT = re.compile(r"[ -~]+", re.ASCII)


def check_pg_identifier(value: str, what: str) -> str:
    """A database or role name that needs no quoting: lowercase letters, digits and '_'."""
    if not isinstance(value, str) or not _PG_IDENTIFIER.fullmatch(value):
        raise ValueError(
            f"{what}: {shown(value)} is not a plain PostgreSQL name; use 1-63 lowercase letters, digits and "
            "'_', starting with a letter or '_' (e.g. 'app')"
        )
    return value


def check_storage_size(value: str, what: str) -> Decimal:
    """A volume size: a positive, whole number of bytes such as ``10Gi``."""
    return check_byte_quantity(value, what)


def check_storage_class(value: str | None, what: str) -> str | None:
    """A StorageClass name (a DNS-1123 subdomain); empty or None means the cluster's default class."""
    if value is None or value == "":
        return None
    return check_dns_subdomain(value, what)


def check_access_modes(modes: Sequence[str], what: str) -> tuple[str, ...]:
    """Known, distinct PVC access modes, at least one of them writable (PostgreSQL writes)."""
    if isinstance(modes, str) or not modes:
        raise ValueError(f"{what}: {modes!r} must be a non-empty list of access modes, e.g. ['ReadWriteOnce']")
    for mode in modes:
        if mode not in ACCESS_MODES:
            raise ValueError(f"{what}: {mode!r} is not an access mode; use one of {', '.join(ACCESS_MODES)}")
    if len(set(modes)) != len(modes):
        raise ValueError(f"{what}: {list(modes)!r} repeats an access mode; list each once")
    if set(modes) == {"ReadOnlyMany"}:
        raise ValueError(f"{what}: {list(modes)!r} is read-only; PostgreSQL needs 'ReadWriteOnce' (recommended)")
    return tuple(modes)


def _cron_number(token: str, field: str, low: int, high: int, names: Mapping[str, int]) -> int:
    lowered = token.lower()
    if lowered in names:
        return names[lowered]
    if not _WHOLE_NUMBER.fullmatch(token):
        raise ValueError(f"{field} {shown(token)} is not a number")
    number = int(token)
    if not low <= number <= high:
        raise ValueError(f"{field} {number} is outside {low}-{high}")
    return number


def _check_cron_field(text: str, field: str, low: int, high: int, names: Mapping[str, int]) -> None:
    for part in text.split(","):
        base, slash, step = part.partition("/")
        if slash and (not _WHOLE_NUMBER.fullmatch(step) or int(step) < 1):
            raise ValueError(f"{field} step {shown(step)} is not a whole number of at least 1")
        if base in ("*", "?"):
            continue
        if not base:
            raise ValueError(f"{field} has an empty entry in {shown(text)}")
        start, dash, end = base.partition("-")
        first = _cron_number(start, field, low, high, names)
        if dash and _cron_number(end, field, low, high, names) < first:
            raise ValueError(f"{field} range {shown(base)} runs backwards")


def check_cron_schedule(value: str, what: str) -> str:
    """A CronJob schedule: five fields (minute hour day-of-month month day-of-week) or a macro.

    Follows what the Kubernetes CronJob controller accepts (numbers, ranges, lists, steps, month
    and weekday names, ``?``); time zones belong in ``spec.timeZone``, not in the schedule.
    """
    fix = (
        "use five fields 'minute hour day-of-month month day-of-week' such as '0 3 * * *' "
        f"(03:00 every day) or one of {', '.join(CRON_MACROS)}"
    )
    # Printable ASCII, spaces between the fields: no tab, newline or non-ASCII digit or space.
    if not isinstance(value, str) or not _CRON_TEXT.fullmatch(value) or value != value.strip():
        raise ValueError(f"{what}: {shown(value)} is not a cron schedule; {fix}")
    text = value
    if text.startswith("@"):
        if text.lower() not in CRON_MACROS:
            raise ValueError(f"{what}: {shown(value)} is not a supported macro; {fix}")
        return value
    if "TZ=" in text.upper():
        raise ValueError(f"{what}: {shown(value)} sets a time zone; the schedule runs in UTC, so drop it and {fix}")
    fields = text.split()
    if len(fields) != len(_CRON_FIELDS):
        raise ValueError(f"{what}: {shown(value)} has {len(fields)} fields, not 5; {fix}")
    for field_text, (field, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        try:
            _check_cron_field(field_text, field, low, high, names)
        except ValueError as err:
            raise ValueError(f"{what}: {shown(value)} is not a valid cron schedule ({err}); {fix}") from err
    return value
