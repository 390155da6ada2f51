"""The public side of the activities: the list, one activity's page, signing up and cancelling.

Anonymous visitors get cached pages (app.activities.cache): the rendered body is kept per
version, locale and URL with a placeholder where the CSRF token of the language switch goes, and
each visitor gets their own token put in. Logged-in visitors (and anyone with a message waiting
in the session) always get a page rendered for them."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import distinct, literal, select, union_all

from app.activities import bp, cache, catalogue
from app.activities.models import Activity, ActivityState, ActivityType, Signup, Slot, activity_languages
from app.core import frontcache, pagecache, viewerpages
from app.core.permissions import confirmed_required
from app.core.safe_redirect import safe_next
from app.core.timeutil import to_local, utcnow
from app.extensions import db

CSRF_PLACEHOLDER = "\x1e-csrf-token-\x1e"


def _locale() -> str:
    return str(get_locale() or "de")


def anonymous_cacheable() -> bool:
    """Nobody logged in (no session user, no remember cookie) and no flash message waiting."""
    if request.method != "GET" or "_user_id" in session or "_flashes" in session:
        return False
    return not request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))


def _cached_page(kind: str, render):
    """The body from the cache (or rendered once by render(csrf_token) and kept), with this
    visitor's CSRF token put in."""
    body = _kept_body(f"{kind}:{_locale()}:{request.full_path}", lambda: render(lambda: CSRF_PLACEHOLDER))
    return _html_response(body, True)


def _kept_body(name: str, make) -> str:
    """An anonymous page's body from the cache under this request's version, or made once by
    make() and kept until the clock alone changes it: ACTIVITY_CACHE_SECONDS, or sooner when a
    part of it said so while it was made (the list's body is older, viewerpages.valid_until).
    A body without a form (the same bytes for everyone) is kept in front of Flask too, for
    visitors without cookies (app.core.frontcache)."""
    version = cache.current_version()
    key = f"act:{version}:page2:{name}"  # page2: entries of (body, until)
    entry = cache.get(key)
    if entry is not None and entry[1] <= utcnow():  # e.g. kept on from a shared cache (Redis) too long
        entry = None
    if entry is None:
        body, sooner = viewerpages.made_until(make)
        until = utcnow() + timedelta(seconds=current_app.config["ACTIVITY_CACHE_SECONDS"])
        until = min(until, sooner or until)
        entry = (body, until)
        cache.put(key, entry, timeout=max(1, int((until - utcnow()).total_seconds())))
    body, until = entry
    if CSRF_PLACEHOLDER not in body:
        frontcache.keep(version, until)
    return body


def _anonymous_page(kind: str, render):
    """For core's pages (app.core.pagecache): cached like ours, under the same version."""
    return _cached_page(kind, render) if anonymous_cacheable() else None


pagecache.register(_anonymous_page)
frontcache.register(cache.current_version)


# ---------------------------------------------------------------- the list
def _filter_options():
    """Offices, districts and the languages published activities run in: one statement."""
    from app.offices.models import District, Office

    langs = (select(distinct(activity_languages.c.code).label("code")).join(Activity, Activity.id == activity_languages.c.activity_id)
             .where(Activity.state == ActivityState.PUBLISHED).subquery())
    stmt = union_all(
        select(literal("o").label("t"), Office.id.label("id"), Office.name.label("name")),
        select(literal("d"), District.id, District.name),
        select(literal("l"), literal(0), langs.c.code),
    )
    offices, districts, languages = [], [], []
    for t, ident, name in db.session.execute(stmt):
        (offices if t == "o" else districts if t == "d" else languages).append((ident, name))
    from app.core.templating import language_name

    return (sorted(offices, key=lambda x: x[1]), sorted(districts, key=lambda x: x[1]),
            sorted(((code, language_name(code)) for _i, code in languages), key=lambda x: x[1]))


