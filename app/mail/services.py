"""The one way any area sends a mail: `queue_mail` adds an OutboxMail to the caller's
transaction. Nothing here talks to an SMTP server; the worker does (app/mail/worker.py)."""
from __future__ import annotations

import hashlib
import logging
import re
from contextvars import ContextVar
from datetime import timedelta
from email.utils import formataddr
from typing import Any, Callable, Mapping

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup, escape
from sqlalchemy import Select, func, insert, literal, select
from sqlalchemy.exc import IntegrityError

from app.core import audit
from app.core.timeutil import utcnow
from app.core.tokens import TokenError, make_token, read_token
from app.core.urls import external_url
from app.extensions import db
from app.mail.kinds import KINDS, MailKind
from app.mail.models import (
    MailStatus,
    MailTemplateOverride,
    Message,
    OutboxAttachment,
    OutboxMail,
    SuppressedAddress,
)

# What an office's wording may use: variables, attributes, conditions and a few harmless
# filters. No loops, macros, calls or padding filters — nothing that can make a template run
# long or grow huge (e.g. "%0500000000d"|format, center(10**9), nested range loops).
_ALLOWED_NODES = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Getattr, nodes.Getitem,
    nodes.Const, nodes.If, nodes.Filter, nodes.Test, nodes.Compare, nodes.Operand, nodes.And,
    nodes.Or, nodes.Not, nodes.Concat, nodes.CondExpr, nodes.Add, nodes.Sub, nodes.Div,
    nodes.FloorDiv, nodes.Mod, nodes.Mul, nodes.Neg, nodes.Pos, nodes.Keyword,
)
_ALLOWED_FILTERS = {"upper", "lower", "title", "capitalize", "trim", "default", "d", "e", "escape",
                    "length", "count", "first", "last", "int", "string", "round", "abs"}
MAX_RENDERED = 50_000  # characters of one rendered subject or body
MAX_REPEAT = 10_000  # characters one `*` may build
MAX_FORMAT_FIELD = 999  # width or precision of one %-conversion ("%05d", "%.2f")

# Readable reasons, shown in the language of whoever reads them (lazy strings).
_NODE_REASONS = {
    "For": _l("Loops (%(tag)s) cannot be used in mail templates.", tag="{% for %}"),
    "Macro": _l("Macros (%(tag)s) cannot be used in mail templates.", tag="{% macro %}"),
    "Call": _l("Functions such as %(example)s cannot be called in mail templates.",
               example="range()"),
    "Assign": _l("Own variables (%(tag)s) cannot be used in mail templates.", tag="{% set %}"),
}


class TemplateInvalid(ValueError):
    """An office's template override does not render. `reason` is a readable, translated text
    (a lazy string, so it reads in the language of whoever sees it); `detail` is the raw error
    for the log."""

    def __init__(self, reason: Any, detail: str = ""):
        super().__init__(detail or str(reason))
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return str(self.reason)


class _TooLong(SecurityError):
    """A value or the whole text would exceed the limits."""


class _OperatorRefused(SecurityError):
    """An operator that templates may not use (**)."""


def _allowed_variables(context: Mapping[str, Any]) -> str:
    return ", ".join(sorted(context))


def _explain(exc: Exception, context: Mapping[str, Any]) -> Any:
    """A readable, translated reason for why a template does not render (no raw Jinja text)."""
    message = str(exc)
    if isinstance(exc, _TooLong):
        return _l("The text would be too long.")
    if isinstance(exc, _OperatorRefused):
        return _l("The ** operator cannot be used in mail templates.")
    if isinstance(exc, TemplateSyntaxError):
        if "endif" in message:
            return _l("An %(tag)s is not closed with %(end)s.", tag="{% if %}", end="{% endif %}")
        return _l("Line %(line)d contains a mistake. Check that every %(open)s is closed with "
                  "%(close)s and every %(open_tag)s with %(close_tag)s.", line=exc.lineno or 1,
                  open="{{", close="}}", open_tag="{%", close_tag="%}")
    if isinstance(exc, UndefinedError):
        match = re.search(r"^'([^']+)' is undefined", message)
        if match:
            return _l("The variable %(name)s does not exist. You can use: %(variables)s.",
                      name=match.group(1), variables=_allowed_variables(context))
        return _l("A part of a variable does not exist (for example a misspelt name after the "
                  "dot). You can use: %(variables)s.", variables=_allowed_variables(context))
    if isinstance(exc, SecurityError):
        return _l("This is not allowed in mail templates.")
    if isinstance(exc, ZeroDivisionError):
        return _l("A number is divided by zero.")
    if isinstance(exc, (TypeError, ValueError, OverflowError)):
        return _l("Values are combined that do not fit together (for example a text and a "
                  "number added).")
    return _l("The template cannot be used with the example data.")


