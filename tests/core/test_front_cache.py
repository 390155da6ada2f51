"""Answers for visitors without cookies kept in front of Flask (app.core.frontcache): the same
bytes as Flask's answer, only for requests that nothing but the key can change, and never
after what they show changed — in this process or in another one."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from app.activities import cache
from app.activities.models import Activity
from app.core import frontcache
from app.extensions import db

PAGES = ("/", "/activities/", "/activities/?kind=language_course", "{detail}", "/api/v1/activities",
         "/api/v1/activities/{id}")


@pytest.fixture
def counted(app):
    """How often Flask itself answered (its wsgi_app, inside the front cache)."""
    front = app.wsgi_app
    while not isinstance(front, frontcache.FrontCache):
        front = front.app  # ProxyFix, when configured
    inner = front.wsgi_app
    calls = []

    def counting(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    front.wsgi_app = counting
    yield calls
    front.wsgi_app = inner


def _paths(act_id: int):
    return [p.format(detail=f"/activities/{act_id}", id=act_id) for p in PAGES]


def test_a_repeated_request_without_cookies_is_answered_before_flask_with_the_same_bytes(app, make, counted):
    act = make.activity(make.office(), title="Sprachcafé", roles=(("Gastgeber", 4),))
    client = app.test_client(use_cookies=False)
    for path in _paths(act.id):
        counted.clear()
        first = client.get(path, headers={"Accept-Language": "en"})
        again = client.get(path, headers={"Accept-Language": "en"})
        assert first.status_code == again.status_code == 200, path
        assert counted == [path.split("?")[0]], (path, counted)  # Flask answered the first only
        assert again.get_data() == first.get_data(), path
        assert sorted(again.headers.items()) == sorted(first.headers.items()), path
        assert "Set-Cookie" not in again.headers


def test_language_encoding_host_and_query_each_have_their_own_answer(app, make, counted):
    office = make.office()
    act = make.activity(office, title="Sprachcafé")
    for n in range(3):  # a list long enough to be sent compressed (app.activities.api.GZIP_FROM)
        make.activity(office, title=f"Kurs {n}")
    client = app.test_client(use_cookies=False)
    de = client.get("/activities/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    en = client.get("/activities/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert de != en and 'lang="de"' in de and 'lang="en"' in en
    assert client.get("/activities/", headers={"Accept-Language": "de"}).get_data(as_text=True) == de
    plain = client.get("/api/v1/activities")
    packed = client.get("/api/v1/activities", headers={"Accept-Encoding": "gzip"})
    assert packed.headers.get("Content-Encoding") == "gzip" and "Content-Encoding" not in plain.headers
    assert client.get("/api/v1/activities").get_data() == plain.get_data()
    client.get(f"/api/v1/activities/{act.id}")
    counted.clear()
    client.get(f"/api/v1/activities/{act.id}", base_url="http://stadt.example")  # another host
    client.get(f"/api/v1/activities/{act.id}", base_url="https://localhost")  # another scheme
    client.get("/activities/?kind=theatre")
    assert counted == [f"/api/v1/activities/{act.id}"] * 2 + ["/activities/"]


@pytest.mark.parametrize("headers", [{"Cookie": "session=x"}, {"Authorization": "Basic eDp5"},
                                     {"If-None-Match": '"abc"'}, {"If-Modified-Since": "Tue, 01 Dec 2026 10:00:00 GMT"},
                                     {"Range": "bytes=0-10"}])
def test_a_request_that_more_than_the_key_could_change_goes_to_flask(app, make, counted, headers):
    make.activity(make.office(), title="Sprachcafé")
    client = app.test_client(use_cookies=False)
    for path in ("/activities/", "/api/v1/activities"):
        client.get(path)
        counted.clear()
        client.get(path, headers=headers)
        assert counted == [path], (path, headers)


def test_head_and_post_and_pages_nobody_marked_go_to_flask(app, make, counted):
    make.activity(make.office(), title="Sprachcafé")
    client = app.test_client(use_cookies=False)
    client.get("/activities/")
    counted.clear()
    client.head("/activities/")
    client.post("/activities/")
    assert counted == ["/activities/", "/activities/"]
    for path in ("/login", "/healthz", "/datenschutz"):  # not marked by their views: never kept
        client.get(path)
        counted.clear()
        client.get(path)
        assert counted == [path], path


def test_a_change_shows_at_once_also_when_made_by_another_process(app, make, counted):
    act = make.activity(make.office(), title="Alt")
    client = app.test_client(use_cookies=False)
    for path in ("/activities/", f"/activities/{act.id}", "/api/v1/activities"):
        assert "Alt" in client.get(path).get_data(as_text=True)
    # another process: a commit there moves the version in the database; nothing here hears of it
    with app.app_context():
        db.session.execute(update(Activity).where(Activity.id == act.id).values(title="Neu"))
        db.session.execute(update(cache.cache_version).values(version=cache.cache_version.c.version + 1))
        db.session.commit()
    counted.clear()
    for path in ("/activities/", f"/activities/{act.id}", "/api/v1/activities"):
        body = client.get(path).get_data(as_text=True)
        assert "Neu" in body and "Alt" not in body, path
    assert len(counted) == 3  # each made anew by Flask


def test_an_answer_ends_when_the_clock_alone_changes_it(app, make, counted, monkeypatch):
    import time

    make.activity(make.office(), title="Sprachcafé")
    client = app.test_client(use_cookies=False)
    client.get("/activities/")
    later = time.time() + app.config["ACTIVITY_CACHE_SECONDS"] + 1
    monkeypatch.setattr(frontcache.time, "time", lambda: later)
    counted.clear()
    client.get("/activities/")
    assert counted == ["/activities/"]


def test_when_the_version_cannot_be_read_flask_answers(app, make, counted, monkeypatch):
    make.activity(make.office(), title="Sprachcafé")
    client = app.test_client(use_cookies=False)
    client.get("/activities/")

    def away():
        raise OSError("database away")

    monkeypatch.setattr(frontcache, "_reader", away)
    counted.clear()
    assert client.get("/activities/").status_code == 200
    assert counted == ["/activities/"]


def test_entries_are_bounded_by_number_and_bytes_and_can_be_switched_off(app, make, counted):
    make.activity(make.office(), title="Sprachcafé")
    client = app.test_client(use_cookies=False)
    front = app.wsgi_app
    app.config["FRONT_CACHE_ENTRIES"] = 2
    for n in range(4):
        client.get(f"/activities/?q=x{n}")
    assert len(front.entries) == 2 and front.size == sum(len(e[4]) for e in front.entries.values())
    app.config["FRONT_CACHE_ENTRIES"] = 100
    app.config["FRONT_CACHE_BYTES"] = 8 * max(len(e[4]) for e in front.entries.values())
    for n in range(12):
        client.get(f"/activities/?q=y{n}")
    assert front.size <= app.config["FRONT_CACHE_BYTES"]
    app.config["FRONT_CACHE_ENTRIES"] = 0
    counted.clear()
    client.get("/activities/?q=y11")
    client.get("/activities/?q=y11")
    assert counted == ["/activities/", "/activities/"]


def test_a_page_with_a_form_or_a_cookie_is_never_kept(app, make, counted):
    """A body with the CSRF placeholder gets each visitor's own token: not the same bytes."""
    client = app.test_client(use_cookies=False)
    client.get("/login")
    counted.clear()
    client.get("/login")
    assert counted == ["/login"]
    front = app.wsgi_app
    assert not any(b"csrf_token" in e[4] for e in front.entries.values())


