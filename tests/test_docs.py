"""The documentation site stays true to the code: real names, every page in the navigation, examples that run.

The site itself is built by ``make docs`` / ``make test`` (``mkdocs build --strict``); these checks catch what
a successful build does not: a page missing from the navigation, a name the code no longer has, an example
that no longer runs.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import yaml

import segkit

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "hooks" not in p.parts)
NAME = re.compile(r"(?<![/\w])segkit(?:\.[A-Za-z_]\w*)+")  # not file names such as logs/segkit.log


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    obj: object = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=1):
        if not hasattr(obj, part):
            obj = importlib.import_module(".".join(parts[: i + 1]))  # a submodule not imported yet
        else:
            obj = getattr(obj, part)
    return obj


def _nav_pages(nav: list) -> set[str]:
    pages: set[str] = set()
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            pages |= _nav_pages(value)
        elif isinstance(value, str):
            pages.add(value)
    return pages


def _mkdocs() -> dict:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor(
        "tag:yaml.org,2002:python/", lambda *_: None
    )  # mkdocs' !!python tags, if any
    return yaml.load((REPO / "mkdocs.yml").read_text(), Loader=Loader)


def test_every_page_is_in_the_navigation() -> None:
    nav = _nav_pages(_mkdocs()["nav"])
    assert {p.relative_to(DOCS).as_posix() for p in PAGES} == nav - {"NOTEBOOKS"}
    assert "NOTEBOOKS" in nav  # filled with every notebooks/*.ipynb by docs/hooks/notebooks.py


def test_every_segkit_name_in_the_docs_exists() -> None:
    missing = []
    for page in PAGES:
        for dotted in sorted(set(NAME.findall(page.read_text(encoding="utf-8")))):
            if dotted.endswith(".yaml"):  # the config file segkit.yaml, not a name
                continue
            try:
                _resolve(dotted)
            except (ImportError, AttributeError):
                missing.append(f"{page.relative_to(DOCS)}: {dotted}")
    assert missing == []


def test_every_analysis_page_names_its_source_and_has_an_example() -> None:
    for page in sorted((DOCS / "analyses").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        assert re.search(r"\*\*\[S[012](, S[012])*\]\*\*", text), page.name  # the methodology's source
        assert "## The rule and its source" in text and "```python" in text, page.name


@pytest.mark.slow
@pytest.mark.parametrize("page", sorted((DOCS / "analyses").glob("*.md")), ids=lambda p: p.stem)
def test_analysis_examples_run(page: Path) -> None:
    code = "\n".join(re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S))
    exec(compile(code, str(page), "exec"), {"segkit": segkit})
