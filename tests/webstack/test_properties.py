"""Property-based tests of the settings loader (hypothesis).

Generated valid values are always accepted; the same values made into near-misses (a trailing
newline, a non-ASCII digit or letter, a space) are always refused with the key named; and the
loader, fed random YAML-like values for any key, raises nothing but ConfigError. Example counts
come from the profile in tests/conftest.py ("unit" by default, HYPOTHESIS_PROFILE=fuzz for more).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from components.validation import PG_RESERVED_WORDS
from tests.webstack.loading import MINIMAL
from webstack.config.spec import ConfigError
from webstack.settings import ALL_KEYS, Settings, load_settings

LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
ALNUM = LOWER + DIGITS


def _load(**raw: Any) -> Settings:
    return load_settings({**MINIMAL, **raw}, "test")


def _problems(**raw: Any) -> list[str]:
    try:
        load_settings({**MINIMAL, **raw}, "test")
    except ConfigError as err:
        return err.problems
    return []


# --- valid values, by the definitions -------------------------------------------------------

dns_labels = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True)
whole_bytes = st.builds(
    lambda n, unit: f"{n}{unit}", st.integers(1, 4096), st.sampled_from(["Ki", "Mi", "Gi", "k", "M", "G", ""])
)
pg_names = st.from_regex(r"[a-z_][a-z0-9_]{0,62}", fullmatch=True).filter(
    lambda n: n not in PG_RESERVED_WORDS and not n.startswith("pg_") and n not in ("public", "none", "postgres")
)


def _cron_field(low: int, high: int) -> st.SearchStrategy[str]:
    number = st.integers(low, high).map(str)
    span = st.tuples(st.integers(low, high), st.integers(low, high)).map(lambda ab: f"{min(ab)}-{max(ab)}")
    step = st.tuples(st.sampled_from(["*", f"{low}-{high}"]), st.integers(1, 10)).map(lambda t: f"{t[0]}/{t[1]}")
    return st.one_of(st.just("*"), number, span, step)


cron_schedules = st.tuples(
    _cron_field(0, 59), _cron_field(0, 23), _cron_field(1, 31), _cron_field(1, 12), _cron_field(0, 6)
).map(" ".join)
url_path_chars = st.sampled_from(list(ALNUM + "-._~!$&'()*+,;=:@"))
ingress_paths = st.lists(
    st.text(url_path_chars, min_size=1, max_size=12).filter(lambda seg: seg not in (".", "..")), max_size=4
).map(lambda segments: "/" + "/".join(segments))
annotation_keys = st.tuples(
    st.one_of(st.just(""), st.lists(dns_labels, min_size=1, max_size=3).map(lambda p: ".".join(p) + "/")),
    st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?", fullmatch=True),
).map("".join)
digests = st.text("0123456789abcdef", min_size=64, max_size=64).map(lambda h: f"sha256:{h}")


@given(dns_labels)
def test_every_dns_label_is_accepted_as_the_namespace(name: str) -> None:
    assume(name not in ("ingress", "cert-manager", "monitoring"))  # the add-ons' own namespaces
    assert _load(namespace=name).namespace.name == name


@given(st.integers(1, 100))
def test_every_replica_count_in_range_is_accepted_as_engine_text(replicas: int) -> None:
    # A quota that holds 100 replicas: only the replica count is under test here.
    big_quota = {"quotaRequestsCpu": "100", "quotaLimitsCpu": "100", "quotaRequestsMemory": "1Ti"}
    assert (
        _load(appReplicas=str(replicas), quotaPods=200, quotaLimitsMemory="1Ti", **big_quota).app.replicas == replicas
    )


@given(whole_bytes)
def test_every_whole_byte_quantity_is_accepted_as_a_memory_limit(limit: str) -> None:
    settings = _load(appMemoryLimit=limit, appMemoryRequest="1", quotaLimitsMemory="1Pi")
    assert settings.app.limits["memory"] == limit


@given(pg_names)
def test_every_plain_unreserved_name_is_accepted_as_the_database_user(name: str) -> None:
    assert _load(dbUser=name).database.user == name


@given(cron_schedules)
def test_every_five_field_schedule_is_accepted(schedule: str) -> None:
    assert _load(dbBackupSchedule=schedule).database.backup_schedule == schedule


@given(ingress_paths)
def test_every_clean_absolute_path_is_accepted_as_an_ingress_path(path: str) -> None:
    assert _load(ingressPaths=[path]).platform.ingress.paths == (path,)


@given(annotation_keys)
def test_every_qualified_name_is_accepted_as_an_annotation_key(key: str) -> None:
    assert _load(serviceAnnotations=[f"{key}=v"]).app.service_annotations == ((key, "v"),)


@given(digests)
def test_every_sha256_digest_is_accepted_in_prod(digest: str) -> None:
    assert _load(environment="prod", appImage=f"ghcr.io/org/app@{digest}").app.version == digest[7:19]


# --- near-misses: one careless character ------------------------------------------------------

NEAR_MISS_CHARS = st.sampled_from(["\n", "\u0663", "\uff11", "\u00e9", "\u00a0", "\t"])


def _near_miss(value: str, char: str, where: int) -> str:
    where %= len(value) + 1
    return value[:where] + char + value[where:]


VALID = {
    "namespace": dns_labels,
    "appReplicas": st.integers(1, 100).map(str),
    "appMemoryLimit": whole_bytes,
    "dbUser": pg_names,
    "dbName": pg_names,
    "dbBackupSchedule": cron_schedules,
    "appHealthPath": ingress_paths,
    "acmeEmail": st.tuples(st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True), dns_labels).map(
        lambda t: f"{t[0]}@{t[1]}.example"
    ),
    "appImage": digests.map(lambda d: f"ghcr.io/org/app@{d}"),
}


@pytest.mark.parametrize("key", sorted(VALID))
def test_a_near_miss_of_a_valid_value_is_refused_naming_the_key(key: str) -> None:
    @given(VALID[key], NEAR_MISS_CHARS, st.integers(0, 400))
    def check(value: str, char: str, where: int) -> None:
        bad = _near_miss(value, char, where)
        problems = _problems(**{key: bad})
        assert any(p.startswith(f"webstack:{key}: ") for p in problems), (bad, problems)

    check()


@given(ingress_paths, st.sampled_from(["//", "/./", "/../", "%2f", "%2F", " ", "?", "#"]), st.integers(0, 60))
def test_an_ingress_path_with_a_sequence_the_api_server_refuses_is_refused(path: str, seq: str, where: int) -> None:
    bad = _near_miss(path, seq, where)
    assume(bad.startswith("/"))
    assert any(p.startswith("webstack:ingressPaths: ") for p in _problems(ingressPaths=[bad]))


@given(digests, st.sampled_from(["short", "long", "upper"]))
def test_a_digest_one_character_off_is_refused(digest: str, how: str) -> None:
    bad = {"short": digest[:-1], "long": digest + "0", "upper": digest[:7] + digest[7:].upper()}[how]
    assume(bad != digest)
    assert any(p.startswith("webstack:appImage: ") for p in _problems(appImage=f"nginx@{bad}"))


# --- fuzz: nothing but ConfigError ------------------------------------------------------------

yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.just(5000).map(lambda digits: 10**digits)
    | st.floats()
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
# What the engine hands over for a value: the value itself, or its text (arrays as JSON text).


def _as_engine_text(value: Any) -> Any:
    try:
        return value if isinstance(value, str) else json.dumps(value)
    except ValueError:  # a whole number too long to print: hand it over as it is
        return value


engine_values = yaml_values | yaml_values.map(_as_engine_text)
KEY_NAMES = [key.name for key in ALL_KEYS]
config_keys = st.sampled_from(KEY_NAMES) | st.text(max_size=20) | st.sampled_from(["web:appReplicas", "webstak:x"])


@given(
    st.dictionaries(config_keys, engine_values, max_size=8),
    st.sets(st.sampled_from(KEY_NAMES), max_size=4),
    st.booleans(),
)
def test_the_loader_raises_nothing_but_config_error_on_random_values(
    raw: dict[str, Any], secret: set[str], start_minimal: bool
) -> None:
    config = {**MINIMAL, **raw} if start_minimal else raw
    problems: list[str] = []
    try:
        assert isinstance(load_settings(config, "fuzz", frozenset(secret)), Settings)
    except ConfigError as err:
        problems = err.problems
        assert problems, "a ConfigError lists at least one problem"
    assert all(isinstance(p, str) and p for p in problems)


yaml_text = st.text(st.sampled_from([*"[]{}:,-?&*!|>'\"#%@` \n\tab01.=", "\u00e9", "\x00"]), max_size=60)
addon_names = st.sampled_from(["traefik", "ingress-nginx", "cert-manager", "kube-prometheus-stack", "nginx", ""])
dotted_keys = st.lists(st.sampled_from(["a", "password", "apiToken", "existingSecret", "", "x.y"]), max_size=4).map(
    ".".join
)


@given(
    st.lists(st.tuples(addon_names, dotted_keys, yaml_text).map(lambda t: f"{t[0]}:{t[1]}={t[2]}"), max_size=5),
    st.lists(st.tuples(addon_names, st.text(max_size=30)).map("=".join), max_size=3),
    st.text(max_size=30),
    st.booleans(),
)
def test_the_loader_raises_nothing_but_config_error_on_random_chart_settings(
    values: list[str], paths: list[str], local_dir: str, secret: bool
) -> None:
    raw = {**MINIMAL, "chartValues": values, "chartPaths": paths, "chartsLocalDir": local_dir}
    problems: list[str] = []
    try:
        assert isinstance(load_settings(raw, "fuzz", frozenset({"chartValues"} if secret else ())), Settings)
    except ConfigError as err:
        problems = err.problems
        assert problems, "a ConfigError lists at least one problem"
    assert all(p.startswith("webstack:chart") for p in problems), problems
