"""Static files: the portal's own stylesheet, and NL Design System CSS from npm.

The national look: the Rijkshuisstijl theme of NL Design System (its components and design
tokens) with the theme's font, Fira Sans.

In a source tree ``npm ci`` (``make install``) puts the packages in ``node_modules`` and
they are served from there; a wheel carries copies of exactly the files
``api/asset_manifest.py`` names, in ``api/_assets`` (copied by ``setup.py`` at build time).
The app refuses to start when any of them is missing: never an unstyled portal.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.asset_manifest import NPM_ASSETS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUNDLED = HERE / "_assets"
NODE_MODULES = ROOT / "node_modules"
PORTAL_STATIC = HERE / "static"


class MissingAssets(RuntimeError):
    """The portal's styles are not there: run ``npm ci`` (``make install``) or install the
    wheel, which carries them."""


def asset_root() -> Path:
    """Where the npm packages are: the wheel's copies, else the source tree's node_modules."""
    return BUNDLED if BUNDLED.is_dir() else NODE_MODULES


def mounts(root: Path | None = None) -> dict[str, Path]:
    base = root or asset_root()
    folders = {prefix: base / package / folder for prefix, package, folder, _ in NPM_ASSETS}
    return {**folders, "/assets/portal": PORTAL_STATIC}


def install_assets(app: FastAPI) -> None:
    for prefix, folder in mounts().items():
        name = prefix.strip("/").replace("/", "-")
        app.mount(prefix, StaticFiles(directory=folder, check_dir=False), name=name)


def missing_assets(root: Path | None = None) -> list[str]:
    """Every named file pattern that matches nothing (the pages would be unstyled)."""
    base = root or asset_root()
    missing: list[str] = []
    for _prefix, package, folder, patterns in NPM_ASSETS:
        directory = base / package / folder
        missing.extend(
            str(directory / pattern) for pattern in patterns if not any(directory.glob(pattern))
        )
    if not (PORTAL_STATIC / "portal.css").is_file():
        missing.append(str(PORTAL_STATIC / "portal.css"))
    return missing


def require_assets(root: Path | None = None) -> None:
    missing = missing_assets(root)
    if missing:
        raise MissingAssets(
            "the portal's styles are missing (run `npm ci`, or install the wheel that carries"
            " them): " + ", ".join(missing)
        )
