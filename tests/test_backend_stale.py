"""Spill and table folders left by killed segkit processes are removed by the next one."""

import os
import subprocess
import sys

from segkit._backend import remove_stale_folders


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_folders_of_processes_that_no_longer_run_are_removed(tmp_path):
    dead = _dead_pid()
    stale = [tmp_path / f"segkit-duckdb-{dead}", tmp_path / f"segkit-tables-{dead}"]
    kept = [
        tmp_path / f"segkit-duckdb-{os.getpid()}",
        tmp_path / f"other-{dead}",
        tmp_path / "segkit-duckdb-x",
    ]
    for folder in stale + kept:
        folder.mkdir()
        (folder / "spill.tmp").write_bytes(b"0" * 1024)
    assert sorted(remove_stale_folders(tmp_path)) == sorted(stale)
    assert not any(f.exists() for f in stale) and all(f.exists() for f in kept)


def test_opening_the_engine_removes_a_killed_run_spill(tmp_path):
    stale = tmp_path / f"segkit-duckdb-{_dead_pid()}"
    stale.mkdir()
    (stale / "duckdb_temp_storage.tmp").write_bytes(b"0" * 4096)
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("SEGKIT_TEMP", None)
    subprocess.run(
        [sys.executable, "-c", "import segkit._backend as b; b.connection()"],
        env=env,
        check=True,
        timeout=120,
    )
    assert not stale.exists()
