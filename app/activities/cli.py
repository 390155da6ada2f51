"""`flask activities ...`: list, publish and copy activities from the command line (audited as
the system)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

activities_cli = AppGroup("activities", help="Activities: list, publish, copy.")


@activities_cli.command("list")
@click.option("--state", type=click.Choice(["draft", "published", "cancelled"]), default=None)
@click.option("--office", "office_id", type=int, default=None, help="Only this office's (id).")
@click.option("--limit", type=int, default=100, show_default=True)
def list_activities(state: str | None, office_id: int | None, limit: int):
    """Activities, upcoming first: id, state, next date, office, title."""
    from app.activities import manage
    from app.activities.models import ActivityState
    from app.activities.series import utc_to_local
    from app.extensions import db
    from sqlalchemy.orm import selectinload

    flt = manage.ListFilter(state=ActivityState(state) if state else None, office_id=office_id)
    stmt = manage.list_stmt(None, flt).options(selectinload(manage.Activity.office)).limit(limit)
    for activity, next_at in db.session.execute(stmt):
        when = utc_to_local(next_at).strftime("%Y-%m-%d %H:%M") if next_at else "-"
        click.echo(f"{activity.id:>5}  {activity.state.value:<9}  {when:<16}  {activity.office.name:<28}  "
                   f"{activity.title}")


def _fail(exc) -> None:
    raise click.ClickException(str(exc.message))


@activities_cli.command("publish")
@click.argument("activity_id", type=int)
def publish(activity_id: int):
    """Publish a draft."""
    from app.activities import manage

    try:
        activity = manage.publish(None, activity_id)
    except manage.ManageError as exc:
        _fail(exc)
    click.echo(f"published {activity.id}: {activity.title}")


@activities_cli.command("copy")
@click.argument("activity_id", type=int)
@click.option("--weeks", type=int, required=True, help="Move the dates by this many weeks.")
@click.option("--title", default=None, help="Title of the copy (default: the same).")
def copy(activity_id: int, weeks: int, title: str | None):
    """Copy an activity as a draft, its dates moved by N weeks (next term's course)."""
    from app.activities import manage

    try:
        new = manage.copy_activity(None, activity_id, weeks, title)
    except manage.ManageError as exc:
        _fail(exc)
    click.echo(f"copied {activity_id} to {new.id} (draft, {len(new.dates)} dates): {new.title}")
