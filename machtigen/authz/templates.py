"""Data-filtering queries compiled once per kind of actor, like prepared statements.

oso derives the SQL filter by partially evaluating the whole policy, which takes tens to
hundreds of milliseconds per call; the result differs between two actors of the same kind
only in the actor's own ids, its moment and its display name. So the filter is compiled
once with stand-in values for those fields, and each call copies it with the actor's real
values in the bound parameters. Every other field (means, level of assurance, the admin and
office flags, ...) is part of the cache key, since the policy may branch on it.

A template is only trusted when two compilations with different stand-ins (a moment in 1900
and one in 2999, fresh random ids) give the same SQL with the stand-ins in the same places:
a policy that compared the actor's moment or ids with a constant would change the shape of
the query, and such a query is then compiled for every call instead.
"""

import dataclasses
import threading
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Select, bindparam
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

FREE_TEXT_FIELDS = frozenset({"name"})
"""Actor fields that are display text, never a policy decision: substituted like ids."""
_MOMENTS = (
    datetime(1900, 1, 1, 0, 0, 0, 123457, tzinfo=UTC),
    datetime(2999, 12, 31, 23, 59, 59, 876543, tzinfo=UTC),
)


PARAM_PREFIX = "authz_actor_"
"""Bound parameters named ``authz_actor_<field>`` carry the actor's values."""


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A data-filtering query and the parameter values to execute it with.

    ``reusable``: the statement is the same object for every actor of this kind, so
    statements built from it may be cached (like it, they take the actor's values as
    parameters at execution).
    """

    statement: Select[Any]
    params: dict[str, Any]
    reusable: bool


@dataclasses.dataclass(frozen=True)
class _Template:
    statement: Select[Any]
    """The compiled query with a named, required bound parameter for each actor field."""

    def prepared(self, values: dict[str, Any]) -> Prepared:
        return Prepared(self.statement, _params(values), reusable=True)

    def bind(self, values: dict[str, Any]) -> Select[Any]:
        return self.statement.params(_params(values))


def _params(values: dict[str, Any]) -> dict[str, Any]:
    return {PARAM_PREFIX + name: value for name, value in values.items()}


class QueryTemplates:
    """Compiled data-filtering queries by (actor kind and its structural fields, action, model)."""

    def __init__(self, compile_query: Callable[[Any, str, type[Any]], Select[Any]]) -> None:
        self._compile = compile_query
        self._templates: dict[Hashable, _Template | None] = {}
        self._lock = threading.Lock()

    def select(self, actor: Any, action: str, model: type[Any]) -> Select[Any]:
        """The query with the actor's values in it, ready to execute."""
        template, values = self._lookup(actor, action, model)
        if template is None:
            return self._compile(actor, action, model)
        return template.bind(values)

    def prepared(self, actor: Any, action: str, model: type[Any]) -> Prepared:
        """The shared query and the actor's values as parameters: nothing copied per call."""
        template, values = self._lookup(actor, action, model)
        if template is None:
            return Prepared(self._compile(actor, action, model), {}, reusable=False)
        return template.prepared(values)

    def _lookup(
        self, actor: Any, action: str, model: type[Any]
    ) -> tuple[_Template | None, dict[str, Any]]:
        if not dataclasses.is_dataclass(actor) or isinstance(actor, type):
            return None, {}
        structural, values = _split(actor)
        key = (type(actor), structural, action, model)
        with self._lock:
            known = key in self._templates
            template = self._templates.get(key)
        if not known:
            template = self._template(actor, values, action, model)
            with self._lock:
                self._templates[key] = template
        return template, values

    def _template(
        self, actor: Any, values: dict[str, Any], action: str, model: type[Any]
    ) -> _Template | None:
        builds = []
        for moment in _MOMENTS:
            stand_ins = {name: _stand_in(value, moment) for name, value in values.items()}
            statement = self._compile(dataclasses.replace(actor, **stand_ins), action, model)
            fields_by_stand_in = {stand_in: name for name, stand_in in stand_ins.items()}
            builds.append((statement, fields_by_stand_in))
        shapes = {_shape(statement, fields) for statement, fields in builds}
        if len(shapes) != 1:
            return None
        statement, fields_by_stand_in = builds[0]
        return _named(statement, fields_by_stand_in)


def _named(statement: Select[Any], fields_by_stand_in: dict[Any, str]) -> _Template | None:
    """Each stand-in value becomes a named parameter; None if one sits inside a list."""
    inside_lists: list[Any] = []

    def replace(element: Any) -> Any:
        if not isinstance(element, BindParameter):
            return None
        value = element.value
        if isinstance(value, list | tuple):
            inside_lists.extend(item for item in value if _is_stand_in(item, fields_by_stand_in))
            return None
        if not _is_stand_in(value, fields_by_stand_in):
            return None
        return bindparam(PARAM_PREFIX + fields_by_stand_in[value], type_=element.type)

    named: Any = visitors.replacement_traverse(statement, {}, replace)  # type: ignore[call-overload]
    return None if inside_lists else _Template(named)


def _is_stand_in(value: Any, fields_by_stand_in: dict[Any, str]) -> bool:
    return isinstance(value, Hashable) and value in fields_by_stand_in


def _split(actor: Any) -> tuple[tuple[tuple[str, type, Any], ...], dict[str, Any]]:
    """(the fields the query's shape may depend on, the fields that are only values in it)."""
    structural, values = [], {}
    for field in dataclasses.fields(actor):
        value = getattr(actor, field.name)
        if isinstance(value, UUID | datetime) or (
            field.name in FREE_TEXT_FIELDS and isinstance(value, str)
        ):
            values[field.name] = value
        else:
            # The type too: 1 == True in Python, not in Polar (``actor.is_admin = true``).
            structural.append((field.name, type(value), value))
    return tuple(structural), values


def _stand_in(value: Any, moment: datetime) -> Any:
    if isinstance(value, UUID):
        return uuid4()
    if isinstance(value, datetime):
        return moment
    return f"\x00stand-in-{uuid4()}"


def _shape(statement: Select[Any], fields_by_stand_in: dict[Any, str]) -> tuple[str, ...]:
    """The SQL text and its parameter values, with each stand-in replaced by its field name."""
    compiled = statement.compile()
    params = []
    for name in compiled.positiontup or sorted(compiled.params):
        value = compiled.params[name]
        items = value if isinstance(value, list | tuple) else [value]
        params.append(
            repr(
                [
                    f"<{fields_by_stand_in[item]}>"
                    if _is_stand_in(item, fields_by_stand_in)
                    else item
                    for item in items
                ]
            )
        )
    return (str(compiled), *params)
