"""Benchmark (not a test): notification throughput of one sender, and a jobs run at scale.

    .venv/bin/python benchmarks/notifications.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test \
        --accounts 1000000 --notifications 5000

Creates a fresh database on that PostgreSQL server (dropped afterwards unless --keep),
bulk-loads people, accounts, messages spread over the last 120 days and read states with
COPY, then measures:

1. how many notifications a minute one sender process delivers to a local aiosmtpd
   server (started as a separate process, so it does not share this one's CPU time);
2. how long one ``machtigen jobs`` run takes when cron runs it daily: each job's
   watermark is set to one day ago, so the run handles one day's worth of messages
   turning three weeks old (reminders) and the unvisited-account window (letters).

Only loopback traffic; every loop is bounded.
"""

import argparse
import asyncio
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machtigen.authz.engine import get_authorizer  # noqa: E402
from machtigen.clock import SystemClock  # noqa: E402
from machtigen.db import make_engine, scratch_database, session_factory, transaction  # noqa: E402
from machtigen.jobs import JOB_NAMES, Jobs, JobsConfig  # noqa: E402
from machtigen.migrate import upgrade  # noqa: E402
from machtigen.notifications.letters import LetterSender  # noqa: E402
from machtigen.notifications.sender import Sender, SenderConfig  # noqa: E402


def fresh_database(server_url: str, keep: bool):
    return scratch_database(server_url, "machtigen_bench", keep=keep)


def copy_rows(raw, table: str, columns: list[str], rows) -> int:
    count = 0
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def load(engine, accounts: int, now: datetime, rng: random.Random) -> dict[str, object]:
    """People with activated accounts (80% with an e-mail address), one message each."""
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        afnemer_id, service_id = uuid.uuid4(), uuid.uuid4()
        with driver.cursor() as cursor:
            cursor.execute(
                "INSERT INTO afnemer (id, oin, name, legally_required_digital,"
                " read_state_legal_basis, joined_at) VALUES (%s, %s, %s, true, true, %s)",
                (afnemer_id, "00000001003214345000", "Belastingdienst", now),
            )
            cursor.execute(
                "INSERT INTO service (id, afnemer_id, code, name, category)"
                " VALUES (%s, %s, 'aanslag', 'Aanslag inkomstenbelasting', 'financial')",
                (service_id, afnemer_id),
            )
        person_ids = [uuid.uuid4() for _ in range(accounts)]
        started = time.perf_counter()
        copy_rows(
            driver,
            "person",
            [
                "id",
                "bsn",
                "given_name",
                "family_name",
                "date_of_birth",
                "non_resident",
                "postal_address",
                "preferred_language",
                "created_at",
            ],
            (
                (
                    pid,
                    f"{100000000 + i:09d}",
                    f"Voornaam{i}",
                    f"Achternaam{i}",
                    "1970-01-01",
                    False,
                    f"Straat {i % 500 + 1}, 3511 AA Utrecht",
                    "nl",
                    now,
                )
                for i, pid in enumerate(person_ids)
            ),
        )
        copy_rows(
            driver,
            "account",
            [
                "person_id",
                "state",
                "paper_only",
                "email",
                "email_confirmed_at",
                "repeat_reminders",
                "activated_at",
                "last_visit_at",
                "created_at",
            ],
            (
                (
                    pid,
                    "activated",
                    False,
                    f"p{i}@example.nl" if i % 5 else None,
                    now - timedelta(days=30),
                    True,
                    now - timedelta(days=400),
                    now - timedelta(days=rng.randrange(0, 365)),
                    now - timedelta(days=400),
                )
                for i, pid in enumerate(person_ids)
            ),
        )
        message_ids = [uuid.uuid4() for _ in range(accounts)]
        copy_rows(
            driver,
            "message",
            [
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
            ],
            (
                (
                    mid,
                    pid,
                    afnemer_id,
                    service_id,
                    "Aanslag",
                    "Inhoud",
                    "Betaal de aanslag",
                    (now + timedelta(days=30)).date(),
                    now - timedelta(seconds=rng.randrange(0, 120 * 86400)),
                    "digital",
                    "legally_required",
                )
                for mid, pid in zip(message_ids, person_ids, strict=True)
            ),
        )
        copy_rows(
            driver,
            "message_read",
            ["id", "message_id", "reader_kind", "reader_id", "read_at"],
            (
                (uuid.uuid4(), mid, "person", pid, now)
                for mid, pid in zip(message_ids, person_ids, strict=True)
                if rng.random() < 0.5
            ),
        )
        raw.commit()
        with driver.cursor() as cursor:
            cursor.execute("ANALYZE")
        raw.commit()
        return {"persons": person_ids, "seconds": time.perf_counter() - started}
    finally:
        raw.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_sink():
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
    )
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def bench_sender(engine, persons, count: int, now: datetime) -> None:
    raw = engine.raw_connection()
    try:
        copy_rows(
            raw.driver_connection,
            "notification",
            [
                "id",
                "kind",
                "dedup_key",
                "person_id",
                "recipient_kind",
                "recipient_id",
                "email",
                "subject",
                "body",
                "status",
                "available_at",
                "attempts",
                "created_at",
            ],
            (
                (
                    uuid.uuid4(),
                    "new_message",
                    f"bench:{i}",
                    persons[i],
                    "owner",
                    persons[i],
                    f"p{i}@example.nl",
                    "Nieuw bericht van Belastingdienst",
                    "Er staat een bericht voor u klaar.\n",
                    "pending",
                    now,
                    0,
                    now,
                )
                for i in range(count)
            ),
        )
        raw.commit()
    finally:
        raw.close()
    factory = session_factory(engine)
    with smtp_sink() as port:
        sender = Sender(
            uow=lambda: transaction(factory),
            clock=SystemClock(),
            authz=get_authorizer(),
            config=SenderConfig(smtp_port=port, batch_size=100),
        )

        async def drain() -> int:
            sent = 0
            for _ in range(count):  # bounded
                report = await sender.run_once()
                sent += report.sent
                if report.claimed == 0:
                    break
            return sent

        started = time.perf_counter()
        sent = asyncio.run(drain())
        seconds = time.perf_counter() - started
    print(
        f"sender: {sent} notifications in {seconds:.1f} s = {sent / seconds * 60:,.0f} per minute"
        " (one process, one SMTP connection per batch of 100, one commit per outcome)"
    )


