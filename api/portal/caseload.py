"""The representative's dashboard over all clients: unread post, deadlines, ending bases."""

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.portal.forms import Search, query_value
from api.portal.page import PageDep, PortalPage
from machtigen.caseload.service import SORTS, CaseloadFilter, caseload
from machtigen.notifications.prompts import staff_prompts

router = APIRouter(prefix="/portal", include_in_schema=False)
PAGE_SIZE = 50
DEADLINE_CHOICES = (7, 14, 30)
ENDING_CHOICES = (30, 90, 180)


def _days(value: str | None, allowed: tuple[int, ...]) -> int | None:
    return int(value) if value and value.isdigit() and int(value) in allowed else None


def filters_from(request: Request) -> CaseloadFilter:
    """The filter form's GET parameters; an unknown choice is as if it was not chosen, a search
    text that cannot be used is a 422 page naming it."""
    params = request.query_params
    sort = params.get("sort", "deadline")
    page = params.get("p", "1")
    return CaseloadFilter(
        search=query_value(request, "q", Search, "") or None,
        only_unread=params.get("unread") == "1",
        deadline_within_days=_days(params.get("deadline"), DEADLINE_CHOICES),
        ending_within_days=_days(params.get("ending"), ENDING_CHOICES),
        sort=sort if sort in SORTS else "deadline",  # type: ignore[arg-type]
        descending=params.get("desc") == "1",
        page=min(int(page), 10_000) if page.isdigit() and int(page) >= 1 else 1,
        page_size=PAGE_SIZE,
    )


def _query(filters: CaseloadFilter, **changes: object) -> str:
    values: dict[str, object] = {
        "q": filters.search or "",
        "unread": "1" if filters.only_unread else "",
        "deadline": filters.deadline_within_days or "",
        "ending": filters.ending_within_days or "",
        "sort": filters.sort,
        "desc": "1" if filters.descending else "",
        "p": filters.page,
        **changes,
    }
    return "?" + urlencode({k: v for k, v in values.items() if v not in ("", None)})


def caseload_view(page: PortalPage) -> Response:
    filters = filters_from(page.request)
    result = caseload(page.ctx, filters)

    def sort_link(column: str) -> str:
        descending = not filters.descending if filters.sort == column else column == "unread"
        return _query(filters, sort=column, desc="1" if descending else "", p=1)

    staff = page.staff() if page.own else None
    return page.render(
        "portal/caseload.html",
        staff_prompts=staff_prompts(page.ctx, staff.id) if staff is not None else [],
        staff_email=staff.email if staff is not None else None,
        result=result,
        filters=filters,
        pages=max(1, -(-result.total // PAGE_SIZE)),
        sort_link=sort_link,
        page_link=lambda number: _query(filters, p=number),
        deadline_choices=DEADLINE_CHOICES,
        ending_choices=ENDING_CHOICES,
        today=page.ctx.now.date(),
    )


@router.get("/clients")
def clients(page: PageDep) -> Response:
    if not page.own:
        return page.redirect("/portal")
    page.require_loa("read_mailbox")
    return caseload_view(page)
