"""How dates read: remembered per dates, language and time zone — never one reader's language for
another's."""
from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale

from app.activities.texts import short_when, when_text


def test_dates_read_in_the_readers_language_also_when_remembered(app):
    starts, ends = datetime(2027, 3, 2, 16, 0), datetime(2027, 3, 2, 17, 30)  # UTC: 17:00–18:30 in Berlin
    with app.test_request_context():
        with force_locale("de"):
            de = when_text(starts, ends)
            assert de == "Dienstag, 2. März 2027, 17:00–18:30"
            assert when_text(starts, ends, weekday=False) == "2. März 2027, 17:00–18:30"
            assert short_when(starts, ends) == "Di., 02.03.2027, 17:00–18:30"
        with force_locale("en"):
            assert when_text(starts, ends) == "Tuesday, March 2, 2027, 5:00\u202fPM–6:30\u202fPM"
            assert short_when(starts, ends).startswith("Tue, Mar 2, 2027")
        with force_locale("de"):
            assert when_text(starts, ends) == de
        # an end on a later day carries its own date
        with force_locale("de"):
            assert when_text(starts, datetime(2027, 3, 3, 10, 0)) == "Dienstag, 2. März 2027, 17:00 – 3. März 2027, 11:00"
