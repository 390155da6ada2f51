"""Periodic jobs without a hand-written cron.

Areas register their jobs when the app is made (`@periodic_job("mail.reminders",
every=timedelta(minutes=15))` on a function `(now) -> int` that returns how many things it did).
`run_due_jobs()` runs the ones that are due; the mail worker calls it every round (so `make run`
runs the schedule), and `flask jobs run` does the same for an operator's cron.

Two schedulers never run the same job in the same period: the table `scheduled_jobs` holds each
job's `next_run_at`, and a scheduler claims a job with one compare-and-set UPDATE
(`SET next_run_at = now + every … WHERE name = … AND next_run_at <= now`). Only the process whose
UPDATE changed the row runs the job; the others see the moved time and leave it. The period
starts when a job is claimed, so a failing job (logged, its error stored) runs again one period
later and never stops the others. A process that dies during a job does not hand it back: the
job runs again next period (jobs are written to be repeated safely: reminders are de-duplicated,
purges delete what is still old enough).
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from app.core.errors import rollback_quietly
from app.core.models import ScheduledJob
from app.core.timeutil import utcnow
from app.extensions import db

log = logging.getLogger(__name__)

JobFunction = Callable[[datetime], int]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    run: JobFunction

    @property
    def description(self) -> str:
        return ((self.run.__doc__ or "").strip().splitlines() or [""])[0]


@dataclass(frozen=True)
class JobOutcome:
    name: str
    result: int | None  # None: it failed
    error: str | None = None


_registry: dict[str, PeriodicJob] = {}


def periodic_job(name: str, *, every: timedelta) -> Callable[[JobFunction], JobFunction]:
    """Register `fn(now) -> int` to run every `every`. Registering the same function again (a
    second app in the same process) changes nothing; another function under a taken name is
    refused."""
    if not name or len(name) > 64:
        raise ValueError("a job's name has 1 to 64 characters")
    if every <= timedelta(0):
        raise ValueError("a job's period must be positive")

    def register(fn: JobFunction) -> JobFunction:
        known = _registry.get(name)
        if known is not None and _qualname(known.run) != _qualname(fn):
            raise ValueError(f"a job named {name!r} is already registered ({_qualname(known.run)})")
        _registry[name] = PeriodicJob(name, every, fn)
        return fn

    return register


def _qualname(fn: Callable) -> str:
    return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"


def unregister(name: str) -> None:
    _registry.pop(name, None)


def registered_jobs() -> list[PeriodicJob]:
    return [_registry[name] for name in sorted(_registry)]


def get_job(name: str) -> PeriodicJob | None:
    return _registry.get(name)


def default_worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def job_states() -> dict[str, ScheduledJob]:
    """The stored state of every job that has been seen (for `flask jobs list`)."""
    return {row.name: row for row in db.session.scalars(select(ScheduledJob))}


def run_due_jobs(now: datetime | None = None, worker_id: str | None = None, *,
                 names: Iterable[str] | None = None, force: bool = False,
                 claim_context: Callable[[], AbstractContextManager] = nullcontext) -> list[JobOutcome]:
    """Run every registered job (or those in `names`) that is due at `now`, each claimed
    atomically so no other scheduler runs it in the same period; `force` runs them whether due
    or not (an operator's explicit "now"). Returns what ran. A failing job is logged and
    recorded and the others still run; only the database failing escapes (the caller's round
    fails). `claim_context` wraps the scheduler's own statements (not the jobs): the mail
    worker lets a stop signal cut a hanging database short there."""
    now = now or utcnow()
    worker_id = (worker_id or default_worker_id())[:64]
    jobs = registered_jobs()
    if names is not None:
        wanted = set(names)
        unknown = wanted - {j.name for j in jobs}
        if unknown:
            raise KeyError(", ".join(sorted(unknown)))
        jobs = [j for j in jobs if j.name in wanted]
    if not jobs:
        return []
    with claim_context():
        # One cheap read per round tells which jobs are due; only those are claimed.
        known = dict(db.session.execute(
            select(ScheduledJob.name, ScheduledJob.next_run_at)
            .where(ScheduledJob.name.in_([j.name for j in jobs]))).all())
        new = [j.name for j in jobs if j.name not in known]
        if new:  # first sight: due at once; of several schedulers inserting, one row wins
            dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
            db.session.execute(dialect.insert(ScheduledJob)
                               .values([{"name": n, "next_run_at": now} for n in new])
                               .on_conflict_do_nothing(index_elements=["name"]))
            known.update({n: now for n in new})
        db.session.commit()
    outcomes = []
    for job in jobs:
        if not force and known[job.name] > now:
            continue
        with claim_context():
            claimed = _claim(job, now, worker_id, force)
        if claimed:
            outcomes.append(_run(job, now, worker_id))
    return outcomes


def _claim(job: PeriodicJob, now: datetime, worker_id: str, force: bool) -> bool:
    """The compare-and-set: True if this process moved the job's next run on, and so owns it."""
    stmt = (update(ScheduledJob).where(ScheduledJob.name == job.name)
            .values(next_run_at=now + job.every, claimed_by=worker_id, last_started_at=utcnow())
            .returning(ScheduledJob.name)
            .execution_options(synchronize_session=False))
    if not force:
        stmt = stmt.where(ScheduledJob.next_run_at <= now)
    claimed = db.session.execute(stmt).first() is not None
    db.session.commit()
    return claimed


def _run(job: PeriodicJob, now: datetime, worker_id: str) -> JobOutcome:
    log.debug("job %s started (%s)", job.name, worker_id)
    try:
        result = int(job.run(now) or 0)
    except Exception as exc:  # one job's failure must not stop the others
        log.exception("job %s failed", job.name)
        rollback_quietly()
        error = (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)[:500]
        _record(job, worker_id, last_result=None, last_error=error)
        return JobOutcome(job.name, None, error)
    _record(job, worker_id, last_result=result, last_error=None)
    log.info("job %s done: %d (%s)", job.name, result, worker_id)
    return JobOutcome(job.name, result)


def _record(job: PeriodicJob, worker_id: str, **values) -> None:
    db.session.execute(
        update(ScheduledJob).where(ScheduledJob.name == job.name, ScheduledJob.claimed_by == worker_id)
        .values(last_finished_at=utcnow(), **values)
        .execution_options(synchronize_session=False))
    db.session.commit()


@periodic_job("database-statistics", every=timedelta(days=1))
def database_statistics(now) -> int:
    """Refresh SQLite's statistics for the query planner (ANALYZE); PostgreSQL's autovacuum does it.

    Without them SQLite picks its plan blind: the candidates of a need were read starting from
    every volunteer of the city instead of the office's (20,000 rows: 140 ms instead of 20)."""
    if db.engine.dialect.name != "sqlite":
        return 0
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return 1
