"""Benchmark (not a test): what the audit trail costs, and how fast it seals and verifies.

    .venv/bin/python benchmarks/audit.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test --events 10000000

Creates a fresh database on that PostgreSQL server (dropped afterwards unless --keep) and
measures, each figure printed as it is known:

1. the cost of auditing on a write, two ways, each ``--writes`` times, one transaction and
   commit per write, alternating with and without the audit insert so that both see the
   same conditions:
   a. a representative domain write: ``accounts.set_repeat_reminders`` as the account
      holder (load, policy check, update, commit) with ``record`` as it is, and with
      ``record`` replaced by a no-op;
   b. the bare SQL of it: UPDATE the account row + commit, with and without the INSERT
      into ``audit_event``;
2. sealing throughput: ``--events`` audit events are bulk-loaded with COPY (about 70 % of
   them about one of ``--persons`` people, with realistic detail, address and user agent),
   then the sealer seals all of them (``--batch`` events per transaction and checkpoint);
3. verification time: ``verify_log`` over the whole sealed log (every leaf recomputed,
   every account chain, every checkpoint signature and root, every stored tree node).

The events are generated, not made by the domain services (10,000,000 service calls would
take hours); the sealer and the verifier treat them exactly like real ones.
"""

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machtigen.accounts import service as accounts  # noqa: E402
from machtigen.accounts.models import Account  # noqa: E402
from machtigen.audit.checkpoints import FileSink, TrustedKeys  # noqa: E402
from machtigen.audit.mac import current, sign_event  # noqa: E402
from machtigen.audit.models import AuditEvent  # noqa: E402
from machtigen.audit.seal import Sealer  # noqa: E402
from machtigen.audit.verify import verify_log  # noqa: E402
from machtigen.authz.actors import PersonActor  # noqa: E402
from machtigen.authz.engine import get_authorizer  # noqa: E402
from machtigen.clock import SystemClock  # noqa: E402
from machtigen.context import Ctx, Origin  # noqa: E402
from machtigen.db import make_engine, scratch_database, session_factory  # noqa: E402
from machtigen.keys import SigningKey  # noqa: E402
from machtigen.migrate import upgrade  # noqa: E402

ACTIONS = [
    ("login", {"token_subject": "https://digid.example|abc", "eidas_match": None}),
    ("message.opened", {"first_time": True}),
    ("consent.ticked", {"afnemer": "RDW", "effective_at": "2026-11-23T10:00:00+00:00"}),
    ("mandate.checked", {"service": "inkomstenbelasting", "allowed": True, "basis": "legal"}),
    ("account.paper_switch", {"on": True}),
]
AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0"


def fresh_database(server_url: str, keep: bool):
    return scratch_database(server_url, "machtigen_bench_audit", keep=keep)


