"""Fewer cyclic-GC passes while a run builds its long-lived objects."""

from __future__ import annotations

import atexit
import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fewer_collections() -> Iterator[None]:
    """A run allocates millions of long-lived objects (trees, fields, findings, template
    tokens and nodes) and hardly any garbage cycles; at the default threshold the cyclic
    collector's passes over them took a fifth of a monorepo's check and of a 10,000-var
    render. Collect less often meanwhile; restore the user's setting."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 100_000), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def for_this_process() -> None:
    """The ``envssot`` command owns its process (unlike an in-process call of ``cli.main``):
    collect rarely for the whole run, imports included, and at exit freeze what is left, so the
    interpreter's final full collection (a pass over every object the run built, ~20 ms on a
    small repository) is skipped. The process ends right after and frees everything anyway."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 100_000), *old[1:])
    atexit.register(gc.freeze)
