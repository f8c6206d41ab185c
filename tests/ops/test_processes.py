"""Real processes: SIGTERM for serve, send-notifications and jobs; metrics of two workers."""

import asyncio
import os
import re
import sqlite3
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.models import AuditEvent
from machtigen.db import make_engine
from machtigen.leases import JobLease
from machtigen.migrate import upgrade
from machtigen.notifications.models import (
    MessageFollowUp,
    Notification,
    NotificationKind,
    NotificationStatus,
    RecipientKind,
)
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
    terminate,
)

CONFIGURED = os.environ.get("MACHTIGEN_TEST_DATABASE_URL")
POSTGRES = bool(CONFIGURED) and not CONFIGURED.startswith("sqlite")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    folder = tmp_path_factory.mktemp("processes")
    with fresh_database(CONFIGURED, folder) as url:
        engine = make_engine(url)
        upgrade(engine)
        yield engine, url, folder
        engine.dispose()


def hold_api_client_lock(url: str):
    """Another transaction holds a lock that makes any read of ``api_client`` wait."""
    if POSTGRES:
        engine = make_engine(url)
        connection = engine.connect()
        connection.begin()
        connection.exec_driver_sql("LOCK TABLE api_client IN ACCESS EXCLUSIVE MODE")

        def release() -> None:
            connection.rollback()
            connection.close()
            engine.dispose()

        return release
    raw = sqlite3.connect(make_url(url).database, isolation_level=None)
    raw.execute("BEGIN EXCLUSIVE")

    def release_sqlite() -> None:
        raw.execute("ROLLBACK")
        raw.close()

    return release_sqlite


def test_serve_finishes_the_request_in_flight_on_sigterm_and_then_exits(deployment):
    _engine, url, folder = deployment
    port, log = free_port(), folder / "serve-sigterm.log"
    env = environment(folder, url, MACHTIGEN_SHUTDOWN_GRACE_SECONDS="15")
    with serving([], env, log, port) as server:
        release = hold_api_client_lock(url)
        answers: list[int] = []

        def ask() -> None:
            form = {
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4LWNsaWVudCJ9.c2ln",
            }
            response = httpx.post(
                f"http://127.0.0.1:{port}/api/v1/oauth2/token", data=form, timeout=30
            )
            answers.append(response.status_code)

        request = threading.Thread(target=ask)
        request.start()
        time.sleep(1.0)
        assert not answers, "the request should be waiting for the lock"
        started = time.monotonic()
        server.send_signal(15)
        time.sleep(1.5)
        assert server.poll() is None, "serve must not exit while a request is in flight"
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
        release()
        request.join(timeout=20)
        server.wait(timeout=20)
        assert answers == [401], tail(log)
        # uvicorn ends by raising the signal again once it has shut down cleanly
        assert server.returncode in (0, -15), tail(log)
        assert "Application shutdown complete." in log.read_text()
        assert time.monotonic() - started < 15
    assert_no_bsn_logged(log)


