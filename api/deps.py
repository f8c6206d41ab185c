"""Request dependencies: one session per request; only this dependency commits."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker


def _factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def get_session(factory: Annotated[sessionmaker[Session], Depends(_factory)]) -> Iterator[Session]:
    with factory() as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
"""``scope="function"``: the commit happens when the endpoint returns, before the response is
sent. With the default ("request") it would run after sending, so a browser following a
redirect (or a client that got its 201) could read before the write is committed, or be told
of a success that then fails to commit."""
