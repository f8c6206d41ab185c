"""Machine clients (afnemers and the court register) and the client assertions they used."""

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, CheckConstraint, Column, PrimaryKeyConstraint
from sqlmodel import Field, SQLModel

from machtigen.models_base import enum_field, foreign_key, id_field, moment

MAX_SHARE_WEIGHT = 100
"""The largest weight an operator can give a client: 100 times the share of a client of 1."""


class ClientKind(StrEnum):
    AFNEMER = "afnemer"
    REGISTER = "register"


class ApiClient(SQLModel, table=True):
    """An OAuth2 client authenticating with ``private_key_jwt`` (RFC 7523).

    An afnemer's client id is its OIN; a register client has its own id (e.g. ``ccbr``).
    Only public keys (a JWKS) are stored: the private key never leaves the client.
    """

    __tablename__ = "api_client"
    __table_args__ = (
        CheckConstraint(
            f"share_weight BETWEEN 1 AND {MAX_SHARE_WEIGHT}", name="api_client_share_weight"
        ),
    )

    id: UUID = id_field()
    client_id: str = Field(max_length=64, unique=True)
    kind: ClientKind = enum_field(16)
    afnemer_id: UUID | None = foreign_key("afnemer.id", nullable=True)
    jwks: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    active: bool = True
    share_weight: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    """The client's weight in the fair share of a full worker (``machtigen clients
    set-weight``); it travels in the client's access tokens, so admission needs no query."""
    created_at: datetime = moment()


class UsedAssertion(SQLModel, table=True):
    """A client assertion's ``jti``, kept until the assertion expires: a replay is refused.

    In the database (not in memory) so that every worker sees it.
    """

    __tablename__ = "used_client_assertion"
    __table_args__ = (PrimaryKeyConstraint("client_id", "jti", name="pk_used_client_assertion"),)

    client_id: str = Field(max_length=64)
    jti: str = Field(max_length=128)
    expires_at: datetime = moment(index=True)
