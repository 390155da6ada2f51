"""Periodic jobs (app/core/jobs.py): each runs once per period however often and by however
many schedulers it is asked; a failing one is recorded and stops nothing; the mail worker runs
the schedule; `flask jobs list` and `flask jobs run`."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.core import jobs
from app.core.jobs import periodic_job, run_due_jobs
from app.core.models import ScheduledJob
from app.extensions import db
from tests.conftest import PG_URL

T0 = datetime(2026, 12, 7, 9, 0)


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test's own jobs (the real ones are checked separately)."""
    monkeypatch.setattr(jobs, "_registry", {})
    return jobs._registry


class Counter:
    def __init__(self, result: int = 1):
        self.calls: list[datetime] = []
        self.result = result
        self.lock = threading.Lock()

    def __call__(self, now):
        with self.lock:
            self.calls.append(now)
        return self.result


def state(name: str) -> ScheduledJob:
    return db.session.scalar(select(ScheduledJob).where(ScheduledJob.name == name))


def test_the_areas_register_their_jobs_when_the_app_is_made(app):
    registered = {job.name: job.every for job in jobs.registered_jobs()}
    assert registered["send-reminders"] == timedelta(minutes=15)
    assert registered["purge-used-links"] == timedelta(days=1)
    assert registered["purge-sessions"] == timedelta(days=1)
    from app.accounts.services import purge_sessions_job
    from app.core.tokens import purge_used_job
    from app.mail.reminders import send_reminders

    assert jobs.get_job("send-reminders").run is send_reminders
    assert jobs.get_job("purge-used-links").run is purge_used_job
    assert jobs.get_job("purge-sessions").run is purge_sessions_job


def test_a_name_is_taken_once(registry):
    periodic_job("one", every=timedelta(hours=1))(Counter())
    with pytest.raises(ValueError, match="already registered"):
        periodic_job("one", every=timedelta(hours=1))(lambda now: 0)
    with pytest.raises(ValueError):
        periodic_job("two", every=timedelta(0))
    with pytest.raises(ValueError):
        periodic_job("x" * 65, every=timedelta(hours=1))


def test_a_job_runs_once_per_period_however_often_it_is_asked(app, registry):
    hourly, daily = Counter(3), Counter(0)
    periodic_job("hourly", every=timedelta(hours=1))(hourly)
    periodic_job("daily", every=timedelta(days=1))(daily)
    with app.app_context():
        first = run_due_jobs(now=T0, worker_id="w1")
        assert [(o.name, o.result) for o in first] == [("daily", 0), ("hourly", 3)]
        for minutes in (0, 0, 1, 30, 59):
            assert run_due_jobs(now=T0 + timedelta(minutes=minutes), worker_id="w2") == []
        assert [o.name for o in run_due_jobs(now=T0 + timedelta(hours=1), worker_id="w2")] == ["hourly"]
        assert run_due_jobs(now=T0 + timedelta(hours=1, minutes=5), worker_id="w1") == []
        assert hourly.calls == [T0, T0 + timedelta(hours=1)] and daily.calls == [T0]
        row = state("hourly")
        assert (row.next_run_at, row.claimed_by, row.last_result, row.last_error) == (
            T0 + timedelta(hours=2), "w2", 3, None)
        assert row.last_started_at is not None and row.last_finished_at >= row.last_started_at
        assert state("daily").next_run_at == T0 + timedelta(days=1)


