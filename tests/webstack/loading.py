"""Settings loaded from an almost empty config: the shared helpers of the config tests.

``load_settings`` is pure, so these run without mocks. Errors are one ConfigError whose
``problems`` each name the key as ``webstack:<key>``.
"""

from __future__ import annotations

from typing import Any

import pytest

from webstack.config.spec import ConfigError
from webstack.settings import Settings, load_settings

MINIMAL: dict[str, Any] = {"environment": "dev", "appImage": "x/y:1"}
"""The required keys: every other key takes its default."""


def load_minimal(stack: str = "test", secret_keys: frozenset[str] = frozenset(), **raw: Any) -> Settings:
    """MINIMAL overridden by ``raw``, loaded as ``stack`` with ``secret_keys`` held encrypted."""
    return load_settings({**MINIMAL, **raw}, stack, secret_keys)


def minimal_problems(secret_keys: frozenset[str] = frozenset(), drop: tuple[str, ...] = (), **raw: Any) -> list[str]:
    """The problems of loading MINIMAL overridden by ``raw`` (minus ``drop``); fails if it loads."""
    config = {k: v for k, v in {**MINIMAL, **raw}.items() if k not in drop}
    with pytest.raises(ConfigError) as caught:
        load_settings(config, "test", secret_keys)
    return caught.value.problems


def one_problem(**raw: Any) -> str:
    """The one problem of loading MINIMAL overridden by ``raw``; fails on none or several."""
    problems = minimal_problems(**raw)
    assert len(problems) == 1, problems
    return problems[0]
