"""The public API for the city's website: published activities as JSON.

    GET /api/v1/activities        the list (same filters as /activities/, page and per_page)
    GET /api/v1/activities/<id>   one activity

No personal data (no names of people, only the office's own address, phone and e-mail). Answers
are cached like the public pages (app.activities.cache), carry an ETag (304 on If-None-Match),
`Cache-Control: public, max-age=…` and `Access-Control-Allow-Origin: *`. Bad parameters answer 400
with a JSON body naming them; an unknown or unpublished id 404."""
from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, request, url_for
from sqlalchemy import func, select

from app.activities import cache, catalogue
from app.core import frontcache
from app.core.timeutil import to_local, utcnow
from app.core.urls import base_url
from app.extensions import db

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.after_request
def _cors(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "If-None-Match"
        response.headers["Access-Control-Max-Age"] = "86400"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    return response


def _json(payload: Any, status: int = 200):
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return current_app.response_class(body, status=status, mimetype="application/json")


def _error(status: int, error: str, message: str, fields: dict | None = None):
    payload: dict[str, Any] = {"error": error, "message": message}
    if fields:
        payload["fields"] = fields
    return _json(payload, status)


# Answers this long or longer are also kept gzip-compressed (compressed once, when the answer is
# built) and sent so to a client that asks for it (`Accept-Encoding: gzip`, as browsers and HTTP
# libraries do): the list of 20 activities is ~90 KiB of JSON and ~5 KiB compressed. No personal
# data and no secret is in an answer, so compression can't leak one (BREACH).
GZIP_FROM = 1400


def _answer(key: str, build):
    """The cached body and ETag for key (under this request's version), built once by build() ->
    (status, payload)."""
    version = cache.current_version()
    key = f"api3:{version}:{key}"  # api3: entries of (status, body, etag, gzipped body, until)
    entry = cache.get(key)
    if entry is not None and entry[4] <= utcnow():  # e.g. kept on from a shared cache (Redis) too long
        entry = None
    if entry is None:
        status, payload = build()
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        etag = '"' + hashlib.sha1(body).hexdigest()[:32] + '"'
        packed = gzip.compress(body, compresslevel=6, mtime=0) if status == 200 and len(body) >= GZIP_FROM else None
        seconds = current_app.config["ACTIVITY_CACHE_SECONDS"]
        entry = (status, body, etag, packed, utcnow() + timedelta(seconds=seconds))
        cache.put(key, entry, timeout=seconds)
    status, body, etag, packed, until = entry
    if status != 200:
        return current_app.response_class(body, status=status, mimetype="application/json")
    frontcache.keep(version, until)  # the same bytes for everyone without a cookie (app.core.frontcache)
    compressed = packed is not None and _accepts_gzip()
    if compressed:  # another representation, so another ETag (RFC 9110 8.8.3)
        etag = etag[:-1] + '-gz"'
    if _matches(etag):
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(packed if compressed else body, mimetype="application/json")
        if compressed:
            response.headers["Content-Encoding"] = "gzip"
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['API_MAX_AGE']}"
    # set, not parsed and added to (nothing has set Vary yet; a later hook may add to it)
    response.headers["Vary"] = "Accept-Language, Accept-Encoding" if packed is not None else "Accept-Language"
    return response


def _accepts_gzip() -> bool:
    raw = request.environ.get("HTTP_ACCEPT_ENCODING", "")
    return "gzip" in raw.lower() and request.accept_encodings["gzip"] > 0


def _matches(etag: str) -> bool:
    """If-None-Match names the ETag of the representation this request gets (a 304 carries
    that tag, so a cache freshens the answer it holds; one holding the other encoding gets a
    200 of this one)."""
    tags = _if_none_match()
    return bool(tags) and ("*" in tags or etag in tags)


def _if_none_match() -> set[str]:
    raw = request.headers.get("If-None-Match", "")
    if not raw:
        return set()
    return {t.strip().removeprefix("W/") for t in raw.split(",")}


