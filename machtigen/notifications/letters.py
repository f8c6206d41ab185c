"""Paper letters: one print-ready A4 PDF per letter, for the print street (rule 7).

A letter is in the person's language and names the login means the person has
(``machtigen.identity.correspondence``); its texts are in the catalogs that hold every other
text people read (``machtigen.i18n``, msgids ``letter_*``). The sender's address, phone number
and web address are settings; without them no letter is written (``LettersNotConfigured``),
except in development, where the letter says in red that it is a specimen.

A letter row is written in the transaction of the escalation; the PDF afterwards, by
whoever claims the pending row (a lease, as for notifications). The file is named after
the letter and written through a temporary file and an atomic rename, so a writer that
dies and a second that takes over produce one complete file, never two letters.
"""

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

from fpdf import FPDF
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from machtigen.afnemers.models import Afnemer, Service
from machtigen.audit.service import record_about
from machtigen.authz.actors import SystemActor
from machtigen.authz.engine import Authorizer
from machtigen.clock import Clock
from machtigen.config import Settings
from machtigen.context import Ctx
from machtigen.i18n import day, language_of, texts
from machtigen.identity.correspondence import login_means
from machtigen.identity.models import Person
from machtigen.messages.models import Message
from machtigen.notifications.models import Letter, LetterReason, LetterStatus, MessageFollowUp
from machtigen.notifications.sender import UnitOfWork, lockable_ids


@dataclass(frozen=True)
class LetterLine:
    organisation: str
    kind_of_message: str
    received_on: date
    action_text: str | None
    deadline: date | None


@dataclass(frozen=True)
class LetterSender:
    """Who the letter is from, and how to reach them: printed on every letter."""

    name: str
    address: str
    """Lines separated by commas."""
    phone: str
    web: str
    specimen: bool = False
    """Development values: the letter says in large type that it is not for posting."""


SENDER_SETTINGS = ("letter_sender_address", "letter_sender_phone", "letter_sender_web")
_DEVELOPMENT_SENDER = {
    "letter_sender_address": "Postbus 0000, 0000 AA Ontwikkelstad",
    "letter_sender_phone": "0800-0000",
    "letter_sender_web": "127.0.0.1:8000",
}


class LettersNotConfigured(Exception):
    """The sender's address, phone number or web address is not set: no letter is written."""

    def __init__(self, missing: Sequence[str]) -> None:
        names = ", ".join(f"MACHTIGEN_{name.upper()}" for name in missing)
        super().__init__(
            f"letters are not written until {names} are set (pending letters are kept and"
            " written once they are); only MACHTIGEN_ENVIRONMENT=development prints without"
        )
        self.missing = tuple(missing)


def letter_sender(settings: Settings) -> LetterSender:
    """The sender from the settings; in development unset values get marked stand-ins."""
    missing = [name for name in SENDER_SETTINGS if not (getattr(settings, name) or "").strip()]
    if missing and settings.environment != "development":
        raise LettersNotConfigured(missing)
    values = {
        name: (getattr(settings, name) or "").strip() or _DEVELOPMENT_SENDER[name]
        for name in SENDER_SETTINGS
    }
    return LetterSender(
        name=settings.portal_name,
        address=values["letter_sender_address"],
        phone=values["letter_sender_phone"],
        web=values["letter_sender_web"],
        specimen=bool(missing),
    )


@dataclass(frozen=True)
class LetterContent:
    """Everything a letter says, in the person's language, before it is laid out."""

    title: str
    date_line: str
    reference_line: str
    paragraphs: list[str]
    closing: list[str]
    specimen: str | None


