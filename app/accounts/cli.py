import click
from flask.cli import AppGroup

from app.accounts import services

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create-admin")
@click.option("--email", required=True, help="E-mail address of the administrator.")
@click.option("--password", required=True, help="Password (at least 10 characters).")
@click.option("--name", default="Administrator", show_default=True)
def create_admin(email: str, password: str, name: str) -> None:
    """Create an administrator, or make an existing account one."""
    if len(password) < 10:
        raise click.BadParameter("must have at least 10 characters", param_hint="--password")
    if "@" not in email:
        raise click.BadParameter("is not an e-mail address", param_hint="--email")
    result = services.create_admin(email, password, name, actor=None)  # audited as the system
    click.echo(f"{'Created' if result.created else 'Updated'} administrator {result.user.email}")
