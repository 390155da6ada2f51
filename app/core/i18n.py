"""Language and time zone of a request: the user's stored choice, a cookie, then the browser."""
from __future__ import annotations

import functools

from flask import current_app, has_request_context, request
from flask_login import current_user

LOCALE_COOKIE = "lang"


def supported() -> list[str]:
    return current_app.config["LANGUAGES"]


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    cookies = request.cookies
    cookie = cookies[LOCALE_COOKIE] if LOCALE_COOKIE in cookies else None  # no KeyError raised and caught
    if cookie in supported():
        return cookie
    from app.core.errors import user_is_loadable

    # With the database away the visitor counts as anonymous (no second attempt, no error
    # while an error page renders).
    if user_is_loadable() and current_user.is_authenticated and current_user.locale in supported():
        return current_user.locale
    return request.accept_languages.best_match(supported()) or current_app.config["BABEL_DEFAULT_LOCALE"]


@functools.lru_cache(maxsize=16)
def _locale(code: str):
    from babel import Locale

    return Locale.parse(code)


def selected_locale():
    """Flask-Babel's locale selector: select_locale() as a Babel Locale, one per code for the
    process (Flask-Babel takes a Locale as it is; from a string it parses a new one per request)."""
    return _locale(select_locale())


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


# ---------------------------------------------------------------- gettext, cheaper per call
# Flask-Babel finds the catalogue anew on every `_()` (context, domain, locale, its cache key):
# about as much as a page's whole text costs otherwise, for the 30-60 strings of a page. Here
# the catalogue is looked up once per request and locale and kept on Flask-Babel's own request
# namespace, keyed by the identity of its current locale object, so `force_locale` (mails in the
# recipient's language) and `refresh()` are honoured: they replace that object.
def translations():
    """The gettext catalogue of the current locale (Flask-Babel's `get_translations`)."""
    from flask.globals import _cv_app
    from flask_babel import get_translations

    app_ctx = _cv_app.get(None)  # the context itself, not the `g` proxy: this runs per string
    ctx = app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None
    if ctx is None:  # outside a context, or before Flask-Babel's first use in it
        return get_translations()
    locale = getattr(ctx, "babel_locale", None)
    cached = getattr(ctx, "wk_translations", None)
    domain = getattr(ctx, "babel_domain", None)
    if locale is not None and cached is not None and cached[0] is locale and cached[1] is domain:
        return cached[2]
    result = get_translations()
    ctx.wk_translations = (getattr(ctx, "babel_locale", None), domain, result)
    return result


def install_fast_gettext(app) -> None:
    """Jinja's `_`, `gettext`, `ngettext` … through `translations()`. `_("…")` becomes one call
    (Jinja's alias otherwise goes through three context calls per string); the result is the
    same: Markup under autoescape, always %-formatted with the keyword arguments."""
    from jinja2 import pass_context
    from markupsafe import Markup

    env = app.jinja_env
    env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @pass_context
    def gettext_alias(__context, __string, **variables):
        rv = translations().ugettext(__string)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    env.globals["_"] = gettext_alias


# ---------------------------------------------------------------- WTForms' own messages
# Flask-WTF reads WTForms' catalogue (a .mo file) from disk once per request that has a form —
# on a staff page with a few forms about a third of a millisecond. The catalogue never changes
# while the app runs: it is kept per locale in the process.
_WTFORMS_TRANSLATIONS: dict[str, object] = {}


# WTForms' messages its own catalogue leaves untranslated (German: fuzzy, so not compiled) — the
# one a forged or stale choice gets. Translated in ours; `_Amended` asks ours for these first.
def _wtforms_messages_we_translate(n: int) -> None:  # never called: the extractor reads these
    from flask_babel import ngettext

    ngettext("'%(value)s' is not a valid choice for this field.",
             "'%(value)s' are not valid choices for this field.", n)


_OURS_PLURAL = {"'%(value)s' is not a valid choice for this field."}


class _Amended:
    """WTForms' catalogue, with the messages of `_OURS_PLURAL` taken from the app's own."""

    def __init__(self, theirs):
        self.theirs = theirs

    def gettext(self, string):
        return self.theirs.gettext(string)

    def ngettext(self, singular, plural, n):
        if singular in _OURS_PLURAL:
            return translations().ungettext(singular, plural, n)
        return self.theirs.ngettext(singular, plural, n)

    ugettext, ungettext = gettext, ngettext


def install_wtforms_translations_cache() -> None:
    import flask_wtf.i18n as wtf_i18n
    from babel import support
    from flask import request as _request
    from flask_babel import get_locale
    from wtforms.i18n import messages_path

    if getattr(wtf_i18n._get_translations, "_willkommen", False):
        return

    def _get_translations():
        if not _request or "babel" not in current_app.extensions:
            return None
        locale = get_locale()
        key = str(locale)
        found = _WTFORMS_TRANSLATIONS.get(key)
        if found is None:
            found = _WTFORMS_TRANSLATIONS[key] = _Amended(support.Translations.load(messages_path(), [locale],
                                                                                    domain="wtforms"))
        return found

    _get_translations._willkommen = True  # type: ignore[attr-defined]
    wtf_i18n._get_translations = _get_translations
