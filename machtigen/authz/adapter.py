"""oso data filtering in SQL.

oso's stock SQLAlchemy adapter joins every relation of every rule with INNER
JOINs (so the owner's rule disappears when a representative rule joins a table
the owner has no rows in) and translates ``in`` with Python's operator. This one
turns each disjunct of the filter into its own correlated ``EXISTS`` over just
the relations that disjunct uses, and pushes equality, membership and ordering.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from polar.data.adapter.adapter import DataAdapter
from polar.data.filter import Condition, DataFilter, Projection, Relation
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    false,
    inspect,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.operators import ColumnOperators

_session: ContextVar[Session | None] = ContextVar("machtigen_authz_session", default=None)


@contextmanager
def bound_session(session: Session) -> Iterator[None]:
    """Per-object checks follow relations through the adapter; they read with this session."""
    token = _session.set(session)
    try:
        yield
    finally:
        _session.reset(token)


class SqlAdapter(DataAdapter):
    def build_query(self, data_filter: DataFilter) -> Select[Any]:
        root = data_filter.model
        groups: dict[tuple[Relation, ...], list[list[Condition]]] = {}
        for conjunction in _without_implied(data_filter.conditions):
            groups.setdefault(_relations_of(data_filter, conjunction), []).append(conjunction)
        clauses = [
            _group_clause(relations, data_filter, conjunctions)
            for relations, conjunctions in groups.items()
        ]
        return select(root).where(_any(clauses))

    def execute_query(self, query: Select[Any]) -> list[Any]:
        session = _session.get()
        if session is None:
            raise RuntimeError("authorization query outside bound_session()")
        return list(session.scalars(query))


def _relations_of(data_filter: DataFilter, conjunction: list[Condition]) -> tuple[Relation, ...]:
    used = {
        side.source
        for condition in conjunction
        for side in (condition.left, condition.right)
        if isinstance(side, Projection) and side.source is not data_filter.model
    }
    return tuple(
        sorted(
            _relations_reaching(data_filter, used), key=lambda rel: (rel.left.__name__, rel.name)
        )
    )


def _group_clause(
    relations: tuple[Relation, ...], data_filter: DataFilter, conjunctions: list[list[Condition]]
) -> ColumnElement[bool]:
    """Disjuncts over the same joins become one EXISTS; conditions they all share are pulled out."""
    keyed = [
        {_condition_key(condition): condition for condition in conjunction}
        for conjunction in conjunctions
    ]
    shared_keys = set(keyed[0]).intersection(*keyed[1:])
    on_root = {key for key in shared_keys if _only_root(data_filter, keyed[0][key])}
    outer = [_sqlize(keyed[0][key]) for key in sorted(on_root, key=_stable_order)]
    shared = [_sqlize(keyed[0][key]) for key in sorted(shared_keys - on_root, key=_stable_order)]
    alternatives = [
        _all(
            [
                _sqlize(conditions[key])
                for key in sorted(conditions, key=_stable_order)
                if key not in shared_keys
            ]
        )
        for conditions in keyed
    ]
    where = _all([*shared, _any(alternatives)])
    if not relations:
        return _all([*outer, where])
    joins = [_join_condition(data_filter, relation) for relation in relations]
    return _all([*outer, exists(select(literal(1)).where(*joins, where))])


def _only_root(data_filter: DataFilter, condition: Condition) -> bool:
    """A condition on the root row alone, kept outside the EXISTS so an index can serve it."""
    return all(
        side.source is data_filter.model
        for side in (condition.left, condition.right)
        if isinstance(side, Projection)
    )


def _without_implied(conjunctions: list[list[Condition]]) -> list[list[Condition]]:
    """Drop every disjunct that asks all that another one asks and more (A or (A and B) is A).

    oso emits such pairs, e.g. "an administrator" next to "an administrator with the client
    assigned"; dropping the longer one changes no answer and halves the work for a row.
    """
    keys = [frozenset(_condition_key(c) for c in conjunction) for conjunction in conjunctions]
    kept = []
    for index, conjunction in enumerate(conjunctions):
        implied = any(
            other < keys[index] or (other == keys[index] and other_index < index)
            for other_index, other in enumerate(keys)
            if other_index != index
        )
        if not implied:
            kept.append(conjunction)
    return kept


def _all(clauses: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return and_(true(), *clauses)


def _any(clauses: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return or_(false(), *clauses)


def _condition_key(condition: Condition) -> tuple[str, str, str]:
    def side_key(side: Any) -> str:
        if isinstance(side, Projection):
            return f"{side.source.__name__}.{side.field}"
        return f"={side!r}"

    return (side_key(condition.left), condition.cmp, side_key(condition.right))


def _stable_order(key: tuple[str, str, str]) -> tuple[tuple[str, ...], tuple[str, str, str]]:
    """Columns and operators first, values last: the same SQL for every actor of a kind, so
    that a compiled query can serve every actor of a kind (authz/prepared.py)."""
    return tuple("=" if part.startswith("=") else part for part in key), key


def _relations_reaching(data_filter: DataFilter, used: set[type]) -> list[Relation]:
    """The relations on the paths from the root to every type a disjunct mentions."""
    by_target: dict[type, Relation] = {}
    for relation in data_filter.relations:
        if relation.right in by_target:
            raise ValueError(f"{relation.right.__name__} is reached twice in one policy rule")
        by_target[relation.right] = relation
    needed: dict[type, Relation] = {}
    for target in used:
        while target is not data_filter.model and target not in needed:
            relation = by_target[target]
            needed[target] = relation
            target = relation.left
    return list(needed.values())


def _join_condition(data_filter: DataFilter, relation: Relation) -> ColumnElement[bool]:
    field = data_filter.types[relation.left].fields[relation.name]
    return getattr(relation.left, field.my_field) == getattr(relation.right, field.other_field)


def _side(side: Any) -> Any:
    if isinstance(side, Projection):
        field = side.field or inspect(side.source).primary_key[0].name
        return getattr(side.source, field)
    mapper = inspect(type(side), raiseerr=False)
    if mapper is not None:
        return getattr(side, mapper.primary_key[0].name)
    return side


_COMPARISONS = {
    "Eq": lambda left, right: left == right,
    "Neq": lambda left, right: left != right,
    "Lt": lambda left, right: left < right,
    "Leq": lambda left, right: left <= right,
    "Gt": lambda left, right: left > right,
    "Geq": lambda left, right: left >= right,
}


def _sqlize(condition: Condition) -> ColumnElement[bool]:
    left, right = _side(condition.left), _side(condition.right)
    if condition.cmp in ("In", "Nin"):
        if not isinstance(right, list | tuple):
            raise ValueError("membership is only pushed for a column in a list of values")
        clause = left.in_(right)
        return clause if condition.cmp == "In" else ~clause
    if not isinstance(left, ColumnOperators) and isinstance(right, ColumnOperators):
        return _COMPARISONS[_MIRRORED[condition.cmp]](right, left)
    return _COMPARISONS[condition.cmp](left, right)


_MIRRORED = {"Eq": "Eq", "Neq": "Neq", "Lt": "Gt", "Leq": "Geq", "Gt": "Lt", "Geq": "Leq"}
