"""How the program's process treats its heap: most of it is the SDK's generated classes, which live
until the process ends, so the cyclic garbage collector is kept from walking them again and again.

Measured in ``bench/results.md``: collections during the imports cost about 12% of the import time,
and the collection of the whole heap at interpreter exit 0.15-0.3 s, on every preview and up.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def long_lived_imports() -> Iterator[None]:
    """Import the SDK modules with the collector off, then set what they built aside for good.

    The imports allocate about 100 000 objects (classes, functions, type hints) and no garbage worth
    collecting; frozen, later collections during synthesis no longer traverse them.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def leave_heap_to_exit() -> None:
    """Call once everything is registered: the interpreter's exit would otherwise collect the whole
    heap after the last output; frozen objects are left to the end of the process instead."""
    gc.freeze()
