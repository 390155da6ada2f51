"""The coordinators' directory at 2,000 and 20,000 volunteers with full profiles, in one process.

Prints: SQL statements and milliseconds of a filtered directory page (50 rows) as a coordinator
and as an admin, each with its table kept (a repeated view, app.people.cache), built anew on
every request (as after a change) and cold (nothing kept from before), requests/s on one core (Flask test client, no network), and the CSV and xlsx
export of every volunteer (seconds, and peak Python memory by tracemalloc in a second run, since
tracing slows the run down), plus "my data" as JSON when that endpoint exists in this tree.

    .venv/bin/python bench/directory.py [--volunteers 20000] [--seconds 3]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/directory.py

The database is filled set-based (executemany of plain rows), deterministic (seed 11).
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from bench import people_data  # noqa: E402
from bench.common import database_url, login, statements_seen  # noqa: E402
from config import DevelopmentConfig  # noqa: E402

PASSWORD = "bench-directory-pw"


def fill(app, start: int, count: int, rng: random.Random) -> None:
    """Add `count` volunteers with full profiles (ids from `start`): any status, 70 % with the
    contact consent (bench/people_data.py)."""
    people_data.fill_volunteers(app, start, count, rng, status=people_data.any_status, contact_share=0.7)


def measure_page(app, client, path: str, seconds: float, kept: bool = True,
                 cold: bool = False) -> tuple[int, float, float, int, float]:
    """Statements, ms, req/s, rows and CPU ms of `path`. kept=False: the directory's table is
    built anew on every request (PEOPLE_CACHE_SECONDS=0, app.people.cache; VIEWER_PAGE_SECONDS=0,
    app.core.viewerpages), as after a change: its statement runs, the page is rendered, the rows
    that did not change come as HTML kept by their content (directory_views._ROWS). cold=True:
    those too are made anew every time (as in a new process)."""
    with app.app_context():
        engine = db.engine
    app.config["PEOPLE_CACHE_SECONDS"] = 600 if kept else 0
    app.config["VIEWER_PAGE_SECONDS"] = 600 if kept else 0  # the whole page kept for its viewer too
    app.extensions.pop("people_cache", None)
    app.extensions.pop("viewer_pages", None)
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    with statements_seen(engine) as statements:
        r = client.get(path)
    rows = r.get_data(as_text=True).count('<th scope="row"><a href="/people/volunteers/')
    from app.people import directory_views

    n, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        if cold:
            directory_views._ROWS.clear()
        client.get(path)
        n += 1
    elapsed = time.perf_counter() - started
    cpu_ms = (time.process_time() - cpu) / n * 1000
    app.config["PEOPLE_CACHE_SECONDS"] = app.config["VIEWER_PAGE_SECONDS"] = 600
    return len(statements), elapsed / n * 1000, n / elapsed, rows, cpu_ms


def measure_download(client, path: str) -> tuple[float, float, int, int]:
    """Seconds (untraced), peak MiB (traced run), bytes and lines of one download."""
    started = time.perf_counter()
    r = client.get(path, buffered=False)
    size = lines = 0
    for chunk in r.response:
        size += len(chunk)
        lines += chunk.count(b"\n")
    r.close()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    r = client.get(path, buffered=False)
    for _chunk in r.response:
        pass
    r.close()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20, size, lines


def report(app, clients, label: str, seconds: float, volunteers: int) -> None:
    from app.accounts.models import User

    print(f"\n== {volunteers} volunteers ({label})")
    # ms and req/s: wall clock; CPU ms: this process's CPU time per request (what one core would
    # serve on a machine of its own: 1000 / CPU ms requests/s; PostgreSQL's own CPU is not in it)
    # kept: the directory's table comes from app.people.cache (a repeated view, nothing changed);
    # built: it is built anew on every request (as the first view after a change), unchanged rows'
    # HTML kept by their content; cold: nothing kept but the lists (a new process)
    print(f"{'request':<70} {'SQL':>4} {'ms':>7} {'req/s':>7} {'rows':>5} {'CPU ms':>7} {'req/CPU-s':>9}")
    pages = [("coordinator", "/people/volunteers"),
             ("admin", "/people/volunteers"),
             ("coordinator", "/people/volunteers?language=ar&level=2&sort=name"),
             ("coordinator", "/people/volunteers?status=active&kind=need_help&slot=3&contact=yes&sort=district"),
             ("coordinator", "/people/volunteers?q=haddad&page=2"),
             ("admin", "/people/volunteers?language=ar&level=2&sort=name"),
             ("admin", "/people/volunteers?sort=newest&page=100")]
    for role, path in pages:
        for how in ("kept", "built", "cold"):
            n_sql, ms, rps, rows, cpu_ms = measure_page(app, clients[role], path, seconds / 2, kept=how == "kept",
                                                        cold=how == "cold")
            what = f"{how:<5} {role} {path}"
            print(f"{what:<70} {n_sql:>4} {ms:>7.2f} {rps:>7.0f} {rows:>5} {cpu_ms:>7.2f} {1000 / cpu_ms:>9.0f}")
    with app.app_context():
        some = db.session.scalar(select(func.min(User.id)).where(User.email.like("v%@bench.example")))
    n_sql, ms, rps, _rows, cpu_ms = measure_page(app, clients["coordinator_any"], f"/people/volunteers/{some}",
                                                 seconds / 2)
    print(f"{'admin /people/volunteers/<id>':<70} {n_sql:>4} {ms:>7.2f} {rps:>7.0f} {'':>5} {cpu_ms:>7.2f} "
          f"{1000 / cpu_ms:>9.0f}")
    for path in ["/people/volunteers/export.csv", "/people/volunteers/export.xlsx"]:
        s, peak, size, lines = measure_download(clients["admin"], path)
        what = f"admin {path} (all {volunteers})"
        print(f"{what:<70} {s:>7.2f} s, peak {peak:>6.1f} MiB traced, {size / 2**20:.1f} MiB file"
              + (f", {lines - 1} rows" if path.endswith(".csv") else ""))
    mydata = [r.rule for r in app.url_map.iter_rules() if "my-data" in r.rule or "mydata" in r.rule]
    json_rules = [r for r in mydata if "json" in r or r.endswith("/download")]
    if json_rules:
        s, peak, size, _l = measure_download(clients["volunteer"], json_rules[0])
        print(f"{'volunteer ' + json_rules[0]:<70} {s * 1000:>7.1f} ms, peak {peak:.1f} MiB, {size} bytes")
    else:
        print("my data JSON: no such endpoint in this tree (built by the consent part)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--volunteers", type=int, default=20000)
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    url, tmp = database_url("directory")
    app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False, LOG_LEVEL="WARNING")
    from app.accounts.models import Role, User
    from app.accounts.services import hash_password
    from app.core.timeutil import utcnow
    from app.offices.models import Office
    from app.offices.reference import load_reference_data
    from app.people.reference import load_people_reference

    with app.app_context():
        db.drop_all()
        db.create_all()
        load_reference_data()
        load_people_reference()
        office = db.session.scalar(select(Office).order_by(Office.id))
        hashed = hash_password(PASSWORD)
        db.session.add_all([
            User(email="admin@bench.example", name="Admin", role=Role.ADMIN, password_hash=hashed, confirmed_at=utcnow()),
            User(email="coord@bench.example", name="Koordination", role=Role.COORDINATOR, password_hash=hashed,
                 confirmed_at=utcnow(), offices=[office]),
        ])
        db.session.commit()
        office_name = office.name
    rng = random.Random(11)
    started = time.perf_counter()
    fill(app, 1000, args.small, rng)
    print(f"database: {url.split(':')[0]}; filled {args.small} volunteers in {time.perf_counter() - started:.1f} s; "
          f"coordinator of {office_name}")
    clients = {}
    for role, email in [("coordinator", "coord@bench.example"), ("admin", "admin@bench.example"),
                        ("coordinator_any", "admin@bench.example")]:
        clients[role] = app.test_client()
        login(clients[role], email, PASSWORD)
    clients["volunteer"] = app.test_client()
    login(clients["volunteer"], "v001000@bench.example", PASSWORD)
    report(app, clients, "small", args.seconds, args.small)
    started = time.perf_counter()
    fill(app, 1000 + args.small, args.volunteers - args.small, rng)
    print(f"\nfilled {args.volunteers - args.small} more in {time.perf_counter() - started:.1f} s")
    report(app, clients, "large", args.seconds, args.volunteers)
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
