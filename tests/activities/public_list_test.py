"""The public list of activities: filters, paging, bad input, both languages, no log-in."""
from __future__ import annotations

from datetime import timedelta

from app.activities.models import Activity
from app.extensions import db


def _page(client, path="/activities/", **headers):
    r = client.get(path, headers=headers)
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True)


def test_published_activities_with_next_date_place_languages_and_free_places(client, make):
    office = make.office(name="Büro Brackel")
    make.activity(office, title="Deutschkurs am Dienstag", dates=3, roles=(("Tutor", 3),), languages=("de", "ar"))
    make.activity(office, title="Entwurf", state="draft")
    make.activity(office, title="Abgesagt", state="cancelled")
    html = _page(client)
    assert "Deutschkurs am Dienstag" in html
    assert "Entwurf" not in html and "Abgesagt" not in html
    assert "Büro Brackel" in html  # the place: the office
    assert "Arabisch" in html and "Deutsch" in html
    assert "3 freie Plätze beim nächsten Termin" in html
    assert "17:00" in html  # Berlin wall clock
    assert "1 Angebot" in html


def test_english(client, make):
    office = make.office()
    make.activity(office, title="Café", kind="language_cafe", roles=(("Host", 1),), languages=("fa",))
    html = _page(client, **{"Accept-Language": "en"})
    assert "Language café" in html and "Persian" in html
    assert "1 free place on the next date" in html


def test_past_activities_are_not_listed(client, make, app):
    office = make.office()
    make.activity(office, title="Vorbei", days_ahead=-3)
    make.activity(office, title="Bald", days_ahead=2)
    html = _page(client)
    assert "Bald" in html and "Vorbei" not in html


def test_filters(client, make, app):
    a = make.office(districts=("Brackel",))
    b = make.office(districts=("Hörde",))
    make.activity(a, title="Theater Brackel", kind="theatre", languages=("de",))
    make.activity(b, title="Sprachcafé Hörde", kind="language_cafe", languages=("ar",), days_ahead=20)
    full = make.activity(b, title="Voller Kurs", roles=(("Tutor", 1),), days_ahead=10)
    with app.app_context():
        from app.activities.models import Signup, SignupState

        user = make.volunteer()
        db.session.add(Signup(slot_id=full.slot, user_id=user.id, state=SignupState.CONFIRMED))
        db.session.commit()

    def titles(query):
        html = _page(client, "/activities/?" + query)
        return {t for t in ("Theater Brackel", "Sprachcafé Hörde", "Voller Kurs") if t in html}

    assert titles("kind=theatre") == {"Theater Brackel"}
    assert titles(f"office={b.id}") == {"Sprachcafé Hörde", "Voller Kurs"}
    assert titles(f"district={a.district_ids[0]}") == {"Theater Brackel"}
    assert titles("language=ar") == {"Sprachcafé Hörde"}
    assert titles("q=sprachCAFÉ") == {"Sprachcafé Hörde"}
    assert titles("q=%25") == set()  # % is a plain character
    assert titles("free=1") == {"Theater Brackel", "Sprachcafé Hörde"}
    with app.app_context():
        from app.core.timeutil import to_local, utcnow

        today = to_local(utcnow()).date()
    later = (today + timedelta(days=15)).isoformat()
    assert titles(f"from={later}") == {"Sprachcafé Hörde"}
    assert titles(f"to={(today + timedelta(days=12)).isoformat()}") == {"Theater Brackel", "Voller Kurs"}


def test_bad_filter_values_are_a_message_not_an_error(client, make):
    office = make.office()
    make.activity(office, title="Kurs")
    for query in ("kind=zauberei", "office=abc", "district=-1", "language=xx1", "from=2027-13-01",
                  "to=gestern", "free=vielleicht", "page=0", "page=99999999999999999999", "office=99999999999",
                  "from=2027-05-01&to=2027-04-01", "q=" + "x" * 500, "kind=%00", "q=%01"):
        r = client.get("/activities/?" + query)
        assert r.status_code == 200, query
        html = r.get_data(as_text=True)
        if query not in ("kind=%00", "q=%01", "office=99999999999"):
            assert "konnten nicht verwendet werden" in html or query.startswith("office=999"), query
        assert "Kurs" in html or query.startswith(("from=", "to=")), query


def test_paginated_in_sql(client, make, app):
    office = make.office()
    for i in range(23):
        make.activity(office, title=f"Kurs Nummer {i:02d}", days_ahead=1 + i)
    html = _page(client)
    assert "Kurs Nummer 00" in html and "Kurs Nummer 19" in html and "Kurs Nummer 20" not in html
    assert "Seite 1 von 2" in html
    html = _page(client, "/activities/?page=2")
    assert "Kurs Nummer 22" in html and "Kurs Nummer 00" not in html
    html = _page(client, "/activities/?page=500")  # beyond the end: the last page
    assert "Kurs Nummer 22" in html


def test_list_runs_a_constant_number_of_statements(client, make, app):
    from tests.conftest import count_statements

    office = make.office()
    make.activity(office, dates=2, roles=(("A", 1), ("B", 2)))
    few = count_statements(app, client, "/activities/?free=1")
    for i in range(8):
        make.activity(office, dates=4, roles=(("A", 1), ("B", 2), ("C", 3)), languages=("de", "en", "ar"))
    many = count_statements(app, client, "/activities/?free=1&q=A")
    assert few == many <= 6
