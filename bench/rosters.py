"""Rosters at work: the attendance screen of a 300-person roster, its exports, an office's year
of attendance (>= 10,000 rows) as xlsx and CSV, and a certificate of hours as PDF.

    .venv/bin/python -m bench.rosters [--seconds 3] [--volunteers 600] [--no-http]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.rosters

After `seed-demo` it inserts, set-based, into the office of the demo coordinator
(koordination.brackel-aplerbeck@…): a roster of 300 and one of 30 on yesterday's date (each
person marked present, absent or not yet), and a year of weekly dates of 21 activities with 10
people each (52 weeks × 21 × 10 = 10,920 rows; the first volunteer is on all of them, so their
certificate lists 21 activities). Then it prints:

- in one process (Flask's test client, no network): SQL statements per request with 30 and with
  300 people, wall-clock and CPU milliseconds per request and requests/s of the attendance
  screen; the roster's CSV and xlsx export; the office's yearly xlsx and CSV export; the
  certificate PDF (median of a few runs each);
- over HTTP, when `wrk` is installed (`apt-get install wrk`; skip with --no-http): the attendance
  screen under gunicorn (2 workers) loaded by wrk (2 threads, 16 connections) beside a bare
  Flask "hello" (bench/http_load.py's helpers). wrk shares the two cores, so it is a lower bound.

The aims (issue 13): the attendance screen >= 1,000 requests/s on two cores under gunicorn,
exports of 10,000 rows under 2 s.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import sys
import time
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-rosters-" + "k7Qx" * 12)


from bench.common import database_url, free_port, login, statements_seen  # noqa: E402

COORDINATOR = "koordination.brackel-aplerbeck@willkommen.example"
YEAR_ACTIVITIES, YEAR_WEEKS, YEAR_PEOPLE = 21, 52, 10


def fill(app) -> dict:
    """The rosters and the year, inserted set-based; returns the ids the bench loads."""
    from sqlalchemy import insert, select

    from app.accounts.models import Role as AccountRole
    from app.accounts.models import User, coordinator_offices
    from app.activities.models import (Activity, ActivityDate, ActivityState, ActivityType, Attendance, Role,
                                       Signup, SignupState, Slot, activity_languages)
    from app.activities.series import local_to_utc
    from app.core.timeutil import to_local, utcnow
    from app.extensions import db

    with app.app_context():
        now = utcnow()
        today = to_local(now).date()
        coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR))
        office_id = db.session.scalar(select(coordinator_offices.c.office_id)
                                      .where(coordinator_offices.c.user_id == coordinator.id)
                                      .order_by(coordinator_offices.c.office_id))
        people = list(db.session.scalars(select(User.id).where(User.role == AccountRole.VOLUNTEER)
                                         .order_by(User.id).limit(300)))
        if len(people) < 300:
            raise SystemExit("needs at least 300 volunteers: --volunteers 300 or more")

        def activity(title: str, kind: ActivityType) -> int:
            a = db.session.scalar(insert(Activity).returning(Activity.id).values(
                title=title, kind=kind, office_id=office_id, summary="", description="",
                state=ActivityState.PUBLISHED, published_at=now, created_at=now, updated_at=now))
            db.session.execute(insert(activity_languages).values(activity_id=a, code="de"))
            return a

        def dates(activity_id: int, role_id: int, days: list, start: clock, end: clock) -> list[tuple[int, int]]:
            rows = [dict(activity_id=activity_id, starts_at=local_to_utc(d, start), ends_at=local_to_utc(d, end),
                         sequence=0, cancel_reason="", note="", newcomers=(k * 7) % 13) for k, d in enumerate(days)]
            got = list(db.session.execute(insert(ActivityDate).returning(
                ActivityDate.id, ActivityDate.starts_at, ActivityDate.ends_at, sort_by_parameter_order=True), rows))
            slots = list(db.session.execute(insert(Slot).returning(Slot.id, sort_by_parameter_order=True), [
                dict(role_id=role_id, date_id=d.id, activity_id=activity_id, starts_at=d.starts_at, ends_at=d.ends_at,
                     duration_minutes=int((d.ends_at - d.starts_at).total_seconds() // 60), version=0) for d in got]))
            return [(d.id, s.id) for d, s in zip(got, slots)]

        def role(activity_id: int, name: str, capacity: int) -> int:
            return db.session.scalar(insert(Role).returning(Role.id).values(
                activity_id=activity_id, name=name, capacity=capacity, position=0, deadline_hours=0,
                for_partners=False, auto_move_up=False, created_at=now))

        marks = (Attendance.PRESENT, Attendance.PRESENT, Attendance.ABSENT, Attendance.EXCUSED, None)

        def signups(slot_id: int, users: list[int], offset: int = 0) -> list[dict]:
            return [dict(slot_id=slot_id, user_id=u, state=SignupState.CONFIRMED, confirmed_at=now, delegate_name="",
                         offer_count=0, over_capacity=False, walk_in=False, minutes_reason="", created_at=now,
                         updated_at=now, attendance=marks[(k + offset) % len(marks)], attendance_at=now)
                    for k, u in enumerate(users)]

        out = {"office_id": office_id}
        rows: list[dict] = []
        for size in (300, 30):
            a = activity(f"Brückenfest-Aufbau ({size} Personen)", ActivityType.EVENT)
            r = role(a, "Aufbau und Abbau", size)
            ((_d, slot),) = dates(a, r, [today - timedelta(days=1)], clock(10), clock(14))
            rows += signups(slot, people[:size])
            out[size] = (a, slot)
        kinds = [ActivityType.LANGUAGE_COURSE, ActivityType.LANGUAGE_CAFE, ActivityType.THEATRE, ActivityType.OTHER]
        weeks = [today - timedelta(days=1 + 7 * w) for w in range(YEAR_WEEKS)]
        year_rows = 0
        for n in range(YEAR_ACTIVITIES):
            a = activity(f"{kinds[n % 4].label} {n + 1:02d}", kinds[n % 4])
            r = role(a, "Mithilfe", YEAR_PEOPLE)
            team = [people[0]] + people[1 + n * 9:1 + n * 9 + YEAR_PEOPLE - 1]
            for k, (_d, slot) in enumerate(dates(a, r, sorted(weeks), clock(17), clock(18, 30))):
                rows += signups(slot, team, k)
                year_rows += len(team)
        db.session.execute(insert(Signup), rows)
        db.session.commit()
        out.update(coordinator=coordinator.id, volunteer=people[0], year_rows=year_rows,
                   since=weeks[-1], until=today)
        return out


def _median_seconds(fn, runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of `runs` calls (CPU: this process only; on a busy
    machine the steadier figure)."""
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _ms(seconds: tuple[float, float]) -> str:
    return f"{seconds[0] * 1000:.0f} ms (CPU {seconds[1] * 1000:.0f})"


