"""The larger schemathesis run (not part of the test suite): thousands of generated requests
against the afnemer API in process, as an afnemer and as the court register, all checks.

    .venv/bin/python -m tests.fuzz.run_api_fuzz --examples 170
    MACHTIGEN_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m tests.fuzz.run_api_fuzz --examples 170

Prints the requests sent, the statuses, the requests per operation, the time, and every
check that failed; exits 1 on a 5xx or a failed check.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from tests.fuzz.harness import fuzz_target, run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--examples", type=int, default=170, help="examples per operation, mode and role"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("MACHTIGEN_TEST_DATABASE_URL"),
        help="PostgreSQL server for a scratch database (default: an SQLite file)",
    )
    arguments = parser.parse_args()
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory() as folder,
        fuzz_target(arguments.database_url, Path(folder)) as target,
    ):
        tally = run(target, examples=arguments.examples)
    elapsed = time.monotonic() - started
    database = "PostgreSQL" if arguments.database_url else "SQLite"
    print(f"database: {database}; examples per operation, mode and role: {arguments.examples}")
    print(f"requests: {tally.requests} in {elapsed:.0f} s")
    print("statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items())))
    print(f"5xx: {tally.server_errors}; failed checks: {len(tally.failures)}")
    for operation, count in sorted(tally.by_operation.items()):
        statuses = sorted(
            (status, n)
            for (label, status), n in tally.statuses_by_operation.items()
            if label == operation
        )
        print(f"  {count:6d}  {operation}  " + ", ".join(f"{s}: {n}" for s, n in statuses))
    for failure in tally.failures:
        print("\n" + failure)
    return 1 if tally.server_errors or tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
