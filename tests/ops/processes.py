"""Real processes for the operations tests: ``machtigen`` commands on free ports."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import leaks_in

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(folder: Path, database_url: str, **extra: str) -> dict[str, str]:
    """One deployment: every process given this reads the same keys and directories."""
    keys = folder / "keys"
    return {
        **os.environ,
        "MACHTIGEN_DATABASE_URL": database_url,
        "MACHTIGEN_ACCESS_TOKEN_KEYS_FILE": str(keys / "access-token.json"),
        "MACHTIGEN_AUDIT_CHECKPOINT_KEYS_FILE": str(keys / "audit-checkpoint.json"),
        "MACHTIGEN_AUDIT_MAC_KEYS_FILE": str(keys / "audit-mac.json"),
        "MACHTIGEN_LOGIN_STATE_KEYS_FILE": str(keys / "login-state.json"),
        "MACHTIGEN_AUDIT_CHECKPOINT_DIR": str(folder / "checkpoints"),
        "MACHTIGEN_LETTERS_DIR": str(folder / "letters"),
        "MACHTIGEN_METRICS_DIR": str(folder / "metrics"),
        "MACHTIGEN_LOG_FORMAT": "json",
        **extra,
    }


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "machtigen.cli", *args],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "machtigen.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url} exited {process.returncode}:\n{tail(log)}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {seconds} s:\n{tail(log)}")


def terminate(process: subprocess.Popen[bytes], seconds: float = 20) -> float:
    """SIGTERM, then wait; returns how long the process took to exit."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=seconds)
    return time.monotonic() - started


@contextmanager
def serving(
    args: list[str], env: dict[str, str], log: Path, port: int
) -> Iterator[subprocess.Popen[bytes]]:
    process = start(["serve", "--port", str(port), *args], env, log)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", process, log)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def tail(log: Path, size: int = 4000) -> str:
    return log.read_text(errors="replace")[-size:] if log.exists() else ""


def assert_no_bsn_logged(log: Path) -> None:
    """The process's output is held to the same rule as the test run's own log lines."""
    leaks = [
        leak for line in log.read_text(errors="replace").splitlines() for leak in leaks_in(line)
    ]
    assert not leaks, "a BSN reached a log line:\n" + "\n".join(leaks[:10])
