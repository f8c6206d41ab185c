"""Structured logs: one JSON object per line, a request id on every line, never a BSN.

structlog renders every record — our own (``structlog.get_logger``) and the standard
library's (``logging.getLogger``: SQLAlchemy, uvicorn, every library) alike — through one
chain: context (``request_id``, ``job``, ``client``…) bound with ``bind``, the level, the
logger's name, a UTC timestamp, the exception as text, then ``redact_bsn``: every run of
exactly nine digits that passes the elfproef becomes ``[bsn]``, whatever field it is in
(an exception's message may quote a row). The API binds ``request_id`` from the
``X-Request-ID`` header (asgi-correlation-id); ``jobs``, ``send-notifications`` and ``audit
seal`` bind one per job, batch or run.
"""

import logging
import re
import sys
import uuid
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor

from machtigen.identity.bsn import is_valid_bsn

NINE_DIGITS = re.compile(r"(?<![0-9])[0-9]{9}(?![0-9])")
REDACTED = "[bsn]"
ID_FIELDS = frozenset({"request_id", "trace_id", "span_id"})
"""Fields that carry our own identifiers (hexadecimal): never rewritten."""
_HANDLER_NAME = "machtigen-json"


def redact_text(text: str) -> str:
    """The text with every elfproef-valid run of exactly nine digits replaced."""
    if NINE_DIGITS.search(text) is None:  # the common case: nothing to look at twice
        return text
    return NINE_DIGITS.sub(
        lambda match: REDACTED if is_valid_bsn(match.group()) else match.group(), text
    )


def find_bsns(text: str) -> list[str]:
    """The elfproef-valid nine-digit runs in ``text`` (what ``redact_text`` removes)."""
    return [match for match in NINE_DIGITS.findall(text) if is_valid_bsn(match)]


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return REDACTED if 99_999_999 < value < 10**9 and is_valid_bsn(str(value)) else value
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_value(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return redact_text(bytes(value).decode("utf-8", "replace"))
    if value is None or isinstance(value, bool | float):
        return value
    return redact_text(str(value))


def redact_bsn(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """The last processor before rendering: no BSN leaves in any field."""
    return {
        key: value if key in ID_FIELDS else _redact_value(value)
        for key, value in event_dict.items()
    }


def _trace_ids(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """The active OpenTelemetry span's ids, when tracing is on (``api.tracing``)."""
    if _current_span is not None:
        context = _current_span().get_span_context()
        if context.is_valid:
            event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
            event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict


def _drop_color_message(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    event_dict.pop("color_message", None)  # uvicorn's copy of the message with ANSI colours
    return event_dict


try:
    from opentelemetry.trace import get_current_span as _current_span
except ImportError:  # the otel extra is optional
    _current_span = None  # type: ignore[assignment]

SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    _trace_ids,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    _drop_color_message,
]


def formatter(log_format: str = "json") -> logging.Formatter:
    """The formatter every handler uses: the whole chain, BSNs redacted, then rendered."""
    renderer: Processor = (
        structlog.dev.ConsoleRenderer(colors=False)
        if log_format == "console"
        else structlog.processors.JSONRenderer(default=str)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.StackInfoRenderer(),
            redact_bsn,
            renderer,
        ],
    )


def configure(level: str = "INFO", log_format: str = "json", stream: TextIO | None = None) -> None:
    """Route structlog and the standard library through one handler on stderr.

    Idempotent: called by the app factory (every worker) and by each command. Handlers that
    others added (pytest's capture) are left alone.
    """
    structlog.configure(
        processors=[*SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if handler.get_name() == _HANDLER_NAME]
    handler = ours[0] if ours else logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter(log_format))
    if not ours:
        root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)  # ours is "request"


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)


def new_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def bound(**values: Any) -> Iterator[MutableMapping[str, Any]]:
    """Bind context (``request_id``, ``job``…) to every line logged inside the block."""
    tokens = structlog.contextvars.bind_contextvars(**values)
    try:
        yield values
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
