"""The mandate check on PostgreSQL: async, one decision statement, one audit INSERT.

``check.py`` answers on any database through the ORM session, one statement at a time. On
PostgreSQL the afnemer API answers here instead, with the same answers (``tests/mandates/
test_check_pg.py`` asks both the same questions):

1. **One decision statement** for one check or a whole batch: the questions go in as arrays
   (``unnest``, so the statement's text does not depend on the batch size and is prepared
   once per connection), and for each question one SELECT finds the service (as the policy
   lets this afnemer check it), the person and the representative by their indexed columns,
   every basis the policy's compiled ``representation_basis`` finds (the same compiled rules
   as ``check.py``, one branch per representative kind, category and action, of which only
   the question's runs), and, only when none is found, the rows a denial is diagnosed from.
2. **One audit INSERT** of every answer's event (a multi-row INSERT for a batch), sent in
   autocommit: it commits on its own, durably.

Why two statements and not one: every audit event carries a MAC over its values
(``machtigen.audit.mac``), made in Python with a key the database never sees. The decision
(and the person's id it is about) is only known once the SELECT has run, so the INSERT's MAC
can only be computed after it. An answer is returned only after its audit row committed; a
failed or interrupted INSERT answers nothing (no decision answered without its audit row),
and every audit row holds the decision it records (no audit row without its decision).

The INSERT goes through ``AuditWriter``: the events of checks answered at the same moment
share one INSERT and one commit (group commit), and each check still waits for its own
events to be committed before it answers. Both statements use $n placeholders and send
every value in binary (``_BinaryRawCursor``): no query rewriting, no quoting of array
elements.

The connection comes from a psycopg ``AsyncConnectionPool`` in autocommit, without a check
per request (a broken connection fails the request with 503, and the pool replaces it).
"""

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from types import SimpleNamespace
from typing import Any, cast
from uuid import UUID