def test_the_metrics_of_two_workers_add_up_on_a_port_of_their_own(deployment):
    _engine, url, folder = deployment
    port, metrics_port, log = free_port(), free_port(), folder / "serve-metrics.log"
    env = environment(folder, url, MACHTIGEN_METRICS_PORT=str(metrics_port))
    with serving(["--workers", "2"], env, log, port):
        statuses: list[int] = []

        def ask() -> None:
            statuses.append(httpx.get(f"http://127.0.0.1:{port}/health").status_code)

        threads = [threading.Thread(target=ask) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        exposed = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
        public = httpx.get(f"http://127.0.0.1:{port}/metrics")
    line = re.search(
        r'machtigen_http_requests_total\{client="-",method="GET",route="/health",status="200"\}'
        r" (\d+\.\d+)",
        exposed,
    )
    assert line, exposed[:2000]
    answered = sum(
        1
        for entry in log.read_text().splitlines()
        if '"route": "/health"' in entry and '"status": 200' in entry
    )
    # every worker's answers, added up: ours (admission may shed a few with 503)
    # and those that found the server up
    assert statuses.count(200) >= 10, statuses
    assert float(line.group(1)) == answered >= statuses.count(200) + 1
    assert public.status_code == 404
    assert "machtigen_audit_unsealed_events" in exposed
    assert "machtigen_db_pool_connections_in_use" in exposed
    assert 'machtigen_http_request_duration_seconds_bucket{le="0.005",method="GET"' in exposed


class SlowServer:
    """An SMTP server that takes a second per message and remembers the Message-IDs."""

    def __init__(self) -> None:
        self.received: list[str] = []

    async def handle_DATA(self, _server, _session, envelope) -> str:
        await asyncio.sleep(1.0)
        found = re.search(rb"Message-ID: (<[^>]+>)", envelope.content, re.IGNORECASE)
        self.received.append(found.group(1).decode() if found else "?")
        return "250 OK"


def outbox(session: Session, person, count: int) -> list[uuid.UUID]:
    now = datetime.now(UTC)
    rows = [
        Notification(
            kind=NotificationKind.NEW_MESSAGE,
            dedup_key=uuid.uuid4().hex,
            person_id=person.id,
            recipient_kind=RecipientKind.OWNER,
            recipient_id=person.id,
            email=f"person{n}@example.org",
            subject="Nieuw bericht",
            body="Er staat een bericht voor u klaar.",
            available_at=now - timedelta(minutes=1),
            created_at=now - timedelta(minutes=1),
        )
        for n in range(count)
    ]
    session.add_all(rows)
    session.commit()
    return [row.id for row in rows]


def test_the_sender_finishes_the_mail_in_hand_and_hands_back_its_batch_on_sigterm(deployment):
    engine, url, folder = deployment
    with Session(engine, expire_on_commit=False) as session:
        ids = outbox(session, f.person(session), 6)
    smtp = SlowServer()
    controller = Controller(smtp, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        env = environment(
            folder,
            url,
            MACHTIGEN_SMTP_PORT=str(controller.port),
            MACHTIGEN_NOTIFY_BATCH_SIZE="6",
        )
        log = folder / "sender.log"
        sender = start(["send-notifications"], env, log)
        deadline = time.monotonic() + 60
        while not smtp.received and time.monotonic() < deadline:
            assert sender.poll() is None, tail(log)
            time.sleep(0.05)
        assert smtp.received, tail(log)
        took = terminate(sender)
        assert sender.returncode == 0, tail(log)
        assert took < 10
        with Session(engine) as session:
            rows = session.scalars(select(Notification).where(Notification.id.in_(ids))).all()
        sent = [row for row in rows if row.status == NotificationStatus.SENT]
        handed_back = [row for row in rows if row.status == NotificationStatus.PENDING]
        assert len(sent) == len(smtp.received) and len(sent) + len(handed_back) == 6
        assert handed_back, "the rest of the batch is handed back, not left claimed"
        for row in handed_back:
            assert row.claim_token is None and row.attempts == 0
            assert row.available_at <= datetime.now(UTC)
        assert "batch delivered" in log.read_text()
        run(["send-notifications", "--once"], env)
        assert sorted(smtp.received) == sorted(f"<{i.hex}@mijnoverheid.example>" for i in ids)
    finally:
        controller.stop()
    assert_no_bsn_logged(log)


def due_messages(session: Session, count: int) -> None:
    owner = f.person(session)
    service = f.service(session, f.afnemer(session), ServiceCategory.OTHER)
    received = datetime.now(UTC) - timedelta(days=30)
    for n in range(count):
        f.message(session, owner, service, received_at=received + timedelta(seconds=n))
    session.commit()


def test_jobs_commit_the_batch_in_hand_release_the_lease_and_stop_on_sigterm(deployment):
    engine, url, folder = deployment
    with Session(engine) as session:
        due_messages(session, 300)
    env = environment(folder, url, MACHTIGEN_JOB_BATCH_SIZE="10")
    log = folder / "jobs.log"
    jobs = start(["jobs", "--only", "reminders"], env, log)

    def reminded() -> int:
        with engine.connect() as connection:
            return int(
                connection.scalar(
                    select(func.count()).where(MessageFollowUp.reminded_at.is_not(None))
                )
            )

    deadline = time.monotonic() + 60
    while reminded() < 10 and time.monotonic() < deadline:
        assert jobs.poll() is None, tail(log)
        time.sleep(0.05)
    took = terminate(jobs)
    assert jobs.returncode == 0, tail(log)
    assert took < 10
    first = reminded()
    assert 10 <= first < 300, "stopped after the batch in hand"
    assert re.search(r"reminders: \d+ done, stopped \(shutdown\)", log.read_text()), tail(log)
    with Session(engine) as session:
        lease = session.get(JobLease, "reminders")
        assert lease is not None and lease.lease_until is None and lease.watermark is None
    output = run(["jobs", "--only", "reminders"], env)
    assert f"reminders: {300 - first} done" in output
    assert reminded() == 300
    with engine.connect() as connection:
        events = connection.scalar(
            select(func.count()).where(AuditEvent.action == "message.reminder")
        )
        per_message = connection.execute(
            text(
                "SELECT object_id, count(*) FROM audit_event WHERE action = 'message.reminder'"
                " GROUP BY object_id HAVING count(*) > 1"
            )
        ).all()
    assert events == 300 and not per_message
    assert_no_bsn_logged(log)