def letter_lines(session: Session, letter_id: UUID) -> list[LetterLine]:
    rows = session.execute(
        select(Message, col(Afnemer.name), col(Service.name))
        .join(MessageFollowUp, col(MessageFollowUp.message_id) == col(Message.id))
        .join(Afnemer, col(Afnemer.id) == col(Message.afnemer_id))
        .join(Service, col(Service.id) == col(Message.service_id))
        .where(col(MessageFollowUp.letter_id) == letter_id)
        .order_by(col(Message.received_at), col(Message.id))
    ).all()
    return [
        LetterLine(
            organisation=organisation,
            kind_of_message=kind,
            received_on=message.received_at.date(),
            action_text=message.action_text,
            deadline=message.deadline,
        )
        for message, organisation, kind in rows
    ]


def compose(
    letter: Letter, lines: Sequence[LetterLine], means: Sequence[str], sender: LetterSender
) -> LetterContent:
    """The letter's text from the catalogs (``machtigen.i18n``), in the letter's language,
    naming only the login means the person has (``means``: ``digid`` and/or ``eidas``)."""
    lang = language_of(letter.language)
    t = texts(lang)
    values = {"web": sender.web, "phone": sender.phone, "name": letter.addressee}
    paragraphs = [
        t["letter_greeting"] % values,
        t[f"letter_reason_{LetterReason(letter.reason).value}"],
    ]
    if lines:
        count = len(lines)
        paragraphs.append(
            t["letter_list_one"] if count == 1 else t["letter_list_many"] % {"count": count}
        )
        for line in lines:
            item = "– " + t["letter_line"] % {
                "organisation": line.organisation,
                "kind": line.kind_of_message,
                "received": day(line.received_on, lang),
            }
            if line.action_text:
                item += "\n   " + t["letter_action"] % {"action": line.action_text}
            if line.deadline is not None:
                item += "\n   " + t["letter_deadline"] % {"deadline": day(line.deadline, lang)}
            paragraphs.append(item)
        paragraphs.append(t["letter_organisations"])
    else:
        paragraphs.append(t["letter_none"])
    paragraphs.append(t[_login_key(means)] % values)
    paragraphs.append(t["letter_paper"] % values)
    return LetterContent(
        title=t["letter_title"],
        date_line=t["letter_date"] % {"date": day(letter.created_at, lang)},
        reference_line=t["letter_reference"] % {"reference": str(letter.id)[:8].upper()},
        paragraphs=paragraphs,
        closing=[t["letter_closing"], sender.name],
        specimen=t["letter_specimen"] if sender.specimen else None,
    )


def _login_key(means: Sequence[str]) -> str:
    if "digid" in means and "eidas" in means:
        return "letter_login_both"
    return "letter_login_eidas" if "eidas" in means else "letter_login_digid"


