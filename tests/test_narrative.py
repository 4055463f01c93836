"""The notebooks' narrative exists in English and Russian, as adjacent twin cells that cannot drift apart."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from segkit.report import check_narrative, select_language

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def _md(source: str, *tags: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["tags"] = list(tags)
    return cell


def _nb(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


EN = """# 02 · RFM segments

Customers are scored by **recency**, frequency and money; see [the method](../docs/rfm.md).

- R: days since the last purchase (`recency_days`);
- F: number of orders;
- M: money spent.
"""
RU = """# 02 · RFM-сегменты

Клиентов оценивают по **давности**, частоте и сумме покупок; см. [методику](../docs/rfm.md).

- R: дней с последней покупки (`recency_days`);
- F: число заказов;
- M: сумма покупок.
"""


def _good() -> nbformat.NotebookNode:
    return _nb(_md(EN, "lang-en"), _md(RU, "lang-ru"), nbformat.v4.new_code_cell("print(1)"))


def test_a_converted_notebook_passes():
    assert check_narrative(_good()) == []


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ((_md(EN),), "must carry exactly one tag"),
        ((_md(EN, "lang-en", "lang-ru"),), "must carry exactly one tag"),
        ((_md(RU, "lang-ru"), _md(EN, "lang-en")), "must follow its lang-en twin"),
        ((_md(EN, "lang-en"), nbformat.v4.new_code_cell("x = 1"), _md(RU, "lang-ru")), "not immediately"),
        ((_md(EN, "lang-en"), _md(RU.replace("# 02", "## 02"), "lang-ru")), "heading levels differ"),
        ((_md(EN, "lang-en"), _md(RU.replace("- M: сумма покупок.\n", ""), "lang-ru")), "list items differ"),
        (
            (_md(EN, "lang-en"), _md(RU.replace("../docs/rfm.md", "../docs/abc.md"), "lang-ru")),
            "links differ",
        ),
        (
            (_md(EN, "lang-en"), _md(RU.replace("`recency_days`", "`recency`"), "lang-ru")),
            "inline code differ",
        ),
        ((_md(EN, "lang-en"), _md(EN.replace("RFM segments", "RFM-сегменты"), "lang-ru")), "is not Russian"),
        ((_md(RU, "lang-en"), _md(RU, "lang-ru")), "lang-en cell has Cyrillic text"),
    ],
    ids=[
        "untagged",
        "two tags",
        "russian first",
        "not adjacent",
        "heading level",
        "list items",
        "links",
        "inline code",
        "russian twin in english",
        "english cell in russian",
    ],
)
def test_each_break_of_the_rule_is_found(cells, expected):
    problems = check_narrative(_nb(*cells))
    assert any(expected in p for p in problems), problems


def test_select_language_keeps_one_narrative_and_all_code():
    for lang, kept in (("en", EN), ("ru", RU)):
        nb = select_language(_good(), lang)
        assert [c.cell_type for c in nb.cells] == ["markdown", "code"]
        assert nb.cells[0].source == kept
    assert len(_good().cells) == 3  # the input is not changed


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_report_notebook_has_twin_narrative(path: Path):
    problems = check_narrative(nbformat.read(path, as_version=4))
    assert problems == [], "\n".join(problems)
