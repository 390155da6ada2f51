"""name search: trigram indexes (pg_trgm) for the directory's search by name and e-mail, on
PostgreSQL only (SQLite has no such index and reads every account, which is fast enough there)

pg_trgm ships with PostgreSQL (contrib) and is a trusted extension since PostgreSQL 13: a role
with CREATE on the database (its owner) may create it. Where the extension is neither there nor
allowed (an older server, a role without that right, a managed database that forbids it), the
indexes are left out with a warning and the search works as before, only slower; create the
extension as a superuser (`CREATE EXTENSION pg_trgm;`) and run this migration again
(`flask db downgrade 0018_people_cache && flask db upgrade`) to add them.

Revision ID: 0019_name_search
Revises: 0018_people_cache
Create Date: 2026-12-07 23:45:00

"""
import logging

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_name_search'
down_revision = '0018_people_cache'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def _trigrams(bind) -> bool:
    """Whether pg_trgm is there, creating it when this role may (in a savepoint: a refusal
    doesn't abort the migration's transaction)."""
    if bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first():
        return True
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        return True
    except sa.exc.DBAPIError as exc:
        log.warning("pg_trgm can't be created here (%s); the directory's search works without its "
                    "indexes, only slower (see this migration's text)", str(exc.orig).strip())
        return False


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not _trigrams(bind):
        return
    op.create_index('ix_users_name_trgm', 'users', [sa.text('lower(name) gin_trgm_ops')], postgresql_using='gin')
    op.create_index('ix_users_email_trgm', 'users', [sa.text('email gin_trgm_ops')], postgresql_using='gin')


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_users_email_trgm")
    op.execute("DROP INDEX IF EXISTS ix_users_name_trgm")
    # the extension stays: something else in the database may use it
