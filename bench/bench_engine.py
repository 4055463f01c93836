"""Benchmark the segment build against the floor query, on deterministic synthetic parquet files.

For each size (1M rows with 100k customers, 10M rows with 1M customers) it generates a parquet file under
``bench/results/`` once, then times in one process:

* the **floor**: DuckDB reading the parquet and computing SUM / COUNT / MAX by customer (into pandas);
* each step of the segment build -- RFM with named segments, ABC, XYZ, ABC-XYZ, customer status, the
  cohort matrix, the BTYD summary -- each from a fresh snapshot, so it pays for its own aggregates;
* the **full build** through the public path a user takes: ``segkit.read_transactions(parquet)``, then
  every step on one ``segkit.snapshot(...)`` (the headline ``full build: N x floor``);
* the full build from the same lines written as a CSV file (``transactions_{size}.csv``), against DuckDB
  reading that CSV and computing the floor query (``--no-csv`` skips it);
* the engine-only full build: the parquet loaded straight into an engine table (no data contract), then
  every step on one snapshot -- what the engine itself costs;
* the BTYD summary of lifetimes and of pymc-marketing (in its separate environment, ``make bench-env``)
  on the same purchases, each in a process of its own that reads the parquet into pandas first: the
  summary itself is timed on data already in memory for every tool (segkit: the engine table), end to end
  adds the reading, and each reference's summary is checked equal to segkit's.

Peak memory of each step is measured in a separate process (``ru_maxrss`` of a child that loads the data
and runs that step only). Timings depend on the machine; the ratios to the floor are what to compare.

    .venv/bin/python bench/bench_engine.py [--sizes 1m,10m] [--no-contract] [--no-baselines] [--no-csv] [--btyd]

``--btyd`` runs the BTYD comparison only (no full builds). ``SEGKIT_BENCH_REFERENCE_MIB=3000`` stops a
reference process whose resident memory passes 3,000 MiB and reports that it does not fit. A reference
summary that differs from segkit's makes the run exit non-zero, after the report is written.

``--sizes 100m`` (100M rows, 10M customers) generates its file with DuckDB spilling to
``bench/results/duckdb_tmp`` under a memory limit (``SEGKIT_BENCH_MEMORY``, default 4GB); the 1m and 10m
files are generated exactly as before, byte for byte. ``SEGKIT_BENCH_DUCKDB_MEMORY=700MB`` runs the whole
benchmark (and its memory children) with that DuckDB memory limit, spilling to disk.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import segkit
from segkit._backend import connection

RESULTS = Path(__file__).resolve().parent / "results"
#: The separate environment of the pymc-marketing reference (``make bench-env`` creates it).
PYMC_ENV = Path(os.environ.get("SEGKIT_BENCH_PYMC", Path(__file__).resolve().parents[1] / ".venv-bench"))
PYMC_PYTHON = PYMC_ENV / "bin" / "python"
SIZES = {"1m": 1_000_000, "10m": 10_000_000, "100m": 100_000_000}
#: Sizes whose generation needs DuckDB to spill to disk (a 100M-row sort does not fit a small machine).
_SPILL = {"100m"}
START = pd.Timestamp("2022-01-01")
DAYS = 1096  # three years


# ------------------------------------------------------------------------------------------------
# data
# ------------------------------------------------------------------------------------------------


def make_parquet(size: str) -> Path:
    """Deterministic synthetic lines: two lines per order, customers arriving over three years, 3 % returns."""
    path = RESULTS / f"transactions_{size}.parquet"
    if path.is_file():
        return path
    RESULTS.mkdir(parents=True, exist_ok=True)
    n_rows = SIZES[size]
    n_customers = n_rows // 10
    tmp = path.with_suffix(".parquet.partial")
    sql = f"""
    COPY (
      WITH lines AS (SELECT range AS i, range // 2 AS o FROM range({n_rows})),
      orders AS (
        SELECT i, o, hash(o, 1) % {n_customers} AS c FROM lines
      ),
      placed AS (
        SELECT i, o, c,
               -- a customer arrives on day a and buys on days in [a, 1096); early arrivals buy longer
               (hash(c, 2) % {DAYS - 30}) AS arrive
        FROM orders
      )
      SELECT
        'C' || lpad(c::VARCHAR, 8, '0') AS customer_id,
        'O' || o::VARCHAR AS order_id,
        TIMESTAMP '{START:%Y-%m-%d}' + to_days((arrive + hash(o, 3) % ({DAYS} - arrive))::INTEGER)
          + to_minutes((hash(o, 4) % 720)::INTEGER) AS order_date,
        round(CASE WHEN hash(i, 5) % 100 < 3 THEN -1 ELSE 1 END * (5 + (hash(i, 6) % 20000) / 100.0), 2)
          AS amount,
        1 + hash(i, 7) % 4 AS quantity,
        'cat' || (hash(i, 8) % 12)::VARCHAR AS category,
        CASE hash(c, 9) % 3 WHEN 0 THEN 'store' WHEN 1 THEN 'online' ELSE 'phone' END AS channel
      FROM placed
      ORDER BY order_date, customer_id, order_id
    ) TO '{tmp}' (FORMAT parquet)
    """
    con = connection().con
    if size in _SPILL:
        # Only the 100m generation sets these (DuckDB applies them to the whole process from then on), so
        # the smaller files are written exactly as before.
        con.execute(f"SET temp_directory = '{RESULTS / 'duckdb_tmp'}'")
        con.execute(f"SET memory_limit = '{os.environ.get('SEGKIT_BENCH_MEMORY', '4GB')}'")
        con.execute("SET preserve_insertion_order = false")
    con.execute(sql)
    tmp.rename(path)  # a run killed half-way never leaves a file that looks complete
    return path


def make_csv(size: str) -> Path:
    """The same lines as the parquet file, as a plain UTF-8 CSV with a header (written once, in file order)."""
    path = RESULTS / f"transactions_{size}.csv"
    if path.is_file():
        return path
    tmp = path.with_suffix(".csv.partial")
    connection().con.execute(
        f"COPY (SELECT * FROM read_parquet('{make_parquet(size)}')) TO '{tmp}' (FORMAT csv, HEADER)"
    )
    tmp.rename(path)
    return path


class EngineTransactions(segkit.Transactions):
    """A Transactions whose canonical table is built in DuckDB straight from the parquet (no pandas frame).

    ``to_ibis()`` hands the engine the table. Code outside the engine that still reads ``.data`` gets a
    frame with ``order_date`` only, loaded on first use; the benchmark reports that it happened.
    """

    def __init__(self, table: Any, quality: Any) -> None:
        self.__dict__.update(quality=quality, _engine_table=None, _table=table, _frame=None, touched=False)

    def to_ibis(self) -> Any:
        return self._table

    @property
    def data(self) -> pd.DataFrame:  # type: ignore[override]
        if self._frame is None:
            self.__dict__["touched"] = True
            self.__dict__["_frame"] = connection().to_pandas(self._table.select("order_date"))
        return self._frame

    def has(self, column: str) -> bool:
        return column in self._table.columns

    def __len__(self) -> int:
        return int(connection().to_pandas(self._table.count()))


def load_engine(path: Path) -> EngineTransactions:
    """The canonical table from the parquet, in the engine: returns flagged from the sign of the amount."""
    con = connection()
    name = f"bench_{path.stem}"
    con.raw_sql(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT customer_id, order_id, order_date, amount, "
        f"amount < 0 AS is_return, quantity, category, channel FROM read_parquet('{path}')"
    )
    facts = con.con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE is_return), min(order_date), max(order_date), "
        f"count(DISTINCT customer_id), count(DISTINCT order_id) FILTER (WHERE NOT is_return), "
        f"round(sum(amount), 2) FROM {name}"
    ).fetchall()[0]
    n, returns, first, last, customers, orders, revenue = facts
    quality = segkit.QualityReport(
        source=str(path),
        rows_read=n,
        rows_kept=n,
        dropped={},
        duplicates_found=0,
        returns_found=returns,
        returns_policy="net",
        order_id_source="column 'order_id'",
        date_min=pd.Timestamp(first),
        date_max=pd.Timestamp(last),
        n_customers=customers,
        n_orders=orders,
        net_revenue=float(revenue),
    )
    return EngineTransactions(con.table(name), quality=quality)


def fresh(tx: EngineTransactions) -> EngineTransactions:
    """Another transactions object on the same engine table: its aggregates are not cached yet."""
    return EngineTransactions(tx.to_ibis(), quality=tx.quality)


# ------------------------------------------------------------------------------------------------
# steps
# ------------------------------------------------------------------------------------------------


def floor(path: Path) -> pd.DataFrame:
    """SUM / COUNT / MAX by customer straight from the file (parquet, or CSV with DuckDB's own reader)."""
    reader = "read_csv" if path.suffix == ".csv" else "read_parquet"
    sql = (
        "SELECT customer_id, SUM(amount) AS revenue, COUNT(*) AS n, MAX(order_date) AS last "
        f"FROM {reader}('{path}') GROUP BY customer_id"
    )
    return connection().con.execute(sql).df()


def _steps(as_of: pd.Timestamp) -> dict[str, Callable[[Any], Any]]:
    return {
        "rfm + segments": lambda tx: segkit.rfm_segments(segkit.rfm(tx, as_of=as_of)),
        "abc": lambda tx: segkit.abc(tx, as_of=as_of),
        "xyz": lambda tx: segkit.xyz(tx, as_of=as_of),
        "abc_xyz": lambda tx: segkit.abc_xyz(tx, as_of=as_of),
        "customer_status": lambda tx: segkit.customer_status(tx, as_of=as_of),
        "cohorts": lambda tx: segkit.cohorts(tx, as_of=as_of),
        "btyd_summary": lambda tx: segkit.btyd_summary(tx, as_of=as_of),
    }


def full_build(tx: Any, as_of: pd.Timestamp) -> None:
    for step in _steps(as_of).values():
        step(tx)


def public_build(path: Path) -> None:
    """What a user runs: the data contract on the parquet, one snapshot, every step on that snapshot."""
    snap = segkit.snapshot(segkit.read_transactions(path))
    full_build(snap, snap.as_of)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


#: One reference BTYD summary in a process of its own, run by the interpreter that has the library (segkit's
#: for lifetimes, the bench environment's for pymc-marketing; it imports neither segkit nor the other). The
#: purchase rows are read from the parquet into pandas first (timed apart), so the summary itself is timed on
#: an in-memory frame, as segkit's is on an engine table; the result goes to a parquet file for the equality
#: check, and the process reports its own peak memory (VmHWM).
_REFERENCE_SCRIPT = """
import json, sys, time
from pathlib import Path
import numpy as np
import pandas as pd
tool, source, end, out = sys.argv[1:5]
if tool == "lifetimes":
    import lifetimes as module
    from lifetimes.utils import summary_data_from_transaction_data as summarize
    options = {"freq": "D"}
else:
    import pymc_marketing as module
    from pymc_marketing.clv.utils import rfm_summary as summarize
    options = {"time_unit": "D"}
started = time.perf_counter()
frame = pd.read_parquet(source, columns=["customer_id", "order_date", "amount"])
frame = frame.loc[frame["amount"] > 0].reset_index(drop=True)
read = time.perf_counter() - started
started = time.perf_counter()
summary = summarize(frame, "customer_id", "order_date", monetary_value_col="amount",
                    observation_period_end=end, **options)
seconds = time.perf_counter() - started
if "customer_id" in summary.columns:
    summary = summary.set_index("customer_id")
summary = summary[["frequency", "recency", "T", "monetary_value"]]
summary.index = summary.index.astype(str)
summary.to_parquet(out)
status = Path("/proc/self/status").read_text().splitlines()
peak = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
print(json.dumps({"read": read, "summary": seconds, "peak_mib": peak, "version": module.__version__}))
"""

#: Resident memory at which a reference process is stopped and reported as not fitting (MiB; unset: no cap).
REFERENCE_MIB = (
    int(os.environ["SEGKIT_BENCH_REFERENCE_MIB"]) if os.environ.get("SEGKIT_BENCH_REFERENCE_MIB") else None
)

#: The references, with the interpreter that has each (``None``: segkit's own).
REFERENCES = {
    "lifetimes": ("lifetimes summary_data_from_transaction_data", None),
    "pymc-marketing": ("pymc-marketing rfm_summary", PYMC_PYTHON),
}


def reference_summary(tool: str, path: Path, as_of: pd.Timestamp) -> dict[str, Any] | str:
    """Run one reference BTYD summary in its own process: timings, peak memory and its summary frame.

    Returns the child's figures with ``summary`` (seconds), ``read`` (seconds to read the purchase rows from
    the parquet), ``peak_mib`` and ``frame`` (its summary indexed by customer id), or why it was skipped.
    """
    python = REFERENCES[tool][1] or Path(sys.executable)
    if not python.is_file():
        return f"skipped: no {tool} environment at {python.parents[1]} (make bench-env creates it)"
    end = f"{as_of - pd.Timedelta(days=1):%Y-%m-%d}"
    out = RESULTS / f"btyd_{tool}_{path.stem}.parquet"
    command = [str(python), "-c", _REFERENCE_SCRIPT, tool, str(path), end, str(out)]
    code, stdout, stderr, over = _run_capped(command, REFERENCE_MIB)
    if over:
        return f"skipped: {tool} needs more than {REFERENCE_MIB:,} MiB here (SEGKIT_BENCH_REFERENCE_MIB)"
    if code != 0:
        return f"skipped: {tool} failed: " + (stderr.strip().splitlines() or ["?"])[-1]
    figures = json.loads(stdout.strip().splitlines()[-1])
    figures["frame"] = pd.read_parquet(out)
    out.unlink()
    return figures


def _run_capped(command: list[str], cap_mib: int | None) -> tuple[int, str, str, bool]:
    """Run a process, stopping it once its resident memory passes ``cap_mib`` (None: no cap).

    Returns its exit code, standard output and error, and whether it was stopped for memory. On a shared
    machine a reference that would need more than is free is stopped instead of pushing others into swap.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        over = False
        while child.poll() is None:
            if cap_mib is not None and _resident_mib(child.pid) > cap_mib:
                child.kill()
                child.wait()
                over = True
                break
            time.sleep(0.05)
        out.seek(0)
        err.seek(0)
        return child.returncode, out.read(), err.read(), over


def _resident_mib(pid: int) -> float:
    """Resident memory of a running process (VmRSS), 0 once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next(
        (int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0.0
    )


def summary_difference(ours: pd.DataFrame, theirs: pd.DataFrame) -> str | None:
    """None when a reference's summary equals segkit's, else what differs (customers, column, examples).

    The same customers; ``frequency`` exactly; ``recency``, ``T`` and ``monetary_value`` to 1e-12 relative
    (1e-9 absolute), the tolerance of the lifetimes parity tests.
    """
    if not ours.index.equals(theirs.index.sort_values()):
        missing = ours.index.difference(theirs.index)
        extra = theirs.index.difference(ours.index)
        return f"other customers: {len(missing):,} only in segkit {list(missing[:3])}, {len(extra):,} only in theirs {list(extra[:3])}"
    theirs = theirs.reindex(ours.index)
    for column in ("frequency", "recency", "T", "monetary_value"):
        a, b = ours[column].to_numpy(), theirs[column].to_numpy()
        tolerance = 0.0 if column == "frequency" else 1e-9 + 1e-12 * np.abs(b)
        bad = ~(np.abs(a - b) <= tolerance)
        if bad.any():
            examples = ", ".join(
                f"{i}: {x} vs {y}" for i, x, y in list(zip(ours.index[bad], a[bad], b[bad], strict=True))[:3]
            )
            return f"{column} differs for {int(bad.sum()):,} customers ({examples})"
    return None


# ------------------------------------------------------------------------------------------------
# peak memory, one child process per step
# ------------------------------------------------------------------------------------------------


def _duckdb_settings() -> list[str]:
    """DuckDB settings for a memory-bounded run, from ``SEGKIT_BENCH_DUCKDB_MEMORY`` (e.g. ``700MB``).

    The benchmark sets them on the shared connection for the whole process (and its memory children):
    a memory limit, spilling to ``bench/results/duckdb_tmp``, and no insertion order to preserve.
    segkit itself leaves the connection's settings alone here.
    """
    limit = os.environ.get("SEGKIT_BENCH_DUCKDB_MEMORY")
    if not limit:
        return []
    settings = [
        f"SET memory_limit = '{limit}'",
        f"SET temp_directory = '{RESULTS / 'duckdb_tmp'}'",
        "SET preserve_insertion_order = false",
    ]
    for statement in settings:
        connection().con.execute(statement)
    return settings


def _child(size: str, step: str) -> None:
    path = make_parquet(size)
    _duckdb_settings()
    if step == "floor":
        floor(path)
    elif step == "floor (csv)":
        floor(make_csv(size))
    elif step == "full build (csv)":
        public_build(make_csv(size))
    elif step == "full build":
        public_build(path)
    elif step == "read_transactions (contract)":
        segkit.read_transactions(path)
    elif step == "btyd public":
        segkit.btyd_summary(segkit.read_transactions(path))
    else:
        tx = load_engine(path)
        as_of = _as_of(tx)
        if step == "full build (engine only)":
            full_build(tx, as_of)
        elif step != "load into engine":
            _steps(as_of)[step](tx)
    print(json.dumps({"peak_mib": _high_water_mib()}))


def _high_water_mib() -> float:
    """Peak resident memory of this process (VmHWM).

    Not ``ru_maxrss``: Linux carries the parent's high-water mark across fork and exec, so a child
    started from a big benchmark process would report the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_mib(size: str, step: str) -> float:
    run = subprocess.run(
        [sys.executable, __file__, "--child", size, step], capture_output=True, text=True, check=False
    )
    if run.returncode != 0:
        print(f"  (memory of {step!r} failed: {run.stderr.strip().splitlines()[-1:]})")
        return float("nan")
    return float(json.loads(run.stdout.strip().splitlines()[-1])["peak_mib"])


def _as_of(tx: Any) -> pd.Timestamp:
    return segkit.as_of_date(tx)


# ------------------------------------------------------------------------------------------------
# report
# ------------------------------------------------------------------------------------------------


def parquet_as_of(path: Path) -> pd.Timestamp:
    """The default as-of date of the file's transactions (the day after the last), without loading them."""
    last = connection().con.execute(f"SELECT max(order_date) FROM read_parquet('{path}')").fetchone()[0]
    return pd.Timestamp(last).normalize() + pd.Timedelta(days=1)


def bench(
    size: str,
    *,
    contract: bool,
    baselines: bool,
    memory: bool,
    steps: list[str] | None = None,
    btyd_only: bool = False,
    csv: bool = True,
) -> tuple[list[str], list[str]]:
    """Time one size; returns the report's lines and the references whose summary differs from segkit's."""
    path = make_parquet(size)
    n_rows = SIZES[size]
    print(f"\n{size}: {n_rows:,} rows, {n_rows // 10:,} customers ({path.name})", flush=True)
    floor(path)  # warm the file cache, as every later step finds it
    t_floor, _ = _timed(lambda: floor(path))
    rows: list[tuple[str, float, str]] = [("floor: DuckDB SUM/COUNT/MAX by customer", t_floor, "floor")]
    as_of = parquet_as_of(path)
    # The references run first, each in its own process, while this one holds no table yet: at 10M rows a
    # pandas reference and the engine table together would need twice the memory.
    references = {tool: reference_summary(tool, path, as_of) for tool in REFERENCES} if baselines else {}
    t_load, tx = _timed(lambda: load_engine(path))
    rows.append(("load parquet into the engine", t_load, "load into engine"))
    if _as_of(tx) != as_of:
        raise RuntimeError(f"as-of date of the loaded table {_as_of(tx)} differs from the file's {as_of}")
    chosen = ["btyd_summary"] if btyd_only else steps
    results: dict[str, Any] = {}
    for name, step in _steps(as_of).items():
        if chosen is None or name in chosen:
            seconds, results[name] = _timed(lambda step=step: step(fresh(tx)))
            rows.append((name, seconds, name))
    t_btyd = next((s for n, s, _ in rows if n == "btyd_summary"), float("nan"))
    extra: list[str] = []
    headlines: list[str] = []
    if not btyd_only:
        touched = EngineTransactions(load_engine(path).to_ibis(), quality=tx.quality)
        t_engine, _ = _timed(lambda: full_build(touched, as_of))
        if touched.touched:
            extra.append(
                "Some step read Transactions.data (the order_date column was loaded into pandas for it)."
            )
        if contract:
            t_read, _ = _timed(lambda: segkit.read_transactions(path))
            rows.append(
                ("read_transactions (the public data contract)", t_read, "read_transactions (contract)")
            )
        t_full, _ = _timed(lambda: public_build(path))
        rows.append(("full build: read_transactions + all steps on one snapshot", t_full, "full build"))
        t_engine += t_load
        rows.append(
            ("full build, engine only (load + all steps, one snapshot)", t_engine, "full build (engine only)")
        )
        headlines = [
            f"full build: {t_full / t_floor:.1f} x floor",
            f"full build, engine only: {t_engine / t_floor:.1f} x floor",
        ]
    for tool, figures in references.items():
        if isinstance(figures, dict):
            rows.append((REFERENCES[tool][0], figures["summary"], ""))

    lines = [
        f"### {size}: {n_rows:,} rows, {n_rows // 10:,} customers",
        "",
        "| step | seconds | x floor | peak MiB (own process) |",
        "|---|---:|---:|---:|",
    ]
    peaks: dict[str, float] = {}
    for name, seconds, child in rows:
        if child and memory:
            peaks[child] = peak_mib(size, child)
        peak = f"{peaks[child]:,.0f}" if child in peaks else "-"
        lines.append(f"| {name} | {seconds:.2f} | {seconds / t_floor:.1f} | {peak} |")
        print(lines[-1], flush=True)
    if headlines or extra:
        lines += ["", *headlines, *extra]
    for line in [*headlines, *extra]:
        print(line)
    if csv and not btyd_only:
        lines += csv_build(size, memory)
    differs: list[str] = []
    if baselines:
        ours = results.get("btyd_summary")
        if ours is None:
            ours = segkit.btyd_summary(fresh(tx), as_of=as_of)
        table, differs = btyd_comparison(
            path, size, as_of, t_btyd, t_load, ours, references, memory, contract
        )
        lines += table
    return [*lines, ""], differs


def csv_build(size: str, memory: bool) -> list[str]:
    """The full build from the same lines as a CSV file, against DuckDB reading that CSV (its own floor).

    A CSV export is read by the data contract's text reader (encoding, separator, header row, decimal mark
    and date layout found from the file), so its floor is DuckDB's CSV reader, not the parquet scan.
    """
    path = make_csv(size)
    floor(path)  # warm the file cache
    t_floor, _ = _timed(lambda: floor(path))
    t_full, _ = _timed(lambda: public_build(path))
    rows = [
        ("floor: DuckDB read_csv, SUM/COUNT/MAX by customer", t_floor, "floor (csv)"),
        ("full build: read_transactions(CSV) + all steps on one snapshot", t_full, "full build (csv)"),
    ]
    lines = ["", "| from CSV | seconds | x CSV floor | peak MiB (own process) |", "|---|---:|---:|---:|"]
    for name, seconds, child in rows:
        peak = f"{peak_mib(size, child):,.0f}" if memory else "-"
        lines.append(f"| {name} | {seconds:.2f} | {seconds / t_floor:.1f} | {peak} |")
        print(lines[-1], flush=True)
    headline = f"full build from CSV: {t_full / t_floor:.1f} x DuckDB reading the CSV"
    print(headline)
    return [*lines, "", headline]


def btyd_comparison(
    path: Path,
    size: str,
    as_of: pd.Timestamp,
    t_btyd: float,
    t_load: float,
    ours: pd.DataFrame,
    references: dict[str, dict[str, Any] | str],
    memory: bool,
    contract: bool,
) -> tuple[list[str], list[str]]:
    """segkit's BTYD summary beside the references': the summary itself, end to end, memory, equality.

    "Summary" times each on purchases already in memory (segkit: the engine table of the load; the
    references: a pandas frame read from the parquet); "end to end" adds reading the parquet. segkit's
    end-to-end row loads the parquet into the engine (with the facts the benchmark's loader computes) and
    summarises, timed as one; the public path is ``read_transactions`` (the data contract) and the summary.
    Returns the report's lines and the references whose summary differs from segkit's.
    """
    t_e2e, _ = _timed(lambda: segkit.btyd_summary(load_engine(path), as_of=as_of))
    peak_engine = f"{peak_mib(size, 'btyd_summary'):,.0f}" if memory else "-"
    table = [
        "| BTYD summary | summary s | read s | end to end s | peak MiB (own process, end to end) | equals segkit |",
        "|---|---:|---:|---:|---:|---|",
        f"| segkit {segkit.__version__} btyd_summary | {t_btyd:.2f} | {t_load:.2f} | {t_e2e:.2f} | {peak_engine} | - |",
    ]
    t_public = float("nan")
    if contract:
        t_public, _ = _timed(lambda: segkit.btyd_summary(segkit.read_transactions(path)))
        peak = f"{peak_mib(size, 'btyd public'):,.0f}" if memory else "-"
        table.append(
            f"| segkit read_transactions + btyd_summary (public path) | - | - | {t_public:.2f} | {peak} | - |"
        )
    ratios: list[str] = []
    e2e_ratios: list[str] = []
    public_ratios: list[str] = []
    notes: list[str] = []
    differs: list[str] = []
    for tool, figures in references.items():
        if isinstance(figures, str):
            notes.append(f"{tool}: {figures}")
            continue
        difference = summary_difference(ours, figures["frame"])
        if difference is not None:
            differs.append(f"{tool} at {size}: {difference}")
        total = figures["read"] + figures["summary"]
        table.append(
            f"| {tool} {figures['version']} {REFERENCES[tool][0].split()[-1]} | {figures['summary']:.2f} | "
            f"{figures['read']:.2f} | {total:.2f} | {figures['peak_mib']:,.0f} | "
            f"{'yes' if difference is None else 'NO: ' + difference} |"
        )
        ratios.append(f"{figures['summary'] / t_btyd:.1f}x faster than {tool}")
        e2e_ratios.append(f"{total / t_e2e:.1f}x {tool}")
        public_ratios.append(f"{total / t_public:.1f}x {tool}")
    for line in table:
        print(line, flush=True)
    summary_lines = []
    if ratios:
        summary_lines.append("BTYD summary: " + ", ".join(ratios) + " (the summary itself, input in memory).")
        summary_lines.append("BTYD end to end from the parquet: " + ", ".join(e2e_ratios) + ".")
        if contract:
            summary_lines.append(
                "BTYD end to end through read_transactions (the data contract): "
                + ", ".join(public_ratios)
                + "."
            )
    for line in [*summary_lines, *notes]:
        print(line)
    return ["", *table, "", *summary_lines, *notes], differs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=os.environ.get("SIZES", "1m,10m"))
    parser.add_argument(
        "--no-contract",
        action="store_true",
        help="skip timing read_transactions on its own (the full build uses it)",
    )
    parser.add_argument("--no-baselines", action="store_true", help="skip lifetimes and pymc-marketing")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory child processes")
    parser.add_argument(
        "--no-csv", action="store_true", help="skip the full build from the same lines written as CSV"
    )
    parser.add_argument(
        "--steps", help="comma-separated steps to time one by one (default all); the full build always runs"
    )
    parser.add_argument(
        "--btyd",
        action="store_true",
        help="only the BTYD comparison: the floor, the load, btyd_summary and the references (no full builds)",
    )
    parser.add_argument("--child", nargs=2, metavar=("SIZE", "STEP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; use {sorted(SIZES)}")
    for size in sizes:
        make_parquet(size)  # before any setting below, so the files are always written the same way
    settings = _duckdb_settings()
    out = [
        "# Engine benchmark",
        "",
        f"segkit {segkit.__version__}; {os.cpu_count()} CPUs; ratios are to the floor query in the same run.",
        "",
    ]
    if settings:
        out += ["DuckDB settings for this run: " + "; ".join(settings), ""]
    differs: list[str] = []
    for size in sizes:
        lines, wrong = bench(
            size,
            contract=not args.no_contract,
            baselines=not args.no_baselines,
            memory=not args.no_memory,
            steps=None if args.steps is None else [s.strip() for s in args.steps.split(",")],
            btyd_only=args.btyd,
            csv=not args.no_csv,
        )
        out += lines
        differs += wrong
    report = RESULTS / f"engine_{'_'.join(sizes)}{'_btyd' if args.btyd else ''}.md"
    report.write_text("\n".join(out), encoding="utf-8")
    print(f"\nwritten to {report}")
    if differs:
        sys.exit("A reference's BTYD summary differs from segkit's: " + "; ".join(differs))


if __name__ == "__main__":
    main()
