"""Schemathesis against the afnemer API in process (ASGI), as an afnemer and as the register.

One harness for the suite's bounded run (``tests/fuzz/test_api_schemathesis.py``) and the
larger run outside it (``tests/fuzz/run_api_fuzz.py``): a fresh migrated database (SQLite, or
PostgreSQL with ``MACHTIGEN_TEST_DATABASE_URL``) with an afnemer, its services, people and a
registered court register client; the app on that database with a frozen clock; schemathesis
generating positive and negative cases for every operation, sending them with each client's
access token and running all its checks on every response.
"""

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwt.algorithms import ECAlgorithm
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from sqlalchemy.orm import Session

from api.main import create_app
from machtigen.afnemers.models import ServiceCategory
from machtigen.authz.actors import OperatorActor
from machtigen.clients.models import ClientKind
from machtigen.clients.service import register_client
from machtigen.clock import FrozenClock
from machtigen.config import Settings
from machtigen.context import Ctx
from machtigen.db import make_engine
from machtigen.migrate import upgrade
from tests import factories
from tests.api_v1.conftest import MachineClient, token_form
from tests.conftest import fresh_database

PUBLIC_URL = "http://127.0.0.1:8000"


@dataclass
class Target:
    app: FastAPI
    tokens: dict[str, str]
    """Authorization header per role: ``afnemer`` and ``register``."""


@dataclass
class Tally:
    """What a run sent and got back."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)
    statuses_by_operation: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


def _jwks(key: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**jwk, "kid": kid, "use": "sig"}]}


def _world(session: Session, clock: FrozenClock) -> list[MachineClient]:
    """An afnemer with two services, people with post and mandates, and the court register."""
    from machtigen.authz.engine import get_authorizer

    ctx = Ctx(session, OperatorActor("op-fuzz", clock.now()), clock, get_authorizer())
    afnemer = factories.afnemer(session, read_state_legal_basis=True)
    services = {
        code: factories.service(session, afnemer, category, code=code)
        for code, category in (
            ("financial", ServiceCategory.FINANCIAL),
            ("personal_care", ServiceCategory.PERSONAL_CARE),
        )
    }
    people = [factories.person(session) for _ in range(4)]
    schemathesis.openapi.format("bsn", st.sampled_from([p.bsn for p in people]))
    """``format: bsn`` is nine digits that pass the elfproef, which no pattern can say; the
    people of this world have such numbers, and so the checks reach the domain."""
    factories.message(session, people[0], services["financial"])
    from machtigen.mandates.models import MandateAction, MeasureKind

    factories.mandate(
        session, people[0], person=people[1], scope=[(services["financial"], MandateAction.READ)]
    )
    factories.measure(session, people[2], MeasureKind.CURATELE, person=people[3])
    afnemer_key, register_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    register_client(
        ctx,
        client_id=afnemer.oin,
        kind=ClientKind.AFNEMER,
        jwks=_jwks(afnemer_key, "fuzz-a"),
        afnemer_id=afnemer.id,
    )
    register_client(
        ctx, client_id="ccbr-fuzz", kind=ClientKind.REGISTER, jwks=_jwks(register_key, "fuzz-r")
    )
    return [
        MachineClient(afnemer.oin, afnemer_key, "fuzz-a"),
        MachineClient("ccbr-fuzz", register_key, "fuzz-r"),
    ]


@contextmanager
def fuzz_target(configured_database: str | None, folder: Path) -> Iterator[Target]:
    with fresh_database(configured_database, folder) as url:
        engine = make_engine(url)
        upgrade(engine)
        clock = FrozenClock(factories.T0)
        with Session(engine, expire_on_commit=False) as session:
            clients = _world(session, clock)
            session.commit()
        engine.dispose()
        app = create_app(
            Settings(
                database_url=url,
                public_url=PUBLIC_URL,
                signing_key_file=str(folder / "signing-key.pem"),
                rate_limit_per_client="1000000/second",
                token_rate_limit_per_ip="1000000/second",
            ),
            clock=clock,
        )
        tokens = {}
        with TestClient(app, base_url="https://testserver") as client:
            for role, machine in zip(("afnemer", "register"), clients, strict=True):
                answer = client.post(
                    "/api/v1/oauth2/token", data=token_form(machine.assertion(clock))
                )
                assert answer.status_code == 200, answer.text
                tokens[role] = f"Bearer {answer.json()['access_token']}"
        yield Target(app, tokens)


def run(target: Target, *, examples: int, tally: Tally | None = None) -> Tally:
    """Every operation, positive and negative cases, each case sent as every role; all checks
    on each answer."""
    tally = tally or Tally()
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", target.app)
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run_operation(operation, mode, target.tokens, examples, tally)
    return tally


def _run_operation(operation, mode, tokens, examples, tally) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def send(case: Any) -> None:
        for role, token in tokens.items():
            label = f"{role} {mode.value} {operation.label}"
            headers = {"Authorization": token}
            response = case.call(headers=headers)
            tally.requests += 1
            tally.statuses[response.status_code] += 1
            tally.by_operation[label] += 1
            tally.statuses_by_operation[label, response.status_code] += 1
            try:
                case.validate_response(response, headers=headers)
            except (FailureGroup, AssertionError) as failure:
                tally.failures.append(f"{label}: {str(failure)[:2000]}")

    send()