def _check_source(source: str) -> None:
    try:
        tree = _sandbox.parse(source)
    except Exception as exc:
        raise TemplateInvalid(_explain(exc, {}), str(exc)) from exc
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, _ALLOWED_NODES):
            name = type(node).__name__
            reason = _NODE_REASONS.get(name) or _l(
                "This instruction cannot be used in mail templates. You can use variables, "
                "conditions (%(tag)s) and simple filters.", tag="{% if %}")
            raise TemplateInvalid(reason, f"{name} is not allowed in mail templates")
        if isinstance(node, nodes.Filter) and node.name not in _ALLOWED_FILTERS:
            raise TemplateInvalid(
                _l("The filter %(name)s cannot be used. Possible filters: %(filters)s.",
                   name=node.name, filters=", ".join(sorted(_ALLOWED_FILTERS))),
                f"the filter {node.name!r} is not allowed in mail templates")


# What the template being rendered may still write; None outside _render_limited.
_budget: ContextVar[list[int] | None] = ContextVar("mail_template_budget", default=None)


def _count_output(value: Any) -> Any:
    """Jinja's `finalize`: runs on every {{ … }} value as it is produced, so the output limit
    holds while the text is built, not only after a whole chunk of it exists."""
    budget = _budget.get()
    if budget is None:
        return value
    text = value if isinstance(value, str) else str(value)
    budget[0] -= len(text)
    if budget[0] < 0:
        raise _TooLong("the text would be too long")
    return text


def _render_limited(source: str, context: Mapping[str, Any]) -> str:
    template = _sandbox.from_string(source)
    token = _budget.set([MAX_RENDERED])
    try:
        parts, size = [], 0
        for chunk in template.generate(**context):
            size += len(chunk)
            if size > MAX_RENDERED:
                raise _TooLong("the text would be too long")
            parts.append(chunk)
        return "".join(parts)
    finally:
        _budget.reset(token)


def _format_is_too_wide(fmt: str) -> bool:
    """Whether a %-format string asks for a huge width or precision ("%0500000000d",
    "%(name).900000s") or takes them from the arguments ("%*d"). Scans like Python does:
    a mapping key may hold nested parentheses."""
    i, n = 0, len(fmt)
    while True:
        i = fmt.find("%", i)
        if i < 0:
            return False
        i += 1
        if i < n and fmt[i] == "(":
            depth, i = 1, i + 1
            while i < n and depth:
                depth += {"(": 1, ")": -1}.get(fmt[i], 0)
                i += 1
        while i < n and fmt[i] in "#0- +":
            i += 1
        for part in ("width", "precision"):
            if i < n and fmt[i] == "*":
                return True
            j = i
            while j < n and fmt[j] in "0123456789":
                j += 1
            if j > i and int(fmt[i:j][:6]) > MAX_FORMAT_FIELD:
                return True
            i = j
            if part == "width":
                if i < n and fmt[i] == ".":
                    i += 1
                else:
                    break
        i += 1  # the conversion character ("d", "s", "%", ...)


