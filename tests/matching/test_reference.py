"""District neighbours: Dortmund's real pairs, both directions, loaded once."""
from sqlalchemy import func, select

from app.extensions import db


def test_neighbours_loaded_symmetrically_and_idempotently(app, runner):
    from app.matching.models import DistrictNeighbour
    from app.matching.reference import NEIGHBOURS, load_neighbours
    from app.offices.models import District
    from app.offices.reference import load_reference_data

    with app.app_context():
        load_reference_data()
        assert load_neighbours() == 2 * len(NEIGHBOURS)
        assert load_neighbours() == 0
        ids = dict(db.session.execute(select(District.name, District.id)).all())
        pairs = set(db.session.execute(select(DistrictNeighbour.district_id, DistrictNeighbour.neighbour_id)).all())
        assert (ids["Hörde"], ids["Aplerbeck"]) in pairs and (ids["Aplerbeck"], ids["Hörde"]) in pairs
        assert (ids["Mengede"], ids["Aplerbeck"]) not in pairs
        # checked against the city's descriptions of the districts
        assert (ids["Lütgendortmund"], ids["Mengede"]) not in pairs
        assert (ids["Innenstadt-Nord"], ids["Brackel"]) in pairs
        near = {a: {b for x, b in pairs if x == a} for a in ids.values()}
        name = {v: k for k, v in ids.items()}
        assert {name[i] for i in near[ids["Mengede"]]} == {"Eving", "Huckarde"}
        assert {name[i] for i in near[ids["Innenstadt-Nord"]]} == {
            "Huckarde", "Eving", "Scharnhorst", "Brackel", "Innenstadt-West", "Innenstadt-Ost"}
        assert {name[i] for i in near[ids["Lütgendortmund"]]} == {"Innenstadt-West", "Hombruch", "Huckarde"}
        assert {name[i] for i in near[ids["Eving"]]} == {"Mengede", "Huckarde", "Innenstadt-Nord", "Scharnhorst"}
        # every district has a neighbour
        assert {a for a, _ in pairs} == set(ids.values())
    result = runner.invoke(args=["load-reference"])
    assert result.exit_code == 0 and "district neighbours: 0" in result.output
