"""The filter compiler: policy rules compiled to SQL once per shape, with bound parameters.

oso derives a rule's SQL filter by partially evaluating the policy, which takes tens to
hundreds of milliseconds per call. Two questions of the same *shape* (the same rule, the
same kind of actor with the same flags, the same action) get filters that differ only in
values: ids, a moment, a display name. So the filter is compiled once with stand-in values
for those (``Params``), every stand-in is swapped for a named bound parameter, and the
statement is kept for the process; each call executes it with its own values. The SQL is
still the policy's own filter (machtigen/authz/adapter.py builds it).

Two callers, one mechanism:

- ``select`` and ``prepared``: the ``allow`` filter of every row an actor may act on. The
  actor's ids, moment and name are its parameters (``authz_actor_<field>``); every other
  field is part of the shape. A filter that cannot take them as parameters is compiled for
  every call instead.
- ``rule_filter`` and ``get``: any rule, with parameters named by the caller (the mandate
  check, machtigen/mandates/check.py). A rule that cannot take them is refused.

Soundness. Swapping a stand-in for a parameter is only right when the rule compares it with
a row's column, which oso pushes into the SQL. A rule that compared it with a constant
would be decided once, for the stand-in. So every filter is compiled twice, with two sets of
stand-ins far apart (moments in 1901 and in 2998, other ids, other texts), and is trusted only
when both give the same SQL with the stand-ins in the same places. Refused too: a stand-in
inside a list (``in [...]``), one the caller declared unused that the SQL compares after
all, and a required one the SQL never compares while it compares others (a filter with no
parameter at all, for a rule that never holds for the shape, needs none). Values a rule
branches on (an action, a category, a flag) belong in the shape, never in the parameters.
Not caught: a rule comparing two parameters with each other (Polar decides that for the
stand-ins, which always differ); no shape here has one.

This is the only module that reaches into oso's internals (partial evaluation with a
``TypeConstraint``, ``build_data_filter``, ``DataFilter``); the rest of the service asks the
``Authorizer``. tests/authz/test_prepared.py checks the mechanism;
tests/authz/test_prepared_check.py (the mandate check) and test_list_consistency.py (the
listings) hold the compiled answers equal to the per-object policy on generated worlds.
"""

import dataclasses
from collections.abc import Callable, Hashable
from datetime import UTC, datetime, timedelta
from threading import RLock
from typing import Any, Literal, cast
from uuid import UUID

from oso import Oso, Variable
from polar.data.filter import DataFilter
from polar.data_filtering import serialize_types
from polar.partial import TypeConstraint
from sqlalchemy import Select, bindparam, false, select
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

CompileRule = Callable[[str, tuple[Any, ...], type[Any]], Select[Any]]
"""``compile_rule(rule, args, result)``: SELECT of every ``result`` row for which
``rule(*args, row)`` holds, with the arguments' values in it as they are."""

PARAM_PREFIX = "authz_actor_"
"""Bound parameters named ``authz_actor_<field>`` carry the actor's values (``select``)."""

FREE_TEXT_FIELDS = frozenset({"name"})
"""Actor fields that are display text, never a policy decision: parameters like ids."""

_EPOCHS = (
    datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC),
    datetime(2998, 11, 10, 9, 8, 7, tzinfo=UTC),
)
"""Where each of the two compilations puts its moments: a rule comparing a moment with a
constant between them gives two different filters."""

Role = Literal["required", "optional", "unused"]


class Unsound(ValueError):
    """The rule's filter cannot take these values as parameters."""


@dataclasses.dataclass(frozen=True)
class _Param:
    name: str
    role: Role
    alternate: Any
    """The stand-in of the second compilation."""


