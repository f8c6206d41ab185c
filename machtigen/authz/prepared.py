"""Policy rules compiled once to SQL with parameters, for the hot paths.

oso builds a data filter for concrete values on every call, which costs milliseconds. For a
question asked thousands of times a second with different ids (the afnemer's mandate check),
the filter is built once per *shape* with stand-in values (``Param``), and every stand-in is
then replaced by a named SQL parameter. The SQL is still the policy's own filter; only the
values change per call.

This is sound only for rules that use a parameter's value in comparisons with a row's columns
(which oso pushes into SQL), never against a constant or another parameter (which Polar would
decide once, for the stand-in). Values a rule branches on (an action name, a category) belong
in the shape, not in the parameters. ``tests/authz/test_prepared_check.py`` holds the compiled
answers equal to the per-object check on generated worlds.
"""

from collections.abc import Callable, Hashable
from datetime import UTC, datetime, timedelta
from threading import Lock
from typing import Any, cast
from uuid import UUID

from oso import Oso, Variable
from polar.data.filter import DataFilter
from polar.data_filtering import serialize_types
from polar.partial import TypeConstraint
from sqlalchemy import Select, bindparam, false, select
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

_STAND_IN_EPOCH = datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC)


class Params:
    """Stand-in values, one per named parameter, that no real row or question carries."""

    def __init__(self) -> None:
        self._names: dict[Hashable, str] = {}
        self._unused: dict[Hashable, str] = {}

    def uuid(self, name: str) -> UUID:
        return self._add(self._next_uuid(), name)

    def unused_uuid(self, name: str) -> UUID:
        """A value the rule must not look at for this shape (binding fails if it does)."""
        value = self._next_uuid()
        self._unused[value] = name
        return value

    def unused_moment(self, name: str) -> datetime:
        value = _STAND_IN_EPOCH - timedelta(microseconds=len(self._unused) + 1)
        self._unused[value] = name
        return value

    def _next_uuid(self) -> UUID:
        serial = len(self._names) + len(self._unused) + 1
        return UUID(f"5e471e10-0000-4000-8000-{serial:012x}")

    def moment(self, name: str) -> datetime:
        return self._add(_STAND_IN_EPOCH + timedelta(microseconds=len(self._names) + 1), name)

    def _add(self, value: Any, name: str) -> Any:
        if name in self._names.values():
            raise ValueError(f"parameter {name!r} named twice")
        self._names[value] = name
        return value

    def bind(self, statement: Select[Any]) -> Select[Any]:
        """The statement with every stand-in replaced by its named parameter."""
        found: set[str] = set()

        def replace(element: Any, **_: Any) -> Any:
            if not isinstance(element, BindParameter):
                return None
            if _key(element.value) in self._unused:
                raise ValueError(f"the rule compares {self._unused[element.value]!r} after all")
            if _key(element.value) in self._names:
                name = self._names[element.value]
                found.add(name)
                return bindparam(name, type_=element.type)
            return None

        bound = cast(Select[Any], visitors.replacement_traverse(statement, {}, replace))
        missing = set(self._names.values()) - found
        if missing:
            raise ValueError(f"the rule never compares {sorted(missing)} with a column")
        return bound


def _key(value: Any) -> Hashable | None:
    return value if isinstance(value, UUID | datetime) else None


class PreparedFilters:
    """Compiled rule filters, one per shape, built on first use and kept for the process."""

    def __init__(self, oso: Oso) -> None:
        self._oso = oso
        self._compiled: dict[Hashable, Select[Any]] = {}
        self._lock = Lock()

    def get(self, shape: Hashable, build: Callable[[], Select[Any]]) -> Select[Any]:
        statement = self._compiled.get(shape)
        if statement is None:
            with self._lock:
                statement = self._compiled.get(shape)
                if statement is None:
                    statement = build()
                    self._compiled[shape] = statement
        return statement

    def rule_filter(self, rule: str, *args: object, result: type, params: Params) -> Select[Any]:
        """SELECT of every ``result`` row for which ``rule(*args, row)`` holds, parametrised."""
        host = self._oso.host
        class_name = host.types[result].name
        row = Variable("row")
        constraint = TypeConstraint(row, class_name)
        partials = [
            {"bindings": {name: host.to_polar(value)}}
            for answer in self._oso.query_rule(
                rule, *args, row, bindings={"row": constraint}, accept_expression=True
            )
            for name, value in answer["bindings"].items()
        ]
        if not partials:
            return select(result).where(false())
        types = serialize_types(host.distinct_user_types(), host.types)
        plan = self._oso.ffi_polar.build_data_filter(types, partials, "row", class_name)
        statement = host.adapter.build_query(DataFilter.parse(self._oso, plan))
        return params.bind(statement)
