"""Benchmark the engine layer against a plain-pandas baseline run at the same time.

Prints wall time and peak memory of each step and the ratio engine / pandas (below 1 means the engine is
faster). Not a test: timings depend on the machine, ratios are what to compare between runs.

    .venv/bin/python bench/bench_engine.py [--customers 200000] [--repeat 3]
    .venv/bin/python bench/bench_engine.py --online-retail   # the real UCI file, when ../shared/data exists
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

import segkit
from segkit.datasets import make_transactions

ONLINE_RETAIL = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
)


def _status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _measure(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best wall time, and the peak resident memory the step added (MiB).

    Resident memory, not tracemalloc: DuckDB allocates outside Python's allocator. Writing 5 to
    /proc/self/clear_refs resets the kernel's high-water mark (Linux), so each step's peak is its own.
    """
    best = float("inf")
    peak = 0.0
    for _ in range(repeat):
        Path("/proc/self/clear_refs").write_text("5")
        baseline = _status_mib("VmRSS")
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
        peak = max(peak, _status_mib("VmHWM") - baseline)
    return best, peak


def _pandas_summary(data: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The same columns as segkit.customer_summary, the way a notebook would write it in pandas."""
    before = data[data["order_date"] < as_of]
    buys = before[~before["is_return"]]
    out = buys.groupby("customer_id").agg(
        first_purchase=("order_date", "min"),
        last_purchase=("order_date", "max"),
        n_orders=("order_id", "nunique"),
        gross_revenue=("amount", "sum"),
        margin=("margin", "sum") if "margin" in data else ("amount", "size"),
    )
    out["n_purchase_days"] = (
        buys.assign(day=buys["order_date"].dt.normalize()).groupby("customer_id")["day"].nunique()
    )
    grouped = before.groupby("customer_id")
    out["revenue"] = grouped["amount"].sum()
    out["n_returns"] = before[before["is_return"]].groupby("customer_id")["order_id"].nunique()
    out["n_returns"] = out["n_returns"].fillna(0).astype("int64")
    out["recency_days"] = (as_of - out["last_purchase"].dt.normalize()).dt.days
    out["tenure_days"] = (as_of - out["first_purchase"].dt.normalize()).dt.days
    return out


def _pandas_periods(data: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Dense customer x month revenue and order counts, as segkit.customer_periods(fill_zeros=True)."""
    before = data[data["order_date"] < as_of]
    month = before["order_date"].dt.to_period("M").rename("period")
    sparse = before.groupby(["customer_id", month]).agg(
        revenue=("amount", "sum"), n_orders=("order_id", "nunique")
    )
    months = pd.period_range(month.min(), month.max(), freq="M")
    grid = pd.MultiIndex.from_product([sparse.index.levels[0], months], names=["customer_id", "period"])
    return sparse.reindex(grid, fill_value=0).reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--online-retail", action="store_true")
    args = parser.parse_args()

    if args.online_retail:
        tx = segkit.read_transactions(
            ONLINE_RETAIL,
            customer="CustomerID",
            date="InvoiceDate",
            order="InvoiceNo",
            quantity="Quantity",
            price="UnitPrice",
            cancel_prefix="C",
        )
        label = "UCI Online Retail"
    else:
        raw, _ = make_transactions(args.customers, seed=1)
        tx = segkit.read_transactions(raw)
        label = f"generated, {args.customers:,} customers"
    as_of = tx.default_as_of
    segkit.customer_summary(tx)  # registers the table with DuckDB once, as a notebook session would
    print(f"{label}: {len(tx):,} lines; best of {args.repeat}")
    print(f"{'step':<28}{'engine s':>10}{'pandas s':>10}{'ratio':>8}{'engine MiB':>12}{'pandas MiB':>12}")
    steps = {
        "customer summary": (lambda: segkit.customer_summary(tx), lambda: _pandas_summary(tx.data, as_of)),
        "customer x month (dense)": (
            lambda: segkit.customer_periods(tx, fill_zeros=True),
            lambda: _pandas_periods(tx.data, as_of),
        ),
    }
    for name, (engine, baseline) in steps.items():
        e_time, e_mem = _measure(engine, args.repeat)
        p_time, p_mem = _measure(baseline, args.repeat)
        print(f"{name:<28}{e_time:>10.3f}{p_time:>10.3f}{e_time / p_time:>8.2f}{e_mem:>12.1f}{p_mem:>12.1f}")


if __name__ == "__main__":
    main()
