"""A throwaway PostgreSQL server for the SQL-source tests, started from the system's packages.

The fixture looks for ``initdb`` and ``pg_ctl`` under ``/usr/lib/postgresql/*/bin`` (the Debian/Ubuntu
``postgresql`` package) or on ``PATH``, creates a cluster in a temporary folder, starts it on a free local
port with trust authentication, and stops and removes it afterwards. Without the binaries, without the
``psycopg`` driver, or when the server does not start, the tests that use it are skipped with the reason.
PostgreSQL refuses to run as root; as root the server runs as the ``postgres`` system user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["postgres_url"]


def _bin_dir() -> Path | None:
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").is_file() and Path(folder, "pg_ctl").is_file():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_user() -> tuple[list[str], int | None]:
    """The command prefix that runs the server as a non-root user, and that user's id."""
    if os.geteuid() != 0:
        return [], None
    import pwd

    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root without runuser to start PostgreSQL as the 'postgres' user")
    return [runuser, "-u", "postgres", "--"], user.pw_uid


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """``postgresql://segkit@127.0.0.1:PORT/postgres`` of a server that lives for the test session."""
    pytest.importorskip("psycopg", reason="the PostgreSQL driver (segkit[postgres]) is not installed")
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (no initdb/pg_ctl); apt-get install postgresql to run these")
    prefix, uid = _as_user()
    root = Path(tempfile.mkdtemp(prefix="segkit-pg-"))
    if uid is not None:
        os.chown(root, uid, -1)
    data, log, port = root / "data", root / "server.log", _free_port()
    try:
        subprocess.run(
            [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "segkit", "-A", "trust", "-E", "UTF8"]
            + ["--no-locale", "--no-sync"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w"]
            + ["-t", "60", "start"],
            check=True,
            capture_output=True,
            timeout=120,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = log.read_text()[-500:] if log.exists() else getattr(exc, "stderr", b"") or b""
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start: {exc}; {detail!r}")
    try:
        yield f"postgresql://segkit@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)
