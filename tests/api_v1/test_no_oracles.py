"""Issue 12 §2: in the API, something that exists but is not yours is byte-identical to
something that does not exist: status, headers and body.

Every path with an id comes from the OpenAPI document; its parameter must be in ``KINDS``,
so a new endpoint with an id is covered or fails here.
"""

import re
from uuid import uuid4

from tests import factories
from tests.api_v1.test_bola_and_status import deliver
from tests.responses import comparable

KINDS = {"messageId": "message"}


def id_paths(document):
    for path, operations in document["paths"].items():
        for method in operations:
            names = re.findall(r"{(\w+)}", path)
            if names:
                yield method, path, names


def test_not_yours_is_byte_identical_to_does_not_exist(api, session, make_afnemer, login):
    a, b = make_afnemer(), make_afnemer()
    ha, hb = login(a), login(b)
    person = factories.person(session)
    foreign = {"message": deliver(api, hb, person, key="b-1")}
    own = {"message": deliver(api, ha, person, key="a-1")}
    paths = list(id_paths(api.get("/api/v1/openapi.json").json()))
    assert paths
    for method, path, names in paths:
        assert set(names) <= set(KINDS), (path, names)

        def url(ids, path=path, names=names):
            filled = path
            for name in names:
                filled = filled.replace("{" + name + "}", ids[KINDS[name]])
            return f"/api/v1{filled}"

        assert api.request(method.upper(), url(own), headers=ha).status_code == 200
        answers = [
            comparable(api.request(method.upper(), url(ids), headers=ha))
            for ids in (foreign, {"message": str(uuid4())}, {"message": str(uuid4())})
        ]
        assert answers[0][0] == 404, answers[0]
        assert answers[0] == answers[1] == answers[2], (path, answers)
