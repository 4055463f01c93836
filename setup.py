"""Build hook: put the repository's report notebooks and sample data into the wheel as package data.

``notebooks/`` and ``data/`` at the top of the repository stay the single source (the notebooks are edited and
re-executed there); at build time they are copied into ``segkit/_bundled/`` so an installed segkit finds them
through :mod:`importlib.resources`. Everything else about the package is in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: (source glob relative to the repository, destination folder under segkit/_bundled/). Globs, not names, so
#: new notebooks and sample files are picked up without touching this file. Only top-level notebooks are
#: report notebooks; data/ is taken with its subfolders (e.g. data/crm/).
BUNDLED = (
    ("notebooks/*.ipynb", "notebooks"),
    ("data/**/*.csv", "data"),
)


def bundled_files(root: Path = ROOT) -> list[tuple[Path, Path]]:
    """``(source, relative destination)`` pairs for everything the wheel bundles."""
    pairs = []
    for pattern, folder in BUNDLED:
        base = root / pattern.split("/", 1)[0]
        for source in sorted(root.glob(pattern)):
            if source.is_file() and ".ipynb_checkpoints" not in source.parts:
                pairs.append((source, Path(folder) / source.relative_to(base)))
    return pairs


class BuildPyWithBundled(build_py):
    """``build_py`` that also copies the notebooks and sample data into ``segkit/_bundled``."""

    def run(self) -> None:
        super().run()
        # An editable install reads the repository folders directly (segkit._resources falls back to them).
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "segkit" / "_bundled"
        shutil.rmtree(target, ignore_errors=True)
        for source, relative in bundled_files():
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)


setup(cmdclass={"build_py": BuildPyWithBundled})
