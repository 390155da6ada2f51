"""The compose form (issue 10, point 17): the preview is the mail as recipients get it, and
the district list follows the chosen office — with the page's script or, without it, with
the "show the districts" button."""
from __future__ import annotations

import html as html_lib
import json
import re

from sqlalchemy import func, select

from app.extensions import db
from app.mail.models import OutboxMail
from tests.conftest import submit


def test_preview_shows_the_mail_as_each_language_gets_it(app, client, make, auth):
    office = make.office(districts=("Brackel",))
    make.volunteer(district_id=office.district_ids[0], name="Amina Haddad", locale="de")
    make.volunteer(district_id=office.district_ids[0], name="Ben Clark", locale="en")
    auth.login(make.coordinator(office, name="Jonas Becker", email="jonas@example.org"))
    r = submit(client, "/people/message", {"office": office.id, "district": office.district_ids[0],
                                           "language": "", "subject": "Sommerfest",
                                           "body": "Wir feiern am Samstag.",
                                           "preview": "1"})
    page = html_lib.unescape(r.get_data(as_text=True))
    assert "2 Empfänger" in page
    assert "Die Mail, wie Amina Haddad sie bekommt (Deutsch)" in page
    assert "Die Mail, wie Ben Clark sie bekommt (Englisch)" in page
    assert "Jonas Becker <jonas@example.org>" in page  # replies go to the writer
    # the same text the worker sends: greeting, signature, why — in the recipient's language
    assert "Hallo Amina Haddad," in page and "Hello Ben Clark," in page
    assert "Warum Sie diese Mail bekommen: Sie sind in Brackel für das Ehrenamt registriert." in page
    assert "Why you get this mail: you are registered as a volunteer in Brackel." in page
    assert re.search(r'<iframe class="preview-frame" title="[^"]+" sandbox srcdoc="', r.get_data(as_text=True))
    assert "'unsafe-inline'" in r.headers["Content-Security-Policy"].split("style-src")[1].split(";")[0]
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0


def test_preview_leaves_out_the_templates_greeting_when_the_text_has_one(client, make, auth):
    office = make.office()
    make.volunteer(district_id=office.district_ids[0], name="Amina Haddad")
    auth.login(make.coordinator(office, name="Jonas Becker"))
    r = submit(client, "/people/message", {"office": office.id, "district": 0, "language": "",
                                           "subject": "Fest", "preview": "1",
                                           "body": "Liebe Ehrenamtliche,\n\nwir feiern.\n\nViele Grüße\nJonas"})
    page = html_lib.unescape(r.get_data(as_text=True))
    assert "Hallo Amina Haddad" not in page and "Liebe Ehrenamtliche," in page
    assert "\n-- \n" not in page


def test_the_page_carries_every_offices_districts_for_the_script(client, make, auth):
    north = make.office("Büro Nord", districts=("Eving", "Scharnhorst"))
    south = make.office("Büro Süd", districts=("Hombruch",))
    make.office("Büro West", districts=("Lütgendortmund",))  # not theirs
    auth.login(make.coordinator(north, south))
    page = client.get("/people/message").get_data(as_text=True)
    data = json.loads(html_lib.unescape(re.search(r'data-districts="([^"]+)"', page).group(1)))
    names = {office: [name for _id, name in districts] for office, districts in data.items()}
    assert names == {str(north.id): ["Eving", "Scharnhorst"], str(south.id): ["Hombruch"]}
    assert 'name="refresh"' in page  # for browsers without JavaScript


def test_without_javascript_the_button_shows_the_chosen_offices_districts(app, client, make, auth):
    north = make.office("Büro Nord", districts=("Eving",))
    south = make.office("Büro Süd", districts=("Hombruch",))
    auth.login(make.coordinator(north, south))
    r = submit(client, "/people/message", {"office": south.id, "district": north.district_ids[0],
                                           "language": "", "subject": "", "body": "",
                                           "refresh": "1"})
    page = r.get_data(as_text=True)
    select_html = page[page.index('id="district"'):].split("</select>")[0]
    assert "Hombruch" in select_html and "Eving" not in select_html
    assert "<option selected value=\"0\">" in select_html
    assert "error-summary" not in page  # not checked yet: only the office changed
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0


def test_a_message_reaches_the_volunteers_who_chose_the_office_not_others_living_there(app, client, make, auth):
    """The same scope as the directory's (the offices a volunteer chose): one who lives in the
    office's district but chose only another office is neither reached nor named in the preview
    or the log; one who lives elsewhere but chose this office is."""
    a, b = make.office(), make.office()
    outsider = make.full_volunteer(a, work_offices=[b.id], name="Zara Outside", email="zara@example.org")
    chosen = make.full_volunteer(b, work_offices=[a.id], name="Yusuf Inside", email="yusuf@example.org")
    auth.login(make.coordinator(a))
    assert client.get(f"/people/volunteers/{outsider.id}").status_code == 404
    data = {"office": a.id, "district": 0, "language": "", "subject": "Hallo", "body": "Ein Text"}
    preview = submit(client, "/people/message", {**data, "preview": "1"}).get_data(as_text=True)
    assert "zara@example.org" not in preview and "1 Empfänger" in preview
    sent = submit(client, "/people/message", {**data, "send": "1"})
    log = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "zara@example.org" not in log and "yusuf@example.org" in log
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(OutboxMail.user_id == outsider.id)) == 0
        assert db.session.scalar(select(func.count()).where(OutboxMail.user_id == chosen.id)) == 1


def test_the_language_choice_offers_the_profiles_languages(client, make, auth):
    office = make.office()
    auth.login(make.coordinator(office))
    page = client.get("/people/message").get_data(as_text=True)
    for code in ("kmr", "ckb", "ps", "so", "prs"):
        assert f'value="{code}"' in page
    assert 'value="ku"' not in page