def load_people(engine, count: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    created = datetime(2015, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor:
            with cursor.copy(
                "COPY person (id, bsn, given_name, family_name, date_of_birth, non_resident,"
                " postal_address, preferred_language, created_at) FROM STDIN"
            ) as copy:
                for n, person_id in enumerate(ids):
                    copy.write_row(
                        (
                            person_id,
                            f"{n:09d}",
                            "Bench",
                            f"Person{n}",
                            "1970-01-01",
                            False,
                            "",
                            "nl",
                            created,
                        )
                    )
            with cursor.copy(
                "COPY account (person_id, state, paper_only, repeat_reminders, created_at)"
                " FROM STDIN"
            ) as copy:
                for person_id in ids:
                    copy.write_row((person_id, "activated", False, True, created))
    return ids


def load_events(engine, people: list[uuid.UUID], count: int) -> float:
    """COPY ``count`` events, oldest first; returns the seconds it took."""
    rng = random.Random(5)  # noqa: S311 - test data, not secrets
    start = time.perf_counter()
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    step = timedelta(seconds=3)
    details = [(action, json.dumps(detail)) for action, detail in ACTIONS]
    macs = current()
    chunk = 500_000
    done = 0
    while done < count:
        size = min(chunk, count - done)
        with engine.begin() as connection:
            driver = connection.connection.driver_connection
            with (
                driver.cursor() as cursor,
                cursor.copy(
                    "COPY audit_event (occurred_at, action, actor_kind, actor_id, actor_name,"
                    " subject_person_id, object_type, object_id, detail, ip, user_agent,"
                    " means, loa, event_id, mac_key_id, mac) FROM STDIN"
                ) as copy,
            ):
                for n in range(done, done + size):
                    action, detail = details[n % len(details)]
                    subject = people[rng.randrange(len(people))] if n % 10 < 7 else None
                    actor = subject or people[n % len(people)]
                    # Generated events carry a MAC like recorded ones: the sealer checks it.
                    values = macs.sign(
                        {
                            "occurred_at": moment + step * n,
                            "action": action,
                            "actor_kind": "person",
                            "actor_id": str(actor),
                            "actor_name": "Bench Person",
                            "subject_person_id": subject,
                            "object_type": "account",
                            "object_id": None,
                            "detail": json.loads(detail),
                            "ip": f"192.0.2.{n % 250}",
                            "user_agent": AGENT,
                            "means": "digid",
                            "loa": "midden",
                        }
                    )
                    copy.write_row(
                        [
                            values["occurred_at"],
                            action,
                            "person",
                            values["actor_id"],
                            "Bench Person",
                            subject,
                            "account",
                            None,
                            detail,
                            values["ip"],
                            AGENT,
                            "digid",
                            "midden",
                            values["event_id"],
                            values["mac_key_id"],
                            values["mac"],
                        ]
                    )
        done += size
        print(f"  loaded {done:,} events", flush=True)
    return time.perf_counter() - start


def timed(function: Callable[[], None], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return (
        f"mean {statistics.mean(times) * 1000:.3f} ms, p50 {statistics.median(times) * 1000:.3f}"
        f" ms, p95 {p95 * 1000:.3f} ms"
    )


def write_cost(engine, people: list[uuid.UUID], writes: int) -> None:
    import machtigen.accounts.service as account_service

    factory = session_factory(engine)
    authz = get_authorizer()
    clock = SystemClock()
    person_id = people[0]
    real_record = account_service.record
    state = {"on": True}

    def domain_write() -> None:
        with factory() as session, session.begin():
            actor = PersonActor(person_id, clock.now(), loa="midden", name="Bench Person")
            ctx = Ctx(session, actor, clock, authz, Origin("192.0.2.1", AGENT))
            state["on"] = not state["on"]
            accounts.set_repeat_reminders(ctx, person_id, state["on"])

    with_audit, without_audit = [], []
    for _ in range(writes):
        account_service.record = real_record
        with_audit += timed(domain_write, 1)
        account_service.record = lambda *args, **kwargs: None
        without_audit += timed(domain_write, 1)
    account_service.record = real_record
    print("1a. domain write (set_repeat_reminders: load, policy, update, commit):")
    print(f"    with audit:    {summary(with_audit)}")
    print(f"    without audit: {summary(without_audit)}")
    extra = statistics.median(with_audit) - statistics.median(without_audit)
    print(f"    audit adds {extra * 1000:.3f} ms per write (median)")

    event_table = AuditEvent.__table__  # type: ignore[attr-defined]
    account_table = Account.__table__  # type: ignore[attr-defined]
    values = {
        "occurred_at": clock.now(),
        "action": "account.reminders_changed",
        "actor_kind": "person",
        "actor_id": str(person_id),
        "actor_name": "Bench Person",
        "subject_person_id": person_id,
        "object_type": "account",
        "detail": {"on": True},
        "ip": "192.0.2.1",
        "user_agent": AGENT,
        "means": "digid",
        "loa": "midden",
    }

    def bare(audit: bool) -> Callable[[], None]:
        def run() -> None:
            with engine.begin() as connection:
                connection.execute(
                    account_table.update()
                    .where(account_table.c.person_id == person_id)
                    .values(repeat_reminders=~account_table.c.repeat_reminders)
                )
                if audit:
                    connection.execute(event_table.insert().values(**sign_event(dict(values))))

        return run

    bare_with, bare_without = [], []
    for _ in range(writes):
        bare_with += timed(bare(True), 1)
        bare_without += timed(bare(False), 1)
    print("1b. bare SQL (UPDATE account + commit):")
    print(f"    with the audit INSERT:    {summary(bare_with)}")
    print(f"    without the audit INSERT: {summary(bare_without)}")
    extra = statistics.median(bare_with) - statistics.median(bare_without)
    print(f"    the INSERT adds {extra * 1000:.3f} ms per write (median)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="machtigen-audit-bench-"))
    with fresh_database(args.database_url, args.keep) as url:
        engine = make_engine(url)
        upgrade(engine)
        people = load_people(engine, args.persons)
        print(f"database ready: {args.persons:,} people with an activated account")
        write_cost(engine, people, args.writes)

        print(f"2. sealing {args.events:,} events:")
        load_seconds = load_events(engine, people, args.events)
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        total = int(
            engine.connect().execute(select(func.count()).select_from(AuditEvent)).scalar() or 0
        )
        print(f"    bulk load (COPY) of {args.events:,} events: {load_seconds:.1f} s")
        key = SigningKey.from_file(str(folder / "key.pem"))
        sealer = Sealer(
            engine,
            key,
            SystemClock(),
            "https://bench.example/audit",
            sink=FileSink(folder / "checkpoints"),
            batch_size=args.batch,
            horizon_wait_seconds=30,
        )
        start = time.perf_counter()
        report = sealer.run()
        seconds = time.perf_counter() - start
        print(
            f"    sealed {report.sealed:,} of {total:,} events in {seconds:.1f} s:"
            f" {report.sealed / seconds:,.0f} events/s, {len(report.checkpoints)} signed"
            " checkpoints exported"
        )
        with engine.connect() as connection:
            sizes = connection.execute(
                text(
                    # audit_event and audit_seal are partitioned: add up their partitions
                    "SELECT (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits"
                    "        WHERE inhparent = 'audit_event'::regclass),"
                    " (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits"
                    "        WHERE inhparent = 'audit_seal'::regclass),"
                    " pg_total_relation_size('audit_tree_node')"
                )
            ).one()
        event_mb, seal_mb, node_mb = (float(size or 0) / 2**20 for size in sizes)
        print(
            f"    storage: audit_event {event_mb:.0f} MB, audit_seal {seal_mb:.0f} MB,"
            f" audit_tree_node {node_mb:.0f} MB"
        )

        print(f"3. verifying the whole log ({report.tree_size:,} events):")
        start = time.perf_counter()
        result = verify_log(
            engine, TrustedKeys.of(key), sink=FileSink(folder / "checkpoints"), macs=current()
        )
        seconds = time.perf_counter() - start
        state = "OK" if result.ok else f"BROKEN ({len(result.findings)} findings)"
        print(
            f"    {state}: {result.sealed:,} events, {result.checkpoints} checkpoints in"
            f" {seconds:.1f} s ({result.sealed / seconds:,.0f} events/s)"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
