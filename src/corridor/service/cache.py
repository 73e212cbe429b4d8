"""Rendered answers kept in memory: a profile run never changes, so what was drawn once for a run, a
language and a filter (the page's content, a chart, a table download, an API answer) is drawn once.

Keys always start with the run id (runs are immutable; a new run is a new key), so nothing needs
invalidating; the cache is bounded by bytes and forgets the least recently used entries first.
What depends on who asks (the page frame with the user's name and form token, the list of runs
a role may see) is either outside the cached part or part of the key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T", str, bytes)


class RenderCache:
    """A thread-safe LRU of rendered text or bytes, bounded by their total size."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, str | bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._making: dict[Hashable, list] = {}  # key -> [lock held while it is made, callers waiting]
        self.hits = self.misses = 0

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        """The cached value of ``key``, made by ``make()`` the first time. Concurrent first calls for one
        key make it once: the others wait for that value instead of drawing the same thing again (under
        load, every client asking for a page that just expired would otherwise draw it at once)."""
        with self._lock:
            value = self._get(key)
            if value is not None:
                return value  # type: ignore[return-value]
            making = self._making.setdefault(key, [threading.Lock(), 0])
            making[1] += 1
        try:
            with making[0]:
                with self._lock:
                    value = self._get(key)
                if value is not None:
                    return value  # type: ignore[return-value]
                with self._lock:
                    self.misses += 1
                value = make()
                self._put(key, value)
                return value
        finally:
            with self._lock:
                making[1] -= 1
                if making[1] == 0:
                    self._making.pop(key, None)

    def _get(self, key: Hashable) -> str | bytes | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
            self.hits += 1
        return value

    def _put(self, key: Hashable, value: str | bytes) -> None:
        size = len(value)
        if size > self.max_bytes // 4:
            return  # too big to be worth keeping
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self._size += size
                while self._size > self.max_bytes:
                    _k, old = self._items.popitem(last=False)
                    self._size -= len(old)

    def __len__(self) -> int:
        return len(self._items)
