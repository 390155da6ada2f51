"""People: the coordinators' volunteer directory, its exports and print view, and a volunteer's
page for staff (same blueprint as app.people.views). Thin: queries in `directory`, rules in
`care`, spreadsheets in `exports`."""
from __future__ import annotations

import collections
import dataclasses
import functools

import itertools
import threading

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import Integer, bindparam, literal, select, union_all
from sqlalchemy.orm import joinedload

from app.core import audit
from app.core.permissions import office_scope, staff_required
from app.core.templating import language_name, weekday_name
from app.extensions import db
from app.offices.models import District, Office
from app.people import bp, care, directory, exports
from app.people import cache as people_cache
from app.people.directory_forms import DirectoryFilterForm, NoteForm, StatusForm
from app.people.languages import options_html as language_options
from app.people.models import (DAY_PART_LABELS, DAY_PARTS, ActivityKind, ChoiceItem, ConsentRecord, ConsentText,
                               LanguageLevel, VolunteerConsent, VolunteerLanguage, VolunteerProfile, VolunteerStatus,
                               volunteer_offices, volunteer_skills)

PRINT_MAX = 500
FILTER_KEYS = ("q", "language", "level", "skill", "district", "slot", "status", "kind", "office", "contact",
               "sort")


@functools.cache
def _lists_stmt():
    # Built once (per process): the three lists in one UNION, both label languages, so the
    # statement and its rows do not depend on the page's language; and, as a fourth arm, the
    # people cache's version (`app.people.cache`), so the kept table needs no statement of its own.
    version = people_cache.people_cache_version
    return union_all(
        select(literal("o").label("kind"), Office.id.label("id"), Office.name.label("name"),
               Office.name.label("name_en"), literal(0).label("pos")),
        select(literal("d"), District.id, District.name, District.name, literal(0)),
        select(literal("s"), ChoiceItem.id, ChoiceItem.label_de, ChoiceItem.label_en, ChoiceItem.position)
        .where(ChoiceItem.list_name == ChoiceItem.SKILLS, ChoiceItem.active.is_(True)),
        select(literal("v"), version.c.version, literal(""), literal(""), literal(0)).where(version.c.id == 1),
    )


class _Lists:
    """Offices, districts and the skill list (they fill the filter's selects and name the rows'
    offices and skills). Read in one statement on every request, so an admin's edit counts at
    once; turning the rows into lists is done once per distinct content and language
    (`_lists`): the rows themselves are the cache key. `serial` names this content, language
    and scope in the keys of what is kept from it (it is never reused in the process)."""

    _serials = itertools.count(1)

    def __init__(self, rows: tuple, locale: str, scope: frozenset | None):
        self.key = (rows, locale, scope)
        self.serial = next(self._serials)
        en = locale == "en"
        self.offices: dict[int, str] = {}
        self.districts: list[tuple[int, str]] = []
        skills: list[tuple[int, int, str]] = []
        for kind, ident, name, name_en, pos in rows:
            if kind == "o":
                self.offices[ident] = name
            elif kind == "d":
                self.districts.append((ident, name))
            else:
                skills.append((pos, ident, name_en if en else name))
        self.districts.sort(key=lambda x: x[1])
        skills.sort()
        self.skills = {ident: name for _p, ident, name in skills}
        self.my_offices = sorted(((i, n) for i, n in self.offices.items() if scope is None or i in scope),
                                 key=lambda x: x[1])
        self.labels = exports.Labels(offices=self.offices, skills=self.skills, language_name=_cached_language_name,
                                     weekday_name=weekday_name)
        # the table's cell labels and yes/no, escaped, in this language (built in a request of it)
        self.cell_labels = tuple(escape(text) for text in (
            _("Phone"), _("District"), _("Languages"), _("Skills"), _("Status"), _("May be contacted"),
            self.labels.yes, self.labels.no))


_LISTS: dict[tuple, _Lists] = {}
_LISTS_MAX = 64