def _statements(app, client, path: str) -> int:
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    with statements_seen(engine) as seen:
        r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    return len(seen)


def _rate(client, path: str, seconds: float) -> tuple[float, float, float]:
    """Wall ms, CPU ms per request and requests/s over `seconds`."""
    count, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        client.get(path)
        count += 1
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return wall / count * 1000, cpu / count * 1000, count / wall


def _http(url: str, data: dict, seconds: int, workers: int, paths: dict) -> list[str]:
    from bench import http_load

    env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": url, "LOG_LEVEL": "WARNING",
           "RATELIMIT_ENABLED": "0"}
    port, hello_port = free_port(), free_port()
    servers = [http_load._serve("bench.app_wsgi:app", port, workers, env),
               http_load._serve("bench.hello_app:app", hello_port, workers, env)]
    base, lines = f"http://127.0.0.1:{port}", []
    try:
        http_load._wait(base + "/healthz")
        http_load._wait(f"http://127.0.0.1:{hello_port}/")
        hello = http_load._wrk(f"http://127.0.0.1:{hello_port}/", seconds)
        lines.append(http_load._line("hello (bare Flask)", hello, None))
        _opener, jar = http_load._login(base, COORDINATOR)
        cookie = http_load._cookie(jar)
        for name, path in paths.items():
            lines.append(http_load._line(name, http_load._wrk(base + path, seconds, cookie), hello["rps"]))
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--volunteers", type=int, default=600)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()

    from app import create_app
    from app.extensions import db
    from config import DevelopmentConfig

    url, tmp = database_url("rosters")
    app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False, LOG_LEVEL="WARNING",
                     SECRET_KEY=os.environ["SECRET_KEY"])
    started = time.perf_counter()
    with app.app_context():
        db.drop_all()
        db.create_all()
        from app.core.demo import seed_demo

        seed_demo(volunteers=args.volunteers)
    data = fill(app)
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} at the start; database: {url.split(':')[0]}, {args.volunteers} volunteers, "
          f"{data['year_rows']:,} rows in the year "
          f"({data['since']} – {data['until']}), filled in {time.perf_counter() - started:.1f} s")
    client = app.test_client()
    login(client, COORDINATOR, app.config["DEMO_PASSWORD"])

    def screen(size):
        a, slot = data[size]
        return f"/manage/activities/{a}/slots/{slot}/attendance"

    def roster(size, fmt):
        a, slot = data[size]
        return f"/manage/activities/{a}/slots/{slot}/export.{fmt}"

    year = (f"/manage/offices/{data['office_id']}/attendance?since={data['since']}&until={data['until']}"
            f"&fmt=")
    for path in (screen(30), screen(300)):
        client.get(path)  # warm
    table: list[tuple[str, str, str, str]] = []
    n30, n300 = _statements(app, client, screen(30)), _statements(app, client, screen(300))
    wall, cpu, rps = _rate(client, screen(300), args.seconds)
    table.append(("attendance screen, 300 people", f"{n30} / {n300}", f"{wall:.2f} ms (CPU {cpu:.2f})",
                  f"{rps:,.0f} req/s"))
    wall, cpu, rps = _rate(client, screen(30), args.seconds)
    table.append(("attendance screen, 30 people", f"{n30} / {n30}", f"{wall:.2f} ms (CPU {cpu:.2f})",
                  f"{rps:,.0f} req/s"))
    for fmt in ("csv", "xlsx"):
        s30, s300 = _statements(app, client, roster(30, fmt)), _statements(app, client, roster(300, fmt))
        seconds = _median_seconds(lambda: client.get(roster(300, fmt)), args.runs)
        table.append((f"roster export {fmt}, 300 people", f"{s30} / {s300}", _ms(seconds), ""))
    for fmt in ("xlsx", "csv"):
        s = _statements(app, client, year + fmt)
        body = client.get(year + fmt).get_data()
        seconds = _median_seconds(lambda: client.get(year + fmt), max(3, args.runs // 2))
        table.append((f"yearly export {fmt}, {data['year_rows']:,} rows", f"{s}", _ms(seconds),
                      f"{len(body) / 1024:,.0f} KiB"))
    with app.app_context():
        from app.accounts.models import User
        from app.activities import hours

        issuer = db.session.get(User, data["coordinator"])

        def pdf():
            with app.test_request_context():
                cert = hours.certificate(data["volunteer"], data["since"], data["until"], issued_by=issuer)
                return cert, hours.certificate_pdf(cert, "de")

        cert, body = pdf()
        seconds = _median_seconds(pdf, args.runs)
    table.append((f"certificate PDF, {len(cert.lines)} activities", "", _ms(seconds),
                  f"{len(body) / 1024:,.0f} KiB"))
    print(f"\n{'in one process (test client)':<40} {'SQL 30/300':>11} {'time':>24} {'':>12}")
    for name, sql, took, extra in table:
        print(f"{name:<40} {sql:>11} {took:>24} {extra:>12}")
    if args.no_http:
        pass
    elif not shutil.which("wrk"):
        print("\nover HTTP: wrk is not installed (apt-get install wrk)")
    else:
        print(f"\nover HTTP (gunicorn, {args.workers} workers, wrk -t2 -c16, {int(args.seconds)} s each):")
        for line in _http(url, data, max(1, int(args.seconds)), args.workers,
                          {"attendance screen, 300 people": screen(300),
                           "attendance screen, 30 people": screen(30)}):
            print(line)
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
