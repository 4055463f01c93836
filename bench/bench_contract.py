"""Benchmark the data contract (``segkit.read_transactions``) against DuckDB reading the same file.

For each size and format, a deterministic file is generated once (``bench/results/contract_data/``), then
each reader runs in its own fresh process so that its time and peak memory are its own:

* ``duckdb``: DuckDB's own ``read_csv`` / ``read_parquet`` into a table (types sniffed by DuckDB);
* ``segkit``: ``read_transactions`` with every check (duplicates, ids, decimal detection over all values,
  date layouts, policies, the quality report), ending with the canonical Arrow table.

Prints wall time, CPU time (user + system of the reader's process, all its threads), peak resident memory
and the ratio segkit / DuckDB; writes the table to ``bench/results/contract.txt``. Not a test: ratios are
what to compare between runs and machines; on a shared machine the CPU seconds vary much less than the
wall time.

``--engine FILE.parquet ...`` times the engine path instead: ``read_transactions(path)`` on a typed Parquet
file (checked in DuckDB, never pulled into Python) against the floor query (per-customer SUM / COUNT / MAX
over the same file into pandas) in the same process, and its peak memory in a process of its own; the
table goes to ``bench/results/contract_engine.txt``.

    .venv/bin/python bench/bench_contract.py                 # 1M and 10M rows
    .venv/bin/python bench/bench_contract.py --sizes 1000000 # one size
    .venv/bin/python bench/bench_contract.py --engine bench/results/transactions_1m.parquet
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def make_table(n: int, seed: int = 20240701) -> pa.Table:
    """``n`` transaction lines of ``n // 10`` customers over two years (deterministic)."""
    rng = np.random.default_rng(seed)
    customers = rng.integers(0, max(n // 10, 1), n)
    seconds = rng.integers(0, 2 * 365 * 86_400, n)
    dates = np.datetime64("2022-01-01T00:00:00", "s") + seconds.astype("timedelta64[s]")
    amount = np.round(rng.gamma(2.0, 40.0, n), 2)
    amount[rng.random(n) < 0.03] *= -1  # returns
    return pa.table(
        {
            "customer_id": pa.array(np.char.add("C", customers.astype(str))),
            "order_id": pa.array(np.char.add("O", (np.arange(n) // 3).astype(str))),
            "order_date": pa.array(dates),
            "amount": pa.array(amount),
            "quantity": pa.array(rng.integers(1, 5, n)),
        }
    )


def ensure_files(n: int) -> dict[str, Path]:
    folder = RESULTS / "contract_data"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"parquet": folder / f"tx_{n}.parquet", "csv": folder / f"tx_{n}.csv"}
    if not all(p.exists() for p in paths.values()):
        table = make_table(n)
        pq.write_table(table, paths["parquet"])
        pacsv.write_csv(table, paths["csv"])
    return paths


def _cpu_seconds() -> float:
    """User plus system time of this process so far, every thread included."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_one(reader: str, path: str) -> None:
    """Child process: run one reader on one file and print its time and peak memory as JSON."""
    if reader == "duckdb":
        import duckdb

        con = duckdb.connect(config={"threads": 2})
        func = "read_parquet" if path.endswith(".parquet") else "read_csv"
        cpu, started = _cpu_seconds(), time.perf_counter()
        con.execute(f"CREATE TABLE t AS SELECT * FROM {func}('{path}')")
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    else:
        import segkit

        segkit._backend.connection()  # connection start-up is not reading
        cpu, started = _cpu_seconds(), time.perf_counter()
        tx = segkit.read_transactions(path, order="order_id", quantity="quantity")
        rows = tx.quality.rows_read
    elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    print(json.dumps({"seconds": elapsed, "cpu": cpu, "peak_mib": _peak_mib(), "rows": rows}))


FLOOR = "SELECT customer_id, SUM(amount), COUNT(*), MAX(order_date) FROM read_parquet('{path}') GROUP BY 1"


def run_engine(path: str, with_floor: bool) -> None:
    """Child process: the floor query and the engine contract on one Parquet file, timed in this process."""
    import segkit

    con = segkit._backend.connection()
    out: dict = {}
    if with_floor:
        started = time.perf_counter()
        con.con.execute(FLOOR.format(path=path)).df()
        out["floor"] = time.perf_counter() - started
    cpu, started = _cpu_seconds(), time.perf_counter()
    tx = segkit.read_transactions(path)
    out["contract"] = time.perf_counter() - started
    out["cpu"] = _cpu_seconds() - cpu
    out["rows"] = tx.quality.rows_read
    out["engine"] = bool(tx._from_engine)
    out["peak_mib"] = _peak_mib()
    print(json.dumps(out))


def engine_main(paths: list[str]) -> None:
    lines = [
        f"{'rows':>11} {'floor s':>8} {'contract s':>10} {'cpu s':>6} {'ratio':>6} {'peak MiB':>9} {'goal':>5}"
    ]
    print(lines[0], flush=True)
    for path in paths:
        timed = _child(["--engine-child", path, "floor"])
        alone = _child(["--engine-child", path, "alone"])  # peak memory of the contract by itself
        assert timed["engine"] and alone["engine"], "the file was not read by the engine path"
        ratio = timed["contract"] / timed["floor"]
        line = (
            f"{timed['rows']:>11,} {timed['floor']:>8.2f} {timed['contract']:>10.2f} {timed['cpu']:>6.1f} "
            f"{ratio:>5.1f}x "
            f"{alone['peak_mib']:>9.0f} {4:>4}x"
        )
        lines.append(line)
        print(line, flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "contract_engine.txt").write_text("\n".join(lines) + "\n")


def _child(args: list[str]) -> dict:
    """Run this script with ``args`` in a fresh process; its last output line is a JSON record."""
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--engine", nargs="+", metavar="PARQUET", help="time the engine path on these files")
    parser.add_argument("--child", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--engine-child", nargs=2, metavar=("PATH", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_one(*args.child)
        return
    if args.engine_child:
        run_engine(args.engine_child[0], with_floor=args.engine_child[1] == "floor")
        return
    if args.engine:
        engine_main(args.engine)
        return
    lines = [
        f"{'rows':>11} {'format':>8} {'duckdb s':>9} {'segkit s':>9} {'ratio':>6} {'duckdb cpu':>10} "
        f"{'segkit cpu':>10} {'duckdb MiB':>11} {'segkit MiB':>11} {'goal':>5}"
    ]
    print(lines[0], flush=True)
    for n in args.sizes:
        paths = ensure_files(n)
        for fmt, goal in (("parquet", 3), ("csv", 5)):
            base = _child(["--child", "duckdb", str(paths[fmt])])
            ours = _child(["--child", "segkit", str(paths[fmt])])
            assert base["rows"] == ours["rows"] == n, (base, ours)
            ratio = ours["seconds"] / base["seconds"]
            line = (
                f"{n:>11,} {fmt:>8} {base['seconds']:>9.2f} {ours['seconds']:>9.2f} {ratio:>5.1f}x "
                f"{base['cpu']:>10.1f} {ours['cpu']:>10.1f} {base['peak_mib']:>11.0f} {ours['peak_mib']:>11.0f} "
                f"{goal:>4}x"
            )
            lines.append(line)
            print(line, flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "contract.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