def _index_body() -> Markup:
    """The list itself, the same for every visitor: rendered once per version, locale and
    query in this process (signed-in visitors get it too; only the page around it is theirs)."""
    key = f"act:{cache.current_version()}:listbody2:{_locale()}:{request.full_path}"
    entry = cache.get(key)
    if entry is None:
        filters, errors = catalogue.parse_filters(request.args)
        result = catalogue.activity_list(filters)
        offices, districts, languages = _filter_options()
        body = Markup(render_template(
            "activities/public/_index_body.html", result=result, filters=filters, errors=errors, offices=offices,
            districts=districts, languages=languages, kinds=list(ActivityType), page_args=filters.query_args()))
        entry = (body, utcnow())
        cache.put(key, entry)
    body, made_at = entry
    # what changes by the clock alone (a date begun) shows once the body is made anew: a page kept
    # around it for a signed-in person (app.core.viewerpages) is kept no longer than the body
    viewerpages.valid_until(made_at + timedelta(seconds=current_app.config["ACTIVITY_CACHE_SECONDS"]))
    return body


def _render_index(csrf_token=None):
    context = dict(body=_index_body())
    if csrf_token is not None:
        context["csrf_token"] = csrf_token
    return render_template("activities/public/index.html", **context)


@bp.get("/activities/")
def index():
    if anonymous_cacheable():
        return _cached_page("list", _render_index)
    if current_user.is_authenticated:
        # the list is everybody's (kept per version above); the page around it is the viewer's:
        # kept for them under the same versions (app.core.viewerpages; the people's for the name)
        return viewerpages.kept(("list", *cache.versions()), _render_index)
    return _render_index()


# ---------------------------------------------------------------- one activity
_MISSING = ("missing",)


def _page_data(activity_id: int) -> catalogue.ActivityPage | None:
    """The activity with roles, dates and counts as everybody sees it (no viewer's own data),
    built once per version and locale in this process: two statements, then none. Never
    changed after it is cached: the viewer's sign-ups and the slots' problems are kept beside it."""
    from app.people.consent import render_text

    key = f"act:{cache.current_version()}:data2:{_locale()}:{activity_id}"  # data2: (page, made_at)
    entry = cache.get(key)
    if entry is None:
        page = catalogue.activity_page(activity_id, locale=_locale())
        if page is not None:
            page.description_html = str(render_text(page.description))
        entry = (page, utcnow()) if page is not None else _MISSING
        cache.put(key, entry)
    if entry is _MISSING:
        return None
    # a page made around these data shows what they showed: kept no longer than they are
    viewerpages.valid_until(entry[1] + timedelta(seconds=current_app.config["ACTIVITY_CACHE_SECONDS"]))
    return entry[0]


def _role_sections(page: catalogue.ActivityPage, viewer, mine: dict, problems: dict, now: datetime) -> list[Markup]:
    """Each role's section. A role the viewer has nothing of their own on (no sign-up, no unmet
    requirement) looks the same for everybody of their kind: rendered once per version, locale,
    kind of viewer and the slots' open/closed state, and kept (with a CSRF placeholder)."""
    template = current_app.jinja_env.get_template("activities/public/_role.html")
    version = cache.current_version()
    locale = _locale()
    kind = _viewer_kind(viewer)
    out = []
    for role in page.roles:
        own = (viewer is not None and role.id in viewer.unmet) or any(s.id in mine for s in role.slots)
        key = None
        if not own:
            key = (f"act:{version}:role:{locale}:{page.id}:{role.id}:{kind}:"
                   + "|".join(problems.get(s.id) or "" for s in role.slots))
            html = cache.get(key)
            if html is not None:
                out.append(html)
                continue
        html = Markup(template.render(a=page, role=role, viewer=viewer, mine=mine, problems=problems, now=now,
                                      csrf_token=lambda: CSRF_PLACEHOLDER))
        if key is not None:
            cache.put(key, html)
        out.append(html)
    return out


def _viewer_kind(viewer) -> str:
    """What the page shows differently per kind of viewer: the role, whether they may sign up
    and why not (the sentence itself, in the viewer's language)."""
    if viewer is None or not viewer.user.is_authenticated:
        return "anonymous"
    return f"{viewer.user.role.value}:{int(viewer.can_sign_up)}:{viewer.reason or ''}"


