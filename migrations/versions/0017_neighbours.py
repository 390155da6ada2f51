"""district neighbours checked against the city's descriptions: Lütgendortmund and Mengede do
not share a border, Innenstadt-Nord and Brackel do (data only; where the districts exist by name)

Revision ID: 0017_neighbours
Revises: 0016_urgent
Create Date: 2026-12-02 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_neighbours'
down_revision = '0016_urgent'
branch_labels = None
depends_on = None

districts = sa.table('districts', sa.column('id', sa.Integer), sa.column('name', sa.String))
pairs = sa.table('district_neighbours', sa.column('district_id', sa.Integer), sa.column('neighbour_id', sa.Integer))


def _ids(conn, *names):
    found = dict(conn.execute(sa.select(districts.c.name, districts.c.id).where(districts.c.name.in_(names))).all())
    return [found.get(n) for n in names]


def _remove(conn, a, b):
    x, y = _ids(conn, a, b)
    if x and y:
        conn.execute(pairs.delete().where(sa.or_(sa.and_(pairs.c.district_id == x, pairs.c.neighbour_id == y),
                                                 sa.and_(pairs.c.district_id == y, pairs.c.neighbour_id == x))))


def _add(conn, a, b):
    x, y = _ids(conn, a, b)
    if x and y:
        for p, q in ((x, y), (y, x)):
            if conn.execute(sa.select(sa.func.count()).select_from(pairs).where(
                    pairs.c.district_id == p, pairs.c.neighbour_id == q)).scalar() == 0:
                conn.execute(pairs.insert().values(district_id=p, neighbour_id=q))


def upgrade():
    conn = op.get_bind()
    _remove(conn, 'Lütgendortmund', 'Mengede')
    _add(conn, 'Innenstadt-Nord', 'Brackel')


def downgrade():
    conn = op.get_bind()
    _remove(conn, 'Innenstadt-Nord', 'Brackel')
    _add(conn, 'Lütgendortmund', 'Mengede')