class _LimitedSandbox(SandboxedEnvironment):
    """Jinja's sandbox, plus: no huge strings or numbers from `*`, `**`, `%` and `+` (an admin's
    typo must not eat the server's memory). Intercepted operators are also never folded into
    constants when the template is compiled, so the check runs before anything is built."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            raise _OperatorRefused("the ** operator is not allowed in mail templates")
        if operator == "*":
            sizes = [len(x) for x in (left, right) if isinstance(x, (str, list, tuple))]
            factors = [x for x in (left, right) if isinstance(x, int)]
            if sizes and factors and max(factors) * max(sizes) > MAX_REPEAT:
                raise _TooLong("result too large")
        elif operator == "%":
            if isinstance(left, str) and _format_is_too_wide(left):
                raise _TooLong("format field too wide")
        elif operator == "+":
            if (isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple))
                    and len(left) + len(right) > MAX_RENDERED):
                raise _TooLong("result too large")
        return super().call_binop(context, operator, left, right)


# StrictUndefined: a misspelt variable is refused when saving, not mailed as an empty gap.
_sandbox = _LimitedSandbox(autoescape=False, undefined=StrictUndefined, finalize=_count_output)


log = logging.getLogger(__name__)


def _flat(context: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in context.items() if isinstance(v, (str, int, float))}


def text_to_html(text: str) -> Markup:
    """Plain text → escaped HTML paragraphs (for overrides and coordinator messages)."""
    paragraphs = [p.strip() for p in str(text).replace("\r\n", "\n").split("\n\n") if p.strip()]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(escape(line) for line in p.split("\n")))
        for p in paragraphs
    )


def check_override(subject: str, body: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """Render an override with example data; raise TemplateInvalid with a readable reason."""
    _check_source(subject)
    _check_source(body)
    try:
        rendered_subject = _render_limited(subject, context).strip()
        rendered_body = _render_limited(body, context)
    except TemplateInvalid:
        raise
    except Exception as exc:  # unknown variable, sandbox, type errors: all refuse
        raise TemplateInvalid(_explain(exc, context), str(exc) or type(exc).__name__) from exc
    if "\n" in rendered_subject or "\r" in rendered_subject:
        raise TemplateInvalid(_l("The subject must be one line."), "the subject must be one line")
    return rendered_subject, rendered_body


def render_mail(
    kind: str, locale: str, context: Mapping[str, Any], office_id: int | None = None
) -> tuple[str, str, str]:
    """Subject, plain-text and HTML body of one mail in the recipient's language."""
    override = None
    if office_id is not None:
        override = db.session.scalar(
            select(MailTemplateOverride).filter_by(office_id=office_id, kind=kind, locale=locale)
        )
    return _render_with(kind, locale, context, office_id, override)


def _render_with(
    kind: str, locale: str, context: Mapping[str, Any], office_id: int | None,
    override: MailTemplateOverride | None,
) -> tuple[str, str, str]:
    """`render_mail` with the office's override (or None) already read."""
    spec: MailKind = KINDS[kind]
    with force_locale(locale):
        if override is not None:
            try:
                subject, text = check_override(override.subject, override.body, context)
            except TemplateInvalid:
                # Checked on saving with example data; if real data still breaks it, the
                # standard text goes out rather than no mail at all.
                log.exception("override %s of office %s fails; standard text used", kind, office_id)
            else:
                html = render_template("email/_override.html", body=text_to_html(text),
                                       subject=subject, **context)
                return subject, text, html
        subject = str(spec.subject) % _flat(context)
        text = render_template(f"email/{kind}.txt", subject=subject, **context)
        html = render_template(f"email/{kind}.html", subject=subject, **context)
        return subject, text, html


