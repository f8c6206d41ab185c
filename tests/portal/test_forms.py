"""Reading the mandate form: dates typed either way, scope values, validity in Dutch days."""

from datetime import UTC, date, datetime
from uuid import uuid4

from api.portal.forms import MandateForm, parse_date, parse_uuid
from machtigen.i18n import texts
from machtigen.mandates.models import MandateAction

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_dates_from_a_picker_or_typed_the_dutch_way():
    assert parse_date("2026-12-31") == date(2026, 12, 31)
    assert parse_date(" 31-12-2026 ") == date(2026, 12, 31)
    assert parse_date("31/12/2026") == date(2026, 12, 31)
    assert parse_date("31-02-2026") is None
    assert parse_date("") is None and parse_date(None) is None
    assert parse_uuid("nope") is None


def test_scope_values_are_read_exactly():
    service = uuid4()
    form = MandateForm(scope=[f"{service}:read"], personal_data=True)
    items = form.scope_items()
    assert [(i.service_id, i.action) for i in items] == [
        (service, MandateAction.READ),
        (None, MandateAction.READ_PERSONAL_DATA),
    ]


def test_a_scope_value_our_form_never_sends_refuses_the_whole_scope():
    service = uuid4()
    for garbage in (f"{service}:delete_everything", "garbage", ":read"):
        form = MandateForm(scope=[f"{service}:read", garbage], valid_from="2026-11-23")
        assert form.scope_items() == ()
        form.check(texts("en"), NOW, offices_allowed=False)
        assert form.errors["scope"] == texts("en")["error_422"]


def test_validity_runs_from_now_until_the_end_of_the_last_day_in_amsterdam():
    form = MandateForm(valid_from="2026-11-01", valid_until="2027-06-30")
    starts, ends = form.validity(NOW)
    assert starts == NOW  # a start in the past is now
    assert ends == datetime(2027, 6, 30, 22, 0, tzinfo=UTC)  # 1 July 00:00 in summer time


def test_each_missing_or_unreadable_field_gets_its_own_message():
    form = MandateForm(party="person", valid_from="x", valid_until="2020-01-01")
    form.check(texts("nl"), NOW, offices_allowed=False)
    assert set(form.errors) == {"bsn", "birth_date", "scope", "valid_from", "valid_until"}
    office = MandateForm(party="office", scope=[f"{uuid4()}:read"], valid_from="2026-11-23")
    office.valid_until = "2026-11-22"
    office.check(texts("en"), NOW, offices_allowed=True)
    assert office.errors == {
        "kvk": texts("en")["error_kvk_missing"],
        "valid_until": texts("en")["error_until_before_from"],
    }
    pretend = MandateForm(party="office", kvk="12345678")
    pretend.check(texts("nl"), NOW, offices_allowed=False)
    assert pretend.party == "person" and "bsn" in pretend.errors


def test_all_services_of_an_organisation_stands_for_each_of_its_services():
    town, tax, wmo, rdw, apk = uuid4(), uuid4(), uuid4(), uuid4(), uuid4()
    form = MandateForm(scope=[f"all:{town}:read", f"{tax}:read", f"{apk}:manage_folders"])
    items = form.scope_items({town: [tax, wmo], rdw: [apk]})
    assert [(i.service_id, i.action) for i in items] == [
        (tax, MandateAction.READ),
        (wmo, MandateAction.READ),
        (apk, MandateAction.MANAGE_FOLDERS),
    ], "each once, whether ticked per service or for the whole organisation"
    assert MandateForm(scope=[f"all:{uuid4()}:read"]).scope_items({town: [tax]}) == ()


def test_the_form_shows_dates_as_people_type_them():
    from api.portal.forms import default_validity

    assert default_validity(NOW) == ("23-11-2026", "23-11-2027")
