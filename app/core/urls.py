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


def page_url(page: int) -> str:
    """The current list page with another page number; only plain query parameters survive
    (no `_external`, `_scheme`, `endpoint` … smuggled into url_for)."""
    from flask import url_for

    view_args = request.view_args or {}
    args = {k: v for k, v in request.args.items()
            if k.isidentifier() and not k.startswith("_") and k not in {"endpoint", "page", *view_args}}
    return url_for(request.endpoint, **view_args, **args, page=page)


def external_url(endpoint: str, **values: Any) -> str:
    adapter = current_app.url_map.bind("localhost")
    path = adapter.build(endpoint, values, force_external=False)
    return current_app.config["BASE_URL"].rstrip("/") + path
