"""Benchmark the run manifest's data fingerprint against a plain-pandas row hash run at the same time.

The fingerprint (segkit.report.data_fingerprint) hashes every row inside DuckDB and combines the sums, so it is
independent of row order and of the pandas version. The baseline is ``pandas.util.hash_pandas_object`` summed
over rows (also order-independent, but its values are a pandas implementation detail). Prints wall times and
the ratio fingerprint / baseline; not a test.

    .venv/bin/python bench/bench_fingerprint.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

import segkit
from segkit.report import data_fingerprint


def _best(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sample = segkit.load_report_data().data
    copies = -(-args.rows // len(sample))
    frame = pd.concat([sample] * copies, ignore_index=True).head(args.rows)
    # Make the copies distinct rows, as in a real table.
    frame["order_id"] = frame["order_id"] + "-" + (frame.index // len(sample)).astype(str)
    ours = _best(lambda: data_fingerprint(frame), args.repeat)
    baseline = _best(lambda: int(pd.util.hash_pandas_object(frame, index=False).sum()), args.repeat)
    print(f"rows: {len(frame):,}, columns: {len(frame.columns)}")
    print(f"data_fingerprint (DuckDB md5 multiset): {ours:6.2f} s")
    print(f"pandas hash_pandas_object baseline:     {baseline:6.2f} s")
    print(f"ratio fingerprint / baseline:           {ours / baseline:6.2f}")


if __name__ == "__main__":
    main()
