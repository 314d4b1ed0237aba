"""One bounded, thread-safe LRU for the per-process caches of ingestion.

Hand-written rather than cachetools: the caches need batch reads and writes under one lock (a
batch looks up hundreds of keys at once), a size read from settings at each write (tests change
it), and a snapshot; `functools.lru_cache` caches calls, not a key space filled from outside.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable


class BoundedLRU[K: Hashable, V]:
    def __init__(self, size: Callable[[], int]) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def get_many(self, keys: Iterable[K]) -> dict[K, V]:
        """The values found, by key (a hit becomes the most recently used)."""
        found: dict[K, V] = {}
        with self._lock:
            for key in keys:
                value = self._items.get(key)
                if value is not None:
                    self._items.move_to_end(key)
                    found[key] = value
        return found

    def put(self, key: K, value: V) -> None:
        self.put_many([(key, value)])

    def put_many(self, items: Iterable[tuple[K, V]]) -> None:
        """Keep these (in order: the last is the most recently used), then evict down to the size."""
        limit = int(self._size())
        with self._lock:
            for key, value in items:
                self._items[key] = value
                self._items.move_to_end(key)
            while len(self._items) > limit:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def snapshot(self) -> dict[K, V]:
        with self._lock:
            return dict(self._items)

    def __len__(self) -> int:
        return len(self._items)
