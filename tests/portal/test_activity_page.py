"""The page "what happened on my account": who may see it, what it says, filters, paging,
readable date errors, and downloads that `machtigen audit verify --export` accepts."""

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import pytest
from click.testing import CliRunner

from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.seal import Sealer
from machtigen.audit.service import record
from machtigen.audit.verify import load_export, verify_export
from machtigen.authz.actors import PersonActor
from machtigen.authz.engine import get_authorizer
from machtigen.cli import main
from machtigen.context import Ctx, Origin
from machtigen.identity.models import Person
from machtigen.keys import AUDIT_CHECKPOINT, SigningKey, load_keyset
from machtigen.mandates.models import MandateAction, MeasureKind
from machtigen.messages.models import Message
from tests import factories as f
from tests.api_auth.test_login_flow import committed, hidden, login

MENU_ITEM = 'href="/portal/activity"'


@dataclass
class World:
    owner: Person
    representative: Person
    message: Message


def world(db) -> World:
    def build(s):
        owner = f.person(s, name="Corry")
        representative = f.person(s, name="Lisa")
        tax = f.afnemer(s, name="Belastingdienst", legally_required=True)
        income = f.service(s, tax, ServiceCategory.FINANCIAL)
        message = f.message(s, owner, income)
        f.mandate(s, owner, person=representative, scope=[(income, MandateAction.READ)])
        return World(owner, representative, message)

    return committed(db, build)


def act_for(client, person_id: UUID) -> None:
    csrf = hidden(client.get("/portal").text, "csrf_token")
    switched = client.post(
        "/auth/acting-for", data={"csrf_token": csrf, "person_id": str(person_id)}
    )
    assert switched.status_code == 303


def representative_reads_the_letter(client, w: World) -> None:
    login(client, "digid", bsn=w.representative.bsn, acr="midden")
    act_for(client, w.owner.id)
    assert client.get(f"/portal/messages/{w.message.id}").status_code == 200


def seal(client, app_database, clock) -> SigningKey:
    settings = client.app.state.settings
    keyset = load_keyset(settings, AUDIT_CHECKPOINT)
    key = SigningKey.from_key(keyset.signer(clock.now()))
    Sealer(app_database[0], key, clock, "http://testserver/audit", horizon_wait_seconds=5).run()
    return key


def test_the_person_reads_what_their_representative_did_in_dutch_and_english(client, db):
    w = world(db)
    representative_reads_the_letter(client, w)
    login(client, "digid", bsn=w.owner.bsn, acr="midden")
    home = client.get("/portal").text
    assert MENU_ITEM in home and "Wat is er gebeurd?" in home
    page = client.get("/portal/activity")
    assert page.status_code == 200
    html = page.text
    assert ">Wat is er gebeurd op mijn account?</h1>" in html
    rep = w.representative.full_name
    assert f"opende {rep} een bericht van Belastingdienst" in html
    assert f"begon {rep} namens u te handelen" in html
    assert "logde u in met DigiD (niveau midden) vanaf adres testclient" in html
    assert html.index("logde u in") < html.index(f"opende {rep}"), "newest first"
    english = client.get("/portal/activity?lang=en").text
    assert "What happened on my account?" in english
    assert (
        f"{rep} started acting on your behalf and opened a message from Belastingdienst" in english
    )
    assert "you logged in with DigiD (level midden)" in english


def test_a_voluntary_representative_gets_no_menu_item_and_a_refusal(client, db):
    w = world(db)
    representative_reads_the_letter(client, w)
    assert MENU_ITEM not in client.get("/portal/inbox").text
    for path in ("/portal/activity", "/portal/activity/export.json"):
        refused = client.get(path)
        assert refused.status_code == 403, "may see the account, not its trail"
        assert "text/html" in refused.headers["content-type"]
        assert "U mag dit niet doen" in refused.text
        assert w.owner.given_name in refused.text, "the acting-for banner stays"
    login(client, "digid", bsn=w.owner.bsn, acr="midden")
    trail = client.get("/portal/activity?lang=en").text
    assert "tried to view this overview and was refused (twice)" in trail


