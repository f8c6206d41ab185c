"""What every portal page shares: the logged-in actor, whom they act for, language, navigation.

Routers stay thin: they read the form, call one domain service and answer with a page or a
redirect (post/redirect/get, with a ``done`` notice the next page shows).
"""

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import Answered
from api.web import Portal, PortalDep, language, render
from machtigen.audit.trail import may_read_trail
from machtigen.authz.actors import PersonActor, StaffActor, UnmatchedEidasActor
from machtigen.context import Ctx
from machtigen.i18n import texts
from machtigen.identity import sessions
from machtigen.identity.assignments import may_divide_clients, own_office
from machtigen.identity.correspondence import remember_language
from machtigen.identity.loa import require_loa
from machtigen.identity.models import OfficeStaff, Person
from machtigen.mandates.scope import Representation, representation_of
from machtigen.mandates.service import grants_mandates
from machtigen.messages.service import unread_count

NOTICES = frozenset(
    {
        "activated",
        "deactivated",
        "consents_saved",
        "new_afnemers_answered",
        "paper_on",
        "paper_off",
        "email_saved",
        "email_removed",
        "email_confirmed",
        "reminders_on",
        "reminders_off",
        "folder_created",
        "filed",
        "archived",
        "unarchived",
        "granted",
        "requested",
        "accepted",
        "declined",
        "revoked",
        "assigned",
        "unassigned",
        "read_state_shared",
        "read_state_withheld",
        "granted_again",
    }
)


class ActingEnded(Exception):
    """The person the actor was acting for may no longer be acted for: the acting-for ends
    (in a transaction of its own) and the actor is told why, on a page with their own menu."""

    def __init__(self, portal: Portal, person: Person) -> None:
        super().__init__("acting for ended")
        self.session_id = portal.session.id
        self.actor = portal.actor
        self.person_id = person.id
        self.person_name = person.full_name
        """Read now: the request's session is rolled back before the handler runs."""


class NotForUnmatched(Exception):
    """An eIDAS user whose eID is not linked yet has no mailbox: back to the explanation."""


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    badge: int | None = None


@dataclass
class PortalPage:
    request: Request
    portal: Portal
    lang: str
    acting_for: Person | None
    notices: list[str] = field(default_factory=list)

    @property
    def ctx(self) -> Ctx:
        return self.portal.ctx

    @property
    def actor(self) -> PersonActor | StaffActor:
        actor = self.portal.actor
        assert not isinstance(actor, UnmatchedEidasActor)
        return actor

    @property
    def t(self) -> dict[str, str]:
        return texts(self.lang)

    @property
    def subject_id(self) -> UUID | None:
        """Whose mailbox and settings the pages show: the client acted for, else one's own."""
        if self.acting_for is not None:
            return self.acting_for.id
        return self.actor.person_id if isinstance(self.actor, PersonActor) else None

    @property
    def subject(self) -> UUID:
        """The subject of a ``SubjectPage``: there always is one."""
        assert self.subject_id is not None
        return self.subject_id

    @property
    def own(self) -> bool:
        return self.acting_for is None

    @property
    def is_staff(self) -> bool:
        return isinstance(self.actor, StaffActor)

    def staff(self) -> OfficeStaff | None:
        if not isinstance(self.actor, StaffActor):
            return None
        return self.ctx.session.get(OfficeStaff, self.actor.staff_id)

    def require_loa(self, purpose: str) -> None:
        """Ask for a stronger login before showing a form that could not be sent at this one."""
        require_loa(self.ctx, purpose)

    def representation(self) -> Representation | None:
        """On what basis, and for what, the actor acts for the person shown (None: own)."""
        if self.acting_for is None:
            return None
        return representation_of(self.ctx, self.acting_for.id)

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return render(
            self.request,
            template,
            self.lang,
            status_code,
            portal=self.portal,
            page=self,
            acting_for=self.acting_for,
            nav=navigation(self),
            scope_lines=scope_lines(self.representation(), self.t),
            notices=self.notices,
            **context,
        )

    def redirect(self, path: str, done: str | None = None, **query: str) -> RedirectResponse:
        params = {**query, **({"done": done} if done in NOTICES else {})}
        target = f"{path}?{urlencode(params)}" if params else path
        return RedirectResponse(target, status_code=303)


def portal_page(request: Request, portal: PortalDep) -> PortalPage:
    if isinstance(portal.actor, UnmatchedEidasActor):
        raise NotForUnmatched()
    lang = language(request, portal.session)
    if request.query_params.get("lang") == lang:
        remember_language(portal.ctx, lang)  # a person's own choice: their letters follow it
    notices = [n for n in request.query_params.getlist("done") if n in NOTICES]
    request.state.step_up_audit = StepUpAudit(portal.actor, portal.session.person_id)
    acting_for = None
    if portal.session.acting_for_person_id is not None:
        person = portal.ctx.session.get(Person, portal.session.acting_for_person_id)
        if person is None or not portal.ctx.is_allowed("act_for", person):
            if person is None:
                sessions.act_for(portal.ctx, portal.session, None)
            else:
                raise ActingEnded(portal, person)
        else:
            acting_for = person
    return PortalPage(request, portal, lang, acting_for, notices)


