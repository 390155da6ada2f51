import click
from flask.cli import AppGroup

mail_cli = AppGroup("mail", help="The outbox: send, run the worker, reminders.")


@mail_cli.command("send-pending")
@click.option("--limit", type=int, default=None, help="Send at most this many mails.")
def send_pending_cmd(limit):
    """Send what is due once and exit (for cron)."""
    from app.mail.worker import send_pending

    stats = send_pending(limit=limit)
    click.echo("sent {sent}, retried {retried}, failed {failed}, skipped {skipped}".format(**stats.as_dict()))


@mail_cli.command("worker")
@click.option("--poll", type=float, default=None, help="Seconds between rounds when idle.")
def worker_cmd(poll):
    """Send mails continuously until SIGTERM/SIGINT."""
    from app.mail.worker import run_worker

    run_worker(poll_seconds=poll)


@mail_cli.command("mark-bounced")
@click.argument("email")
@click.option("--note", default="")
def mark_bounced_cmd(email, note):
    """Mark an address as permanently bounced: it gets only service mails from now on."""
    from app.mail.services import mark_bounced

    mark_bounced(email, note, actor=None)  # the system: audited without a person
    click.echo(f"{email} marked as bounced")


@mail_cli.command("send-reminders")
def send_reminders_cmd():
    """Queue due reminders, each exactly once however often this runs (for cron)."""
    from app.mail.reminders import send_reminders

    click.echo(f"reminders queued: {send_reminders()}")
