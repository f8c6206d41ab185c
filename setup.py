"""Build steps pyproject.toml cannot express: what a wheel carries besides Python modules.

A wheel must run with no source tree and no npm: ``build_py`` copies into it

- the npm files ``api/asset_manifest.py`` names (from ``node_modules``, or from the sdist's
  ``api/_assets``) into ``api/_assets``;
- ``policies/*.polar`` into ``machtigen/_bundled/policies``;
- ``migrations/`` (env.py, the template, the versions) into ``machtigen/_bundled/migrations``.

An sdist gets the npm files too (``api/_assets``), so a wheel built from it is the same.
Editable installs (``make install``) read all of these from the source tree.
"""

import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent


def npm_assets() -> list[tuple[str, str, tuple[str, ...]]]:
    manifest = runpy.run_path(str(HERE / "api" / "asset_manifest.py"))["NPM_ASSETS"]
    return [(package, folder, patterns) for _prefix, package, folder, patterns in manifest]


def copy_npm_assets(target: Path) -> None:
    source = HERE / "node_modules"
    if not source.is_dir():
        source = HERE / "api" / "_assets"
    for package, folder, patterns in npm_assets():
        for pattern in patterns:
            found = sorted((source / package / folder).glob(pattern))
            if not found:
                raise SystemExit(
                    f"{source / package / folder / pattern} is missing: run `npm ci` first"
                )
            for file in found:
                destination = (
                    target / package / folder / file.relative_to(source / package / folder)
                )
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(file, destination)


def copy_files(source: Path, target: Path, patterns: tuple[str, ...]) -> None:
    for pattern in patterns:
        for file in sorted(source.glob(pattern)):
            destination = target / file.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, destination)


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        built = Path(self.build_lib)
        copy_npm_assets(built / "api" / "_assets")
        bundled = built / "machtigen" / "_bundled"
        copy_files(HERE / "policies", bundled / "policies", ("*.polar",))
        copy_files(
            HERE / "migrations",
            bundled / "migrations",
            ("env.py", "script.py.mako", "versions/*.py"),
        )


class Sdist(sdist):
    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        copy_npm_assets(Path(base_dir) / "api" / "_assets")


setup(cmdclass={"build_py": BuildPy, "sdist": Sdist})
