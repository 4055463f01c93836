"""The dated report runner: every top-level notebook, executed by papermill into ``reports/<as-of>/``.

The runner reads and checks the data once (for the as-of date and the data-quality summary), then runs
each notebook with the same parameters. A failing notebook does not stop the others; the run as a whole
fails. Output is written to a hidden temporary folder and renamed into place at the end, so an
interrupted run never leaves half a report, and an existing report is only replaced with ``force=True``.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .._errors import ParameterError, SegkitError
from .._resources import notebooks_dir
from ..engine._aggregates import as_of_date
from ._manifest import write_manifest
from ._notebook import load_report_data

__all__ = ["NotebookRun", "ReportExistsError", "ReportResult", "load_report_config", "run_report"]

#: Keys a YAML report configuration may hold.
CONFIG_KEYS = ("data", "columns", "read_options", "as_of", "output", "notebooks", "force", "parameters")


class ReportExistsError(SegkitError, FileExistsError):
    """A dated report already exists and ``force`` was not given."""


@dataclass(frozen=True)
class NotebookRun:
    """The outcome of one notebook in a report run."""

    name: str
    ok: bool
    seconds: float
    error: str | None = None


@dataclass
class ReportResult:
    """What a report run produced.

    Attributes
    ----------
    folder : pathlib.Path
        The dated report folder (``<output>/<YYYY-MM-DD>``).
    as_of : pandas.Timestamp
        The analysis date used by every notebook.
    runs : list of NotebookRun
        One entry per notebook, in execution order.
    quality : dict
        The data-quality summary of the input (see :class:`segkit.QualityReport`).
    """

    folder: Path
    as_of: pd.Timestamp
    runs: list[NotebookRun] = field(default_factory=list)
    quality: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every notebook ran without error."""
        return all(run.ok for run in self.runs)

    @property
    def failed(self) -> list[str]:
        """Names of the notebooks that failed."""
        return [run.name for run in self.runs if not run.ok]


