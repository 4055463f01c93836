"""Every option a report page suggests in a hint is one ``segkit report`` accepts."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

import nbformat
import pytest

from segkit.cli import _build_parser, _runner_settings
from segkit.crm import CRM_TABLES
from segkit.report._params import check_parameters, declared_parameters

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted((REPO / "notebooks").glob("0*.ipynb"))


def _text(node: ast.AST) -> str | None:
    """A string literal's text; an f-string's placeholders read as ``1`` (the hints put numbers there)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "1" for v in node.values)
    return None


def _hint_options(path: Path) -> list[str]:
    """The command-line options a page's code quotes (string literals that start with ``--``)."""
    options = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        # An f-string's literal parts are read with the f-string, not on their own.
        parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            text = None if id(node) in parts else _text(node)
            if text is not None and text.startswith("--"):
                # One hint may list alternatives: "--crm leads=FILE, --data FILE".
                options.extend(part.strip() for part in re.split(r",\s*(?=--)", text))
    return options


def _all_options() -> list[tuple[str, str]]:
    return [(path.stem, option) for path in PAGES for option in _hint_options(path)]


def test_the_pages_quote_options():
    quoted = {option for _, option in _all_options()}
    assert "--window-months 0" in quoted and "--crm invoices=FILE" in quoted


@pytest.mark.parametrize(("page", "option"), _all_options())
def test_every_hinted_option_is_accepted_by_the_runner(page, option, tmp_path):
    parser = _build_parser()
    try:
        args = parser.parse_args(["report", *shlex.split(option)])
    except SystemExit:
        pytest.fail(f"{page}: segkit report refuses {option!r}")
    settings = _runner_settings(args, {})
    declared = {p.stem: declared_parameters(p) for p in PAGES}
    check_parameters(settings["parameters"], declared)
    assert set(settings["crm"]) <= set(CRM_TABLES), f"{page}: {option!r} names an unknown CRM table"
