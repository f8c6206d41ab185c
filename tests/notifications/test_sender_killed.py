"""The sender process killed outright (``os._exit``: no ``finally``, no cleanup) right after the
SMTP server accepted a notification and before the outcome was committed; then restarted."""

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from machtigen.afnemers.models import ServiceCategory
from machtigen.authz.actors import OperatorActor
from machtigen.authz.engine import get_authorizer
from machtigen.clock import FrozenClock
from machtigen.context import Ctx
from machtigen.db import make_engine, session_factory, transaction
from machtigen.migrate import upgrade
from machtigen.notifications.models import Notification, NotificationStatus
from machtigen.notifications.outbox import on_message_delivered
from machtigen.notifications.sender import Sender, message_id_header
from tests import factories as f
from tests.conftest import fresh_database
from tests.factories import T0
from tests.notifications.conftest import sender_config, with_email

ROOT = Path(__file__).resolve().parents[2]

KILLED_SENDER = """
import asyncio, os, random, sys
from datetime import datetime
from machtigen.authz.engine import get_authorizer
from machtigen.clock import FrozenClock
from machtigen.db import make_engine, session_factory, transaction
from machtigen.notifications.sender import Sender
from tests.notifications.conftest import sender_config

url, port, at = sys.argv[1], int(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
factory = session_factory(make_engine(url))
sent = []

def die_after_second(notification):
    sent.append(notification.id)
    if len(sent) == 2:
        os._exit(137)

sender = Sender(lambda: transaction(factory), FrozenClock(at), get_authorizer(),
                sender_config(port), rng=random.Random(1), after_send=die_after_second)
asyncio.run(sender.run_once())
"""


def test_killed_process_then_restarted_delivers_each_notification_once(tmp_path, inbox):
    handler, port = inbox
    with fresh_database(os.environ.get("MACHTIGEN_TEST_DATABASE_URL"), tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        factory = session_factory(engine)
        clock = FrozenClock(T0)
        with transaction(factory) as session:
            owner = with_email(session, f.person(session), "owner@example.nl")
            svc = f.service(session, f.afnemer(session), ServiceCategory.FINANCIAL)
            ctx = Ctx(session, OperatorActor("op", T0), clock, get_authorizer())
            notifications = [
                n
                for _ in range(3)
                for n in on_message_delivered(ctx, f.message(session, owner, svc))
            ]

        killed = subprocess.run(
            [sys.executable, "-c", KILLED_SENDER, url, str(port), T0.isoformat()],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert killed.returncode == 137, killed.stderr.decode()[-2000:]
        assert handler.transmissions == 2

        def statuses() -> list[str]:
            with Session(engine) as session:
                return sorted(
                    session.scalars(select(Notification.status).order_by(Notification.id)).all()
                )

        assert statuses() == ["sending", "sending", "sent"]

        clock.advance(timedelta(minutes=5, seconds=1))  # the dead sender's lease runs out
        restarted = Sender(
            lambda: transaction(factory), clock, get_authorizer(), sender_config(port)
        )
        report = asyncio.run(restarted.run_once())
        assert (report.claimed, report.sent) == (2, 2)
        assert statuses() == [NotificationStatus.SENT] * 3
        assert handler.transmissions == 4 and handler.duplicates == 1
        assert handler.message_ids() == sorted(
            message_id_header(n.id, "mijnoverheid.example") for n in notifications
        )
        engine.dispose()
