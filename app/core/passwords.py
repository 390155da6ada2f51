"""How guessable a new password is: zxcvbn (Dropbox's estimator, with its lists of the most
common passwords, names and words) instead of a hand-typed list."""
from __future__ import annotations

import re

from zxcvbn import zxcvbn

MIN_SCORE = 2  # zxcvbn's 0..4; below 2 is "too guessable" (about 10^6 guesses or fewer)
_ANALYSED = 72  # zxcvbn's own limit; the start of a long passphrase tells enough


MAX_INPUT = 254  # characters of one personal input (an e-mail address is at most 254)
MAX_WORDS = 20  # words taken from all inputs together


def _inputs(user_inputs: list[str]) -> list[str]:
    """The person's name and address, whole and split into words — bounded, so no input can make
    the check expensive (the form's own length rules may not have stopped a huge value)."""
    words: list[str] = []
    for value in user_inputs:
        value = (value or "").strip().lower()[:MAX_INPUT]
        if not value:
            continue
        words.append(value)
        words.extend(w for w in re.split(r"[\s@._+-]+", value) if len(w) >= 3)
    return words[:MAX_WORDS]


def password_problem(password: str, user_inputs: list[str] = ()) -> str | None:
    """None if the password is acceptable, else "personal" (it is the e-mail address or name, or
    little more) or "common" (one of the most common passwords, a keyboard row, a plain word)."""
    value = (password or "")[:256]
    lowered = value.strip().lower()
    inputs = _inputs(list(user_inputs))
    if lowered and any(lowered == w or (len(w) >= 4 and w in lowered and len(lowered) - len(w) < 6)
                       for w in inputs):
        return "personal"
    result = zxcvbn(value[:_ANALYSED], user_inputs=inputs)
    if result["score"] < MIN_SCORE:
        personal = any(m.get("dictionary_name") == "user_inputs" for m in result.get("sequence", []))
        return "personal" if personal else "common"
    return None
