"""name search: trigram indexes (pg_trgm) for the directory's search by name and e-mail, on
PostgreSQL only (SQLite has no such index and reads every account, which is fast enough there)

pg_trgm ships with PostgreSQL (contrib) and is a trusted extension since PostgreSQL 13: the
database's owner may create it without being a superuser.

Revision ID: 0019_name_search
Revises: 0018_people_cache
Create Date: 2026-12-07 23:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_name_search'
down_revision = '0018_people_cache'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index('ix_users_name_trgm', 'users', [sa.text('lower(name) gin_trgm_ops')], postgresql_using='gin')
    op.create_index('ix_users_email_trgm', 'users', [sa.text('email gin_trgm_ops')], postgresql_using='gin')


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_users_email_trgm', table_name='users')
    op.drop_index('ix_users_name_trgm', table_name='users')
    # the extension stays: something else in the database may use it
