"""public activities: the cache version shared by every app process

Revision ID: 0014_public
Revises: 0013_jobs
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_public'
down_revision = '0013_jobs'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('activity_cache_version',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_cache_version'))
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade():
    op.drop_table('activity_cache_version')