_ROLES_MARK = "\x1e-role-sections-\x1e"


def _detail_body(page, viewer) -> str:
    """The page's content with a marker where the role sections go: made of the cached page data
    and the kind of viewer only (no sign-up, no CSRF token of anyone), so rendered once per
    version, locale, activity and kind in this process."""
    key = f"act:{cache.current_version()}:body:{_locale()}:{page.id}:{_viewer_kind(viewer)}"
    body = cache.get(key)
    if body is None:
        body = render_template("activities/public/_detail_body.html", a=page, viewer=viewer,
                               role_html=[Markup(_ROLES_MARK)] if page.roles else [])
        cache.put(key, body)
    return body


def _render_detail(page, viewer, mine, problems, now, csrf_token=None) -> str:
    roles = Markup("\n").join(_role_sections(page, viewer, mine, problems, now))
    body = _detail_body(page, viewer)
    context = dict(a=page, viewer=viewer, now=now, body=Markup(body.replace(_ROLES_MARK, roles, 1)))
    if csrf_token is not None:
        context["csrf_token"] = csrf_token
    return render_template("activities/public/detail.html", **context)


def _html_response(body: str, anonymous: bool):
    if CSRF_PLACEHOLDER in body:  # a form on the page needs this visitor's own token (and a session)
        body = body.replace(CSRF_PLACEHOLDER, generate_csrf())
    response = current_app.response_class(body, mimetype="text/html")
    if anonymous:
        response.vary.add("Cookie")
        response.vary.add("Accept-Language")
    return response


@bp.get("/activities/<int:activity_id>")
def detail(activity_id: int):
    now = utcnow()
    if anonymous_cacheable():
        def make():
            page = _page_data(activity_id)
            if page is None or not page.is_published:
                abort(404)
            return _render_detail(page, None, {}, {}, now, csrf_token=lambda: CSRF_PLACEHOLDER)

        return _html_response(_kept_body(f"detail:{_locale()}:{activity_id}", make), True)
    user = current_user._get_current_object()
    page = _page_data(activity_id)
    if page is None or not catalogue.visible_to(page, user):
        abort(404)
    if not user.is_authenticated:  # a visitor with a message waiting: made for this answer
        return _html_response(_render_detail(page, _viewer(user, page, now), {}, {}, now), False)
    problems = _problems(page, now)

    def build():
        mine = catalogue.my_signups(page.id, user.id)
        return _html_response(_render_detail(page, _viewer(user, page, now), mine, problems, now), False)

    # Kept for this person (app.core.viewerpages) while nothing it shows changes: the activity,
    # its sign-ups (everyone's: waiting positions, free places) — the activities' version; the
    # person's languages, skills and account — the people's version and the viewer key; what
    # changes by the clock alone — each slot's problem and each role's opening and closing.
    return viewerpages.kept(("activity", *cache.versions(), page.id, user.organisation_id,
                             tuple(problems.values()), _clock(page, now)), build)


def _clock(page: catalogue.ActivityPage, now: datetime) -> tuple:
    """What the role sections show differently by the clock alone, beside the slots' problems
    (role_rules: "sign-up opens on …", "closes on …" while these are ahead)."""
    return tuple((bool(r.signup_opens_at and r.signup_opens_at > now),
                  bool(r.signup_closes_at and r.signup_closes_at > now)) for r in page.roles)


class Viewer:
    """What the page needs to know about who is looking: may they sign up, and per role what
    they don't meet yet."""

    def __init__(self, user, can_sign_up: bool, reason: str | None, unmet: dict[int, list[str]]):
        self.user = user
        self.can_sign_up = can_sign_up
        self.reason = reason  # why not, when not
        self.unmet = unmet


