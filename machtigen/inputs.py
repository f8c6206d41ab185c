"""What a value from outside must be before it may reach the database.

One set of typed building blocks for every entrance (the afnemer API's bodies, its query and
path parameters, the portal's forms and queries): text without NUL or lone surrogates and
with a length limit, whole numbers within the database's 64-bit range and a bound of their
own, moments with a timezone between 1900 and 2200, days in the same range. Each is a
pydantic ``Annotated`` type, so a bad value is refused while the request is read, naming its
field, before anything is stored. ``breaks_input_rules`` lets the last line of defence tell a
driver's refusal of such a value (the client's input) from a fault of our own.

No FastAPI here: the API's schemas and the portal's form parsing both import this module.
"""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, Strict, TypeAdapter, ValidationError
from sqlalchemy.exc import DataError, StatementError

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
EARLIEST_DAY, LATEST_DAY = EARLIEST.date(), date(2199, 12, 31)
"""Dates and moments from outside lie in the years 1900–2199."""
NO_NUL_PATTERN = "^[^\\u0000]*$"


def clean_text(value: str) -> str:
    """Refuse what no database column takes: NUL (PostgreSQL) and lone surrogates (UTF-8)."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    if any("\ud800" <= char <= "\udfff" for char in value):
        raise ValueError("must be valid Unicode text")
    return value


def in_range_moment(value: datetime) -> datetime:
    """A moment with a timezone in the years 1900–2199 (as written, in its own offset), so
    that no conversion or arithmetic on it can overflow."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must have a timezone")
    if not EARLIEST.year <= value.year < LATEST.year:
        raise ValueError("must lie between 1900 and 2200")
    return value


def in_range_day(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError("must lie between 1900 and 2200")
    return value


SafeText = Annotated[
    str,
    Strict(),
    Field(json_schema_extra={"pattern": NO_NUL_PATTERN}),
    AfterValidator(clean_text),
]
"""A string without NUL; every use gives its length: ``Annotated[SafeText, Field(max_length=64)]``
(``tests/test_inputs.py`` checks that every request field has one)."""


_JSON_NUL = "\\u0000"
"""A NUL inside a JSON value as serialised for a json/jsonb column, which PostgreSQL refuses."""
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def written_out(value: object) -> object:
    """Dates and moments arrive as text (or as objects from our own code), never as numbers:
    pydantic would otherwise read ``0`` as 1970-01-01."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.match(value)):
        return value
    raise ValueError("must be written out as a string (ISO 8601, e.g. 2026-12-31)")


YEARS_PATTERN = "^(19|2[01])[0-9]{2}-"
"""The years 1900–2199 as the OpenAPI document states them for dates and moments."""

Moment = Annotated[
    datetime,
    BeforeValidator(written_out),
    AfterValidator(in_range_moment),
    Field(json_schema_extra={"pattern": YEARS_PATTERN}),
]
"""An ISO 8601 / RFC 3339 string with an offset, 1900–2200; a number is not a moment."""

Day = Annotated[
    date,
    BeforeValidator(written_out),
    AfterValidator(in_range_day),
    Field(json_schema_extra={"pattern": YEARS_PATTERN}),
]
"""An ISO 8601 date string, 1900–2200."""

Sequence = Annotated[int, Field(ge=0, le=INT64_MAX)]
"""A position in an ordered log (a bigint column)."""

PageNumber = Annotated[int, Field(ge=1, le=10_000)]
"""A page of a list: from 1, and never so far that its offset costs the database a scan."""

Code = Annotated[SafeText, Field(min_length=1, max_length=64)]
"""An identifier someone else chose: a service code, a register id."""

Bsn = Annotated[
    str,
    Strict(),
    Field(
        pattern=r"^[0-9]{9}$",
        description="Burgerservicenummer: nine digits that pass the elfproef",
        json_schema_extra={"format": "bsn"},
    ),
]
KvkNumber = Annotated[
    str, Strict(), Field(pattern=r"^[0-9]{8}$", description="KvK number: eight digits")
]


def check(kind: Any, value: object) -> Any:
    """Validate one value against a building block; ``ValueError`` with the reason if not."""
    try:
        return TypeAdapter(kind).validate_python(value)
    except ValidationError as error:
        raise ValueError(error.errors()[0]["msg"]) from None


def breaks_input_rules(value: object) -> bool:
    """Whether a bound parameter is something these building blocks refuse at the door.

    Such a value reached a statement only because an entrance forgot to check it: it came
    from the client. Anything else a driver refuses is our own fault.
    """
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not INT64_MIN <= value <= INT64_MAX
    if isinstance(value, str):
        try:
            clean_text(value)
        except ValueError:
            return True
        return _JSON_NUL in value
    if isinstance(value, datetime):
        try:
            in_range_moment(value)
        except ValueError:
            return True
        return False
    if isinstance(value, dict):
        return any(breaks_input_rules(v) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(breaks_input_rules(v) for v in value)
    return False


DRIVER_REFUSALS = (DataError, OverflowError, UnicodeEncodeError)
"""What a driver raises for a value it cannot bind or store: psycopg's DataError (NUL, a
bigint out of range), sqlite3's OverflowError (an int beyond 64 bits), a lone surrogate."""


def refused_client_input(error: BaseException) -> bool:
    """Whether the database driver refused a bound value that breaks the input rules.

    Only then is the refusal the client's doing (an entrance forgot a check; answer 400 and
    log it); a refusal of values that pass the rules is a fault of ours and stays a 500.
    """
    if not isinstance(error, DRIVER_REFUSALS):
        return False
    parameters = error.params if isinstance(error, StatementError) else _bound_parameters(error)
    return parameters is not None and breaks_input_rules(parameters)


def _bound_parameters(error: BaseException) -> object:
    """The parameters of the statement being executed when the driver raised, if any."""
    found: object = None
    trace = error.__traceback__
    while trace is not None:
        frame = trace.tb_frame
        if frame.f_code.co_name.startswith("do_execute") and "parameters" in frame.f_locals:
            found = frame.f_locals["parameters"]
        trace = trace.tb_next
    return found
