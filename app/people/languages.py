"""The languages a volunteer can name: ISO 639 codes with their names in the viewer's language
(CLDR through Babel), the ones the network meets most at the top.

Kurdish is split the way newcomers speak it: Kurmanji (`kmr`, most Kurds from Syria and Turkey)
and Sorani (`ckb`, Iraq and Iran); Dari (`prs`) beside Farsi. CLDR has no names for `kmr` and
`prs`; ours are translated like every UI string."""
from __future__ import annotations

from functools import lru_cache

from babel import Locale
from flask_babel import get_locale
from markupsafe import Markup, escape

from app.core.templating import EXTRA_LANGUAGE_NAMES as EXTRA_NAMES

# The network's languages first (DOMAIN.md), in this order.
TOP_LANGUAGES = ["de", "ar", "fa", "prs", "kmr", "ckb", "uk", "ru", "tr", "ti", "ps", "so", "fr", "en"]


@lru_cache(maxsize=4)
def _cldr(locale: str) -> dict[str, str]:
    names = Locale.parse(locale).languages
    # plain language codes only (no "en_US"); drop the undetermined/special codes
    return {code: name for code, name in names.items()
            if "_" not in code and len(code) in (2, 3) and code not in {"und", "zxx", "mul", "mis"}}


def _locale() -> str:
    try:
        return str(get_locale() or "de")
    except Exception:  # outside a request
        return "de"


@lru_cache(maxsize=1)
def known_codes() -> frozenset[str]:
    return frozenset(_cldr("en")) | frozenset(EXTRA_NAMES) | frozenset(TOP_LANGUAGES)


def is_known(code: str | None) -> bool:
    return bool(code) and code in known_codes()


def name_of(code: str, locale: str | None = None) -> str:
    if code in EXTRA_NAMES:
        return str(EXTRA_NAMES[code])
    return _cldr(locale or _locale()).get(code) or _cldr("en").get(code) or code


def choices(locale: str | None = None) -> list[tuple[str, str]]:
    """(code, name) for a select: the network's languages first, then all others by name."""
    return list(_choices(locale or _locale()))


@lru_cache(maxsize=8)
def _choices(locale: str) -> tuple[tuple[str, str], ...]:
    top = [(c, name_of(c, locale)) for c in TOP_LANGUAGES]
    seen = set(TOP_LANGUAGES)
    rest = sorted(((c, n) for c, n in _cldr(locale).items() if c not in seen), key=lambda x: x[1].casefold())
    return tuple(top + rest)


@lru_cache(maxsize=8)
def _options(locale: str) -> tuple[str, ...]:
    return tuple(f'<option value="{escape(code)}">{escape(name)}</option>' for code, name in _choices(locale))


def options_html(locale: str, selected: str | None, none_label: str, others_only: bool = False) -> Markup:
    """The options of a language select (`choices`, after one for "none" with `none_label`; with
    `others_only` without the network's languages at the top), `selected` marked: built once per
    locale — a select of several hundred languages, rendered option by option, costs more than
    the rest of its page."""
    from flask_babel import gettext as _

    options = _options(locale)
    rest = "".join(options[len(TOP_LANGUAGES):])
    if others_only:
        html = f'<option value="">{escape(none_label)}</option>' + rest
    else:  # the network's languages first, the long rest in a group of its own
        often, others = escape(_("Languages often spoken in the network")), escape(_("All other languages"))
        html = (f'<option value="">{escape(none_label)}</option><optgroup label="{often}">'
                + "".join(options[:len(TOP_LANGUAGES)])
                + f'</optgroup><optgroup label="{others}">{rest}</optgroup>')
    if selected:
        marker = f'<option value="{escape(selected)}">'
        html = html.replace(marker, marker[:-1] + " selected>", 1)
    return Markup(html)


class LanguageSelect:
    """WTForms widget for a SelectField of `choices()` (after the "none" choice; with
    `others_only` of those not in TOP_LANGUAGES): its options from `options_html`. The field's
    choices still decide what is valid."""

    def __init__(self, others_only: bool = False):
        self.others_only = others_only

    def __call__(self, field, **kwargs) -> Markup:
        from wtforms.widgets import html_params

        kwargs.setdefault("id", field.id)
        if field.flags.required and "required" not in kwargs:
            kwargs["required"] = True
        first = field.choices[0] if field.choices else ("", "")
        none_label = str(first[1]) if first[0] == "" else ""
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>"
                      f"{options_html(_locale(), field.data, none_label, self.others_only)}</select>")