def _viewer(user, page: catalogue.ActivityPage, now: datetime) -> Viewer:
    from app.accounts.models import Role as UserRole

    if not user.is_authenticated:
        return Viewer(user, False, None, {})
    if user.role != UserRole.VOLUNTEER:
        reason = (_("As a contact person of a partner organisation you sign up delegates of your organisation "
                    "for round tables.") if user.role == UserRole.PARTNER
                  else _("Staff accounts don't sign up here; add people on the roster instead."))
        return Viewer(user, False, reason, {})
    if not user.is_confirmed:
        return Viewer(user, False, _("Please confirm your e-mail address first. We sent you a link."), {})
    unmet = _unmet(user, page)
    return Viewer(user, page.is_published, None if page.is_published else _("This activity is not published."),
                  unmet)


def _unmet(user, page: catalogue.ActivityPage) -> dict[int, list[str]]:
    """Per role with requirements: the sentences saying what the person doesn't meet — the
    person's languages and skills in one statement for all roles, the rule of the sign-up
    service (signup.requirement_gaps)."""
    roles = [r for r in page.roles if r.has_requirements and not r.for_partners]
    if not roles:
        return {}
    from app.activities.signup import requirement_gaps

    languages, skills = catalogue.qualifications(user.id)
    out: dict[int, list[str]] = {}
    for r in roles:
        lines = requirement_gaps(r, languages, skills, r.required_skill or "")
        if lines:
            out[r.id] = lines
    return out


def _problems(page: catalogue.ActivityPage, now: datetime) -> dict[int, str | None]:
    """Each slot's reason why it can't be signed up for now (None: open): the services' own
    open_problem, fed with the page's plain rows (the slot stands in for its date)."""
    from app.activities.signup import open_problem

    return {slot.id: open_problem(role, slot, page, slot, now) for role in page.roles for slot in role.slots}


# ---------------------------------------------------------------- signing up, cancelling
def _back(activity_id: int, role_id: int | None = None) -> str:
    return url_for("activities.detail", activity_id=activity_id) + (f"#role-{role_id}" if role_id else "")


@bp.post("/activities/<int:activity_id>/roles/<int:role_id>/signup")
@confirmed_required
def signup(activity_id: int, role_id: int):
    from app.accounts.models import Role as UserRole
    from app.activities import signup as services
    from app.activities.models import Role

    role = db.session.get(Role, role_id)
    if role is None or role.activity_id != activity_id:
        abort(404)
    page_url = _back(activity_id, role_id)
    if current_user.role != UserRole.VOLUNTEER:
        flash(_("Only volunteers sign up here."), "error")
        return redirect(page_url)
    now = utcnow()
    if request.form.get("all") == "1":
        from app.activities.models import ActivityDate

        rows = db.session.execute(select(Slot, ActivityDate).join(ActivityDate, ActivityDate.id == Slot.date_id)
                                  .where(Slot.role_id == role_id, Slot.starts_at > now).order_by(Slot.starts_at))
        activity = role.activity
        slot_ids = [slot.id for slot, date in rows
                    if services.open_problem(role, slot, activity, date, now) is None]
        if not slot_ids:
            flash(_("There is no date left that you can sign up for."), "error")
            return redirect(page_url)
    else:
        raw = request.form.getlist("slot")
        if not raw:
            flash(_("Please choose at least one date."), "error")
            return redirect(page_url)
        if not all(x.isdigit() and len(x) <= 9 for x in raw):
            abort(400)
        slot_ids = sorted({int(x) for x in raw})
        known = set(db.session.scalars(select(Slot.id).where(Slot.role_id == role_id, Slot.id.in_(slot_ids))))
        if known != set(slot_ids):
            flash(_("One of these dates doesn't belong to this role. Please choose again."), "error")
            return redirect(page_url)
    try:
        signups = services.sign_up(current_user._get_current_object(), slot_ids, now=now)
    except services.SignupError as exc:
        flash(str(exc.message), "error")
        return redirect(page_url)
    confirmed = sum(1 for s in signups if s.state.value == "confirmed")
    waiting = sum(1 for s in signups if s.state.value == "waiting")
    if confirmed and not waiting:
        flash(_("You are signed up. We have sent you a mail with the date(s)."), "success")
    elif waiting and not confirmed:
        flash(_("All places are taken: you are on the waiting list. We write to you when a place is free."),
              "success")
    else:
        flash(_("You are signed up for %(n)d date(s) and on the waiting list for %(w)d.", n=confirmed, w=waiting),
              "success")
    return redirect(page_url)


