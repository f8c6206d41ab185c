"""A login on its way through the broker: kept in the database, used exactly once.

The browser carries the ``state`` in a signed cookie (binding the flow to the browser that
started it); the database keeps the nonce and PKCE verifier, so that the callback may land on
any worker or host. The callback consumes the flow with one conditional UPDATE: of two
callbacks with the same state, only one can win, on every database.
"""

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from machtigen.identity.models import LoginFlow
from machtigen.identity.oidc import Authorization


def begin(
    session: Session, means: str, authorization: Authorization, now: datetime, seconds: int
) -> LoginFlow:
    """Remember a login just sent to the broker; forget flows that can no longer come back."""
    session.execute(delete(LoginFlow).where(col(LoginFlow.expires_at) < now))
    flow = LoginFlow(
        state_hash=state_hash(authorization.state),
        means=means,
        nonce=authorization.nonce,
        code_verifier=authorization.code_verifier,
        created_at=now,
        expires_at=now + timedelta(seconds=seconds),
    )
    session.add(flow)
    session.flush()
    return flow


def consume(session: Session, means: str, state: str, now: datetime) -> LoginFlow | None:
    """The flow for ``state``, marked used; None when unknown, expired, used or another means."""
    digest = state_hash(state)
    claimed = session.execute(
        update(LoginFlow)
        .where(
            col(LoginFlow.state_hash) == digest,
            col(LoginFlow.means) == means,
            col(LoginFlow.used_at).is_(None),
            col(LoginFlow.expires_at) > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    return session.scalars(select(LoginFlow).where(col(LoginFlow.state_hash) == digest)).one()


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()
