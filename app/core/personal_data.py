"""What the platform stores about a person, collected from every area ("my data", DSGVO Art. 15
and 20), and how each area erases it when the person's account is deleted (Art. 17).

`core` knows no area. Each area registers a section at import time:

    register_section("profile", _l("Volunteer profile"), collect=profile_data, erase=erase_profile,
                     order=20)

`collect(user) -> dict | list | None` returns plain JSON-able data (None or empty: the section is
left out for this person); `erase(user, actor)` removes or anonymises the area's data in the
caller's transaction (the deletion commits once, for all areas)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

Collect = Callable[[Any], Any]
Erase = Callable[[Any, Any], None]


@dataclass(frozen=True)
class Section:
    key: str
    title: Any  # a lazy string
    collect: Collect
    erase: Erase | None
    order: int


_SECTIONS: dict[str, Section] = {}


def register_section(key: str, title: Any, *, collect: Collect, erase: Erase | None = None,
                     order: int = 50) -> None:
    _SECTIONS[key] = Section(key, title, collect, erase, order)


def sections() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))


def collect_all(user) -> list[tuple[Section, Any]]:
    """Every section with data for this person, in page order."""
    out = []
    for section in sections():
        data = section.collect(user)
        if data:
            out.append((section, data))
    return out


def erase_all(user, actor) -> None:
    """Each area erases its part (the caller commits, together with the account's own erasure)."""
    for section in sections():
        if section.erase is not None:
            section.erase(user, actor)
