"""The run manifest: what produced a report (versions, data fingerprint, parameters) and what changed since the last.

Reports are compared from date to date, so each one records the segkit version, the versions of the packages
its numbers depend on, a fingerprint of the canonical transactions table, the parameters, the as-of date and
the wall time. :func:`compare_manifests` says what differs between two reports; the runner compares each new
report with the latest earlier dated report under the same reports root.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import platform
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from .._backend import connection
from ..i18n import format_date, format_number, t
from ..io._contract import Transactions

__all__ = ["compare_manifests", "data_fingerprint", "previous_manifest", "run_manifest"]

#: The packages whose versions can change a report's numbers or its rendering.
KEY_PACKAGES = (
    "pandas",
    "numpy",
    "pyarrow",
    "duckdb",
    "ibis-framework",
    "sqlglot",
    "scikit-learn",
    "lifelines",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "ipykernel",
)
#: Identifies how the fingerprint is computed; fingerprints made by different methods are not compared.
FINGERPRINT_METHOD = "md5-multiset-v1"
_MASK64 = (1 << 64) - 1


def _value_sql(column: str, sql_type: str) -> str:
    """A stable text form of one value: independent of the DuckDB version's float and timestamp formatting."""
    quoted = '"' + column.replace('"', '""') + '"'
    if sql_type in ("DOUBLE", "FLOAT", "REAL") or sql_type.startswith("DECIMAL"):
        text = f"CAST(ROUND({quoted} * 1000000) AS HUGEINT)::VARCHAR"  # money and quantities to 1e-6
    elif sql_type.startswith("TIMESTAMP") or sql_type == "DATE":
        text = f"epoch_us(CAST({quoted} AS TIMESTAMP))::VARCHAR"
    else:
        text = f"CAST({quoted} AS VARCHAR)"
    return f"coalesce({text}, chr(0))"  # NULL differs from every text, including the empty one


def data_fingerprint(data: Transactions | pd.DataFrame) -> dict[str, Any]:
    """A content hash of the canonical table that does not depend on row order.

    Each row's values are written as text and hashed with MD5 inside DuckDB; the fingerprint combines the row
    count with the sums of the row hashes, so it is a hash of the multiset of rows (a repeated row counts
    twice). It costs one scan of the table and never sorts; ``bench/bench_fingerprint.py`` times it against
    pandas' own row hash on a million rows.

    Parameters
    ----------
    data : Transactions or pandas.DataFrame
        The canonical transactions (``tx``) or any frame.

    Returns
    -------
    dict
        ``method``, ``rows``, ``columns`` and ``sha256`` (hex digest of the combined sums).

    Examples
    --------
    >>> import pandas as pd
    >>> from segkit.report import data_fingerprint
    >>> a = pd.DataFrame({"customer_id": ["x", "y"], "amount": [10.0, 2.5]})
    >>> data_fingerprint(a)["sha256"] == data_fingerprint(a.iloc[::-1])["sha256"]
    True
    >>> data_fingerprint(a)["sha256"] == data_fingerprint(a.assign(amount=[10.0, 2.51]))["sha256"]
    False
    """
    table = data.to_ibis() if isinstance(data, Transactions) else None
    if table is not None and table._find_backend() is connection():
        # The engine table as it is: a table read or opened in DuckDB is hashed where it lies, never
        # collected into pandas (on a large base that copy was most of the runner's memory).
        rows, high, low, types = _engine_fingerprint(table)
    else:
        # A frame, or a table on another backend (Spark, a warehouse) collected as Arrow.
        frame = data.to_arrow() if isinstance(data, Transactions) else data
        cursor = connection().con.cursor()  # its own cursor: no interference with the engine's open results
        name = f"fingerprint_{id(frame):x}"
        cursor.register(name, frame)
        try:
            types = _types(cursor.execute(f'DESCRIBE "{name}"').fetchall())
            rows, high, low = cursor.execute(_fingerprint_sql(f'"{name}"', types)).fetchall()[0]
        finally:
            cursor.unregister(name)
            cursor.close()
    combined = f"{FINGERPRINT_METHOD}|{list(types)}|{rows}|{high or 0}|{low or 0}"
    return {
        "method": FINGERPRINT_METHOD,
        "rows": int(rows),
        "columns": list(types),
        "sha256": hashlib.sha256(combined.encode()).hexdigest(),
    }


def _types(described: list[tuple]) -> dict[str, str]:
    return {row[0]: row[1] for row in described}


def _fingerprint_sql(source: str, types: Mapping[str, str]) -> str:
    """Row count and the two 64-bit halves of the summed row hashes of ``source`` (a table or subquery)."""
    row_text = "concat_ws(chr(31), " + ", ".join(_value_sql(c, t) for c, t in types.items()) + ")"
    return (
        f"SELECT count(*), sum(CAST(h >> 64 AS UBIGINT)), sum(CAST(h & {_MASK64} AS UBIGINT)) "
        f"FROM (SELECT md5_number({row_text}) AS h FROM {source})"
    )


