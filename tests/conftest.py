"""Fixtures: a fresh set of recording mocks per test (see ``tests/harness.py``), and the
hypothesis profiles of the property-based tests."""

from __future__ import annotations

import os
import signal

import pytest
from hypothesis import HealthCheck, settings

from tests.harness import Recorder, install_mocks

# A shell starts its background jobs with SIGINT ignored, and the pulumi processes started from here would inherit
# that: the engine stops each plugin with SIGINT and waits 5 s for one that ignores it, on every preview and up.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# "unit" (the default) keeps the unit tier to seconds and reproducible: a fixed number of examples
# drawn from a seed derived from each test, no example database written into the work tree.
# "fuzz" (HYPOTHESIS_PROFILE=fuzz) draws many more, fresh each run, for a deliberate search.
settings.register_profile("unit", max_examples=60, derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile(
    "fuzz",
    max_examples=5000,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "unit"))


@pytest.fixture
def mocks() -> Recorder:
    return install_mocks()
