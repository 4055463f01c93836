"""The notebooks' narrative in two languages: markdown cells tagged ``lang-en`` / ``lang-ru``.

Every markdown cell of a report notebook exists twice, the English cell immediately followed by its Russian
twin. The runner keeps the chosen language's cells (:func:`select_language`); JupyterLab shows both.
:func:`check_narrative` holds the twins to the same structure (headings, list items, links, inline code) so
the two languages cannot drift apart.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..i18n import LANGUAGES, check_lang

__all__ = ["LANG_TAGS", "check_narrative", "narrative_language", "select_language"]

#: The cell tag of each language's narrative.
LANG_TAGS = {lang: f"lang-{lang}" for lang in LANGUAGES}

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})\s+\S", re.MULTILINE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S", re.MULTILINE)
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)[^)]*\)")
_CODE = re.compile(r"`([^`\n]+)`")
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LATIN = re.compile(r"[A-Za-z]")
#: A Russian cell may quote codes, names and file names; its words are mostly Cyrillic all the same.
_MIN_CYRILLIC_SHARE = 0.6


def narrative_language(cell: Any) -> str | None:
    """The language a cell is tagged with (``"en"``, ``"ru"``), or ``None`` for an untagged cell."""
    tags = set(cell.get("metadata", {}).get("tags", []))
    found = [lang for lang, tag in LANG_TAGS.items() if tag in tags]
    return found[0] if len(found) == 1 else None


def select_language(nb: Any, lang: str) -> Any:
    """A copy of the notebook without the other languages' narrative cells.

    Cells tagged ``lang-<other>`` are dropped; untagged cells (code, outputs) stay.

    Examples
    --------
    >>> import nbformat
    >>> from segkit.report import select_language
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_markdown_cell("# Churn"), nbformat.v4.new_markdown_cell("# Отток")]
    >>> nb.cells[0].metadata["tags"], nb.cells[1].metadata["tags"] = ["lang-en"], ["lang-ru"]
    >>> [c.source for c in select_language(nb, "ru").cells]
    ['# Отток']
    """
    lang = check_lang(lang)
    drop = {tag for other, tag in LANG_TAGS.items() if other != lang}
    out = copy.deepcopy(nb)
    out.cells = [c for c in out.cells if not drop & set(c.get("metadata", {}).get("tags", []))]
    return out


def _structure(source: str) -> dict[str, list[str]]:
    text = _FENCE.sub("", source)
    return {
        "heading levels": [m.group(1) for m in _HEADING.finditer(text)],
        "list items": ["item"] * len(_LIST_ITEM.findall(text)),
        "links": _LINK.findall(text),
        "inline code": sorted(_CODE.findall(text)),
    }


def _prose(source: str) -> str:
    text = _FENCE.sub("", source)
    text = _CODE.sub(" ", text)
    return _LINK.sub(lambda m: m.group(0).split("](")[0], text)


def _is_russian(source: str) -> bool:
    text = _prose(source)
    cyrillic, latin = len(_CYRILLIC.findall(text)), len(_LATIN.findall(text))
    return cyrillic > 0 and cyrillic / (cyrillic + latin) >= _MIN_CYRILLIC_SHARE


def _first_line(source: str) -> str:
    line = source.strip().splitlines()[0] if source.strip() else ""
    return line[:60]


def check_narrative(nb: Any) -> list[str]:
    """What breaks the two-language narrative rule in a notebook (an empty list when nothing does).

    The rule: every markdown cell is tagged with exactly one of ``lang-en`` / ``lang-ru``; each English
    cell is immediately followed by its Russian twin; the twins have the same heading levels, the same
    number of list items, the same link targets and the same inline-code spans; the Russian cell is
    Russian (mostly Cyrillic letters outside code and links) and the English one has no Cyrillic prose.

    Examples
    --------
    >>> import nbformat
    >>> from segkit.report._narrative import check_narrative
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_markdown_cell("## Churn"), nbformat.v4.new_markdown_cell("Отток")]
    >>> nb.cells[0].metadata["tags"], nb.cells[1].metadata["tags"] = ["lang-en"], ["lang-ru"]
    >>> check_narrative(nb)
    ["cell 2 (Отток): heading levels differ from its English twin: [] vs ['##']"]
    """
    problems: list[str] = []
    cells = list(nb.cells)
    i = 0
    while i < len(cells):
        cell = cells[i]
        if cell.cell_type != "markdown":
            i += 1
            continue
        where = f"cell {i + 1} ({_first_line(cell.source)})"
        lang = narrative_language(cell)
        if lang is None:
            problems.append(
                f"{where}: a markdown cell must carry exactly one tag of {sorted(LANG_TAGS.values())}"
            )
            i += 1
            continue
        if lang != "en":
            problems.append(f"{where}: a {LANG_TAGS[lang]} cell must follow its lang-en twin")
            i += 1
            continue
        twin = cells[i + 1] if i + 1 < len(cells) else None
        if twin is None or twin.cell_type != "markdown" or narrative_language(twin) != "ru":
            problems.append(f"{where}: the English cell is not immediately followed by a lang-ru twin")
            i += 1
            continue
        problems += _compare_twins(cell.source, twin.source, f"cell {i + 2} ({_first_line(twin.source)})")
        if _CYRILLIC.search(_prose(cell.source)):
            problems.append(f"{where}: the lang-en cell has Cyrillic text")
        i += 2
    return problems


def _compare_twins(english: str, russian: str, where: str) -> list[str]:
    problems = []
    en, ru = _structure(english), _structure(russian)
    for part in en:
        if en[part] != ru[part]:
            shown_ru, shown_en = (
                (len(ru[part]), len(en[part])) if part == "list items" else (ru[part], en[part])
            )
            problems.append(f"{where}: {part} differ from its English twin: {shown_ru} vs {shown_en}")
    if not _is_russian(russian):
        problems.append(f"{where}: the lang-ru cell is not Russian")
    return problems
