"""German is complete: every string in the code and templates has a German translation."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
METHODS = [("app/**.py", "python"), ("app/**/templates/**.html", "jinja2"), ("app/**/templates/**.txt", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _catalog(lang: str):
    with open(ROOT / "app" / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


def test_every_source_string_is_translated_to_german():
    catalog = _catalog("de")
    missing = []
    for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(ROOT), method_map=METHODS, keywords=KEYWORDS,
            options_map={"app/**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}):
        msgid = message if isinstance(message, str) else message[0]
        entry = catalog.get(msgid)
        translated = entry is not None and (all(entry.string) if isinstance(entry.string, tuple) else entry.string)
        if not translated or (entry is not None and entry.fuzzy):
            missing.append(msgid)
    assert not missing, f"run `make extract-translations` and translate: {sorted(set(missing))[:20]}"


def test_placeholders_survive_translation():
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for entry in _catalog("de"):
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        expected = set(placeholder.findall(ids[-1]))
        for s in strings:
            assert set(placeholder.findall(s)) <= expected | set(placeholder.findall(ids[0])), entry.id
            assert expected - {"%(num)d"} <= set(placeholder.findall(s)) | {"%(num)d"}, entry.id
