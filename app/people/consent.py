"""Consent by purpose: versioned texts, each person's answers, and the queries that honour them.

- Texts: the privacy notice and each consent text are `ConsentText` rows; a published version
  never changes, a new wording is version n+1 (`publish_text`). The current version of a purpose
  is its highest version that is valid already. On a fresh database version 1 comes from
  `app.people.reference` (`ensure_texts`).
- Answers: every answer is a `ConsentRecord` (the history) and the person's current answer per
  purpose is the `VolunteerConsent` row, both written in one transaction (`record_consent`), so
  that recipient queries need one indexed join and a withdrawal counts from the commit on.
- Queries: `join_given`/`consent_given` put "this purpose is given" into any SELECT;
  `may_share_with_partner`, `photo_consent` answer for one person or a set of people.
- Asking again: `outdated_purposes` lists what a person agreed to in an older version than the
  current one; the per-app cache of current version ids (`current_version_ids`) lets a request
  compare without a query (app.people.consent_views has the hook).
"""
from __future__ import annotations

import time
from typing import Iterable

import nh3
from flask import current_app
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import Select, and_, delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app.core import audit
from app.core.personal_data import register_section
from app.core.timeutil import utcnow
from app.extensions import db
from app.mail.worker import register_withhold
from app.people.models import (OPTIONAL_PURPOSES, ConsentPurpose, ConsentRecord, ConsentText,
                               VolunteerConsent)

MAX_TITLE = 200
MAX_BODY = 50_000
# How long a process trusts its copy of the current version ids. Publishing clears the copy of
# the process that publishes; other processes (gunicorn workers) see a new version within this.
DEFAULT_CACHE_SECONDS = 30

PURPOSE_ORDER = (ConsentPurpose.PRIVACY, *OPTIONAL_PURPOSES)


class ConsentError(Exception):
    """A user-facing refusal; `reason` says which ("changed", "unchanged", "race", "required")."""

    def __init__(self, reason: str, field: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.field = field


# ---------------------------------------------------------------- rendering
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_TAGS = {"h2", "h3", "h4", "p", "ul", "ol", "li", "strong", "em", "a", "br", "blockquote", "code", "hr"}


def render_text(source: str) -> Markup:
    """Markdown of a consent text as safe HTML: markdown-it-py (raw HTML off), then nh3 keeps
    only plain text markup and http(s)/mailto/tel links."""
    html = _md.render(source or "")
    # "# " would be a second h1 on the page: texts start their headings at h2.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}},
                      url_schemes={"http", "https", "mailto", "tel"}, link_rel="noopener noreferrer")
    return Markup(clean)


def plain_text(source: str) -> str:
    """The text without markup (for a hint next to a checkbox)."""
    return nh3.clean(_md.render(source or ""), tags=set()).strip()


# ---------------------------------------------------------------- texts
def ensure_texts() -> None:
    """Version 1 of every text on a database that has none yet (commits)."""
    have = set(db.session.scalars(select(ConsentText.purpose).distinct()))
    if not set(PURPOSE_ORDER) <= have:
        from app.people.reference import load_people_reference

        load_people_reference()
        _forget_versions()


def _current_stmt() -> Select:
    latest = (select(ConsentText.purpose.label("purpose"), func.max(ConsentText.version).label("version"))
              .where(ConsentText.valid_from <= utcnow()).group_by(ConsentText.purpose).subquery())
    return select(ConsentText).join(latest, and_(ConsentText.purpose == latest.c.purpose,
                                                 ConsentText.version == latest.c.version))


def current_texts(create: bool = True) -> dict[ConsentPurpose, ConsentText]:
    """The current version of every purpose, in one query (version 1 is created when missing)."""
    texts = {t.purpose: t for t in db.session.scalars(_current_stmt())}
    if create and not set(PURPOSE_ORDER) <= set(texts):
        ensure_texts()
        texts = {t.purpose: t for t in db.session.scalars(_current_stmt())}
    return texts


def current_text(purpose: ConsentPurpose) -> ConsentText:
    return current_texts()[ConsentPurpose(purpose)]


def text_versions(purpose: ConsentPurpose) -> list[ConsentText]:
    """Every version of a purpose, newest first (the history list)."""
    return list(db.session.scalars(select(ConsentText).where(ConsentText.purpose == purpose)
                                   .order_by(ConsentText.version.desc())))


def text_version(purpose: ConsentPurpose, version: int) -> ConsentText | None:
    return db.session.scalar(select(ConsentText).where(ConsentText.purpose == purpose,
                                                       ConsentText.version == version))


