"""Matching at 20,000 volunteers with full profiles and 2,000 open needs, in one process.

Prints: the time of one need's candidate list (`score_candidates([need])`, and the need's page as
a coordinator with its SQL statements, at a small and the full number of volunteers: the
statements must not change), `score_candidates` for 300 needs of one office (the batch
assignment's input; when `app.matching.assignment` exists its run is timed too) and peak Python
memory of that (tracemalloc, a second run).

    .venv/bin/python bench/matching.py [--volunteers 20000] [--needs 2000]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/matching.py
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, insert, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from bench.common import database_url, login  # noqa: E402
from bench.directory import PASSWORD, fill  # noqa: E402
from config import DevelopmentConfig  # noqa: E402

LANGS = ["ar", "fa", "uk", "ru", "tr", "ti", None, None, None]


def add_needs(app, count: int, rng: random.Random) -> None:
    from app.core.timeutil import utcnow
    from app.matching.models import Need, NeedState, NeedTiming
    from app.offices.models import District
    from app.people.models import ChoiceItem

    with app.app_context():
        now = utcnow()
        districts = db.session.execute(select(District.id, District.office_id)).all()
        categories = list(db.session.scalars(select(ChoiceItem.id).where(
            ChoiceItem.list_name == ChoiceItem.NEED_CATEGORIES)))
        rows = []
        for i in range(count):
            district_id, office_id = districts[i % len(districts)]
            lang = rng.choice(LANGS)
            weekly = rng.random() < 0.6
            rows.append(dict(office_id=office_id, district_id=district_id, category_id=rng.choice(categories),
                             case_code=f"B-{i:05d}", household_languages="", helpful_languages=rng.choice(["ar", "fa,ar", ""]),
                             required_language=lang, required_level=rng.randint(1, 3) if lang else None,
                             timing=NeedTiming.WEEKLY if weekly else NeedTiming.FLEXIBLE,
                             slots=(1 << rng.randrange(21)) | (1 << rng.randrange(21)) if weekly else 0,
                             description="", ongoing=False, state=NeedState.OPEN, state_changed_at=now,
                             outcome="", close_reason="", created_at=now, updated_at=now, expected_hours=2.0))
        for i in range(0, len(rows), 2000):
            db.session.execute(insert(Need), rows[i:i + 2000])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()


def timed(fn, n: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(n):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def page(app, client, path: str) -> tuple[int, float]:
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    client.get(path)
    event.listen(engine, "before_cursor_execute", listener)
    started = time.perf_counter()
    response = client.get(path)
    ms = (time.perf_counter() - started) * 1000
    event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200, response.status_code
    return len(statements), ms


def report(app, client, label: str, office_id: int, needs: int) -> None:
    from app.matching.candidates import score_candidates
    from app.matching.models import Need

    with app.app_context():
        need_ids = list(db.session.scalars(select(Need.id).where(Need.office_id == office_id).order_by(Need.id)))
        one = need_ids[0]
        ms, result = timed(lambda: score_candidates([one]))
        print(f"[{label}] candidate list of one need: {ms:.1f} ms (median of 5), {len(result[one])} candidates")
    statements, ms = page(app, client, f"/matching/needs/{one}")
    print(f"[{label}] the need's page as coordinator: {statements} SQL statements, {ms:.1f} ms")
    batch = need_ids[:300]
    with app.app_context():
        started = time.perf_counter()
        scored = score_candidates(batch)
        seconds = time.perf_counter() - started
        eligible = len({c.user_id for cands in scored.values() for c in cands})
        print(f"[{label}] score_candidates for {len(batch)} needs of one office: {seconds:.2f} s, "
              f"{eligible} distinct eligible volunteers")
        try:
            from app.matching import assignment  # built by another helper
        except ImportError:
            assignment = None
        if assignment is not None and hasattr(assignment, "assign"):
            started = time.perf_counter()
            try:
                assignment.assign(scored)  # type: ignore[attr-defined]
                print(f"[{label}] batch assignment: {time.perf_counter() - started:.2f} s")
            except TypeError as exc:
                print(f"[{label}] batch assignment not timed (its signature differs: {exc})")
        tracemalloc.start()
        score_candidates(batch)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"[{label}] peak Python memory of that: {peak / 2**20:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--volunteers", type=int, default=20000)
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--needs", type=int, default=2000)
    args = parser.parse_args()
    url, tmp = database_url("matching")
    app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False, LOG_LEVEL="WARNING",
                     MATCHING_WEEKLY_CAP=3)
    from app.accounts.models import Role, User
    from app.accounts.services import hash_password
    from app.core.timeutil import utcnow
    from app.matching.reference import load_neighbours
    from app.offices.models import Office
    from app.offices.reference import load_reference_data
    from app.people.reference import load_people_reference

    with app.app_context():
        db.drop_all()
        db.create_all()
        load_reference_data()
        load_people_reference()
        load_neighbours()
        office = db.session.scalar(select(Office).order_by(Office.id))
        hashed = hash_password(PASSWORD)
        db.session.add_all([
            User(email="admin@bench.example", name="Admin", role=Role.ADMIN, password_hash=hashed, confirmed_at=utcnow()),
            User(email="coord@bench.example", name="Koordination", role=Role.COORDINATOR, password_hash=hashed,
                 confirmed_at=utcnow(), offices=[office]),
        ])
        db.session.commit()
        office_id, office_name = office.id, office.name
    rng = random.Random(14)
    started = time.perf_counter()
    fill(app, 1000, args.small, rng)
    add_needs(app, args.needs, rng)
    print(f"database: {url.split(':')[0]}; {args.small} volunteers and {args.needs} open needs in "
          f"{time.perf_counter() - started:.1f} s; coordinator of {office_name}")
    client = app.test_client()
    login(client, "coord@bench.example", PASSWORD)
    report(app, client, f"{args.small} volunteers", office_id, args.needs)
    fill(app, 1000 + args.small, args.volunteers - args.small, rng)
    report(app, client, f"{args.volunteers} volunteers", office_id, args.needs)
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
