"""Benchmark (not a test): the representative's caseload dashboard at scale, in PostgreSQL.

    .venv/bin/python benchmarks/caseload.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Creates a fresh database on that server (dropped afterwards unless --keep), migrates it, and
fills it with COPY: 100,000 people, 1,000,000 messages, 200 other offices with 20,000 clients
under measures, 10,000 voluntary mandates between people, and one office whose administrator
has 300 clients (measures of every kind, voluntary mandates with scopes, some bases ending
soon, former clients whose measure ended or whose mandate expired or was revoked). The 300
clients hold ``--client-messages`` messages on average, over services of every category,
some archived, some on paper, a quarter with a deadline; the administrator read 60% of them,
the owners half of all post. One employee has 100 clients assigned (the office divides its
clients), so the administrator and that employee are both timed.

Then ``caseload()`` is called as the portal calls it (a new session per request), for each
sort and a few filters, ``--repetitions`` times after a warm-up, and p50/p95/p99 are printed
per case. ``--explain`` prints EXPLAIN (ANALYZE, BUFFERS) of every SQL statement of one call.
"""

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machtigen.authz.engine import get_authorizer  # noqa: E402
from machtigen.caseload.service import CaseloadFilter, caseload  # noqa: E402
from machtigen.clock import FrozenClock  # noqa: E402
from machtigen.context import Ctx  # noqa: E402
from machtigen.db import make_engine, scratch_database  # noqa: E402
from machtigen.identity.models import OfficeStaff  # noqa: E402
from machtigen.identity.service import staff_actor  # noqa: E402
from machtigen.migrate import upgrade  # noqa: E402

SERVICES = [
    ("Belastingdienst", "inkomstenbelasting", "financial"),
    ("Belastingdienst", "toeslagen", "financial"),
    ("UWV", "ww", "financial"),
    ("SVB", "aow", "financial"),
    ("Gemeente", "belastingen", "financial"),
    ("Gemeente", "wmo", "personal_care"),
    ("CAK", "eigen-bijdrage", "personal_care"),
    ("Zorgkantoor", "wlz", "personal_care"),
    ("RDW", "apk", "other"),
    ("DUO", "studiefinanciering", "financial"),
    ("Waterschap", "waterschapsbelasting", "financial"),
    ("Pensioenfonds", "pensioen", "financial"),
]
PERSON_COLUMNS = [
    "id",
    "bsn",
    "given_name",
    "family_name",
    "date_of_birth",
    "non_resident",
    "postal_address",
    "preferred_language",
    "created_at",
]
MEASURE_COLUMNS = [
    "id",
    "register_id",
    "subject_person_id",
    "kind",
    "representative_office_id",
    "starts_at",
    "ends_at",
    "recorded_at",
]
MANDATE_COLUMNS = [
    "id",
    "represented_person_id",
    "representative_person_id",
    "representative_office_id",
    "status",
    "initiated_by",
    "valid_from",
    "valid_until",
    "created_at",
]
MESSAGE_COLUMNS = [
    "id",
    "person_id",
    "afnemer_id",
    "service_id",
    "subject",
    "body",
    "action_text",
    "deadline",
    "received_at",
    "channel",
    "channel_reason",
    "archived_at",
]
MEASURE_KINDS = ["beschermingsbewind"] * 12 + ["curatele"] * 2 + ["mentorschap"] * 2 + ["wsnp"]


@dataclass
class World:
    office_id: uuid.UUID
    admin_id: uuid.UUID
    employee_id: uuid.UUID
    clients: list[uuid.UUID]
    services: list[tuple[uuid.UUID, uuid.UUID, str]] = field(default_factory=list)


def fresh_database(server_url: str, keep: bool):
    return scratch_database(server_url, "machtigen_bench", keep=keep)


def copy_rows(driver: Any, table: str, columns: list[str], rows: Any) -> int:
    count = 0
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


