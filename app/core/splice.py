"""Big cached blocks of HTML put into a page as bytes, without going through the page's string.

A staff page of 300 rows is a few hundred kilobytes, nearly all of it a cached fragment (the
rows). Put into the template as Markup it is copied into the rendered page, the per-session CSRF
token is put in by `str.replace` over the whole page, and the page is encoded to UTF-8 — three
passes over every byte, on every request, for text that did not change. Here the fragment is
kept encoded once (split where the token goes, `encoded`), the template gets a marker instead
(`marker`), and the response is the page's own few kilobytes, encoded, joined around the
fragment's parts with this request's token (`response`): one `bytes.join`.

The markers are random per process (never in anybody's data, so a name can't move a block) and
checked: a page whose markers don't come out exactly once each is answered the slow way (the
blocks put into the text), never wrong."""
from __future__ import annotations

import secrets

from flask import current_app
from markupsafe import Markup

_MARK = "\x1e" + secrets.token_hex(8) + ":"


def marker(n: int) -> Markup:
    """The placeholder for block `n` (0, 1, …) in the rendered page."""
    return Markup(f"{_MARK}{n}\x1e")


def encoded(html: str, placeholder: str | None = None) -> tuple[bytes, ...]:
    """A fragment as UTF-8, split at `placeholder` (where each request's CSRF token goes)."""
    if placeholder is None:
        return (html.encode(),)
    return tuple(part.encode() for part in html.split(placeholder))


def _chunks(page: str, blocks: list[tuple[bytes, ...]], fill: bytes) -> list[bytes] | None:
    out: list[bytes] = []
    rest = page
    for n, parts in enumerate(blocks):
        head, found, rest = rest.partition(f"{_MARK}{n}\x1e")
        if not found:
            return None
        out.append(head.encode())
        last = len(parts) - 1
        for i, part in enumerate(parts):
            out.append(part)
            if i < last:
                out.append(fill)
    if _MARK in rest:
        return None
    out.append(rest.encode())
    return out


def response(page: str, blocks: list[tuple[bytes, ...]], fill: str = "", status: int = 200,
             mimetype: str = "text/html"):
    """The page with marker(n) replaced by blocks[n] (its parts joined by `fill`), as bytes."""
    fill_b = fill.encode()
    chunks = _chunks(page, blocks, fill_b)
    if chunks is None:  # a marker missing or twice (a template changed): the plain way
        for n, parts in enumerate(blocks):
            page = page.replace(f"{_MARK}{n}\x1e", fill_b.join(parts).decode())
        body = page.encode()
    else:
        body = b"".join(chunks)
    return current_app.response_class(body, status=status, mimetype=mimetype)