class Params:
    """Stand-in values, one per named parameter, that no real row or question carries.

    ``uuid`` and ``moment`` name a parameter the rule must compare with a column;
    ``unused_uuid`` and ``unused_moment`` a value it must not look at for this shape;
    ``optional`` a value it may compare or ignore (an actor's fields).
    """

    def __init__(self) -> None:
        self._by_stand_in: dict[Hashable, _Param] = {}

    def uuid(self, name: str) -> UUID:
        return cast(UUID, self._add(name, "required", UUID))

    def moment(self, name: str) -> datetime:
        return cast(datetime, self._add(name, "required", datetime))

    def unused_uuid(self, name: str) -> UUID:
        return cast(UUID, self._add(name, "unused", UUID))

    def unused_moment(self, name: str) -> datetime:
        return cast(datetime, self._add(name, "unused", datetime))

    def optional(self, name: str, value: UUID | datetime | str) -> Any:
        """A stand-in of ``value``'s type for a parameter the rule may leave out."""
        kind = UUID if isinstance(value, UUID) else datetime if isinstance(value, datetime) else str
        return self._add(name, "optional", kind)

    def _add(self, name: str, role: Role, kind: type) -> Any:
        if any(param.name == name for param in self._by_stand_in.values()):
            raise ValueError(f"parameter {name!r} named twice")
        serial = len(self._by_stand_in) + 1
        first, second = (_stand_in(kind, generation, serial) for generation in (0, 1))
        self._by_stand_in[first] = _Param(name, role, second)
        return first

    def _names(self, generation: int) -> dict[Hashable, str]:
        """Stand-in → parameter name, for the values of the first or the second compilation."""
        return {
            (stand_in if generation == 0 else param.alternate): param.name
            for stand_in, param in self._by_stand_in.items()
        }

    def _alternates(self, arg: Any) -> Any:
        """``arg`` as the second compilation sees it: each stand-in swapped for its alternate,
        in the argument itself or in its dataclass fields."""
        if _is_value(arg) and arg in self._by_stand_in:
            return self._by_stand_in[arg].alternate
        if not dataclasses.is_dataclass(arg) or isinstance(arg, type):
            return arg
        changes = {
            field.name: self._by_stand_in[value].alternate
            for field in dataclasses.fields(arg)
            if _is_value(value := getattr(arg, field.name)) and value in self._by_stand_in
        }
        return dataclasses.replace(arg, **changes) if changes else arg

    def parametrised(
        self, compile_rule: CompileRule, rule: str, args: tuple[Any, ...], result: type
    ) -> Select[Any]:
        """The filter compiled twice, checked, with every stand-in a named bound parameter."""
        first = compile_rule(rule, args, result)
        second = compile_rule(rule, tuple(self._alternates(arg) for arg in args), result)
        if _shape(first, self._names(0)) != _shape(second, self._names(1)):
            names = sorted(param.name for param in self._by_stand_in.values())
            raise Unsound(
                f"the filter of {rule!r} changes with the values of {names}: the rule decides "
                "on one of them instead of comparing it with a column"
            )
        return self._bind(first)

    def _bind(self, statement: Select[Any]) -> Select[Any]:
        found: set[str] = set()

        def replace(element: Any, **_: Any) -> Any:
            if not isinstance(element, BindParameter):
                return None
            value = element.value
            if isinstance(value, list | tuple):
                inside = [self._by_stand_in[v].name for v in value if self._known(v)]
                if inside:
                    raise Unsound(f"the rule looks for {inside} in a list of values")
                return None
            if not self._known(value):
                return None
            param = self._by_stand_in[value]
            if param.role == "unused":
                raise Unsound(f"the rule compares {param.name!r} after all")
            found.add(param.name)
            return bindparam(param.name, type_=element.type)

        bound = cast(Select[Any], visitors.replacement_traverse(statement, {}, replace))
        required = {p.name for p in self._by_stand_in.values() if p.role == "required"}
        # A filter with no parameter at all (the rule never holds for this shape) needs none.
        if found and required - found:
            raise Unsound(f"the rule never compares {sorted(required - found)} with a column")
        return bound

    def _known(self, value: Any) -> bool:
        return _is_value(value) and value in self._by_stand_in


def _is_value(value: Any) -> bool:
    return isinstance(value, UUID | datetime | str)


def _stand_in(kind: type, generation: int, serial: int) -> Any:
    if kind is UUID:
        return UUID(f"5e471e10-{generation:04x}-4000-8000-{serial:012x}")
    if kind is datetime:
        return _EPOCHS[generation] + timedelta(microseconds=serial)
    if kind is str:
        return f"\x00stand-in-{generation}-{serial}"
    raise TypeError(f"no stand-in for a {kind.__name__}")


def _shape(statement: Select[Any], names: dict[Hashable, str]) -> tuple[str, ...]:
    """The SQL text and its parameter values, with each stand-in replaced by its name."""
    compiled = statement.compile()

    def shown(item: Any) -> Any:
        return f"<{names[item]}>" if _is_value(item) and item in names else item

    values = []
    for key in compiled.positiontup or sorted(compiled.params):
        value = compiled.params[key]
        items = value if isinstance(value, list | tuple) else [value]
        values.append(repr([shown(item) for item in items]))
    return (str(compiled), *values)


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


