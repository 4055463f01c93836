"""What a finished notebook leaves in the report: no machine paths, a plain failure message, index.html.

The executed ``.ipynb`` keeps the full traceback for whoever debugs the run; the code-free HTML copy, the one
that is mailed around, shows what failed, why and what to do in plain words.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..i18n import check_lang, format_number, label, localize_text, t
from ._format import (
    downloads_html,
    findings_html,
    format_table,
    key_figures_html,
    page_title,
    pages_html,
    parameters_html,
    report_title,
)
from ._narrative import select_language

if TYPE_CHECKING:  # nbformat pulls in jsonschema (seconds); the report kernels never need it
    import nbformat

__all__ = ["failure_of", "finish_notebook", "skipped_in", "write_html", "write_index", "write_run_json"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"


def scrub_paths(text: str, replacements: Iterable[tuple[str, str]]) -> str:
    """Replace absolute folders in ``text`` by relative names, longest first.

    Examples
    --------
    >>> scrub_paths("/home/ann/shop/reports/x.csv", [("/home/ann/shop/reports", "."), ("/home/ann", "~")])
    './x.csv'
    """
    for absolute, relative in sorted(replacements, key=lambda pair: -len(pair[0])):
        if absolute and absolute not in ("/", "."):
            text = text.replace(absolute, relative)
    return text


def merge_streams(outputs: list) -> list:
    """Join back-to-back outputs of the same stream into one.

    A kernel sends printed text in as many messages as its buffer flushes, which depends on timing; joined,
    the same run always saves the same outputs.

    Examples
    --------
    >>> out = [{"output_type": "stream", "name": "stdout", "text": "a\\n"},
    ...        {"output_type": "stream", "name": "stdout", "text": "b\\n"}]
    >>> merge_streams(out)
    [{'output_type': 'stream', 'name': 'stdout', 'text': 'a\\nb\\n'}]
    """
    merged: list = []
    for output in outputs:
        last = merged[-1] if merged else None
        if (
            last is not None
            and output.get("output_type") == "stream"
            and last.get("output_type") == "stream"
            and last.get("name") == output.get("name")
        ):
            last["text"] = "".join(last["text"]) + "".join(output["text"])
        else:
            merged.append(output)
    return merged


def finish_notebook(path: Path, replacements: Iterable[tuple[str, str]]) -> nbformat.NotebookNode:
    """Remove machine paths from an executed notebook (papermill metadata, outputs); save and return it."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if meta.get(key):
            meta[key] = Path(meta[key]).name
    meta.pop("environment_variables", None)
    for cell in nb.cells:
        if cell.get("outputs"):
            cell.outputs = merge_streams(cell.outputs)
    text = scrub_paths(json.dumps(nb), replacements)
    nb = nbformat.from_dict(json.loads(text))
    nbformat.write(nb, path)
    return nb


def _error_output(nb: nbformat.NotebookNode) -> tuple[int, dict] | None:
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return index, output
    return None


def _section_before(nb: nbformat.NotebookNode, index: int) -> str | None:
    for cell in reversed(nb.cells[:index]):
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return None


def failure_of(nb: nbformat.NotebookNode) -> dict[str, str] | None:
    """The failure of an executed notebook: section, error type, message and plain traceback (or None)."""
    found = _error_output(nb)
    if found is None:
        return None
    index, output = found
    return {
        "section": _section_before(nb, index) or BEFORE_FIRST_SECTION,
        "error": f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip(),
        "traceback": _ANSI.sub("", "\n".join(output.get("traceback", []))),
    }


