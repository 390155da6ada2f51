"""matching: needs, proposals (never twice for one need), district neighbours, partnership check-ins

Revision ID: 0015_matching
Revises: 0014_public
Create Date: 2026-12-02 06:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_matching'
down_revision = '0014_public'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('district_neighbours',
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('neighbour_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('district_id <> neighbour_id', name=op.f('ck_district_neighbours_not_itself')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_district_neighbours_district_id_districts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['neighbour_id'], ['districts.id'], name=op.f('fk_district_neighbours_neighbour_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'neighbour_id', name=op.f('pk_district_neighbours'))
    )
    op.create_table('needs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('case_code', sa.String(length=40), nullable=False),
    sa.Column('household_size', sa.SmallInteger(), nullable=True),
    sa.Column('household_languages', sa.String(length=120), nullable=False),
    sa.Column('helpful_languages', sa.String(length=120), nullable=False),
    sa.Column('required_language', sa.String(length=8), nullable=True),
    sa.Column('required_level', sa.SmallInteger(), nullable=True),
    sa.Column('timing', sa.Enum('at', 'weekly', 'flexible', name='needtiming', native_enum=False, length=20), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=True),
    sa.Column('slots', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('expected_hours', sa.Float(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('ongoing', sa.Boolean(), nullable=False),
    sa.Column('state', sa.Enum('open', 'proposed', 'matched', 'done', 'closed', name='needstate', native_enum=False, length=20), nullable=False),
    sa.Column('state_changed_at', sa.DateTime(), nullable=False),
    sa.Column('matched_user_id', sa.Integer(), nullable=True),
    sa.Column('matched_at', sa.DateTime(), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=500), nullable=False),
    sa.Column('hours_given', sa.Float(), nullable=True),
    sa.Column('close_reason', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('household_size IS NULL OR household_size BETWEEN 1 AND 30', name=op.f('ck_needs_household_range')),
    sa.CheckConstraint('required_level IS NULL OR required_level BETWEEN 1 AND 4', name=op.f('ck_needs_level_range')),
    sa.ForeignKeyConstraint(['category_id'], ['choice_items.id'], name=op.f('fk_needs_category_id_choice_items'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_needs_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_needs_district_id_districts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['matched_user_id'], ['users.id'], name=op.f('fk_needs_matched_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_needs_office_id_offices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_needs'))
    )
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_needs_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_matched_user_id'), ['matched_user_id'], unique=False)
        batch_op.create_index('ix_needs_office_state_created', ['office_id', 'state', 'created_at'], unique=False)

    op.create_table('need_check_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('weeks', sa.SmallInteger(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_need_check_ins_need_id_needs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_check_ins')),
    sa.UniqueConstraint('need_id', 'weeks', name='uq_need_check_ins_need_weeks')
    )
    with op.batch_alter_table('need_check_ins', schema=None) as batch_op:
        batch_op.create_index('ix_need_check_ins_due', ['sent_at', 'due_at'], unique=False)

    op.create_table('need_skills',
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['choice_items.id'], name=op.f('fk_need_skills_item_id_choice_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_need_skills_need_id_needs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('need_id', 'item_id', name=op.f('pk_need_skills'))
    )
    with op.batch_alter_table('need_skills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_skills_item_id'), ['item_id'], unique=False)

    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'accepted', 'declined', 'expired', 'withdrawn', name='proposalstate', native_enum=False, length=20), nullable=False),
    sa.Column('deadline', sa.DateTime(), nullable=False),
    sa.Column('shared_text', sa.Text(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_proposals_need_id_needs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_proposals_proposed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_proposals_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals')),
    sa.UniqueConstraint('need_id', 'user_id', name='uq_proposals_need_user')
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_need_id'), ['need_id'], unique=False)
        batch_op.create_index('ix_proposals_state_deadline', ['state', 'deadline'], unique=False)
        batch_op.create_index('ix_proposals_user_created', ['user_id', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_user_created')
        batch_op.drop_index('ix_proposals_state_deadline')
        batch_op.drop_index(batch_op.f('ix_proposals_need_id'))

    op.drop_table('proposals')
    with op.batch_alter_table('need_skills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_skills_item_id'))

    op.drop_table('need_skills')
    with op.batch_alter_table('need_check_ins', schema=None) as batch_op:
        batch_op.drop_index('ix_need_check_ins_due')

    op.drop_table('need_check_ins')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index('ix_needs_office_state_created')
        batch_op.drop_index(batch_op.f('ix_needs_matched_user_id'))
        batch_op.drop_index(batch_op.f('ix_needs_district_id'))
        batch_op.drop_index(batch_op.f('ix_needs_category_id'))

    op.drop_table('needs')
    op.drop_table('district_neighbours')
