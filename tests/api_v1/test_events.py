"""GET /api/v1/events: the "person not reached" events, only for the afnemer allowed to know."""

from datetime import timedelta

from machtigen.authz.actors import SystemActor
from machtigen.notifications.models import LetterReason
from machtigen.notifications.paper import escalate
from tests import factories


def test_not_reached_events_page_for_their_own_afnemer_only(
    api, session, login, make_afnemer, ctx_for, clock
):
    sender = make_afnemer(read_state_legal_basis=True)
    other = make_afnemer(read_state_legal_basis=True)
    owner = factories.person(session)
    message = factories.message(
        session, owner, sender.services["financial"], received_at=clock.now() - timedelta(days=40)
    )
    escalate(ctx_for(SystemActor(clock.now(), job="test")), owner.id, LetterReason.UNVISITED)
    session.flush()

    page = api.get("/api/v1/events", headers=login(sender))
    assert page.status_code == 200, page.text
    body = page.json()
    [event] = body["events"]
    assert event["specversion"] == "1.0" and event["subject"] == str(message.id)
    assert body["lastSequence"] == int(event["sequence"])
    assert (
        api.get(f"/api/v1/events?after={body['lastSequence']}", headers=login(sender)).json()[
            "events"
        ]
        == []
    )
    assert api.get("/api/v1/events", headers=login(other)).json()["events"] == []


def test_events_need_a_token_and_sane_paging(api, login, make_afnemer):
    assert api.get("/api/v1/events").status_code == 401
    client = make_afnemer()
    assert api.get("/api/v1/events?pageSize=1000", headers=login(client)).status_code in (400, 422)
