"""Who may do what in which office — one mechanism for every area.

- an admin acts everywhere;
- a coordinator acts only in their offices (records of other offices answer 404: we don't
  even confirm they exist);
- a volunteer acts on their own records, a partner contact on their organisation's.

Areas call `office_scope`/`scope_to_offices` to filter lists in SQL and `require_office` or
`get_in_scope_or_404` for single records.
"""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable, TypeVar

from flask import abort, flash, g, has_request_context, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import Select, false, select

from app.extensions import db

F = TypeVar("F", bound=Callable[..., Any])


def office_scope(user) -> set[int] | None:
    """The office ids a user may act in; None means all (admin); empty set means none."""
    from app.accounts.models import Role, coordinator_offices

    if user is None or not user.is_authenticated:
        return set()
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.COORDINATOR:
        # Asked several times per request (list filter, then each action); one query is enough.
        cache = g.setdefault("_office_scope", {}) if has_request_context() else {}
        if user.id not in cache:
            cache[user.id] = set(db.session.scalars(
                select(coordinator_offices.c.office_id).where(coordinator_offices.c.user_id == user.id)))
        return set(cache[user.id])
    return set()


def remember_office_scope(user_id: int, office_ids) -> None:
    """For the user loader: a coordinator's offices, read in the same statement as the session,
    so `office_scope` needs no statement of its own in this request."""
    if has_request_context():
        g.setdefault("_office_scope", {})[user_id] = set(office_ids)


def can_act_in_office(user, office_id: int | None) -> bool:
    scope = office_scope(user)
    return scope is None or (office_id is not None and office_id in scope)


def scope_to_offices(stmt: Select, office_column, user) -> Select:
    """Filter a list query in SQL to the offices the user may see."""
    scope = office_scope(user)
    if scope is None:
        return stmt
    if not scope:
        return stmt.where(false())
    return stmt.where(office_column.in_(scope))


def get_in_scope_or_404(model, ident: int, office_of: Callable[[Any], int | None], user=None):
    """Load one record and answer 404 unless the user may act in its office."""
    obj = db.session.get(model, ident)
    if obj is None or not can_act_in_office(user or current_user, office_of(obj)):
        abort(404)
    return obj


def get_in_any_office_or_404(model, ident: int, offices_of: Callable[[Any], "list[int] | set[int]"], user=None):
    """Like get_in_scope_or_404 for records that belong to several offices (an organisation
    working in districts of two offices): 404 unless the user may act in one of them."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    scope = office_scope(user or current_user)
    if scope is not None and not (set(offices_of(obj)) & scope):
        abort(404)
    return obj


def is_self(user, user_id: int | None) -> bool:
    return user is not None and user.is_authenticated and user.id == user_id


def roles_required(*roles) -> Callable[[F], F]:
    """Logged in with one of these roles, else 403 (401/redirect to log-in when anonymous)."""
    allowed = {getattr(r, "value", r) for r in roles}

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role.value not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def staff_required(view: F) -> F:
    from app.accounts.models import Role

    return roles_required(Role.COORDINATOR, Role.ADMIN)(view)


def admin_required(view: F) -> F:
    from app.accounts.models import Role

    return roles_required(Role.ADMIN)(view)


def confirmed_required(view: F) -> F:
    """For anything that signs a person up: the e-mail address must be confirmed first."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_confirmed:
            flash(_("Please confirm your e-mail address first. We sent you a link."), "warning")
            return redirect(url_for("accounts.unconfirmed", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
