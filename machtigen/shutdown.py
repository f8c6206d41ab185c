"""Graceful shutdown for the commands that do work in batches (``jobs``, ``audit seal``).

SIGTERM (what a process manager or container runtime sends) and SIGINT only set a flag; the
work in hand — one batch, one transaction — finishes, leases are released, and the command
exits. ``send-notifications`` does the same with an asyncio event, ``serve`` through
uvicorn (requests in flight get ``shutdown_grace_seconds``).
"""

import signal
import threading
from types import FrameType

from machtigen import logs

log = logs.get_logger("machtigen.shutdown")


class Shutdown:
    def __init__(self) -> None:
        self._asked = threading.Event()

    def install(self) -> "Shutdown":
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if not self._asked.is_set():
            log.info(
                "shutdown asked: finishing the work in hand", signal=signal.Signals(signum).name
            )
        self._asked.set()

    def requested(self) -> bool:
        return self._asked.is_set()
