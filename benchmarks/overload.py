# ruff: noqa: S311, S603 - a local benchmark: seeded data, fixed local commands
"""Overload benchmark (a script, not a test): does the service hold under a flood?
See docs/operations.md, "Under a flood".

It creates a scratch PostgreSQL database (dropped afterwards), fills it with COPY, starts its
own redis-server on a free port and ``machtigen serve --workers 2`` on 127.0.0.1, and drives
``POST /api/v1/mandate-checks`` from separate processes (so that the flood's own CPU does not
distort the other measurements):

  baseline  afnemer B alone at 5 requests/s, with /health/live and /health/ready polled;
  (a)       afnemer A on 200 concurrent connections beside B;
  (b)       the same, and the script kills its redis-server halfway;
  (c)       a second server whose PostgreSQL sits behind a TCP proxy: the proxy is cut, A and
            B keep asking, the proxy is restored (recovery without a restart).

Afnemer A runs twice in (a): once following the retry policy docs/api.md asks of afnemers
(honour Retry-After), once as a retry storm (every refused request sent again at once). It
prints every figure of issue 11's targets, each beside its target. Loopback only, bounded in
time (about 3 minutes with the defaults).

    .venv/bin/python benchmarks/overload.py [--duration 20] [--connections 200]
"""

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jwt
import psycopg
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machtigen.db import make_engine, scratch_database  # noqa: E402
from machtigen.migrate import upgrade  # noqa: E402

HOST = "127.0.0.1"
NOW = datetime.now(UTC).replace(microsecond=0)
CHECK_PATH = "/api/v1/mandate-checks"


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


# --- data ------------------------------------------------------------------------------------


