"""Fixtures: a fresh set of recording mocks per test (see ``tests/harness.py``)."""

from __future__ import annotations

import pytest

from tests.harness import Recorder, install_mocks


@pytest.fixture
def mocks() -> Recorder:
    return install_mocks()
