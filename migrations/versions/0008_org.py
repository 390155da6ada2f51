"""partner contacts: since when they are a contact of their organisation

Revision ID: 0008_org
Revises: 0007_user_deleted_at

"""
from alembic import op
import sqlalchemy as sa


revision = '0008_org'
down_revision = '0007_user_deleted_at'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_joined_at', sa.DateTime(), nullable=True))
    # contacts that exist already: since their account exists (the best we know)
    op.execute("UPDATE users SET organisation_joined_at = created_at WHERE organisation_id IS NOT NULL")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('organisation_joined_at')
