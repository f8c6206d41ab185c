"""Browser tests: the real app under uvicorn, Debian's Chromium driven by Playwright.

One server per test module, on a free port, against a freshly migrated database (SQLite, or
PostgreSQL when ``MACHTIGEN_TEST_DATABASE_URL`` says so) loaded with the demo stories and the
development broker on. Every page a test visits is checked with axe-core (from npm, injected
by the browser, so the pages' strict CSP stays as it is): zero violations of any impact, and
no colour contrast left for review.
Screenshots go to ``var/screenshots`` (git-ignored) for a reviewer to look at.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from machtigen.authz.engine import get_authorizer
from machtigen.clock import SystemClock
from machtigen.db import make_engine, session_factory, transaction
from machtigen.demo import load_demo_data
from machtigen.migrate import upgrade
from tests.conftest import fresh_database

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"


@dataclass
class Server:
    url: str
    engine: Engine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped at start:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the server did not answer within 30 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("browser")
    with fresh_database(os.environ.get("MACHTIGEN_TEST_DATABASE_URL"), folder) as url:
        engine = make_engine(url)
        upgrade(engine)
        with transaction(session_factory(engine)) as session:
            load_demo_data(session, get_authorizer(), SystemClock().now())
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "MACHTIGEN_DATABASE_URL": url,
            "MACHTIGEN_DEV_BROKER": "true",
            "MACHTIGEN_COOKIE_SECURE": "false",
            "MACHTIGEN_PUBLIC_URL": base,
            "MACHTIGEN_DEV_BROKER_KEY_FILE": str(folder / "dev-broker-key.pem"),
            "MACHTIGEN_LETTERS_DIR": str(folder / "letters"),
        }
        log = folder / "server.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "api.main:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-access-log",
                ],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_until_up(base, process, log)
            yield Server(base, engine)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            engine.dispose()


@pytest.fixture(scope="module")
def browser():
    """Per module, not per session: Playwright's sync API keeps an event loop running while it
    is open, and the asyncio tests that follow (tests/notifications) need none running."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make install does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@dataclass
class Visit:
    """A browser tab for one story: every page it lands on is checked with axe-core."""

    page: object
    base: str
    story: str
    checked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_assets: list[str] = field(default_factory=list)

    def goto(self, path: str):
        self.page.goto(self.base + path)
        return self.check()

    def click(self, locator):
        """Click something that loads a new page, and check that page."""
        with self.page.expect_navigation():
            locator.click()
        return self.check()

    def check(self):
        """Zero axe-core violations of any impact on the page as it is now, and no contrast
        that axe could not decide ("needs review": text over an image or a gradient)."""
        self.page.wait_for_load_state("load")
        found = self.page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ['violations', 'incomplete']});
                const brief = v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
                });
                return {
                    violations: result.violations.map(brief),
                    contrast: result.incomplete.filter(v => v.id === 'color-contrast').map(brief),
                };
            }"""
        )
        assert not found["violations"], f"accessibility on {self.page.url}: {found['violations']}"
        assert not found["contrast"], f"contrast to review on {self.page.url}: {found['contrast']}"
        self.checked.append(self.page.url)
        return self.page

    def shot(self, name: str) -> Path:
        database = (
            "postgresql"
            if "postgresql" in os.environ.get("MACHTIGEN_TEST_DATABASE_URL", "")
            else "sqlite"
        )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.story}-{name}-{database}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def open_tab(browser, server: Server, story: str, **options) -> Visit:
    """A fresh browser context (own cookies) with axe-core injected before any page script."""
    context = browser.new_context(
        locale="nl-NL", viewport={"width": 1200, "height": 900}, **options
    )
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    tab = Visit(page, server.url, story)
    page.on("console", lambda m: tab.console_errors.append(m.text) if m.type == "error" else None)
    page.on(
        "response",
        lambda r: (
            tab.failed_assets.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    return tab


def close_tab(tab: Visit) -> None:
    """Close the tab; no asset may have failed and the console must be free of errors."""
    tab.page.context.close()
    assert not tab.failed_assets, f"assets that did not load: {tab.failed_assets}"
    # A refused page (a 404 the story expects) logs "Failed to load resource"; assets are
    # checked above by URL, so what is left here is CSP violations and script errors.
    unexpected = [e for e in tab.console_errors if not e.startswith("Failed to load resource")]
    assert not unexpected, f"browser console errors (CSP?): {unexpected}"


@pytest.fixture
def visit(browser, server: Server, request: pytest.FixtureRequest) -> Iterator[Visit]:
    tab = open_tab(browser, server, request.node.name.removeprefix("test_")[:40])
    yield tab
    close_tab(tab)
