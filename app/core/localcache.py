"""Entries kept in this app process as they are (no pickling), each with its own lifetime, the
oldest going first beyond a limit. Used by the areas' caches whose keys carry a version, so an
entry is never stale; the lifetime only guards against a database restored to an older version
number and against what changes by the clock alone. Per app (`current_app.extensions[name]`),
not per module: another app in the same process (tests) has its own database and entries."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Hashable

from flask import current_app


class LocalEntries:
    def __init__(self, name: str):
        self.name = name
        self._lock = threading.Lock()

    def _store(self) -> "OrderedDict[Hashable, tuple[float, object]]":
        store = current_app.extensions.get(self.name)
        if store is None:
            store = current_app.extensions[self.name] = OrderedDict()
        return store

    def get(self, key: Hashable):
        """The value under `key`, or None when there is none or it has outlived its time."""
        store = self._store()
        hit = store.get(key)
        if hit is None:
            return None
        if hit[0] > time.monotonic():
            return hit[1]
        with self._lock:
            store.pop(key, None)
        return None

    def put(self, key: Hashable, value, seconds: float, limit: int) -> None:
        """Keep `value` for `seconds` (nothing when 0); beyond `limit` entries the oldest go."""
        if not seconds:
            return
        store = self._store()
        with self._lock:
            store[key] = (time.monotonic() + seconds, value)
            store.move_to_end(key)
            while len(store) > limit:
                store.popitem(last=False)
