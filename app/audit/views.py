"""The audit log page: admins see everything, coordinators their offices.

Read only: there is no route that changes or deletes an entry (POST to /audit is a 405)."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.audit import bp
from app.audit.describe import rows
from app.audit.forms import AuditFilterForm
from app.core import audit
from app.core.pagination import paginate
from app.core.permissions import office_scope, staff_required
from app.core.timeutil import BERLIN

PER_PAGE = 50
ACTION_KEY = re.compile(r"[a-z0-9_.]{1,60}")
RECORD_TYPE = re.compile(r"[a-z0-9_]{1,40}")


def _utc_midnight(day) -> datetime:
    """The start of a day in Berlin, as the naive UTC time stored in the database."""
    local = datetime.combine(day, time(0), tzinfo=BERLIN)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def _choices(labels: dict, asked: str, pattern: re.Pattern, everything: str) -> list[tuple[str, str]]:
    choices = sorted(((key, str(label)) for key, label in labels.items()), key=lambda c: c[1].casefold())
    if asked and asked not in labels and pattern.fullmatch(asked):
        choices.append((asked, asked))  # an area's action without a label: shown by its key
    return [("", everything), *choices]


@bp.get("/audit")
@staff_required
def log():
    scope = office_scope(current_user)
    form = AuditFilterForm(formdata=request.args)
    actors = audit.actors(offices=scope)
    form.actor.choices = [("", _("Everyone"))] + [
        ("system" if actor_id is None else str(actor_id), name if actor_id is not None else _("System"))
        for actor_id, name in actors]
    form.action.choices = _choices(audit.ACTION_LABELS, request.args.get("action", ""), ACTION_KEY,
                                   _("Everything"))
    form.record_type.choices = _choices(audit.RECORD_LABELS, request.args.get("record_type", ""),
                                        RECORD_TYPE, _("All kinds"))
    if any(request.args.get(f.name) for f in form):
        form.validate()

    def ok(f):  # a filter with an error is shown with its message and not applied
        return None if f.errors else f.data

    actor = ok(form.actor) or ""
    date_from, date_to = ok(form.date_from), ok(form.date_to)
    stmt = audit.entries(
        offices=scope,
        system=actor == "system",
        actor_id=int(actor) if actor.isdigit() else None,
        action=ok(form.action) or None,
        record_type=ok(form.record_type) or None,
        record_id=ok(form.record_id),
        since=_utc_midnight(date_from) if date_from else None,
        until=_utc_midnight(date_to + timedelta(days=1)) if date_to else None,
    )
    page = paginate(stmt, request.args.get("page", 1, type=int), per_page=PER_PAGE)
    filtered = any(request.args.get(f.name) for f in form)
    return render_template("audit/log.html", form=form, page=page, filtered=filtered,
                           rows=rows(page.items, is_admin=scope is None))
