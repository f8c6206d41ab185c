"""Baselines for the load benchmark, served the same way as the API.

- ``POST /api/v1/mandate-checks``: a bare FastAPI endpoint taking the same JSON body, with no
  database or policy (the baseline the issue names);
- ``POST /floor/one-select``: the same, plus one ``SELECT`` in a transaction from the pool;
- ``POST /floor/check-io``: the database work a check cannot do without, and nothing else: two
  indexed ``SELECT``s and one audit ``INSERT``, committed; no token, policy or validation.
- ``POST /bare/async``: the bare endpoint as ``async def`` (no thread-pool hop);
- ``POST /floor/one-statement``: the durable floor of an audited check: ``async def``, the
  project's own access-token check (``current_client``'s cache, ES256 once per token), and
  ONE statement in autocommit on a psycopg async pool that finds the service, person and
  representative by indexed columns, looks for a mandate and INSERTs an audit row.

The floors show what share of the bare endpoint's throughput any endpoint that reads the
database, or reads and writes its audit row, can reach on the same machine.
"""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel
from sqlalchemy import insert, select, text

from api.v1.token_cache import VerifiedTokens
from machtigen.audit.models import AuditEvent
from machtigen.clients.keys import ApiTokenConfig
from machtigen.clients.service import verified_access_token
from machtigen.config import get_settings
from machtigen.db import make_engine, session_factory
from machtigen.identity.models import Person
from machtigen.identity.tokens import InvalidToken
from machtigen.keys import ACCESS_TOKEN, require
from machtigen.mandates.check_pg import open_pool
from machtigen.mandates.models import MandateScope


class Body(BaseModel):
    representative: dict[str, str]
    personBsn: str
    serviceCode: str
    action: str = "read"


ONE_STATEMENT = """
WITH s AS (SELECT id FROM service WHERE afnemer_id = %(afnemer)s AND code = %(code)s),
p AS (SELECT id FROM person WHERE bsn = %(person)s),
r AS (SELECT id FROM person WHERE bsn = %(rep)s),
o AS (SELECT id FROM office WHERE kvk_number = %(kvk)s),
b AS (
  SELECT ms.mandate_id FROM mandate_scope ms JOIN mandate m ON m.id = ms.mandate_id
  WHERE ms.represented_person_id = (SELECT id FROM p) AND ms.service_id = (SELECT id FROM s)
    AND ms.action = 'read' AND ms.lapsed_by_measure_id IS NULL AND m.status = 'active'
    AND (m.representative_person_id = (SELECT id FROM r)
         OR m.representative_office_id = (SELECT id FROM o))
    AND m.valid_from <= %(at)s AND m.valid_until > %(at)s
  LIMIT 1),
ins AS (
  INSERT INTO audit_event (occurred_at, action, actor_kind, actor_id, actor_name,
    subject_person_id, object_type, object_id, detail, event_id, mac_key_id, mac)
  SELECT %(at)s, 'benchmark.floor', 'afnemer', %(afnemer_text)s, '', (SELECT id FROM p),
    'service', (SELECT id FROM s)::text, json_build_object('allowed', (SELECT count(*) FROM b) > 0),
    %(event_id)s, 'benchmark', %(mac)s
  RETURNING 1)
SELECT (SELECT mandate_id FROM b), (SELECT count(*) FROM ins)
"""


def create_app() -> FastAPI:
    settings = get_settings()
    pools: list[Any] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = open_pool(
            settings.database_url,
            min_size=settings.db_pool_size,
            max_size=settings.db_pool_size + settings.db_max_overflow,
            timeout=settings.db_pool_timeout_seconds,
            statement_timeout_ms=settings.db_statement_timeout_ms,
        )
        await pool.open()
        pools.append(pool)
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)
    factory = session_factory(make_engine(os.environ["MACHTIGEN_DATABASE_URL"]))
    now = datetime.now(UTC)
    keyset = require(settings, (ACCESS_TOKEN,))[ACCESS_TOKEN]
    config = ApiTokenConfig.for_public_url(
        settings.public_url, keyset, settings.access_token_seconds, now
    )
    issuer = config.access_token_issuer(now)
    tokens = VerifiedTokens()

    def client_of(request: Request) -> Any:
        token = request.headers.get("authorization", "").partition(" ")[2].strip()
        at = datetime.now(UTC)
        identity = tokens.get(token, at.timestamp())
        if identity is None:
            try:
                verified = verified_access_token(token, issuer, at)
            except InvalidToken as error:
                raise HTTPException(401) from error
            tokens.remember(token, verified)
            identity = verified.client
        return identity

    @app.post("/bare/async")
    async def bare_async(body: Body) -> dict[str, object]:
        return {"allowed": False, "reason": "no_representation", "at": None}

    @app.post("/floor/one-statement")
    async def one_statement(body: Body, request: Request) -> dict[str, object]:
        client = client_of(request)
        at = datetime.now(UTC)
        async with pools[0].connection() as connection:
            cursor = await connection.execute(
                ONE_STATEMENT,
                {
                    "afnemer": client.afnemer_id,
                    "afnemer_text": str(client.afnemer_id),
                    "code": body.serviceCode,
                    "person": body.personBsn,
                    "rep": body.representative.get("bsn"),
                    "kvk": body.representative.get("kvkNumber"),
                    "at": at,
                    "event_id": uuid.uuid4(),
                    "mac": os.urandom(32),
                },
            )
            mandate, _ = await cursor.fetchone()
        return {"allowed": mandate is not None, "mandateId": mandate, "at": at}

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
