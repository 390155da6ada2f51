"""App-level commands: `flask seed-demo`, `flask load-reference`, `flask jobs …`."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

import click
from flask import Flask
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Periodic jobs: what runs when, and running them (for cron).")


def _period(every: timedelta) -> str:
    seconds = int(every.total_seconds())
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if unit == 'day' and n != 1 else ''}"
    return f"{seconds} s"


def _when(value: datetime | None) -> str:
    from app.core.timeutil import to_local

    return to_local(value).strftime("%Y-%m-%d %H:%M %Z") if value else "-"


@jobs_cli.command("list")
def jobs_list():
    """Every registered job: period, next run, how the last run went."""
    from app.core.jobs import job_states, registered_jobs

    states = job_states()
    rows = [("name", "every", "next run", "last run", "last result")]
    for job in registered_jobs():
        state = states.get(job.name)
        if state is None:
            rows.append((job.name, _period(job.every), "due now (never run)", "-", "-"))
            continue
        if state.last_error:
            outcome = f"failed: {state.last_error}"
        elif state.last_finished_at is None and state.last_started_at is not None:
            outcome = "running or interrupted"
        else:
            outcome = "-" if state.last_result is None else str(state.last_result)
        rows.append((job.name, _period(job.every), _when(state.next_run_at),
                     _when(state.last_started_at), outcome))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[4])


@jobs_cli.command("run")
@click.argument("name", required=False)
@click.option("--force", is_flag=True, help="Run even if not due yet (the period starts again now).")
def jobs_run(name: str | None, force: bool):
    """Run the jobs that are due (or only NAME), each at most once per period, also with
    several schedulers at once (for cron, e.g. every 5 minutes, with JOBS_ENABLED=0 in the
    mail worker). Exits 1 if a job failed."""
    from app.core.jobs import get_job, job_states, registered_jobs, run_due_jobs

    if name is not None and get_job(name) is None:
        known = ", ".join(j.name for j in registered_jobs())
        raise click.BadParameter(f"no job named {name!r}; known: {known}", param_hint="NAME")
    outcomes = run_due_jobs(names=[name] if name else None, force=force)
    for outcome in outcomes:
        if outcome.error:
            click.echo(f"{outcome.name}: failed: {outcome.error}")
        else:
            click.echo(f"{outcome.name}: {outcome.result}")
    if name is not None and not outcomes:
        state = job_states().get(name)
        click.echo(f"{name}: not due; next run {_when(state.next_run_at if state else None)} "
                   "(--force runs it now)")
    elif not outcomes:
        click.echo("nothing due")
    if any(o.error for o in outcomes):
        raise SystemExit(1)


# Areas add their reference data with `register_reference_loader(name, fn)` (core imports no area).
REFERENCE_LOADERS: list[tuple[str, "Callable[[], object]"]] = []


def register_reference_loader(name: str, fn) -> None:
    if all(n != name for n, _ in REFERENCE_LOADERS):
        REFERENCE_LOADERS.append((name, fn))


def register_cli(app: Flask) -> None:
    app.cli.add_command(jobs_cli)

    @app.cli.command("load-reference")
    def load_reference():
        """Load districts, offices, satellites, skill and need lists, consent texts (idempotent)."""
        from app.offices.reference import load_reference_data
        from app.people.reference import load_people_reference

        click.echo(f"reference data: {load_reference_data()}")
        click.echo(f"people lists and consent texts: {load_people_reference()}")
        for name, loader in REFERENCE_LOADERS:
            click.echo(f"{name}: {loader()}")

    @app.cli.command("purge-used-links")
    @click.option("--days", default=30, show_default=True, help="Keep spent link ids this long.")
    def purge_used_links(days: int):
        """Forget spent single-use link ids older than every link's lifetime (for cron)."""
        from app.core.tokens import purge_used

        click.echo(f"purged {purge_used(days)} spent link ids")

    @app.cli.command("seed-demo")
    @click.option("--volunteers", default=300, show_default=True)
    @click.option("--only-if-empty", is_flag=True, help="Do nothing if accounts exist (for make run).")
    def seed_demo(volunteers: int, only_if_empty: bool):
        """Build deterministic demo data; running it twice changes nothing."""
        from app.core.demo import DEMO_LOGINS, seed_demo as run

        created = run(volunteers=volunteers, only_if_empty=only_if_empty)
        click.echo(f"demo data: {created}")
        click.echo("Demo log-ins (password: {}):".format(app.config["DEMO_PASSWORD"]))
        for role, email in DEMO_LOGINS:
            click.echo(f"  {role:<12} {email}")
