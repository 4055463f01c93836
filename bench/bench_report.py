"""`segkit report` wall time, with kernels forked from the run's fork server against kernels started from scratch.

Both runs happen in this process, one after the other, on the same data (the bundled sample by default, or a
parquet such as ``bench/results/transactions_1m.parquet``), so the ratio is measured under the same load.
Prints each page's seconds, the whole run and the ratio; ``--out`` keeps the reports (default: a temporary
folder). Run on a quiet machine: ``python bench/bench_report.py [--data FILE] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import segkit
from segkit.report._forkserver import FORK_ENV


def _run(data: str | None, out: Path, jobs: int | None, fork: bool) -> tuple[float, dict[str, float]]:
    os.environ[FORK_ENV] = "1" if fork else "0"
    started = time.perf_counter()
    result = segkit.run_report(data, output=out, force=True, jobs=jobs, progress=lambda _: None)
    seconds = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"the report failed: {result.failed}")
    return seconds, {run.name: run.seconds for run in result.runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="transactions file (default: the bundled sample)")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="segkit-bench-report-"))
    load = os.getloadavg()[0]
    fresh, fresh_pages = _run(args.data, out / "fresh", args.jobs, fork=False)
    forked, forked_pages = _run(args.data, out / "forked", args.jobs, fork=True)
    print(f"segkit report on {args.data or 'the bundled sample'} (load average at start {load:.1f})")
    print("| page | kernels from scratch, s | forked kernels, s |\n|---|---|---|")
    for name in fresh_pages:
        print(f"| {name} | {fresh_pages[name]:.1f} | {forked_pages[name]:.1f} |")
    print(f"| **whole run** | **{fresh:.1f}** | **{forked:.1f}** |")
    print(f"forked kernels: {fresh / forked:.2f}x faster than kernels started from scratch")


if __name__ == "__main__":
    main()
