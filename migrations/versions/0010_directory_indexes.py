"""directory indexes: the name and newest sorts of the coordinators' directory walk an index

Revision ID: 0010_directory_indexes
Revises: 0009_audit_guard
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010_directory_indexes'
down_revision = '0009_audit_guard'
branch_labels = None
depends_on = None


def upgrade():
    # WHERE role = 'volunteer' ORDER BY lower(users.name), users.id (the default sort) and
    # ORDER BY volunteer_profiles.created_at DESC, user_id DESC ("newest first")
    op.create_index("ix_users_role_lower_name", "users", ["role", sa.text("lower(name)"), "id"])
    op.create_index("ix_volunteer_profiles_created", "volunteer_profiles", ["created_at", "user_id"])


def downgrade():
    op.drop_index("ix_volunteer_profiles_created", table_name="volunteer_profiles")
    op.drop_index("ix_users_role_lower_name", table_name="users")
