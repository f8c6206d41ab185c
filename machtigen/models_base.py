"""Column helpers shared by the per-concept model modules."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import BigInteger, Column, Identity, Integer, String
from sqlmodel import Field

from machtigen.db import UTCDateTime


def id_field() -> Any:
    return Field(default_factory=uuid4, primary_key=True)


def moment(*, nullable: bool = False, index: bool = False) -> Any:
    """A timezone-aware UTC moment column."""
    default = None if nullable else ...
    return Field(default=default, sa_type=UTCDateTime, nullable=nullable, index=index)


def foreign_key(target: str, *, nullable: bool = False, index: bool = True) -> Any:
    default = None if nullable else ...
    return Field(default=default, foreign_key=target, nullable=nullable, index=index)


__all__ = ["UUID", "datetime", "enum_field", "foreign_key", "id_field", "moment", "sequence_field"]


def sequence_field() -> Any:
    """An ever-increasing BIGINT identity primary key (INTEGER on SQLite, which needs that)."""
    return Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), Identity(), primary_key=True
        ),
    )


def enum_field(length: int, default: Any = ...) -> Any:
    """An enum stored as its value in a plain string column (portable, readable in SQL)."""
    return Field(default=default, sa_type=String(length))
