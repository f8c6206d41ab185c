"""Static files: the portal's own stylesheet, and NL Design System CSS straight from npm.

The national look: the Rijkshuisstijl theme of NL Design System (its components and design
tokens) with the theme's font, Fira Sans.

``npm ci`` (run by ``make install``) puts the packages in ``node_modules``; they are served
from there, never copied by hand. Only the folders the pages link to are mounted.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
MOUNTS = {
    "/assets/nlds/components": NODE_MODULES
    / "@rijkshuisstijl-community"
    / "components-css"
    / "dist",
    "/assets/nlds/tokens": NODE_MODULES / "@rijkshuisstijl-community" / "design-tokens" / "dist",
    "/assets/fonts/fira-sans": NODE_MODULES / "@fontsource" / "fira-sans",
    "/assets/portal": Path(__file__).resolve().parent / "static",
}


def install_assets(app: FastAPI) -> None:
    for prefix, folder in MOUNTS.items():
        name = prefix.strip("/").replace("/", "-")
        app.mount(prefix, StaticFiles(directory=folder, check_dir=False), name=name)


def missing_assets() -> list[Path]:
    """Folders that are not there (``npm ci`` not run): the pages would be unstyled."""
    return [folder for folder in MOUNTS.values() if not folder.is_dir()]
