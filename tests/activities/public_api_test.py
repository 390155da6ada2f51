"""The public API: JSON, no personal data, ETag and 304, CORS, 400 and 404 as JSON."""
from __future__ import annotations

from app.activities.models import Activity
from app.extensions import db


def test_list_with_dates_roles_counts_links_and_no_personal_data(client, make, app):
    office = make.office()
    coordinator = make.coordinator(office, name="Erika Mustermann")
    act = make.activity(office, title="Kurs", dates=2, roles=(("Tutor", 3), ("Helfer", 1)), languages=("de", "ar"))
    make.activity(office, title="Entwurf", state="draft")
    with app.app_context():
        db.session.get(Activity, act.id).contact_id = coordinator.id
        db.session.commit()
    r = client.get("/api/v1/activities")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Cache-Control"].startswith("public, max-age=")
    assert r.headers["ETag"]
    body = r.get_json()
    assert body["meta"] == {"page": 1, "per_page": 20, "total": 1, "pages": 1}
    item = body["data"][0]
    assert item["title"] == "Kurs" and item["languages"] == ["ar", "de"]
    assert item["url"].endswith(f"/activities/{act.id}")
    assert len(item["dates"]) == 2 and item["dates"][0]["starts_at"].endswith(("+01:00", "+02:00"))
    role = item["roles"][0]
    assert role["capacity"] == 3 and role["confirmed"] == 0 and role["waiting"] == 0
    assert role["dates"][0]["free"] == 3
    assert body["links"]["next"] is None and body["links"]["self"].endswith("page=1")
    one = client.get(f"/api/v1/activities/{act.id}").get_data(as_text=True)
    for text in (r.get_data(as_text=True), one):
        assert "Erika" not in text and "@example.org" not in text


def test_filters_and_paging(client, make):
    office = make.office()
    for i in range(5):
        make.activity(office, title=f"Kurs {i}", days_ahead=1 + i, kind="theatre" if i % 2 else "language_course")
    body = client.get("/api/v1/activities?per_page=2&page=2").get_json()
    assert [a["title"] for a in body["data"]] == ["Kurs 2", "Kurs 3"]
    assert body["links"]["prev"].endswith("page=1") and "per_page=2" in body["links"]["next"]
    body = client.get("/api/v1/activities?kind=theatre").get_json()
    assert [a["title"] for a in body["data"]] == ["Kurs 1", "Kurs 3"]
    assert client.get("/api/v1/activities?q=kurs%204").get_json()["meta"]["total"] == 1


def test_etag_and_304(client, make, app):
    office = make.office()
    act = make.activity(office)
    for path in ("/api/v1/activities", f"/api/v1/activities/{act.id}"):
        first = client.get(path)
        etag = first.headers["ETag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.get_data() == b""
        assert again.headers["ETag"] == etag
        assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    before = client.get(f"/api/v1/activities/{act.id}").headers["ETag"]
    with app.app_context():
        db.session.get(Activity, act.id).title = "Neuer Titel"
        db.session.commit()
    after = client.get(f"/api/v1/activities/{act.id}", headers={"If-None-Match": before})
    assert after.status_code == 200 and after.get_json()["data"]["title"] == "Neuer Titel"


def test_gzip_when_asked_for_with_its_own_etag(client, make, app):
    import gzip
    import json

    office = make.office()
    for i in range(6):
        make.activity(office, title=f"Kurs {i}", dates=3, roles=(("Tutor", 3), ("Helfer", 1)))
    plain = client.get("/api/v1/activities")
    assert "Content-Encoding" not in plain.headers and len(plain.data) > 1400
    assert "Accept-Encoding" in plain.headers["Vary"] and "Accept-Language" in plain.headers["Vary"]
    packed = client.get("/api/v1/activities", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip" and len(packed.data) < len(plain.data) / 3
    assert json.loads(gzip.decompress(packed.data)) == plain.get_json()
    assert packed.headers["ETag"] != plain.headers["ETag"] and packed.headers["ETag"].endswith('-gz"')
    # a 304 for the tag of the encoding asked for (with that tag), a 200 of it for the other's
    gz, pl = packed.headers["ETag"], plain.headers["ETag"]
    r = client.get("/api/v1/activities", headers={"If-None-Match": gz, "Accept-Encoding": "GZIP"})
    assert r.status_code == 304 and r.headers["ETag"] == gz
    r = client.get("/api/v1/activities", headers={"If-None-Match": pl})
    assert r.status_code == 304 and r.headers["ETag"] == pl
    r = client.get("/api/v1/activities", headers={"If-None-Match": pl, "Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["ETag"] == gz and r.headers["Content-Encoding"] == "gzip"
    assert client.get("/api/v1/activities", headers={"If-None-Match": gz}).status_code == 200
    # gzip;q=0 is a no
    refused = client.get("/api/v1/activities", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers and refused.data == plain.data
    # small answers and errors are never compressed
    small = client.get("/api/v1/activities?kind=theatre", headers={"Accept-Encoding": "gzip"})
    assert small.status_code == 200 and "Content-Encoding" not in small.headers
    bad = client.get("/api/v1/activities?page=x", headers={"Accept-Encoding": "gzip"})
    assert bad.status_code == 400 and "Content-Encoding" not in bad.headers and bad.get_json()["error"]
    # a change is in the compressed answer at once too
    with app.app_context():
        first = db.session.scalars(db.select(Activity).order_by(Activity.id)).first()
        first.title = "Neuer Titel"
        db.session.commit()
    again = client.get("/api/v1/activities", headers={"Accept-Encoding": "gzip"})
    assert "Neuer Titel" in gzip.decompress(again.data).decode()


def test_bad_parameters_are_400_json(client, make):
    make.activity(make.office())
    for query in ("kind=zauberei", "page=0", "page=abc", "per_page=1000", "per_page=0", "from=morgen",
                  "office=x", "language=123", "free=vielleicht", "nonsense=1", "q=" + "x" * 300):
        r = client.get("/api/v1/activities?" + query)
        assert r.status_code == 400, query
        body = r.get_json()
        assert body["error"] == "bad_request" and body["fields"], query
        assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_unknown_draft_and_cancelled_are_404_json(client, make):
    office = make.office()
    draft = make.activity(office, state="draft")
    gone = make.activity(office, state="cancelled")
    for path in (f"/api/v1/activities/{draft.id}", f"/api/v1/activities/{gone.id}", "/api/v1/activities/999999",
                 "/api/v1/activities/99999999999999", "/api/v1/activities/abc", "/api/v1/nothing"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.is_json and r.get_json()["error"], path


def test_cors_preflight_and_no_session_cookie(client, make):
    make.activity(make.office())
    r = client.get("/api/v1/activities")
    assert "Set-Cookie" not in r.headers
    r = client.options("/api/v1/activities", headers={"Origin": "https://www.dortmund.de",
                                                      "Access-Control-Request-Method": "GET"})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
    r = client.post("/api/v1/activities")
    assert r.status_code == 405 and r.is_json
