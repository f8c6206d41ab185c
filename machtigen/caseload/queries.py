"""The caseload's SQL: the policy's own filters, composed and cached as prepared statements.

Every statement here is built on ``ctx.authz.prepared(actor, action, model)``: the SQL filter
oso derives from the policy, compiled once per kind of actor, taking the actor's values as
parameters (machtigen/authz/prepared.py). The statements built on top of it are cached the
same way, keyed by the filters they were built from, so a dashboard request copies nothing
and SQLAlchemy's compiled cache serves it; only the values travel.
"""

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CTE,
    Column,
    ColumnElement,
    Date,
    Exists,
    Select,
    String,
    Uuid,
    and_,
    bindparam,
    exists,
    func,
    literal,
    not_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.sql import Executable, operators, visitors
from sqlalchemy.sql.elements import BooleanClauseList, Grouping
from sqlalchemy.sql.util import ClauseAdapter
from sqlmodel import col

from machtigen.authz.prepared import Prepared
from machtigen.context import Ctx
from machtigen.identity.models import Person
from machtigen.mandates.models import LegalMeasure, Mandate
from machtigen.messages.models import Message, MessageRead

_STATEMENTS: dict[tuple[Any, ...], tuple[tuple[Select[Any], ...], Executable]] = {}
"""Built statements by (name, the filters' identities); the filters are kept alive with them."""


def clients(ctx: Ctx) -> Sequence[Any]:
    """(id, given name, family name, basis, measure kind, end) per basis of every client.

    A client is a person the actor may ``act_for``; the basis is each mandate or measure
    the actor acts ``act_under`` for them. Starting from the bases (an index lookup by
    representative) the ``act_for`` filter runs for a few hundred people, not for everyone.
    """
    return _run(
        ctx,
        "clients",
        (
            _prepared(ctx, "act_for", Person),
            _prepared(ctx, "act_under", LegalMeasure),
            _prepared(ctx, "act_under", Mandate),
        ),
        _clients,
    )


def message_counts(ctx: Ctx, person_ids: list[UUID], today: date) -> Sequence[Any]:
    """(client, unread, next deadline) over the messages the actor may read, not archived."""
    return _run(
        ctx,
        "message_counts",
        (_prepared(ctx, "read", Message),),
        _message_counts,
        caseload_person_ids=person_ids,
        caseload_today=today,
        caseload_reader_kind=ctx.actor.kind,
        caseload_reader_id=ctx.actor.key,
    )


def _prepared(ctx: Ctx, action: str, model: type[Any]) -> Prepared:
    return ctx.authz.prepared(ctx.actor, action, model)


def _run(
    ctx: Ctx,
    name: str,
    filters: tuple[Prepared, ...],
    build: Callable[..., Executable],
    **values: Any,
) -> Sequence[Any]:
    statements = tuple(prepared.statement for prepared in filters)
    if all(prepared.reusable for prepared in filters):
        key = (name, *map(id, statements))
        cached = _STATEMENTS.get(key)
        if cached is None:
            cached = _STATEMENTS[key] = (statements, build(*statements))
        statement = cached[1]
    else:
        statement = build(*statements)
    params = {key: value for prepared in filters for key, value in prepared.params.items()}
    return ctx.session.execute(statement, {**params, **values}).all()


def _clients(people: Select[Any], measures: Select[Any], mandates: Select[Any]) -> Executable:
    bases = union_all(
        measures.with_only_columns(
            col(LegalMeasure.subject_person_id).label("person_id"),
            literal("legal_measure").label("basis"),
            col(LegalMeasure.kind).label("kind"),
            col(LegalMeasure.ends_at).label("ends_at"),
        ),
        mandates.with_only_columns(
            col(Mandate.represented_person_id).label("person_id"),
            literal("voluntary_mandate").label("basis"),
            literal(None, String()).label("kind"),
            col(Mandate.valid_until).label("ends_at"),
        ),
    ).subquery("basis")
    statement = select(
        col(Person.id),
        col(Person.given_name),
        col(Person.family_name),
        col(Person.date_of_birth),
        bases.c.basis,
        bases.c.kind,
        bases.c.ends_at,
    ).join_from(bases, Person, col(Person.id) == bases.c.person_id)
    return statement if people.whereclause is None else statement.where(people.whereclause)


