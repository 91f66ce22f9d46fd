"""A small memo for objects worked out from immutable inputs (rule sets, schemas).

The policy evaluator and the reason builder of a rule set, a date and a schema cache the
rule results and reason texts they have written; reusing them from one decision to the
next spares each request that work. Inputs are matched by identity (the scoring layer
keeps one parsed rule set per stored version and one schema per model), so a lookup costs
no hashing of a whole rule set; an entry keeps its inputs alive, so an identity is never
reused while it is remembered. Nothing here is a source of truth: a miss builds afresh.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable


class IdentityMemo[V]:
    """The ``size`` most recently built values, by the identity of some objects and an
    equality key."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: dict[Hashable, tuple[tuple[object, ...], V]] = {}
        self._lock = threading.Lock()

    def get(self, objects: tuple[object, ...], key: Hashable, build: Callable[[], V]) -> V:
        """The value remembered for ``objects`` (by identity) and ``key``, else ``build()``."""
        full = (tuple(map(id, objects)), key)
        entry = self._entries.get(full)
        if entry is not None:
            return entry[1]
        value = build()
        with self._lock:
            self._entries[full] = (objects, value)
            while len(self._entries) > self.size:
                del self._entries[next(iter(self._entries))]  # the oldest entry
        return value
