"""audit entries can't be changed: a PostgreSQL trigger refuses UPDATE and DELETE

Revision ID: 0009_audit_guard
Revises: 0008_org
Create Date: 2026-12-02 10:00:00

"""
from alembic import op

# The same statements as app.core.audit (copied: a migration must not change with the code).
GUARD_FUNCTION = """CREATE OR REPLACE FUNCTION audit_entries_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit entries cannot be changed or deleted';
END
$$"""
GUARD_TRIGGER = ("CREATE TRIGGER audit_entries_guard BEFORE UPDATE OR DELETE ON audit_entries "
                 "FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse_change()")

# revision identifiers, used by Alembic.
revision = '0009_audit_guard'
down_revision = '0008_org'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: the app has no way to change entries; no trigger
    op.execute(GUARD_FUNCTION)
    op.execute(GUARD_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_entries_guard ON audit_entries")
    op.execute("DROP FUNCTION IF EXISTS audit_entries_refuse_change()")