PageDep = Annotated[PortalPage, Depends(portal_page)]


@dataclass(frozen=True)
class StepUpAudit:
    """Who asked, read when the page began: a refusal rolls the request's session back, and
    the step-up page audits ``login.step_up_required`` in a transaction of its own."""

    actor: PersonActor | StaffActor
    person_id: UUID | None


class SubjectPage:
    """A page about the subject, whose mailbox and settings are shown, at a login strong enough
    for ``purpose``: without a subject (an employee acting for nobody) the answer is the start
    page; with too weak a login, the step-up page. ``Depends(SubjectPage("read_mailbox"))``."""

    def __init__(self, purpose: str | None = None) -> None:
        self.purpose = purpose

    def __call__(self, page: PageDep) -> PortalPage:
        if page.subject_id is None:
            raise Answered(page.redirect("/portal"))
        if self.purpose is not None:
            page.require_loa(self.purpose)
        return page


class PageAt:
    """Any portal page at a login strong enough for ``purpose``, or the step-up page (a message
    opened from an office's caseload has an owner, but the page needs no subject chosen)."""

    def __init__(self, purpose: str) -> None:
        self.purpose = purpose

    def __call__(self, page: PageDep) -> PortalPage:
        page.require_loa(self.purpose)
        return page


MailboxPage = Annotated[PortalPage, Depends(SubjectPage("read_mailbox"))]
MessagePage = Annotated[PortalPage, Depends(PageAt("read_mailbox"))]
AccountPage = Annotated[PortalPage, Depends(SubjectPage("manage_account"))]
"""The settings and every form on it: asks for the level first, before showing a form."""


def frame(request: Request, portal: Portal) -> dict[str, Any]:
    """The menu (and what the banner says) for a page rendered outside ``PortalPage``: an
    error page keeps them. Whom the actor acts for is re-checked as on every page."""
    acting_for = None
    person_id = portal.session.acting_for_person_id
    if person_id is not None:
        person = portal.ctx.session.get(Person, person_id)
        if person is not None and portal.ctx.is_allowed("act_for", person):
            acting_for = person
    page = PortalPage(request, portal, language(request, portal.session), acting_for)
    return {
        "nav": navigation(page),
        "acting_for": acting_for,
        "scope_lines": scope_lines(page.representation(), page.t),
    }


def scope_lines(representation: Representation | None, t: dict[str, str]) -> list[str]:
    """What the banner says the actor may do for the person: one line per basis."""
    if representation is None:
        return []
    lines = []
    for measure in representation.measures:
        kind = t.get(f"kind_{measure.kind}", measure.kind)
        if measure.full:
            lines.append(t["scope_full"] % kind)
        else:
            about = [t[f"category_{category}"] for category in measure.categories]
            lines.append(t["scope_categories"] % (kind, t["and_join"].join(about)))
    for mandate in representation.mandates:
        grants = [
            f"{grant.afnemer} – {grant.service} ("
            + ", ".join(t[f"action_{action}"] for action in grant.actions)
            + ")"
            for grant in mandate.grants
        ]
        lines.append(t["scope_mandate"] % "; ".join(grants) if grants else t["scope_mandate_none"])
    personal = any(m.personal_data for m in representation.measures) or any(
        m.personal_data for m in representation.mandates
    )
    lines.append(t["scope_personal_yes"] if personal else t["scope_personal_no"])
    return lines


def navigation(page: PortalPage) -> list[NavItem]:
    """The main menu: one's own mailbox, or the client's, or an office's work."""
    t = page.t
    if page.is_staff and page.own:
        office = own_office(page.ctx)
        items = [
            NavItem("/portal/clients", t["nav_clients"]),
            NavItem("/portal/representing", t["nav_representing"]),
        ]
        if office is not None and may_divide_clients(page.ctx, office):
            items.append(NavItem("/portal/office", t["nav_office"]))
        items.append(NavItem("/portal/staff/email", t["nav_staff_email"]))
        return items
    items = [NavItem("/portal", t["nav_home"])]
    subject = page.subject_id
    if subject is not None:
        items.append(NavItem("/portal/inbox", t["nav_inbox"], unread_count(page.ctx, subject)))
        items.append(NavItem("/portal/settings", t["nav_settings"]))
        if may_read_trail(page.ctx, subject):
            items.append(NavItem("/portal/activity", t["nav_activity"]))
    if page.own and grants_mandates(page.ctx):
        items.append(NavItem("/portal/mandates", t["nav_mandates"]))
    if page.own:
        items.append(NavItem("/portal/representing", t["nav_representing"]))
    return items


def current(request: Request, href: str) -> bool:
    path = request.url.path
    return path == href or (href != "/portal" and path.startswith(href + "/"))
