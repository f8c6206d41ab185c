"""Baselines for the load benchmark, served the same way as the API.

- ``POST /api/v1/mandate-checks``: a bare FastAPI endpoint taking the same JSON body, with no
  database or policy (the baseline the issue names);
- ``POST /floor/one-select``: the same, plus one ``SELECT`` in a transaction from the pool;
- ``POST /floor/check-io``: the database work a check cannot do without, and nothing else: two
  indexed ``SELECT``s and one audit ``INSERT``, committed; no token, policy or validation.

The floors show what share of the bare endpoint's throughput any endpoint that reads the
database, or reads and writes its audit row, can reach on the same machine.
"""

import os
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import insert, select, text

from machtigen.audit.models import AuditEvent
from machtigen.db import make_engine, session_factory
from machtigen.identity.models import Person
from machtigen.mandates.models import MandateScope


class Body(BaseModel):
    representative: dict[str, str]
    personBsn: str
    serviceCode: str
    action: str = "read"


def create_app() -> FastAPI:
    app = FastAPI()
    factory = session_factory(make_engine(os.environ["MACHTIGEN_DATABASE_URL"]))

    @app.post("/api/v1/mandate-checks")
    def check(body: Body) -> dict[str, object]:
        return {"allowed": False, "reason": "no_representation", "at": None}

    @app.post("/floor/one-select")
    def one_select(body: Body) -> dict[str, object]:
        with factory() as session, session.begin():
            session.execute(text("SELECT 1")).all()
        return {"allowed": False, "reason": "no_representation", "at": None}

    @app.post("/floor/check-io")
    def check_io(body: Body) -> dict[str, object]:
        with factory() as session, session.begin():
            person_id = session.scalar(select(Person.id).where(Person.bsn == body.personBsn))
            session.execute(
                select(MandateScope.id).where(MandateScope.represented_person_id == person_id)
            ).all()
            session.execute(insert(AuditEvent).values(**_event(person_id)))
        return {"allowed": False, "reason": "no_representation", "at": None}

    return app


def _event(person_id: Any) -> dict[str, Any]:
    return {
        "occurred_at": datetime.now(UTC),
        "action": "benchmark.floor",
        "actor_kind": "afnemer",
        "actor_id": "benchmark",
        "subject_person_id": person_id,
        "detail": {},
    }
