"""app.core.localcache: the areas' in-process entries — lifetime, limit, nothing kept for 0
seconds, and each app its own entries."""
from __future__ import annotations

import time

from app import create_app
from app.core.localcache import LocalEntries
from config import TestingConfig


def test_an_entry_lives_its_time_and_the_oldest_go_beyond_the_limit(app, monkeypatch):
    entries = LocalEntries("test_localcache")
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    with app.app_context():
        entries.put("a", "A", seconds=10, limit=2)
        entries.put("b", "B", seconds=10, limit=2)
        assert entries.get("a") == "A"
        entries.put("c", "C", seconds=10, limit=2)  # "a" was put first: it goes
        assert (entries.get("a"), entries.get("b"), entries.get("c")) == (None, "B", "C")
        now[0] += 11
        assert entries.get("b") is None and entries.get("c") is None
        assert len(app.extensions["test_localcache"]) == 0  # an expired entry is dropped when asked
        entries.put("d", "D", seconds=0, limit=2)
        assert entries.get("d") is None


def test_each_app_has_its_own_entries(app):
    entries = LocalEntries("test_localcache_apps")
    other = create_app(TestingConfig)
    with app.app_context():
        entries.put("k", "first app", seconds=60, limit=10)
    with other.app_context():
        assert entries.get("k") is None
        entries.put("k", "second app", seconds=60, limit=10)
    with app.app_context():
        assert entries.get("k") == "first app"
