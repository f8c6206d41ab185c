"""Leases on named rows of ``job_lease``: one holder at a time across hosts.

The periodic jobs (machtigen/jobs.py) hold a lease per job with a watermark; the audit
sealer (machtigen/audit/seal.py) uses its own row as a lock. Both make the row first, by
whoever comes first, and then claim it with a conditional UPDATE.
"""

from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from machtigen.models_base import moment


class JobLease(SQLModel, table=True):
    """One row per periodic job: who runs it until when, and how far it got (the watermark)."""

    __tablename__ = "job_lease"

    name: str = Field(max_length=64, primary_key=True)
    holder: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = moment(nullable=True)
    watermark: datetime | None = moment(nullable=True)
    last_run_at: datetime | None = moment(nullable=True)


def ensure_lease_row(executor: Session | Connection, name: str) -> None:
    """The row ``name`` exists afterwards: INSERT ... ON CONFLICT DO NOTHING, on PostgreSQL
    and SQLite alike, so that two hosts starting at once both find it."""
    bind = executor if isinstance(executor, Connection) else executor.get_bind()
    insert = postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert
    executor.execute(insert(JobLease).values(name=name).on_conflict_do_nothing())
