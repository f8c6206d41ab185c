"""The mailbox: inbox (unread first), folders, archive, search; a message; filing and archiving."""

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Form
from fastapi.responses import Response

from api.portal.forms import IdQuery, MessageId, PageQuery, Search, ShortText, parse_uuid
from api.portal.page import AccountPage, MailboxPage, MessagePage, PortalPage
from api.web import CsrfForm, error_page
from machtigen.accounts import service as accounts
from machtigen.accounts.errors import FolderNameTaken, InvalidFolderName
from machtigen.accounts.models import Folder
from machtigen.identity.loa import loa_sufficient
from machtigen.inputs import SafeText
from machtigen.messages import service as messages
from machtigen.messages.service import MailboxQuery

router = APIRouter(prefix="/portal", include_in_schema=False)
FolderName = Annotated[SafeText, Form(max_length=500)]
PAGE_SIZE = 25


@router.get("/inbox")
def inbox(
    page: MailboxPage,
    view: Literal["inbox", "archive"] = "inbox",
    folder: IdQuery = "",
    q: Search = "",
    p: PageQuery = 1,
) -> Response:
    return _inbox_page(page, page.subject, view, folder, q, p)


def _inbox_page(
    page: PortalPage,
    subject: UUID,
    view: str,
    folder: str,
    search: str,
    number: int,
    *,
    errors: dict[str, str] | None = None,
    folder_name: str = "",
) -> Response:
    ctx = page.ctx
    folders = accounts.folders_of(ctx, subject)
    chosen = next((f for f in folders if str(f.id) == folder), None)
    archived = view == "archive" and chosen is None
    listing = messages.mailbox(
        ctx,
        MailboxQuery(
            person_id=subject,
            folder_id=chosen.id if chosen else None,
            archived=archived,
            search=search or None,
            page=max(1, number),
            page_size=PAGE_SIZE,
        ),
    )
    return page.render(
        "portal/inbox.html",
        422 if errors else 200,
        listing=listing,
        folders=folders,
        folder=chosen,
        archived=archived,
        search=search,
        may_make_folders=ctx.is_allowed("manage", Folder(person_id=subject, name=""))
        and loa_sufficient(ctx, "manage_account"),
        errors=errors or {},
        folder_name=folder_name,
    )


@router.post("/folders", dependencies=[CsrfForm])
def create_folder(page: AccountPage, name: FolderName = "") -> Response:
    try:
        folder = accounts.create_folder(page.ctx, page.subject, name)
    except (InvalidFolderName, FolderNameTaken) as refused:
        key = "error_folder_taken" if isinstance(refused, FolderNameTaken) else "error_folder_name"
        return _inbox_page(
            page, page.subject, "inbox", "", "", 1,
            errors={"folder_name": page.t[key]}, folder_name=name,
        )  # fmt: skip
    return page.redirect("/portal/inbox", "folder_created", folder=str(folder.id))


@router.get("/messages/{message_id}")
def message(page: MessagePage, message_id: MessageId) -> Response:
    detail = messages.read_message(page.ctx, message_id)
    folders = accounts.folders_of(page.ctx, detail.message.person_id)
    return page.render(
        "portal/message.html",
        detail=detail,
        folders=folders,
        may_file=page.ctx.is_allowed("manage_folders", detail.message),
        today=page.ctx.now.date(),
    )


@router.post("/messages/{message_id}/folder", dependencies=[CsrfForm])
def file_message(
    page: MessagePage,
    message_id: MessageId,
    folder_id: ShortText = "",
) -> Response:
    target = parse_uuid(folder_id)
    if folder_id and target is None:
        return error_page(page.request, 422, page.t["error_folder_unknown"])
    messages.file_in_folder(page.ctx, message_id, target)
    return page.redirect(f"/portal/messages/{message_id}", "filed")


@router.post("/messages/{message_id}/archive", dependencies=[CsrfForm])
def archive_message(
    page: MessagePage,
    message_id: MessageId,
    archived: Annotated[Literal["1", "0"], Form()] = "1",
) -> Response:
    messages.set_archived(page.ctx, message_id, archived == "1")
    notice = "archived" if archived == "1" else "unarchived"
    return page.redirect("/portal/inbox", notice, view="archive" if archived == "1" else "inbox")
