"""App-level commands: `flask seed-demo`, `flask load-reference`."""
import click
from flask import Flask


def register_cli(app: Flask) -> None:
    @app.cli.command("load-reference")
    def load_reference():
        """Load districts, offices, satellites, skill and need lists, consent texts (idempotent)."""
        from app.offices.reference import load_reference_data
        from app.people.reference import load_people_reference

        click.echo(f"reference data: {load_reference_data()}")
        click.echo(f"people lists and consent texts: {load_people_reference()}")

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
