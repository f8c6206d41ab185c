"""The wheel: built by ``python -m build``, installed into a clean venv, it migrates and
serves with its styles, with no npm and no source tree; without its styles it will not start."""

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import httpx
import pytest

from api.assets import MissingAssets, missing_assets, require_assets
from tests.ops.processes import ROOT, free_port, tail, terminate, wait_until_up


def test_the_app_refuses_to_start_without_its_styles(tmp_path):
    assert missing_assets() == []
    with pytest.raises(MissingAssets, match="components-css"):
        require_assets(tmp_path)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(folder / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    [wheel] = (folder / "dist").glob("machtigen-*.whl")
    venv.create(folder / "venv", with_pip=True)
    pip = subprocess.run(
        [str(folder / "venv" / "bin" / "pip"), "install", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    return folder


def production_env(site):
    """As an operator runs it: production, keys made once with ``machtigen keys generate``."""
    return {
        "PATH": "/usr/bin:/bin",
        "MACHTIGEN_DATABASE_URL": f"sqlite:///{site / 'm.db'}",
        "MACHTIGEN_ENVIRONMENT": "production",
    }


def test_a_clean_venv_migrates_and_serves_the_styled_portal_from_the_wheel(installed):
    site = installed / "run"
    site.mkdir()
    command = str(installed / "venv" / "bin" / "machtigen")
    env = production_env(site)
    for step in (["keys", "generate"], ["migrate"]):
        done = subprocess.run(
            [command, *step], cwd=site, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
    port, log = free_port(), site / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [command, "serve", "--port", str(port)],
            cwd=site,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/health", server, log)
        login = httpx.get(f"{base}/auth/login")
        assert login.status_code == 200 and "/assets/nlds/components/index.css" in login.text
        for path in (
            "/assets/nlds/components/index.css",
            "/assets/nlds/tokens/index.css",
            "/assets/fonts/fira-sans/400.css",
            "/assets/portal/portal.css",
        ):
            asset = httpx.get(f"{base}{path}")
            assert asset.status_code == 200 and len(asset.content) > 1000, path
        assert "node_modules" not in str(installed / "venv")
    finally:
        terminate(server)
    assert not (site / "node_modules").exists()


def test_the_installed_app_will_not_serve_unstyled(installed):
    [assets] = (installed / "venv").glob("lib/python*/site-packages/api/_assets")
    shutil.rmtree(assets)
    site = installed / "unstyled"
    site.mkdir()
    command = str(installed / "venv" / "bin" / "machtigen")
    env = production_env(site)
    subprocess.run([command, "keys", "generate"], cwd=site, env=env, check=True)
    done = subprocess.run(
        [command, "serve", "--port", str(free_port())],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "styles are missing" in done.stderr + done.stdout, tail(site / "x")
