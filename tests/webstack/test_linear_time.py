"""Every validator runs in time linear in its input: a hostile 64 KiB value costs about four
times a 16 KiB one, never sixteen (what a quadratic regex or merge would cost).

Measured as a ratio of two timings of this process's CPU time taken side by side (the best of
several interleaved rounds each), so the machine's speed and load cancel out; no wall-clock bound.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable
from typing import Any

import pytest

from components import postgres, validation
from tests.webstack.loading import MINIMAL
from webstack.config.spec import ConfigError
from webstack.settings import load_settings

SMALL, LARGE = 16 * 1024, 64 * 1024
# Linear: about 4; quadratic: about 16. The bound leaves room for a noisy shared machine.
MAX_RATIO = 8.0


def _swallow(check: Callable[[Any], object]) -> Callable[[Any], None]:
    def run(value: Any) -> None:
        with contextlib.suppress(ValueError):
            check(value)

    return run


def _time(run: Callable[[Any], None], value: Any, loops: int) -> float:
    start = time.process_time()
    for _ in range(loops):
        run(value)
    return time.process_time() - start


def _ratio(run: Callable[[Any], None], make: Callable[[int], Any]) -> float:
    """Best time of the large input over best time of the small one, rounds interleaved so that a
    burst of load on the machine hits both alike."""
    small, large = make(SMALL), make(LARGE)
    loops = 1
    gc.disable()
    try:
        # Enough calls that the small input takes ~10 ms: timer noise stays small.
        while _time(run, small, loops) < 0.01 and loops < 1_000_000:
            loops *= 4
        best_small = best_large = float("inf")
        for _ in range(5):
            best_small = min(best_small, _time(run, small, loops))
            best_large = min(best_large, _time(run, large, loops))
        return best_large / max(best_small, 1e-9)
    finally:
        gc.enable()


def _loader(key: str) -> Callable[[Any], None]:
    def run(value: Any) -> None:
        with contextlib.suppress(ConfigError):
            load_settings({**MINIMAL, key: value}, "test")

    return run


W = "what"
# (name, check of one value, hostile value of about n characters)
CHECKS: list[tuple[str, Callable[[Any], None], Callable[[int], Any]]] = [
    ("dns label", _swallow(lambda v: validation.check_dns_label(v, W)), lambda n: "a" * n + "-"),
    ("dns subdomain", _swallow(lambda v: validation.check_dns_subdomain(v, W)), lambda n: "a-" * (n // 2) + "."),
    ("hostname", _swallow(lambda v: validation.check_hostname(v, W)), lambda n: "a." * (n // 2) + "-"),
    ("email dots", _swallow(lambda v: validation.check_email(v, W)), lambda n: "a@" + "." * n + " "),
    ("email local", _swallow(lambda v: validation.check_email(v, W)), lambda n: "a." * (n // 2) + "@b.c "),
    ("quantity", _swallow(lambda v: validation.parse_quantity(v, W)), lambda n: "1" * n + "x"),
    ("quantity exponent", _swallow(lambda v: validation.parse_quantity(v, W)), lambda n: "1e" + "9" * n),
    ("quantity fraction", _swallow(lambda v: validation.check_byte_quantity(v, W)), lambda n: "1." + "1" * n),
    ("image name", _swallow(lambda v: validation.parse_image(v, W)), lambda n: "a-" * (n // 2) + "!"),
    ("image registry", _swallow(lambda v: validation.parse_image(v, W)), lambda n: "a" * n + ".b:1/c!"),
    ("image tag", _swallow(lambda v: validation.parse_image(v, W)), lambda n: "a:" + "b" * n),
    ("http path", _swallow(lambda v: validation.check_http_path(v, W)), lambda n: "/" + "%4" * (n // 2) + " "),
    ("ingress path", _swallow(lambda v: validation.check_ingress_path(v, W)), lambda n: "/" + "a/" * (n // 2) + "."),
    ("qualified name", _swallow(lambda v: validation.check_qualified_name(v, W)), lambda n: "a." * (n // 2) + "/-"),
    (
        "annotations",
        _swallow(lambda v: validation.check_annotations(v, W)),
        lambda n: [(f"k{i}", "v") for i in range(n // 8)],
    ),
    ("secret key", _swallow(lambda v: validation.check_secret_key(v, W)), lambda n: "a" * n + " "),
    ("egress cidr", _swallow(lambda v: validation.check_egress_cidr(v, W)), lambda n: "1" * n + "/8"),
    ("env name", _swallow(lambda v: validation.check_env_name(v, W)), lambda n: "A" * n + "-"),
    ("pg name", _swallow(lambda v: postgres.check_pg_identifier(v, W)), lambda n: "a" * n),
    ("cron lists", _swallow(lambda v: postgres.check_cron_schedule(v, W)), lambda n: "1," * (n // 2) + "1 * * * *"),
    ("cron bad", _swallow(lambda v: postgres.check_cron_schedule(v, W)), lambda n: "1-" * (n // 2) + " * * * *"),
    # The whole loader, one key at a time.
    ("unknown key name", lambda v: _loader(v)("x"), lambda n: "appReplica" + "s" * n),
    ("foreign key name", lambda v: _loader(v)(None), lambda n: "webstak" + "k" * n + ":appReplicas"),
    ("integer text", _loader("appReplicas"), lambda n: "1" * n),
    ("app env", _loader("appEnv"), lambda n: [f"V{i}=x" for i in range(n // 8)]),
    ("ingress hosts", _loader("ingressHosts"), lambda n: [f"h{i}.example.com" for i in range(n // 16)]),
    ("chart values entries", _loader("chartValues"), lambda n: [f"traefik:a.b{i}=1" for i in range(n // 16)]),
    ("chart value yaml", _loader("chartValues"), lambda n: ["traefik:a=[" + "1," * (n // 2) + "1]"]),
    ("chart value nesting", _loader("chartValues"), lambda n: ["traefik:a=" + "[" * (n // 64) + "]" * (n // 64)]),
    ("chart value quotes", _loader("chartValues"), lambda n: ["traefik:a=[a', " + "[" * (n // 64) + "]" * (n // 64)]),
    (
        "egress cidrs",
        _loader("appEgressCidrs"),
        lambda n: [f"10.{i // 256 % 256}.{i % 256}.0/24" for i in range(n // 16)],
    ),
    ("annotation list", _loader("serviceAnnotations"), lambda n: [f"k{i}=v" for i in range(n // 8)]),
    ("cron via loader", _loader("dbBackupSchedule"), lambda n: "*/1," * (n // 4) + " * * * *"),
]


@pytest.mark.parametrize(("name", "run", "make"), CHECKS, ids=[c[0] for c in CHECKS])
def test_validator_time_grows_at_most_linearly(
    name: str, run: Callable[[Any], None], make: Callable[[int], Any]
) -> None:
    ratio = _ratio(run, make)
    assert ratio < MAX_RATIO, f"{name}: 64 KiB took {ratio:.1f}× the time of 16 KiB (linear is about 4×)"