from psycopg import AsyncRawCursor
from psycopg._queries import PostgresRawQuery
from psycopg.adapt import PyFormat
from psycopg.types.json import Json
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import (
    ARRAY,
    DateTime,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    outerjoin,
    select,
    true,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import col

from machtigen.afnemers.errors import ServiceNotFound
from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.service import act_values
from machtigen.authz.actors import AfnemerActor, PersonActor, StaffActor
from machtigen.authz.engine import Authorizer
from machtigen.clock import Clock
from machtigen.context import Origin
from machtigen.errors import Forbidden, InvalidInput
from machtigen.identity.bsn import is_valid_bsn
from machtigen.identity.errors import InvalidBsn
from machtigen.mandates.check import (
    CheckAnswer,
    CheckQuestion,
    _basis_statement,
    _find_statement,
    best_answer,
)
from machtigen.mandates.models import SERVICE_ACTIONS, LegalMeasure, Mandate, MandateScope
from machtigen.mandates.why_not import diagnose

_AUDIT_COLUMNS = (
    ("occurred_at", "timestamptz"),
    ("action", "text"),
    ("actor_kind", "text"),
    ("actor_id", "text"),
    ("actor_name", "text"),
    ("subject_person_id", "uuid"),
    ("object_type", "text"),
    ("object_id", "text"),
    ("detail", "json"),
    ("ip", "text"),
    ("user_agent", "text"),
    ("means", "text"),
    ("loa", "text"),
    ("event_id", "uuid"),
    ("mac_key_id", "text"),
    ("mac", "bytea"),
)
_NUMBERED = list(enumerate(_AUDIT_COLUMNS, start=1))
# Only this module's constant column names and types are formatted in: no injection.
# Sent like the decision (``_BinaryRawCursor``): $n placeholders, every value in binary.
AUDIT_INSERT = (
    f"INSERT INTO audit_event ({', '.join(name for name, _ in _AUDIT_COLUMNS)})"  # noqa: S608
    f" SELECT * FROM unnest({', '.join(f'${n}::{kind}[]' for n, (_, kind) in _NUMBERED)})"
)
"""Every event of a batch in one INSERT; each column's values as one array."""
AUDIT_INSERT_ONE = (
    f"INSERT INTO audit_event ({', '.join(name for name, _ in _AUDIT_COLUMNS)})"  # noqa: S608
    f" VALUES ({', '.join(f'${n}::{kind}' for n, (_, kind) in _NUMBERED)})"
)
"""The event of a single check: plain values are cheaper to send than sixteen arrays."""

_QUESTION_ARRAYS = (
    ("q_idx", "idx", Integer()),
    ("q_service_code", "service_code", String()),
    ("q_person_bsn", "person_bsn", String()),
    ("q_rep_bsn", "rep_bsn", String()),
    ("q_rep_kvk", "rep_kvk", String()),
    ("q_action", "action", String()),
    ("q_at", "at", DateTime(timezone=True)),
)
_DIALECT = PGDialect_psycopg()


@dataclass(frozen=True)
class Compiled:
    sql: str
    """With PostgreSQL's own ``$1``, ``$2``… placeholders, for a raw cursor: psycopg then
    sends the text as it is (it would otherwise re-parse a text this long on every call)."""
    names: tuple[str, ...]
    """The parameter of each placeholder, in order."""


class _BinaryRawQuery(PostgresRawQuery):
    """Every parameter sent in binary: a batch's question arrays then go without the text
    format's quoting of every element (a regular expression each)."""

    def dump(self, vars: Any) -> None:
        if vars is None:
            super().dump(vars)
            return
        self._want_formats = [PyFormat.BINARY] * len(vars)
        self.params = self._tx.dump_sequence(vars, self._want_formats)
        self.types = self._tx.types or ()
        self.formats = self._tx.formats


class _BinaryRawCursor(AsyncRawCursor[Any]):
    _query_cls = _BinaryRawQuery


def _referring(statement: Select[Any], names: dict[str, str]) -> Select[Any]:
    """``statement`` with the named parameters replaced by columns of the enclosing query."""

    def replace(element: Any, **_: Any) -> Any:
        if isinstance(element, BindParameter) and element.key in names:
            return literal_column(names[element.key], element.type)
        return None

    return cast(Select[Any], visitors.replacement_traverse(statement, {}, replace))


def decision_statement(
    authz: Authorizer, actions: Sequence[str], *, single: bool = False
) -> Select[Any]:
    """The SELECT answering every question of a call (see the module's docstring); with
    ``single``, the one question of a single check as plain values instead of arrays (each
    array costs the driver more to send than its one value)."""
    if single:
        columns = [
            sql_cast(bindparam(param, type_=kind), kind).label(name)
            for param, name, kind in _QUESTION_ARRAYS
        ]
    else:
        columns = [
            func.unnest(bindparam(param, type_=ARRAY(kind))).label(name)
            for param, name, kind in _QUESTION_ARRAYS
        ]
    questions = select(*columns).subquery("q")
    found = _referring(
        _find_statement(authz),
        {
            "service_code": "q.service_code",
            "person_bsn": "q.person_bsn",
            "representative_bsn": "q.rep_bsn",
            "representative_kvk": "q.rep_kvk",
        },
    ).lateral("f")
    branches = []
    for action in actions:
        for kind, representative in (
            (PersonActor, "f.representative_person_id"),
            (StaffActor, "f.representative_office_id"),
        ):
            for category in ServiceCategory:
                basis = _referring(
                    _basis_statement(authz, kind, str(category), action),
                    {
                        "person_id": "f.person_id",
                        "service_id": "f.service_id",
                        "representative_id": representative,
                        "at": "q.at",
                    },
                )
                branches.append(
                    basis.where(
                        literal_column("q.action", String()) == action,
                        literal_column("f.category", String()) == str(category),
                        literal_column("f.person_id").is_not(None),
                        literal_column(representative).is_not(None),
                    )
                )
    every_basis = union_all(*branches).subquery("bu")
    bases = (
        select(
            func.json_agg(
                func.json_build_array(
                    every_basis.c.basis,
                    every_basis.c.mandate_id,
                    every_basis.c.measure_kind,
                    every_basis.c.measure_register_id,
                    every_basis.c.valid_from,
                    every_basis.c.valid_until,
                )
            ).label("bases")
        )
        .select_from(every_basis)
        .lateral("b")
    )
    person: Any = literal_column("f.person_id")
    none_found = literal_column("b.bases").is_(None)
    lapsing_ends_at = (
        select(col(LegalMeasure.ends_at))
        .where(col(LegalMeasure.id) == col(MandateScope.lapsed_by_measure_id))
        .scalar_subquery()
    )
    mandates = (
        select(
            func.json_agg(
                func.json_build_array(
                    col(Mandate.status),
                    col(Mandate.valid_from),
                    col(Mandate.valid_until),
                    col(MandateScope.id),
                    col(MandateScope.lapsed_by_measure_id),
                    lapsing_ends_at,
                )
            ).label("mandates")
        )
        .select_from(
            outerjoin(
                Mandate,
                MandateScope,
                and_(
                    col(MandateScope.mandate_id) == col(Mandate.id),
                    col(MandateScope.service_id) == literal_column("f.service_id"),
                    col(MandateScope.action) == literal_column("q.action"),
                ),
            )
        )
        .where(
            none_found,
            col(Mandate.represented_person_id) == person,
            _represented_by(Mandate),
        )
        .lateral("dm")
    )
    measures = (
        select(
            func.json_agg(
                func.json_build_array(
                    col(LegalMeasure.kind), col(LegalMeasure.starts_at), col(LegalMeasure.ends_at)
                )
            ).label("measures")
        )
        .where(
            none_found,
            col(LegalMeasure.subject_person_id) == person,
            _represented_by(LegalMeasure),
        )
        .lateral("dx")
    )
    return (
        select(
            questions.c.idx,
            found.c.service_id,
            found.c.category,
            found.c.person_id,
            found.c.representative_person_id,
            found.c.representative_office_id,
            bases.c.bases,
            mandates.c.mandates,
            measures.c.measures,
        )
        .select_from(
            questions.outerjoin(found, true())
            .outerjoin(bases, true())
            .outerjoin(mandates, true())
            .outerjoin(measures, true())
        )
        .order_by(questions.c.idx)
    )


def _represented_by(model: type[Mandate] | type[LegalMeasure]) -> Any:
    # A question names a person (BSN) or an office (KvK number), never both: one is null.
    return or_(
        col(model.representative_person_id) == literal_column("f.representative_person_id"),
        col(model.representative_office_id) == literal_column("f.representative_office_id"),
    )


def compile_for_psycopg(statement: Select[Any], runtime: frozenset[str]) -> Compiled:
    """The statement's SQL for psycopg: the ``runtime`` parameters stay parameters, every
    other value (the constants the policy's rules compare with: a status, an action, a kind)
    is rendered into the text by SQLAlchemy, so that a call binds only its own few values."""

    def inline(element: Any, **_: Any) -> Any:
        if not isinstance(element, BindParameter):
            return None
        clone = element._clone()
        if element.key in runtime:
            clone.required = False  # bound per call, not at compile time
        else:
            clone.literal_execute = True
        return clone

    inlined = cast(Select[Any], visitors.replacement_traverse(statement, {}, inline))
    compiled = inlined.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    names: list[str] = []

    def placeholder(found: re.Match[str]) -> str:
        if found.group(0) == "%%":
            return "%"
        name = found.group(1)
        if name not in runtime:
            raise ValueError(f"a parameter of the rules was not rendered: {name}")
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    sql = re.sub(r"%%|%\((\w+)\)s", placeholder, compiled.string)
    return Compiled(sql, tuple(names))


_RUNTIME = frozenset({"afnemer_id", *(param for param, _, _ in _QUESTION_ARRAYS)})


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _uuid(text: str | None) -> UUID | None:
    return None if text is None else UUID(text)


class FastChecks:
    """Mandate checks for the afnemer API on PostgreSQL (see the module's docstring)."""

    def __init__(self, pool: AsyncConnectionPool[Any], authz: Authorizer, clock: Clock) -> None:
        self.pool = pool
        self.authz = authz
        self.clock = clock
        self._statements: dict[tuple[str, ...], Compiled] = {}
        self._covers: dict[tuple[str, str], bool] = {}
        self._lock = Lock()
        self.audit = AuditWriter(pool)

    def statement(self, actions: tuple[str, ...], *, single: bool = False) -> Compiled:
        key = (*actions, "single") if single else actions
        compiled = self._statements.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._statements.get(key)
                if compiled is None:
                    statement = decision_statement(self.authz, actions, single=single)
                    compiled = compile_for_psycopg(statement, _RUNTIME)
                    self._statements[key] = compiled
        return compiled

    def covers(self, kind: str, category: str) -> bool:
        key = (kind, category)
        held = self._covers.get(key)
        if held is None:
            held = self._covers[key] = self.authz.holds("measure_covers", kind, category)
        return held

    async def check(self, actor: object, origin: Origin, question: CheckQuestion) -> CheckAnswer:
        return (await self.check_many(actor, origin, [question], limit=1))[0]

    async def check_many(
        self, actor: object, origin: Origin, questions: Sequence[CheckQuestion], *, limit: int
    ) -> list[CheckAnswer]:
        """Every question answered and audited, in order: two statements for the whole call."""
        if not isinstance(actor, AfnemerActor):
            raise Forbidden("Only an afnemer asks about its own services.")
        if len(questions) > limit:
            raise InvalidInput(f"At most {limit} checks in one call.")
        for question in questions:
            if question.action not in SERVICE_ACTIONS:
                raise InvalidInput(f"Unknown action {question.action!r}.")
            for bsn in (question.person_bsn, question.representative.bsn):
                if bsn is not None and not is_valid_bsn(bsn):
                    raise InvalidBsn()
        if not questions:
            return []
        # Shielded: a client that goes away mid-request does not cut the work in two; the
        # decision and its audit row are written (or neither is), the answer then unsent.
        return await asyncio.shield(self._answer_all(actor, origin, questions))

    async def _answer_all(
        self, actor: AfnemerActor, origin: Origin, questions: Sequence[CheckQuestion]
    ) -> list[CheckAnswer]:
        moments = [question.at or actor.at for question in questions]
        if len(questions) == 1:
            question = questions[0]
            compiled = self.statement((str(question.action),), single=True)
            values: dict[str, Any] = dict(
                afnemer_id=actor.afnemer_id,
                q_idx=0,
                q_service_code=question.service_code,
                q_person_bsn=question.person_bsn,
                q_rep_bsn=question.representative.bsn,
                q_rep_kvk=question.representative.kvk_number,
                q_action=str(question.action),
                q_at=moments[0],
            )
        else:
            compiled = self.statement(tuple(sorted({str(q.action) for q in questions})))
            values = self._arrays(actor, questions, moments)
        async with self.pool.connection() as connection:
            cursor = _BinaryRawCursor(connection)
            await cursor.execute(compiled.sql, [values[name] for name in compiled.names])
            rows = await cursor.fetchall()
        if len(rows) != len(questions) or any(row[1] is None for row in rows):
            raise ServiceNotFound()
        answers = [
            self._answer(row, question.action, at)
            for row, question, at in zip(rows, questions, moments, strict=True)
        ]
        events = [
            _event(actor, origin, self.clock, row, question, answer)
            for row, question, answer in zip(rows, questions, answers, strict=True)
        ]
        await self.audit.write(events)
        return answers

    @staticmethod
    def _arrays(
        actor: AfnemerActor, questions: Sequence[CheckQuestion], moments: list[datetime]
    ) -> dict[str, Any]:
        return dict(
            afnemer_id=actor.afnemer_id,
            q_idx=list(range(len(questions))),
            q_service_code=[q.service_code for q in questions],
            q_person_bsn=[q.person_bsn for q in questions],
            q_rep_bsn=[q.representative.bsn for q in questions],
            q_rep_kvk=[q.representative.kvk_number for q in questions],
            q_action=[str(q.action) for q in questions],
            q_at=moments,
        )

    def _answer(self, row: Sequence[Any], action: str, at: datetime) -> CheckAnswer:
        _, _, category, person_id, rep_person, rep_office, bases, mandates, measures = row
        if person_id is None:
            return CheckAnswer(allowed=False, at=at, reason="person_unknown")
        if rep_person is None and rep_office is None:
            return CheckAnswer(allowed=False, at=at, reason="representative_unknown")
        if bases:
            return best_answer([_basis(item) for item in bases], at)
        reason = diagnose(
            [_mandate(item) for item in mandates or ()],
            [_measure(item) for item in measures or ()],
            lambda kind: self.covers(kind, str(category)),
            at,
        )
        return CheckAnswer(allowed=False, at=at, reason=reason)


def _basis(item: Sequence[Any]) -> SimpleNamespace:
    basis, mandate_id, measure_kind, register_id, valid_from, valid_until = item
    return SimpleNamespace(
        basis=basis,
        mandate_id=_uuid(mandate_id),
        measure_kind=measure_kind,
        measure_register_id=register_id,
        valid_from=_moment(valid_from),
        valid_until=_moment(valid_until),
    )


def _mandate(item: Sequence[Any]) -> SimpleNamespace:
    status, valid_from, valid_until, scope_id, lapsed_by, lapsing_ends_at = item
    return SimpleNamespace(
        status=status,
        valid_from=_moment(valid_from),
        valid_until=_moment(valid_until),
        scope_id=scope_id,
        lapsed_by_measure_id=lapsed_by,
        lapsing_measure_ends_at=_moment(lapsing_ends_at),
    )


def _measure(item: Sequence[Any]) -> SimpleNamespace:
    kind, starts_at, ends_at = item
    return SimpleNamespace(kind=kind, starts_at=_moment(starts_at), ends_at=_moment(ends_at))


def _event(
    actor: AfnemerActor,
    origin: Origin,
    clock: Clock,
    row: Sequence[Any],
    question: CheckQuestion,
    answer: CheckAnswer,
) -> dict[str, Any]:
    """The audit event ``check.py`` records for this answer, value for value."""
    return act_values(
        actor,
        origin,
        clock.now(),
        "mandate.checked",
        subject_person_id=row[3],
        object_type="service",
        object_id=row[1],
        service=question.service_code,
        asked_action=question.action,
        at=answer.at.isoformat(),
        allowed=answer.allowed,
        basis=answer.basis,
        mandate=answer.mandate_id,
        measure=answer.measure_register_id,
        reason=answer.reason,
    )


class AuditWriter:
    """Audit events into the database, the events of checks answered at the same moment in
    one INSERT (group commit).

    ``write`` returns once its events are committed, or raises if they are not: an answer is
    still sent only after its audit row is in. The first call finds the writer idle and is
    sent at once (no added wait); the calls that come while an INSERT is under way go
    together in the next one. Under load a check then shares its INSERT's round trip and
    commit with the others, instead of paying one of each itself. One INSERT that fails
    fails every call in it, and writes none of their events.
    """

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self.pool = pool
        self._waiting: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def write(self, events: list[dict[str, Any]]) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((events, done))
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._send_all())
        await done

    async def _send_all(self) -> None:
        while self._waiting:
            taken, self._waiting = self._waiting, []
            events = [event for group, _ in taken for event in group]
            try:
                async with self.pool.connection() as connection:
                    await _insert_events(connection, events)
            except Exception as error:
                for _, done in taken:
                    if not done.done():
                        done.set_exception(error)
            except BaseException:  # cancelled (the loop closing): nothing was answered
                for _, done in taken:
                    done.cancel()
                raise
            else:
                for _, done in taken:
                    if not done.done():
                        done.set_result(None)


