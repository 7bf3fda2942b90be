"""webstack.heap: the collector is off while the SDK modules import, and their objects end frozen."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from webstack.heap import leave_heap_to_exit, long_lived_imports


@pytest.fixture(autouse=True)
def _restore_collector() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if was_enabled:
        gc.enable()


def test_collector_is_off_inside_and_on_after_with_the_objects_frozen() -> None:
    # GIVEN an unfrozen heap WHEN objects are built inside long_lived_imports
    gc.unfreeze()
    with long_lived_imports():
        assert not gc.isenabled()
        built = [object() for _ in range(1000)]
    # THEN the collector is back on and those objects are in the permanent generation
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(built)


def test_collector_is_back_on_when_an_import_fails() -> None:
    with pytest.raises(ImportError), long_lived_imports():
        raise ImportError("no module named nowhere")
    assert gc.isenabled()


def test_leave_heap_to_exit_freezes_what_is_alive() -> None:
    gc.unfreeze()
    alive = [object() for _ in range(1000)]
    leave_heap_to_exit()
    assert gc.get_freeze_count() >= len(alive)
