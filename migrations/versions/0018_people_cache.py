"""people cache: the version of the coordinators' directory's kept table, shared by every app
process; an index for counting the directory's matches

Revision ID: 0018_people_cache
Revises: 0017_neighbours
Create Date: 2026-12-02 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_people_cache'
down_revision = '0017_neighbours'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('people_cache_version',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people_cache_version'))
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])
    op.create_index('ix_users_role_deleted', 'users', ['role', 'deleted_at'], unique=False)


def downgrade():
    op.drop_index('ix_users_role_deleted', table_name='users')
    op.drop_table('people_cache_version')