def bsns(count: int):
    """Valid BSNs (elfproef) in sequence from 100000000."""
    prefix, made = 10_000_000, 0
    while made < count:
        digits = str(prefix)
        check = sum(int(d) * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        prefix += 1
        if check < 10:
            made += 1
            yield digits + str(check)


@dataclass
class Afnemer:
    oin: str
    id: uuid.UUID
    key: ec.EllipticCurvePrivateKey
    bodies: list[bytes] = field(default_factory=list)


def fill(url: str, persons: int, mandates: int, seed: int = 11) -> tuple[Afnemer, Afnemer]:
    """Persons with accounts, afnemers A and B with a service each, voluntary mandates; the
    questions each afnemer asks (a third about a real mandate, the rest about strangers)."""
    rng = random.Random(seed)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    ts = NOW - timedelta(days=400)
    person_ids = [uuid.uuid4() for _ in range(persons)]
    person_bsns = list(bsns(persons))
    a = Afnemer(f"{1:020d}", uuid.uuid4(), ec.generate_private_key(ec.SECP256R1()))
    b = Afnemer(f"{2:020d}", uuid.uuid4(), ec.generate_private_key(ec.SECP256R1()))
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
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
        services = {}
        for afnemer, name in ((a, "A"), (b, "B")):
            cur.execute(
                "INSERT INTO afnemer (id, oin, name, legally_required_digital,"
                " read_state_legal_basis, joined_at) VALUES (%s, %s, %s, false, false, %s)",
                (afnemer.id, afnemer.oin, f"Afnemer {name}", ts),
            )
            services[afnemer.oin] = uuid.uuid4()
            cur.execute(
                "INSERT INTO service (id, afnemer_id, code, name, category)"
                " VALUES (%s, %s, 'financial', 'Financieel', 'financial')",
                (services[afnemer.oin], afnemer.id),
            )
            jwk = json.loads(ECAlgorithm.to_jwk(afnemer.key.public_key()))
            cur.execute(
                "INSERT INTO api_client (id, client_id, kind, afnemer_id, jwks, active,"
                " share_weight, created_at) VALUES (%s, %s, 'afnemer', %s, %s, true, 1, %s)",
                (
                    uuid.uuid4(),
                    afnemer.oin,
                    afnemer.id,
                    json.dumps({"keys": [{**jwk, "kid": "bench", "use": "sig"}]}),
                    ts,
                ),
            )
        questions: dict[str, list[tuple[str, str]]] = {a.oin: [], b.oin: []}
        scopes = []
        with cur.copy(
            "COPY mandate (id, represented_person_id, representative_person_id, status,"
            " initiated_by, valid_from, valid_until, created_at, decided_at) FROM STDIN"
        ) as copy:
            for _ in range(mandates):
                mid = uuid.uuid4()
                p, r = rng.sample(range(persons), 2)
                began = NOW - timedelta(days=30)
                ends = NOW + timedelta(days=365)
                row = (mid, person_ids[p], person_ids[r], "active", "represented")
                copy.write_row((*row, began, ends, began, began))
                afnemer = rng.choice((a, b))
                scopes.append((uuid.uuid4(), mid, person_ids[p], services[afnemer.oin], "read"))
                questions[afnemer.oin].append((person_bsns[r], person_bsns[p]))
        with cur.copy(
            "COPY mandate_scope (id, mandate_id, represented_person_id, service_id, action)"
            " FROM STDIN"
        ) as copy:
            for row in scopes:
                copy.write_row(row)
        conn.commit()
        cur.execute("ANALYZE")
        conn.commit()
    for afnemer in (a, b):
        real = questions[afnemer.oin][:300]
        strangers = [tuple(rng.sample(person_bsns, 2)) for _ in range(600)]
        rows = real + strangers
        rng.shuffle(rows)
        afnemer.bodies = [
            json.dumps(
                {"representative": {"bsn": rep}, "personBsn": person, "serviceCode": "financial"}
            ).encode()
            for rep, person in rows
        ]
    return a, b


# --- a lean HTTP/1.1 client (keep-alive, Content-Length or chunked) ----------------------------


class Connection:
    """One keep-alive connection. Like any HTTP client, it sends a request again on a fresh
    connection when a reused one turns out to have been closed by the server meanwhile
    (uvicorn closes idle connections after 5 s); ``Connection.resent`` counts those."""

    resent = 0

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.answered = 0

    async def request(self, raw: bytes, timeout: float) -> tuple[int, dict[str, str], bytes]:
        deadline = time.monotonic() + timeout
        for attempt in (1, 2):
            reused = self.writer is not None and self.answered > 0
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
                self.answered = 0
            try:
                answer = await asyncio.wait_for(self._exchange(raw), deadline - time.monotonic())
            except (ConnectionError, asyncio.IncompleteReadError) as error:
                self.close()
                unanswered = not getattr(error, "partial", b"")
                if attempt == 1 and reused and unanswered:
                    Connection.resent += 1
                    continue
                raise
            except BaseException:
                self.close()
                raise
            self.answered += 1
            return answer
        raise AssertionError("unreachable")

    async def _exchange(self, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            body = await self._chunked()
        else:
            body = b""
        if headers.get("connection") == "close":
            self.close()
        return status, headers, body

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def post(path: str, body: bytes, token: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()


def kind_of(status: int, body: bytes) -> str:
    """The status, and for refusals which line refused (from the problem's detail)."""
    if status == 429:
        return "429 rate" if b"rate is used up" in body else "429 share"
    if status == 503:
        return "503 database" if b"database" in body else "503 capacity"
    return str(status)


# --- the load: afnemer A (a flood), afnemer B (steady) and the health probes ------------------


def backoff(retry_after: float, refusals_in_a_row: int, rng: random.Random) -> float:
    """The retry policy of docs/api.md: wait Retry-After, plus a random extra (full jitter) whose
    ceiling doubles with each refusal in a row, from 0.5 s up to 30 s."""
    ceiling = min(30.0, 0.5 * 2 ** (refusals_in_a_row - 1))
    return retry_after + rng.uniform(0, ceiling)


def flood(port, token, bodies, connections, start, seconds, honour_retry_after, out):
    """Afnemer A: ``connections`` connections, each sending the next request as soon as the
    last was answered. ``honour_retry_after``: a refused request is retried as docs/api.md
    asks (``backoff``); otherwise at once, as a retry storm does."""

    async def main() -> list[tuple[float, str, float]]:
        samples: list[tuple[float, str, float]] = []
        stop = start + seconds

        async def one_connection(number: int) -> None:
            connection = Connection(port)
            rng = random.Random(number)
            refused = 0
            while time.time() < stop:
                raw = post(CHECK_PATH, bodies[rng.randrange(len(bodies))], token)
                sent = time.time()
                try:
                    status, headers, body = await connection.request(raw, 30)
                    kind = kind_of(status, body)
                except (OSError, TimeoutError, asyncio.IncompleteReadError):
                    status, headers, kind = 0, {}, "error"
                samples.append((sent - start, kind, (time.time() - sent) * 1000))
                refused = refused + 1 if status in (429, 503) else 0
                if refused and honour_retry_after:
                    wait = backoff(float(headers.get("retry-after", 1)), refused, rng)
                    await asyncio.sleep(max(0.0, min(wait, stop - time.time())))
                elif status == 0:
                    await asyncio.sleep(0.05)
            connection.close()

        await asyncio.sleep(max(0.0, start - time.time()))
        await asyncio.gather(*(one_connection(n) for n in range(connections)))
        return samples

    out.put((asyncio.run(main()), Connection.resent))


def steady(port, token, bodies, rate, start, seconds, out):
    """Afnemer B at a fixed rate (open loop), and /health/live and /health/ready every 100 ms."""

    async def main() -> dict[str, list]:
        result: dict[str, list] = {"b": [], "live": [], "ready": []}
        idle: list[Connection] = []

        async def check(number: int) -> None:
            connection = idle.pop() if idle else Connection(port)
            sent = time.time()
            try:
                status, _, body = await connection.request(
                    post(CHECK_PATH, bodies[number], token), 10
                )
                kind = kind_of(status, body)
                idle.append(connection)
            except (OSError, TimeoutError, asyncio.IncompleteReadError):
                kind = "error"
            result["b"].append((sent - start, kind, (time.time() - sent) * 1000))

        async def probe(path: str, name: str) -> None:
            connection = Connection(port)
            tick = start
            while tick < start + seconds:
                await asyncio.sleep(max(0.0, tick - time.time()))
                sent = time.time()
                try:
                    status, _, body = await connection.request(get(path), 10)
                    kind = str(status) if status != 200 else json.loads(body).get("status", "200")
                except (OSError, TimeoutError, asyncio.IncompleteReadError):
                    kind = "error"
                result[name].append((sent - start, kind, (time.time() - sent) * 1000))
                tick += 0.1

        probes = [
            asyncio.create_task(probe("/health/live", "live")),
            asyncio.create_task(probe("/health/ready", "ready")),
        ]
        tasks = []
        total = int(rate * seconds)
        for number in range(total):
            await asyncio.sleep(max(0.0, start + number / rate - time.time()))
            tasks.append(asyncio.create_task(check(number % len(bodies))))
        await asyncio.gather(*tasks, *probes)
        return result

    out.put((asyncio.run(main()), Connection.resent))


@dataclass
class Run:
    a: list[tuple[float, str, float]]
    b: list[tuple[float, str, float]]
    live: list[tuple[float, str, float]]
    ready: list[tuple[float, str, float]]
    a_resent: int = 0
    b_resent: int = 0


def run_load(port, tokens, bodies, seconds, *, connections=0, honour=True, during=None) -> Run:
    """A (when ``connections``) and B with the probes, in processes of their own."""
    context = multiprocessing.get_context("fork")
    start = time.time() + 1.0
    a_out, b_out = context.Queue(), context.Queue()
    workers = [
        context.Process(
            target=steady, args=(port, tokens["b"], bodies["b"], 5.0, start, seconds, b_out)
        )
    ]
    if connections:
        workers.append(
            context.Process(
                target=flood,
                args=(port, tokens["a"], bodies["a"], connections, start, seconds, honour, a_out),
            )
        )
    for worker in workers:
        worker.start()
    if during is not None:
        during(start)
    steady_result, b_resent = b_out.get(timeout=seconds + 60)
    a_samples, a_resent = a_out.get(timeout=seconds + 60) if connections else ([], 0)
    for worker in workers:
        worker.join(timeout=30)
    return Run(
        a_samples,
        steady_result["b"],
        steady_result["live"],
        steady_result["ready"],
        a_resent,
        b_resent,
    )


# --- the server, Redis and the proxy ----------------------------------------------------------


def start_server(database_url: str, redis_url: str | None, folder: Path, rate: str):
    port = free_port()
    env = {
        **os.environ,
        "MACHTIGEN_DATABASE_URL": database_url,
        "MACHTIGEN_PUBLIC_URL": f"http://{HOST}:{port}",
        "MACHTIGEN_SIGNING_KEY_FILE": str(folder / "signing-key.pem"),
        "MACHTIGEN_SECRET_KEY": "overload-benchmark-secret",
        "MACHTIGEN_AUDIT_CHECKPOINT_DIR": str(folder / "checkpoints"),
        "MACHTIGEN_RATE_LIMIT_PER_CLIENT": rate,
    }
    env.pop("MACHTIGEN_REDIS_URL", None)
    if redis_url:
        env["MACHTIGEN_REDIS_URL"] = redis_url
    command = [str(ROOT / ".venv/bin/machtigen"), "serve", "--workers", "2", "--host", HOST]
    command += ["--port", str(port)]
    log_file = (folder / f"server-{port}.log").open("w")
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped; see {log_file.name}")
        with suppress(OSError), socket.create_connection((HOST, port), timeout=1) as probe:
            probe.sendall(get("/health/ready"))
            if probe.recv(64).startswith(b"HTTP/1.1 200"):
                return process, port
        time.sleep(0.3)
    stop(process)
    raise RuntimeError("the server did not become ready within 120 s")


def stop(process: subprocess.Popen) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def start_redis() -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is needed (apt-get install -y redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        with suppress(OSError), socket.create_connection((HOST, port), timeout=0.2):
            return process, f"redis://{HOST}:{port}/0"
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


class Proxy:
    """A TCP proxy in front of PostgreSQL that the script can cut and restore."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server((HOST, 0))
        self.port = self.listener.getsockname()[1]
        self.cut_off = False
        self.pairs: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut_off:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            self.pairs += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        for end in (source, sink):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.cut_off = True
        pairs, self.pairs = self.pairs, []
        for end in pairs:
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def restore(self) -> None:
        self.cut_off = False

    def close(self) -> None:
        self.cut()
        self.listener.close()


def access_token(port: int, afnemer: Afnemer) -> str:
    now = int(time.time())
    assertion = jwt.encode(
        {
            "iss": afnemer.oin,
            "sub": afnemer.oin,
            "aud": f"http://{HOST}:{port}/api/v1/oauth2/token",
            "iat": now,
            "nbf": now,
            "exp": now + 120,
            "jti": uuid.uuid4().hex,
        },
        afnemer.key,
        algorithm="ES256",
        headers={"kid": "bench"},
    )
    form = (
        "grant_type=client_credentials&client_assertion_type="
        "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        f"&client_assertion={assertion}"
    ).encode()
    raw = (
        f"POST /api/v1/oauth2/token HTTP/1.1\r\nHost: {HOST}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(form)}\r\n\r\n"
    ).encode() + form

    async def ask() -> tuple[int, bytes]:
        connection = Connection(port)
        status, _, body = await connection.request(raw, 30)
        connection.close()
        return status, body

    status, body = asyncio.run(ask())
    if status != 200:
        raise RuntimeError(f"no access token: {status} {body[:200]!r}")
    return json.loads(body)["access_token"]


def warm_up(port: int, tokens: dict[str, str], bodies: dict[str, list[bytes]]) -> None:
    """Requests from both afnemers on several connections, so that every worker has compiled
    its policy filters and verified both tokens before anything is measured."""

    async def main() -> None:
        async def one(name: str, number: int) -> None:
            connection = Connection(port)
            for index in range(15):
                body = bodies[name][(number * 15 + index) % len(bodies[name])]
                await connection.request(post(CHECK_PATH, body, tokens[name]), 30)
            connection.close()

        await asyncio.gather(*(one(name, n) for name in ("a", "b") for n in range(6)))

    asyncio.run(main())


# --- figures ---------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """The nearest-rank percentile (p99 of 100 values is the 99th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def latencies(samples, kinds=None, since=0.0, until=float("inf")) -> list[float]:
    return [
        ms for t, kind, ms in samples if since <= t < until and (kinds is None or kind in kinds)
    ]


def counts(samples, since=0.0, until=float("inf")) -> str:
    tally = Counter(kind for t, kind, _ in samples if since <= t < until)
    return ", ".join(f"{kind}: {n}" for kind, n in sorted(tally.items())) or "none"


REFUSALS = {"429 share", "429 rate", "503 capacity", "503 database"}
TARGETS: list[tuple[str, str, bool]] = []


def verdict(name: str, figure: str, met: bool) -> None:
    TARGETS.append((name, figure, met))
    print(f"    {'MET ' if met else 'MISS'}  {name}: {figure}")


def report_b(run: Run, b_alone_p99: float, label: str) -> None:
    sent = len(run.b)
    ok = sum(1 for _, kind, _ in run.b if kind == "200")
    answered = latencies(run.b, {"200"})
    p99 = pct(answered, 0.99)
    print(f"  B: {sent} sent, {ok} answered 200 ({100 * ok / max(sent, 1):.1f} %); {counts(run.b)}")
    print(
        f"  B's latency: p50 {pct(answered, 0.5):.1f} ms, p99 {p99:.1f} ms,"
        f" max {max(answered or [0]):.1f} ms; alone p99 {b_alone_p99:.1f} ms"
    )
    verdict(f"{label} B at 100 % success", f"{100 * ok / max(sent, 1):.1f} %", ok == sent)
    verdict(
        f"{label} B's p99 at most 2 x its p99 alone",
        f"{p99:.1f} ms = {p99 / b_alone_p99:.2f} x {b_alone_p99:.1f} ms",
        p99 <= 2 * b_alone_p99,
    )


def report_probes(run: Run, label: str) -> None:
    live, ready = latencies(run.live), latencies(run.ready)
    print(
        f"  /health/live : {len(live)} probes, p50 {pct(live, 0.5):.1f} ms,"
        f" p99 {pct(live, 0.99):.1f} ms, max {max(live or [0]):.1f} ms; {counts(run.live)}"
    )
    print(
        f"  /health/ready: {len(ready)} probes, p50 {pct(ready, 0.5):.1f} ms,"
        f" p99 {pct(ready, 0.99):.1f} ms, max {max(ready or [0]):.1f} ms; {counts(run.ready)}"
    )
    verdict(
        f"{label} /health/live p99 under 50 ms", f"{pct(live, 0.99):.1f} ms", pct(live, 0.99) < 50
    )
    verdict(
        f"{label} /health/ready p99 under 200 ms",
        f"{pct(ready, 0.99):.1f} ms",
        pct(ready, 0.99) < 200,
    )


def report_a(run: Run, seconds: float, label: str) -> None:
    answered = len(run.a)
    refused = latencies(run.a, REFUSALS)
    print(
        f"  A: {answered} answers in {seconds:.0f} s ({answered / seconds:.0f}/s): {counts(run.a)}"
    )
    print(
        f"  A's 200s: p50 {pct(latencies(run.a, {'200'}), 0.5):.1f} ms,"
        f" p99 {pct(latencies(run.a, {'200'}), 0.99):.1f} ms"
    )
    print(
        f"  A's refusals: p50 {pct(refused, 0.5):.1f} ms, p99 {pct(refused, 0.99):.1f} ms,"
        f" max {max(refused or [0]):.1f} ms"
    )
    for kind in sorted(REFUSALS):
        some = latencies(run.a, {kind})
        if some:
            print(
                f"    {kind}: {len(some)}, p50 {pct(some, 0.5):.1f} ms,"
                f" p99 {pct(some, 0.99):.1f} ms"
            )
    if run.a_resent:
        print(f"  A sent {run.a_resent} again on a fresh connection (keep-alive closed meanwhile)")
    failed = [kind for _, kind, _ in run.a + run.b if kind == "error" or kind.startswith("50")]
    failed = [kind for kind in failed if not kind.startswith("503")]
    verdict(f"{label} no 500 (nor a dropped connection)", f"{len(failed)}", not failed)
    verdict(
        f"{label} A's refusals answered with p99 under 50 ms",
        f"{pct(refused, 0.99):.1f} ms",
        pct(refused, 0.99) < 50,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "MACHTIGEN_BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--duration", type=int, default=20, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=200, help="afnemer A's connections")
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--mandates", type=int, default=4_000)
    parser.add_argument(
        "--rate-limit",
        default="10/second",
        help="each client's requests per second (the second line; low, so that A reaches it)",
    )
    parser.add_argument(
        "--no-storm", action="store_true", help="skip the extra run with A retrying at once"
    )
    args = parser.parse_args()
    seconds = args.duration
    folder = Path(tempfile.mkdtemp(prefix="machtigen-overload-"))
    began = time.monotonic()
    print(f"load average at the start: {os.getloadavg()[0]:.1f} (2 cores shared)")
    with scratch_database(args.admin_url, "machtigen_overload") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        log(f"fill: {args.persons} persons, {args.mandates} mandates")
        a, b = fill(url, args.persons, args.mandates)
        bodies = {"a": a.bodies, "b": b.bodies}
        redis, redis_url = start_redis()
        server, port = start_server(url, redis_url, folder, args.rate_limit)
        log(f"server on port {port} (2 workers), its own Redis at {redis_url}")
        try:
            tokens = {"a": access_token(port, a), "b": access_token(port, b)}
            warm_up(port, tokens, bodies)
            b_alone = scenario_baseline(port, tokens, bodies, seconds)
            scenario_a(port, tokens, bodies, seconds, args.connections, b_alone)
            scenario_b(port, tokens, bodies, seconds, args.connections, b_alone, redis)
            if not args.no_storm:
                scenario_storm(port, tokens, bodies, seconds, args.connections, b_alone)
        finally:
            stop(server)
            if redis.poll() is None:
                redis.kill()
        scenario_c(url, folder, args.rate_limit, (a, b), bodies, seconds)
    print(
        f"\nload average at the end: {os.getloadavg()[0]:.1f}; took"
        f" {time.monotonic() - began:.0f} s"
    )
    print("\nthe issue's targets:")
    for name, figure, met in TARGETS:
        print(f"  {'MET ' if met else 'MISS'}  {name}: {figure}")
    if all(met for _, _, met in TARGETS):
        shutil.rmtree(folder, ignore_errors=True)
    else:
        print(f"the servers' logs are in {folder}")


def scenario_baseline(port, tokens, bodies, seconds) -> float:
    log(f"baseline: B alone at 5/s for {seconds} s")
    alone = run_load(port, tokens, bodies, seconds)
    b_alone = pct(latencies(alone.b, {"200"}), 0.99)
    print(
        f"\nbaseline, B alone: {counts(alone.b)}; p50"
        f" {pct(latencies(alone.b, {'200'}), 0.5):.1f} ms, p99 {b_alone:.1f} ms"
    )
    report_probes(alone, "baseline")
    return b_alone


def scenario_a(port, tokens, bodies, seconds, connections, b_alone) -> None:
    log(f"(a) A on {connections} connections for {seconds} s, B at 5/s")
    run = run_load(port, tokens, bodies, seconds, connections=connections, honour=True)
    print(f"\n(a) A on {connections} connections (honouring Retry-After) beside B, {seconds} s")
    report_a(run, seconds, "(a)")
    report_b(run, b_alone, "(a)")
    report_probes(run, "(a)")


def scenario_b(port, tokens, bodies, seconds, connections, b_alone, redis) -> None:
    killed_at: list[float] = []

    def kill_redis_halfway(start: float) -> None:
        time.sleep(max(0.0, start + seconds / 2 - time.time()))
        redis.kill()
        redis.wait()
        killed_at.append(time.time() - start)

    log(f"(b) as (a), the script's redis-server killed after {seconds / 2:.0f} s")
    run = run_load(
        port, tokens, bodies, seconds, connections=connections, during=kill_redis_halfway
    )
    cut = killed_at[0]
    print(f"\n(b) as (a); redis-server killed at {cut:.1f} s")
    print(f"  A before the kill: {counts(run.a, until=cut)}")
    print(f"  A after the kill:  {counts(run.a, since=cut)}")
    print(f"  /health/ready before the kill: {counts(run.ready, until=cut)}")
    print(f"  /health/ready after the kill:  {counts(run.ready, since=cut)}")
    report_a(run, seconds, "(b)")
    after = Counter(kind for t, kind, _ in run.a if t >= cut)
    verdict(
        "(b) with Redis killed, A still gets 429s",
        f"{after['429 share']} over its share + {after['429 rate']} over its rate",
        after["429 share"] + after["429 rate"] > 0,
    )
    verdict(
        "(b) the rate limit still limits after the kill (in process)",
        f"{after['429 rate']} x 429 over its rate",
        after["429 rate"] > 0,
    )
    report_b(run, b_alone, "(b)")
    report_probes(run, "(b)")


def scenario_storm(port, tokens, bodies, seconds, connections, b_alone) -> None:
    """Beyond the issue: A resends every refused request at once (the DigiD app's retry
    storm). Its own process then takes a core of the two; the figures are printed, not
    counted among the targets."""
    log(f"storm: A on {connections} connections retrying at once, B at 5/s")
    run = run_load(port, tokens, bodies, seconds, connections=connections, honour=False)
    print(f"\nbeyond the issue: A retries every refusal at once ({connections} connections)")
    mark = len(TARGETS)
    report_a(run, seconds, "storm")
    report_b(run, b_alone, "storm")
    report_probes(run, "storm")
    del TARGETS[mark:]


def scenario_c(url, folder, rate, afnemers, bodies, seconds) -> None:
    log("(c) a second server, its PostgreSQL behind a TCP proxy the script cuts")
    parsed = make_url(url)
    proxy = Proxy((parsed.host or HOST, parsed.port or 5432))
    proxied = parsed.set(host=HOST, port=proxy.port).render_as_string(hide_password=False)
    server, port = start_server(proxied, None, folder, rate)
    try:
        tokens = {"a": access_token(port, afnemers[0]), "b": access_token(port, afnemers[1])}
        warm_up(port, tokens, bodies)
        outage = max(6, seconds // 2)
        moments: dict[str, float] = {}

        def outage_and_back(start: float) -> None:
            time.sleep(max(0.0, start + 2 - time.time()))
            proxy.cut()
            moments["cut"] = time.time() - start
            time.sleep(max(0.0, start + 2 + outage - time.time()))
            proxy.restore()
            moments["restored"] = time.time() - start

        run = run_load(port, tokens, bodies, outage + 6, connections=20, during=outage_and_back)
    finally:
        stop(server)
        proxy.close()
    down = (moments["cut"], moments["restored"])
    everything = run.a + run.b
    during = Counter(kind for t, kind, _ in everything if down[0] <= t < down[1])
    print(f"\n(c) PostgreSQL unreachable for {outage} s (A on 20 connections, B at 5/s)")
    print(f"  every answer during the outage: {dict(sorted(during.items()))}")
    print(f"  /health/ready during the outage: {counts(run.ready, *down)}")
    back = [t for t, kind, _ in sorted(run.b) if t >= down[1] and kind == "200"]
    recovered = (back[0] - down[1]) if back else float("nan")
    print(
        f"  after the restore: B's first 200 {recovered:.1f} s later;"
        f" from 2 s after it A got {counts(run.a, since=down[1] + 2)}"
    )
    refused = latencies(everything, {"503 database"}, *down)
    print(f"  the 503s: p50 {pct(refused, 0.5):.1f} ms, p99 {pct(refused, 0.99):.1f} ms")
    unavailable = sum(n for kind, n in during.items() if kind.startswith("503"))
    failed = sum(n for kind, n in during.items() if kind == "error" or kind.startswith("50"))
    failed -= unavailable
    verdict(
        "(c) 503 versus 500",
        f"{unavailable} x 503, {failed} x 500 (or a dropped connection)",
        failed == 0 and unavailable > 0,
    )
    verdict("(c) recovery without a restart", f"{recovered:.1f} s", bool(back))


if __name__ == "__main__":
    main()