def _iso(value: datetime | None) -> str | None:
    return to_local(value).isoformat() if value else None


def _page_url(activity_id: int) -> str:
    return base_url() + url_for("activities.detail", activity_id=activity_id)


def _activity_json(a: catalogue.ActivityPage, *, full: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": a.id,
        "title": a.title,
        "kind": a.kind.value,
        "kind_label": a.kind.label,
        "summary": a.summary,
        "url": _page_url(a.id),
        "office": {"id": a.office_id, "name": a.office_name},
        "organiser": a.organiser,
        "place": {"lines": a.place_lines, "district": a.district or None},
        "languages": a.languages,
        "dates": [{"id": d.id, "starts_at": _iso(d.starts_at), "ends_at": _iso(d.ends_at),
                   "cancelled": d.cancelled, "free": d.free} for d in a.dates],
        "roles": [{
            "id": r.id, "name": r.name, "capacity": r.capacity, "for_partners": r.for_partners,
            "requirements": {"language": r.required_language, "level": r.required_level, "skill": r.required_skill},
            "dates": [{"date_id": s.date_id, "starts_at": _iso(s.starts_at), "ends_at": _iso(s.ends_at),
                       "cancelled": s.date_cancelled, "capacity": s.capacity, "confirmed": s.confirmed + s.offered,
                       "waiting": s.waiting, "free": s.free} for s in r.slots],
            # the next date's figures, for a quick "3 places free"
            "confirmed": (r.slots[0].confirmed + r.slots[0].offered) if r.slots else 0,
            "waiting": r.slots[0].waiting if r.slots else 0,
        } for r in a.roles],
    }
    if full:
        from app.people.consent import render_text

        out["description"] = a.description
        out["description_html"] = str(render_text(a.description))
        out["contact"] = {"office": a.office_name, "email": a.office_email or None, "phone": a.office_phone or None}
    return out


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "de")


@bp.get("/activities")
def activities():
    filters, errors = catalogue.parse_filters(request.args, api=True)
    unknown = sorted(set(request.args) - {"kind", "office", "district", "language", "from", "to", "free", "q",
                                          "page", "per_page"})
    if unknown:
        errors.update({name: "unknown parameter" for name in unknown[:10]})
    if errors:
        return _error(400, "bad_request", "Some parameters are not valid.", errors)
    key = f"{_locale()}:list:{request.query_string.decode('latin-1')}"
    return _answer(key, lambda: (200, _list_payload(filters)))


def _list_payload(filters: catalogue.Filters) -> dict[str, Any]:
    now = utcnow()
    stmt = catalogue.list_stmt(filters, now)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // filters.per_page))
    page = min(filters.page, pages)
    ids = [r[0] for r in db.session.execute(stmt.limit(filters.per_page).offset((page - 1) * filters.per_page))]
    items = catalogue.activity_pages(ids, locale=_locale(), now=now)
    args = filters.query_args()
    if filters.per_page != catalogue.PER_PAGE:
        args["per_page"] = filters.per_page

    def link(n: int) -> str:
        return base_url() + url_for("api.activities", **args, page=n)

    return {
        "data": [_activity_json(a, full=False) for a in items],
        "meta": {"page": page, "per_page": filters.per_page, "total": total, "pages": pages},
        "links": {"self": link(page), "first": link(1), "last": link(pages),
                  "prev": link(page - 1) if page > 1 else None, "next": link(page + 1) if page < pages else None},
    }


@bp.get("/activities/<int:activity_id>")
def activity(activity_id: int):
    key = f"{_locale()}:one:{activity_id}"

    def build():
        page = catalogue.activity_page(activity_id, locale=_locale())
        if page is None or not page.is_published:
            return 404, {"error": "not_found", "message": "There is no published activity with this id."}
        return 200, {"data": _activity_json(page, full=True)}

    return _answer(key, build)


@bp.get("/<path:anything>")
def unknown(anything: str):
    return _error(404, "not_found", "There is no such API address.")
