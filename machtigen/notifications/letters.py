"""Paper letters: one print-ready A4 PDF per letter, for the print street (rule 7).

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
from machtigen.audit.service import record
from machtigen.authz.actors import SystemActor
from machtigen.authz.engine import Authorizer
from machtigen.clock import Clock
from machtigen.context import Ctx
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


_TEXTS = {
    "nl": {
        "title": "Er wachten berichten op u in MijnOverheid",
        "greeting": "Beste {name},",
        "bounced": "Wij konden u niet bereiken op het e-mailadres dat u bij MijnOverheid"
        " heeft opgegeven. Controleer uw e-mailadres als u inlogt op MijnOverheid.",
        "unvisited": "U heeft al enige tijd niet ingelogd op MijnOverheid, terwijl er"
        " berichten voor u klaarstaan.",
        "list": "In uw Berichtenbox staan {count} ongelezen bericht(en):",
        "none": "Er staan op dit moment geen ongelezen berichten voor u klaar.",
        "line": "{organisation} - {kind}, ontvangen op {received}",
        "action": "   Wat u moet doen: {action}",
        "deadline": "   Uiterlijk: {deadline}",
        "outro": "Log in op MijnOverheid met DigiD om uw berichten te lezen. Wilt u uw post"
        " liever op papier ontvangen? Dat kunt u instellen in MijnOverheid, of bel ons.",
        "organisations": "De organisaties die dat mogen weten, hebben wij laten weten dat wij"
        " u niet digitaal hebben bereikt.",
        "reference": "Kenmerk: {reference}",
        "date": "Datum: {date}",
        "sender": "MijnOverheid - Postbus 0000 - 0000 AA Den Haag",
    },
    "en": {
        "title": "Messages are waiting for you in MijnOverheid",
        "greeting": "Dear {name},",
        "bounced": "We could not reach you at the e-mail address you gave MijnOverheid."
        " Please check your address when you log in.",
        "unvisited": "You have not logged in to MijnOverheid for some time, while messages"
        " are waiting for you.",
        "list": "Your Message box holds {count} unread message(s):",
        "none": "No unread messages are waiting for you at this moment.",
        "line": "{organisation} - {kind}, received on {received}",
        "action": "   What you need to do: {action}",
        "deadline": "   Deadline: {deadline}",
        "outro": "Log in to MijnOverheid to read them. Would you rather get your post on"
        " paper? You can set that in MijnOverheid, or call us.",
        "organisations": "The organisations allowed to know have been told that we did not"
        " reach you digitally.",
        "reference": "Reference: {reference}",
        "date": "Date: {date}",
        "sender": "MijnOverheid - P.O. Box 0000 - 0000 AA The Hague - The Netherlands",
    },
}


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


def render_pdf(letter: Letter, lines: Sequence[LetterLine]) -> bytes:
    """A4, the address in the window of a standard (DL / C5) window envelope."""
    texts = _TEXTS.get(letter.language, _TEXTS["nl"])
    fmt = "%d-%m-%Y" if letter.language == "nl" else "%Y-%m-%d"
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(_latin1(texts["title"]))
    pdf.set_author("MijnOverheid")
    pdf.set_creation_date(letter.created_at)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_margins(left=22, top=15, right=20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=7)
    pdf.set_xy(22, 45)
    pdf.cell(text=_latin1(texts["sender"]))
    pdf.set_font("Helvetica", size=11)
    pdf.set_xy(22, 52)
    address = "\n".join([letter.addressee, *_address_lines(letter.postal_address)])
    pdf.multi_cell(w=85, h=5, text=_latin1(address))
    pdf.set_xy(125, 52)
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(
        w=65,
        h=5,
        text=_latin1(
            texts["date"].format(date=letter.created_at.strftime(fmt))
            + "\n"
            + texts["reference"].format(reference=str(letter.id)[:8].upper())
        ),
    )
    pdf.set_xy(22, 100)
    pdf.set_font("Helvetica", style="B", size=13)
    pdf.multi_cell(w=0, h=7, text=_latin1(texts["title"]))
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    paragraphs = [texts["greeting"].format(name=letter.addressee), ""]
    paragraphs.append(texts[LetterReason(letter.reason).value])
    paragraphs.append("")
    if lines:
        paragraphs.append(texts["list"].format(count=len(lines)))
        for line in lines:
            paragraphs.append(
                "- "
                + texts["line"].format(
                    organisation=line.organisation,
                    kind=line.kind_of_message,
                    received=line.received_on.strftime(fmt),
                )
            )
            if line.action_text:
                paragraphs.append(texts["action"].format(action=line.action_text))
            if line.deadline is not None:
                paragraphs.append(texts["deadline"].format(deadline=line.deadline.strftime(fmt)))
        paragraphs += ["", texts["organisations"]]
    else:
        paragraphs.append(texts["none"])
    paragraphs += ["", texts["outro"]]
    for paragraph in paragraphs:
        pdf.multi_cell(w=0, h=6, text=_latin1(paragraph), align="L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _address_lines(postal_address: str) -> list[str]:
    return [part.strip() for part in postal_address.split(",") if part.strip()]


def _latin1(text: str) -> str:
    """The PDF core fonts are Latin-1; anything else is replaced rather than failing a letter."""
    return text.encode("latin-1", "replace").decode("latin-1")


def letter_file_name(letter: Letter) -> str:
    return f"{letter.created_at:%Y%m%d}-{LetterReason(letter.reason).value}-{letter.id}.pdf"


def write_pending_letters(
    uow: UnitOfWork,
    clock: Clock,
    authz: Authorizer,
    folder: Path,
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
            work = [(letter, letter_lines(session, letter.id)) for letter in claimed]
        if not work:
            return written
        for letter, lines in work:
            name = letter_file_name(letter)
            temporary = folder / f".{name}.tmp"
            temporary.write_bytes(render_pdf(letter, lines))
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
                    record(
                        ctx,
                        "letter.written",
                        subject_person_id=letter.person_id,
                        object_type="letter",
                        object_id=letter.id,
                        file=name,
                    )
                    written += 1
    return written


__all__ = ["LetterReason", "letter_file_name", "render_pdf", "write_pending_letters"]
