"""Absolute links for mails, built from BASE_URL so they work in requests and in the worker."""
from __future__ import annotations

from typing import Any

from flask import current_app, request
from werkzeug.routing import IntegerConverter


class BoundedIntConverter(IntegerConverter):
    """`<int:id>` that only matches what a database integer can hold: a 30-digit id is a 404,
    not an overflow error in the driver."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def form_id(value) -> int | None:
    """A record id from a form field: a positive whole number a database integer can hold, else
    None (never an overflow in the driver)."""
    raw = str(value or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    n = int(raw)
    return n if 0 < n <= 2**31 - 1 else None


def cached_url_for(app):
    """`url_for` for templates, remembering what it built: a page asks for the same dozen links
    (menu, footer, static files) on every request, and building one costs more than the rest of
    the menu. The key is everything the result depends on: the endpoint and its arguments and
    the request's script root, host, scheme and subdomain (its URL adapter). Not cached (built
    as Flask does): outside a request, relative endpoints (".x"), `_external`/`_anchor`/…, values
    that are not hashable, and apps with `url_defaults` callbacks, which may add arguments."""
    from flask.globals import _cv_request

    build = app.url_for
    cache: dict[tuple, str] = {}
    limit = 4096

    def url_for(endpoint: str, **values: Any) -> str:
        ctx = _cv_request.get(None)
        if ctx is None or endpoint[:1] == "." or any(k[:1] == "_" for k in values) or any(
                app.url_default_functions.values()):
            return build(endpoint, **values)
        adapter = ctx.url_adapter
        if adapter is None:
            return build(endpoint, **values)
        try:
            key = (adapter.script_name, adapter.server_name, adapter.url_scheme, adapter.subdomain, endpoint,
                   tuple(values.items()))
            url = cache.get(key)
        except TypeError:  # an unhashable value (a list): build it every time
            return build(endpoint, **values)
        if url is None:
            url = build(endpoint, **values)
            if len(cache) >= limit:
                cache.clear()
            cache[key] = url
        return url

    return url_for


def page_url(page: int) -> str:
    """The current list page with another page number; only plain query parameters survive
    (no `_external`, `_scheme`, `endpoint` … smuggled into url_for)."""
    from flask import url_for

    view_args = request.view_args or {}
    args = {k: v for k, v in request.args.items()
            if k.isidentifier() and not k.startswith("_") and k not in {"endpoint", "page", *view_args}}
    return url_for(request.endpoint, **view_args, **args, page=page)


def _loopback(host: str) -> bool:
    """Is the request's host this machine ("127.0.0.1:5000", "localhost", "[::1]:8080")?"""
    if host.startswith("["):
        name = host[1:host.find("]")] if "]" in host else host
    else:
        name = host.rsplit(":", 1)[0]
    return name.lower() in {"127.0.0.1", "localhost", "::1"}


def base_url() -> str:
    """BASE_URL; in development without it, the address this request came to."""
    from flask import g, has_app_context, has_request_context

    if current_app.config.get("BASE_URL_FROM_REQUEST"):
        # only for a browser on this machine: a Host header is the client's to choose, and a
        # development server reachable from elsewhere must not mail links to another host
        if has_request_context() and _loopback(request.host):
            return request.host_url.rstrip("/")
        if has_app_context() and g.get("base_url"):
            return g.base_url  # work deferred from a request (core.deferred)
    return current_app.config["BASE_URL"].rstrip("/")


def external_url(endpoint: str, **values: Any) -> str:
    adapter = current_app.url_map.bind("localhost")
    path = adapter.build(endpoint, values, force_external=False)
    return base_url() + path