def publish_text(purpose: ConsentPurpose, *, title_de: str, title_en: str, body_de: str, body_en: str,
                 actor) -> ConsentText:
    """A new version n+1 of a text (an admin's change; audited). Published versions are never
    edited. People who agreed to an older version are asked again."""
    purpose = ConsentPurpose(purpose)
    current = current_texts().get(purpose)
    values = (title_de.strip(), title_en.strip(), body_de.strip(), body_en.strip())
    if current is not None and values == (current.title_de.strip(), current.title_en.strip(),
                                          current.body_de.strip(), current.body_en.strip()):
        raise ConsentError("unchanged")
    latest = db.session.scalar(select(func.max(ConsentText.version)).where(ConsentText.purpose == purpose)) or 0
    text = ConsentText(purpose=purpose, version=latest + 1, title_de=values[0], title_en=values[1],
                       body_de=values[2], body_en=values[3], valid_from=utcnow(),
                       created_by_id=getattr(actor, "id", None))
    db.session.add(text)
    try:
        db.session.flush()
    except IntegrityError:  # another admin published the same version number a moment ago
        db.session.rollback()
        raise ConsentError("race") from None
    audit.record(actor, "consent_text.published", text, purpose=purpose.value, version=text.version)
    db.session.commit()
    _forget_versions()
    return text


# ---------------------------------------------------------------- current version ids, cached
_CACHE_KEY = "willkommen.consent_versions"


def _forget_versions() -> None:
    current_app.extensions.pop(_CACHE_KEY, None)


def current_version_ids() -> dict[str, int]:
    """{purpose: id of its current text}, kept per app process for CONSENT_CACHE_SECONDS, so a
    logged-in page compares with it without asking the database. Never creates texts."""
    ttl = current_app.config.get("CONSENT_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)
    cached = current_app.extensions.get(_CACHE_KEY)
    now = time.monotonic()
    if cached is not None and now - cached[0] < ttl:
        return cached[1]
    rows = db.session.execute(_current_stmt().with_only_columns(ConsentText.purpose, ConsentText.id)).all()
    versions = {purpose.value: text_id for purpose, text_id in rows}
    current_app.extensions[_CACHE_KEY] = (now, versions)
    return versions


def fingerprint(versions: dict[str, int]) -> str:
    return ",".join(f"{k}:{v}" for k, v in sorted(versions.items()))


def outdated_purposes(user_id: int, versions: dict[str, int] | None = None) -> list[ConsentPurpose]:
    """What the person agreed to in a version older than the current one (one query), privacy
    first. A "no" to an older version is not asked again; neither is what was never answered."""
    versions = current_version_ids() if versions is None else versions
    if not versions:
        return []
    rows = db.session.execute(select(VolunteerConsent.purpose, VolunteerConsent.text_id).where(
        VolunteerConsent.user_id == user_id, VolunteerConsent.given.is_(True))).all()
    stale = {purpose for purpose, text_id in rows
             if purpose.value in versions and versions[purpose.value] != text_id}
    return [p for p in PURPOSE_ORDER if p in stale]


# ---------------------------------------------------------------- answers
def record_consent(user_id: int, purpose: ConsentPurpose, given: bool, text: ConsentText | None = None,
                   recorded_by=None, commit: bool = True) -> ConsentRecord:
    """Record an answer: a history row and the current answer, in one transaction (the caller's
    when commit=False). `text` is the version answered (default: the current one)."""
    purpose = ConsentPurpose(purpose)
    text = text or current_text(purpose)
    now = utcnow()
    record = ConsentRecord(user_id=user_id, purpose=purpose, text_id=text.id, given=given, recorded_at=now,
                           recorded_by_id=getattr(recorded_by, "id", None))
    db.session.add(record)
    row = db.session.get(VolunteerConsent, (user_id, purpose), with_for_update=True)
    if row is None:
        db.session.add(VolunteerConsent(user_id=user_id, purpose=purpose, given=given, text_id=text.id,
                                        recorded_at=now))
    else:
        row.given, row.text_id, row.recorded_at = given, text.id, now
    if purpose == ConsentPurpose.CONTACT and not given:
        _withdraw_queued_messages(user_id)
    if commit:
        db.session.commit()
    return record


WITHDRAWN_REASON = "consent withdrawn"


def _withdraw_queued_messages(user_id: int) -> None:
    """Withdrawal acts at once: what is already queued for the person and needs the consent —
    coordinators' messages to an office's volunteers, urgent calls, matching proposals
    (`needs_contact_consent`) — is skipped (visibly, in the message log), in the same transaction
    as the withdrawal. What concerns their own sign-ups (a roster's message) still goes."""
    from sqlalchemy import update

    from app.mail.models import MailStatus, OutboxMail
    from app.mail.services import needs_contact_consent

    db.session.execute(
        update(OutboxMail).where(OutboxMail.user_id == user_id, needs_contact_consent(),
                                 OutboxMail.status == MailStatus.QUEUED)
        .values(status=MailStatus.SKIPPED, last_error=WITHDRAWN_REASON)
        .execution_options(synchronize_session=False))


@register_withhold
def _without_contact_consent(mail_ids: list[int]) -> dict[int, str]:
    """The worker's last look: of these mails, those that need the consent to be contacted and
    go to someone who has not given it (now)."""
    from app.mail.models import OutboxMail
    from app.mail.services import needs_contact_consent

    given = exists().where(VolunteerConsent.user_id == OutboxMail.user_id,
                           VolunteerConsent.purpose == ConsentPurpose.CONTACT, VolunteerConsent.given.is_(True))
    ids = db.session.scalars(select(OutboxMail.id).where(OutboxMail.id.in_(mail_ids), OutboxMail.user_id.is_not(None),
                                                         needs_contact_consent(), ~given))
    return {i: WITHDRAWN_REASON for i in ids}


def answer(user, purpose: ConsentPurpose, given: bool, shown_text_id: int | None) -> ConsentRecord:
    """The person answers on the consent or renewal page. `shown_text_id` is the version the page
    showed: if a new version came out meanwhile, nothing is recorded (read it first)."""
    purpose = ConsentPurpose(purpose)
    text = current_text(purpose)
    if shown_text_id is not None and shown_text_id != text.id:
        raise ConsentError("changed")
    if purpose == ConsentPurpose.PRIVACY and not given:
        raise ConsentError("required")
    return record_consent(user.id, purpose, given, text)


def answers(user_id: int) -> dict[ConsentPurpose, VolunteerConsent]:
    rows = db.session.scalars(select(VolunteerConsent).where(VolunteerConsent.user_id == user_id))
    return {row.purpose: row for row in rows}


def history(user_id: int) -> list[ConsentRecord]:
    """Every answer the person gave, newest first, with its text (one query)."""
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(select(ConsentRecord).options(joinedload(ConsentRecord.text))
                                   .where(ConsentRecord.user_id == user_id)
                                   .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())))


