"""What a finished notebook leaves in the report: no machine paths, a plain failure message, index.html.

The executed ``.ipynb`` keeps the full traceback for whoever debugs the run; the code-free HTML copy, the one
that is mailed around, shows what failed, why and what to do in plain words.
"""

from __future__ import annotations

import copy
import html
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

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


def finish_notebook(path: Path, replacements: Iterable[tuple[str, str]]) -> nbformat.NotebookNode:
    """Remove machine paths from an executed notebook (papermill metadata, outputs); save and return it."""
    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if meta.get(key):
            meta[key] = Path(meta[key]).name
    meta.pop("environment_variables", None)
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
        "section": _section_before(nb, index) or "(before the first section)",
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


def failure_message(name: str, failure: dict[str, str], *, segkit_error: bool) -> str:
    """The plain HTML message that replaces the traceback in the code-free copy."""
    if segkit_error:
        todo = "Follow the advice in the message above, then run the report again."
    else:
        todo = (
            f"This is not a known data problem. The full error is in {name}.ipynb in this folder and in "
            "the run log; send them to whoever maintains the report."
        )
    return (
        '<div style="border:2px solid #b00;padding:.6em 1em;margin:1em 0">'
        f"<p><b>This notebook stopped in the section “{html.escape(failure['section'])}”.</b> "
        "The sections after it were not computed.</p>"
        f"<p><b>Why:</b> {html.escape(failure['error'])}</p>"
        f"<p><b>What to do:</b> {html.escape(todo)}</p></div>"
    )


def write_html(
    nb: nbformat.NotebookNode, destination: Path, failure: dict[str, str] | None, segkit_error: bool
) -> None:
    """Write the code-free HTML copy; a failure is shown as a plain message, never as a traceback."""
    from nbconvert import HTMLExporter

    shown = copy.deepcopy(nb)
    if failure is not None:
        shown.cells = [c for c in shown.cells if _PAPERMILL_ERROR_TAG not in c.metadata.get("tags", [])]
        message = failure_message(destination.stem, failure, segkit_error=segkit_error)
        for cell in shown.cells:
            cell_outputs = cell.get("outputs", [])
            for i, output in enumerate(cell_outputs):
                if output.get("output_type") == "error":
                    cell_outputs[i] = nbformat.v4.new_output(
                        "display_data", data={"text/html": message, "text/plain": failure["error"]}
                    )
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(shown)
    destination.write_text(body, encoding="utf-8")


def _status_cell(run: Any) -> str:
    if not run.ok:
        where = f" in section “{html.escape(run.section)}”" if run.section else ""
        return f'<b class="bad">failed</b>{where}: {html.escape(run.error or "")}'
    if not run.skipped:
        return "ok"
    items = "".join(
        f"<li>{html.escape(s['section'])}: {html.escape(s['reason'])}"
        + (f" <i>What to change:</i> {html.escape(s['hint'])}" if s.get("hint") else "")
        + "</li>"
        for s in run.skipped
    )
    return f"ok; {len(run.skipped)} section(s) skipped:<ul>{items}</ul>"


def write_index(
    folder: Path, result: Any, shown: dict[str, Any], html_copies: bool, quality_html: str
) -> None:
    """Write ``index.html``: the notebooks with their status, the parameters and the data-quality table."""
    rows = []
    for run in result.runs:
        links = f'<a href="{run.name}.ipynb">notebook</a>'
        if html_copies:
            links = f'<a href="{run.name}.html">{html.escape(run.name)}</a> · ' + links
        else:
            links = f"{html.escape(run.name)} · " + links
        rows.append(f"<tr><td>{links}</td><td>{_status_cell(run)}</td></tr>")
    param_rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td><code>{html.escape(json.dumps(v, default=str))}</code></td></tr>"
        for k, v in shown.items()
    )
    headline = "All notebooks ran." if result.ok else "Some notebooks failed: " + ", ".join(result.failed)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>segkit report {result.as_of.date()}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}
.bad{{color:#b00}}</style></head><body>
<h1>Customer segmentation report as of {result.as_of.date()}</h1>
<p>{html.escape(headline)}</p>
<h2>Notebooks</h2><table>{"".join(rows)}</table>
<h2>Parameters</h2><table>{param_rows}</table>
<h2>Data quality</h2>{quality_html}
<p>Generated by segkit.</p></body></html>
"""
    (folder / "index.html").write_text(page, encoding="utf-8")


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
