"""Benchmark the segment build against the floor query, on deterministic synthetic parquet files.

For each size (1M rows with 100k customers, 10M rows with 1M customers) it generates a parquet file under
``bench/results/`` once, then times in one process:

* the **floor**: DuckDB reading the parquet and computing SUM / COUNT / MAX by customer (into pandas);
* each step of the segment build -- RFM with named segments, ABC, XYZ, ABC-XYZ, customer status, the
  cohort matrix, the BTYD summary -- each from a fresh snapshot, so it pays for its own aggregates;
* the **full build** through the public path a user takes: ``segkit.read_transactions(parquet)``, then
  every step on one ``segkit.snapshot(...)`` (the headline ``full build: N x floor``);
* the engine-only full build: the parquet loaded straight into an engine table (no data contract), then
  every step on one snapshot -- what the engine itself costs;
* the BTYD summary of lifetimes (and of pymc-marketing, when its separate environment exists) on the
  same purchases.

Peak memory of each step is measured in a separate process (``ru_maxrss`` of a child that loads the data
and runs that step only). Timings depend on the machine; the ratios to the floor are what to compare.

    .venv/bin/python bench/bench_engine.py [--sizes 1m,10m] [--no-contract] [--no-baselines]

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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

import segkit
from segkit._backend import connection

RESULTS = Path(__file__).resolve().parent / "results"
PYMC_PYTHON = Path(os.environ.get("SEGKIT_BENCH_PYMC", Path(__file__).resolve().parents[2] / "benchenv"))
PYMC_PYTHON = PYMC_PYTHON / "bin" / "python"
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
    sql = (
        "SELECT customer_id, SUM(amount) AS revenue, COUNT(*) AS n, MAX(order_date) AS last "
        f"FROM read_parquet('{path}') GROUP BY customer_id"
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


def lifetimes_summary(path: Path, as_of: pd.Timestamp) -> Callable[[], Any]:
    from lifetimes.utils import summary_data_from_transaction_data

    frame = (
        connection()
        .con.execute(f"SELECT customer_id, order_date, amount FROM read_parquet('{path}') WHERE amount > 0")
        .df()
    )
    end = as_of - pd.Timedelta(days=1)
    return lambda: summary_data_from_transaction_data(
        frame, "customer_id", "order_date", monetary_value_col="amount", observation_period_end=end, freq="D"
    )


_PYMC_SCRIPT = """
import sys, time, pandas as pd
from pymc_marketing.clv.utils import rfm_summary
frame = pd.read_parquet(sys.argv[1], columns=["customer_id", "order_date", "amount"])
frame = frame.loc[frame["amount"] > 0]
started = time.perf_counter()
rfm_summary(frame, "customer_id", "order_date", monetary_value_col="amount",
            observation_period_end=sys.argv[2], time_unit="D")
print(time.perf_counter() - started)
"""


def pymc_summary_seconds(path: Path, as_of: pd.Timestamp) -> float | str:
    if not PYMC_PYTHON.is_file():
        return f"skipped: no pymc-marketing environment at {PYMC_PYTHON.parents[1]}"
    end = f"{as_of - pd.Timedelta(days=1):%Y-%m-%d}"
    run = subprocess.run(
        [str(PYMC_PYTHON), "-c", _PYMC_SCRIPT, str(path), end], capture_output=True, text=True, check=False
    )
    if run.returncode != 0:
        return "skipped: pymc-marketing failed: " + (run.stderr.strip().splitlines() or ["?"])[-1]
    return float(run.stdout.strip().splitlines()[-1])


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
    elif step == "full build":
        public_build(path)
    elif step == "read_transactions (contract)":
        segkit.read_transactions(path)
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


def bench(
    size: str, *, contract: bool, baselines: bool, memory: bool, steps: list[str] | None = None
) -> list[str]:
    path = make_parquet(size)
    n_rows = SIZES[size]
    print(f"\n{size}: {n_rows:,} rows, {n_rows // 10:,} customers ({path.name})", flush=True)
    floor(path)  # warm the file cache, as every later step finds it
    t_floor, _ = _timed(lambda: floor(path))
    rows: list[tuple[str, float, str]] = [("floor: DuckDB SUM/COUNT/MAX by customer", t_floor, "floor")]
    t_load, tx = _timed(lambda: load_engine(path))
    rows.append(("load parquet into the engine", t_load, "load into engine"))
    as_of = _as_of(tx)
    for name, step in _steps(as_of).items():
        if steps is None or name in steps:
            seconds, _ = _timed(lambda step=step: step(fresh(tx)))
            rows.append((name, seconds, name))
    touched = EngineTransactions(load_engine(path).to_ibis(), quality=tx.quality)
    t_engine, _ = _timed(lambda: full_build(touched, as_of))
    t_btyd = next((s for n, s, _ in rows if n == "btyd_summary"), float("nan"))
    extra: list[str] = []
    if touched.touched:
        extra.append(
            "Some step read Transactions.data (the order_date column was loaded into pandas for it)."
        )
    if contract:
        t_read, _ = _timed(lambda: segkit.read_transactions(path))
        rows.append(("read_transactions (the public data contract)", t_read, "read_transactions (contract)"))
    t_full, _ = _timed(lambda: public_build(path))
    rows.append(("full build: read_transactions + all steps on one snapshot", t_full, "full build"))
    rows.append(
        (
            "full build, engine only (load + all steps, one snapshot)",
            t_engine + t_load,
            "full build (engine only)",
        )
    )
    t_engine += t_load
    if baselines:
        t_life, _ = _timed(lifetimes_summary(path, as_of))
        rows.append(("lifetimes summary_data_from_transaction_data", t_life, ""))
        extra.append(f"BTYD summary: {t_life / t_btyd:.1f}x faster than lifetimes.")
        pymc = pymc_summary_seconds(path, as_of)
        if isinstance(pymc, float):
            rows.append(("pymc-marketing rfm_summary", pymc, ""))
            extra.append(f"BTYD summary: {pymc / t_btyd:.1f}x faster than pymc-marketing.")
        else:
            extra.append(f"pymc-marketing: {pymc}")

    lines = [
        f"### {size}: {n_rows:,} rows, {n_rows // 10:,} customers",
        "",
        "| step | seconds | x floor | peak MiB (own process) |",
        "|---|---:|---:|---:|",
    ]
    for name, seconds, child in rows:
        peak = f"{peak_mib(size, child):,.0f}" if child and memory else "-"
        lines.append(f"| {name} | {seconds:.2f} | {seconds / t_floor:.1f} | {peak} |")
        print(lines[-1], flush=True)
    headline = f"full build: {t_full / t_floor:.1f} x floor"
    engine_line = f"full build, engine only: {t_engine / t_floor:.1f} x floor"
    lines += ["", headline, engine_line, *extra, ""]
    print(headline)
    print(engine_line)
    for line in extra:
        print(line)
    return lines


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
        "--steps", help="comma-separated steps to time one by one (default all); the full build always runs"
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
    for size in sizes:
        out += bench(
            size,
            contract=not args.no_contract,
            baselines=not args.no_baselines,
            memory=not args.no_memory,
            steps=None if args.steps is None else [s.strip() for s in args.steps.split(",")],
        )
    report = RESULTS / f"engine_{'_'.join(sizes)}.md"
    report.write_text("\n".join(out), encoding="utf-8")
    print(f"\nwritten to {report}")


if __name__ == "__main__":
    main()
