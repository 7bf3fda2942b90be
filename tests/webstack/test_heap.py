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


def _tracked(count: int) -> list[list[int]]:
    """Objects the collector tracks (lists hold references; a bare object() is never tracked)."""
    built = [[index] for index in range(count)]
    assert all(gc.is_tracked(item) for item in built)
    return built


def _in_collected_generations(objects: list[list[int]]) -> int:
    """How many of ``objects`` the collector still walks (frozen ones are in no generation)."""
    ids = {id(item) for item in objects}
    return sum(1 for item in gc.get_objects() if id(item) in ids)


def test_collector_is_off_inside_and_on_after_with_the_objects_frozen() -> None:
    # GIVEN an unfrozen heap WHEN objects are built inside long_lived_imports
    gc.unfreeze()
    with long_lived_imports():
        assert not gc.isenabled()
        built = _tracked(1000)
    # THEN the collector is back on and none of those objects is walked by it any more
    assert gc.isenabled()
    assert _in_collected_generations(built) == 0
    # while objects built afterwards are walked as usual
    later = _tracked(1000)
    assert _in_collected_generations(later) == 1000


def test_collector_is_back_on_when_an_import_fails() -> None:
    with pytest.raises(ImportError), long_lived_imports():
        raise ImportError("no module named nowhere")
    assert gc.isenabled()


def test_leave_heap_to_exit_freezes_what_is_alive() -> None:
    gc.unfreeze()
    alive = _tracked(1000)
    assert _in_collected_generations(alive) == 1000
    leave_heap_to_exit()
    assert _in_collected_generations(alive) == 0