@bp.post("/activities/signups/<int:signup_id>/cancel")
@confirmed_required
def cancel(signup_id: int):
    from app.activities import signup as services

    row = db.session.execute(select(Signup.user_id, Slot.activity_id, Slot.role_id)
                             .join(Slot, Slot.id == Signup.slot_id).where(Signup.id == signup_id)).first()
    if row is None or row.user_id != current_user.id:
        abort(404)
    target = safe_next(request.form.get("next")) or _back(row.activity_id, row.role_id)
    try:
        services.cancel(current_user._get_current_object(), signup_id)
    except services.SignupError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Done: you are no longer signed up for this date."), "success")
    return redirect(target)


# ---------------------------------------------------------------- template helpers
@bp.app_template_global("activity_when")
def activity_when(starts: datetime, ends: datetime) -> str:
    """"Di., 3. März 2027, 17:00–18:30" in the viewer's language, Berlin time. Parts are
    remembered for the request: a page with 30 shifts formats each day and time once."""
    from babel.dates import format_skeleton, format_time

    memo = g.setdefault("_when", {})
    key = (starts, ends)
    text = memo.get(key)
    if text is None:
        locale = get_locale()
        s, e = to_local(starts), to_local(ends)
        day = memo.get(s.date())
        if day is None:
            day = memo[s.date()] = format_skeleton("yMMMEd", s, locale=locale)
        t1 = format_time(s, "short", locale=locale)
        t2 = format_time(e, "short", locale=locale)
        if e.date() != s.date():
            t2 = format_skeleton("MMMEd", e, locale=locale) + " " + t2
        text = memo[key] = f"{day}, {t1}–{t2}"
    return text


@bp.app_template_global("wall_time")
def wall_time(value) -> str:
    from babel.dates import format_time

    return format_time(value, "short", locale=get_locale())


@bp.app_template_global("language_names")
def language_names(codes) -> str:
    from app.core.templating import language_name

    return ", ".join(language_name(c) for c in codes)


@bp.app_template_global("optional_url")
def optional_url(endpoint: str, **values) -> str | None:
    """A link to a page another part provides, or None while it doesn't exist."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


@bp.app_template_global("role_rules")
def role_rules(role: catalogue.RoleInfo, now: datetime) -> list[str]:
    """A role's requirements and sign-up rules in plain words."""
    from app.core.templating import language_name
    from app.people.models import LanguageLevel

    lines = []
    if role.required_language:
        level = role.required_level
        if level and level in LanguageLevel._value2member_map_:
            lines.append(_("You need to speak %(language)s, at least “%(level)s”.",
                           language=language_name(role.required_language), level=LanguageLevel(level).label))
        else:
            lines.append(_("You need to speak %(language)s.", language=language_name(role.required_language)))
    if role.required_skill:
        lines.append(_("You need this skill: %(skill)s.", skill=role.required_skill))
    if role.for_partners:
        if role.max_per_organisation:
            lines.append(_("Places for delegates of partner organisations, at most %(n)d per organisation.",
                           n=role.max_per_organisation))
        else:
            lines.append(_("Places for delegates of partner organisations."))
    if role.signup_opens_at and role.signup_opens_at > now:
        lines.append(_("Sign-up opens on %(when)s.", when=_format_dt(role.signup_opens_at)))
    if role.signup_closes_at and role.signup_closes_at > now:
        lines.append(_("Sign-up closes on %(when)s.", when=_format_dt(role.signup_closes_at)))
    if role.deadline_hours:
        lines.append(_("Sign-up closes %(n)d hours before each date begins.", n=role.deadline_hours))
    if role.auto_move_up:
        lines.append(_("When a place becomes free, the first person on the waiting list moves up at once."))
    return lines


def _format_dt(value: datetime) -> str:
    from flask_babel import format_datetime

    return format_datetime(value, "short")
