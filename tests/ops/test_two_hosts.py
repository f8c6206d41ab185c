"""Several hosts: two ``serve`` processes on their own ports against one PostgreSQL database
and one Redis (a redis-server of this test's own, on a free port), sharing the key files.

A token one issues the other accepts, a replayed assertion is refused by the other, the
rate limit is one limit, and two ``jobs`` and two sealers started at once never do a piece
of work twice."""

import json
import os
import shutil
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from machtigen.audit import mac
from machtigen.audit.models import AuditEvent, AuditSeal
from machtigen.authz.actors import OperatorActor
from machtigen.authz.engine import get_authorizer
from machtigen.clients.models import ClientKind
from machtigen.clients.service import ASSERTION_TYPE, register_client
from machtigen.clock import SystemClock
from machtigen.context import Ctx
from machtigen.db import make_engine
from machtigen.keys import AUDIT_MAC, PURPOSES, read_keyset
from machtigen.migrate import upgrade
from machtigen.notifications.models import MessageFollowUp
from tests import factories as f
from tests.conftest import fresh_database
from tests.ops.processes import (
    assert_no_bsn_logged,
    environment,
    free_port,
    run,
    serving,
    start,
    tail,
)
from tests.ops.test_processes import due_messages

CONFIGURED = os.environ.get("MACHTIGEN_TEST_DATABASE_URL")
POSTGRES = bool(CONFIGURED) and not CONFIGURED.startswith("sqlite")
PUBLIC_URL = "http://machtigen.test"

pytestmark = pytest.mark.skipif(
    not POSTGRES, reason="several hosts share a PostgreSQL server (SQLite is one file)"
)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is needed (apt-get install redis-server)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def hosts(tmp_path_factory, redis_url):
    folder = tmp_path_factory.mktemp("hosts")
    with fresh_database(CONFIGURED, folder) as url:
        engine = make_engine(url)
        upgrade(engine)
        env = environment(
            folder,
            url,
            MACHTIGEN_REDIS_URL=redis_url,
            MACHTIGEN_RATE_LIMIT_PER_CLIENT="5/minute",
            MACHTIGEN_PUBLIC_URL=PUBLIC_URL,
            MACHTIGEN_JOB_BATCH_SIZE="10",
            MACHTIGEN_AUDIT_SEAL_BATCH_SIZE="25",
        )
        run(["keys", "generate"], env)
        # What this test writes itself (clients, messages) is signed as the deployment signs.
        previous = mac.current()
        mac.install(read_keyset(PURPOSES[AUDIT_MAC], Path(env["MACHTIGEN_AUDIT_MAC_KEYS_FILE"])))
        ports = free_port(), free_port()
        logs = folder / "host-a.log", folder / "host-b.log"
        with serving([], env, logs[0], ports[0]), serving([], env, logs[1], ports[1]):
            yield engine, env, [f"http://127.0.0.1:{port}" for port in ports], folder
        mac.install(previous.keyset)
        for log in logs:
            assert_no_bsn_logged(log)
        engine.dispose()


def afnemer_client(engine) -> tuple[str, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    with Session(engine, expire_on_commit=False) as session:
        afnemer = f.afnemer(session)
        clock = SystemClock()
        ctx = Ctx(session, OperatorActor("op-1", clock.now()), clock, get_authorizer())
        jwk = {**json.loads(ECAlgorithm.to_jwk(key.public_key())), "kid": "k1", "use": "sig"}
        register_client(
            ctx,
            client_id=afnemer.oin,
            kind=ClientKind.AFNEMER,
            jwks={"keys": [jwk]},
            afnemer_id=afnemer.id,
        )
        session.commit()
        return afnemer.oin, key


def assertion(client_id: str, key) -> str:
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": f"{PUBLIC_URL}/api/v1/oauth2/token",
        "iat": now,
        "nbf": now,
        "exp": now + 120,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": "k1"})


def token_request(base: str, signed: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/v1/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": signed,
        },
        timeout=30,
    )


def test_a_token_from_one_host_works_on_the_other_and_a_replay_fails_there(hosts):
    engine, _env, (a, b), _folder = hosts
    client_id, key = afnemer_client(engine)
    signed = assertion(client_id, key)
    issued = token_request(a, signed)
    assert issued.status_code == 200, issued.text
    token = issued.json()["access_token"]
    events = httpx.get(
        f"{b}/api/v1/events", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert events.status_code == 200, events.text
    replay = token_request(b, signed)
    assert replay.status_code == 401
    assert "replay" in replay.json()["detail"]


def test_the_rate_limit_is_shared_by_both_hosts(hosts):
    engine, _env, (a, b), _folder = hosts
    client_id, key = afnemer_client(engine)
    token = token_request(a, assertion(client_id, key)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    answers = [
        httpx.get(f"{host}/api/v1/events", headers=headers, timeout=30).status_code
        for host in (a, b, a, b, a, b, a)
    ]
    assert answers[:5] == [200] * 5, answers
    assert answers[5:] == [429, 429], "one limit of 5 a minute, not 5 per host"


def test_two_jobs_and_two_sealers_at_once_never_do_work_twice(hosts):
    engine, env, _hosts, folder = hosts
    with Session(engine) as session:
        due_messages(session, 120)
    runs = [start(["jobs", "--only", "reminders"], env, folder / f"jobs-{n}.log") for n in range(2)]
    for n, process in enumerate(runs):
        assert process.wait(timeout=120) == 0, tail(folder / f"jobs-{n}.log")
    outputs = [(folder / f"jobs-{n}.log").read_text() for n in range(2)]
    assert any("reminders: 120 done" in output for output in outputs), outputs
    with engine.connect() as connection:
        reminded = connection.scalar(
            select(func.count()).where(MessageFollowUp.reminded_at.is_not(None))
        )
        twice = connection.execute(
            text(
                "SELECT object_id FROM audit_event WHERE action = 'message.reminder'"
                " GROUP BY object_id HAVING count(*) > 1"
            )
        ).all()
    assert reminded == 120 and not twice

    sealers = [start(["audit", "seal"], env, folder / f"seal-{n}.log") for n in range(2)]
    for n, process in enumerate(sealers):
        assert process.wait(timeout=120) == 0, tail(folder / f"seal-{n}.log")
    with engine.connect() as connection:
        events = connection.scalar(select(func.count()).select_from(AuditEvent))
        seals = connection.scalar(select(func.count()).select_from(AuditSeal))
        leaves = connection.scalar(select(func.count(func.distinct(AuditSeal.leaf_index))))
    assert events == seals == leaves
    sealed = [
        int(line.split()[1])
        for n in range(2)
        for line in (folder / f"seal-{n}.log").read_text().splitlines()
        if line.startswith("sealed ")
    ]
    assert sum(sealed) == events, sealed
    verified = run(["audit", "verify"], env)
    assert verified.startswith("OK the audit log"), verified
