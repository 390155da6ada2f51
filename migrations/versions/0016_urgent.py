"""urgent calls: a slot short shortly before its date, mailed to the best-fitting few

Revision ID: 0016_urgent
Revises: 0014_public
Create Date: 2026-12-02 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_urgent'
down_revision = '0015_matching'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activity_urgent_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('places', sa.SmallInteger(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_activity_urgent_calls_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['slot_id'], ['activity_slots.id'], name=op.f('fk_activity_urgent_calls_slot_id_activity_slots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_urgent_calls'))
    )
    op.create_index('ix_activity_urgent_calls_slot', 'activity_urgent_calls', ['slot_id', 'ended_at'], unique=False)
    op.create_table('activity_urgent_invites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.Enum('accepted', 'declined', 'too_late', name='urgentoutcome', native_enum=False, length=20), nullable=True),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['activity_urgent_calls.id'], name=op.f('fk_activity_urgent_invites_call_id_activity_urgent_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_activity_urgent_invites_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_urgent_invites')),
    sa.UniqueConstraint('call_id', 'user_id', name='uq_activity_urgent_invites_person')
    )
    op.create_index('ix_activity_urgent_invites_user_sent', 'activity_urgent_invites', ['user_id', 'sent_at'], unique=False)


def downgrade():
    op.drop_index('ix_activity_urgent_invites_user_sent', table_name='activity_urgent_invites')
    op.drop_table('activity_urgent_invites')
    op.drop_index('ix_activity_urgent_calls_slot', table_name='activity_urgent_calls')
    op.drop_table('activity_urgent_calls')
