"""Matching at 2,000 and 20,000 volunteers with full profiles and 2,000 open needs, in one process.

Prints, at each size: the time of one need's candidate list (`candidates_for`, median of repeats,
for a need with a required language and a flexible one), the SQL statements and time of the
need's page (/matching/needs/<id>, with its ranked candidates: constant in the number of
volunteers), one office's batch assignment of its 300 oldest open needs (`batch.plan`: eligible
volunteers, pairs, total score against the greedy pass, median seconds; peak Python memory by
tracemalloc in a separate run, since tracing slows it down) and the batch page; then the batch's
confirmation (POST of the page with the first 60, then 300 rows ticked: seconds, SQL statements,
mails queued, the same form again). `--confirm-only` fills the small size and times the
confirmations only (`--confirm-rows 60,300`; fewer when the plan assigns fewer needs).

    .venv/bin/python -m bench.matching [--volunteers 20000 --needs 2000]
    .venv/bin/python -m bench.matching --confirm-only --small 4000
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.matching

The database is filled set-based (executemany of plain rows), deterministic (seed 14).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, func, insert, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from bench import people_data  # noqa: E402
from bench.common import database_url, login  # noqa: E402
from config import DevelopmentConfig  # noqa: E402

PASSWORD = "bench-matching-pw"
OFFICE_SLUG = "hoerde-hombruch"
NEED_LANGS = ["ar", "fa", "uk", "ru", "tr", "ti", "kmr", "prs"]


def fill_volunteers(app, start: int, count: int, rng: random.Random) -> None:
    """`count` volunteers with full profiles (ids from `start`): mostly active, 90 % with the
    contact consent (bench/people_data.py)."""
    people_data.fill_volunteers(app, start, count, rng, status=people_data.mostly_active, contact_share=0.9)


def fill_needs(app, count: int, rng: random.Random, coordinator_id: int) -> None:
    """`count` open needs across the offices (a third of them with a required language, weekly
    slots or an appointment, expected hours, skills), and some history: proposals still pending,
    declined ones and matched needs, so load and "not asked before" have something to count."""
    from app.accounts.models import User
    from app.core.timeutil import utcnow
    from app.matching.models import Need, NeedState, NeedTiming, Proposal, ProposalState, need_skills
    from app.offices.models import District
    from app.people.models import ChoiceItem

    with app.app_context():
        now = utcnow()
        districts = db.session.execute(select(District.id, District.office_id)).all()
        categories = list(db.session.scalars(select(ChoiceItem.id).where(
            ChoiceItem.list_name == ChoiceItem.NEED_CATEGORIES)))
        skills = list(db.session.scalars(select(ChoiceItem.id).where(ChoiceItem.list_name == ChoiceItem.SKILLS)))
        volunteers = list(db.session.scalars(select(User.id).where(User.email.like("v%@bench.example"))))
        first = (db.session.scalar(select(func.max(Need.id))) or 0) + 1
        needs, nskills, proposals = [], [], []
        history = count // 4  # matched / proposed needs besides the open ones
        for k in range(count + history):
            nid = first + k
            district_id, office_id = rng.choice(districts)
            timing = rng.choice(list(NeedTiming))
            slots = 0
            if timing == NeedTiming.WEEKLY:
                for _ in range(rng.randint(1, 3)):
                    slots |= 1 << rng.randrange(21)
            elif timing == NeedTiming.AT:
                slots = 1 << rng.randrange(21)
            required = rng.choice(NEED_LANGS) if rng.random() < 0.35 else None
            state = NeedState.OPEN if k < count else rng.choice([NeedState.MATCHED, NeedState.PROPOSED])
            matched = rng.choice(volunteers) if state == NeedState.MATCHED else None
            created = now - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1440))
            needs.append(dict(id=nid, office_id=office_id, district_id=district_id, category_id=rng.choice(categories),
                              case_code=f"B-{nid:05d}", household_size=rng.randint(1, 7),
                              household_languages=",".join(rng.sample(NEED_LANGS, rng.randint(0, 2))),
                              helpful_languages=",".join(rng.sample(NEED_LANGS, rng.randint(0, 2))),
                              required_language=required, required_level=rng.randint(1, 3) if required else None,
                              timing=timing, starts_at=now + timedelta(days=rng.randint(1, 20))
                              if timing == NeedTiming.AT else None, slots=slots,
                              expected_hours=rng.choice([None, 1.0, 2.0, 3.0, 4.0, 6.0]),
                              description="Begleitung", ongoing=rng.random() < 0.2, state=state,
                              state_changed_at=created, matched_user_id=matched,
                              matched_at=created if matched else None, outcome="", close_reason="",
                              created_by_id=coordinator_id, created_at=created, updated_at=created))
            for item in rng.sample(skills, rng.randint(0, 2)):
                nskills.append(dict(need_id=nid, item_id=item))
            if state == NeedState.PROPOSED:
                proposals.append(dict(need_id=nid, user_id=rng.choice(volunteers), state=ProposalState.PENDING,
                                      deadline=now + timedelta(days=3), shared_text="x", created_at=now
                                      - timedelta(days=rng.randint(0, 20))))
            elif state == NeedState.OPEN and rng.random() < 0.2:  # asked before, declined
                proposals.append(dict(need_id=nid, user_id=rng.choice(volunteers), state=ProposalState.DECLINED,
                                      deadline=now, shared_text="x", created_at=now - timedelta(days=10)))
        for model, rows in [(Need, needs), (need_skills, nskills), (Proposal, proposals)]:
            for i in range(0, len(rows), 5000):
                db.session.execute(insert(model), rows[i:i + 5000])
        db.session.commit()
        _after_fill()


def _after_fill() -> None:
    people_data.after_fill(("users", "volunteer_languages", "consent_records", "needs", "proposals"))


def _median_seconds(fn, repeats: int, clock=time.perf_counter) -> float:
    times = []
    for _ in range(repeats):
        started = clock()
        fn()
        times.append(clock() - started)
    return statistics.median(times)


def _statements(app, fn) -> tuple[int, object]:
    with app.app_context():
        engine = db.engine
    statements: list[str] = []
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(statements), result


def report(app, client, office_id: int, coordinator_id: int, label: str, volunteers: int, repeats: int) -> None:
    from app.accounts.models import User
    from app.matching import batch as batch_svc
    from app.matching.assignment import total_score
    from app.matching.candidates import candidates_for
    from app.matching.models import Need, NeedState, NeedTiming
    from app.people.models import volunteer_offices

    print(f"\n== {volunteers} volunteers ({label})")
    with app.test_request_context():
        office_people = db.session.scalar(select(func.count()).select_from(volunteer_offices)
                                          .where(volunteer_offices.c.office_id == office_id))
        open_needs = db.session.scalar(select(func.count(Need.id)).where(Need.state == NeedState.OPEN))
        print(f"open needs in all offices: {open_needs}; volunteers working with the office: {office_people}")
        picks = {
            "required language": db.session.scalar(select(Need.id).where(
                Need.office_id == office_id, Need.state == NeedState.OPEN, Need.required_language.is_not(None))
                .order_by(Need.id).limit(1)),
            "flexible, no language": db.session.scalar(select(Need.id).where(
                Need.office_id == office_id, Need.state == NeedState.OPEN, Need.required_language.is_(None),
                Need.timing == NeedTiming.FLEXIBLE).order_by(Need.id).limit(1)),
        }
        for what, need_id in picks.items():
            need = db.session.get(Need, need_id)
            need.skills  # loaded, as the page does
            got = []
            seconds = _median_seconds(lambda: got.append(len(candidates_for(need, limit=50))), repeats)
            cpu = _median_seconds(lambda: candidates_for(need, limit=50), repeats, clock=time.process_time)
            everyone = len(candidates_for(need, limit=None))
            print(f"candidate list ({what}): {seconds * 1000:7.1f} ms median of {repeats} "
                  f"(this process's CPU {cpu * 1000:.1f} ms); {everyone} eligible, 50 shown")
            db.session.rollback()
    for what, need_id in picks.items():
        path = f"/matching/needs/{need_id}"
        client.get(path)
        n_sql, response = _statements(app, lambda: client.get(path))
        assert response.status_code == 200, (path, response.status_code)
        seconds = _median_seconds(lambda: client.get(path), max(3, repeats // 2))
        print(f"need page {path} ({what}): {n_sql} SQL statements, {seconds * 1000:.1f} ms")

    def run_plan():
        with app.test_request_context():
            return batch_svc.plan(db.session.get(User, coordinator_id), office_id)

    n_sql, plan = _statements(app, run_plan)
    seconds = _median_seconds(run_plan, 3)
    greedy = plan.greedy()  # best pair first, under the same places and hours
    print(f"batch of {len(plan.rows)} needs: {seconds:.2f} s median of 3, {n_sql} SQL statements; "
          f"{plan.volunteers} volunteers pass the office's conditions, {plan.pairs} eligible pairs "
          f"({len(plan.scores)} kept for the solver), {len(plan.assignment)} needs assigned to "
          f"{len(set(plan.assignment.values()))} people; total {plan.total:.1f} vs greedy "
          f"{total_score(greedy, plan.scores):.1f} ({len(greedy)} assigned)")
    tracemalloc.start()
    run_plan()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"batch peak Python memory (tracemalloc): {peak / 2**20:.1f} MiB")
    path = f"/matching/offices/{office_id}/batch"
    started = time.perf_counter()
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    print(f"batch page {path}: {time.perf_counter() - started:.2f} s, {len(response.data) / 1024:.0f} KiB")


def confirm(app, client, office_id: int, rows: int) -> None:
    """POST the batch page as shown, the first `rows` rows with a person chosen ticked: every
    ticked row checked again and proposed (one mail each). Prints seconds, SQL statements, the
    rows sent and refused, the mails queued, and the same form posted again."""
    import re

    from app.mail.models import OutboxMail
    from bench.common import csrf_token

    html = client.get(f"/matching/offices/{office_id}/batch").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "shared_text": "Begleitung zu einem Termin",
            "batch_token": re.search(r'name="batch_token" type="hidden" value="([^"]+)"', html).group(1),
            "need": re.findall(r'name="need" value="(\d+)"', html)}
    ticked = 0
    for need_id in data["need"]:
        select_html = re.search(rf'name="user-{need_id}">(.*?)</select>', html, re.S).group(1)
        chosen = re.search(r'<option value="(\d+)" selected>', select_html)
        if chosen and ticked < rows:
            data[f"user-{need_id}"], data[f"propose-{need_id}"] = chosen.group(1), "y"
            ticked += 1
    with app.app_context():
        mails_before = db.session.scalar(select(func.count(OutboxMail.id)))
    with app.app_context():
        engine = db.engine
    timings: list[tuple[float, str]] = []

    def before(conn, cursor, statement, *args):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, *args):
        timings.append((time.perf_counter() - conn.info.pop("bench_started"), statement))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    started = time.perf_counter()
    try:
        n_sql, response = _statements(app, lambda: client.post(f"/matching/offices/{office_id}/batch/confirm",
                                                               data=data))
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    seconds = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    body = response.get_data(as_text=True)
    with app.app_context():
        mails = db.session.scalar(select(func.count(OutboxMail.id))) - mails_before
    started = time.perf_counter()
    again = client.post(f"/matching/offices/{office_id}/batch/confirm", data=data)
    print(f"\nconfirm of {ticked} ticked rows ({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}): "
          f"{seconds:.2f} s, {n_sql} SQL statements ({n_sql / max(ticked, 1):.1f} per row); "
          f"{mails} mails queued, {body.count('/matching/needs/')} rows in the result; the same form again: "
          f"status {again.status_code} in {time.perf_counter() - started:.2f} s")
    in_sql = sum(t for t, _s in timings)
    slowest = ", ".join(f"{t * 1000:.0f} ms {' '.join(s.split()[:4])[:40]}…" for t, s in sorted(timings, reverse=True)[:3])
    print(f"  of which in SQL {in_sql:.2f} s; slowest: {slowest}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--volunteers", type=int, default=20000)
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--needs", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--confirm-rows", default="60,300",
                        help="rows ticked in each confirm, one confirm after the other (comma-separated)")
    parser.add_argument("--confirm-only", action="store_true",
                        help="only fill the database (--small volunteers) and time the confirms")
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
        office = db.session.scalar(select(Office).where(Office.slug == OFFICE_SLUG))
        hashed = hash_password(PASSWORD)
        coordinator = User(email="coord@bench.example", name="Koordination", role=Role.COORDINATOR,
                           password_hash=hashed, confirmed_at=utcnow(), offices=[office])
        db.session.add_all([User(email="admin@bench.example", name="Admin", role=Role.ADMIN, password_hash=hashed,
                                 confirmed_at=utcnow()), coordinator])
        db.session.commit()
        office_id, office_name, coordinator_id = office.id, office.name, coordinator.id
    rng = random.Random(14)
    started = time.perf_counter()
    fill_volunteers(app, 1000, args.small, rng)
    fill_needs(app, args.needs, rng, coordinator_id)
    print(f"database: {url.split(':')[0]}; filled {args.small} volunteers and {args.needs} open needs "
          f"in {time.perf_counter() - started:.1f} s; coordinator of {office_name}")
    client = app.test_client()
    login(client, "coord@bench.example", PASSWORD)
    if args.confirm_only:
        for rows in (int(x) for x in args.confirm_rows.split(",") if x.strip()):
            confirm(app, client, office_id, rows)
        if tmp:
            tmp.cleanup()
        return
    report(app, client, office_id, coordinator_id, "small", args.small, args.repeats)
    started = time.perf_counter()
    fill_volunteers(app, 1000 + args.small, args.volunteers - args.small, rng)
    print(f"\nfilled {args.volunteers - args.small} more volunteers in {time.perf_counter() - started:.1f} s")
    report(app, client, office_id, coordinator_id, "large", args.volunteers, args.repeats)
    for rows in (int(x) for x in args.confirm_rows.split(",") if x.strip()):
        confirm(app, client, office_id, rows)
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
