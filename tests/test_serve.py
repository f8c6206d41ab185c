"""``machtigen serve`` hands uvicorn the settings that keep workers alive on a busy machine
and refusals cheap under a flood (benchmarks/busy_start.py and overload.py run it for real)."""

import uvicorn
from click.testing import CliRunner

from machtigen.cli import main
from machtigen.config import get_settings


def test_serve_passes_the_health_check_timeout_and_the_fast_protocol(monkeypatch):
    asked: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: asked.update(options, app=app))
    monkeypatch.setenv("MACHTIGEN_WORKER_HEALTHCHECK_TIMEOUT_SECONDS", "45")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["serve", "--workers", "2", "--port", "18999"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert asked["app"] == "api.main:create_app" and asked["factory"] is True
    assert asked["workers"] == 2 and asked["port"] == 18999
    assert asked["timeout_worker_healthcheck"] == 45
    assert asked["http"] == "api.server:NoDelayHttpToolsProtocol"
    assert asked["loop"] == "uvloop"
    assert asked["access_log"] is False


def test_the_default_health_check_timeout_outlasts_a_slow_start():
    assert get_settings().worker_healthcheck_timeout_seconds >= 30
