"""mkdocs hook: every report notebook (``notebooks/*.ipynb``) becomes a page, rendered from its committed outputs.

The notebooks stay where they are (the report runner and nbval use them there); this hook adds them to the
site's files and to the "Notebooks" section of the navigation, so a new notebook needs no docs change.
"""

from __future__ import annotations

import json
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = "NOTEBOOKS"


def _notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def _title(path: Path) -> str:
    """The notebook's first Markdown heading, or its file name."""
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", [])).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return path.stem


def on_config(config):
    nav = config["nav"]
    for item in nav:
        if isinstance(item, dict) and item.get("Notebooks") == PLACEHOLDER:
            item["Notebooks"] = [{_title(p): f"notebooks/{p.name}"} for p in _notebooks()]
    return config


@event_priority(100)  # before mkdocs-jupyter turns .ipynb files into pages
def on_files(files: Files, config) -> Files:
    for path in _notebooks():
        # A plain File rooted at the repository: notebooks/NAME.ipynb relative to it, as if it were in docs/.
        files.append(
            File(
                f"notebooks/{path.name}",
                src_dir=str(ROOT),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    return files