def test_a_failing_job_records_its_error_and_the_others_still_run(app, registry, caplog):
    before, after = Counter(), Counter()
    attempts = []

    def broken(now):
        """Fails every time."""
        attempts.append(now)
        db.session.execute(select(ScheduledJob))  # leaves a transaction open, as real jobs do
        raise RuntimeError("the calendar server said no")

    periodic_job("a-before", every=timedelta(hours=1))(before)
    periodic_job("b-broken", every=timedelta(hours=1))(broken)
    periodic_job("c-after", every=timedelta(hours=1))(after)
    with app.app_context():
        outcomes = {o.name: o for o in run_due_jobs(now=T0)}
        assert outcomes["b-broken"].result is None
        assert outcomes["b-broken"].error == "RuntimeError: the calendar server said no"
        assert outcomes["a-before"].result == outcomes["c-after"].result == 1
        row = state("b-broken")
        assert row.last_error == "RuntimeError: the calendar server said no" and row.last_result is None
        assert row.next_run_at == T0 + timedelta(hours=1)  # not hammered: next period
        assert run_due_jobs(now=T0 + timedelta(minutes=10)) == []
        again = {o.name: o for o in run_due_jobs(now=T0 + timedelta(hours=1))}
        assert set(again) == {"a-before", "b-broken", "c-after"} and len(attempts) == 2
    assert any("job b-broken failed" in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_job_that_works_again_clears_its_error(app, registry):
    fail = [True]

    def flaky(now):
        if fail[0]:
            raise ValueError("no")
        return 7

    periodic_job("flaky", every=timedelta(minutes=15))(flaky)
    with app.app_context():
        run_due_jobs(now=T0)
        fail[0] = False
        run_due_jobs(now=T0 + timedelta(minutes=15))
        row = state("flaky")
        assert (row.last_result, row.last_error) == (7, None)


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="concurrent schedulers are proven on PostgreSQL (set TEST_DATABASE_URL)")
def test_eight_schedulers_at_the_same_moment_run_each_job_exactly_once(app, registry):
    counters = {name: Counter() for name in ("alpha", "beta", "gamma")}
    for name, counter in counters.items():
        periodic_job(name, every=timedelta(hours=1))(counter)
    errors: list[BaseException] = []
    ran_by: dict[str, list[str]] = {}
    lock = threading.Lock()

    def scheduler(barrier: threading.Barrier, worker: str, now: datetime):
        try:
            with app.app_context():
                db.session.connection()  # its own connection, open before the start signal
                barrier.wait(10)
                outcomes = run_due_jobs(now=now, worker_id=worker)
                with lock:
                    for o in outcomes:
                        ran_by.setdefault(o.name, []).append(worker)
                db.session.remove()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for period, now in enumerate((T0, T0 + timedelta(hours=1), T0 + timedelta(hours=1, minutes=1))):
        ran_by.clear()
        barrier = threading.Barrier(8)
        threads = [threading.Thread(target=scheduler, args=(barrier, f"s{i}", now)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors, errors
        if period < 2:  # the first sight (rows created by racing INSERTs) and the next period
            assert {name: len(workers) for name, workers in ran_by.items()} == {
                "alpha": 1, "beta": 1, "gamma": 1}
        else:  # a minute later: nothing is due
            assert ran_by == {}
    assert all(len(c.calls) == 2 for c in counters.values())
    with app.app_context():
        rows = db.session.scalars(select(ScheduledJob).order_by(ScheduledJob.name)).all()
        assert [r.next_run_at for r in rows] == [T0 + timedelta(hours=2)] * 3
        assert all(r.claimed_by and r.last_result == 1 for r in rows)


def _run_worker_rounds(app, monkeypatch, rounds: int) -> None:
    """The real worker loop in a thread, stopped after `rounds` rounds."""
    from app.mail import worker

    stop = threading.Event()
    seen = []
    original = worker.send_pending

    def counting(**kw):
        stats = original(**kw)
        seen.append(1)
        if len(seen) >= rounds:
            stop.set()
        return stats

    monkeypatch.setattr(worker, "send_pending", counting)

    def run():
        with app.app_context():
            worker.run_worker(stop=stop, poll_seconds=0.01)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(20)
    assert not thread.is_alive() and len(seen) == rounds


def test_the_mail_worker_runs_the_schedule(app, registry, monkeypatch):
    counter = Counter()
    periodic_job("hourly", every=timedelta(hours=1))(counter)
    from app.mail.reminders import Reminder, reminder_source, unregister

    @reminder_source
    def one(now, days):
        return [Reminder(dedupe_key="k1", to="a@example.org", name="A", locale="de",
                         context={"title": "T", "when": "W", "place": "P", "details_link": "L"})]

    from app.mail.reminders import send_reminders

    periodic_job("send-reminders", every=timedelta(minutes=15))(send_reminders)
    from app.extensions import mail

    try:
        with app.app_context(), mail.record_messages() as sent:
            _run_worker_rounds(app, monkeypatch, rounds=4)
            assert len(counter.calls) == 1  # four rounds, one period
            assert state("hourly").claimed_by.count(":") == 2  # the worker's id: host:pid:random
            assert state("send-reminders").last_result == 1
        assert [m.subject for m in sent] == ["Erinnerung: T"]  # queued by the job, sent that round
    finally:
        unregister(one)


def test_jobs_enabled_off_leaves_the_schedule_to_cron(app, registry, monkeypatch):
    counter = Counter()
    periodic_job("hourly", every=timedelta(hours=1))(counter)
    app.config["JOBS_ENABLED"] = False
    _run_worker_rounds(app, monkeypatch, rounds=2)
    assert counter.calls == []
    with app.app_context():
        assert state("hourly") is None


def test_cli_list_and_run(app, registry, runner):
    counter = Counter(5)
    periodic_job("hourly", every=timedelta(hours=1))(counter)

    def broken(now):
        raise RuntimeError("disk full")

    periodic_job("broken", every=timedelta(days=1))(broken)

    result = runner.invoke(args=["jobs", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["name", "every", "next", "run", "last", "run", "last", "result"]
    assert lines[1].startswith("broken") and "1 day" in lines[1] and "never run" in lines[1]
    assert lines[2].startswith("hourly") and "1 h" in lines[2]

    result = runner.invoke(args=["jobs", "run"])
    assert result.exit_code == 1, result.output  # a job failed: cron tells the operator
    assert "broken: failed: RuntimeError: disk full" in result.output and "hourly: 5" in result.output
    assert len(counter.calls) == 1

    result = runner.invoke(args=["jobs", "run", "hourly"])
    assert result.exit_code == 0 and "hourly: not due; next run" in result.output
    assert runner.invoke(args=["jobs", "run"]).output.strip() == "nothing due"
    assert len(counter.calls) == 1

    result = runner.invoke(args=["jobs", "run", "hourly", "--force"])
    assert result.exit_code == 0 and result.output.strip() == "hourly: 5"
    assert len(counter.calls) == 2

    result = runner.invoke(args=["jobs", "list"])
    broken_line = next(line for line in result.output.splitlines() if line.startswith("broken"))
    hourly_line = next(line for line in result.output.splitlines() if line.startswith("hourly"))
    assert broken_line.endswith("failed: RuntimeError: disk full")
    assert hourly_line.endswith(" 5") and "never run" not in hourly_line

    result = runner.invoke(args=["jobs", "run", "nope"])
    assert result.exit_code == 2 and "no job named 'nope'" in result.output


def test_the_real_jobs_run_from_the_cli(app, runner):
    result = runner.invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    assert {line.split(":")[0] for line in result.output.splitlines()} >= {
        "send-reminders", "purge-used-links", "purge-sessions", "database-statistics"}