def skipped_in(nb: nbformat.NotebookNode) -> list[dict[str, str]]:
    """The sections the notebook skipped (marked by :class:`segkit.report.section` in its outputs)."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            info = output.get("metadata", {}).get("segkit", {}).get("skipped_section")
            if info:
                found.append(dict(info))
    return found


BEFORE_FIRST_SECTION = "(before the first section)"


def failure_message(name: str, failure: dict[str, str], *, segkit_error: bool, lang: str = "en") -> str:
    """The plain HTML message that replaces the traceback in the code-free copy, in the page's language."""
    lang = check_lang(lang)
    todo = (
        t("failure.todo_known", lang) if segkit_error else t("failure.todo_bug", lang, file=f"{name}.ipynb")
    )
    where = failure["section"]
    if where == BEFORE_FIRST_SECTION:
        where = t("failure.before_first_section", lang)
    return (
        '<div class="segkit-failure" style="border:2px solid #b00;padding:.6em 1em;margin:1em 0">'
        f"<p><b>{html.escape(t('failure.stopped', lang, section=where))}</b></p>"
        f"<p><b>{html.escape(t('failure.why', lang))}</b> {html.escape(failure['error'])}</p>"
        f"<p><b>{html.escape(t('failure.what_to_do', lang))}</b> {html.escape(todo)}</p></div>"
    )


def skipped_note(info: dict[str, str], *, lang: str = "en") -> str:
    """The HTML note that stands for a skipped section in the code-free copy, in the page's language."""
    lang = check_lang(lang)
    reason = label("warning", info.get("reason", ""), lang)
    if info.get("shown") and info.get("lang") == lang:
        reason = info["shown"]  # the section already said it in this language
    elif lang != "en" and reason == info.get("reason", ""):
        # An analysis message without a catalogue twin stays off a page in another language.
        reason = t("section.reason_elsewhere", lang, file="run.json")
    reason = localize_text(reason, lang)
    lines = [f"<p><b>{html.escape(t('section.skipped', lang, title=info.get('section', '')))}</b> "]
    lines[0] += f"{html.escape(reason)}</p>"
    if info.get("hint"):
        lines.append(f"<p>{html.escape(t('warning.what_to_change', lang, hint=info['hint']))}</p>")
    return (
        '<div class="segkit-notice" style="border-left:4px solid #c80;background:#fff8e6;'
        'padding:.4em .9em;margin:.6em 0">' + "".join(lines) + "</div>"
    )


def write_html(
    nb: nbformat.NotebookNode,
    destination: Path,
    failure: dict[str, str] | None,
    segkit_error: bool,
    *,
    lang: str = "en",
) -> None:
    """Write the code-free HTML copy in ``lang``: that language's narrative, the page's title, ``<html lang>``.

    A failure is shown as a plain message, never as a traceback; a skipped section as a note.
    """
    import nbformat

    lang = check_lang(lang)
    shown = select_language(nb, lang)
    shown.metadata["title"] = page_title(destination.stem, lang)
    if failure is not None:
        shown.cells = [c for c in shown.cells if _PAPERMILL_ERROR_TAG not in c.metadata.get("tags", [])]
    message = (
        failure_message(destination.stem, failure, segkit_error=segkit_error, lang=lang) if failure else ""
    )
    for cell in shown.cells:
        cell_outputs = cell.get("outputs", [])
        for i, output in enumerate(cell_outputs):
            if output.get("output_type") == "error" and failure is not None:
                cell_outputs[i] = nbformat.v4.new_output(
                    "display_data", data={"text/html": message, "text/plain": failure["error"]}
                )
            info = output.get("metadata", {}).get("segkit", {}).get("skipped_section")
            if info:
                cell_outputs[i] = nbformat.v4.new_output(
                    "display_data",
                    data={"text/html": skipped_note(info, lang=lang), "text/plain": info.get("reason", "")},
                )
    body, _ = _html_exporter(lang).from_notebook_node(shown)
    destination.write_text(body, encoding="utf-8")


_EXPORTERS = threading.local()


def _html_exporter(lang: str) -> Any:
    """One code-free HTML exporter per language and thread, reused for every page of a run.

    Building an exporter loads and compiles its templates, a large part of each page's export; the pages
    it renders are the same. One per thread: the runner exports pages from its worker threads.
    """
    from nbconvert import HTMLExporter

    cache = _EXPORTERS.__dict__.setdefault("by_lang", {})
    if lang not in cache:
        cache[lang] = HTMLExporter(
            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, language_code=lang
        )
    return cache[lang]


_INDEX_CSS = """body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:62em;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3em .7em;text-align:left;
vertical-align:top}th{border-bottom:2px solid #888}a{color:#0b5cad}.bad{color:#b00}.muted{color:#666}
li{margin:.25em 0}"""


