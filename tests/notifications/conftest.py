"""A real SMTP server per test (aiosmtpd), and a unit of work over the test's transaction."""

import email
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message as EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from machtigen.accounts.models import Account
from machtigen.identity.models import Person
from machtigen.notifications.letters import LetterSender
from machtigen.notifications.sender import SenderConfig
from tests.factories import T0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Inbox:
    """Accepts everything; keeps one copy per Message-ID and counts the duplicates it drops."""

    accepted: list[EmailMessage] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    duplicates: int = 0
    transmissions: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        received = email.message_from_bytes(envelope.content)
        self.transmissions += 1
        message_id = "".join(str(received["Message-ID"]).split())  # unfold
        if message_id in self.seen:
            self.duplicates += 1
        else:
            self.seen.add(message_id)
            self.accepted.append(received)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.accepted if m["To"] == address]

    def message_ids(self) -> list[str]:
        return sorted("".join(str(m["Message-ID"]).split()) for m in self.accepted)


class RefusingInbox(Inbox):
    """A server that refuses every recipient: the address bounces."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


@contextmanager
def smtp_server(handler: Inbox) -> Iterator[int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    with smtp_server(handler) as port:
        yield handler, port


@pytest.fixture
def refusing_inbox() -> Iterator[tuple[Inbox, int]]:
    handler = RefusingInbox()
    with smtp_server(handler) as port:
        yield handler, port


@pytest.fixture
def uow(session: Session):
    """Each unit of work is a savepoint in the test's transaction: an error rolls it back."""

    @contextmanager
    def unit() -> Iterator[Session]:
        if session.in_transaction():
            session.commit()
        with session.begin():
            yield session

    return unit


def sender_config(port: int, **overrides) -> SenderConfig:
    values = {
        "smtp_port": port,
        "smtp_timeout": 5.0,
        "backoff_base": 60.0,
        "backoff_cap": 3600.0,
        "max_attempts": 5,
        "escalate_after_bounces": 3,
    } | overrides
    return SenderConfig(**values)


def with_email(session: Session, someone: Person, address: str, language: str = "nl") -> Person:
    account = session.get(Account, someone.id)
    assert account is not None
    account.email = address
    someone.preferred_language = language
    someone.language_chosen_at = T0  # chosen in the portal: their post follows it
    session.flush()
    return someone


SENDER = LetterSender(
    name="MijnOverheid",
    address="Postbus 20011, 2500 EA Den Haag",
    phone="0800-0123",
    web="mijn.overheid.nl",
)
"""The sender printed on the letters the tests write (production refuses letters without one)."""
