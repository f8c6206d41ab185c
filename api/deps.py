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


SessionDep = Annotated[Session, Depends(get_session)]