def test_a_bewindvoerder_acting_for_a_client_gets_no_menu_item_and_a_refusal(client, db):
    def build(s):
        office = f.office(s)
        ward = f.person(s)
        f.measure(s, ward, MeasureKind.BESCHERMINGSBEWIND, office=office)
        return office, ward

    office, ward = committed(db, build)
    login(client, "eherkenning", kvk=office.kvk_number, employee_id="emp-a", name="Piet", acr="EH3")
    act_for(client, ward.id)
    assert MENU_ITEM not in client.get("/portal").text
    assert client.get("/portal/activity").status_code == 403
    assert client.get("/portal/activity/export.csv").status_code == 403


def test_a_curator_reads_the_clients_trail_and_that_is_in_it(client, db):
    def build(s):
        curator, ward = f.person(s, name="Monique"), f.person(s, name="Sanne")
        f.measure(s, ward, MeasureKind.CURATELE, person=curator)
        return curator, ward

    curator, ward = committed(db, build)
    login(client, "digid", bsn=curator.bsn, acr="midden")
    assert MENU_ITEM in client.get("/portal").text, "her own trail"
    act_for(client, ward.id)
    assert MENU_ITEM in client.get("/portal").text
    page = client.get("/portal/activity")
    assert page.status_code == 200
    assert f"Wat is er gebeurd op het account van {ward.full_name}?" in page.text
    assert f"begon u namens {ward.full_name} te handelen" in page.text, "the reader is u"
    assert "namens u" not in page.text, "u is the curator, not the person"
    again = client.get("/portal/activity").text
    assert "bekeek u dit overzicht" in again


def test_filters_by_kind_who_one_actor_and_period(client, db, clock):
    w = world(db)
    representative_reads_the_letter(client, w)
    clock.advance(timedelta(days=3))
    login(client, "digid", bsn=w.owner.bsn, acr="midden")
    rep = w.representative.full_name

    def shown(query: str) -> str:
        answer = client.get(f"/portal/activity{query}")
        assert answer.status_code == 200
        return answer.text

    messages_only = shown("?kind=message")
    assert f"opende {rep}" in messages_only and "logde u in" not in messages_only
    assert 'value="message" checked' in messages_only
    assert "Alleen deze selectie downloaden" in messages_only
    assert 'href="/portal/activity/export.json?kind=message"' in messages_only
    mine = shown("?who=self")
    assert "logde u in" in mine and rep not in mine.split('id="events-heading"')[1]
    by_actor = shown(f"?actor={w.representative.id}")
    assert f"opende {rep}" in by_actor and "logde u in" not in by_actor
    assert f'value="{w.representative.id}" selected' in by_actor
    first_day = shown("?since=23-11-2026&until=2026-11-23")
    assert f"opende {rep}" in first_day and "logde u in" not in first_day
    later = shown("?since=24-11-2026")
    assert "logde u in" in later and f"opende {rep}" not in later
    nothing = shown("?until=01-01-2020")
    assert "Er zijn geen gebeurtenissen die aan deze filters voldoen." in nothing
    ignored = shown("?kind=nonsense&who=everyone&before=abc")
    assert "logde u in" in ignored and f"opende {rep}" in ignored


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?since=31-02-2026", "since", "Vul een datum in zoals 23-11-2026."),
        ("?since=gisteren&kind=login", "since", "Vul een datum in zoals 23-11-2026."),
        ("?until=12-31-2026", "until", "Vul een datum in zoals 23-11-2026."),
        ("?until=31-12-99999", "until", "Vul een datum in zoals 23-11-2026."),
        ("?since=24-11-2026&until=23-11-2026", "until", "De einddatum ligt voor de begindatum."),
    ],
)
def test_a_bad_date_is_a_readable_422_that_keeps_what_was_typed(client, db, query, field, message):
    w = world(db)
    login(client, "digid", bsn=w.owner.bsn, acr="midden")
    for path in ("/portal/activity", "/portal/activity/export.json"):
        answer = client.get(f"{path}{query}")
        assert answer.status_code == 422
        assert "text/html" in answer.headers["content-type"]
        html = answer.text
        assert f'<a class="utrecht-link" href="#{field}">{message}</a>' in html
        assert f'id="{field}-error"' in html
        typed = re.search(rf"{field}=([^&]*)", query).group(1)
        assert f'name="{field}" value="{typed}"' in html
        assert "Verbeter eerst de datum bij Filteren" in html
        assert "logde u in" not in html


