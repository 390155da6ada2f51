"""The reads on a connection of their own (app.core.ownread): the signed-in person's account and
session, and the caches' versions. The suite's SQLite database lives in memory, where there is no
second connection (the reads fall back to the request's); here an app on a SQLite file (or the
PostgreSQL database of the run) takes the own connection's path."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from app import create_app
from app.accounts.models import User, UserSession
from app.extensions import db
from config import TestingConfig
from tests.conftest import PG_URL, Auth, Builders, _Client


@pytest.fixture
def file_app(tmp_path, request):
    if PG_URL:
        yield request.getfixturevalue("app")
        return
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'own.sqlite'}")
    app.test_client_class = _Client
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _both_ways(user):
    """The user's session key, their account's row read on the request's connection, and the
    same read on the own connection (ownread.first_row)."""
    from app.accounts.services import _session_user_stmt
    from app.core import ownread

    key_hash = db.session.scalar(UserSession.__table__.select().with_only_columns(UserSession.key_hash)
                                 .where(UserSession.user_id == user.id))
    expected = dict(db.session.connection().execute(_session_user_stmt(), {"key_hash": key_hash}).first()._mapping)
    db.session.rollback()
    return key_hash, expected, ownread.first_row(_session_user_stmt(), {"key_hash": key_hash})


def test_first_row_gives_the_values_and_types_the_request_connection_gives(file_app):
    from app.accounts.services import _session_user_stmt
    from app.core import ownread

    make = Builders(file_app)
    office = make.office()
    for user in (make.volunteer(), make.coordinator(office)):
        client = file_app.test_client()
        Auth(client).login(user)
        with file_app.app_context():
            key_hash, expected, got = _both_ways(user)
            assert got is not ownread.UNAVAILABLE
            assert {k: (v, type(v)) for k, v in got.items()} == {k: (v, type(v)) for k, v in expected.items()}
            assert got.role == expected["role"] and got._mapping["id"] == user.id
            assert ownread.first_row(_session_user_stmt(), {"key_hash": "nobody"}) is None


def test_a_signed_in_page_sees_a_change_committed_elsewhere_at_once(file_app):
    make = Builders(file_app)
    user = make.volunteer()
    client = file_app.test_client()
    Auth(client).login(user)
    assert client.get("/home").status_code == 200
    with file_app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(active=False))
        db.session.commit()
    assert client.get("/home").status_code in (302, 401)  # logged out at the very next request
    with file_app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(active=True))
        db.session.execute(update(UserSession).where(UserSession.user_id == user.id).values(ended_at=db.func.now()))
        db.session.commit()
    assert client.get("/home").status_code in (302, 401)  # the session was ended elsewhere


def test_the_cache_versions_are_read_on_the_own_connection_and_see_each_bump(file_app):
    from app.activities import cache as activity_cache
    from app.people import cache as people_cache

    with file_app.test_request_context():
        before = (activity_cache.current_version(), people_cache.current_version())
    with file_app.app_context():
        activity_cache.bump()
        people_cache.bump()
    with file_app.test_request_context():
        assert (activity_cache.current_version(), people_cache.current_version()) == (before[0] + 1, before[1] + 1)


def test_all_rows_gives_the_rows_the_request_connection_gives(file_app):
    from app.core import ownread
    from app.people.directory_views import _lists_stmt

    make = Builders(file_app)
    make.office()
    make.office()
    with file_app.app_context():
        expected = [tuple(r) for r in db.session.connection().execute(_lists_stmt())]
        db.session.rollback()
        got = ownread.all_rows(_lists_stmt())
    assert got is not ownread.UNAVAILABLE and len(got) >= 4
    assert sorted(got, key=repr) == sorted(expected, key=repr)


def test_rows_of_the_overview_box_are_the_same_on_either_connection(file_app):
    """A statement with an Enum parameter, datetimes and a boolean expression (the overview's
    "my next dates"): the own connection converts them as the request's connection does."""
    from app.activities import mine
    from app.core import ownread

    make = Builders(file_app)
    office = make.office()
    me, first = make.full_volunteer(office), make.full_volunteer(office)
    act = make.activity(office, days_ahead=2, roles=(("Stand", 1),))
    make.signups(act.slot, first)
    make.signups(act.slot, me, state="waiting")
    make.signups(make.activity(office, days_ahead=3).slot, me)
    with file_app.app_context():
        params = {"uid": me.id, "now": mine.utcnow(), "lim": 3}
        expected = [tuple(r) for r in db.session.connection().execute(mine._next_statement(), params)]
        db.session.rollback()
        got = ownread.all_rows(mine._next_statement(), params)
        assert got is not ownread.UNAVAILABLE and len(got) == 2
        assert [tuple(map(type, r)) for r in got] == [tuple(map(type, r)) for r in expected]
        assert got == expected
        assert [d.position for d in mine.next_dates(me.id, 3)] == [1, None]