def load_report_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a YAML report configuration; relative ``data`` and folder paths are relative to the file.

    Examples
    --------
    >>> import pathlib, tempfile, segkit
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "run.yaml").write_text("data: exports/shop.csv\\ncolumns: {customer: Client}\\n")
    >>> cfg = segkit.load_report_config(folder / "run.yaml")
    >>> cfg["columns"], cfg["data"] == str(folder / "exports" / "shop.csv")
    ({'customer': 'Client'}, True)
    """
    path = Path(path)
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ParameterError(f"Cannot read the report config {str(path)!r}: {exc}.") from exc
    except yaml.YAMLError as exc:
        raise ParameterError(f"The report config {str(path)!r} is not valid YAML: {exc}") from exc
    if not isinstance(loaded, dict):
        raise ParameterError(f"The report config {str(path)!r} must be a mapping of keys {CONFIG_KEYS}.")
    unknown = sorted(set(loaded) - set(CONFIG_KEYS))
    if unknown:
        raise ParameterError(
            f"Unknown key(s) {unknown} in the report config {str(path)!r}; allowed keys are {list(CONFIG_KEYS)}."
        )
    for key in ("data", "output", "notebooks"):
        value = loaded.get(key)
        if isinstance(value, str) and not Path(value).is_absolute():
            loaded[key] = str((path.parent / value).resolve())
    return loaded


def run_report(
    data: Any = None,
    *,
    columns: Mapping[str, str] | None = None,
    read_options: Mapping[str, Any] | None = None,
    as_of: Any = None,
    output: str | os.PathLike[str] = "reports",
    notebooks: str | os.PathLike[str] | None = None,
    parameters: Mapping[str, Any] | None = None,
    force: bool = False,
    html_copies: bool = True,
    progress: Callable[[str], None] | None = None,
) -> ReportResult:
    """Execute every top-level report notebook into ``<output>/<as-of date>/``.

    Parameters
    ----------
    data : path or None
        The transactions source; ``None`` means the bundled sample.
    columns, read_options : mapping, optional
        Passed to :func:`segkit.read_transactions` (by the runner and by each notebook).
    as_of : date-like, optional
        Analysis date; by default the day after the last transaction (never today).
    output : path
        Folder that holds the dated report folders.
    notebooks : path, optional
        Folder of report notebooks (default: the repository's ``notebooks/``). Only ``*.ipynb`` files at
        its top level are run; subfolders such as ``training/`` are not part of the report.
    parameters : mapping, optional
        Extra notebook parameters (for example ``{"bins": 3}``); a notebook ignores the ones it lacks.
    force : bool
        Replace an existing report for the same date. Without it, an existing report is an error.
    html_copies : bool
        Also write a code-free HTML copy of each notebook.
    progress : callable, optional
        Receives one line per notebook; defaults to printing to stderr.

    Returns
    -------
    ReportResult
        Check ``.ok``; the folder holds the executed notebooks, their HTML copies, ``index.html`` and
        ``run.json`` (parameters, data quality and the status of each notebook).
    """
    started = time.perf_counter()
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    notebook_dir = Path(notebooks) if notebooks is not None else notebooks_dir()
    paths = sorted(notebook_dir.glob("*.ipynb"))
    if not paths:
        raise ParameterError(
            f"No report notebooks (*.ipynb) in {str(notebook_dir)!r}; pass notebooks= a folder."
        )

    if isinstance(data, str | os.PathLike):
        data = str(Path(data).resolve())
    tx = load_report_data(data, columns=columns, read_options=read_options)
    as_of_ts = as_of_date(tx, as_of)
    output = Path(output).resolve()
    target = output / as_of_ts.date().isoformat()
    if target.exists() and not force:
        raise ReportExistsError(
            f"A report for {as_of_ts.date()} already exists at {target}. Pass --force (force=True) to replace it, "
            "or choose another --as-of date."
        )
    output.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=output))
    staging.chmod(0o755)  # mkdtemp makes it private; the published report should be readable like any folder
    notebook_params = {
        "data_path": data,
        "columns": dict(columns or {}),
        "read_options": dict(read_options or {}),
        "as_of": as_of_ts.date().isoformat(),
        "output_dir": str(staging),
        "reports_root": str(output),
        **dict(parameters or {}),
    }
    result = ReportResult(folder=target, as_of=as_of_ts, quality=tx.quality.to_dict())
    try:
        say(f"segkit report: {len(paths)} notebooks, as of {as_of_ts.date()}, into {target}")
        for i, path in enumerate(paths, start=1):
            say(f"[{i}/{len(paths)}] {path.name} ...")
            run = _execute(path, staging / path.name, notebook_params, notebook_dir)
            result.runs.append(run)
            status = "ok" if run.ok else f"FAILED: {run.error}"
            say(f"[{i}/{len(paths)}] {path.name} {status} ({run.seconds:.1f} s)")
            if html_copies:
                _write_html(staging / path.name)
        _write_index(staging, result, notebook_params, html_copies, tx.quality.to_frame())
        write_manifest(
            staging, tx, parameters=notebook_params, as_of=as_of_ts, reports_root=output, started=started
        )
        _publish(staging, target)
    except BaseException:
        # Interrupted or crashed: leave no half-written report behind.
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return result


def _execute(source: Path, destination: Path, params: dict[str, Any], cwd: Path) -> NotebookRun:
    import papermill as pm

    started = time.perf_counter()
    error = None
    try:
        pm.execute_notebook(
            str(source),
            str(destination),
            parameters=params,
            cwd=str(cwd),
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
        )
    except pm.PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}"[:500]
    except Exception as exc:  # a dead kernel or a broken notebook file must not stop the other notebooks
        error = f"{type(exc).__name__}: {exc}"[:500]
        if not destination.exists():
            shutil.copyfile(source, destination)
    return NotebookRun(source.stem, error is None, time.perf_counter() - started, error)


def _write_html(notebook: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    notebook.with_suffix(".html").write_text(body, encoding="utf-8")


def _write_index(
    folder: Path, result: ReportResult, params: dict[str, Any], html_copies: bool, quality_table: pd.DataFrame
) -> None:
    shown = {k: v for k, v in params.items() if k not in ("output_dir", "reports_root")}
    if shown["data_path"] is None:
        shown["data_path"] = "bundled sample (data/sample_transactions.csv)"
    rows = []
    for run in result.runs:
        links = f'<a href="{run.name}.ipynb">notebook</a>'
        if html_copies:
            links = f'<a href="{run.name}.html">{html.escape(run.name)}</a> · ' + links
        else:
            links = f"{html.escape(run.name)} · " + links
        status = "ok" if run.ok else f'<b class="bad">failed</b>: {html.escape(run.error or "")}'
        rows.append(f"<tr><td>{links}</td><td>{status}</td></tr>")
    quality = quality_table.to_html(index=False, escape=True)
    param_rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td><code>{html.escape(json.dumps(v, default=str))}</code></td></tr>"
        for k, v in shown.items()
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>segkit report {result.as_of.date()}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}
.bad{{color:#b00}}</style></head><body>
<h1>Customer segmentation report as of {result.as_of.date()}</h1>
<p>{"All notebooks ran." if result.ok else "Some notebooks failed: " + html.escape(", ".join(result.failed))}</p>
<h2>Notebooks</h2><table>{"".join(rows)}</table>
<h2>Parameters</h2><table>{param_rows}</table>
<h2>Data quality</h2>{quality}
<p>Generated by segkit.</p></body></html>
"""
    (folder / "index.html").write_text(page, encoding="utf-8")
    summary = {
        "as_of": result.as_of.date().isoformat(),
        "ok": result.ok,
        "parameters": shown,
        "notebooks": [run.__dict__ for run in result.runs],
        "quality": result.quality,
    }
    (folder / "run.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")


def _publish(staging: Path, target: Path) -> None:
    """Move the finished report into place; an existing one (force) is swapped out, then removed."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.replaced-{os.getpid()}")
        target.rename(old)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