def test_older_events_are_one_link_away(client, db, clock):
    w = world(db)

    def many(s):
        ctx = Ctx(s, PersonActor(w.owner.id, clock.now()), clock, get_authorizer(), Origin())
        for day in range(60):
            clock.advance(timedelta(days=1))
            record(ctx, "account.reminders_changed", subject_person_id=w.owner.id, on=day % 2 == 0)

    committed(db, many)
    login(client, "digid", bsn=w.owner.bsn, acr="midden")
    first = client.get("/portal/activity?who=self").text
    assert first.count("zette u de herinneringen") == 49  # and the login, newest of all
    older = re.search(r'href="/portal/activity(\?who=self&amp;before=\d+)"', first)
    assert older, "a link to older events, keeping the filter"
    second = client.get("/portal/activity" + older.group(1).replace("&amp;", "&")).text
    assert second.count("zette u de herinneringen") == 11
    assert "Terug naar de nieuwste" in second and "Oudere gebeurtenissen" not in second


def test_the_downloads_carry_their_proofs_and_verify(client, db, clock, app_database, tmp_path):
    w = world(db)
    representative_reads_the_letter(client, w)
    login(client, "digid", bsn=w.owner.bsn, acr="midden")
    key = seal(client, app_database, clock)
    page = client.get("/portal/activity").text
    assert "Laatst verzegeld op 23 november 2026, 11:00." in page
    assert "nog niet verzegeld" not in page

    def one_more(s):
        ctx = Ctx(s, PersonActor(w.owner.id, clock.now()), clock, get_authorizer(), Origin())
        record(ctx, "folder.created", subject_person_id=w.owner.id)

    committed(db, one_more)
    page = client.get("/portal/activity").text
    assert "1 gebeurtenis van na dat moment is nog niet verzegeld" in page

    download = client.get("/portal/activity/export.json")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/json"
    assert download.headers["content-disposition"] == (
        'attachment; filename="berichtenbox-overzicht-2026-11-23.json"'
    )
    document = json.loads(download.content)
    assert document["complete"] is True and document["person_id"] == str(w.owner.id)
    actions = {event["action"] for event in document["events"]}
    assert {"session.acting_for", "message.opened", "login"} <= actions
    report = verify_export(document, None)
    assert report.ok and report.sealed == len(document["events"]) >= 3
    exported = tmp_path / "trail.json"
    exported.write_bytes(download.content)
    keys = tmp_path / "jwks.json"
    keys.write_text(json.dumps(key.jwks()))
    checked = CliRunner().invoke(
        main, ["audit", "verify", "--export", str(exported), "--jwks", str(keys)]
    )
    assert checked.exit_code == 0, checked.output
    assert "\nOK export" in checked.output and "3 sealed and checked" in checked.output

    spreadsheet = client.get("/portal/activity/export.csv?kind=message&lang=en")
    assert spreadsheet.status_code == 200
    assert spreadsheet.headers["content-type"] == "text/csv; charset=utf-8"
    assert spreadsheet.headers["content-disposition"] == (
        'attachment; filename="mailbox-activity-selection-2026-11-23.csv"'
    )
    assert spreadsheet.text.startswith("record,seq,occurred_at,text")
    assert "opened a message from Belastingdienst" in spreadsheet.text
    as_file = tmp_path / "trail.csv"
    as_file.write_bytes(spreadsheet.content)
    selection = load_export(as_file)
    assert selection["complete"] is False and selection["filter"]["kinds"] == ["message"]
    assert verify_export(selection, None).ok
    assert [e["action"] for e in selection["events"]] == ["message.opened"]
    assert {e["action"] for e in document["unsealed"]} <= {"folder.created"}


def test_an_office_employee_without_a_client_is_sent_to_the_start(client, db):
    office = committed(db, lambda s: f.office(s))
    login(client, "eherkenning", kvk=office.kvk_number, employee_id="emp-b", name="Sara", acr="EH3")
    answer = client.get("/portal/activity")
    assert (answer.status_code, answer.headers["location"]) == (303, "/portal")