class Loader:
    """Builds the rows; every table is written with one COPY."""

    def __init__(self, args: argparse.Namespace, now: datetime, rng: random.Random) -> None:
        self.args, self.now, self.rng = args, now, rng
        self.today = now.date()

    def load(self, driver: Any) -> World:
        services = self._afnemers(driver)
        people = self._people(driver)
        world = self._office(driver, people[: self.args.clients + 30], services)
        others = people[self.args.clients + 30 :]
        self._other_offices(driver, others)
        self._voluntary_mandates(driver, people, services)
        self._messages(driver, world, people, services)
        return world

    def _afnemers(self, driver: Any) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
        afnemers: dict[str, uuid.UUID] = {}
        services = []
        with driver.cursor() as cursor:
            for index, (name, code, category) in enumerate(SERVICES):
                if name not in afnemers:
                    afnemers[name] = uuid.uuid4()
                    cursor.execute(
                        "INSERT INTO afnemer (id, oin, name, legally_required_digital,"
                        " read_state_legal_basis, joined_at) VALUES (%s, %s, %s, false, false, %s)",
                        (afnemers[name], f"{index + 1:020d}", name, self.now),
                    )
                service_id = uuid.uuid4()
                cursor.execute(
                    "INSERT INTO service (id, afnemer_id, code, name, category)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    (service_id, afnemers[name], code, code, category),
                )
                services.append((service_id, afnemers[name], category))
        return services

    def _people(self, driver: Any) -> list[uuid.UUID]:
        ids = [uuid.uuid4() for _ in range(self.args.persons)]
        given = ["Anna", "Bram", "Cor", "Dirk", "Els", "Fatima", "Gerrit", "Hanneke", "Ilse", "Jan"]
        family = ["Bakker", "de Boer", "Visser", "Smit", "Meijer", "van Dijk", "El Amrani", "Bos"]
        copy_rows(
            driver,
            "person",
            PERSON_COLUMNS,
            (
                (
                    pid,
                    f"{100000000 + i:09d}",
                    given[i % len(given)],
                    f"{family[i % len(family)]} {i}",
                    "1960-01-01",
                    False,
                    "Straat 1, Utrecht",
                    "nl",
                    self.now,
                )
                for i, pid in enumerate(ids)
            ),
        )
        return ids

    def _office(
        self, driver: Any, people: list[uuid.UUID], services: list[tuple[uuid.UUID, uuid.UUID, str]]
    ) -> World:
        office_id, admin_id, employee_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        clients = people[: self.args.clients]
        former = people[self.args.clients :]
        with driver.cursor() as cursor:
            cursor.execute(
                "INSERT INTO office (id, kvk_number, name, assigns_clients, created_at)"
                " VALUES (%s, '12345678', 'Bewindvoering Benchmark', true, %s)",
                (office_id, self.now),
            )
            for staff_id, employee, is_admin in [
                (admin_id, "eh-admin", True),
                (employee_id, "eh-employee", False),
                (uuid.uuid4(), "eh-other", False),
            ]:
                cursor.execute(
                    "INSERT INTO office_staff (id, office_id, employee_id, name, is_admin, active,"
                    " created_at) VALUES (%s, %s, %s, %s, %s, true, %s)",
                    (staff_id, office_id, employee, employee, is_admin, self.now),
                )
        measures, mandates, scopes = [], [], []
        rng, now = self.rng, self.now
        for index, client in enumerate(clients):
            slot = index % 20
            if slot < len(MEASURE_KINDS):
                ends = now + timedelta(days=rng.randrange(1, 120)) if rng.random() < 0.1 else None
                measures.append((client, MEASURE_KINDS[slot], now - timedelta(days=400), ends))
            if slot >= len(MEASURE_KINDS) or rng.random() < 0.1:
                until = now + timedelta(days=rng.randrange(1, 365))
                self._mandate(mandates, scopes, client, office_id, "active", until, services)
        for client in former:
            if rng.random() < 0.5:
                measures.append((client, "beschermingsbewind", now - timedelta(days=900), now))
            else:
                status = rng.choice(["active", "revoked", "expired"])
                self._mandate(mandates, scopes, client, office_id, status, now, services)
        self._write_measures(driver, measures, office_id)
        self._write_mandates(driver, mandates, scopes)
        copy_rows(
            driver,
            "staff_assignment",
            ["id", "staff_id", "client_person_id", "assigned_at"],
            ((uuid.uuid4(), employee_id, client, now) for client in clients[::3]),
        )
        return World(office_id, admin_id, employee_id, clients, services)

    def _mandate(
        self,
        mandates: list[tuple[Any, ...]],
        scopes: list[tuple[Any, ...]],
        client: uuid.UUID,
        office_id: uuid.UUID | None,
        status: str,
        until: datetime,
        services: list[tuple[uuid.UUID, uuid.UUID, str]],
        person_id: uuid.UUID | None = None,
    ) -> None:
        mandate_id = uuid.uuid4()
        mandates.append((mandate_id, client, person_id, office_id, status, until))
        for service_id, _, _ in self.rng.sample(services, self.rng.randrange(1, 5)):
            for action in ("read", "receive_notifications"):
                scopes.append((uuid.uuid4(), mandate_id, client, service_id, action))

    def _other_offices(self, driver: Any, people: list[uuid.UUID]) -> None:
        offices = [uuid.uuid4() for _ in range(self.args.other_offices)]
        copy_rows(
            driver,
            "office",
            ["id", "kvk_number", "name", "assigns_clients", "created_at"],
            (
                (oid, f"{20000000 + i}", f"Kantoor {i}", False, self.now)
                for i, oid in enumerate(offices)
            ),
        )
        per_office = self.args.other_clients // len(offices)
        measures = [
            (person, self.rng.choice(MEASURE_KINDS), self.now - timedelta(days=300), None)
            for person in people[: per_office * len(offices)]
        ]
        rows = []
        for index, (person, kind, starts, ends) in enumerate(measures):
            rows.append((person, kind, starts, ends, offices[index // per_office]))
        self._write_measure_rows(driver, rows)

    def _voluntary_mandates(
        self, driver: Any, people: list[uuid.UUID], services: list[tuple[uuid.UUID, uuid.UUID, str]]
    ) -> None:
        mandates: list[tuple[Any, ...]] = []
        scopes: list[tuple[Any, ...]] = []
        for _ in range(self.args.other_mandates):
            represented, representative = self.rng.sample(people, 2)
            until = self.now + timedelta(days=self.rng.randrange(-100, 700))
            self._mandate(
                mandates, scopes, represented, None, "active", until, services, representative
            )
        self._write_mandates(driver, mandates, scopes)

    def _write_measures(
        self, driver: Any, measures: list[tuple[Any, ...]], office_id: uuid.UUID
    ) -> None:
        self._write_measure_rows(driver, [(*m, office_id) for m in measures])

    def _write_measure_rows(self, driver: Any, rows: list[tuple[Any, ...]]) -> None:
        copy_rows(
            driver,
            "legal_measure",
            MEASURE_COLUMNS,
            (
                (
                    uuid.uuid4(),
                    f"CCBR-{uuid.uuid4().hex}",
                    person,
                    kind,
                    office,
                    starts,
                    ends,
                    starts,
                )
                for person, kind, starts, ends, office in rows
            ),
        )

    def _write_mandates(
        self, driver: Any, mandates: list[tuple[Any, ...]], scopes: list[tuple[Any, ...]]
    ) -> None:
        start = self.now - timedelta(days=200)
        copy_rows(
            driver,
            "mandate",
            MANDATE_COLUMNS,
            (
                (mid, client, person, office, status, "represented", start, until, start)
                for mid, client, person, office, status, until in mandates
            ),
        )
        copy_rows(
            driver,
            "mandate_scope",
            ["id", "mandate_id", "represented_person_id", "service_id", "action"],
            scopes,
        )

    def _messages(
        self,
        driver: Any,
        world: World,
        people: list[uuid.UUID],
        services: list[tuple[uuid.UUID, uuid.UUID, str]],
    ) -> None:
        rng = self.rng
        owners: list[uuid.UUID] = []
        for client in world.clients:
            owners += [client] * rng.randrange(0, 2 * self.args.client_messages + 1)
        others = people[len(world.clients) :]
        while len(owners) < self.args.messages:
            owners.append(others[rng.randrange(len(others))])
        reads: list[tuple[uuid.UUID, str, uuid.UUID]] = []
        clients = set(world.clients)

        def rows() -> Iterator[tuple[Any, ...]]:
            for owner in owners:
                message_id = uuid.uuid4()
                service_id, afnemer_id, _ = services[rng.randrange(len(services))]
                deadline: date | None = None
                if rng.random() < 0.25:
                    deadline = self.today + timedelta(days=rng.randrange(-30, 60))
                if rng.random() < 0.5:
                    reads.append((message_id, "person", owner))
                if owner in clients and rng.random() < 0.6:
                    reads.append((message_id, "staff", world.admin_id))
                yield (
                    message_id,
                    owner,
                    afnemer_id,
                    service_id,
                    "Bericht",
                    "Inhoud",
                    "Handel dit af" if deadline else None,
                    deadline,
                    self.now - timedelta(seconds=rng.randrange(0, 730 * 86400)),
                    "paper" if rng.random() < 0.05 else "digital",
                    "opted_in",
                    self.now if rng.random() < 0.1 else None,
                )

        copy_rows(
            driver,
            "message",
            MESSAGE_COLUMNS,
            rows(),
        )
        copy_rows(
            driver,
            "message_read",
            ["id", "message_id", "reader_kind", "reader_id", "read_at"],
            ((uuid.uuid4(), mid, kind, reader, self.now) for mid, kind, reader in reads),
        )


CASES: list[tuple[str, str, CaseloadFilter]] = [
    ("admin", "sort=name", CaseloadFilter(sort="name")),
    ("admin", "sort=unread desc", CaseloadFilter(sort="unread", descending=True)),
    ("admin", "sort=deadline", CaseloadFilter(sort="deadline")),
    ("admin", "sort=ending", CaseloadFilter(sort="ending")),
    ("admin", "sort=deadline page=4", CaseloadFilter(sort="deadline", page=4)),
    ("admin", "search=bakker", CaseloadFilter(search="bakker")),
    ("admin", "only_unread", CaseloadFilter(only_unread=True, sort="unread", descending=True)),
    ("admin", "deadline_within_days=14", CaseloadFilter(deadline_within_days=14)),
    ("admin", "ending_within_days=90", CaseloadFilter(ending_within_days=90, sort="ending")),
    ("admin", "page_size=200", CaseloadFilter(page_size=200)),
    ("employee", "sort=deadline (100 assigned)", CaseloadFilter(sort="deadline")),
    ("employee", "sort=unread desc", CaseloadFilter(sort="unread", descending=True)),
]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def call(engine: Any, staff_id: uuid.UUID, filters: CaseloadFilter, now: datetime) -> Any:
    """One dashboard request: a new session, the actor read from the database, the query."""
    with Session(engine) as session:
        staff = session.get_one(OfficeStaff, staff_id)
        actor = staff_actor(session, staff, now, loa="EH3")
        ctx = Ctx(session=session, actor=actor, clock=FrozenClock(now), authz=get_authorizer())
        return caseload(ctx, filters)


def bench(engine: Any, world: World, now: datetime, repetitions: int) -> bool:
    who = {"admin": world.admin_id, "employee": world.employee_id}
    print(f"{'actor':<9} {'case':<32} {'total':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    all_fast = True
    for actor, label, filters in CASES:
        for _ in range(max(3, repetitions // 20)):
            call(engine, who[actor], filters, now)
        samples = []
        for _ in range(repetitions):
            started = time.perf_counter()
            page = call(engine, who[actor], filters, now)
            samples.append((time.perf_counter() - started) * 1000)
        p95 = percentile(samples, 95)
        all_fast &= p95 < 50
        print(
            f"{actor:<9} {label:<32} {page.total:>5} {statistics.median(samples):>7.1f}"
            f" {p95:>7.1f} {percentile(samples, 99):>7.1f}"
        )
    return all_fast


def explain(engine: Any, world: World, now: datetime, filters: CaseloadFilter) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement one caseload() call runs."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        call(engine, world.admin_id, filters, now)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    raw = engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor:
            for statement, parameters in statements:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                print("-" * 100)
                print(statement[:2000])
                print("\n".join(row[0] for row in cursor.fetchall()))
    finally:
        raw.close()


def load(engine: Any, args: argparse.Namespace, now: datetime) -> World:
    rng = random.Random(20261123)  # noqa: S311 - test data, not secrets
    raw = engine.raw_connection()
    try:
        world = Loader(args, now, rng).load(raw.driver_connection)
        raw.commit()
        raw.driver_connection.autocommit = True
        with raw.driver_connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")  # what autovacuum does after a bulk load
    finally:
        raw.close()
    return world


def existing(engine: Any, now: datetime) -> World:
    """The world of a database kept by an earlier run (--keep), found by its employee ids."""
    with engine.connect() as connection:
        staff = dict(
            connection.execute(
                text(
                    "SELECT employee_id, id FROM office_staff"
                    " WHERE employee_id IN ('eh-admin', 'eh-employee')"
                )
            ).all()
        )
        office_id = connection.execute(
            text("SELECT office_id FROM office_staff WHERE id = :id"), {"id": staff["eh-admin"]}
        ).scalar_one()
        clients = connection.scalars(
            text(
                "SELECT subject_person_id FROM legal_measure WHERE representative_office_id = :o"
                " AND (ends_at IS NULL OR ends_at > :now) UNION"
                " SELECT represented_person_id FROM mandate WHERE representative_office_id = :o"
                " AND status = 'active' AND valid_until > :now"
            ),
            {"o": office_id, "now": now},
        ).all()
    return World(office_id, staff["eh-admin"], staff["eh-employee"], list(clients))


def describe(engine: Any, world: World) -> str:
    with engine.connect() as connection:
        counts = connection.execute(
            text(
                "SELECT 'messages', count(*) FROM message UNION ALL"
                " SELECT 'people', count(*) FROM person UNION ALL"
                " SELECT 'measures', count(*) FROM legal_measure UNION ALL"
                " SELECT 'mandates', count(*) FROM mandate UNION ALL"
                " SELECT 'reads', count(*) FROM message_read"
            )
        ).all()
        client_messages = connection.execute(
            text("SELECT count(*) FROM message WHERE person_id = ANY(:ids)"),
            {"ids": world.clients},
        ).scalar()
    return (
        ", ".join(f"{count:,} {name}" for name, count in counts)
        + f"; the {len(world.clients)} clients hold {client_messages:,} messages"
    )


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    if args.reuse:
        yield (
            make_url(args.database_url)
            .set(database=args.reuse)
            .render_as_string(hide_password=False)
        )
        return
    with fresh_database(args.database_url, args.keep) as url:
        yield url


def load_average() -> str:
    """Other work on the machine inflates the wall-clock figures: print it with them."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server URL")
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--client-messages", type=int, default=40, help="per client, on average")
    parser.add_argument("--other-offices", type=int, default=200)
    parser.add_argument("--other-clients", type=int, default=20_000)
    parser.add_argument("--other-mandates", type=int, default=10_000)
    parser.add_argument("--repetitions", type=int, default=200)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE one call")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--reuse", metavar="DATABASE", help="time a database kept by --keep")
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    with database(args) as url:
        engine = make_engine(url)
        if args.reuse:
            world = existing(engine, now)
            print(f"reusing {args.reuse}: {describe(engine, world)}")
        else:
            upgrade(engine)
            started = time.perf_counter()
            world = load(engine, args, now)
            print(f"loaded in {time.perf_counter() - started:.0f} s: {describe(engine, world)}")
        if args.explain:
            explain(engine, world, now, CaseloadFilter())
        print(f"load average before timing: {load_average()} ({os.cpu_count()} CPUs)")
        fast = bench(engine, world, now, args.repetitions)
        print(f"load average after timing: {load_average()}")
        print("every case under 50 ms at p95" if fast else "SOME CASE IS OVER 50 ms AT p95")
        engine.dispose()


if __name__ == "__main__":
    main()