async def _insert_events(connection: Any, events: list[dict[str, Any]]) -> None:
    if len(events) == 1:
        event = events[0]
        values = [
            Json(event["detail"]) if name == "detail" else event.get(name)
            for name, _ in _AUDIT_COLUMNS
        ]
        await _BinaryRawCursor(connection).execute(AUDIT_INSERT_ONE, values)
        return
    columns: list[list[Any]] = [[] for _ in _AUDIT_COLUMNS]
    for event in events:
        for values, (name, _) in zip(columns, _AUDIT_COLUMNS, strict=True):
            value = event.get(name)
            values.append(Json(value) if name == "detail" else value)
    await _BinaryRawCursor(connection).execute(AUDIT_INSERT, columns)


def open_pool(
    database_url: str,
    *,
    min_size: int,
    max_size: int,
    timeout: float,
    statement_timeout_ms: int | None,
    configure: Callable[..., Any] | None = None,
) -> AsyncConnectionPool[Any]:
    """An async pool on ``database_url`` (a SQLAlchemy URL): autocommit, UTC, no JIT, no
    check per request. Not yet open: ``await pool.open()``.

    A connection lost with the database is replaced in the background; the pool's own retry
    backs off (1, 2, 4, 8 s …), so after a ten-second outage a slot would come back only
    seconds after the database did. Each slot gives up after ``2 × timeout`` instead, and the
    next request that finds the pool short grows it again at once: the service answers
    from the first request after the database is back, with no restart."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url).set(drivername="postgresql")
    options = "-c jit=off -c timezone=UTC -c plan_cache_mode=force_generic_plan"
    if statement_timeout_ms:
        options += f" -c statement_timeout={int(statement_timeout_ms)}"
    return AsyncConnectionPool(
        url.render_as_string(hide_password=False),
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        kwargs={"autocommit": True, "options": options},
        open=False,
        configure=configure,
        reconnect_timeout=max(1.0, 2 * timeout),
    )