def _page_entries(result: Any, html_copies: bool) -> list[tuple[str, str, str | None, list[str]]]:
    return [
        (
            run.name,
            f"{run.name}.html" if html_copies else f"{run.name}.ipynb",
            None if run.ok else (run.error or ""),
            [s["section"] for s in run.skipped],
        )
        for run in result.runs
    ]


def write_index(
    folder: Path,
    result: Any,
    shown: dict[str, Any],
    html_copies: bool,
    quality: pd.DataFrame,
    *,
    summary: Any = None,
    lang: str = "en",
    currency: str | None = None,
    workbook: str | None = None,
) -> None:
    """Write ``index.html``: the one-page summary of a report in ``lang``.

    The base in key figures, the findings (each linked to its page), the pages with a one-line description
    and their status, the customer lists as downloads, the parameters and the data-quality table.
    """
    from .. import __version__
    from ._summary import summary_findings

    lang = check_lang(lang)
    title = report_title(result.as_of, lang)
    pages = _page_entries(result, html_copies)
    links = {name: href for name, href, error, _ in pages if error is None}
    if result.ok:
        headline = t("index.all_ok", lang, count=format_number(len(result.runs), 0, lang))
    else:
        failed = ", ".join(page_title(name, lang) for name in result.failed)
        headline = t("index.some_failed", lang, pages=failed)
    parts = [f'<p class="{"" if result.ok else "bad"}">{html.escape(headline)}</p>']
    if summary is not None:
        parts.append(
            key_figures_html(summary.figures, lang=lang, currency=currency, unavailable=summary.unavailable)
        )
        findings = summary_findings(summary, lang=lang, currency=currency, pages=links)
        parts.append(
            findings_html(findings, lang=lang)
            if findings
            else _plain("index.findings", "index.no_findings", lang)
        )
    parts.append(pages_html(pages, lang=lang))
    lists = sorted(p.stem for p in folder.glob("*.csv"))
    if lists:
        parts.append(downloads_html(lists, workbook=workbook, lang=lang))
    else:
        parts.append(_plain("index.downloads", "index.no_lists", lang))
    readable = {**shown, "as_of": pd.Timestamp(shown["as_of"])} if shown.get("as_of") else dict(shown)
    parts.append(parameters_html(readable, lang=lang))
    table, note = format_table(quality, lang=lang, currency=currency, max_rows=None)
    quality_html = table.to_html(index=False, border=0, classes="segkit-table", escape=True)
    if note:
        quality_html += f'<p class="muted">{html.escape(note)}</p>'
    parts.append(
        f'<section class="segkit-section"><h2>{html.escape(t("index.data_quality", lang))}</h2>'
        f"{quality_html}</section>"
    )
    parts.append(
        f'<p class="muted">{html.escape(t("index.generated", lang, name="segkit", version=__version__))}</p>'
    )
    page = (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_INDEX_CSS}</style></head><body>\n"
        f"<h1>{html.escape(title)}</h1>\n" + "\n".join(parts) + "\n</body></html>\n"
    )
    (folder / "index.html").write_text(page, encoding="utf-8")


def _plain(heading_key: str, text_key: str, lang: str) -> str:
    return (
        f'<section class="segkit-section"><h2>{html.escape(t(heading_key, lang))}</h2>'
        f"<p>{html.escape(t(text_key, lang))}</p></section>"
    )


def run_record(result: Any, shown: dict[str, Any]) -> dict[str, Any]:
    """The content of ``run.json``: parameters, data quality and the outcome of each notebook."""
    return {
        "as_of": result.as_of.date().isoformat(),
        "ok": result.ok,
        "parameters": shown,
        "notebooks": [
            {
                "name": run.name,
                "ok": run.ok,
                "seconds": round(run.seconds, 1),
                "error": run.error,
                "section": run.section,
                "skipped_sections": list(run.skipped),
            }
            for run in result.runs
        ],
        "quality": result.quality,
    }


def write_run_json(folder: Path, record: dict[str, Any]) -> None:
    """Write ``run.json`` (extend :func:`run_record` to add to it)."""
    (folder / "run.json").write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