_MISSING = object()


class FilterCompiler:
    """Compiled rule filters, one per shape, built on first use and kept for the process."""

    def __init__(self, compile_rule: CompileRule) -> None:
        self._compile = compile_rule
        self._compiled: dict[Hashable, Any] = {}
        self._building: dict[Hashable, RLock] = {}
        self._lock = RLock()

    @classmethod
    def for_oso(cls, oso: Oso) -> "FilterCompiler":
        return cls(_oso_compiler(oso))

    def get(self, shape: Hashable, build: Callable[[], Any]) -> Any:
        """What ``build`` returns for this shape, built once (a statement, usually). Two
        shapes compile at the same time; a second caller of the same shape waits for it."""
        found = self._compiled.get(shape, _MISSING)
        if found is not _MISSING:
            return found
        with self._lock:
            building = self._building.setdefault(shape, RLock())
        with building:
            found = self._compiled.get(shape, _MISSING)
            if found is _MISSING:
                found = build()
                self._compiled[shape] = found
        return found

    def rule_filter(self, rule: str, *args: object, result: type, params: Params) -> Select[Any]:
        """SELECT of every ``result`` row for which ``rule(*args, row)`` holds, with the
        stand-ins of ``params`` in ``args`` as named parameters; ``Unsound`` if it cannot."""
        return params.parametrised(self._compile, rule, args, result)

    def select(self, actor: Any, action: str, model: type[Any]) -> Select[Any]:
        """Every ``model`` row the actor may ``action``, with the actor's values in it."""
        statement, values = self._allow(actor, action, model)
        if statement is None:
            return self._compile("allow", (actor, action), model)
        return statement.params(values)

    def prepared(self, actor: Any, action: str, model: type[Any]) -> Prepared:
        """The shared statement and the actor's values as parameters: nothing copied per call."""
        statement, values = self._allow(actor, action, model)
        if statement is None:
            return Prepared(self._compile("allow", (actor, action), model), {}, reusable=False)
        return Prepared(statement, values, reusable=True)

    def _allow(
        self, actor: Any, action: str, model: type[Any]
    ) -> tuple[Select[Any] | None, dict[str, Any]]:
        if not dataclasses.is_dataclass(actor) or isinstance(actor, type):
            return None, {}
        structural, values = _split(actor)
        shape = ("allow", type(actor), structural, action, model)
        statement = self.get(shape, lambda: self._allow_filter(actor, values, action, model))
        return statement, {PARAM_PREFIX + name: value for name, value in values.items()}

    def _allow_filter(
        self, actor: Any, values: dict[str, Any], action: str, model: type[Any]
    ) -> Select[Any] | None:
        params = Params()
        stand_ins = {name: params.optional(PARAM_PREFIX + name, v) for name, v in values.items()}
        try:
            return self.rule_filter(
                "allow",
                dataclasses.replace(actor, **stand_ins),
                action,
                result=model,
                params=params,
            )
        except Unsound:
            return None


def _split(actor: Any) -> tuple[tuple[tuple[str, type, Any], ...], dict[str, Any]]:
    """(the fields the filter's shape may depend on, the fields that are only values in it)."""
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


def _oso_compiler(oso: Oso) -> CompileRule:
    """oso's data filter of a rule for a row of one class, as our adapter writes it in SQL
    (what ``Oso.authorized_query`` does for ``allow``, for any rule)."""

    def compile_rule(rule: str, args: tuple[Any, ...], result: type) -> Select[Any]:
        host = oso.host
        class_name = host.types[result].name
        row = Variable("row")
        partials = [
            {"bindings": {name: host.to_polar(value)}}
            for answer in oso.query_rule(
                rule,
                *args,
                row,
                bindings={"row": TypeConstraint(row, class_name)},
                accept_expression=True,
            )
            for name, value in answer["bindings"].items()
        ]
        if not partials:
            return select(result).where(false())
        types = serialize_types(host.distinct_user_types(), host.types)
        plan = oso.ffi_polar.build_data_filter(types, partials, "row", class_name)
        return cast(Select[Any], host.adapter.build_query(DataFilter.parse(oso, plan)))

    return compile_rule
