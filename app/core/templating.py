"""Template filters and globals: dates in the viewer's locale, language names, direction."""
from __future__ import annotations

from functools import lru_cache

from datetime import date, datetime, time

from babel import Locale, UnknownLocaleError
from babel.dates import get_day_names
from flask import Flask
from flask_babel import format_date, format_datetime, format_time, get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

RTL_LANGUAGES = {"ar", "fa", "he", "ur", "ps", "ckb", "prs"}
# Languages CLDR (Babel) has no locale for.
EXTRA_LANGUAGE_NAMES = {"prs": _l("Dari"), "kmr": _l("Kurdish (Kurmanji)"), "ckb": _l("Kurdish (Sorani)")}


def weekday_name(index: int, width: str = "wide") -> str:
    return get_day_names(width, locale=get_locale())[index]


def language_name(code: str) -> str:
    """A language's name in the viewer's language ('ar' → 'Arabisch')."""
    if code in EXTRA_LANGUAGE_NAMES:
        return str(EXTRA_LANGUAGE_NAMES[code])
    return _babel_language_name(code, str(get_locale() or "de"))


@lru_cache(maxsize=4096)
def _babel_language_name(code: str, locale: str) -> str:
    """Babel's name of a language code in a UI language; parsing locales is slow, the answer
    never changes."""
    try:
        return Locale.parse(code).get_display_name(locale) or code
    except (UnknownLocaleError, ValueError, TypeError):
        return code


def text_direction(code: str | None = None) -> str:
    code = code or str(get_locale())
    return "rtl" if code.split("_")[0] in RTL_LANGUAGES else "ltr"


_NAV_TOKEN = "\x1e-nav-csrf-token-\x1e"


def cached_nav(macro, token) -> Markup:
    """base.html's navigation (`macro`, called with the CSRF token's callable): the same for every
    viewer of one role in one language, so rendered once per role (or anonymous), locale and URL
    adapter (script root, host, scheme) in this app and kept with a placeholder for the token,
    which is put in for each request (`token`, the page's own `csrf_token`). The links depend on
    nothing else: no name, no office, no data."""
    from flask import current_app
    from flask.globals import _cv_request
    from flask_login import current_user

    ctx = _cv_request.get(None)
    adapter = ctx.url_adapter if ctx is not None else None
    if adapter is None:
        return macro(token)
    role = current_user.role.value if current_user.is_authenticated else None
    key = (adapter.script_name, adapter.server_name, adapter.url_scheme, adapter.subdomain,
           str(get_locale()), role)
    kept = current_app.extensions.setdefault("willkommen_nav", {})
    html = kept.get(key)
    if html is None:
        html = str(macro(lambda: _NAV_TOKEN))
        if len(kept) >= 256:
            kept.clear()
        kept[key] = html
    if _NAV_TOKEN in html:
        html = html.replace(_NAV_TOKEN, str(escape(token())))
    return Markup(html)


def register_template_helpers(app: Flask) -> None:
    @app.template_filter("datetime")
    def _datetime(value: datetime | None, fmt: str = "medium") -> str:
        # Naive datetimes are UTC in this app; Flask-Babel converts them to Europe/Berlin.
        return format_datetime(value, fmt) if value else ""

    @app.template_filter("date")
    def _date(value: date | None, fmt: str = "medium") -> str:
        return format_date(value, fmt) if value else ""

    @app.template_filter("time")
    def _time(value: time | None, fmt: str = "short") -> str:
        # Wall-clock times (opening hours) are local already: no time-zone shift.
        if value is None:
            return ""
        return format_time(datetime.combine(date(2000, 1, 3), value), fmt, rebase=False)

    from app.core.i18n import install_fast_gettext, install_wtforms_translations_cache
    from app.core.urls import cached_url_for, page_url

    install_fast_gettext(app)
    install_wtforms_translations_cache()
    app.jinja_env.globals.update(
        url_for=cached_url_for(app),
        page_url=page_url,
        weekday_name=weekday_name,
        language_name=language_name,
        text_direction=text_direction,
        current_locale=lambda: str(get_locale()),
        cached_nav=cached_nav,
    )