def _message_counts(readable: Select[Any]) -> Executable:
    """Per client: unread messages and the next deadline, among those the policy lets it read.

    The policy's filter on Message reads only a message's person, service and channel (and
    rows reached from those). So the clients' messages are first counted per (person,
    service, channel), and the same filter decides per group: one decision for all messages
    that agree on everything it looks at, instead of one per message. The filter is an OR of
    the policy's rules; each rule selects its groups on its own (a semi-join PostgreSQL can
    hash, where an OR of correlated EXISTS is a subquery per group) and the UNION is exactly
    the groups the whole filter lets through. Should the policy ever read another column of
    a message, the filter is applied per message instead.
    """
    groups = (
        select(
            col(Message.person_id).label("person_id"),
            col(Message.service_id).label("service_id"),
            col(Message.channel).label("channel"),
            func.count().filter(not_(_read_by_actor())).label("unread"),
            func.min(col(Message.deadline)).filter(_upcoming()).label("next_deadline"),
        )
        .where(_of_clients(), col(Message.archived_at).is_(None))
        .group_by(col(Message.person_id), col(Message.service_id), col(Message.channel))
        .cte("message_group")
    )
    policy = readable.whereclause
    decided = _over(groups, policy) if policy is not None else true()
    if decided is None:
        return _message_counts_per_message(readable)
    branches = [select(groups).where(rule) for rule in _rules(decided)]
    allowed = (union(*branches) if len(branches) > 1 else branches[0]).subquery("readable_group")
    return select(
        allowed.c.person_id,
        func.coalesce(func.sum(allowed.c.unread), 0),
        func.min(allowed.c.next_deadline),
    ).group_by(allowed.c.person_id)


def _rules(clause: ColumnElement[bool]) -> list[Any]:
    """The terms of a top-level OR (the policy's rules), or the clause itself."""
    element: Any = clause
    while isinstance(element, Grouping):
        element = element.element
    clause = element
    if isinstance(clause, BooleanClauseList) and clause.operator is operators.or_:
        return list(clause.clauses)
    return [clause]


def _over(groups: CTE, clause: ColumnElement[bool]) -> ColumnElement[bool] | None:
    """``clause`` about a message, made about a group; None if it reads an ungrouped column."""
    message_table = Message.__table__  # type: ignore[attr-defined]
    read = {
        element.name
        for element in visitors.iterate(clause)
        if isinstance(element, Column) and element.table is message_table
    }
    if not read <= set(groups.c.keys()):
        return None
    return ClauseAdapter(groups).traverse(clause)


def _message_counts_per_message(readable: Select[Any]) -> Executable:
    return (
        readable.where(_of_clients(), col(Message.archived_at).is_(None))
        .with_only_columns(
            col(Message.person_id),
            func.count().filter(not_(_read_by_actor())),
            func.min(col(Message.deadline)).filter(_upcoming()),
        )
        .group_by(col(Message.person_id))
    )


def _of_clients() -> ColumnElement[bool]:
    ids = bindparam("caseload_person_ids", expanding=True, type_=Uuid())
    return col(Message.person_id).in_(ids)


def _upcoming() -> ColumnElement[bool]:
    return col(Message.deadline) >= bindparam("caseload_today", type_=Date())


def _read_by_actor() -> Exists:
    """The actor itself opened the message (each reader has their own read state)."""
    return exists().where(
        and_(
            col(MessageRead.message_id) == col(Message.id),
            col(MessageRead.reader_kind) == bindparam("caseload_reader_kind", type_=String()),
            col(MessageRead.reader_id) == bindparam("caseload_reader_id", type_=Uuid()),
        )
    )
