# ruff: noqa: S603 - a local experiment: fixed local commands
"""Does ``machtigen serve --workers 2`` come up on a busy machine? (A script, not a test.)

Busy-loop processes push the load average to ``--load`` (10 by default) before anything is
timed; then, for each health-check timeout asked (the setting's default, and uvicorn's own
5 s), the script starts ``machtigen serve --workers 2`` on an SQLite database, and reports how
long until both workers have started, how many workers uvicorn's supervisor killed as "died",
and how long a worker killed with SIGKILL takes to be replaced and serving again.

    .venv/bin/python benchmarks/busy_start.py [--load 10] [--timeouts 60,5]
"""

import argparse
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
STARTED = re.compile(rb"Application startup complete")
DIED = re.compile(rb"Child process \[\d+\] died")


def spin() -> None:
    while True:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def serve(database: Path, folder: Path, timeout: int) -> tuple[subprocess.Popen, int, Path]:
    port = free_port()
    log = folder / f"serve-{timeout}.log"
    env = {
        **os.environ,
        "MACHTIGEN_DATABASE_URL": f"sqlite:///{database}",
        "MACHTIGEN_SIGNING_KEY_FILE": str(folder / "signing-key.pem"),
        "MACHTIGEN_SECRET_KEY": "busy-start",
        "MACHTIGEN_WORKER_HEALTHCHECK_TIMEOUT_SECONDS": str(timeout),
    }
    command = [str(ROOT / ".venv/bin/machtigen"), "serve", "--workers", "2", "--port", str(port)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, port, log


def answers(port: int) -> bool:
    with suppress(OSError), socket.create_connection((HOST, port), timeout=2) as probe:
        probe.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        return probe.recv(32).startswith(b"HTTP/1.1 200")
    return False


def workers_of(parent: int) -> list[int]:
    """The supervisor's worker processes (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{parent}/task/{parent}/children")
    pids = [int(pid) for pid in children.read_text().split()] if children.exists() else []
    return [pid for pid in pids if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def trial(database: Path, folder: Path, timeout: int, limit: float) -> None:
    process, port, log = serve(database, folder, timeout)
    began = time.monotonic()
    first_answer = both = None
    while time.monotonic() - began < limit:
        text = log.read_bytes()
        if first_answer is None and answers(port):
            first_answer = time.monotonic() - began
        if len(STARTED.findall(text)) >= 2:
            both = time.monotonic() - began
            break
        time.sleep(0.5)
    deaths = len(DIED.findall(log.read_bytes()))
    replaced = None
    if both is not None:
        victims = workers_of(process.pid)
        if victims:
            before = len(STARTED.findall(log.read_bytes()))
            os.kill(victims[0], signal.SIGKILL)
            killed = time.monotonic()
            while time.monotonic() - killed < limit:
                if len(STARTED.findall(log.read_bytes())) > before:
                    replaced = time.monotonic() - killed
                    break
                time.sleep(0.5)
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
    load = os.getloadavg()[0]
    print(
        f"health-check timeout {timeout:>3} s: first answer"
        f" {_s(first_answer)}, both workers started {_s(both)}, workers killed as 'died'"
        f" {deaths}, a SIGKILLed worker serving again after {_s(replaced)} (load {load:.1f})",
        flush=True,
    )


def _s(seconds: float | None) -> str:
    return "never (within the limit)" if seconds is None else f"{seconds:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--load", type=float, default=10.0, help="load average to reach first")
    parser.add_argument("--timeouts", default="60,5", help="health-check timeouts to try")
    parser.add_argument("--limit", type=float, default=150.0, help="seconds to wait at most")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="machtigen-busy-"))
    database = folder / "busy.db"
    env = {**os.environ, "MACHTIGEN_DATABASE_URL": f"sqlite:///{database}"}
    subprocess.run([str(ROOT / ".venv/bin/machtigen"), "migrate"], cwd=ROOT, env=env, check=True)
    hogs = []
    try:
        for _ in range(3):  # the load average follows the runnable processes over a minute
            missing = round(args.load - os.getloadavg()[0])
            for _ in range(max(0, min(missing, 24 - len(hogs)))):
                hog = multiprocessing.Process(target=spin, daemon=True)
                hog.start()
                hogs.append(hog)
            time.sleep(30)
        print(f"{len(hogs)} busy-loop processes; load average {os.getloadavg()[0]:.1f}")
        for timeout in (int(value) for value in args.timeouts.split(",")):
            trial(database, folder, timeout, args.limit)
    finally:
        for hog in hogs:
            hog.kill()


if __name__ == "__main__":
    main()