def bench_jobs(engine, now: datetime, letters_dir: Path) -> None:
    factory = session_factory(engine)
    yesterday = now - timedelta(days=1)
    sender = LetterSender(
        "MijnOverheid", "Postbus 20011, 2500 EA Den Haag", "0800-0123", "mijn.overheid.nl"
    )
    config = JobsConfig(letters_dir=letters_dir, letter_sender=sender)
    with transaction(factory) as session:
        for name in JOB_NAMES:
            watermark = yesterday
            if name == "reminders":
                watermark = yesterday - timedelta(days=config.reminder_days)
            elif name == "escalate_unvisited":
                watermark = yesterday - timedelta(days=config.escalate_unvisited_days)
            session.execute(
                text("INSERT INTO job_lease (name, watermark) VALUES (:name, :watermark)"),
                {"name": name, "watermark": watermark},
            )
    jobs = Jobs(
        uow=lambda: transaction(factory), clock=SystemClock(), authz=get_authorizer(), config=config
    )
    started = time.perf_counter()
    results = jobs.run()
    seconds = time.perf_counter() - started
    summary = ", ".join(f"{r.name}={r.done}" for r in results)
    print(f"jobs run (daily, after one day): {seconds:.1f} s [{summary}]")
    started = time.perf_counter()
    again = jobs.run()
    print(
        f"jobs run again at once: {time.perf_counter() - started:.1f} s"
        f" [{', '.join(f'{r.name}={r.done}' for r in again)}]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server URL")
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--notifications", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    rng = random.Random(20261123)  # noqa: S311 - test data, not secrets
    now = datetime.now(UTC)
    with fresh_database(args.database_url, args.keep) as url:
        engine = make_engine(url)
        upgrade(engine)
        loaded = load(engine, args.accounts, now, rng)
        print(
            f"loaded {args.accounts:,} people, accounts and messages"
            f" (half read) in {loaded['seconds']:.0f} s"
        )
        bench_sender(engine, loaded["persons"], args.notifications, now)
        with tempfile.TemporaryDirectory() as letters:
            bench_jobs(engine, datetime.now(UTC), Path(letters))
        engine.dispose()


if __name__ == "__main__":
    main()
