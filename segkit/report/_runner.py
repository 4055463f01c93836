"""The dated report runner: every top-level notebook, executed by papermill into ``reports/<as-of>/``.

Before any notebook starts, the runner checks every parameter against the notebooks' declarations, reads
and checks the data once (masking customer ids when asked) and writes that canonical table into the
private part of a staging folder; every notebook opens it with :func:`segkit.load_report_data`. A failing
notebook does not stop the others; the run as a whole fails. The report is renamed into place at the end,
under a lock held for the whole run, so an interrupted run never leaves half a report and two runs never
write the same one.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from .._backend import MEMORY_ENV, default_memory_limit
from .._errors import ParameterError, SegkitError
from .._progress import ENV as PROGRESS_ENV
from .._progress import progress as runner_progress
from .._progress import progress_enabled
from .._resources import notebooks_dir
from ..crm import CRM_TABLES
from ..engine._aggregates import as_of_date
from ..i18n import LANGUAGES, check_currency
from ._config import CONFIG_KEYS, load_report_config
from ._exports import workbook_from_folder
from ._forkserver import ForkedProcess, ForkServer, fork_available
from ._manifest import write_manifest
from ._mask import mask_key, mask_transactions
from ._narrative import select_language
from ._notebook import SAMPLE_LABEL, _open_report_table, load_report_data, save_report_table
from ._outputs import (
    failure_of,
    finish_notebook,
    run_record,
    skipped_in,
    write_html,
    write_index,
    write_run_json,
)
from ._params import check_parameters, declared_parameters
from ._staging import (
    ReportExistsError,
    publish,
    remove_stale,
    report_lock,
    sigterm_as_interrupt,
    staging_folder,
)
from ._summary import remove_summary_figures, report_summary

__all__ = [
    "CONFIG_KEYS",
    "NotebookRun",
    "ReportExistsError",
    "ReportResult",
    "load_report_config",
    "run_report",
]

#: Where segkit is installed (a checkout or site-packages); outputs show it as "<segkit>", never the path.
_REPO = Path(__file__).resolve().parents[2]
#: The environment variable that sets how many notebooks run at once (``--jobs`` and ``jobs`` win over it).
JOBS_ENV = "SEGKIT_REPORT_JOBS"
#: Notebooks run side by side by default: two kernels keep two cores busy (one notebook's work is mostly
#: single-threaded Python); more kernels than cores only add memory.
_DEFAULT_JOBS = 2
#: The private part of the staging folder (the canonical table); removed before publishing.
_TABLE_DIR = ".segkit-table"
#: The kit's CRM page: it reads its tables with segkit.read_crm, which knows the tables of CRM_TABLES only.
_CRM_PAGE = "05_crm_loyalty"


@dataclass(frozen=True)
class NotebookRun:
    """The outcome of one notebook in a report run.

    ``section`` names the section a failed notebook stopped in; ``skipped`` lists the sections it could
    not compute for this base (each with ``section``, ``reason`` and ``hint``).
    """

    name: str
    ok: bool
    seconds: float
    error: str | None = None
    section: str | None = None
    skipped: tuple[dict[str, str], ...] = ()
    traceback: str = field(default="", repr=False, compare=False)


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
    window_months: int = 12,
    mask_ids: bool = False,
    mask_key_text: str | None = None,
    mask_safe: Sequence[str] = (),
    crm: Mapping[str, str | os.PathLike[str]] | None = None,
    lang: str = "en",
    currency: str | None = None,
    progress: Callable[[str], None] | None = None,
    jobs: int | None = None,
) -> ReportResult:
    """Execute every top-level report notebook into ``<output>/<as-of date>/``.

    Parameters
    ----------
    data : path, DataFrame or None
        The transactions source; ``None`` means the bundled sample. It is read once for the whole report.
    columns, read_options : mapping, optional
        Passed to :func:`segkit.read_transactions`.
    as_of : date-like, optional
        Analysis date; by default the day after the last transaction (never today).
    output : path
        Folder that holds the dated report folders.
    notebooks : path, optional
        Folder of report notebooks (default: the repository's ``notebooks/``). Only ``*.ipynb`` files at
        its top level are run; subfolders such as ``training/`` are not part of the report.
    parameters : mapping, optional
        Notebook parameters such as ``{"k_max": 4}``. Each name must be declared by at least one notebook
        (it goes to the notebooks that declare it) and each value must have the type of the declared
        default; the standard parameters (data, dates, folders) are the runner's own and are refused here.
    force : bool
        Replace an existing report for the same date. Without it, an existing report is an error.
    html_copies : bool
        Also write a code-free HTML copy of each notebook.
    window_months : int
        The analysis window of the whole report, passed to every notebook that declares ``window_months``.
    mask_ids : bool
        Replace customer ids, order ids and free-text customer attributes by keyed pseudonyms before any
        notebook sees the data (key: ``mask_key_text`` or the ``SEGKIT_MASK_KEY`` environment variable).
    mask_safe : sequence of str
        Attribute columns that identify nobody (a region, a country) and stay readable under ``mask_ids``.
    crm : mapping, optional
        CRM table name -> file, passed as ``crm_paths`` to the notebooks that declare it.
    lang : {"en", "ru"}, default "en"
        The report's language: the narrative kept in each page, the texts the notebooks print, the index,
        the failure and skipped-section notes, and the CSV dialect of the lists. Passed to every notebook
        that declares ``lang``.
    currency : str, optional
        ISO 4217 code shown with money (``"RUB"``), passed to every notebook that declares ``currency``;
        ``None`` shows plain numbers.
    progress : callable, optional
        Receives the log lines (one per notebook and a summary); defaults to printing to stderr.
    jobs : int, optional
        How many notebooks run at once, each in its own kernel (default: the ``SEGKIT_REPORT_JOBS``
        environment variable, else the number of CPU cores, at most 2). The notebooks are independent, so
        the report is the same for any value; the engine's memory limit is shared among the kernels.

    Returns
    -------
    ReportResult
        Check ``.ok``; the folder holds the executed notebooks, their HTML copies, the notebooks' CSV
        exports (and ``customer_lists.xlsx`` built from them), ``index.html`` (the one-page summary) and
        ``run.json`` (parameters, data quality and the status of each notebook).

    Raises
    ------
    ParameterError
        For an unknown or mistyped parameter, before any notebook runs.
    ReportExistsError
        When the report exists (without ``force``), another run is writing it, or it appeared meanwhile.
    """
    started = time.perf_counter()
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    paths = _notebook_paths(notebooks)
    declared = {p.stem: declared_parameters(p) for p in paths}
    per_notebook = check_parameters(dict(parameters or {}), declared)
    window_months = _check_window(window_months)
    jobs = _check_jobs(jobs)
    lang, currency = _check_lang(lang), _check_currency(currency)
    crm_files = _check_crm(crm, known=CRM_TABLES if any(p.stem == _CRM_PAGE for p in paths) else None)
    key = mask_key(mask_key_text) if mask_ids else None
    if key is not None and crm_files:
        # The CRM notebook reads its tables itself; masking only the transactions would leak the CRM's ids.
        raise ParameterError(
            f"--mask-ids masks the transactions only, and CRM tables were given ({', '.join(sorted(crm_files))}). "
            "Mask the customer ids in the CRM exports before the run, or run without --mask-ids."
        )

    jobs = min(jobs, len(paths))
    # The fork server imports the kernels' modules while this process reads the data.
    with _fork_server(jobs) as forks:
        tx = load_report_data(_absolute(data), columns=columns, read_options=read_options)
        if key is not None:
            tx = mask_transactions(tx, key, safe=mask_safe)
        tx.quality = replace(tx.quality, source=_source_label(data, tx.quality.source))
        jobs, reason = _jobs_for_base(jobs, tx.quality.n_customers)
        if reason:
            say(f"segkit report: {reason}")
        as_of_ts = as_of_date(tx, as_of)
        output = Path(output).resolve()
        target = output / as_of_ts.date().isoformat()
        output.mkdir(parents=True, exist_ok=True)
        result = ReportResult(folder=target, as_of=as_of_ts, quality=tx.quality.to_dict())
        shown = _shown_parameters(
            tx, columns, read_options, as_of_ts, window_months, mask_ids, crm_files, parameters
        )
        shown.update({"lang": lang, "currency": currency})

        with sigterm_as_interrupt(), report_lock(output, target.name):
            remove_stale(output, locked_name=target.name, say=say)
            existed = target.exists()
            if existed and not force:
                raise ReportExistsError(
                    f"A report for {target.name} already exists at {target}. Pass --force (force=True) to "
                    "replace it, or choose another --as-of date."
                )
            staging = staging_folder(output, target.name)
            try:
                save_report_table(tx, staging / _TABLE_DIR)
                # From here on the runner reads the saved table too (the index's figures, the fingerprint),
                # as an engine view over the file: the table it read (for a large base, held in memory or
                # in a temporary file) is released before the notebooks start.
                tx = _open_report_table(staging / _TABLE_DIR, view=True)
                standard = {
                    "data_path": _TABLE_DIR,
                    "columns": dict(columns or {}),
                    "read_options": dict(read_options or {}),
                    "as_of": as_of_ts.date().isoformat(),
                    "output_dir": ".",
                    "reports_root": "..",
                    "window_months": window_months,
                    "mask_ids": bool(mask_ids),
                    "crm_paths": {t: os.path.relpath(p, staging) for t, p in crm_files.items()},
                    "lang": lang,
                    "currency": currency,
                }
                replacements = _path_replacements(staging, target, output, data, paths[0].parent)
                say(f"segkit report: {len(paths)} notebooks, as of {target.name}, into {target}")
                calls = []
                for path in paths:
                    params = {k: v for k, v in standard.items() if k in declared[path.stem]}
                    params.update(per_notebook[path.stem])
                    calls.append((path, staging, params, replacements, html_copies, lang))
                result.runs.extend(_run_all(calls, jobs, say, forks))
                summary = report_summary(
                    tx,
                    as_of=as_of_ts,
                    window_months=window_months,
                    reports_root=output,
                    rfm_options=_rfm_options(declared.get("02_rfm", {}), per_notebook.get("02_rfm", {})),
                    figures_dir=staging,
                )
                remove_summary_figures(staging)
                workbook = workbook_from_folder(staging, lang=lang, currency=currency)
                write_index(
                    staging,
                    result,
                    shown,
                    html_copies,
                    tx.quality.to_frame(),
                    summary=summary,
                    lang=lang,
                    currency=currency,
                    workbook=workbook.name if workbook else None,
                )
                write_run_json(staging, run_record(result, shown))
                write_manifest(
                    staging,
                    tx,
                    parameters=shown,
                    as_of=as_of_ts,
                    reports_root=output,
                    started=started,
                    lang=lang,
                )
                del tx  # the view over the table, before the table goes
                shutil.rmtree(staging / _TABLE_DIR)
                staging.chmod(0o755)  # published reports are readable like any folder the user creates
                publish(staging, target, replace=existed and force)
            except BaseException:
                # Interrupted, refused or crashed: leave no half-written report (and no customer data) behind.
                shutil.rmtree(staging, ignore_errors=True)
                raise
        _log_summary(say, result, time.perf_counter() - started, recomputed=summary.computed)
        return result


#: Peak memory of one report kernel per customer of the base: a page holds a few per-customer frames in
#: pandas at once (about 11.7 GB for the heaviest page on 10M customers). The runner's estimate, not a limit.
KERNEL_BYTES_PER_CUSTOMER = 1_200
#: Share of the machine's free memory the kernels running side by side may take together.
_KERNEL_MEMORY_SHARE = 0.8


def _free_memory() -> int:
    """Bytes of memory free for new processes now (``MemAvailable``), else the machine's physical memory."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return min(total, int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    return total


def _jobs_for_base(jobs: int, customers: int, free: int | None = None) -> tuple[int, str]:
    """How many notebooks may run side by side on a base of ``customers``, and why fewer than ``jobs``.

    Each kernel holds its own per-customer frames, so on a large base two kernels at once can need more
    memory than the machine has (10M customers: about 12 GB each). Fewer run at once when the estimate
    (:data:`KERNEL_BYTES_PER_CUSTOMER` per customer and kernel) of ``jobs`` kernels exceeds 80 % of the
    free memory; never fewer than one.

    Parameters
    ----------
    jobs : int
        The notebooks asked to run at once.
    customers : int
        Customers in the base.
    free : int, optional
        Free memory in bytes (default: what the system reports now).

    Returns
    -------
    tuple of (int, str)
        The notebooks to run at once, and the reason when that is fewer than ``jobs`` (else ``""``).

    Examples
    --------
    >>> _jobs_for_base(2, 1_000_000, free=16 * 2**30)
    (2, '')
    >>> _jobs_for_base(2, 10_000_000, free=16 * 2**30)[0]
    1
    """
    per_kernel = max(int(customers), 1) * KERNEL_BYTES_PER_CUSTOMER
    free = _free_memory() if free is None else free
    fits = max(1, int(free * _KERNEL_MEMORY_SHARE // per_kernel))
    if fits >= jobs:
        return jobs, ""
    gib = 2**30
    reason = (
        f"{fits} notebook{'s' if fits > 1 else ''} at a time instead of {jobs}: {int(customers):,} customers "
        f"need about {per_kernel / gib:.1f} GB per kernel and {free / gib:.1f} GB of memory is free"
    )
    return fits, reason


@contextlib.contextmanager
def _fork_server(jobs: int) -> Iterator[ForkServer | None]:
    """The run's fork server (see :mod:`segkit.report._forkserver`), or None where kernels cannot be forked."""
    forks = ForkServer(_kernel_environment(jobs)) if fork_available() else None
    try:
        yield forks
    finally:
        if forks is not None:
            forks.close()


def _notebook_paths(notebooks: str | os.PathLike[str] | None) -> list[Path]:
    notebook_dir = Path(notebooks) if notebooks is not None else notebooks_dir()
    paths = sorted(notebook_dir.resolve().glob("*.ipynb"))
    if not paths:
        raise ParameterError(
            f"No report notebooks (*.ipynb) in {str(notebook_dir)!r}; pass notebooks= a folder."
        )
    return paths


def _absolute(data: Any) -> Any:
    if isinstance(data, str) and "://" in data:  # a database URL
        return data
    return str(Path(data).resolve()) if isinstance(data, str | os.PathLike) else data


def _source_label(data: Any, read_label: str) -> str:
    """How reports name the data: the file's name, never the folder it lives in on this machine."""
    if data is None:
        return SAMPLE_LABEL
    if isinstance(data, str | os.PathLike):
        return Path(data).name
    return read_label


def _check_lang(lang: Any) -> str:
    if lang not in LANGUAGES:
        raise ParameterError(f"--lang (config key lang) must be one of {', '.join(LANGUAGES)}; got {lang!r}.")
    return str(lang)


def _check_currency(currency: Any) -> str | None:
    try:
        return check_currency(currency)
    except ParameterError:
        raise ParameterError(
            f"--currency (config key currency) must be an ISO 4217 code such as RUB, USD or EUR, or left "
            f"out for no currency; got {currency!r}."
        ) from None


def _rfm_options(declared: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The RFM settings of the RFM page (its defaults and the user's --param), for the summary's migration."""
    merged = {**declared, **given}
    return {k: merged[k] for k in ("bins", "monetary", "recency") if isinstance(merged.get(k), int | str)}


def _check_window(window_months: Any) -> int:
    if isinstance(window_months, bool) or not isinstance(window_months, int) or not 0 <= window_months <= 120:
        raise ParameterError(
            f"window_months must be a whole number of months from 0 (all history) to 120; got {window_months!r}."
        )
    return window_months


def _check_crm(crm: Mapping[str, Any] | None, known: Iterable[str] | None = None) -> dict[str, Path]:
    """The CRM files by table name; ``known`` is the table names the notebooks can read (None: any name)."""
    files = {}
    for table, path in dict(crm or {}).items():
        if not isinstance(table, str) or not table.isidentifier():
            raise ParameterError(f"CRM table name {table!r} must be a plain name such as 'bonus_cards'.")
        if known is not None and table not in known:
            close = difflib.get_close_matches(table, list(known), n=1)
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParameterError(
                f"--crm {table}={path}: unknown CRM table {table!r}{guess}; the CRM page reads "
                f"{', '.join(known)}."
            )
        file = Path(path).resolve()
        if not file.is_file():
            raise ParameterError(f"CRM table {table!r}: no such file {str(path)!r}.")
        files[table] = file
    return files


def _shown_parameters(
    tx: Any,
    columns: Mapping[str, str] | None,
    read_options: Mapping[str, Any] | None,
    as_of: pd.Timestamp,
    window_months: int,
    mask_ids: bool,
    crm_files: Mapping[str, Path],
    parameters: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The parameters as index.html and run.json show them: names of files, no folders of this machine."""
    shown: dict[str, Any] = {
        "data_path": tx.quality.source,
        "columns": dict(columns or {}),
        "read_options": dict(read_options or {}),
        "as_of": as_of.date().isoformat(),
        "window_months": window_months,
        "mask_ids": bool(mask_ids),
    }
    if crm_files:
        shown["crm_paths"] = {table: path.name for table, path in crm_files.items()}
    shown.update(dict(parameters or {}))
    return shown


def _path_replacements(staging: Path, target: Path, output: Path, data: Any, notebook_dir: Path) -> list:
    pairs = [(str(staging), "."), (str(target), "."), (str(output), ".."), (str(notebook_dir), "notebooks")]
    if isinstance(data, str | os.PathLike):
        pairs.append((str(Path(data).resolve().parent), "."))
    pairs += [(str(_REPO), "<segkit>"), (str(Path.cwd()), "."), (str(Path.home()), "~")]
    return pairs


def _check_jobs(jobs: Any) -> int:
    where = "jobs"
    if jobs is None:
        text = os.environ.get(JOBS_ENV, "").strip()
        if not text:
            return max(1, min(_DEFAULT_JOBS, os.cpu_count() or 1))
        where = f"the environment variable {JOBS_ENV}"
        jobs = int(text) if text.isdigit() else text
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= 64:
        raise ParameterError(
            f"{where} (--jobs, config key jobs) must be a whole number of notebooks to run at once, from 1 "
            f"to 64; got {jobs!r}. Use 1 to run the notebooks one after another."
        )
    return jobs


def _run_all(
    calls: list[tuple], jobs: int, say: Callable[[str], None], forks: ForkServer | None = None
) -> list[NotebookRun]:
    """Run the notebooks, ``jobs`` at a time; the runs come back in notebook order whatever the timing.

    The notebooks are independent (each opens the canonical table and writes its own files), so running them
    side by side changes nothing in the report, only the wall time; one log line per finished notebook.
    """
    n = len(calls)
    runs: dict[int, NotebookRun] = {}
    with runner_progress(total=n, desc="segkit report", unit=" notebooks") as bar:

        def finished(i: int, run: NotebookRun) -> None:
            runs[i] = run
            _log_run(say, f"[{len(runs)}/{n}]", run)
            bar.update(1)

        if jobs == 1:
            for i, call in enumerate(calls):
                finished(i, _run_one(*call, jobs=1, forks=forks))
        else:
            _run_side_by_side(calls, jobs, finished, forks)
    return [runs[i] for i in range(n)]


def _run_side_by_side(
    calls: list[tuple],
    jobs: int,
    finished: Callable[[int, NotebookRun], None],
    forks: ForkServer | None = None,
) -> None:
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="segkit-report")
    futures = {pool.submit(_run_one, *call, jobs=jobs, forks=forks): i for i, call in enumerate(calls)}
    try:
        pending = set(futures)
        while pending:
            # A short timeout keeps the main thread responsive to Ctrl-C and SIGTERM while kernels run.
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=futures.__getitem__):
                finished(futures[future], future.result())
    except BaseException:
        _STOPPING.set()  # a kernel still starting stops as soon as it is up
        for future in futures:
            future.cancel()
        _stop_kernels()  # the running notebooks end with a dead kernel; their threads then return
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _STOPPING.clear()


def _run_one(
    source: Path,
    staging: Path,
    params: dict[str, Any],
    replacements: list,
    html_copies: bool,
    lang: str,
    *,
    jobs: int = 1,
    forks: ForkServer | None = None,
) -> NotebookRun:
    destination = staging / source.name
    seconds, crash = _execute(source, destination, params, staging, jobs, forks)
    if not destination.exists():  # the kernel died before papermill wrote anything
        shutil.copyfile(source, destination)
    nb = finish_notebook(destination, replacements)
    # The executed notebook is the report's page too: it keeps the chosen language's narrative only.
    nb = select_language(nb, lang)
    import nbformat

    nbformat.write(nb, destination)
    failure = failure_of(nb)
    error = failure["error"][:500] if failure else crash
    if failure is None and crash is not None:
        failure = {"section": "(the kernel)", "error": crash, "traceback": ""}
    if html_copies:
        segkit_error = bool(failure) and _is_segkit_error(failure["error"])
        write_html(nb, destination.with_suffix(".html"), failure, segkit_error, lang=lang)
    return NotebookRun(
        name=source.stem,
        ok=failure is None,
        seconds=seconds,
        error=error,
        section=failure["section"] if failure else None,
        skipped=tuple(skipped_in(nb)),
        traceback=failure["traceback"] if failure else "",
    )


def _is_segkit_error(error: str) -> bool:
    import segkit

    name = error.split(":", 1)[0]
    return isinstance(getattr(segkit, name, None), type) and issubclass(getattr(segkit, name), SegkitError)


def _execute(
    source: Path,
    destination: Path,
    params: dict[str, Any],
    cwd: Path,
    jobs: int = 1,
    forks: ForkServer | None = None,
) -> tuple[float, str | None]:
    """Run one notebook; return the seconds and the error of a crash outside the cells (or None)."""
    import papermill as pm

    started = time.perf_counter()
    error = None
    # The kernel starts in ``cwd`` itself: papermill's own ``cwd=`` changes the working directory of the
    # whole process, which notebooks running side by side (one thread each) would race on.
    with _kernel_logs(_kernel_environment(jobs), cwd=cwd, forks=forks) as manager_class:
        try:
            pm.execute_notebook(
                str(source),
                str(destination),
                parameters=params,
                kernel_name="python3",
                engine_name=_engine_name(),
                # A per-cell bar in a terminal when notebooks run one at a time; side by side, the
                # runner's own bar counts notebooks instead. Silent in scheduled runs either way.
                progress_bar=jobs == 1 and progress_enabled(),
                log_output=False,
                kernel_manager_class=manager_class,
            )
        except pm.PapermillExecutionError:
            pass  # the error is in the executed notebook; failure_of reads it from there
        except Exception as exc:  # a dead kernel or a broken notebook file must not stop the other notebooks
            error = f"{type(exc).__name__}: {exc}"[:500]
    return time.perf_counter() - started, error


@functools.cache
def _engine_name() -> str:
    """papermill's nbclient engine, saving the executed notebook less often (registered once).

    papermill saves the whole notebook (validated against the schema, in this process) when each cell
    starts and ends; on a report that was a fifth of the run. This engine saves when the notebook starts, at
    most every 30 s while it runs (papermill's autosave, so a long run that dies keeps its outputs), on an
    error and at the end -- the executed notebook is the same.
    """
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    class Saves(NotebookExecutionManager):
        hold = False

        def save(self, **kwargs: Any) -> None:
            if not self.hold:
                super().save(**kwargs)

        def cell_start(self, cell: Any, cell_index: Any = None, **kwargs: Any) -> None:
            self._throttled(super().cell_start, cell, cell_index, **kwargs)

        def cell_complete(self, cell: Any, cell_index: Any = None, **kwargs: Any) -> None:
            self._throttled(super().cell_complete, cell, cell_index, **kwargs)

        def _throttled(self, step: Callable, *args: Any, **kwargs: Any) -> None:
            self.hold = True
            try:
                step(*args, **kwargs)
            finally:
                self.hold = False
            self.autosave_cell()

    class Engine(NBClientEngine):
        @classmethod
        def execute_notebook(
            cls,
            nb: Any,
            kernel_name: str,
            output_path: str | None = None,
            progress_bar: bool = True,
            log_output: bool = False,
            autosave_cell_every: int = 30,
            **kwargs: Any,
        ) -> Any:
            # papermill's Engine.execute_notebook with the manager above.
            nb_man = Saves(
                nb,
                output_path=output_path,
                progress_bar=progress_bar,
                log_output=log_output,
                autosave_cell_every=autosave_cell_every,
            )
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    papermill_engines.register(_ENGINE, Engine)
    return _ENGINE


_ENGINE = "segkit-nbclient"


def _kernel_environment(jobs: int) -> dict[str, str]:
    """What each report kernel adds to the environment: no progress bars, its share of the engine's memory.

    Progress is off in every kernel (even when ``SEGKIT_PROGRESS=1`` is set for the run): a bar drawn in a
    cell would end up in the executed notebook and its HTML copy; the runner's own bar counts notebooks.
    Kernels that run side by side each hold a DuckDB; the default memory limit is split among them so that
    together they stay within one process's limit and spill to disk beyond it. A limit the user set in
    ``SEGKIT_MEMORY_LIMIT`` is passed on as given (it is per process).
    """
    environment = {PROGRESS_ENV: "0"}
    if not os.environ.get(MEMORY_ENV, "").strip():
        environment[MEMORY_ENV] = str(default_memory_limit() // max(jobs, 1))
    return environment


#: The report kernels started by this process and not yet finished (so an interrupt can stop them).
_LIVE: set[Any] = set()
_LIVE_LOCK = threading.Lock()
#: Set while an interrupted run stops its kernels.
_STOPPING = threading.Event()


def _stop_kernels() -> None:
    with _LIVE_LOCK:
        managers = list(_LIVE)
    for manager in managers:
        process = getattr(getattr(manager, "provisioner", None), "process", None)
        with contextlib.suppress(Exception):  # already gone
            process.kill()


@contextlib.contextmanager
def _kernel_logs(
    environment: Mapping[str, str] | None = None, cwd: Path | None = None, forks: ForkServer | None = None
) -> Iterator[type]:
    """A kernel manager whose kernel talks over local sockets and writes its own log to a private file.

    The kernel's console log (transport notes, shutdown chatter) is noise in a scheduler's mail; the
    notebook's outputs and errors are in the executed notebook either way. With ``forks``, the kernel is
    forked from the run's fork server (modules already imported) and started from scratch only when the
    server is not there.
    """
    from jupyter_client import AsyncKernelManager

    folder = Path(tempfile.mkdtemp(prefix="segkit-kernel-"))
    log_path = folder / "kernel.log"
    log = log_path.open("wb")

    class ReportKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.transport = "ipc"
            self.ip = str(folder / "k")

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            if forks is not None:
                try:
                    pid = forks.spawn(
                        kernel_cmd, cwd=kw.get("cwd") or os.getcwd(), env=kw["env"], log=log_path
                    )
                except OSError:
                    pass  # no fork server: the kernel starts from scratch below
                else:
                    provisioner = self.provisioner
                    provisioner.process = ForkedProcess(pid)  # type: ignore[union-attr]
                    provisioner.pid = provisioner.pgid = pid  # type: ignore[union-attr]
                    provisioner.cwd = kw.get("cwd")  # type: ignore[union-attr]
                    self._reconcile_connection_info(provisioner.connection_info)  # type: ignore[union-attr]
                    return
            await super()._async_launch_kernel(kernel_cmd, **kw)

        async def start_kernel(self, **kwargs: Any) -> None:
            kwargs.setdefault("stdout", log)
            kwargs.setdefault("stderr", log)
            kwargs["env"] = {**(kwargs.get("env") or os.environ), **(environment or {})}
            if cwd is not None:
                kwargs["cwd"] = str(cwd)
            with _LIVE_LOCK:
                _LIVE.add(self)
            await super().start_kernel(**kwargs)
            if _STOPPING.is_set():
                _stop_kernels()

    try:
        yield ReportKernelManager
    finally:
        with _LIVE_LOCK:
            _LIVE.difference_update({m for m in _LIVE if isinstance(m, ReportKernelManager)})
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _log_run(say: Callable[[str], None], counter: str, run: NotebookRun) -> None:
    if run.ok:
        skipped = f"; {len(run.skipped)} section(s) skipped" if run.skipped else ""
        say(f"{counter} {run.name}: ok in {run.seconds:.1f} s{skipped}")
    else:
        say(f"{counter} {run.name}: FAILED in {run.seconds:.1f} s, section {run.section!r}: {run.error}")
        for line in run.traceback.splitlines():
            say(f"    | {line}")
    for s in run.skipped:
        hint = f" What to change: {s['hint']}" if s.get("hint") else ""
        say(f"    skipped {s['section']!r}: {s['reason']}{hint}")


def _log_summary(
    say: Callable[[str], None], result: ReportResult, seconds: float, *, recomputed: Sequence[str] = ()
) -> None:
    n_ok = sum(run.ok for run in result.runs)
    n_skipped = sum(len(run.skipped) for run in result.runs)
    failed = f", failed: {', '.join(result.failed)}" if result.failed else ""
    # The index's figures normally come from the pages' results; computing them again costs passes over
    # the data, so the log says when it happened (a page failed or ran with other settings).
    again = f"index figures computed again: {', '.join(recomputed)}; " if recomputed else ""
    say(
        f"segkit report {result.folder.name}: {n_ok} of {len(result.runs)} notebooks ok{failed}; "
        f"{n_skipped} section(s) skipped; {again}{seconds:.0f} s; published to {result.folder}"
    )
