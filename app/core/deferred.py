"""Work that runs after the response has gone out to the client.

For operations whose duration would otherwise tell an outsider something: "send me a reset
link" for a known address renders and queues a mail, for an unknown one it does nothing. Run
after the response, both answer equally fast. The work gets its own app context (and so its own
database session) once the request is over; errors are logged, never shown."""
from __future__ import annotations

import logging
from typing import Any, Callable

from flask import after_this_request, current_app, g

log = logging.getLogger(__name__)


def after_response(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    from app.core.urls import base_url

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    links_to = base_url()  # mailed links point where the request came in (see core.urls)

    def run() -> None:
        from app.extensions import db

        with app.app_context():
            g.base_url = links_to
            try:
                fn(*args, **kwargs)
            except Exception:
                db.session.rollback()
                log.exception("deferred %s failed", getattr(fn, "__name__", fn))

    @after_this_request
    def _schedule(response):
        response.call_on_close(run)
        return response
