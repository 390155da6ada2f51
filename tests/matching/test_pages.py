"""The staff pages end to end: edit, propose through the page, withdraw; another office's need
answers 404 on every action; a volunteer and a partner get 403."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from tests.conftest import csrf_from, submit


def test_edit_propose_withdraw_through_the_pages(app, make, need, client, auth, deliver):
    from app.matching.models import Need, NeedState, Proposal, ProposalState

    office = make.office()
    coordinator = make.coordinator(office)
    volunteer = make.full_volunteer(office, name="Vera Vol")
    need_id = need(office, coordinator, case_code="HH-5")
    auth.login(coordinator)
    page = client.get(f"/matching/needs/{need_id}/edit")
    assert page.status_code == 200 and "HH-5" in page.get_data(as_text=True)
    with app.app_context():
        category = db.session.get(Need, need_id).category_id
    edited = submit(client, f"/matching/needs/{need_id}/edit",
                    {"category_id": category, "case_code": "HH-5b", "timing": "flexible", "ongoing": "y"})
    assert edited.status_code == 302
    with app.app_context():
        assert db.session.get(Need, need_id).case_code == "HH-5b" and db.session.get(Need, need_id).ongoing
    detail = f"/matching/needs/{need_id}"
    empty = submit(client, f"{detail}/propose", {"shared_text": "", "user_id": volunteer.id}, form_url=detail)
    assert empty.status_code == 400
    sent = submit(client, f"{detail}/propose", {"shared_text": "Begleitung zum Amt", "user_id": volunteer.id},
                  form_url=detail)
    assert sent.status_code == 302
    assert len(deliver()) == 1
    with app.app_context():
        proposal_id = db.session.scalar(select(Proposal.id))
    html = client.get(detail).get_data(as_text=True)
    assert "Vera Vol" in html
    gone = client.post(f"/matching/proposals/{proposal_id}/withdraw", data={"csrf_token": csrf_from(html)})
    assert gone.status_code == 302
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).state == ProposalState.WITHDRAWN
        assert db.session.get(Need, need_id).state == NeedState.OPEN


def test_other_office_404_and_non_staff_403(app, make, need, client, auth):
    office, other = make.office(), make.office()
    coordinator = make.coordinator(office)
    outsider = make.coordinator(other)
    volunteer = make.full_volunteer(office)
    need_id = need(office, coordinator)
    auth.login(outsider)
    token = csrf_from(client.get("/matching/needs").get_data(as_text=True))
    for path, data in ((f"/matching/needs/{need_id}/propose", {"shared_text": "x", "user_id": volunteer.id}),
                       (f"/matching/needs/{need_id}/reopen", {}), (f"/matching/needs/{need_id}/done",
                                                                     {"hours_given": "1"}),
                       (f"/matching/needs/{need_id}/edit", {"case_code": "x"})):
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 404, path
    auth.logout()
    auth.login(volunteer)
    for path in ("/matching/needs", f"/matching/needs/{need_id}", "/matching/needs/new"):
        assert client.get(path).status_code == 403
    assert client.get("/my/assignments").status_code == 200
