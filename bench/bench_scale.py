"""Scale benchmark: the segment build and ``segkit report`` on 10M and 100M rows, out of core.

For each size it uses a deterministic synthetic parquet file (``transactions_<size>.parquet`` under
``bench/results/``, or ``--data-dir``): 10M rows with 1M customers, 100M rows with 10M customers, from
``bench/bench_engine.py``'s generator (the same SQL pattern; sizes that file does not define are generated
here with it). Then, each in a child process so that its peak memory is its own:

* **build**: ``read_transactions`` (the whole data contract, checked in the engine), then the full segment
  build (RFM with segments, ABC, XYZ, ABC-XYZ, status, cohort matrix, BTYD
  summary, the same steps as ``bench_engine.full_build``) with DuckDB's memory limit and spill folder as the
  kit sets them (``SEGKIT_MEMORY_LIMIT`` / ``--memory-limit``, ``SEGKIT_TEMP``); it reports the time, the
  peak resident memory (VmHWM) and the most data spilled to disk at once;
* **report**: ``segkit report --data <parquet>`` into a scratch folder; it reports the wall time, the peak
  memory of the whole process tree (the runner and its kernels, sampled every second), the largest single
  process, each notebook's time from ``run.json`` and the load average before and after the run.

Disk: 100M rows are about 1.5 GB of parquet, plus the spill and the report's canonical copy; check
``df -h`` first. On 2 cores the 100M runs take long; progress lines are printed as they go.

    .venv/bin/python bench/bench_scale.py --rows 10m,100m [--only build|report] [--memory-limit 4GB]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_engine  # noqa: E402  (the generator and the build steps live there)

SIZES = {"1m": 1_000_000, "10m": 10_000_000, "100m": 100_000_000}


# ------------------------------------------------------------------------------------------------
# data
# ------------------------------------------------------------------------------------------------


def parquet_for(size: str, data_dir: Path) -> Path:
    """The size's parquet in ``data_dir``: an existing file is used as it is, a missing one generated."""
    path = data_dir / f"transactions_{size}.parquet"
    if path.is_file():
        return path
    if data_dir.resolve() == bench_engine.RESULTS.resolve() and size in bench_engine.SIZES:
        return bench_engine.make_parquet(size)
    return _generate(size, path)


def _generate(size: str, path: Path) -> Path:
    """bench_engine's generator SQL for a size it does not define, written to ``path``.

    The SQL is taken from ``bench_engine.make_parquet`` by running it with that size registered, so the
    data follows exactly the same pattern (two lines per order, one customer per ten lines).
    """
    print(
        f"generating {path.name} ({SIZES[size]:,} rows); this sorts the rows by date, out of core", flush=True
    )
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    saved_sizes, saved_results = dict(bench_engine.SIZES), bench_engine.RESULTS
    bench_engine.SIZES[size] = SIZES[size]
    bench_engine.RESULTS = path.parent
    try:
        bench_engine.make_parquet(size)
    finally:
        bench_engine.SIZES.clear()
        bench_engine.SIZES.update(saved_sizes)
        bench_engine.RESULTS = saved_results
    print(f"  generated in {time.perf_counter() - started:.0f} s ({path.stat().st_size / 2**30:.2f} GiB)")
    return path


# ------------------------------------------------------------------------------------------------
# the build, in a child process
# ------------------------------------------------------------------------------------------------