def _lists(viewer) -> tuple[_Lists, int]:
    """The lists and the people cache's version, from one statement."""
    from app.core import ownread

    version = 0
    rows = []
    # on a connection of its own (app.core.ownread): a kept page checks nothing out of the pool
    for r in ownread.rows(_lists_stmt()):
        if r[0] == "v":
            version = r[1]
        else:
            rows.append(tuple(r))
    scope = office_scope(viewer)
    key = (tuple(rows), str(get_locale()), None if scope is None else frozenset(scope))
    lists = _LISTS.get(key)
    if lists is None:
        if len(_LISTS) >= _LISTS_MAX:
            _LISTS.clear()
        lists = _LISTS[key] = _Lists(*key)
    return lists, version


# The filter form as rendered HTML with the filter it stands for, by everything it depends on:
# the language, the script root (its links), the lists' content and the viewer's offices (its
# choices, `_Lists.serial`), and the query's raw filter values. Nothing else goes in, so an entry
# is never stale: an edited list or another office is another key. Bounded (user input is part
# of the key).
_FILTERS: dict[tuple, tuple[Markup, directory.DirectoryFilter, bool]] = {}
_FILTERS_MAX = 256


def _filter_form() -> tuple[Markup, directory.DirectoryFilter, _Lists, int]:
    """The filter form's HTML, the filter, the lists and the people cache's version."""
    lists, version = _lists(current_user)
    args = request.args
    locale = str(get_locale())
    key = (request.script_root, lists.serial, tuple(args.get(k) for k in FILTER_KEYS))
    hit = _FILTERS.get(key)
    if hit is None:
        form = DirectoryFilterForm(formdata=args)
        form.set_choices(offices=lists.my_offices, districts=lists.districts, skills=list(lists.skills.items()),
                         weekday_name=weekday_name)
        form.validate()
        flt = form.to_filter()
        html = Markup(render_template(
            "people/directory/_filters.html", form=form,
            more_open=flt.narrows() or any(name not in ("q", "sort") for name in form.errors),
            language_options=language_options(locale, flt.language if not form.language.errors else None,
                                              _("any language"))))
        if len(_FILTERS) >= _FILTERS_MAX:
            _FILTERS.clear()
        hit = _FILTERS[key] = (html, flt, bool(form.errors))
    html, flt, _errors = hit
    return html, dataclasses.replace(flt), lists, version


def _filter_args() -> dict[str, str]:
    """The filter of this request as query parameters (for export and print links)."""
    return {k: v for k in FILTER_KEYS if (v := request.args.get(k, "")[:200])}


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 1


_LANGUAGE_NAMES: dict[tuple[str, str], str] = {}


def _cached_language_name(code: str) -> str:
    """language_name, remembered per locale (Babel's lookup costs more than the whole row)."""
    key = (str(get_locale()), code)
    name = _LANGUAGE_NAMES.get(key)
    if name is None:
        if len(_LANGUAGE_NAMES) > 4096:
            _LANGUAGE_NAMES.clear()
        name = _LANGUAGE_NAMES[key] = language_name(code)
    return name


_SEP = "\x00"  # joins a row's values for one escape() call; never part of a value's escaped form


def _escaped(values: list[str]) -> list[str]:
    """Each value HTML-escaped, in one escape() call for the lot (per value, escape() cost more
    than the rest of the row); a value holding the separator itself is escaped on its own."""
    parts = str(escape(_SEP.join(values))).split(_SEP)
    return parts if len(parts) == len(values) else [str(escape(v)) for v in values]


# Each row's HTML, kept by everything it is made of: the lists' content, language and scope
# (`_Lists.serial`), the script root (its link) and the row's own content as read
# (`directory.row_key`). After a change the pages are built anew, but nearly all their rows
# are the same as before: those are joined from here, without being read into objects or
# formatted again. Never stale (a changed row is another key); bounded, the longest unused first.
_ROWS: collections.OrderedDict[tuple, str] = collections.OrderedDict()
_ROWS_MAX = 5000
_ROWS_LOCK = threading.Lock()  # look-up, move and eviction as one step (threaded servers)


