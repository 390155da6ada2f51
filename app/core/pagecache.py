"""Anonymous pages served from a cache, for pages of `core` too (the start page).

`core` knows no area, so it cannot tell when what a page shows has changed. The area that can —
app.activities.cache keeps a version that every change of an activity, office, satellite
location, district or organisation moves on, in every process — registers the cache here.
`anonymous_page(kind, render)` then returns the cached response for a visitor nobody is logged
in for (None otherwise, or when no area registered one: the caller renders as usual).
`render(csrf_token)` builds the page with `csrf_token` as the template's CSRF function."""
from __future__ import annotations

from typing import Callable

Render = Callable[[Callable[[], str]], str]
_provider: Callable[[str, Render], object | None] | None = None


def register(provider: Callable[[str, Render], object | None]) -> None:
    global _provider
    _provider = provider


def anonymous_page(kind: str, render: Render):
    return _provider(kind, render) if _provider is not None else None