def _child_build(path: Path) -> None:
    from segkit._backend import connection, table_folder

    spill = _SpillWatch(Path(connection().raw_sql("SELECT current_setting('temp_directory')").fetchone()[0]))
    stored = _SpillWatch(table_folder())  # the canonical table of a large base, written there once
    limit = connection().raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
    started = time.perf_counter()
    import segkit

    tx = segkit.read_transactions(path)  # the whole data contract, checked in the engine
    loaded = time.perf_counter() - started
    print(
        f"  read_transactions: {loaded:.1f} s, peak {bench_engine._high_water_mib():.0f} MiB",
        file=sys.stderr,
        flush=True,
    )
    as_of = bench_engine._as_of(tx)
    steps = {}
    for name, step in bench_engine._steps(as_of).items():
        t0 = time.perf_counter()
        step(tx)
        steps[name] = round(time.perf_counter() - t0, 1)
        print(f"  {name}: {steps[name]:.1f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    spill.stop()
    stored.stop()
    record = {
        "seconds": round(seconds, 1),
        "load_seconds": round(loaded, 1),
        "steps": steps,
        "peak_mib": round(bench_engine._high_water_mib()),
        "memory_limit": limit,
        "spilled_mib": round(spill.peak / 2**20),
        "stored_mib": round(stored.peak / 2**20),
    }
    print(json.dumps(record))


class _SpillWatch:
    """The largest size of DuckDB's spill folder during a run, sampled every half second."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.peak, self._done = folder, 0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(0.5):
            self.peak = max(self.peak, _folder_bytes(self.folder))

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _folder_bytes(folder: Path) -> int:
    total = 0
    for file in folder.rglob("*") if folder.is_dir() else ():
        try:
            total += file.stat().st_size
        except OSError:  # DuckDB removed it meanwhile
            pass
    return total


def build(path: Path, env: dict[str, str]) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, __file__, "--child-build", str(path)],
        capture_output=False,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        check=False,
    )
    if run.returncode != 0:
        return {"error": f"exit code {run.returncode}"}
    return json.loads(run.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------------
# the report runner, as the command line runs it
# ------------------------------------------------------------------------------------------------


def _tree_rss(root: int) -> tuple[int, int]:
    """Resident memory (bytes) of ``root`` and all its descendants, and of the largest of them."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        children.setdefault(int(fields.get("PPid", "0").strip() or 0), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
    total, largest, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        largest = max(largest, rss.get(pid, 0))
        todo += children.get(pid, [])
    return total, largest


def report(path: Path, env: dict[str, str], jobs: int | None) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix="segkit-bench-report-"))
    command = [
        str(Path(sys.executable).with_name("segkit")),
        "report",
        "--data",
        str(path),
        "--out",
        str(out),
    ]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak_total = peak_one = 0
    lines: list[str] = []
    reader = threading.Thread(target=lambda: _echo(process, lines), daemon=True)
    reader.start()
    while process.poll() is None:
        total, largest = _tree_rss(process.pid)
        peak_total, peak_one = max(peak_total, total), max(peak_one, largest)
        time.sleep(1)
    reader.join()
    seconds = time.perf_counter() - started
    record: dict[str, Any] = {
        "seconds": round(seconds, 1),
        "exit_code": process.returncode,
        "peak_tree_mib": round(peak_total / 2**20),
        "peak_process_mib": round(peak_one / 2**20),
        # On a shared machine the wall time follows the load: quote it with the figures.
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }
    runs = sorted(out.glob("*/run.json"))
    if runs:
        notebooks = json.loads(runs[0].read_text(encoding="utf-8")).get("notebooks", [])
        record["notebooks"] = {nb.get("name"): nb.get("seconds") for nb in notebooks}
        record["failed"] = [nb.get("name") for nb in notebooks if not nb.get("ok", True)]
    else:
        record["log_tail"] = lines[-5:]
    shutil.rmtree(out, ignore_errors=True)
    return record


def _echo(process: subprocess.Popen, lines: list[str]) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        lines.append(line.rstrip())
        print(f"  | {line.rstrip()}", flush=True)


# ------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10m,100m", help="comma-separated sizes: 1m, 10m, 100m")
    parser.add_argument("--only", choices=["build", "report"], help="run only the build or only the report")
    parser.add_argument(
        "--data-dir", type=Path, default=bench_engine.RESULTS, help="where the parquet files are"
    )
    parser.add_argument("--memory-limit", help="DuckDB memory limit per process (default: the kit's default)")
    parser.add_argument("--jobs", type=int, help="notebooks the report runs at once (default: the runner's)")
    parser.add_argument("--child-build", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_build:
        _child_build(args.child_build)
        return
    sizes = [s.strip() for s in args.rows.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; use {sorted(SIZES)}")
    env = dict(os.environ)
    if args.memory_limit:
        env["SEGKIT_MEMORY_LIMIT"] = args.memory_limit
    lines = ["# Scale benchmark", "", f"{os.cpu_count()} CPUs; {_ram_gib():.0f} GiB RAM.", ""]
    for size in sizes:
        path = parquet_for(size, args.data_dir)
        print(f"\n{size}: {path} ({path.stat().st_size / 2**30:.2f} GiB)", flush=True)
        lines.append(f"## {size} ({SIZES[size]:,} rows, {SIZES[size] // 10:,} customers)")
        if args.only != "report":
            print("full segment build (child process) ...", flush=True)
            result = build(path, env)
            print(f"  build: {json.dumps(result)}", flush=True)
            lines.append(f"- full build: {json.dumps(result)}")
        if args.only != "build":
            print("segkit report ...", flush=True)
            result = report(path, env, args.jobs)
            print(f"  report: {json.dumps(result)}", flush=True)
            lines.append(f"- segkit report: {json.dumps(result)}")
        lines.append("")
    target = bench_engine.RESULTS / f"scale_{'_'.join(sizes)}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines), encoding="utf-8")
    print(f"\nwritten to {target}")


def _ram_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


if __name__ == "__main__":
    main()
