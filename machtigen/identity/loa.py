"""Minimum levels of assurance per purpose; the rules are in policies/05_assurance.polar."""

from machtigen.context import Ctx
from machtigen.errors import Forbidden


class StepUpRequired(Forbidden):
    """The login was real but not strong enough for this: log in again at a higher level."""

    title = "Higher level of assurance needed"

    def __init__(self, purpose: str, means: str | None, needed: str | None) -> None:
        self.purpose = purpose
        self.means = means
        self.needed = needed
        if needed is None:
            detail = f"Logging in with {means or 'this means'} is not enough for this."
        else:
            detail = f"This needs a login with {means} at level {needed} or higher."
        super().__init__(detail)


def loa_sufficient(ctx: Ctx, purpose: str) -> bool:
    """Whether the login is strong enough for ``purpose`` (to offer a form, or not)."""
    return bool(ctx.authz.holds("loa_sufficient", ctx.actor, purpose))


def require_loa(ctx: Ctx, purpose: str) -> None:
    """Raise StepUpRequired unless the actor's login is strong enough for ``purpose``."""
    if ctx.authz.holds("loa_sufficient", ctx.actor, purpose):
        return
    raise ctx.deny(
        purpose, None, StepUpRequired(purpose, ctx.actor.means, _needed_label(ctx, purpose))
    )


def _needed_label(ctx: Ctx, purpose: str) -> str | None:
    means = ctx.actor.means
    if means is None:
        return None
    labels = ctx.authz.bindings(ctx.session, "step_up_to", means, purpose)
    return str(labels[0]) if labels else None
