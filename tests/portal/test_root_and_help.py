"""The service's address leads somewhere useful, and the trail's check is explained in words."""

from tests import factories as f
from tests.api_auth.test_login_flow import committed, login


def test_the_root_leads_to_the_login_and_after_login_to_the_portal(client, db):
    first = client.get("/")
    assert first.status_code == 303 and first.headers["location"] == "/portal"
    onwards = client.get("/portal")
    assert onwards.status_code == 303 and onwards.headers["location"] == "/auth/login"
    owner = committed(db, f.person)
    login(client, "digid", bsn=owner.bsn, acr="midden")
    assert client.get("/", follow_redirects=True).url.path == "/portal"


def test_no_command_line_on_the_trail_page_and_a_link_to_the_instructions(client, db):
    owner = committed(db, f.person)
    login(client, "digid", bsn=owner.bsn, acr="midden")
    page = client.get("/portal/activity").text
    assert "machtigen audit" not in page and "--export" not in page
    assert 'href="/help/trail-check"' in page
    help_page = client.get("/help/trail-check")
    assert help_page.status_code == 200 and "text/html" in help_page.headers["content-type"]
    assert "Uw overzicht zelf controleren" in help_page.text
    assert "machtigen audit verify --export" in help_page.text, "the instructions themselves"
    english = client.get("/help/trail-check?lang=en").text
    assert "Checking your overview yourself" in english
