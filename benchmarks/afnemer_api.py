# ruff: noqa: S311, S603, S607 - a local benchmark: seeded data, fixed local commands
"""Load benchmark of the afnemer API (a script, not a test). See docs/benchmarks.md, "Afnemer API".

1. creates a fresh PostgreSQL database, migrates it, and fills it with COPY: 1,000,000
   persons with accounts, 200,000 voluntary mandates (with scope rows), 100,000 measures;
2. starts the API with uvicorn (and, the same way, a bare FastAPI endpoint as baseline);
3. drives POST /api/v1/mandate-checks and POST /api/v1/messages with wrk (closed loop, maximum
   throughput), then the mandate check at half its maximum rate with an open-loop Python
   client, all against 127.0.0.1 only, bounded in time;
4. prints requests/s, p50/p95/p99 latency and errors per run, and the ratio to the baseline.

    .venv/bin/python benchmarks/afnemer_api.py [--persons 1000000] [--duration 15]
"""

import argparse
import asyncio
import json
import os
import random
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
        if check < 10:
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


def run_wrk(port: int, path: str, bodies: list[str], token: str, seconds: int, idempotent=False):
    script = LUA % {
        "bodies": ",".join(f"[==[{b}]==]" for b in bodies),
        "token": token,
        "idempotent": "true" if idempotent else "false",
        "run": uuid.uuid4().hex[:8],
        "path": path,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        output = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{os.environ.get('WRK_CONNECTIONS', '16')}",
                f"-d{seconds}s",
                "--timeout",
                "5s",
                "-s",
                handle.name,
                f"http://{HOST}:{port}{path}",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    line = next(line for line in output.splitlines() if line.startswith("RESULT"))
    requests, duration, p50, p95, p99, status_errors, socket_errors = map(int, line.split()[1:])
    return {
        "rps": requests / (duration / 1e6),
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "errors": status_errors + socket_errors,
        "requests": requests,
    }


async def open_loop(port: int, path: str, bodies: list[str], token: str, rate: float, seconds: int):
    """A fixed arrival rate (not closed-loop), to see latency at a given load."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{port}", limits=limits, timeout=5
    ) as client:

        async def one(body: str) -> None:
            nonlocal errors
            started = time.perf_counter()
            try:
                response = await client.post(path, content=body, headers=headers)
                if response.status_code >= 400:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append((time.perf_counter() - started) * 1000)

        tasks = []
        start = time.perf_counter()
        total = int(rate * seconds)
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(bodies[i % len(bodies)])))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
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


def show(name: str, r: dict) -> None:
    print(
        f"{name:<38} {r['rps']:>9.1f} req/s  p50 {r['p50']:>7.2f} ms  p95 {r['p95']:>7.2f} ms"
        f"  p99 {r['p99']:>7.2f} ms  errors {r['errors']}  (n={r['requests']})",
        flush=True,
    )


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
    parser.add_argument("--mandates", type=int, default=200_000)
    parser.add_argument("--measures", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run (max 60)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument(
        "--reuse-database",
        action="store_true",
        help="use the database and samples a --keep-database run left (skips the fill)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    seconds = min(args.duration, 60)
    started = time.monotonic()
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
        log(f"database filled in {time.monotonic() - started:.0f} s")
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
        "PYTHONPATH": str(ROOT),
    }
    results = {}
    checks = check_bodies(samples)
    bare = start_server("benchmarks.bare_app:create_app", BARE_PORT, env, args.workers)
    try:
        run_wrk(BARE_PORT, "/api/v1/mandate-checks", checks, "x", 3)
        results["bare"] = run_wrk(BARE_PORT, "/api/v1/mandate-checks", checks, "x", seconds)
        for floor in ("one-select", "check-io"):
            run_wrk(BARE_PORT, f"/floor/{floor}", checks, "x", 2)
            results[floor] = run_wrk(BARE_PORT, f"/floor/{floor}", checks, "x", seconds)
    finally:
        stop(bare)
    api = start_server("api.main:create_app", API_PORT, env, args.workers)
    try:
        token = access_token(API_PORT, samples["oin"], client_key)
        run_wrk(API_PORT, "/api/v1/mandate-checks", checks, token, 3)
        results["check"] = run_wrk(API_PORT, "/api/v1/mandate-checks", checks, token, seconds)
        half = results["check"]["rps"] / 2
        results["check_half"] = asyncio.run(
            open_loop(API_PORT, "/api/v1/mandate-checks", checks, token, half, min(seconds, 10))
        )
        results["deliver"] = run_wrk(
            API_PORT, "/api/v1/messages", delivery_bodies(samples), token, seconds, idempotent=True
        )
    finally:
        stop(api)
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(
        f"dataset: {args.persons} persons, {args.mandates} mandates, {args.measures} measures;"
        f" {args.workers} uvicorn workers; wrk -t1 -c16 -d{seconds}s; {os.cpu_count()} CPUs"
    )
    show("bare FastAPI endpoint (max)", results["bare"])
    show("floor: one SELECT (max)", results["one-select"])
    show("floor: 2 SELECT + audit INSERT (max)", results["check-io"])
    show("POST /mandate-checks (max)", results["check"])
    show(f"POST /mandate-checks at {half:.0f} req/s", results["check_half"])
    show("POST /messages (max)", results["deliver"])
    print(f"ratio mandate check / bare: {results['check']['rps'] / results['bare']['rps']:.3f}")
    print(f"ratio delivery / bare:      {results['deliver']['rps'] / results['bare']['rps']:.3f}")
    for floor in ("one-select", "check-io"):
        ratio = results[floor]["rps"] / results["bare"]["rps"]
        print(f"ratio floor {floor} / bare: {ratio:.3f}")
    if not (args.keep_database or args.reuse_database):
        admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
        admin.dispose()
    log(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
