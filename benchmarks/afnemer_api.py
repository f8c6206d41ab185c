# ruff: noqa: S311, S603, S607 - a local benchmark: seeded data, fixed local commands
"""Load benchmark of the afnemer API (a script, not a test). See docs/benchmarks.md, "Afnemer API".

1. creates a fresh PostgreSQL database, migrates it, and fills it with COPY: ``--persons``
   persons with accounts (1,000,000 by default), voluntary mandates (with scope rows) and
   measures in proportion, and reports the fill time;
2. starts the API with uvicorn, then the baselines (``benchmarks/bare_app.py``) the same way,
   with the same number of workers and the admission and pool settings printed;
3. drives each variant with wrk (closed loop, maximum throughput): the bare ``def`` and
   ``async def`` endpoints, the one-statement durable floor with the token check, the mandate
   check, the batch (100 checks per call), the delivery; then the check at half its maximum
   rate with an open-loop Python client;
4. prints for each: requests/s (checks/s for the batch), p50/p95/p99 latency, errors, its
   ratio to the bare ``async def`` endpoint and to the floor, the **worker CPU per request**
   (the workers' CPU time over the run, from /proc, divided by the requests answered), and
   how wrk's connections were spread over the workers (from ``ss``, during the run): a ratio
   means something only between runs with the same spread.

    .venv/bin/python benchmarks/afnemer_api.py [--persons 1000000] [--duration 15] [--workers 2]
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import psycopg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machtigen.db import make_engine  # noqa: E402
from machtigen.migrate import upgrade  # noqa: E402

NOW = datetime.now(UTC).replace(microsecond=0)
KINDS = ["curatele", "beschermingsbewind", "mentorschap", "faillissement", "wsnp"]
HOST, API_PORT, BARE_PORT = "127.0.0.1", 18080, 18081
SAMPLES = ROOT / "var" / "bench" / "afnemer_api_samples.json"


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def bsns(count: int):
    """Valid BSNs (elfproef) in sequence from 100000000."""
    prefix = 10_000_000
    made = 0
    while made < count:
        digits = str(prefix)
        total = sum(int(d) * w for d, w in zip(digits, range(9, 1, -1), strict=True))
        check = total % 11
        prefix += 1
        if check < 10 and total != check:  # the elfproef's sum must not be zero
            made += 1
            yield digits + str(check)


def fresh_database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def fill(url: str, persons: int, mandates: int, measures: int, seed: int = 42) -> dict:
    rng = random.Random(seed)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    ts = NOW - timedelta(days=400)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        log(f"persons and accounts: {persons}")
        person_ids = [uuid.uuid4() for _ in range(persons)]
        person_bsns = list(bsns(persons))
        with cur.copy(
            "COPY person (id, bsn, given_name, family_name, date_of_birth, non_resident,"
            " postal_address, preferred_language, created_at) FROM STDIN"
        ) as copy:
            for i, (pid, bsn) in enumerate(zip(person_ids, person_bsns, strict=True)):
                born = date(1940 + i % 60, 1 + i % 12, 1 + i % 28)
                copy.write_row((pid, bsn, f"P{i}", f"F{i % 5000}", born, False, "", "nl", ts))
        with cur.copy(
            "COPY account (person_id, state, paper_only, repeat_reminders, activated_at,"
            " created_at) FROM STDIN"
        ) as copy:
            for pid in person_ids:
                copy.write_row((pid, "activated", False, True, ts, ts))
        log("afnemers, services, offices")
        afnemers, services = [], []
        for a in range(5):
            aid = uuid.uuid4()
            afnemers.append(aid)
            cur.execute(
                "INSERT INTO afnemer (id, oin, name, legally_required_digital,"
                " read_state_legal_basis, joined_at) VALUES (%s, %s, %s, false, false, %s)",
                (aid, f"{a + 1:020d}", f"Afnemer {a}", ts),
            )
            for code, category in (("financial", "financial"), ("care", "personal_care")):
                sid = uuid.uuid4()
                services.append((sid, aid, code, category))
                cur.execute(
                    "INSERT INTO service (id, afnemer_id, code, name, category)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    (sid, aid, code, code, category),
                )
        offices = []
        with cur.copy("COPY office (id, kvk_number, name, created_at) FROM STDIN") as copy:
            for o in range(1000):
                oid = uuid.uuid4()
                offices.append((oid, f"{50_000_000 + o:08d}"))
                copy.write_row((oid, f"{50_000_000 + o:08d}", f"Kantoor {o}", ts))
        log(f"voluntary mandates: {mandates}")
        mandate_samples, measure_samples = [], []
        bench_services = [s for s in services if s[1] == afnemers[0]]
        with (
            cur.copy(
                "COPY mandate (id, represented_person_id, representative_person_id,"
                " representative_office_id, status, initiated_by, valid_from, valid_until,"
                " created_at, decided_at) FROM STDIN"
            ) as copy,
        ):
            scopes = []
            for _ in range(mandates):
                mid = uuid.uuid4()
                p = rng.randrange(persons)
                office = rng.random() < 0.1
                r = rng.randrange(persons)
                if r == p:
                    r = (r + 1) % persons
                oid = offices[rng.randrange(len(offices))] if office else None
                copy.write_row(
                    (
                        mid,
                        person_ids[p],
                        None if office else person_ids[r],
                        oid[0] if oid else None,
                        "active",
                        "represented",
                        NOW - timedelta(days=30),
                        NOW + timedelta(days=365),
                        NOW - timedelta(days=30),
                        NOW - timedelta(days=30),
                    )
                )
                chosen = rng.sample(services, rng.choice((1, 2)))
                for sid, aid, code, _category in chosen:
                    scopes.append((uuid.uuid4(), mid, person_ids[p], sid, "read"))
                    if aid == afnemers[0] and len(mandate_samples) < 2000:
                        rep = {"kvkNumber": oid[1]} if oid else {"bsn": person_bsns[r]}
                        mandate_samples.append((rep, person_bsns[p], code))
        with cur.copy(
            "COPY mandate_scope (id, mandate_id, represented_person_id, service_id, action)"
            " FROM STDIN"
        ) as copy:
            for row in scopes:
                copy.write_row(row)
        log(f"legal measures: {measures}")
        with cur.copy(
            "COPY legal_measure (id, register_id, subject_person_id, kind,"
            " representative_person_id, representative_office_id, starts_at, ends_at,"
            " recorded_at) FROM STDIN"
        ) as copy:
            for m in range(measures):
                p = rng.randrange(persons)
                office = rng.random() < 0.2
                r = (p + 1 + rng.randrange(persons - 1)) % persons
                oid = offices[rng.randrange(len(offices))] if office else None
                ended = rng.random() < 0.1
                copy.write_row(
                    (
                        uuid.uuid4(),
                        f"CCBR-{m}",
                        person_ids[p],
                        rng.choice(KINDS),
                        None if office else person_ids[r],
                        oid[0] if oid else None,
                        NOW - timedelta(days=200),
                        NOW - timedelta(days=10) if ended else None,
                        NOW - timedelta(days=200),
                    )
                )
                if len(measure_samples) < 2000:
                    rep = {"kvkNumber": oid[1]} if oid else {"bsn": person_bsns[r]}
                    code = rng.choice(bench_services)[2]
                    measure_samples.append((rep, person_bsns[p], code))
        conn.commit()
        log("ANALYZE")
        cur.execute("ANALYZE")
        conn.commit()
    strangers = [
        ({"bsn": person_bsns[rng.randrange(persons)]}, person_bsns[rng.randrange(persons)], "care")
        for _ in range(1000)
    ]
    return {
        "afnemer_id": afnemers[0],
        "oin": f"{1:020d}",
        "mandates": mandate_samples,
        "measures": measure_samples,
        "strangers": strangers,
        "bsns": person_bsns[:: max(1, persons // 5000)],
    }


def register_client(url: str, afnemer_id: uuid.UUID, oin: str, key) -> None:
    jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    jwks = {"keys": [{**jwk, "kid": "bench", "use": "sig"}]}
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_client (id, client_id, kind, afnemer_id, jwks, active, created_at)"
                " VALUES (:id, :cid, 'afnemer', :aid, :jwks, true, :ts)"
                " ON CONFLICT (client_id) DO UPDATE SET jwks = EXCLUDED.jwks"
            ),
            {
                "id": uuid.uuid4(),
                "cid": oin,
                "aid": afnemer_id,
                "jwks": json.dumps(jwks),
                "ts": NOW,
            },
        )
    engine.dispose()


def start_server(app: str, port: int, env: dict, workers: int) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv/bin/uvicorn"),
        "--factory",
        app,
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--http",
        "api.server:NoDelayH11Protocol",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://{HOST}:{port}/api/v1/openapi.json", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.3)
    stop(process)
    raise RuntimeError(f"{app} did not start on port {port}")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def access_token(port: int, oin: str, key) -> str:
    now = int(time.time())
    assertion = jwt.encode(
        {
            "iss": oin,
            "sub": oin,
            "aud": f"http://{HOST}:{port}/api/v1/oauth2/token",
            "iat": now,
            "nbf": now,
            "exp": now + 60,
            "jti": uuid.uuid4().hex,
        },
        key,
        algorithm="ES256",
        headers={"kid": "bench"},
    )
    response = httpx.post(
        f"http://{HOST}:{port}/api/v1/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["access_token"]


def check_bodies(samples: dict) -> list[str]:
    rows = samples["mandates"][:400] + samples["measures"][:300] + samples["strangers"][:300]
    random.Random(7).shuffle(rows)
    return [
        json.dumps({"representative": rep, "personBsn": person, "serviceCode": code})
        for rep, person, code in rows
    ]


def delivery_bodies(samples: dict) -> list[str]:
    return [
        json.dumps({"bsn": bsn, "serviceCode": "financial", "subject": "Aanslag", "body": "Tekst"})
        for bsn in samples["bsns"][:1000]
    ]


LUA = """
local bodies = {%(bodies)s}
local token = "%(token)s"
local counter = 0
local tid = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  tid = tid or 0
end
function request()
  counter = counter + 1
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
  if %(idempotent)s then
    headers["Idempotency-Key"] = "%(run)s-" .. tostring(tid) .. "-" .. counter
  end
  return wrk.format("POST", "%(path)s", headers, bodies[(counter %% #bodies) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d\\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def worker_pids(master: subprocess.Popen) -> list[int]:
    """uvicorn's worker processes (the master's children)."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    # Workers are spawned by multiprocessing; its resource tracker is a child too.
    return [
        int(child)
        for child in children
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def connection_split(port: int, pids: list[int]) -> list[int]:
    """How many established connections on ``port`` each worker holds now."""
    listing = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    counts = dict.fromkeys(pids, 0)
    for line in listing.splitlines():
        for found in re.finditer(r"pid=(\d+)", line):
            if int(found.group(1)) in counts:
                counts[int(found.group(1))] += 1
                break
    return [counts[pid] for pid in pids]


def run_wrk(
    port: int,
    path: str,
    bodies: list[str],
    token: str,
    seconds: int,
    idempotent=False,
    server: subprocess.Popen | None = None,
):
    pids = worker_pids(server) if server is not None else []

    def start_wrk() -> tuple[subprocess.Popen, str]:
        script = LUA % {
            "bodies": ",".join(f"[==[{b}]==]" for b in bodies),
            "token": token,
            "idempotent": "true" if idempotent else "false",
            "run": uuid.uuid4().hex[:8],  # new Idempotency-Keys for every start
            "path": path,
        }
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(script)
        command = [
            "wrk",
            "-t1",
            f"-c{os.environ.get('WRK_CONNECTIONS', '16')}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            handle.name,
            f"http://{HOST}:{port}{path}",
        ]
        return subprocess.Popen(command, stdout=subprocess.PIPE, text=True), handle.name

    # The kernel hands a new connection to whichever worker accepts first: often most of
    # wrk's connections land on one worker. A run whose spread is uneven is started again
    # (a few times at most); the spread of the run measured is printed with it.
    for attempt in range(1, 7):
        cpu_before = cpu_seconds(pids)
        process, script_file = start_wrk()
        try:
            time.sleep(min(0.5, seconds / 4))
            split = connection_split(port, pids)
            if len(split) < 2 or max(split) - min(split) <= 2 or attempt == 6:
                output, _ = process.communicate(timeout=seconds + 30)
                cpu = cpu_seconds(pids) - cpu_before
                break
            process.terminate()
            process.communicate(timeout=30)
        finally:
            os.unlink(script_file)
        time.sleep(0.5)
    line = next(line for line in output.splitlines() if line.startswith("RESULT"))
    requests, duration, p50, p95, p99, status_errors, socket_errors = map(int, line.split()[1:])
    return {
        "rps": requests / (duration / 1e6),
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "errors": status_errors + socket_errors,
        "requests": requests,
        "cpu_ms": cpu * 1000 / max(1, requests),
        "split": split,
        "attempts": attempt,
    }


async def open_loop(port: int, path: str, bodies: list[str], token: str, rate: float, seconds: int):
    """A fixed arrival rate (not closed-loop), to see latency at a given load.

    Raw HTTP/1.1 over keep-alive connections (a few µs of client work per request, where an
    HTTP client library would cost more than the server on a shared machine). Each latency
    counts from the moment its request was due, so a late client is not hidden."""
    prepared = [
        (
            f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(body.encode())}\r\n\r\n"
        ).encode()
        + body.encode()
        for body in bodies
    ]
    latencies: list[float] = []
    errors = 0
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def exchange(reader, writer, request: bytes) -> bytes:
        writer.write(request)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await reader.readexactly(length)
        return head

    async def one(request: bytes, due: float) -> None:
        nonlocal errors
        try:
            if idle:
                reader, writer = idle.pop()
                try:
                    head = await exchange(reader, writer, request)
                except (ConnectionError, asyncio.IncompleteReadError):
                    # the server closed a connection that sat idle past its keep-alive
                    # timeout; a client sends again on a new one
                    writer.close()
                    reader, writer = await asyncio.open_connection(HOST, port)
                    head = await exchange(reader, writer, request)
            else:
                reader, writer = await asyncio.open_connection(HOST, port)
                head = await exchange(reader, writer, request)
            if int(head[9:12]) >= 400:
                errors += 1
            idle.append((reader, writer))
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
        latencies.append((time.perf_counter() - due) * 1000)

    tasks = []
    start = time.perf_counter()
    total = int(rate * seconds)
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(prepared[i % len(prepared)], due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for _, writer in idle:
        writer.close()
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    return {
        "rps": len(latencies) / elapsed,
        "p50": pct(0.5),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "errors": errors,
        "requests": len(latencies),
    }


def show(name: str, r: dict, *, per: int = 1, unit: str = "req/s", ratios=()) -> None:
    rate = r["rps"] * per
    cpu = (
        f"  CPU {r['cpu_ms'] / per:>6.2f} ms/{'check' if per > 1 else 'req'}"
        if "cpu_ms" in r
        else ""
    )
    split = ""
    if r.get("split"):
        split = f"  conns/worker {'/'.join(map(str, r['split']))} (start {r['attempts']})"
    shown = "".join(f"  {label} {rate / base:>5.2f}" for label, base in ratios if base)
    print(
        f"{name:<44} {rate:>9.1f} {unit}  p50 {r['p50']:>7.2f} ms  p99 {r['p99']:>7.2f} ms"
        f"  errors {r['errors']}{cpu}{split}{shown}",
        flush=True,
    )


def batch_bodies(checks: list[str], size: int = 100) -> list[str]:
    items = [json.loads(body) for body in checks]
    return [
        json.dumps({"checks": items[start : start + size]})
        for start in range(0, len(items) - size + 1, size)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "MACHTIGEN_BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--database", default="machtigen_bench")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--mandates", type=int, help="default: persons / 5")
    parser.add_argument("--measures", type=int, help="default: persons / 10")
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run (max 60)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument(
        "--reuse-database",
        action="store_true",
        help="use the database and samples a --keep-database run left (skips the fill)",
    )
    args = parser.parse_args()
    args.mandates = args.mandates if args.mandates is not None else args.persons // 5
    args.measures = args.measures if args.measures is not None else args.persons // 10
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    seconds = min(args.duration, 60)
    started = time.monotonic()
    filled_in = 0.0
    if args.reuse_database and SAMPLES.exists():
        url = make_url(args.admin_url).set(database=args.database).render_as_string(False)
        samples = json.loads(SAMPLES.read_text())
        log(f"reusing database {args.database}")
    else:
        url = fresh_database(args.admin_url, args.database)
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        log("schema migrated")
        samples = fill(url, args.persons, args.mandates, args.measures)
        filled_in = time.monotonic() - started
        log(f"database filled in {filled_in:.0f} s")
        if args.keep_database:
            SAMPLES.parent.mkdir(parents=True, exist_ok=True)
            SAMPLES.write_text(json.dumps(samples, default=str))

    workdir = Path(tempfile.mkdtemp(prefix="machtigen-bench-"))
    signing = ec.generate_private_key(ec.SECP256R1())
    (workdir / "signing.pem").write_bytes(
        signing.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    register_client(url, uuid.UUID(str(samples["afnemer_id"])), samples["oin"], client_key)
    env = {
        **os.environ,
        "MACHTIGEN_DATABASE_URL": url,
        "MACHTIGEN_PUBLIC_URL": f"http://{HOST}:{API_PORT}",
        "MACHTIGEN_SIGNING_KEY_FILE": str(workdir / "signing.pem"),
        "MACHTIGEN_RATE_LIMIT_PER_CLIENT": "1000000/second",
        "MACHTIGEN_SECRET_KEY": uuid.uuid4().hex,
        "MACHTIGEN_ACCESS_TOKEN_SECONDS": "3600",
        "PYTHONPATH": str(ROOT),
    }
    # Admission and pools, set explicitly: by default a worker admits db_pool_size - 1
    # requests at once, and wrk's 16 connections over 2 workers would get 503s.
    tuning = {
        "MACHTIGEN_DB_POOL_SIZE": os.environ.get("MACHTIGEN_DB_POOL_SIZE", "10"),
        "MACHTIGEN_DB_MAX_OVERFLOW": os.environ.get("MACHTIGEN_DB_MAX_OVERFLOW", "5"),
        "MACHTIGEN_MAX_IN_FLIGHT": os.environ.get("MACHTIGEN_MAX_IN_FLIGHT", "32"),
        "MACHTIGEN_ADMISSION_RESERVE": os.environ.get("MACHTIGEN_ADMISSION_RESERVE", "0"),
    }
    env.update(tuning)
    results = {}
    checks = check_bodies(samples)
    batches = batch_bodies(checks)

    def measure(port: int, path: str, bodies: list[str], token: str, server, **kw) -> dict:
        warm = {name: value for name, value in kw.items() if name == "idempotent"}
        run_wrk(port, path, bodies, token, 2, **warm)  # warm up: pools, prepared statements
        return run_wrk(port, path, bodies, token, seconds, server=server, **kw)

    api = start_server("api.main:create_app", API_PORT, env, args.workers)
    try:
        token = access_token(API_PORT, samples["oin"], client_key)
        results["check"] = measure(API_PORT, "/api/v1/mandate-checks", checks, token, api)
        results["batch"] = measure(API_PORT, "/api/v1/mandate-checks/_batch", batches, token, api)
        half = results["check"]["rps"] / 2
        results["check_half"] = asyncio.run(
            open_loop(API_PORT, "/api/v1/mandate-checks", checks, token, half, min(seconds, 10))
        )
        results["deliver"] = measure(
            API_PORT, "/api/v1/messages", delivery_bodies(samples), token, api, idempotent=True
        )
    finally:
        stop(api)
    bare = start_server("benchmarks.bare_app:create_app", BARE_PORT, env, args.workers)
    try:
        results["bare"] = measure(BARE_PORT, "/api/v1/mandate-checks", checks, "x", bare)
        results["bare_async"] = measure(BARE_PORT, "/bare/async", checks, "x", bare)
        results["floor"] = measure(BARE_PORT, "/floor/one-statement", checks, token, bare)
        # the floor at the check's half rate: what the durable commit alone does to the tail
        results["floor_half"] = asyncio.run(
            open_loop(BARE_PORT, "/floor/one-statement", checks, token, half, min(seconds, 10))
        )
        results["check-io"] = measure(BARE_PORT, "/floor/check-io", checks, "x", bare)
    finally:
        stop(bare)
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(
        f"dataset: {args.persons} persons, {args.mandates} mandates, {args.measures} measures"
        f" (filled in {filled_in:.0f} s); {args.workers} uvicorn workers;"
        f" wrk -t1 -c{os.environ.get('WRK_CONNECTIONS', '16')} -d{seconds}s; {os.cpu_count()} CPUs"
    )
    print("settings: " + ", ".join(f"{name}={value}" for name, value in tuning.items()))
    bare_async = results["bare_async"]["rps"]
    floor = results["floor"]["rps"]
    check = results["check"]["rps"]
    against = (("/async", bare_async), ("/floor", floor))
    show("bare def endpoint", results["bare"], ratios=against)
    show("bare async def endpoint", results["bare_async"], ratios=against)
    show("floor: one statement + token, durable", results["floor"], ratios=against)
    show("2 SELECT + INSERT + COMMIT, sync def", results["check-io"], ratios=against)
    show("POST /mandate-checks", results["check"], ratios=against)
    show(
        "POST /mandate-checks/_batch (100 per call)",
        results["batch"],
        per=100,
        unit="checks/s",
        ratios=against,
    )
    show("POST /messages", results["deliver"], ratios=(*against, ("/check", check)))
    show(f"POST /mandate-checks open loop at {half:.0f}/s", results["check_half"])
    show(f"floor open loop at {half:.0f}/s", results["floor_half"])
    print(
        f"check / floor: {check / floor:.2f} (target >= 0.9);"
        f" batch: {results['batch']['rps'] * 100:.0f} checks/s (target >= 5000);"
        f" delivery / check: {results['deliver']['rps'] / check:.2f} (target >= 0.5);"
        f" check p99 at half rate: {results['check_half']['p99']:.1f} ms (target < 20)"
    )
    if not (args.keep_database or args.reuse_database):
        admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
        admin.dispose()
    log(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
