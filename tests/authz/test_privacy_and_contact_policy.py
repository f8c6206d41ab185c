"""Two choices only the person concerned makes, on the policy matrix's world (every kind of
actor around one person): sharing the read state with an afnemer (rule 8; the person, or a
curator as the account holder in law) and an employee's own e-mail address (rule 12)."""

import pytest

from machtigen.authz.actors import StaffActor
from machtigen.identity.models import OfficeStaff
from tests.authz.test_policy_matrix import _table, world  # noqa: F401 - the fixture

ACTORS = sorted({actor for actor, _column, _expected in _table()})
MAY_SHARE_READ_STATE = {"owner", "eidas_matched", "curatele"}


@pytest.mark.parametrize("actor", ACTORS)
def test_only_the_person_or_a_curator_shares_the_read_state(world, authz, session, actor):  # noqa: F811
    consent = world.resources["consent"]
    allowed = authz.is_allowed(session, world.actors[actor], "share_read_state", consent)
    assert allowed == (actor in MAY_SHARE_READ_STATE), actor


@pytest.mark.parametrize("actor", ACTORS)
def test_an_employees_address_is_theirs_alone(world, authz, session, actor):  # noqa: F811
    staff_rows = [
        session.get(OfficeStaff, a.staff_id)
        for a in world.actors.values()
        if isinstance(a, StaffActor)
    ]
    me = world.actors[actor]
    for row in staff_rows:
        own = isinstance(me, StaffActor) and me.staff_id == row.id
        assert authz.is_allowed(session, me, "manage_contact", row) == own, (actor, row.name)
