"""Request dependencies: one session per request; only this dependency commits."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session, sessionmaker


class Answered(Exception):
    """A dependency that already knows the whole answer (a redirect to the start page) raises
    this. It is not a refusal: the request's writes (the session touched, a language
    remembered) are committed as when a handler returns the same answer."""

    def __init__(self, response: Response) -> None:
        super().__init__("answered")
        self.response = response


def _factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def get_session(factory: Annotated[sessionmaker[Session], Depends(_factory)]) -> Iterator[Session]:
    answered = None
    with factory() as session:
        with session.begin():
            try:
                yield session
            except Answered as raised:
                answered = raised
        if answered is not None:
            raise answered


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
"""``scope="function"``: the commit happens when the endpoint returns, before the response is
sent. With the default ("request") it would run after sending, so a browser following a
redirect (or a client that got its 201) could read before the write is committed, or be told
of a success that then fails to commit."""