def _engine_fingerprint(table: Any) -> tuple[int, Any, Any, dict[str, str]]:
    """:func:`data_fingerprint`'s sums over an Ibis table on the shared DuckDB connection.

    The connection itself, not a cursor: the engine's temporary tables and views are visible only there.
    """
    con = connection()
    source = f"({con.compile(table)})"
    types = _types(con.raw_sql(f"DESCRIBE SELECT * FROM {source}").fetchall())
    rows, high, low = con.raw_sql(_fingerprint_sql(source, types)).fetchall()[0]
    return rows, high, low, types


def _package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def run_manifest(
    tx: Transactions,
    *,
    parameters: Mapping[str, Any],
    as_of: Any,
    wall_seconds: float | None = None,
) -> dict[str, Any]:
    """The manifest of one report run (the ``manifest`` entry of ``run.json``).

    Parameters
    ----------
    tx : Transactions
        The data the report analysed.
    parameters : mapping
        The notebook parameters of the run.
    as_of : date-like
        The analysis date.
    wall_seconds : float, optional
        How long the run took.

    Examples
    --------
    >>> import segkit
    >>> tx = segkit.load_report_data()
    >>> m = segkit.run_manifest(tx, parameters={"bins": 5}, as_of="2025-01-01")
    >>> m["segkit_version"] == segkit.__version__, m["as_of"], m["data"]["rows"] == len(tx)
    (True, '2025-01-01', True)
    """
    from .. import __version__  # segkit/__init__.py sets it after importing this subpackage

    return {
        "segkit_version": __version__,
        "python": platform.python_version(),
        "packages": _package_versions(),
        "data": {"source": tx.quality.source, **data_fingerprint(tx)},
        "parameters": json.loads(json.dumps(dict(parameters), default=str)),
        "as_of": pd.Timestamp(as_of).date().isoformat(),
        "wall_seconds": None if wall_seconds is None else round(float(wall_seconds), 2),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def compare_manifests(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What differs between two run manifests: the data, the segkit version, package versions, parameters.

    Returns
    -------
    list of dict
        One entry per change with ``what`` (``"data"``, ``"segkit"``, ``"package"``, ``"parameter"``),
        ``old``, ``new`` and a one-line ``message``; empty when the data and versions are the same.

    Examples
    --------
    >>> from segkit.report import compare_manifests
    >>> old = {"segkit_version": "0.2.0", "data": {"sha256": "a1", "rows": 10}, "packages": {}, "parameters": {}}
    >>> new = {"segkit_version": "0.3.0", "data": {"sha256": "b2", "rows": 12}, "packages": {}, "parameters": {}}
    >>> [c["message"] for c in compare_manifests(old, new)]
    ['The input data changed (fingerprint a1 -> b2; 10 -> 12 rows).', 'segkit version changed: 0.2.0 -> 0.3.0.']
    """
    changes: list[dict[str, Any]] = []
    old_data, new_data = dict(old.get("data") or {}), dict(new.get("data") or {})
    if old_data.get("method", FINGERPRINT_METHOD) != new_data.get("method", FINGERPRINT_METHOD):
        changes.append(
            _change(
                "data",
                old_data.get("method"),
                new_data.get("method"),
                "The data fingerprint method changed; the data cannot be compared.",
            )
        )
    elif old_data.get("sha256") != new_data.get("sha256"):
        rows = f"; {old_data.get('rows')} -> {new_data.get('rows')} rows"
        message = (
            f"The input data changed (fingerprint {str(old_data.get('sha256'))[:12]} -> "
            f"{str(new_data.get('sha256'))[:12]}{rows})."
        )
        changes.append(_change("data", old_data.get("sha256"), new_data.get("sha256"), message))
    if old.get("segkit_version") != new.get("segkit_version"):
        changes.append(
            _change(
                "segkit",
                old.get("segkit_version"),
                new.get("segkit_version"),
                f"segkit version changed: {old.get('segkit_version')} -> {new.get('segkit_version')}.",
            )
        )
    old_pk, new_pk = dict(old.get("packages") or {}), dict(new.get("packages") or {})
    for name in sorted(set(old_pk) | set(new_pk)):
        if old_pk.get(name) != new_pk.get(name):
            changes.append(
                _change(
                    name,
                    old_pk.get(name),
                    new_pk.get(name),
                    f"{name} changed: {old_pk.get(name)} -> {new_pk.get(name)}.",
                    what="package",
                )
            )
    old_par, new_par = dict(old.get("parameters") or {}), dict(new.get("parameters") or {})
    for name in sorted(set(old_par) | set(new_par)):
        if name in ("as_of", "output_dir", "reports_root"):
            continue  # differ from report to report by design
        if old_par.get(name) != new_par.get(name):
            changes.append(
                _change(
                    name,
                    old_par.get(name),
                    new_par.get(name),
                    f"Parameter {name} changed: {old_par.get(name)!r} -> {new_par.get(name)!r}.",
                    what="parameter",
                )
            )
    return changes


def _change(name: str, old: Any, new: Any, message: str, *, what: str | None = None) -> dict[str, Any]:
    return {"what": what or name, "name": name, "old": old, "new": new, "message": message}


def previous_manifest(reports_root: str | Path, as_of: Any) -> tuple[str, dict[str, Any]] | None:
    """The latest report under ``reports_root`` dated before ``as_of`` that has a manifest, as (date, manifest)."""
    root = Path(reports_root)
    cutoff = pd.Timestamp(as_of).date()
    candidates = []
    for folder in root.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]") if root.is_dir() else []:
        try:
            date = dt.date.fromisoformat(folder.name)
        except ValueError:
            continue
        if date < cutoff and (folder / "run.json").is_file():
            candidates.append((date, folder))
    for date, folder in sorted(candidates, reverse=True):
        try:
            manifest = json.loads((folder / "run.json").read_text(encoding="utf-8")).get("manifest")
        except (OSError, ValueError):
            continue  # an unreadable old report: look further back
        if isinstance(manifest, dict):
            return date.isoformat(), manifest
    return None


def write_manifest(
    folder: Path,
    tx: Transactions,
    *,
    parameters: Mapping[str, Any],
    as_of: Any,
    reports_root: Path,
    started: float,
    lang: str = "en",
) -> dict[str, Any]:
    """Add the manifest and the changes since the previous report to ``run.json`` and ``index.html`` (in ``lang``)."""
    shown = {k: v for k, v in parameters.items() if k not in ("output_dir", "reports_root")}
    manifest = run_manifest(tx, parameters=shown, as_of=as_of, wall_seconds=time.perf_counter() - started)
    previous = previous_manifest(reports_root, as_of)
    comparison = {"previous": None, "changes": []}
    if previous is not None:
        comparison = {"previous": previous[0], "changes": compare_manifests(previous[1], manifest)}
    run_json = folder / "run.json"
    summary = json.loads(run_json.read_text(encoding="utf-8")) if run_json.is_file() else {}
    summary["manifest"] = manifest
    summary["since_previous"] = comparison
    run_json.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    index = folder / "index.html"
    if index.is_file():
        page = index.read_text(encoding="utf-8")
        index.write_text(
            page.replace("</body>", _manifest_html(manifest, comparison, lang) + "</body>", 1),
            encoding="utf-8",
        )
    return manifest


def _manifest_html(manifest: dict[str, Any], comparison: dict[str, Any], lang: str = "en") -> str:
    data = manifest["data"]
    fingerprint = t(
        "manifest.fingerprint_value",
        lang,
        hash=data["sha256"][:16],
        rows=format_number(data["rows"], 0, lang),
        method=data["method"],
    )
    seconds = manifest["wall_seconds"]
    rows = [
        ("segkit", manifest["segkit_version"]),
        ("Python", manifest["python"]),
        (t("manifest.fingerprint", lang), fingerprint),
        (t("manifest.as_of", lang), format_date(manifest["as_of"], lang)),
        (
            t("manifest.wall_time", lang),
            t("manifest.seconds", lang, seconds=format_number(seconds, 1, lang))
            if seconds is not None
            else "—",
        ),
        (t("manifest.packages", lang), ", ".join(f"{k} {v}" for k, v in manifest["packages"].items() if v)),
    ]
    table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    previous = comparison["previous"]
    if previous is None:
        since = f"<p>{html.escape(t('manifest.no_previous', lang))}</p>"
    elif not comparison["changes"]:
        since = (
            f"<p>{html.escape(t('manifest.same', lang, name='segkit', date=format_date(previous, lang)))}</p>"
        )
    else:
        items = "".join(f"<li>{html.escape(_change_text(c, lang))}</li>" for c in comparison["changes"])
        since = f"<p>{html.escape(t('manifest.compared', lang, date=format_date(previous, lang)))}</p><ul>{items}</ul>"
    return (
        f'<section class="segkit-section"><h2>{html.escape(t("manifest.title", lang))}</h2>'
        f'<table class="segkit-table">{table}</table></section>\n'
        f'<section class="segkit-section"><h2>{html.escape(t("manifest.since", lang))}</h2>{since}</section>\n'
    )


def _change_text(change: dict[str, Any], lang: str) -> str:
    # The comparison's sentences are English; other languages get the changed item and its two values.
    if lang == "en":
        return change["message"]
    return t("manifest.change", lang, what=change["what"], old=change["old"], new=change["new"])