# ---------------------------------------------------------------- queries that honour consent
def join_given(stmt: Select, user_id_column, purpose: ConsentPurpose) -> Select:
    """`stmt` joined to the current answer for `purpose`, keeping only people who gave it (one
    indexed join on the primary key of volunteer_consents; joinable several times)."""
    vc = aliased(VolunteerConsent)
    return stmt.join(vc, and_(vc.user_id == user_id_column, vc.purpose == ConsentPurpose(purpose),
                              vc.given.is_(True)))


def consent_given(purpose: ConsentPurpose, user_id_column):
    """A boolean SQL expression: this person's current answer for `purpose` is "yes". Use it in
    WHERE (only those who agreed) or as a column (e.g. a partner's roster shows the phone number
    only where `consent_given(SHARE_WITH_PARTNER, SignUp.user_id)` is true)."""
    vc = aliased(VolunteerConsent)
    return exists().where(vc.user_id == user_id_column, vc.purpose == ConsentPurpose(purpose),
                          vc.given.is_(True))


def shares_with_partner(user_id_column):
    """SQL filter/column: name and phone may go to the partner organisation running an activity."""
    return consent_given(ConsentPurpose.SHARE_WITH_PARTNER, user_id_column)


def shown_name(name: str, *, shared: bool, delegate: bool = False) -> str:
    """A person's name as a partner organisation's page shows it: as it is where it may be passed
    on (`shared`: staff look, or consent 2 is given) or for an organisation's own delegate, else
    "Volunteer (name not shared)" in the viewer's language."""
    return name if shared or delegate else str(_l("Volunteer (name not shared)"))


def _given(user_id: int, purpose: ConsentPurpose) -> bool:
    return bool(db.session.scalar(select(VolunteerConsent.given).where(
        VolunteerConsent.user_id == user_id, VolunteerConsent.purpose == purpose)))


def may_contact(user_id: int) -> bool:
    return _given(user_id, ConsentPurpose.CONTACT)


def may_share_with_partner(user_id: int) -> bool:
    """Whether name and phone of this person may go to a partner organisation — now."""
    return _given(user_id, ConsentPurpose.SHARE_WITH_PARTNER)


def photo_consent(user_ids: Iterable[int]) -> set[int]:
    """Of these people, the ids of those who may appear in photos (one query)."""
    ids = {int(i) for i in user_ids}
    if not ids:
        return set()
    return set(db.session.scalars(select(VolunteerConsent.user_id).where(
        VolunteerConsent.user_id.in_(ids), VolunteerConsent.purpose == ConsentPurpose.PHOTOS,
        VolunteerConsent.given.is_(True))))


# ---------------------------------------------------------------- "my data"
def _iso(value) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _collect(user) -> dict | None:
    current = [
        {"purpose": row.purpose.value, "title": row.text.title(user.locale or "de"), "given": row.given,
         "version": row.text.version, "recorded_at": _iso(row.recorded_at)}
        for row in sorted(answers(user.id).values(), key=lambda r: PURPOSE_ORDER.index(r.purpose))
    ]
    past = [
        {"purpose": r.purpose.value, "given": r.given, "version": r.text.version,
         "recorded_at": _iso(r.recorded_at), "recorded_at_office": r.recorded_by_id is not None}
        for r in history(user.id)
    ]
    if not current and not past:
        return None
    return {"current": current, "history": past}


def _erase(user, actor) -> None:
    db.session.execute(delete(VolunteerConsent).where(VolunteerConsent.user_id == user.id))
    db.session.execute(delete(ConsentRecord).where(ConsentRecord.user_id == user.id))


register_section("consents", _l("Consents"), collect=_collect, erase=_erase, order=30)