def test_versions_ride_with_the_account_but_never_outlive_a_bump(file_app):
    """A signed-in request reads the caches' versions with the account (one statement); after a
    commit of the same request bumped a version, the version is read anew, not the one that came
    along before."""
    from flask import g

    from app.activities import cache as activity_cache
    from app.core import ownread
    from app.people import cache as people_cache
    from tests.conftest import count_statements

    make = Builders(file_app)
    office = make.office()
    act = make.activity(office)
    client = file_app.test_client()
    Auth(client).login(make.full_volunteer(office))
    path = f"/activities/{act.id}"
    client.get(path)
    assert count_statements(file_app, client, path) == 1  # a kept page: the account and the versions
    with file_app.test_request_context():
        before = activity_cache.current_version(), people_cache.current_version()
        g.pop("_activity_cache_version"), g.pop("_people_cache_version")
        g._ownread_riders = {"activity_version": before[0], "people_version": before[1]}
        activity_cache.bump()
        people_cache.bump()
        assert ownread.take_rider("activity_version") is ownread.NOT_READ
        assert (activity_cache.current_version(), people_cache.current_version()) == (before[0] + 1, before[1] + 1)
        g._ownread_riders = {"activity_version": 41}
        g.pop("_activity_cache_version")
        assert activity_cache.current_version() == 41  # taken once …
        assert ownread.take_rider("activity_version") is ownread.NOT_READ  # … and gone


def test_the_profile_check_rides_with_the_account(file_app):
    """The overview's "complete your profile" comes with the account's read (two statements for
    the page when it is made: that and the next dates; one when it is kept); a profile completed
    since shows at the next request, and a change in the same request drops what came along."""
    from flask import g
    from sqlalchemy import update as sql_update

    from app.core import ownread
    from app.core.timeutil import utcnow as mine_now
    from app.people import cache as people_cache
    from app.people import profiles
    from app.people.models import VolunteerProfile
    from tests.conftest import count_statements

    make = Builders(file_app)
    person = make.full_volunteer(make.office())
    client = file_app.test_client()
    Auth(client).login(person)
    with file_app.app_context():
        db.session.execute(sql_update(VolunteerProfile).where(VolunteerProfile.user_id == person.id)
                           .values(completed_at=mine_now()))
        db.session.commit()
    assert "Profil vervollständigen" not in client.get("/home").get_data(as_text=True)
    assert count_statements(file_app, client, "/home") == 1  # kept (app.core.viewerpages)
    with file_app.app_context():
        db.session.execute(sql_update(VolunteerProfile).where(VolunteerProfile.user_id == person.id)
                           .values(completed_at=None))
        db.session.commit()
    assert "Profil vervollständigen" in client.get("/home").get_data(as_text=True)
    with file_app.test_request_context():
        g._ownread_riders = {"profile_complete": True}
        people_cache.bump()
        assert ownread.take_rider("profile_complete") is ownread.NOT_READ
        assert profiles.shows_complete(person.id, signed_in=True) is False


def test_placeholders_are_numbered_once_per_name_and_percent_signs_kept():
    from app.core import ownread_pg

    sql = "SELECT a FROM t WHERE x = %(k)s::VARCHAR AND y LIKE 'a%%' AND z = %(k)s::VARCHAR AND w = %(n)s::INTEGER LIMIT %(lim)s"
    numbered, names = ownread_pg._to_numbered(sql)
    assert numbered == b"SELECT a FROM t WHERE x = $1::VARCHAR AND y LIKE 'a%' AND z = $1::VARCHAR AND w = $2::INTEGER LIMIT $3"
    assert names == ("k", "n", "lim")
    # a parameter without a cast would come back as text: left to the cursor
    assert ownread_pg._to_numbered("SELECT %(x)s") is None
    assert ownread_pg._to_numbered("SELECT a FROM t WHERE f(%(n)s)") is None
    # one compared with a column takes the column's type
    assert ownread_pg._to_numbered("SELECT a FROM t WHERE w = %(n)s AND v <> %(m)s AND u >= %(n)s")[0] \
        == b"SELECT a FROM t WHERE w = $1 AND v <> $2 AND u >= $1"
    assert ownread_pg._to_numbered("SELECT 1 WHERE x IN (__[POSTCOMPILE_ids])") is None
    from datetime import date, datetime, timezone

    assert [ownread_pg._text(v) for v in ("ä", 7, True, False, None, date(2026, 12, 7), datetime(2026, 12, 7, 9, 5, 1, 7))] \
        == ["ä".encode(), b"7", b"t", b"f", None, b"2026-12-07", b"2026-12-07T09:05:01.000007"]
    for other in (1.5, datetime(2026, 12, 7, tzinfo=timezone.utc), "a\x00b"):  # left to the cursor
        with pytest.raises(TypeError):
            ownread_pg._text(other)


@pytest.mark.skipif(not PG_URL, reason="the libpq way is PostgreSQL's")
def test_on_postgresql_the_reads_go_through_libpq_and_survive_a_lost_prepared_statement(file_app):
    from app.accounts.services import _session_user_stmt
    from app.core import ownread

    make = Builders(file_app)
    user = make.coordinator(make.office())
    client = file_app.test_client()
    Auth(client).login(user)
    with file_app.app_context():
        key_hash, expected, got = _both_ways(user)
        conn = ownread._own.conn
        assert conn.info["ownread_libpq"] and conn.info["ownread_prepared"]  # taken, not fallen back
        assert {k: (v, type(v)) for k, v in got.items()} == {k: (v, type(v)) for k, v in expected.items()}
        # the server forgets the prepared statements (a pooler's DISCARD, say): the read still
        # answers (on the request's connection), and the next one prepares on a new own connection
        conn.dbapi_connection.execute("DEALLOCATE ALL")
        again = ownread.row(_session_user_stmt(), {"key_hash": key_hash})
        assert again is not None and again.id == user.id
        db.session.rollback()
        third = ownread.first_row(_session_user_stmt(), {"key_hash": key_hash})
        assert third is not ownread.UNAVAILABLE and third["id"] == user.id
        assert ownread._own.conn is not conn
