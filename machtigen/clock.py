"""An injectable clock: the service never calls ``datetime.now`` directly."""

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until moved; tests use it to jump weeks ahead."""

    def __init__(self, at: datetime) -> None:
        self._at = ensure_utc(at)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def set(self, at: datetime) -> None:
        self._at = ensure_utc(at)


def ensure_utc(moment: datetime) -> datetime:
    """Refuse naive datetimes; convert aware ones to UTC."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every moment in machtigen is timezone-aware")
    return moment.astimezone(UTC)