def _rows_html(page: directory.DirectoryPage, lists: _Lists) -> Markup:
    """The directory table's rows as HTML, one format string per row: 50 rows through Jinja
    (a dozen lookups and escapes per row) were the largest part of the page's time. The cells
    are the template's: name with link and e-mail, phone, district, languages, skills, status,
    contact consent; every value escaped."""
    person_url = escape(url_for("people.directory_list") + "/")
    prefix = (lists.serial, person_url)
    out = []
    with _ROWS_LOCK:
        for raw in page.raw:
            key = (prefix, directory.row_key(raw))
            html = _ROWS.pop(key, None)  # taken out and put back last: the longest unused go first
            if html is None:
                html = _row_html(directory.row_from(raw), lists, person_url)
                while len(_ROWS) >= _ROWS_MAX:
                    _ROWS.popitem(last=False)
            _ROWS[key] = html
            out.append(html)
    return Markup("".join(out))


def _row_html(r: directory.DirectoryRow, lists: _Lists, person_url: str) -> str:
    l_contact, l_district, l_lang, l_skill, l_status, l_consent, yes, no = lists.cell_labels
    labels = lists.labels
    skills = labels.skills
    name, email, phone, district, langs, skill_names, status, status_label = _escaped([
        r.name, r.email, r.phone, r.district_name or "", labels.languages(r),
        ", ".join(skills.get(i, "") for i in r.skill_ids), r.status.value, labels.status_label(r.status)])
    return (f'<tr><th scope="row"><a href="{person_url}{r.id}">{name}</a><br>'
            f'<span class="muted break">{email}</span></th>\n'
            f'      <td data-label="{l_contact}">{phone}</td>\n'
            f'      <td data-label="{l_district}">{district}</td>\n'
            f'      <td data-label="{l_lang}">{langs}</td>\n'
            f'      <td data-label="{l_skill}">{skill_names}</td>\n'
            f'      <td data-label="{l_status}"><span class="tag status-{status}">{status_label}</span></td>\n'
            f'      <td data-label="{l_consent}">{yes if r.contact else no}</td></tr>\n')


def _display_rows(rows, labels: exports.Labels) -> list[dict]:
    """What the template shows per row, as ready strings (no per-cell macros or lookups there)."""
    return [{
        "id": r.id, "name": r.name, "email": r.email, "phone": r.phone,
        "district": r.district_name or "", "languages": labels.languages(r),
        "skills": ", ".join(labels.skills.get(i, "") for i in r.skill_ids),
        "offices": ", ".join(labels.offices.get(i, "") for i in sorted(r.office_ids)),
        "status": r.status.value, "status_label": labels.status_label(r.status),
        "hours": r.hours_per_month, "contact": r.contact,
    } for r in rows]


@bp.route("/volunteers")
@staff_required
def directory_list():
    """The table (count, export links, rows, pagination) is kept as HTML (`app.people.cache`)
    by the people version, the lists' content with the language and the viewer's offices
    (`_Lists.serial`), the script root and the query: the same for every viewer of that scope.
    Nothing of the viewer is in it (their name, the CSRF token: `base.html`, rendered anew)."""
    filters_html, flt, lists, version = _filter_form()
    from app.core import viewerpages

    # the whole page kept for its viewer besides (app.core.viewerpages), under the same version
    # and lists: a repeated view renders nothing at all
    return viewerpages.kept(("directory", version, lists.serial),
                            lambda: _directory_page(filters_html, flt, lists, version))


def _directory_page(filters_html: Markup, flt, lists: _Lists, version: int):
    key = ("directory", version, lists.serial, request.script_root, tuple(request.args.items(multi=True)))
    table_html = people_cache.get(key)
    if table_html is None:
        page = directory.directory_page(directory.viewer_scope(current_user), flt, _page_number())
        table_html = Markup(render_template("people/directory/_table.html", page=page,
                                            rows_html=_rows_html(page, lists), filter_args=_filter_args()))
        people_cache.put(key, table_html)
    return render_template("people/directory/list.html", filters_html=filters_html, table_html=table_html)


