"""Kept answers for visitors who send no cookie, served before Flask is even asked.

The public pages and the API are cached already (app.activities.cache), but a request served from
that cache still goes through all of Flask: the request context, the session, the log-in, the
locale, the hooks, a Response object — five times the cost of a bare Flask "hello". Here, in
front of the Flask app (inside ProxyFix, so the address and scheme it sees are the real ones),
the exact bytes and headers of such an answer are kept under everything the request could change
them by, and the next identical request gets them straight away.

What an answer may be kept under, and when it is used again:
- Only a GET without a cookie, credentials or a conditional/range header, so that no session,
  log-in, flash message, language cookie or ETag can play a part: the key is the scheme, host,
  script root, path and query, and the Accept-Language and Accept-Encoding headers (the
  answers' `Vary`). Anything else goes to Flask as always.
- Only an answer whose view said so while it was made (`keep(token, until)`: the cached
  anonymous pages and the API) and that is a plain 200 without Set-Cookie.
- `token` is the version the view read (a number in the database that every change of what the
  page shows adds one to, in every process). Each use reads the current one through the
  function the owning area registered (`register`) — one primary-key SELECT, as the cached
  pages do — and an entry of another version is dropped. So a change shows at once, in every
  process, exactly as with the cache behind it; the entry also ends at `until` (what changes by
  the clock alone, a date begun) and when the version can't be read (then Flask answers).

Entries live in this process, as they are: at most FRONT_CACHE_ENTRIES of them (0 switches this
off) and FRONT_CACHE_BYTES of bodies in all, the longest unused going first. `core` knows no area: the area that
keeps the version registers its reader."""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Callable, Hashable

from flask import has_request_context, request

log = logging.getLogger(__name__)

MARK = "willkommen.front_cache"  # the environ key a view's `keep` sets
_NOT_KEYED = ("HTTP_COOKIE", "HTTP_AUTHORIZATION", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE",
              "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE", "HTTP_IF_RANGE", "HTTP_RANGE")
_KEY_MAX = 2048  # characters of path, query and headers; a longer request is not kept

_reader: Callable[[], Hashable] | None = None


def register(reader: Callable[[], Hashable]) -> None:
    """The current version, read in an app context (the owning area's cache version)."""
    global _reader
    _reader = reader


def keep(token: Hashable, until: datetime | float) -> None:
    """While a view answers: this answer may be kept for requests without a cookie, under
    version `token`, until `until` (UTC, naive as the database keeps it, or a POSIX time)."""
    if not has_request_context():
        return
    if isinstance(until, datetime):
        until = until.replace(tzinfo=timezone.utc).timestamp()
    request.environ[MARK] = (token, until)


def _key(environ) -> tuple | None:
    if environ.get("REQUEST_METHOD") != "GET":
        return None
    for name in _NOT_KEYED:
        if name in environ:
            return None
    key = (environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST", ""), environ.get("SCRIPT_NAME", ""),
           environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT_LANGUAGE", ""),
           environ.get("HTTP_ACCEPT_ENCODING", ""))
    if sum(len(part) for part in key[1:]) > _KEY_MAX:
        return None
    return key


class FrontCache:
    """WSGI middleware around the Flask app's own `wsgi_app` (see the module's text)."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.entries: OrderedDict[tuple, tuple] = OrderedDict()
        self.lock = threading.Lock()
        self.size = 0  # bytes of the bodies kept

    def _current(self):
        with self.app.app_context():
            return _reader()

    def __call__(self, environ, start_response):
        limit = self.app.config.get("FRONT_CACHE_ENTRIES", 0)
        key = _key(environ) if limit and _reader is not None else None
        if key is not None:
            hit = self.entries.get(key)
            if hit is not None:
                token, until, status, headers, body = hit
                try:
                    fresh = until > time.time() and token == self._current()
                except Exception:  # the version can't be read: Flask answers (and says what)
                    log.debug("front cache: no version", exc_info=True)
                    fresh = False
                if fresh:
                    with self.lock:  # the oldest used go first
                        if self.entries.get(key) is hit:
                            self.entries.move_to_end(key)
                    start_response(status, list(headers))
                    return [body]
                self._drop(key, hit)
        environ.pop(MARK, None)
        seen: list = []

        def remember_start(status, headers, exc_info=None):
            seen[:] = [status, headers]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        answer = self.wsgi_app(environ, remember_start)
        mark = environ.get(MARK)
        if key is None or mark is None or not seen or not seen[0].startswith("200 ") \
                or any(name.lower() == "set-cookie" for name, _v in seen[1]):
            return answer
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        budget = self.app.config.get("FRONT_CACHE_BYTES", 32 << 20)
        token, until = mark
        if len(body) <= budget // 8 and until > time.time():
            with self.lock:
                old = self.entries.pop(key, None)
                self.size += len(body) - (len(old[4]) if old else 0)
                self.entries[key] = (token, until, seen[0], tuple(seen[1]), body)
                while len(self.entries) > limit or self.size > budget:
                    _k, gone = self.entries.popitem(last=False)
                    self.size -= len(gone[4])
        return [body]

    def _drop(self, key: tuple, entry: tuple) -> None:
        """Drop `entry` (not one another thread has just stored under the same key)."""
        with self.lock:
            if self.entries.get(key) is entry:
                del self.entries[key]
                self.size -= len(entry[4])
