"""Segment migration: who moved from which segment to which between two reports.

The two sides are segment tables (one row per customer with a ``segment``), from two as-of dates on the
same data or from an earlier saved report. Customers present on one side only are not lost from the
matrix: the row ``(new)`` counts those who entered the base, the column ``(left)`` those who left it.
Dynamic segments (the RFM rules, re-evaluated at each as-of date) move customers around; a static list
(VIP chosen by hand, see :func:`segkit.static_segment`) keeps its members on both sides.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._errors import DataContractError, ParameterError, data_error
from .._validation import Interval, validate_params
from ..engine import as_of_date, customer_summary, date_range, snapshot
from ..io._contract import Transactions, as_transactions

__all__ = [
    "LEFT",
    "NEW",
    "MigrationBaseline",
    "SegmentMigration",
    "migration_baseline",
    "previous_segments",
    "read_segments",
    "save_segments",
    "segment_migration",
]

#: Row label for customers who entered the base (absent before), column label for those who left it.
NEW = "(new)"
LEFT = "(left)"
_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(eq=False)
class SegmentMigration:
    """Transitions between two segment tables.

    Attributes
    ----------
    counts_ : pandas.DataFrame
        Rows: the segment before (plus ``(new)`` for customers absent before); columns: the segment after
        (plus ``(left)`` for customers absent after). Row sums are the segment sizes before (the
        ``(new)`` row: the newcomers), column sums the sizes after.
    shares_ : pandas.DataFrame
        ``counts_`` divided by its row sums: where each segment's customers went (fractions of 1; the
        ``(new)`` row shows where newcomers landed). Rows with no customers are NaN.
    customers_ : pandas.DataFrame
        Per customer (index ``customer_id``): ``before`` and ``after`` segment, ``(new)``/``(left)`` on
        the missing side, and ``moved`` (True when the two differ).
    entered_ : pandas.Series
        Customers who entered the base, with their segment after.
    left_ : pandas.Series
        Customers who left the base, with their segment before.
    summary_ : pandas.DataFrame
        Per segment: ``before``, ``after``, ``stayed``, ``moved_in`` (from other segments), ``moved_out``
        (to other segments), ``entered``, ``left`` and ``net_change``; ``before + moved_in + entered -
        moved_out - left == after`` holds row by row.
    """

    counts_: pd.DataFrame
    shares_: pd.DataFrame
    customers_: pd.DataFrame
    entered_: pd.Series
    left_: pd.Series
    summary_: pd.DataFrame

    def __repr__(self) -> str:
        moved = int(self.customers_["moved"].sum())
        return (
            f"SegmentMigration({len(self.customers_):,} customers: {moved:,} changed segment, "
            f"{len(self.entered_):,} entered, {len(self.left_):,} left)"
        )


def segment_migration(
    before: pd.DataFrame | pd.Series,
    after: pd.DataFrame | pd.Series,
    *,
    column: str = "segment",
    order: Sequence[str] | None = None,
    static: pd.Series | None = None,
) -> SegmentMigration:
    """Transition matrix (counts and shares) between two segment tables, with entries and exits.

    Parameters
    ----------
    before, after : DataFrame or Series
        Segment tables such as :func:`segkit.rfm_segments` returns (index or column ``customer_id`` and a
        ``segment`` column), or Series of segments indexed by customer id. For two as-of dates on the same
        data, compute ``segkit.rfm_segments(segkit.rfm(data, as_of=...))`` for each date.
    column : str
        The segment column of the tables.
    order : sequence of str, optional
        Segment order for rows and columns. By default the categories of ``after`` (then any segment
        only ``before`` has), or the sorted names when the segments are plain text.
    static : Series, optional
        A static segment (:func:`segkit.static_segment`): its members are shown under the list's name on
        each side where they are in the base, instead of their dynamic segment, so the list reads as
        staying put (``VIP -> VIP``) while the dynamic segments migrate. The list's names come last.

    Returns
    -------
    SegmentMigration

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> before = pd.Series({"a": "Loyal", "b": "Loyal", "c": "New", "d": "New"})
    >>> after = pd.Series({"a": "Loyal", "b": "At Risk", "c": "Loyal", "e": "New"})
    >>> m = segkit.segment_migration(before, after, order=["New", "Loyal", "At Risk"])
    >>> m.counts_
    after   New  Loyal  At Risk  (left)
    before
    New       0      1        0       1
    Loyal     0      1        1       0
    At Risk   0      0        0       0
    (new)     1      0        0       0
    >>> m.left_.to_dict(), m.entered_.to_dict()
    ({'d': 'New'}, {'e': 'New'})
    """
    b = _segment_series(before, column, "before")
    a = _segment_series(after, column, "after")
    segments = _order(b, a, order)
    if static is not None:
        b, a, segments = _with_static(b, a, segments, static)
    ids = b.index.union(a.index, sort=False).sort_values()
    before_lab = b.astype(object).reindex(ids).fillna(NEW)
    after_lab = a.astype(object).reindex(ids).fillna(LEFT)
    customers = pd.DataFrame(
        {"before": before_lab.astype("str"), "after": after_lab.astype("str")},
        index=ids.rename("customer_id"),
    )
    customers["moved"] = customers["before"] != customers["after"]

    rows, cols = [*segments, NEW], [*segments, LEFT]
    counts = (
        pd.crosstab(
            pd.Categorical(customers["before"], rows), pd.Categorical(customers["after"], cols), dropna=False
        )
        .reindex(index=rows, columns=cols, fill_value=0)
        .astype("int64")
    )
    counts.index.name, counts.columns.name = "before", "after"
    totals = counts.sum(axis=1).replace(0, np.nan)
    shares = counts.div(totals, axis=0)

    entered = customers.loc[customers["before"] == NEW, "after"].rename("segment")
    left = customers.loc[customers["after"] == LEFT, "before"].rename("segment")
    return SegmentMigration(
        counts_=counts,
        shares_=shares,
        customers_=customers,
        entered_=entered,
        left_=left,
        summary_=_summary(counts, segments),
    )


def _with_static(
    b: pd.Series, a: pd.Series, segments: list[str], static: pd.Series
) -> tuple[pd.Series, pd.Series, list[str]]:
    if not isinstance(static, pd.Series):
        raise ParameterError("static must be the Series segkit.static_segment(...) returns.")
    static = static.copy()
    static.index = static.index.astype(str)
    names = sorted(set(static.astype(str)))
    clash = sorted(set(names) & set(segments))
    if clash:
        raise ParameterError(
            f"The static list's name(s) {clash} are also dynamic segment names; rename the list (name='VIP')."
        )

    def relabel(side: pd.Series) -> pd.Series:
        out = side.astype(object).copy()
        members = out.index.intersection(static.index)
        out[members] = static[members].astype(str).to_numpy()
        return out

    return relabel(b), relabel(a), [*segments, *names]


def _segment_series(table: Any, column: str, name: str) -> pd.Series:
    if isinstance(table, pd.Series):
        series = table
    elif isinstance(table, pd.DataFrame):
        if column not in table.columns:
            raise ParameterError(
                f"{name} has no {column!r} column (it has {list(table.columns)[:12]}); pass the output of "
                "segkit.rfm_segments(...) or set column=."
            )
        frame = table.set_index("customer_id") if "customer_id" in table.columns else table
        series = frame[column]
    else:
        raise ParameterError(
            f"{name} must be a segment table (DataFrame) or a Series of segments by customer id; "
            f"got {type(table).__name__}."
        )
    series = series.copy()
    series.index = pd.Index(series.index.astype("str"), name="customer_id")
    dup = series.index.duplicated()
    if dup.any():
        raise data_error(
            "customer_id",
            f"customers listed more than once in {name}",
            int(dup.sum()),
            series.index[dup][:5].tolist(),
            "Give one row per customer (a segment table from segkit.rfm_segments).",
        )
    missing = series.isna()
    if missing.any():
        raise data_error(
            column,
            f"missing segment in {name}",
            int(missing.sum()),
            series.index[missing][:5].tolist(),
            "Every customer in a segment table needs a segment.",
        )
    return series


def _order(b: pd.Series, a: pd.Series, order: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys([*a.astype(str), *b.astype(str)]))
    if order is not None:
        order = [str(s) for s in order]
        unknown = [s for s in present if s not in order]
        if unknown:
            raise ParameterError(
                f"order lacks segment(s) {unknown} that occur in the tables; add them to order=."
            )
        return order
    cats: list[str] = []
    for s in (a, b):
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats += [str(c) for c in s.cat.categories if str(c) not in cats]
    return cats + sorted(s for s in present if s not in cats)


def _summary(counts: pd.DataFrame, segments: list[str]) -> pd.DataFrame:
    core = counts.loc[segments, segments].to_numpy()
    stayed = np.diag(core)
    out = pd.DataFrame(index=pd.Index(segments, name="segment"))
    out["before"] = counts.loc[segments].sum(axis=1).to_numpy()
    out["after"] = counts[segments].sum(axis=0).to_numpy()
    out["stayed"] = stayed
    out["moved_in"] = core.sum(axis=0) - stayed
    out["moved_out"] = core.sum(axis=1) - stayed
    out["entered"] = counts.loc[NEW, segments].to_numpy()
    out["left"] = counts.loc[segments, LEFT].to_numpy()
    out["net_change"] = out["after"] - out["before"]
    return out.astype("int64")


# ---------------------------------------------------------------------------------------------------
# dated reports
# ---------------------------------------------------------------------------------------------------


def save_segments(
    segments: pd.DataFrame,
    output_dir: str | Path,
    *,
    filename: str = "rfm_segments.csv",
    lang: str = "en",
) -> Path:
    """Save a segment table as ``output_dir/filename`` so a later report can compare with it.

    The file is written in the report reader's CSV dialect (:func:`segkit.export_csv`: ``lang="ru"`` gives
    UTF-8 with a byte-order mark and ``;``); the column names stay the codes, so
    :func:`previous_segments` reads a file of either language back.

    Parameters
    ----------
    segments : DataFrame
        A segment table with a ``segment`` column, indexed by customer id (:func:`segkit.rfm_segments`).
    output_dir : str or Path
        The report folder (created if missing).
    filename : str, default "rfm_segments.csv"
        The file name inside ``output_dir``.
    lang : {"en", "ru"}, default "en"
        The report language, which decides the CSV dialect.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import pandas as pd, segkit, tempfile
    >>> seg = pd.DataFrame({"segment": ["Lost"]}, index=pd.Index(["007"], name="customer_id"))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = segkit.save_segments(seg, d)
    ...     path.read_text().splitlines()
    ['customer_id,segment', '007,Lost']
    >>> with tempfile.TemporaryDirectory() as d:
    ...     segkit.save_segments(seg, d, lang="ru").read_bytes()
    b'\\xef\\xbb\\xbfcustomer_id;segment\\n007;Lost\\n'
    """
    # Imported here: the report layer imports the analyses, not the other way round at import time.
    from ..report import export_csv

    if not isinstance(segments, pd.DataFrame) or "segment" not in segments.columns:
        raise ParameterError(
            "segments must be a segment table with a 'segment' column (segkit.rfm_segments)."
        )
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    frame = segments.copy()
    frame.index = frame.index.rename("customer_id")
    return export_csv(frame, folder / filename, lang=lang)


def read_segments(path: str | Path) -> pd.DataFrame:
    """Read a segment table written by :func:`save_segments` in either report language.

    Accepts UTF-8 with or without a byte-order mark and ``,`` or ``;`` between fields (the English and
    Russian report dialects). Every column is read as text, so customer ids keep their leading zeros.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (text), with a text ``segment`` column and the other saved columns.

    Examples
    --------
    >>> import segkit, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = pathlib.Path(d) / "rfm_segments.csv"
    ...     _ = path.write_bytes("\\ufeffcustomer_id;segment\\n007;Lost\\n".encode("utf-8"))
    ...     segkit.read_segments(path)["segment"].to_dict()
    {'007': 'Lost'}
    """
    path = Path(path)
    with path.open(encoding="utf-8-sig") as handle:
        header = handle.readline()
    # The header holds only column codes (no commas or semicolons in them), so it tells the separator.
    sep = ";" if header.count(";") > header.count(",") else ","
    table = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if "customer_id" not in table.columns or "segment" not in table.columns:
        raise DataContractError(
            f"{path.parent.name}/{path.name} has no customer_id or segment column (columns: "
            f"{list(table.columns)[:5]}); it was not written by segkit.save_segments. Remove or replace it."
        )
    return table.set_index("customer_id")


def previous_segments(
    reports_root: str | Path | None,
    *,
    as_of: Any,
    filename: str = "rfm_segments.csv",
) -> tuple[pd.Timestamp, pd.DataFrame] | None:
    """The newest saved segment table of a report dated before ``as_of``, or None.

    Reports live in dated folders ``reports_root/YYYY-MM-DD/``; the newest folder strictly before
    ``as_of`` that holds ``filename`` wins. Other folder names are ignored.

    Returns
    -------
    (date, table) or None
        The report date and its table (index ``customer_id`` as text, ``segment`` as text).

    Examples
    --------
    >>> import segkit, tempfile
    >>> with tempfile.TemporaryDirectory() as root:
    ...     segkit.previous_segments(root, as_of="2024-07-01") is None
    True
    """
    if reports_root is None:
        return None
    root = Path(reports_root)
    if not root.is_dir():
        return None
    as_of = pd.Timestamp(as_of).normalize()
    dated = []
    for folder in root.iterdir():
        if folder.is_dir() and _DATED.match(folder.name) and (folder / filename).is_file():
            try:
                day = pd.Timestamp(folder.name)
            except ValueError:
                continue
            if day < as_of:
                dated.append((day, folder / filename))
    if not dated:
        return None
    day, path = max(dated)
    return day, read_segments(path)


@dataclass(eq=False)
class MigrationBaseline:
    """The segment table a report compares with, and where it came from."""

    segments: pd.DataFrame
    as_of: pd.Timestamp
    source: str
    description: str


@validate_params(lookback_days=[Interval(int, 1, None)])
def migration_baseline(
    data: Transactions | pd.DataFrame,
    *,
    as_of: Any = None,
    reports_root: str | Path | None = None,
    lookback_days: int = 90,
    filename: str = "rfm_segments.csv",
    scheme: Any = None,
    **rfm_options: Any,
) -> MigrationBaseline:
    """What to compare today's segments with: the previous dated report, else the same data earlier.

    Parameters
    ----------
    data : Transactions or DataFrame
        The transactions of today's report.
    as_of : date-like, optional
        Today's analysis date.
    reports_root : path, optional
        Folder of dated reports (see :func:`previous_segments`). Its newest report before ``as_of`` is
        used when there is one.
    lookback_days : int
        Otherwise, the segments of the same data as of ``as_of - lookback_days`` days (scored with their
        own quantiles, as a report on that day would have been), read from today's snapshot cut at that
        date rather than from a second scan of the lines.
    filename : str
        The saved segment table's name inside each dated folder.
    scheme, **rfm_options
        Passed to :func:`segkit.rfm_segments` and :func:`segkit.rfm` (``bins``, ``monetary``, ...).

    Returns
    -------
    MigrationBaseline
        ``source`` is ``"previous report"`` or ``"same data"``; ``description`` says it in words.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({"customer_id": ["a", "b", "a"],
    ...                    "order_date": ["2024-01-05", "2024-02-01", "2024-06-20"], "amount": [5.0, 9.0, 7.0]})
    >>> base = segkit.migration_baseline(df, as_of="2024-07-01", lookback_days=30, bins=2)
    >>> base.source, str(base.as_of.date()), base.segments.index.tolist()
    ('same data', '2024-06-01', ['a', 'b'])
    """
    from ._rfm import rfm
    from ._segments import rfm_segments

    tx = as_transactions(data)
    as_of = as_of_date(tx, as_of)
    found = previous_segments(reports_root, as_of=as_of, filename=filename)
    if found is not None:
        day, table = found
        return MigrationBaseline(
            segments=table,
            as_of=day,
            source="previous report",
            description=f"the previous report of {day:%Y-%m-%d} ({day:%Y-%m-%d}/{filename})",
        )
    earlier = as_of - pd.Timedelta(days=int(lookback_days))
    first = date_range(tx)[0]
    if earlier <= first.normalize():
        raise ParameterError(
            f"as_of - lookback_days = {earlier:%Y-%m-%d} is not after the first transaction ({first:%Y-%m-%d}); "
            "there is nothing to compare with. Use a smaller lookback_days."
        )
    # Today's order days hold every earlier day: the earlier snapshot cuts them instead of scanning the
    # lines again. Today's summary is built here because today's segments, which the baseline is
    # compared with, read it anyway.
    today = snapshot(tx, as_of=as_of)
    customer_summary(today, copy=False)
    segments = rfm_segments(rfm(today.at(earlier), **rfm_options), scheme=scheme)
    why = "no earlier report was found" if reports_root is not None else "no reports folder was given"
    return MigrationBaseline(
        segments=segments,
        as_of=earlier,
        source="same data",
        description=f"the same data as of {earlier:%Y-%m-%d}, {int(lookback_days)} days earlier ({why})",
    )