@bp.route("/volunteers/print")
@staff_required
def directory_print():
    _html, flt, lists, _version = _filter_form()
    page = directory.directory_page(directory.viewer_scope(current_user), flt, 1, per_page=PRINT_MAX)
    audit.record(current_user, "directory.printed", record_type="volunteer_profiles",
                 filter=flt.describe(), rows=len(page.rows))
    db.session.commit()
    from app.core.timeutil import utcnow
    from app.people.audit_labels import filter_words

    return render_template("people/directory/print.html", page=page,
                           rows=_display_rows(page.rows, lists.labels), limit=PRINT_MAX,
                           filter_args=_filter_args(), printed_at=utcnow(), filter_text=filter_words(flt.describe()))


@bp.route("/volunteers/export.<any(csv, xlsx):fmt>")
@staff_required
def directory_export(fmt: str):
    _html, flt, lists, _version = _filter_form()
    labels = lists.labels
    scope = directory.viewer_scope(current_user)
    stamp = exports.file_stamp()
    if fmt == "csv":
        rows = directory.count_matches(scope, flt)
        audit.record(current_user, "directory.exported", record_type="volunteer_profiles", format="csv",
                     filter=flt.describe(), rows=rows)
        db.session.commit()
        body = stream_with_context(exports.csv_chunks(scope, flt, labels))
        response = Response(body, mimetype="text/csv")
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
        filename = f"ehrenamtliche-{stamp}.csv"
    else:
        path, rows = exports.write_xlsx(scope, flt, labels)
        audit.record(current_user, "directory.exported", record_type="volunteer_profiles", format="xlsx",
                     filter=flt.describe(), rows=rows)
        db.session.commit()
        response = Response(exports.file_chunks(path), mimetype=exports.XLSX_MIMETYPE)
        filename = f"ehrenamtliche-{stamp}.xlsx"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------- a volunteer's page
def _volunteer_or_404(user_id: int) -> VolunteerProfile:
    """The profile with its account, district, languages, offices and skills (four statements),
    if the viewer may look after this volunteer (in the same statement); else 404."""
    visible = (directory.visible_volunteers(directory.viewer_scope(current_user))
               .where(VolunteerProfile.user_id == user_id).scalar_subquery())
    profile = db.session.scalar(
        select(VolunteerProfile).where(VolunteerProfile.user_id == user_id, VolunteerProfile.user_id == visible)
        .options(joinedload(VolunteerProfile.user), joinedload(VolunteerProfile.district)))
    return profile or abort(404)


@dataclasses.dataclass
class _Facts:
    languages: list[tuple[str, str]]  # (code, level's label), best first
    offices: list[str]                # names, by name
    skills: list[str]                 # labels in the page's language, in the list's order


def _facts(user_id: int) -> _Facts:
    """A volunteer's languages, offices and skills for their page, in one statement (loading the
    three collections of the profile cost three statements and most of the page's time)."""
    rows = db.session.execute(_facts_stmt(), {"user_id": user_id}).all()
    en = str(get_locale()) == "en"
    langs = sorted(((r[1], r[3]) for r in rows if r[0] == "l"), key=lambda x: (-x[1], x[0]))
    return _Facts(
        languages=[(code, LanguageLevel(level).label) for code, level in langs],
        offices=sorted((r[1] for r in rows if r[0] == "o"), key=str.casefold),
        skills=[(r[2] if en and r[2] else r[1]) for r in sorted((r for r in rows if r[0] == "s"), key=lambda r: r[3])])


@functools.lru_cache(maxsize=1)
def _facts_stmt():
    uid = bindparam("user_id", type_=Integer)
    return union_all(
        select(literal("l"), VolunteerLanguage.code, literal(""), VolunteerLanguage.level)
        .where(VolunteerLanguage.user_id == uid),
        select(literal("o"), Office.name, literal(""), literal(0)).join(
            volunteer_offices, volunteer_offices.c.office_id == Office.id).where(volunteer_offices.c.user_id == uid),
        select(literal("s"), ChoiceItem.label_de, ChoiceItem.label_en, ChoiceItem.position).join(
            volunteer_skills, volunteer_skills.c.item_id == ChoiceItem.id).where(volunteer_skills.c.user_id == uid))