def render_pdf(letter: Letter, content: LetterContent, sender: LetterSender) -> bytes:
    """A4; the address in the window of a standard (DL / C5) window envelope, the sender's
    address, phone number and web address in the letterhead."""
    t = texts(language_of(letter.language))
    pdf = FPDF(format="A4", unit="mm")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(_printable(content.title))
    pdf.set_author(_printable(sender.name))
    pdf.set_creation_date(letter.created_at)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_margins(left=22, top=15, right=20)
    pdf.add_page()
    if content.specimen:
        pdf.set_text_color(180, 0, 0)
        pdf.set_font("Helvetica", style="B", size=12)
        pdf.set_xy(22, 12)
        pdf.cell(text=_printable(content.specimen))
        pdf.set_text_color(0, 0, 0)
    letterhead = [
        *_address_lines(sender.address),
        t["letter_phone"] % {"phone": sender.phone},
        sender.web,
    ]
    pdf.set_xy(125, 20)
    pdf.set_font("Helvetica", style="B", size=11)
    pdf.cell(w=65, h=6, text=_printable(sender.name), new_x="LEFT", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(w=65, h=4.5, text=_printable("\n".join(letterhead)))
    pdf.set_font("Helvetica", size=7)
    pdf.set_xy(22, 45)
    return_address = ", ".join([sender.name, *_address_lines(sender.address)])
    pdf.cell(text=_printable(t["letter_return_address"] % {"address": return_address}))
    pdf.set_font("Helvetica", size=11)
    pdf.set_xy(22, 52)
    address = "\n".join([letter.addressee, *_address_lines(letter.postal_address)])
    pdf.multi_cell(w=85, h=5, text=_printable(address))
    pdf.set_xy(125, 60)
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(w=65, h=5, text=_printable(content.date_line + "\n" + content.reference_line))
    pdf.set_xy(22, 100)
    pdf.set_font("Helvetica", style="B", size=13)
    pdf.multi_cell(w=0, h=7, text=_printable(content.title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    for paragraph in content.paragraphs:
        pdf.multi_cell(
            w=0, h=6, text=_printable(paragraph), align="L", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(3)
    pdf.ln(3)
    for line in content.closing:
        pdf.multi_cell(w=0, h=6, text=_printable(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _address_lines(postal_address: str) -> list[str]:
    return [part.strip() for part in postal_address.split(",") if part.strip()]


def _printable(text: str) -> str:
    """The PDF core fonts cover Windows-1252 (Western European names, dashes, quotes); other
    characters are replaced rather than failing a letter."""
    return text.encode("cp1252", "replace").decode("cp1252")


def letter_file_name(letter: Letter) -> str:
    return f"{letter.created_at:%Y%m%d}-{LetterReason(letter.reason).value}-{letter.id}.pdf"


def write_pending_letters(
    uow: UnitOfWork,
    clock: Clock,
    authz: Authorizer,
    folder: Path,
    sender: LetterSender,
    *,
    batch_size: int = 100,
    lease: timedelta = timedelta(minutes=10),
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Claim pending letters, write their PDFs, mark them written; returns how many.
    ``should_stop`` is asked between batches (a shutdown ends the run there)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    while not should_stop():
        token = uuid.uuid4()
        now = clock.now()
        with uow() as session:
            due = (
                select(col(Letter.id))
                .where(
                    col(Letter.status) == LetterStatus.PENDING,
                    col(Letter.available_at) <= now,
                )
                .order_by(col(Letter.available_at))
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            )
            session.execute(
                update(Letter)
                .where(
                    col(Letter.id).in_(lockable_ids(session, due)),
                    col(Letter.status) == LetterStatus.PENDING,
                    col(Letter.available_at) <= now,
                )
                .values(available_at=now + lease, claim_token=token)
                .execution_options(synchronize_session=False)
            )
            claimed = session.scalars(
                select(Letter)
                .where(col(Letter.claim_token) == token)
                .execution_options(populate_existing=True)
            ).all()
            work = [
                (
                    letter,
                    compose(
                        letter,
                        letter_lines(session, letter.id),
                        login_means(session, session.get_one(Person, letter.person_id)),
                        sender,
                    ),
                )
                for letter in claimed
            ]
        if not work:
            return written
        for letter, content in work:
            name = letter_file_name(letter)
            temporary = folder / f".{name}.tmp"
            temporary.write_bytes(render_pdf(letter, content, sender))
            os.replace(temporary, folder / name)
            with uow() as session:
                result = session.execute(
                    update(Letter)
                    .where(col(Letter.id) == letter.id, col(Letter.claim_token) == token)
                    .values(
                        status=LetterStatus.WRITTEN,
                        file_name=name,
                        written_at=clock.now(),
                        claim_token=None,
                    )
                    .execution_options(synchronize_session=False)
                )
                if getattr(result, "rowcount", 0):
                    ctx = Ctx(
                        session=session,
                        actor=SystemActor(at=clock.now(), job="letters"),
                        clock=clock,
                        authz=authz,
                    )
                    record_about(ctx, "letter.written", letter, file=name)
                    written += 1
    return written


__all__ = [
    "LetterReason",
    "LetterSender",
    "LettersNotConfigured",
    "compose",
    "letter_file_name",
    "letter_sender",
    "render_pdf",
    "write_pending_letters",
]
