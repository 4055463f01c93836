"""SQL sources: a table or a SELECT in a DuckDB file, PostgreSQL or any Ibis backend, named by a URL.

The source is opened with Ibis (``ibis.connect``). Typed sources are checked where they are by the engine
contract (``_engine.py``): a DuckDB file's tables, views and ``query=`` run on the shared connection (the file
attached read-only), a warehouse runs the checks as SQL in the server. What is read here instead, by fetching
the mapped columns as Arrow and running the Arrow contract on them exactly as on a file, is what needs the
Arrow contract's parsing: DuckDB sources whose dates or amounts are text (a 1C export loaded as is). The column
mapping is resolved against the table's schema with the contract's own rules before anything is fetched.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa

from .._errors import DataContractError, ParameterError, format_examples
from .._progress import engine_progress, progress
from ._files import Loaded

__all__ = ["is_sql_url", "load_sql"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
#: Python packages each backend needs, and the pip line that brings them.
_DRIVERS = {
    "postgres": 'pip install "segkit[postgres]"',
    "postgresql": 'pip install "segkit[postgres]"',
    "pyspark": 'pip install "segkit[spark]"',
}
_BATCH_ROWS = 1_000_000
_SELECT = re.compile(r"^\s*(\(\s*)*(select|with)\b", re.IGNORECASE)


def is_sql_url(source: Any) -> bool:
    """Whether ``source`` is a database URL such as ``duckdb:///base.duckdb`` or ``postgresql://host/db``.

    Examples
    --------
    >>> is_sql_url("duckdb:///data/base.duckdb"), is_sql_url("data/sales.csv")
    (True, False)
    """
    return isinstance(source, str) and bool(_URL.match(source))


def masked(url: str) -> str:
    """The URL with its password replaced by ``***`` (it appears in messages and the quality report).

    Examples
    --------
    >>> masked("postgresql://shop:s3cret@db.local:5432/crm")
    'postgresql://shop:***@db.local:5432/crm'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].lower()


def _duckdb_path(url: str) -> Path:
    """The database file of a ``duckdb://`` URL.

    Ibis reads ``duckdb:///abs/base.duckdb`` as an absolute path and ``duckdb://base.duckdb`` as relative;
    ``duckdb:///base.duckdb`` is also taken relative to the current folder when there is no such absolute
    file (the SQLAlchemy reading), so both spellings in circulation work.
    """
    rest = url.split("://", 1)[1].split("?", 1)[0]
    if not rest or rest == ":memory:":
        raise ParameterError(
            f"The DuckDB URL {url!r} names no database file; write duckdb:///path/to/base.duckdb."
        )
    candidates = [Path(rest)] if not rest.startswith("/") else [Path(rest), Path(rest.lstrip("/"))]
    for path in candidates:
        if path.is_file():
            return path
    tried = " or ".join(repr(str(p)) for p in candidates)
    raise DataContractError(
        f"Cannot open {url!r}: no database file {tried} (relative to {Path.cwd()}). Check the path; "
        "duckdb:///abs/path.duckdb is absolute, duckdb://path.duckdb is relative."
    )


def _connect(url: str) -> Any:
    import ibis

    scheme = _scheme(url)
    try:
        if scheme == "duckdb":
            # Read-only: a report never writes to the source, and another process may hold the file open.
            return ibis.duckdb.connect(str(_duckdb_path(url)), read_only=True)
        return ibis.connect(url)
    except (DataContractError, ParameterError):
        raise
    except ImportError as exc:
        install = _DRIVERS.get(scheme, f'pip install "ibis-framework[{scheme}]"')
        raise ParameterError(
            f"Reading {masked(url)!r} needs the {scheme} driver, which is not installed ({exc}). "
            f"Install it with: {install}"
        ) from None
    except ValueError as exc:
        if "Don't know how to connect" in str(exc):
            raise ParameterError(
                f"Unknown database in the URL {masked(url)!r}: no Ibis backend is called {scheme!r}. Use "
                "duckdb:///file.duckdb, postgresql://user@host:port/db or another Ibis backend URL."
            ) from None
        raise _cannot_connect(url, exc) from None
    except Exception as exc:  # the driver's own errors: refused connection, bad password, no such database
        raise _cannot_connect(url, exc) from None


def _cannot_connect(url: str, exc: Exception) -> DataContractError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DataContractError(
        f"Cannot connect to {masked(url)!r}: {first}. Check the host, port, user, password and database "
        "name in the URL, and that the server is running."
    )


def _tables(con: Any) -> list[str]:
    try:
        return sorted(con.list_tables())
    except Exception:  # some driver/Ibis pairs cannot list; fall back to the SQL standard catalogue
        rows = con.raw_sql(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('information_schema', 'pg_catalog')"
        ).fetchall()
        return sorted(str(r[0]) for r in rows)