# ---------------------------------------------------------------- attachments
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 1024 * 1024  # all files of one mail together
MAX_FILENAME = 120
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,40}/[a-z0-9][a-z0-9!#$&^_.+-]{0,50}")
# What a file name must not contain: path separators, line breaks and other control characters.
_BAD_FILENAME = re.compile(r"[/\\\x00-\x1f\x7f]")

Attachment = tuple[str, str | None, bytes]  # (filename, content type, data)


def check_attachments(attachments) -> list[tuple[str, str, bytes]]:
    """The attachments as they are stored, or ValueError: each a plain file name (no path
    separators, CR/LF or other control characters, at most 120 characters), a content type
    `type/subtype` and bytes (UTF-8 for text types); at most 5 files and 1 MB together. Parameters of the content type
    are dropped (`text/calendar; method=REQUEST` is stored as `text/calendar`): the worker adds
    `charset=utf-8` to text types itself, and an .ics always goes out as `text/calendar`."""
    items = list(attachments or ())
    if len(items) > MAX_ATTACHMENTS:
        raise ValueError(f"at most {MAX_ATTACHMENTS} attachments per mail, not {len(items)}")
    checked, total = [], 0
    for item in items:
        try:
            filename, content_type, data = item
        except (TypeError, ValueError):
            raise ValueError("an attachment is a (filename, content_type, bytes) triple") from None
        if not isinstance(filename, str) or not filename.strip() or filename != filename.strip():
            raise ValueError("an attachment needs a file name without leading or trailing spaces")
        if len(filename) > MAX_FILENAME or _BAD_FILENAME.search(filename) or filename in (".", ".."):
            raise ValueError(f"unsafe attachment file name: {filename[:MAX_FILENAME]!r}")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ValueError(f"the data of {filename!r} must be bytes")
        data = bytes(data)
        if filename.lower().endswith(".ics"):
            kind = "text/calendar"
        else:
            kind = str(content_type or "application/octet-stream").split(";", 1)[0].strip().lower()
            if not _CONTENT_TYPE.fullmatch(kind):
                raise ValueError(f"bad content type for {filename!r}: {content_type!r}")
        if kind.startswith("text/"):  # sent as charset=utf-8: it has to be
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(f"the text of {filename!r} must be UTF-8") from None
        total += len(data)
        if total > MAX_ATTACHMENT_BYTES:
            raise ValueError(f"attachments of one mail may have at most {MAX_ATTACHMENT_BYTES} bytes")
        checked.append((filename, kind, data))
    return checked


def queue_mail(
    kind: str,
    *,
    to: str,
    context: Mapping[str, Any],
    locale: str = "de",
    to_name: str = "",
    user_id: int | None = None,
    office_id: int | None = None,
    dedupe_key: str | None = None,
    attachments: list[Attachment] | None = None,
) -> OutboxMail:
    """Render a mail and add it to the current transaction. The caller commits, together with
    the change that causes the mail: both land or neither does.

    `attachments`: (filename, content type, bytes) triples, checked by `check_attachments`
    (ValueError before anything is added to the session)."""
    spec = KINDS[kind]
    files = check_attachments(attachments)
    subject, text, html = render_mail(kind, locale, context, office_id)
    row = OutboxMail(
        kind=kind,
        to_address=to,
        to_name=to_name,
        user_id=user_id,
        locale=locale,
        office_id=office_id,
        subject=subject[:255],
        body_text=text,
        body_html=html,
        is_service=spec.service,
        dedupe_key=dedupe_key,
        attachments=[OutboxAttachment(filename=f, content_type=t, data=d) for f, t, d in files],
    )
    db.session.add(row)
    return row


def queue_mail_to_user(kind: str, user, context: Mapping[str, Any], **kwargs: Any) -> OutboxMail:
    """queue_mail to an account, in its language; takes the same keywords (`attachments`, …)."""
    ctx = {"user": {"name": user.name, "email": user.email}, **context}
    return queue_mail(kind, to=kwargs.pop("to", user.email), to_name=user.name, user_id=user.id,
                      locale=user.locale or "de", context=ctx, **kwargs)


def queue_mails_to_users(kind: str, recipients: list[tuple[Any, Mapping[str, Any]]], *,
                         office_id: int | None = None) -> int:
    """`queue_mail_to_user` for many accounts at once, the same rows: one mail of `kind` per
    (user, context) pair, each in its user's language, in the caller's transaction (the caller
    commits). The office's overrides of the kind are read in one statement for all the
    languages (not one per mail), and the rows are written by one INSERT (a flush of single
    rows would be one statement per mail on SQLite). No attachments. Returns how many."""
    spec = KINDS[kind]
    overrides: dict[str, MailTemplateOverride] = {}
    locales = sorted({user.locale or "de" for user, _context in recipients})
    if office_id is not None and locales:
        overrides = {o.locale: o for o in db.session.scalars(select(MailTemplateOverride).where(
            MailTemplateOverride.office_id == office_id, MailTemplateOverride.kind == kind,
            MailTemplateOverride.locale.in_(locales)))}
    rows = []
    for user, context in recipients:
        locale = user.locale or "de"
        ctx = {"user": {"name": user.name, "email": user.email}, **context}
        subject, text, html = _render_with(kind, locale, ctx, office_id, overrides.get(locale))
        rows.append(dict(kind=kind, to_address=user.email, to_name=user.name, user_id=user.id, locale=locale,
                         office_id=office_id, subject=subject[:255], body_text=text, body_html=html,
                         is_service=spec.service, dedupe_key=None))
    if rows:
        db.session.execute(insert(OutboxMail), rows)  # the columns' defaults as for one row
    return len(rows)


# ---------------------------------------------------------------- unsubscribe
UNSUBSCRIBE = "unsubscribe"


def unsubscribe_link(email: str) -> str:
    return external_url("mail.unsubscribe", token=make_token(UNSUBSCRIBE, e=email.lower()))


def unsubscribe(token: str) -> str:
    """Suppress the address in the token for all non-service mail; idempotent. Returns it."""
    data = read_token(UNSUBSCRIBE, token, max_age=None)
    email = str(data.payload.get("e", "")).lower()
    if not email:
        raise TokenError("invalid")
    if db.session.get(SuppressedAddress, email) is None:
        db.session.add(SuppressedAddress(email=email, reason="unsubscribed"))
    db.session.commit()
    return email


def address_hash(email: str) -> str:
    """A short, stable code for an address, for the audit log (which holds no addresses)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:12]


def mark_bounced(email: str, note: str = "", *, actor) -> None:
    """Suppress an address for good (only service mails). Audited as address.bounced with the
    account's id, or a hash prefix of an address without an account (never the address)."""
    from app.accounts.models import User

    email = email.strip().lower()
    row = db.session.get(SuppressedAddress, email)
    if row is None:
        db.session.add(SuppressedAddress(email=email, reason="bounced", note=note))
    else:
        row.reason, row.note = "bounced", note
    user_id = db.session.scalar(select(User.id).where(User.email == email))
    if user_id is not None:
        audit.record(actor, "address.bounced", record_type="users", record_id=user_id, user_id=user_id)
    else:
        audit.record(actor, "address.bounced", record_type="suppressed_addresses",
                     address_hash=address_hash(email))
    db.session.commit()


# ---------------------------------------------------------------- coordinator messages
def volunteers_audience(office, district=None, language: str | None = None) -> dict[str, Any]:
    """Who a message goes to, as data: rendered per reader in their language."""
    return {"key": "volunteers", "office_id": office.id,
            "district_id": district.id if district is not None else None,
            "place": (district or office).name, "language": language or None}


# Why a message's recipients get it, per kind of audience: areas register a describer for their
# key ("roster" in app.activities), so the mail's footer and the message list can say it in the
# reader's language without this module knowing the areas.
AudienceDescriber = Callable[[Mapping[str, Any], bool], str]
_AUDIENCES: dict[str, AudienceDescriber] = {}
# Audiences reached only with their consent to be contacted (an office's volunteers); a roster's
# people get what concerns their own sign-up without it.
_CONTACT_AUDIENCES: set[str] = set()


def register_audience(key: str, *, needs_contact: bool = False) -> Callable[[AudienceDescriber], AudienceDescriber]:
    def deco(fn: AudienceDescriber) -> AudienceDescriber:
        _AUDIENCES[key] = fn
        if needs_contact:
            _CONTACT_AUDIENCES.add(key)
        return fn

    return deco


def needs_contact_consent():
    """A condition on OutboxMail: mails that may go only to someone who agreed to be contacted —
    the kinds that say so (`MailKind.needs_contact`) and messages to an audience that does (an
    office's volunteers; a message without audience data, from before there was any, counts as
    one)."""
    kinds = sorted(k for k, kind in KINDS.items() if kind.needs_contact)
    audience = Message.audience_data["key"].as_string()  # NULL without data (SQL or JSON null)
    contact_messages = select(Message.id).where(audience.is_(None) | audience.in_(sorted(_CONTACT_AUDIENCES)))
    return OutboxMail.kind.in_(kinds) | OutboxMail.message_id.in_(contact_messages)


def describe_audience(data: Mapping[str, Any] | None, fallback: str = "", *,
                      short: bool = False) -> str:
    """Why the recipients get a message, in the current locale: for the mail's footer
    ("you are registered as a volunteer in Brackel"), or `short` for lists ("Volunteers in
    Brackel"). A message without data keeps the text it was sent with."""
    describer = _AUDIENCES.get((data or {}).get("key", ""))
    if describer is None:
        return fallback
    return describer(data, short) or fallback


@register_audience("volunteers", needs_contact=True)
def _volunteers_audience(data: Mapping[str, Any], short: bool) -> str:
    from app.core.templating import language_name

    place, language = data.get("place"), data.get("language")
    if not place:
        return ""
    if short:
        if language:
            return _("Volunteers in %(place)s who speak %(language)s", place=place,
                     language=language_name(language))
        return _("Volunteers in %(place)s", place=place)
    if language:
        return _("you are registered as a volunteer in %(place)s and speak %(language)s",
                 place=place, language=language_name(language))
    return _("you are registered as a volunteer in %(place)s", place=place)


# The writer's own greeting or closing, so that a mail has exactly one of each: where the
# coordinator greets or signs, the template's greeting or signature is left out.
_GREETING = re.compile(
    r"^(hallo|hello|hi|hey|liebe[rs]?|liebe/r|liebe\*r|sehr geehrte[rs]?|guten (tag|morgen|abend)|"
    r"dear|moin|servus|grüß gott|good (morning|afternoon|evening)|salut|salam|merhaba)\b",
    re.IGNORECASE)
_CLOSING = re.compile(
    r"^((viele|liebe|beste|herzliche|freundliche|schöne|sonnige|mit (freundlichen|besten|"
    r"herzlichen|lieben|vielen))\s+)?(grüße|grüsse|gruß|gruss)\b|^(lg|vg|mfg|bg)\b|"
    r"^((best|kind|warm|warmest)\s+)?regards\b|^(best wishes|many thanks|thank you|thanks|"
    r"cheers|yours|sincerely|bis bald)\b",
    re.IGNORECASE)


def own_greeting_and_signature(body: str, sender_name: str = "") -> tuple[bool, bool]:
    """Whether the text starts with its own greeting and ends with its own closing."""
    lines = [line.strip() for line in str(body).replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines:
        return False, False
    first = lines[0]
    greets = bool(_GREETING.match(first)) and (first.endswith((",", "!")) or len(first) <= 40)
    names = {n.casefold() for n in (sender_name.strip(), sender_name.strip().split(" ")[0]) if n}
    signs = any(len(line) <= 60 and _CLOSING.match(line) for line in lines[-4:]) or (
        lines[-1].rstrip(".,!").casefold() in names)
    return greets, signs


def reply_to_address(sender, office) -> tuple[str, str] | None:
    """Where replies to a message go, as (name, address): the coordinator who wrote it, else
    the office."""
    if sender is not None and getattr(sender, "active", True) and getattr(sender, "email", ""):
        return " ".join(str(sender.name or "").split()), sender.email
    if office is not None and getattr(office, "email", ""):
        return " ".join(str(office.name or "").split()), office.email
    return None


def reply_to(sender, office) -> str | None:
    """The Reply-To header's value (names without line breaks, encoded where needed)."""
    pair = reply_to_address(sender, office)
    if pair is None:
        return None
    try:
        return formataddr(pair) if pair[0] else pair[1]
    except (UnicodeError, ValueError):
        return pair[1]


def render_message(msg, *, to_name: str, to_address: str, unsubscribe: str
                   ) -> tuple[str, str, str, dict[str, str]]:
    """Subject, text, HTML and extra headers of a coordinator's message for one recipient, in
    the current locale (the worker sets the recipient's). `msg` is a Message or anything with
    its attributes (the compose form's preview)."""
    sender_name = msg.sender.name if msg.sender else ""
    own_greeting, own_signature = own_greeting_and_signature(msg.body, sender_name)
    context = {
        "user": {"name": to_name, "email": to_address},
        "subject": msg.subject,
        "body": msg.body,
        "body_html": text_to_html(msg.body),
        "audience": describe_audience(msg.audience_data, msg.audience),
        "sender": sender_name,
        "office": msg.office.name if msg.office else "",
        "greeting": not own_greeting,
        "signature": not own_signature and bool(sender_name or msg.office),
        "unsubscribe_link": unsubscribe,
    }
    text = render_template("email/coordinator_message.txt", **context)
    html = render_template("email/coordinator_message.html", **context)
    headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    answer_to = reply_to(msg.sender, msg.office)
    if answer_to:
        headers["Reply-To"] = answer_to
    return msg.subject, text, html, headers


def render_message_mail(row: OutboxMail) -> tuple[str, str, str, dict[str, str]]:
    """A coordinator's message for one recipient, with their own unsubscribe link."""
    return render_message(row.message, to_name=row.to_name, to_address=row.to_address,
                          unsubscribe=unsubscribe_link(row.to_address))


def send_message(*, sender, office_id: int | None, subject: str, body: str, audience: str = "",
                 recipients: Select, client_token: str | None = None,
                 audience_data: Mapping[str, Any] | None = None) -> Message:
    """Queue a coordinator's message to everyone `recipients` selects, set-based.

    `recipients` is a SELECT of (user_id, email, name, locale) columns. One INSERT … SELECT
    writes all outbox rows, so 10,000 recipients cost one statement, not 10,000. Suppressed
    addresses are queued too and show up as 'skipped' in the log, visibly.

    `audience_data` (e.g. from `volunteers_audience`) says why they get it as data, so each mail
    says it in its recipient's language; `audience` is a fixed text for callers without data."""
    if client_token:
        sent = db.session.scalar(select(Message).where(Message.client_token == client_token))
        same = sent is not None and (sent.sender_id, sent.office_id, sent.subject, sent.body) == (
            sender.id if sender else None, office_id, subject.strip(), body)
        if same:
            return sent  # the same form sent twice: once is enough
        if sent is not None:
            client_token = None  # an edited resend, or someone else's token: a new message
    if audience_data and not audience:
        audience = describe_audience(audience_data)  # in the sender's language, as a fallback
    message = Message(office_id=office_id, sender_id=sender.id if sender else None,
                      subject=subject.strip(), body=body, audience=audience[:255],
                      audience_data=dict(audience_data) if audience_data else None,
                      client_token=client_token)
    db.session.add(message)
    try:
        db.session.flush()
    except IntegrityError:  # a parallel double submit won the race
        db.session.rollback()
        return db.session.scalar(select(Message).where(Message.client_token == client_token))
    now = utcnow()
    sub = recipients.subquery()
    cols = list(sub.c)
    user_id, email, name, locale = cols[0], cols[1], cols[2], cols[3]
    select_rows = select(
        literal("coordinator_message"), email, name, user_id, locale, literal(office_id),
        literal(message.id), literal(False), literal(MailStatus.QUEUED.value), literal(0),
        literal(now), literal(now),
    ).distinct()
    result = db.session.execute(
        insert(OutboxMail).from_select(
            ["kind", "to_address", "to_name", "user_id", "locale", "office_id", "message_id",
             "is_service", "status", "attempts", "next_attempt_at", "created_at"],
            select_rows,
        )
    )
    message.recipient_count = result.rowcount if result.rowcount and result.rowcount > 0 else (
        db.session.scalar(select(func.count()).where(OutboxMail.message_id == message.id)) or 0)
    audit.record(sender, "message.sent", message, office_id=office_id, recipients=message.recipient_count)
    db.session.commit()
    return message


def message_log(message_id: int, status: str | None = None) -> Select:
    """Per recipient: address, status, attempts, reason — for the message's log page."""
    stmt = select(OutboxMail).where(OutboxMail.message_id == message_id)
    if status in {s.value for s in MailStatus}:
        stmt = stmt.where(OutboxMail.status == MailStatus(status))
    return stmt.order_by(OutboxMail.status, OutboxMail.to_address)


def status_counts(message_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(OutboxMail.status, func.count()).where(OutboxMail.message_id == message_id)
        .group_by(OutboxMail.status)).all()
    return {status.value: n for status, n in rows}


def preview_mails(draft, recipients: Select) -> list[dict]:
    """A message exactly as recipients get it, before it is sent: for the first recipient in each
    of their languages (at most five), rendered by the same code the worker uses. `draft` has
    what a Message has (subject, body, audience, audience_data, sender, office)."""
    from flask import current_app

    from app.core.templating import language_name

    sub = recipients.subquery()
    _user_id, email, name, locale = list(sub.c)[:4]
    locales = db.session.scalars(select(locale).distinct().order_by(locale).limit(5)).all()
    mails = []
    for loc in sorted(locales, key=lambda code: (code != "de", code or "")):
        row = db.session.execute(select(name, email).where(locale == loc).order_by(name, email).limit(1)).first()
        if row is None:
            continue
        with force_locale(loc or "de"):
            subject, text, html, _headers = render_message(
                draft, to_name=row[0], to_address=row[1],
                unsubscribe=external_url("mail.unsubscribe", token="preview"))
        mails.append({"name": row[0], "email": row[1], "language": language_name(loc or "de"),
                      "subject": subject, "text": text, "html": html,
                      "sender": current_app.config["MAIL_DEFAULT_SENDER"],
                      "reply_to": reply_to_address(draft.sender, draft.office)})
    return mails


def compose_step(*, send: bool, sender, office, subject: str, body: str, recipients: Select,
                 audience_data: Mapping[str, Any], client_token: str | None) -> tuple[Message | None, dict]:
    """One step of a form that writes to a group (the volunteers of an office, a roster): with
    `send` and somebody to reach, the message goes out (→ the Message); else the preview the form
    shows — how many, why, and the mail as each language's reader gets it."""
    count = db.session.scalar(select(func.count()).select_from(recipients.order_by(None).subquery())) or 0
    if send and count:
        return send_message(sender=sender, office_id=office.id, subject=subject, body=body,
                            audience_data=audience_data, recipients=recipients, client_token=client_token), {}
    from types import SimpleNamespace

    draft = SimpleNamespace(subject=subject.strip(), body=body, audience="", audience_data=audience_data,
                            sender=sender, office=office)
    return None, {"count": count, "audience": describe_audience(audience_data),
                  "mails": preview_mails(draft, recipients) if count else []}


def allow_preview_frame(response):
    """The HTML version of a previewed mail is shown in a sandboxed srcdoc frame, which inherits
    the page's policy: allow the mail's inline styles and drop frame-ancestors (it would block
    that very frame; X-Frame-Options still keeps the page out of other sites' frames). No scripts."""
    from app.core.security import CSP

    response.headers["Content-Security-Policy"] = (
        CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        .replace("frame-ancestors 'none'; ", ""))
    return response


# ---------------------------------------------------------------- office template overrides
def default_override_source(kind: str, locale: str) -> tuple[str, str]:
    """A starting point for an override: the standard subject and a text body with variables."""
    spec = KINDS[kind]
    with force_locale(locale):
        subject = _PLACEHOLDER.sub(r"{{ \1 }}", str(spec.subject))
        placeholders = {k: v for k, v in _source_placeholders(spec).items() if k != "subject"}
        body = render_template(f"email/{kind}.txt", subject=subject, **placeholders)
    return subject, body


# "%(title)s" in a kind's subject, shown to admins as the template variable "{{ title }}".
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _source_placeholders(spec: MailKind) -> dict[str, Any]:
    class _Var(str):
        def __getattr__(self, item):
            return _Var(f"{{{{ {self[3:-3]}.{item} }}}}")

    return {k: _Var(f"{{{{ {k} }}}}") for k in spec.example}


def preview_override(kind: str, locale: str, subject: str, body: str) -> dict[str, str]:
    """Render an override with the kind's example data; TemplateInvalid if it doesn't render."""
    spec = KINDS[kind]
    with force_locale(locale):
        # The example data with its real types (numbers stay numbers); lazy strings resolved.
        context = {k: (str(v) if isinstance(v, LazyString) else v) for k, v in spec.example.items()}
        rendered_subject, text = check_override(subject, body, context)
        if not rendered_subject:
            raise TemplateInvalid(_l("The subject is empty."), "empty subject")
        html = render_template("email/_override.html", body=text_to_html(text), subject=rendered_subject,
                               **context)
    return {"subject": rendered_subject, "text": text, "html": html}


def save_override(office_id: int, kind: str, locale: str, subject: str, body: str, *,
                  actor) -> MailTemplateOverride:
    """Save an office's wording of a kind of mail; audited as mail_template.saved (kind,
    locale, changed fields), nothing when nothing changed."""
    preview_override(kind, locale, subject, body)  # refuse what doesn't render
    row = db.session.scalar(select(MailTemplateOverride).filter_by(office_id=office_id, kind=kind, locale=locale))
    values = {"subject": subject.strip(), "body": body}
    if row is None:
        row = MailTemplateOverride(office_id=office_id, kind=kind, locale=locale)
        db.session.add(row)
        fields = ["subject", "body"]
    else:
        fields = audit.changed_fields(row, values, ("subject", "body"))
    row.subject, row.body = values["subject"], values["body"]
    if fields:
        db.session.flush()
        audit.record(actor, "mail_template.saved", row, office_id=office_id, kind=kind, locale=locale,
                     fields=fields)
    db.session.commit()
    return row


def delete_override(office_id: int, kind: str, locale: str, *, actor) -> None:
    row = db.session.scalar(select(MailTemplateOverride).filter_by(office_id=office_id, kind=kind, locale=locale))
    if row is not None:
        audit.record(actor, "mail_template.deleted", row, office_id=office_id, kind=kind, locale=locale)
        db.session.delete(row)
        db.session.commit()


def recently_mailed(address: str, kinds: tuple[str, ...], seconds: int = 3600) -> int:
    """How many mails of these kinds went to the address lately (one indexed COUNT)."""
    since = utcnow() - timedelta(seconds=seconds)
    return db.session.scalar(select(func.count()).where(
        OutboxMail.to_address == address.lower(), OutboxMail.kind.in_(kinds),
        OutboxMail.created_at >= since)) or 0