def test_the_longest_unused_answer_goes_first(app, make):
    make.activity(make.office(), title="Sprachcafé")
    client = app.test_client(use_cookies=False)
    front = app.wsgi_app
    app.config["FRONT_CACHE_ENTRIES"] = 2
    client.get("/activities/?q=a")
    client.get("/activities/?q=b")
    client.get("/activities/?q=a")  # used again: now b is the longest unused
    client.get("/activities/?q=c")
    assert sorted(k[4] for k in front.entries) == ["q=a", "q=c"]


def test_a_body_past_its_time_is_made_anew_even_when_a_cache_still_holds_it(app, make, monkeypatch):
    """A shared cache (Redis) may hand an entry on for longer than its time: the page is then
    made anew, and what is past its time is never kept in front of Flask."""
    from datetime import timedelta

    from flask import template_rendered

    from app.activities import public_views
    from app.core.timeutil import utcnow

    make.activity(make.office(), title="Sprachcafé")
    client = app.test_client(use_cookies=False)
    made = []

    def rendered(sender, template, context, **kw):
        made.append(template.name)

    template_rendered.connect(rendered, app)  # (held weakly: `rendered` lives till the end)
    client.get("/activities/")
    assert made.count("activities/public/index.html") == 1
    later = utcnow() + timedelta(seconds=2 * app.config["ACTIVITY_CACHE_SECONDS"])
    monkeypatch.setattr(public_views, "utcnow", lambda: later)
    app.wsgi_app.entries.clear()
    client.get("/activities/")
    assert made.count("activities/public/index.html") == 2
    template_rendered.disconnect(rendered, app)