def _open_table(con: Any, url: str, name: str) -> Any:
    database = None
    if "." in name:
        database, name = name.rsplit(".", 1)
    tables = _tables(con) if database is None else None
    if tables is not None and name not in tables:
        close = difflib.get_close_matches(name, tables, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        listed = format_examples(tables, limit=20) if tables else "none"
        raise DataContractError(
            f"No table {name!r} in {masked(url)!r}.{hint} Its tables: {listed}. Pass the right name with "
            "table=, or a SELECT with query=."
        )
    try:
        return con.table(name, database=database)
    except Exception as exc:
        raise DataContractError(
            f"Cannot open table {name!r} in {masked(url)!r} (schema {database!r}): {exc}. Check the names."
        ) from None


def check_query(query: Any) -> None:
    """``query=`` must be a SELECT (or WITH ... SELECT): segkit only reads from a database."""
    if not isinstance(query, str) or not _SELECT.match(query):
        raise ParameterError(
            f"query must be a SELECT (or WITH ... SELECT) statement; got {str(query)[:60]!r}. "
            "segkit only reads from the database."
        )


def _open_query(con: Any, url: str, query: str) -> Any:
    check_query(query)
    try:
        return con.sql(query, schema=_duckdb_schema(con, query))
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataContractError(f"The database refused the query on {masked(url)!r}: {first}") from None


def _duckdb_schema(con: Any, query: str) -> Any:
    """The query's schema from DuckDB itself (None elsewhere: the backend finds it).

    Ibis 12 asks DuckDB for a query's schema through a method DuckDB 2 no longer has; the relation's own
    column names and types give the same schema on every DuckDB version.
    """
    if getattr(con, "name", "") != "duckdb":
        return None
    import ibis
    from ibis.backends.sql.datatypes import DuckDBType

    relation = con.con.sql(query)
    return ibis.schema(
        {n: DuckDBType.from_string(str(t)) for n, t in zip(relation.columns, relation.types, strict=True)}
    )


def _plain_types(expr: Any) -> Any:
    """Decimals (PostgreSQL ``numeric``, DuckDB ``DECIMAL``) as doubles: the contract reads float amounts."""
    casts = {name: expr[name].cast("float64") for name, kind in expr.schema().items() if kind.is_decimal()}
    return expr.mutate(**casts) if casts else expr


def _fetch(con: Any, expr: Any, label: str) -> pa.Table:
    """The rows as one Arrow table, with progress by rows when someone is watching."""
    if getattr(con, "name", "") == "duckdb":
        # Ibis's batch reader needs a DuckDB method that DuckDB 2 dropped; DuckDB shows its own bar instead.
        engine_progress(con)
        return expr.to_pyarrow()
    batches = []
    with progress(desc=f"Reading {label}", unit=" rows") as bar:
        for batch in expr.to_pyarrow_batches(chunk_size=_BATCH_ROWS):
            batches.append(batch)
            bar.update(batch.num_rows)
    return pa.Table.from_batches(batches, schema=expr.schema().to_pyarrow())


def load_sql(source: str, *, table: str | None, query: str | None, given: dict[str, Any]) -> Loaded:
    """Fetch the mapped columns of ``table`` (or the rows of ``query``) from the database at ``source``.

    ``given`` is :func:`read_transactions`' column mapping; it is resolved against the table's columns with
    the contract's rules (so the messages are the same as for a file) before anything is fetched.
    """
    from ._contract import _resolve_mapping  # the contract imports this module

    if not is_sql_url(source):
        raise ParameterError(
            f"table= and query= read from a database, so source must be a database URL such as "
            f"duckdb:///base.duckdb or postgresql://user@host:5432/db; got {str(source)[:80]!r}."
        )
    if (table is None) == (query is None):
        raise ParameterError(
            f"Reading {masked(source)!r} needs exactly one of table= (a table name) or query= (a SELECT); "
            f"got {'both' if table is not None else 'neither'}."
        )
    con = _connect(source)
    expr = _open_table(con, source, table) if table is not None else _open_query(con, source, query)
    where = f"{masked(source)} {'table ' + table if table is not None else 'query'}"
    names = list(expr.columns)
    # Resolve the mapping on the schema alone: a wrong column name fails before any row is fetched.
    probe = Loaded(pa.table({}), names, where, "sql")
    mapping = _resolve_mapping(probe, **given)
    used = {v for k, v in mapping.items() if isinstance(v, int)} | set(mapping["attributes"].values())
    wanted = [names[i] for i in sorted(used)]
    try:
        fetched = _fetch(con, _plain_types(expr.select(wanted)), masked(source))
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataContractError(f"Reading from {masked(source)!r} failed: {first}") from None
    positional = fetched.rename_columns([f"c{i}" for i in range(fetched.num_columns)])
    # header_line=0: example rows are named by their 1-based row number in the result.
    return Loaded(positional, wanted, f"{where} ({fetched.num_rows:,} rows)", "sql", header_line=0)