def _back_to_list() -> str:
    """The list the viewer came from, with its filters (this site's directory only), else the
    plain list."""
    from urllib.parse import urlsplit

    plain = url_for("people.directory_list")
    came = urlsplit(request.referrer or "")
    if came.netloc == request.host and came.path == plain and came.query and len(came.query) <= 1000:
        return f"{plain}?{came.query}"
    return plain


def _render_volunteer(profile: VolunteerProfile, status_form: StatusForm | None = None,
                      note_form: NoteForm | None = None, status: int = 200):
    user_id = profile.user_id
    status_form = status_form or StatusForm(status=profile.status.value, expected=profile.status.value)
    status_form.expected.data = profile.status.value
    consents = db.session.execute(
        select(VolunteerConsent, ConsentText).join(ConsentText, ConsentText.id == VolunteerConsent.text_id)
        .where(VolunteerConsent.user_id == user_id)).all()
    consent_history = db.session.execute(
        select(ConsentRecord, ConsentText).join(ConsentText, ConsentText.id == ConsentRecord.text_id)
        .where(ConsentRecord.user_id == user_id)
        .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc()).limit(50)).all()
    entries = db.session.scalars(audit.entries(offices=office_scope(current_user), record_type="volunteer_profiles",
                                               record_id=user_id).limit(50)).all()
    return render_template(
        "people/directory/volunteer.html", profile=profile, user=profile.user,
        consents=sorted(consents, key=lambda c: c[0].purpose.value), consent_history=consent_history,
        history=care.status_history(user_id), notes=care.notes_of(user_id), entries=entries,
        status_form=status_form, note_form=note_form or NoteForm(), kinds=list(ActivityKind),
        day_parts=[(i, DAY_PART_LABELS[p]) for i, p in enumerate(DAY_PARTS)],
        facts=_facts(user_id), action_label=audit.action_label, value_words=audit.value_words,
        back_url=_back_to_list(),
        sections=directory.volunteer_sections(user_id, current_user)), status


@bp.route("/volunteers/<int:user_id>")
@staff_required
def volunteer_page(user_id: int):
    return _render_volunteer(_volunteer_or_404(user_id))


STATUS_MESSAGES = {
    "same": lambda current: _("The status is already “%(status)s”.", status=current.label),
    "changed": lambda current: _("A colleague has just changed the status to “%(status)s”. Please check and "
                                 "choose again.", status=current.label),
}


@bp.post("/volunteers/<int:user_id>/status")
@staff_required
def volunteer_status(user_id: int):
    profile = _volunteer_or_404(user_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            care.change_status(user_id, VolunteerStatus(form.status.data), current_user,
                               expected=(form.expected.data or "")[:20])
        except care.NotInScope:
            abort(404)
        except care.CareError as exc:
            form.status.errors = [*form.status.errors, STATUS_MESSAGES[exc.reason](exc.current)]
            db.session.refresh(profile)
        else:
            flash(_("Status of %(name)s is now “%(status)s”.", name=profile.user.name,
                    status=VolunteerStatus(form.status.data).label), "success")
            return redirect(url_for("people.volunteer_page", user_id=user_id) + "#status-section")
    return _render_volunteer(profile, status_form=form, status=400)


@bp.post("/volunteers/<int:user_id>/notes")
@staff_required
def volunteer_note(user_id: int):
    profile = _volunteer_or_404(user_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            care.add_note(user_id, form.body.data, current_user)
        except care.NotInScope:
            abort(404)
        except care.CareError:
            form.body.errors = [*form.body.errors, _("Please write the note.")]
        else:
            flash(_("The note has been saved."), "success")
            return redirect(url_for("people.volunteer_page", user_id=user_id) + "#notes")
    return _render_volunteer(profile, note_form=form, status=400)
