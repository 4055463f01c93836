"""The data contract: any CRM or shop export in, one canonical transactions table out.

Every later analysis reads the canonical table, so every check lives here, once. The reader never loses a
row silently: each input row is either kept or counted under exactly one drop reason in
:class:`QualityReport`. The work is columnar end to end: the source is read into Arrow, each column is parsed
over its distinct values, duplicate rows are found by DuckDB, and the result is an Arrow table that the engine
opens as an Ibis table (:meth:`Transactions.to_ibis`) and notebooks see as pandas (:attr:`Transactions.data`).
"""

from __future__ import annotations

import codecs
import difflib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._backend import cursor, temp_table
from .._errors import DataContractError, ParameterError, check_choice, data_error, format_examples
from .._spark import is_spark_frame
from . import _engine
from ._dates import NUMERIC_FORMATS, date_outliers, outlier_dates_message, parse_dates
from ._files import HEADER_SEARCH_ROWS, Loaded, check_reading_options, load_source
from ._numbers import NumberColumn, parse_numbers, rows_text
from ._sql import is_sql_url, load_sql

__all__ = [
    "CANONICAL_COLUMNS",
    "PLACEHOLDER_CUSTOMERS",
    "DataQualityWarning",
    "QualityReport",
    "Transactions",
    "as_transactions",
    "read_transactions",
]

#: Canonical column names, in the order the canonical table uses.
CANONICAL_COLUMNS = (
    "customer_id",
    "order_id",
    "order_date",
    "amount",
    "is_return",
    "quantity",
    "margin",
    "product",
    "category",
    "channel",
)
_OPTIONAL_TEXT = ("product", "category", "channel")

#: Customer ids that exports put on anonymous sales (a kit convention; compared case-insensitively after
#: trimming). Left in, one of them becomes a giant fake customer at the top of every ranking.
PLACEHOLDER_CUSTOMERS = (
    "Розничный покупатель",
    "Розничный клиент",
    "Частное лицо",
    "Гость",
    "Аноним",
    "Покупатель",
    "Не указан",
    "Неизвестный",
    "unknown",
    "guest",
    "anonymous",
    "walk-in",
    "0",
    "-",
)

#: Labels of a totals line (a kit convention; compared case-insensitively after trimming spaces, ``:`` and
#: ``.``). 1C, Bitrix24 and Excel exports end with "Итого" / "Total" in the first column, which is often the
#: customer column: read as a customer, that line doubles the revenue and tops every ranking.
TOTALS_LABELS = (
    "итого",
    "итог",
    "всего",
    "общий итог",
    "промежуточный итог",
    "итого по документу",
    "total",
    "totals",
    "grand total",
    "subtotal",
)

# pandas' own "str" dtype; astype("str") from the nullable "string" dtype turns <NA> into the text "<NA>".
_STR = pd.StringDtype(na_value=np.nan)
_MISSING_TEXT = ["", "nan", "none", "null", "na", "n/a", "<na>", "nat"]


class DataQualityWarning(UserWarning):
    """The data was read, but something in it deserves a look (future dates, placeholder customers)."""


@dataclass(frozen=True)
class QualityReport:
    """What happened to every input row, plus a few facts about the kept data.

    ``rows_read == rows_kept + sum(dropped.values())`` always holds: a row is either kept or counted
    under exactly one reason (reasons are checked in the order they appear in ``dropped``).
    """

    source: str
    rows_read: int
    rows_kept: int
    dropped: dict[str, int]
    duplicates_found: int
    returns_found: int
    returns_policy: str
    order_id_source: str
    date_min: pd.Timestamp | None
    date_max: pd.Timestamp | None
    n_customers: int
    n_orders: int
    net_revenue: float
    read_options: dict[str, str] = field(default_factory=dict)
    placeholders_found: int = 0
    placeholder_policy: str = "drop"
    default_as_of: pd.Timestamp | None = None
    as_of_rule: str = ""
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def rows_dropped(self) -> int:
        """Total number of input rows not in the canonical table."""
        return int(sum(self.dropped.values()))

    @property
    def accounted(self) -> bool:
        """True when kept and dropped rows add up to the rows read."""
        return self.rows_kept + self.rows_dropped == self.rows_read

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dictionary (dates as ISO strings)."""
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "rows_dropped": self.rows_dropped,
            "dropped": dict(self.dropped),
            "duplicates_found": self.duplicates_found,
            "returns_found": self.returns_found,
            "returns_policy": self.returns_policy,
            "placeholders_found": self.placeholders_found,
            "placeholder_policy": self.placeholder_policy,
            "order_id_source": self.order_id_source,
            "date_min": None if self.date_min is None else self.date_min.isoformat(),
            "date_max": None if self.date_max is None else self.date_max.isoformat(),
            "default_as_of": None if self.default_as_of is None else self.default_as_of.date().isoformat(),
            "as_of_rule": self.as_of_rule,
            "n_customers": self.n_customers,
            "n_orders": self.n_orders,
            "net_revenue": self.net_revenue,
            "read_options": dict(self.read_options),
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }

    def to_frame(self) -> pd.DataFrame:
        """The report as a two-column table (``measure``, ``value``) for notebooks and HTML."""
        rows: list[tuple[str, Any]] = [
            ("source", self.source),
            ("rows read", f"{self.rows_read:,}"),
        ]
        rows += [(f"dropped: {reason}", f"{n:,}") for reason, n in self.dropped.items()]
        rows += [
            ("rows kept", f"{self.rows_kept:,}"),
            ("exact duplicate rows found", f"{self.duplicates_found:,}"),
            (f"return/cancellation rows found (policy {self.returns_policy!r})", f"{self.returns_found:,}"),
            (
                f"placeholder-customer rows found (policy {self.placeholder_policy!r})",
                f"{self.placeholders_found:,}",
            ),
            ("order id", self.order_id_source),
            ("first transaction", _fmt_ts(self.date_min)),
            ("last transaction", _fmt_ts(self.date_max)),
            ("default as-of date", "-" if self.default_as_of is None else str(self.default_as_of.date())),
            ("customers", f"{self.n_customers:,}"),
            ("orders", f"{self.n_orders:,}"),
            ("net revenue", f"{self.net_revenue:,.2f}"),
        ]
        rows += [(f"read option: {k}", v) for k, v in self.read_options.items()]
        rows += [("note", n) for n in self.notes]
        rows += [("warning", w) for w in self.warnings]
        return pd.DataFrame(rows, columns=["measure", "value"])

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


def _fmt_ts(ts: pd.Timestamp | None) -> str:
    return "-" if ts is None else str(ts)


class Transactions:
    """The canonical transactions table and its data-quality report.

    The table is held as Arrow, or as an engine table (an Ibis table on the backend where the data lives:
    DuckDB, a SQL warehouse, Spark); :meth:`to_ibis` opens it in the engine and :attr:`data` shows it as
    pandas (made on first use; for an engine table that collects every row, so analyses never use it).

    Attributes
    ----------
    data : pandas.DataFrame
        One row per transaction line with the canonical columns (see :data:`CANONICAL_COLUMNS`);
        optional columns are present only when the source had them. ``is_return`` marks returns and
        cancellations kept under the ``"net"`` policy (their ``amount`` is negative).
    quality : QualityReport
        How every input row was handled.
    """

    def __init__(
        self,
        data: pd.DataFrame | None = None,
        quality: QualityReport | None = None,
        *,
        table: pa.Table | None = None,
        engine: Any = None,
    ) -> None:
        if data is None and table is None and engine is None:
            raise ParameterError(
                "Transactions needs data= (a pandas frame), table= (an Arrow table) or engine= (an Ibis table)."
            )
        self._data = data
        self._arrow = table
        self.quality = quality
        self._engine_table: Any = engine
        self._from_engine = data is None and table is None
        self._stored_keys: Any = None
        self._source_file: Any = None  # a file the engine table reads again (see _engine.SourceFile)

    @property
    def data(self) -> pd.DataFrame:
        """The canonical table as pandas (string ids, ``datetime64[ns]`` dates)."""
        if self._data is None:
            self._data = _to_pandas(self.to_arrow())
        return self._data

    @data.setter
    def data(self, frame: pd.DataFrame) -> None:
        self._data, self._arrow, self._engine_table, self._from_engine = frame, None, None, False
        self._stored_keys = self._source_file = None

    @property
    def stored_keys(self) -> Any:
        """The integer keys stored with the canonical rows (a ``StoredKeys``), or None.

        The data contract numbers customers (and orders) in its one pass over a source it checks in
        DuckDB; the engine then groups on those integers instead of on the text ids.
        """
        self._check_source()
        return getattr(self, "_stored_keys", None)

    @property
    def columns(self) -> list[str]:
        """Names of the canonical table's columns."""
        if self._arrow is not None:
            return list(self._arrow.column_names)
        if self._data is not None:
            return list(self._data.columns)
        return list(self._engine_table.columns)

    def to_arrow(self) -> pa.Table:
        """The canonical table as Arrow (collected from the engine when the data lives there)."""
        if self._arrow is None:
            if self._data is not None:
                self._arrow = pa.Table.from_pandas(self._data, preserve_index=False)
            else:
                self._check_source()
                # Stored in source order; collected in the canonical order (date, ties in source order).
                ordered = getattr(self, "_engine_ordered", None)
                self._arrow = _canonical_arrow(
                    (self._engine_table if ordered is None else ordered).to_pyarrow()
                )
        return self._arrow

    def _check_source(self) -> None:
        """Refuse to read a file the engine table reads again once it has changed (see ``_engine.SourceFile``)."""
        if self._source_file is not None:
            self._source_file.check()

    def ordered_ibis(self) -> Any:
        """The canonical rows in the canonical order (date, ties in source order) as an engine expression.

        None when the table is not an engine table checked by the data contract (an Arrow or pandas table):
        then :meth:`to_arrow` is the ordered table. Writing this expression from the engine (for example
        DuckDB's ``COPY``) gives what :meth:`to_arrow` would collect, without holding it in memory.
        """
        self._check_source()
        return getattr(self, "_engine_ordered", None) if self._from_engine else None

    def to_ibis(self) -> Any:
        """The canonical table as an Ibis table on the shared engine connection (made once, then reused)."""
        self._check_source()
        if self._engine_table is None:
            self._engine_table = temp_table(self.to_arrow(), self, prefix="segkit_tx")
        return self._engine_table

    def __len__(self) -> int:
        if self._arrow is not None:
            return self._arrow.num_rows
        if self._data is not None:
            return len(self._data)
        if self.quality is not None:
            return self.quality.rows_kept
        return int(self._engine_table.count().execute())

    def has(self, column: str) -> bool:
        """Whether the optional canonical ``column`` (e.g. ``"margin"``) is present."""
        return column in self.columns

    @property
    def default_as_of(self) -> pd.Timestamp:
        """The default analysis date: the day after the last transaction (never "today").

        Dates far outside the bulk of the data (a typo such as 2099) do not move it: it is then the day
        after the last transaction within the bulk, and the quality report says so (``as_of_rule``).
        """
        if self.quality is not None and self.quality.default_as_of is not None:
            return self.quality.default_as_of
        if len(self) == 0:
            raise DataContractError("The transactions table is empty: there is no date to report as of.")
        if self._data is None and self._arrow is None:
            last = pd.Timestamp(self._engine_table.order_date.max().execute())
        else:
            last = self.data["order_date"].max()
        return last.normalize() + pd.Timedelta(days=1)

    def __repr__(self) -> str:
        q = self.quality
        return (
            f"Transactions({q.rows_kept:,} rows, {q.n_customers:,} customers, {q.n_orders:,} orders, "
            f"{_fmt_ts(q.date_min)} .. {_fmt_ts(q.date_max)}; {q.rows_dropped:,} of {q.rows_read:,} "
            f"input rows dropped)"
        )


def _canonical_arrow(table: pa.Table) -> pa.Table:
    """An engine's result in the canonical Arrow types (nanosecond dates, plain strings), as the reader makes."""
    fields = []
    for f in table.schema:
        kind = f.type
        if pa.types.is_timestamp(kind) and f.name == "order_date":
            kind = pa.timestamp("ns")
        elif pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            kind = pa.string()
        fields.append(pa.field(f.name, kind))
    return table.cast(pa.schema(fields))


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    mapper = {pa.string(): _STR, pa.large_string(): _STR}
    return table.to_pandas(types_mapper=mapper.get)


# --------------------------------------------------------------------------------------------------
# public reader
# --------------------------------------------------------------------------------------------------


def read_transactions(
    source: Any,
    *,
    customer: str = "customer_id",
    date: str = "order_date",
    amount: str | None = None,
    order: str | None = None,
    quantity: str | None = None,
    price: str | None = None,
    margin: str | None = None,
    cost: str | None = None,
    product: str | None = None,
    category: str | None = None,
    channel: str | None = None,
    attributes: Sequence[str] = (),
    date_format: str | None = None,
    timezone: str | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    returns: Literal["net", "drop", "raise"] = "net",
    cancel_prefix: str | None = None,
    duplicates: Literal["drop", "keep"] = "drop",
    missing_customer: Literal["drop", "raise"] = "drop",
    placeholder_customers: Sequence[str] | None = None,
    placeholders: Literal["drop", "keep"] = "drop",
    zero_amount: Literal["drop", "keep"] = "drop",
    invalid: Literal["raise", "drop"] = "raise",
    outlier_dates: Literal["warn", "drop", "raise"] = "warn",
    table: str | None = None,
    query: str | None = None,
) -> Transactions:
    """Read a transactions export and check it against the data contract.

    Parameters
    ----------
    source : str, pathlib.Path, pandas/polars DataFrame, polars.LazyFrame, pyarrow.Table, ibis.Table or Spark
        A CSV/TXT file (optionally ``.gz``, ``.bz2``, ``.xz`` or ``.zip``), an Excel workbook
        (``.xlsx``, ``.xlsm``, ``.xls``), a Parquet file, a data frame, a database URL with ``table=`` or
        ``query=``, an Ibis table, a PySpark DataFrame, or ``"spark://NAME"`` (a table or view of the active
        Spark session). Typed sources (Parquet, database tables, Ibis tables, Spark) are checked by their
        own engine and the result is an engine table there; see ``docs/cluster.md``.
    customer, date : str
        Source columns holding the customer id and the transaction date.
    amount : str, optional
        Source column with the line amount. When omitted, a column named ``amount`` is used, or else
        ``quantity * price`` when both ``quantity`` and ``price`` are given.
    order : str, optional
        Source column with the order (invoice) id. When omitted, a column named ``order_id`` is used;
        without one, each customer-day is one order and the quality report says so.
    quantity, price, margin, cost, product, category, channel : str, optional
        Optional source columns. ``margin`` is the line's gross profit; ``cost`` is the line's cost, from
        which ``margin = amount - cost``. When omitted, a column with the canonical name is used if the
        source has one.
    attributes : sequence of str
        Further customer attributes (region, gender, ...) to carry through unchanged.
    date_format : str, optional
        A :func:`~datetime.datetime.strptime` format such as ``"%d.%m.%Y %H:%M"``, or ``"unix"`` (Unix
        seconds), ``"unix_ms"`` (milliseconds) or ``"excel"`` (Excel serial days; automatic for numeric
        cells of an Excel workbook). When omitted the layout is recognised per value (see the README);
        slash dates whose day/month order no value decides raise and ask for it.
    timezone : str, optional
        The zone dates are reported in, e.g. ``"Europe/Moscow"``: values with a UTC offset are converted to
        it and values without one are taken as already in it. Without it, values that all carry the same
        offset keep their wall-clock time and several offsets are converted to UTC.
    sep, encoding : str, optional
        CSV options. ``sep`` is one character, or ``r"\\s+"`` for runs of spaces. By default the separator
        is found among ``; , TAB |`` (whitespace otherwise) from the header row, and the encoding from the
        byte-order mark (UTF-8, UTF-16) or else UTF-8 with a cp1251 fallback (1C/Bitrix exports).
    decimal, thousands : str, optional
        The decimal mark (``"."`` or ``","``) and thousands separator (``""``, ``" "``, ``","``, ``"."``,
        ``"'"``) of every number column. By default each column decides from all its values; a column that
        mixes conventions, or whose values never decide (only ``1,234``-like ones), raises.
    sheet : str or int, optional
        The Excel sheet (a name or a 0-based position); default the first. Excel workbooks only: with
        another kind of source it raises, as ``sep`` and ``encoding`` do with a workbook, a Parquet file or
        a frame.
    header_row : int, optional
        1-based line (or sheet row) of the header. By default the first of the first 30 lines that holds
        the ``customer`` and ``date`` names is used, so a title block above the header is skipped.
    returns : {"net", "drop", "raise"}
        Policy for returns and cancellations (a negative amount, or an order id starting with
        ``cancel_prefix``): keep them as negative amounts flagged ``is_return``, drop them, or raise.
    cancel_prefix : str, optional
        Order-id prefix marking cancellations, e.g. ``"C"`` for the UCI Online Retail export.
    duplicates : {"drop", "keep"}
        What to do with exact duplicate input rows (every source column equal).
    missing_customer : {"drop", "raise"}
        What to do with rows without a customer id (guest checkouts, for example).
    placeholder_customers : sequence of str, optional
        Customer ids that stand for anonymous buyers; default :data:`PLACEHOLDER_CUSTOMERS`. Pass ``()``
        when none of them is a placeholder in your data.
    placeholders : {"drop", "keep"}
        What to do with placeholder-customer rows. Either way they are counted and warned about.
    zero_amount : {"drop", "keep"}
        What to do with zero-amount lines (free samples, price errors).
    invalid : {"raise", "drop"}
        What to do with unparseable or missing dates, amounts and order ids, and with infinite or NaN
        numbers. Raising is the default because a half-parsed file gives silently wrong numbers.
    outlier_dates : {"warn", "drop", "raise"}
        What to do with dates far outside the bulk of the data (a typo such as 2099; the rule is in the
        README). ``"warn"`` keeps the rows, warns naming them, and ends the default as-of date at the bulk
        of the data; ``"drop"`` drops them (counted); ``"raise"`` stops.

    Returns
    -------
    Transactions
        ``.data`` is the canonical table, ``.quality`` the :class:`QualityReport`.

    Raises
    ------
    DataContractError
        When a column is missing or values cannot be used; the message names the column, the number of
        rows, examples, and what to do.
    ParameterError
        When an option has a value segkit cannot use, or one source column is given for two roles (say
        ``customer=`` and ``date=``); raised before anything is read.

    Examples
    --------
    >>> import pandas as pd
    >>> import segkit
    >>> raw = pd.DataFrame({
    ...     "Client": ["a", "a", "b", None],
    ...     "Date": ["01.02.2024", "05.03.2024", "07.03.2024", "08.03.2024"],
    ...     "Sum": ["1 200,50", "-200,50", "99,99", "10,00"],
    ... })
    >>> tx = segkit.read_transactions(raw, customer="Client", date="Date", amount="Sum")
    >>> tx.data["amount"].tolist()
    [1200.5, -200.5, 99.99]
    >>> tx.quality.dropped  # doctest: +NORMALIZE_WHITESPACE
    {'exact duplicate': 0, 'missing customer_id': 1, 'placeholder customer': 0, 'invalid value': 0,
     'return/cancellation': 0, 'zero amount': 0}
    """
    check_choice("returns", returns, ("net", "drop", "raise"))
    check_choice("duplicates", duplicates, ("drop", "keep"))
    check_choice("missing_customer", missing_customer, ("drop", "raise"))
    check_choice("placeholders", placeholders, ("drop", "keep"))
    check_choice("zero_amount", zero_amount, ("drop", "keep"))
    check_choice("invalid", invalid, ("raise", "drop"))
    check_choice("outlier_dates", outlier_dates, ("warn", "drop", "raise"))
    if decimal is not None:
        check_choice("decimal", decimal, (".", ","))
    _check_date_format(date_format)
    _check_timezone(timezone)
    if isinstance(placeholder_customers, str):
        raise ParameterError(
            f"placeholder_customers must be a list of ids, got the string {placeholder_customers!r}; "
            f"write [{placeholder_customers!r}]."
        )
    given = {
        "customer": customer,
        "date": date,
        "amount": amount,
        "order": order,
        "quantity": quantity,
        "price": price,
        "margin": margin,
        "cost": cost,
        "product": product,
        "category": category,
        "channel": channel,
        "attributes": attributes,
    }
    _check_distinct_columns(given)
    policy = dict(
        date_format=date_format,
        timezone=timezone,
        decimal=decimal,
        thousands=thousands,
        returns=returns,
        cancel_prefix=cancel_prefix,
        duplicates=duplicates,
        missing_customer=missing_customer,
        placeholder_customers=PLACEHOLDER_CUSTOMERS
        if placeholder_customers is None
        else placeholder_customers,
        placeholders=placeholders,
        zero_amount=zero_amount,
        invalid=invalid,
        outlier_dates=outlier_dates,
    )
    database = is_sql_url(source) or table is not None or query is not None
    check_reading_options(source, sep=sep, encoding=encoding, sheet=sheet, database=database)
    engine = _engine_read(source, table=table, query=query, given=given, policy=policy)
    if engine is not None:
        return engine
    if database:
        loaded = load_sql(source, table=table, query=query, given=given)
    else:
        loaded = load_source(
            source, wanted=[customer, date], sep=sep, encoding=encoding, sheet=sheet, header_row=header_row
        )
    mapping = _resolve_mapping(loaded, **given)
    reader = _Reader(loaded, mapping)
    return reader.run(**policy)


def _engine_source(source: Any, *, table: str | None, query: str | None) -> _engine.EngineSource | None:
    """The source as an engine table when it is one already (typed), else None (the Arrow contract reads it).

    Parquet files and tables of DuckDB files are checked on the shared DuckDB connection; Spark DataFrames
    and ``"spark://table"`` on Spark; Ibis tables and other database URLs on their own backend. A DuckDB
    ``query=`` or view is checked on the shared connection too, with the file attached read-only.
    """
    if is_spark_frame(source) or _engine.is_spark_url(source):
        if table is not None or query is not None:
            raise ParameterError(
                "table= and query= read from a database URL; a Spark source names its table itself."
            )
        return _engine.spark_source(source)
    if _is_ibis_table(source):
        return _engine.ibis_source(source, f"Ibis table on {source._find_backend().name}")
    if is_sql_url(source) and (table is None) != (query is None):
        from ._sql import _connect, _duckdb_path, _open_query, _open_table, _scheme, masked

        if _scheme(source) == "duckdb":
            path = _duckdb_path(source)
            found = None if table is None else _engine.duckdb_file_source(path, source, table)
            return found or _engine.duckdb_query_source(path, source, table=table, query=query)
        con = _connect(source)
        expr = _open_table(con, source, table) if table is not None else _open_query(con, source, query)
        label = f"{masked(source)} {'table ' + table if table is not None else 'query'}"
        found = _engine.ibis_source(expr, label, keep_alive=con)
        found.count_in_label = True
        return found
    if isinstance(source, str | Path) and table is None and query is None:
        path = Path(source)
        if path.suffix.lower() in (".parquet", ".pq") and path.is_file() and _readable_parquet(path):
            return _engine.parquet_source(path)
    return None


def _readable_parquet(path: Path) -> bool:
    import pyarrow.parquet as pq

    try:
        pq.read_schema(path)
    except (OSError, pa.ArrowException):
        return False  # the Arrow reader says what is wrong with the file
    return True


def _is_ibis_table(obj: Any) -> bool:
    kind = type(obj)
    return kind.__module__.startswith("ibis.") and kind.__name__ == "Table"


def _engine_read(
    source: Any, *, table: str | None, query: str | None, given: dict[str, Any], policy: dict[str, Any]
) -> Transactions | None:
    found = _engine_source(source, table=table, query=query)
    if found is None:
        return None
    try:
        probe = Loaded(pa.table({}), found.names, found.label, "engine")
        mapping = _resolve_mapping(probe, **given)
        if _engine.typed_for_engine(found.table.schema(), mapping) and found.kind == "duckdb":
            # Text dates or numbers: the Arrow contract parses every layout (vectorised over distinct values).
            for step in found.cleanup:
                step()
            found.cleanup = []
            return None
    except BaseException:
        for step in found.cleanup:
            step()
        raise
    tx = _engine.run_engine_contract(found, mapping, policy)
    _refuse_totals_lines(tx, mapping["names"]["customer_id"])
    return tx


def _refuse_totals_lines(tx: Transactions, column: str) -> None:
    """Stop when an engine table holds totals lines as customers (a file read in memory drops them)."""
    import ibis

    # The ids are already trimmed; a totals label may end in ":" or "." as in the exports.
    labels = [f"{label}{end}" for label in TOTALS_LABELS for end in ("", ":", ".")]
    keys = tx.stored_keys
    if keys is not None:  # one row per distinct id first: a clean base is not scanned again
        ids = keys.ids
        if not int(ids.filter(ids.customer_id.lower().isin(labels)).count().execute()):
            return
    t = tx.to_ibis()
    found = t.filter(t.customer_id.lower().isin(labels))
    counts = found.group_by("customer_id").agg(n=found.count()).order_by(ibis.desc("n")).limit(5)
    rows = counts.to_pyarrow().to_pydict()
    if not rows["customer_id"]:
        return
    total = int(found.count().execute())
    raise data_error(
        column,
        "totals lines of the export read as customers",
        total,
        rows["customer_id"],
        "Leave them out of the table (for a database, query= with a WHERE on the customer column), "
        "or rename a real customer of that name.",
    )


def _check_distinct_columns(given: dict[str, Any]) -> None:
    """Refuse one source column given for two roles, before anything is read.

    Read twice, the column would fail later as the wrong kind of value (customer ids "unparseable" as
    dates), which hides the real mistake: the mapping.
    """
    attributes = given["attributes"]
    if isinstance(attributes, str):
        raise ParameterError(
            f"attributes must be a list of column names, got the string {attributes!r}; write [{attributes!r}]."
        )
    roles = [
        (f"{param}=", name) for param, name in given.items() if param != "attributes" and name is not None
    ]
    roles += [("attributes=", name) for name in attributes or ()]
    first: dict[Any, str] = {}
    for param, name in roles:
        if name not in first:
            first[name] = param
            continue
        both = (
            f"attributes= names {name!r} twice"
            if param == first[name] == "attributes="
            else (f"{first[name]} and {param} both name the column {name!r}")
        )
        raise ParameterError(
            f"{both}: one source column cannot fill two roles. Give each role its own column "
            f"(e.g. customer='Client', date='Date', amount='Sum'), or leave the role out."
        )


def _check_date_format(fmt: Any) -> None:
    """Refuse a date_format that is neither a numeric layout nor a strptime format of known directives."""
    if fmt is None or fmt in NUMERIC_FORMATS:
        return
    allowed = (
        f"date_format must be a strptime format such as '%d.%m.%Y %H:%M' (directives %Y %y %m %d %H %M %S "
        f"%f %z %b %B ...) or one of {', '.join(repr(f) for f in NUMERIC_FORMATS)}; got {fmt!r}"
    )
    if not isinstance(fmt, str) or "%" not in fmt:
        raise ParameterError(f"{allowed}.")
    try:
        # The parser that reads the values judges the format, so exactly what it accepts passes.
        pd.to_datetime(pd.Series(["", "x"]), format=fmt, errors="coerce")
    except ValueError as exc:
        raise ParameterError(f"{allowed}: {exc}.") from exc


def _check_timezone(zone: Any) -> None:
    """Refuse an unknown zone name up front: otherwise only data with UTC offsets would ever notice it."""
    if zone is None:
        return
    try:
        pd.Timestamp(0, tz="UTC").tz_convert(zone)
    except Exception as exc:  # pytz, zoneinfo and dateutil each raise their own class
        import zoneinfo

        close = difflib.get_close_matches(str(zone), sorted(zoneinfo.available_timezones()), n=3)
        hint = f" Did you mean {' or '.join(repr(z) for z in close)}?" if close else ""
        raise ParameterError(
            f"timezone must be an IANA zone name such as 'Europe/Moscow', 'Asia/Almaty' or 'UTC'; got "
            f"{zone!r}, which is not a known zone.{hint}"
        ) from exc


def as_transactions(data: Transactions | pd.DataFrame) -> Transactions:
    """Accept a :class:`Transactions` or an already-canonical DataFrame.

    Analysis functions call this so users can pass ``segkit.read_transactions(...)`` or a frame with the
    canonical columns. A frame missing ``is_return`` gets it from the sign of ``amount``; a frame missing
    ``order_id`` gets one order per customer and day. Rows are taken as they are (duplicates, zero amounts
    and placeholder ids are kept).
    """
    if isinstance(data, Transactions):
        return data
    if is_spark_frame(data) or _is_ibis_table(data):
        # A canonical table where it lives: checked there, rows taken as they are (as for a frame below).
        return read_transactions(
            data, duplicates="keep", zero_amount="keep", placeholders="keep", placeholder_customers=()
        )
    if not isinstance(data, pd.DataFrame):
        raise DataContractError(
            f"Expected segkit.Transactions or a pandas DataFrame with canonical columns, got "
            f"{type(data).__name__}. Read the data with segkit.read_transactions(...) first."
        )
    missing = [c for c in ("customer_id", "order_date", "amount") if c not in data.columns]
    if missing:
        raise DataContractError(
            f"The DataFrame lacks the canonical column(s) {missing} (it has {list(data.columns)[:12]}). "
            "Map your columns with segkit.read_transactions(df, customer=..., date=..., amount=...)."
        )
    kwargs: dict[str, Any] = {"order": "order_id" if "order_id" in data.columns else None}
    frame = data.drop(columns=["is_return"], errors="ignore")
    return read_transactions(
        frame, duplicates="keep", zero_amount="keep", placeholders="keep", placeholder_customers=(), **kwargs
    )


# --------------------------------------------------------------------------------------------------
# mapping
# --------------------------------------------------------------------------------------------------

_ROLE_PARAMS = (
    ("quantity", "quantity"),
    ("price", "price"),
    ("margin", "margin"),
    ("cost", "cost"),
    ("product", "product"),
    ("category", "category"),
    ("channel", "channel"),
)


def _resolve_mapping(loaded: Loaded, **given: Any) -> dict[str, Any]:
    """Source column position of each canonical role (plus ``"attributes"``: name -> position)."""
    names = loaded.names
    mapping: dict[str, Any] = {"names": {}}

    def positions(name: str) -> list[int]:
        return [i for i, n in enumerate(names) if n == name]

    def need(role: str, param: str, name: str) -> int:
        found = positions(name)
        if not found:
            raise _missing_column(loaded, param, name)
        if len(found) > 1:
            where = ", ".join(str(i + 1) for i in found)
            raise DataContractError(
                f"Column {name!r} (given as {param}=) appears {len(found)} times in the data (columns {where}): "
                "segkit cannot tell which one you mean. Rename or remove the duplicate in the source."
            )
        mapping[role] = found[0]
        mapping["names"][role] = name
        return found[0]

    def default(role: str) -> None:
        if len(positions(role)) == 1:
            mapping[role] = positions(role)[0]
            mapping["names"][role] = role
        elif len(positions(role)) > 1:
            need(role, role, role)  # raises: two columns with the canonical name

    need("customer_id", "customer", given["customer"])
    need("order_date", "date", given["date"])
    for role, param in _ROLE_PARAMS:
        if given[param] is not None:
            need(role, param, given[param])
        elif role not in ("price", "cost"):
            default(role)
    if given["amount"] is not None:
        need("amount", "amount", given["amount"])
    elif positions("amount"):
        default("amount")
    elif not ("quantity" in mapping and "price" in mapping):
        raise DataContractError(
            "No amount column: pass amount= (the line total), or quantity= and price= to compute it. "
            f"Available columns: {format_examples(names, limit=30)}."
        )
    if given["order"] is not None:
        need("order_id", "order", given["order"])
    else:
        default("order_id")
    if "margin" in mapping and "cost" in mapping:
        raise DataContractError("Give margin= or cost=, not both: margin is computed as amount - cost.")
    attrs: dict[str, int] = {}
    for name in list(given["attributes"] or []):
        if name in CANONICAL_COLUMNS:
            raise DataContractError(
                f"Attribute {name!r} clashes with a canonical column name; rename it first."
            )
        attrs[name] = need(f"attribute:{name}", "attributes", name)
    mapping["attributes"] = attrs
    return mapping


def _missing_column(loaded: Loaded, param: str, name: str) -> DataContractError:
    names = loaded.names
    listed = format_examples(names, limit=30)
    if not loaded.header_found and loaded.title_like:
        first = loaded.first_line
        return DataContractError(
            f"Column {name!r} (given as {param}=) is not in the data: segkit looked for a header row holding "
            f"the customer and date column names in the first {HEADER_SEARCH_ROWS} lines and found none. The "
            f"first line reads {first[:60]!r} (columns: {listed}). Check the column names, or pass "
            "header_row= with the header's line number (1 = first line)."
        )
    misread = _misread_encoding(loaded, name)
    if misread is not None:
        return DataContractError(
            f"Column {name!r} (given as {param}=) is not in the data as read: the header was decoded as "
            f"{loaded.options['encoding']!r}, and read as {misread!r} it holds {name!r} (columns as read: "
            f"{listed}). Pass encoding={misread!r}, or leave encoding= out to have it found from the file."
        )
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return DataContractError(
        f"Column {name!r} (given as {param}=) is not in the data.{hint} Available columns: {listed}. "
        f"Pass the right name with {param}=."
    )


def _misread_encoding(loaded: Loaded, name: str) -> str | None:
    """The common encoding under which the file's header holds ``name``, when it was decoded with another.

    A UTF-8 export read as cp1251 (or the reverse) turns «Клиент» into «РљР»РёРµРЅС‚»: the mapping is right,
    the encoding is not, and saying so beats listing garbled names.
    """
    used = str(loaded.options.get("encoding", "")) if loaded.options else ""
    if not used:
        return None
    for other in ("utf-8", "cp1251", "utf-16"):
        if codecs.lookup(other).name == codecs.lookup(used).name:
            continue
        for shown in loaded.names:
            try:
                if shown.encode(used).decode(other).strip().lstrip("\ufeff") == name:
                    return other
            except (UnicodeError, LookupError):
                continue
    return None


# --------------------------------------------------------------------------------------------------
# the checks, column by column
# --------------------------------------------------------------------------------------------------


class _Reader:
    """One pass of the contract over a loaded source (kept as a class so each step is a small method)."""

    def __init__(self, loaded: Loaded, mapping: dict[str, Any]) -> None:
        self.loaded = loaded
        self.mapping = mapping
        self.table = loaded.table
        self.n = loaded.table.num_rows
        self.options: dict[str, Any] = dict(loaded.options)
        self.notes: list[str] = []
        self.warnings: list[str] = []

    # -- helpers
    def col(self, role: str) -> pa.ChunkedArray:
        return self.table.column(self.mapping[role])

    def name(self, role: str) -> str:
        return self.mapping["names"][role]

    def line(self, i: np.ndarray | int) -> Any:
        return np.asarray(i) + self.loaded.header_line + 1

    def examples(self, role: str, rows: np.ndarray, limit: int = 5) -> list[Any]:
        return self.col(role).take(pa.array(rows[:limit])).to_pylist()

    def empty_column(self, role: str, empty: np.ndarray) -> None:
        if self.n and empty.all():
            raise DataContractError(
                f"Column {self.name(role)!r} is entirely empty (all {rows_text(self.n)} have no value). Check that "
                "the right column is mapped, or fill it in the export."
            )

    def check_invalid(
        self, bad: np.ndarray, role: str, kind: str, policy: str, fix: str, missing=None
    ) -> np.ndarray:
        mask = bad & self.keep
        if policy == "raise" and mask.any():
            idx = np.flatnonzero(mask)
            empties = missing is not None and bool(missing[idx].any())
            problem = f"missing or unparseable {kind}" if empties else f"unparseable {kind}"
            raise data_error(self.name(role), problem, int(mask.sum()), self.examples(role, idx), fix)
        return mask

    # -- the pass
    def run(self, **policy: Any) -> Transactions:
        if self.n == 0:
            raise DataContractError(f"{self.loaded.source}: no data rows below the header.")
        self.keep = np.ones(self.n, dtype=bool)
        dropped: dict[str, int] = {}

        dup = _duplicate_rows(self.table)
        n_dups = int(dup.sum())
        dropped["exact duplicate"] = n_dups if policy["duplicates"] == "drop" else 0
        if policy["duplicates"] == "drop":
            self.keep &= ~dup

        customers, placeholder = self.customers(policy["placeholder_customers"])
        missing_cust = (customers.codes < 0) & self.keep
        self.empty_column("customer_id", customers.codes < 0)
        if policy["missing_customer"] == "raise" and missing_cust.any():
            raise data_error(
                self.name("customer_id"),
                "customer id is missing",
                int(missing_cust.sum()),
                [f"row {i}" for i in self.line(np.flatnonzero(missing_cust)[:5])],
                "Fill the ids, or pass missing_customer='drop' to drop these rows (they are counted).",
            )
        dropped["missing customer_id"] = int(missing_cust.sum())
        self.keep &= ~missing_cust
        totals = customers.rows(_is_totals_label(customers.uniq)) & self.keep
        if totals.any():
            # Counted only when present, so a clean file's report keeps the same reasons as before.
            dropped["totals row"] = int(totals.sum())
            self.keep &= ~totals
            self.totals_warning(customers, totals)
        placeholder &= self.keep
        n_placeholder = int(placeholder.sum())
        dropped["placeholder customer"] = n_placeholder if policy["placeholders"] == "drop" else 0
        if n_placeholder:
            self.placeholder_warning(customers, placeholder, policy["placeholders"])
        if policy["placeholders"] == "drop":
            self.keep &= ~placeholder

        bad_any = np.zeros(self.n, dtype=bool)
        dates, bad = self.dates(policy)
        bad_any |= bad
        amount, margin, quantity, bad = self.numbers(policy)
        bad_any |= bad
        order_ids, order_source, bad = self.order_ids(policy["invalid"])
        bad_any |= bad
        dropped["invalid value"] = int((bad_any & self.keep).sum())
        self.keep &= ~bad_any

        is_return = amount < 0
        if policy["cancel_prefix"] and order_ids is not None:
            is_return |= order_ids.rows(pc.starts_with(order_ids.uniq, policy["cancel_prefix"]))
        returns_found = int((is_return & self.keep).sum())
        if policy["returns"] == "raise" and returns_found:
            rows = np.flatnonzero(is_return & self.keep)
            prefix = policy["cancel_prefix"]
            raise data_error(
                self.name("amount") if "amount" in self.mapping else self.name("quantity"),
                "returns or cancellations present (negative amount"
                + (f" or order id starting with {prefix!r})" if prefix else ")"),
                returns_found,
                amount[rows[:5]].tolist(),
                "Pass returns='net' to subtract them or returns='drop' to leave them out.",
            )
        dropped["return/cancellation"] = returns_found if policy["returns"] == "drop" else 0
        if policy["returns"] == "drop":
            self.keep &= ~is_return
        # A cancellation line with a positive amount still takes money back under the net policy; its margin
        # flips with it. A return's own margin sign is kept: undoing a loss-making sale gives the loss back.
        flip = is_return & (amount > 0)
        amount = np.where(flip, -amount, amount)
        if margin is not None:
            margin = np.where(flip, -margin, margin)

        zero = (amount == 0) & self.keep
        dropped["zero amount"] = int(zero.sum()) if policy["zero_amount"] == "drop" else 0
        if policy["zero_amount"] == "drop":
            self.keep &= ~zero

        outliers = self.outliers(dates, policy["outlier_dates"])
        if policy["outlier_dates"] == "drop":
            dropped["outlier date"] = int(outliers.sum())
            self.keep &= ~outliers

        if not self.keep.any():
            raise DataContractError(
                f"No rows left after the checks ({self.n:,} read; dropped: "
                f"{ {k: v for k, v in dropped.items() if v} }). Check the column mapping and the policies "
                "(missing_customer=, placeholders=, returns=, zero_amount=)."
            )
        columns = {
            "customer_id": customers,
            "order_id": order_ids,
            "order_date": pa.array(dates, pa.timestamp("ns")),
            "amount": pa.array(amount),
            "is_return": pa.array(is_return),
        }
        if quantity is not None:
            columns["quantity"] = pa.array(quantity)
        if margin is not None:
            columns["margin"] = pa.array(margin)
        for role in _OPTIONAL_TEXT:
            if role in self.mapping:
                columns[role] = _clean_text(self.col(role))
                self.empty_column(role, np.asarray(columns[role].is_null()))
        for name, pos in self.mapping["attributes"].items():
            attr = self.table.column(pos)
            if pa.types.is_dictionary(attr.type):
                attr = attr.cast(attr.type.value_type)
            columns[name] = attr
        table, rows = self.assemble(columns, dates)
        quality = self.quality(
            table,
            rows,
            customers,
            order_ids,
            dropped,
            n_dups,
            returns_found,
            n_placeholder,
            order_source,
            dates,
            outliers,
            policy,
        )
        for message in self.warnings:
            warnings.warn(message, DataQualityWarning, stacklevel=3)
        return Transactions(table=table, quality=quality)

    # -- customers
    def customers(self, placeholder_ids: Sequence[str]) -> tuple[_Ids, np.ndarray]:
        ids = _clean_ids(self.col("customer_id"))
        if placeholder_ids and len(ids.uniq):
            wanted = pa.array([str(p).strip().lower() for p in placeholder_ids], pa.string())
            placeholder = ids.rows(pc.is_in(pc.utf8_lower(ids.uniq), value_set=wanted))
        else:
            placeholder = np.zeros(self.n, dtype=bool)
        return ids, placeholder

    def placeholder_warning(self, customers: _Ids, rows: np.ndarray, policy: str) -> None:
        values = pd.Series(customers.values(np.flatnonzero(rows)).to_pandas()).value_counts()
        shown = ", ".join(f"{k!r} ({rows_text(int(v))})" for k, v in values.head(5).items())
        what = "dropped" if policy == "drop" else "kept as customers"
        self.warnings.append(
            f"Column {self.name('customer_id')!r}: {rows_text(int(rows.sum()))} belong to placeholder customer ids "
            f"for anonymous buyers: {shown}; {what} (placeholders={policy!r}). Pass placeholder_customers=[...] "
            "to change the list, or placeholders='keep' to keep them."
        )

    def totals_warning(self, customers: _Ids, rows: np.ndarray) -> None:
        idx = np.flatnonzero(rows)
        shown = ", ".join(
            f"row {line}: {value!r}"
            for line, value in zip(self.line(idx[:5]), customers.values(idx[:5]).to_pylist(), strict=True)
        )
        self.warnings.append(
            f"Column {self.name('customer_id')!r}: {rows_text(len(idx))} "
            f"{'is a totals line' if len(idx) == 1 else 'are totals lines'} of the export, not "
            f"customers ({shown}); dropped and counted as 'totals row'. If a real customer has such a name, "
            "rename it in the export."
        )

    # -- dates
    def dates(self, policy: dict) -> tuple[np.ndarray, np.ndarray]:
        fmt = policy["date_format"]
        if fmt is not None and fmt not in NUMERIC_FORMATS and "%" not in fmt:
            raise ParameterError(
                f"date_format must be a strptime format such as '%d.%m.%Y' or one of "
                f"{', '.join(repr(f) for f in NUMERIC_FORMATS)}; got {fmt!r}."
            )
        parsed = parse_dates(
            self.col("order_date"),
            self.name("order_date"),
            date_format=fmt,
            timezone=policy["timezone"],
            excel=self.loaded.kind == "excel",
        )
        self.empty_column("order_date", parsed.missing)
        self.options["date format"] = parsed.format
        if parsed.zone != "as written (no offsets)":
            self.options["time zone"] = parsed.zone
        bad = self.check_invalid(
            parsed.missing | parsed.invalid,
            "order_date",
            "date",
            policy["invalid"],
            f"Give the format with date_format= (now {parsed.format!r}), or invalid='drop'.{parsed.hint}",
            missing=parsed.missing,
        )
        self.two_digit = parsed.two_digit_year
        return parsed.values, bad

    def outliers(self, dates: np.ndarray, policy: str) -> np.ndarray:
        kept = self.keep.copy()
        flags = np.zeros(self.n, dtype=bool)
        flags[kept] = date_outliers(dates[kept])
        two = self.two_digit & kept
        if two.any():
            self.notes.append(
                f"Two-digit years: {rows_text(int(two.sum()))} (read 00-68 as 20xx, 69-99 as 19xx)."
            )
        early = kept & (dates < np.datetime64("1990-01-01"))
        if early.any():
            self.notes.append(
                f"Dates before 1990: {rows_text(int(early.sum()))} (e.g. row {self.line(np.flatnonzero(early)[0])}:"
                f" {pd.Timestamp(dates[np.flatnonzero(early)[0]]).date()}); check they are real."
            )
        today = np.datetime64(pd.Timestamp.now().normalize() + pd.Timedelta(days=1), "ns")
        future = kept & (dates >= today) & ~flags
        if future.any():
            rows = np.flatnonzero(future)
            self.warnings.append(
                f"Column {self.name('order_date')!r}: {rows_text(len(rows))} dated after today's run date "
                f"(rows {', '.join(map(str, self.line(rows[:5])))}; e.g. {pd.Timestamp(dates[rows[0]])}). "
                "Check the export's dates."
            )
        if not flags.any():
            return flags
        rows = np.flatnonzero(flags)
        listed = ", ".join(
            f"row {r}: {pd.Timestamp(d)}" for r, d in zip(self.line(rows[:5]), dates[rows[:5]], strict=True)
        )
        self.warnings.append(
            outlier_dates_message(self.name("order_date"), rows_text(len(rows)), listed, policy)
        )
        self.outlier_flags = flags
        return flags

    # -- numbers
    def parse_number_column(self, role: str, policy: dict) -> NumberColumn:
        """Parse one number column; number cells of an Excel text column are taken as the numbers they are.

        Only the text cells say how the export writes numbers: a number cell's value is exact, and its text
        (``500.25``) would otherwise count as a decimal point against text cells written ``1 234,50``.
        """
        column = self.col(role)
        cells = self.loaded.cell_numbers.get(self.mapping[role])
        if cells is None:
            return parse_numbers(
                column, self.name(role), decimal=policy["decimal"], thousands=policy["thousands"]
            )
        is_cell = ~np.isnan(cells)
        text = pc.if_else(pa.array(is_cell), pa.scalar(None, pa.string()), column)
        result = parse_numbers(
            text, self.name(role), decimal=policy["decimal"], thousands=policy["thousands"]
        )
        if not (result.missing | is_cell).all():
            result.convention += "; number cells as they are"
        else:
            result = NumberColumn(result.values, result.missing, result.invalid, "native numbers")
        result.values = np.where(is_cell, cells, result.values)
        result.missing = result.missing & ~is_cell
        result.invalid = result.invalid & ~is_cell
        return result

    def numbers(self, policy: dict) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray]:
        parsed: dict[str, np.ndarray] = {}
        bad_any = np.zeros(self.n, dtype=bool)
        conventions: dict[str, str] = {}
        decimals: set[str] = set()
        for role in ("amount", "quantity", "price", "margin", "cost"):
            if role not in self.mapping:
                continue
            result = self.parse_number_column(role, policy)
            self.empty_column(role, result.missing)
            conventions[self.name(role)] = result.convention
            if result.decimal is not None:
                decimals.add(result.decimal)
            bad = result.missing | result.invalid
            fix = (
                f"The column is read with {result.convention}; set decimal= (and thousands=) if that is wrong, "
                "or pass invalid='drop'."
            )
            kind = "number"
            if (result.invalid & self.keep).any():
                sample = [
                    str(v).strip().lower()
                    for v in self.examples(role, np.flatnonzero(result.invalid & self.keep))
                ]
                if any(s.lstrip("+-") in ("inf", "infinity", "nan") or s in ("inf", "-inf") for s in sample):
                    kind = "number (infinite or NaN values are not amounts)"
            bad_any |= self.check_invalid(bad, role, kind, policy["invalid"], fix, missing=result.missing)
            parsed[role] = result.values
        self.options["decimal mark"] = ", ".join(sorted(decimals)) if decimals else "native numbers"
        if len(decimals) > 1:  # columns written differently: say which is which
            self.options["number format"] = "; ".join(f"{k}: {v}" for k, v in conventions.items())
        if "amount" in parsed:
            raw_amount = parsed["amount"]
        else:
            raw_amount = parsed["quantity"] * parsed["price"]
        amount = np.round(raw_amount, 2)
        margin = None
        if "margin" in parsed:
            margin = np.round(parsed["margin"], 2)
        elif "cost" in parsed:
            margin = np.round(raw_amount - parsed["cost"], 2)
        return amount, margin, parsed.get("quantity"), bad_any

    # -- orders
    def order_ids(self, invalid: str) -> tuple[_Ids | None, str, np.ndarray]:
        if "order_id" not in self.mapping:
            return None, "derived: one order per customer and day (no order column)", np.zeros(self.n, bool)
        ids = _clean_ids(self.col("order_id"))
        missing = ids.codes < 0
        self.empty_column("order_id", missing)
        bad = self.check_invalid(
            missing,
            "order_id",
            "order id",
            invalid,
            "Fill the order ids, omit order= to use one order per customer and day, or pass invalid='drop'.",
            missing=missing,
        )
        return ids, f"column {self.name('order_id')!r}", bad

    # -- output
    def assemble(self, columns: dict[str, Any], dates: np.ndarray) -> tuple[pa.Table, np.ndarray]:
        """The kept rows in date order (ties keep the source order), each column taken once."""
        kept = np.flatnonzero(self.keep)
        customers: _Ids = columns["customer_id"]
        orders: _Ids | None = columns["order_id"]
        stamps = dates[kept].view(np.int64)
        if len(stamps) > 1 and not bool(np.all(stamps[1:] >= stamps[:-1])):
            rows = kept[np.argsort(stamps, kind="stable")]
        else:
            rows = kept  # exports are usually in date order already: no sort to pay for
        everything = len(rows) == self.n and _is_identity(rows)
        out: dict[str, Any] = {"customer_id": customers.values(rows)}
        if orders is not None:
            out["order_id"] = orders.values(rows)
        for name, values in columns.items():
            if name in ("customer_id", "order_id"):
                continue
            if isinstance(values, np.ndarray):
                out[name] = pa.array(values if everything else values[rows])
            else:
                out[name] = values if everything else values.take(pa.array(rows))
        if orders is None:
            day = pc.strftime(out["order_date"], format="%Y-%m-%d")
            out["order_id"] = pc.binary_join_element_wise(out["customer_id"], day, "|")
        ordered = [c for c in CANONICAL_COLUMNS if c in out] + [c for c in out if c not in CANONICAL_COLUMNS]
        return pa.table({c: out[c] for c in ordered}), rows

    def quality(
        self,
        table,
        rows,
        customers,
        orders,
        dropped,
        n_dups,
        returns_found,
        n_placeholder,
        order_source,
        dates,
        outliers,
        policy,
    ) -> QualityReport:
        kept_dates = dates[rows]
        date_min, date_max = pd.Timestamp(kept_dates.min()), pd.Timestamp(kept_dates.max())
        bulk = self.keep & ~outliers
        last = pd.Timestamp(dates[bulk].max()) if bulk.any() else date_max
        default_as_of = last.normalize() + pd.Timedelta(days=1)
        rule = "the day after the last transaction"
        if outliers[self.keep].any():
            rule = (
                f"the day after the last transaction within the bulk of the data ({last}); "
                f"{rows_text(int(outliers[self.keep].sum()))} dated outside it come later and are left out unless "
                "as_of is given"
            )
        purchase_rows = rows[~np.asarray(table.column("is_return"), dtype=bool)]
        if orders is not None:
            n_orders = _n_distinct(orders.codes[purchase_rows])
        else:  # one order per customer and day
            day = dates[purchase_rows].astype("datetime64[D]").astype(np.int64)
            offset = day - day.min() if len(day) else day
            n_orders = _n_distinct(customers.codes[purchase_rows] * (1 << 24) + offset)
        return QualityReport(
            source=self.loaded.source,
            rows_read=self.n,
            rows_kept=table.num_rows,
            dropped=dropped,
            duplicates_found=n_dups,
            returns_found=returns_found,
            returns_policy=policy["returns"],
            order_id_source=order_source,
            date_min=date_min,
            date_max=date_max,
            n_customers=_n_distinct(customers.codes[rows]),
            n_orders=n_orders,
            net_revenue=round(float(pc.sum(table.column("amount")).as_py() or 0.0), 2),
            read_options={k: str(v) for k, v in self.options.items()},
            placeholders_found=n_placeholder,
            placeholder_policy=policy["placeholders"],
            default_as_of=default_as_of,
            as_of_rule=rule,
            notes=tuple(self.notes),
            warnings=tuple(self.warnings),
        )


def _is_identity(order: np.ndarray) -> bool:
    return bool(len(order) == 0 or (order[0] == 0 and np.all(np.diff(order) == 1)))


def _n_distinct(codes: np.ndarray) -> int:
    if len(codes) == 0:
        return 0
    if codes.min() >= 0 and codes.max() < 4 * len(codes) + 1024:
        return int(np.count_nonzero(np.bincount(codes)))  # small non-negative codes: no hashing
    return int(pd.unique(codes).size)


@dataclass
class _Ids:
    """An id column as codes into its distinct cleaned values (10M strings hashed once, not per step)."""

    uniq: pa.Array  # distinct cleaned ids, no nulls
    codes: np.ndarray  # int64 per row, -1 where the id is missing

    def rows(self, flags: pa.Array) -> np.ndarray:
        """Per-row booleans from one boolean per distinct id."""
        per_id = np.asarray(flags.fill_null(False), dtype=bool)
        if len(per_id) == 0:
            return np.zeros(len(self.codes), dtype=bool)
        return np.where(self.codes >= 0, per_id[np.maximum(self.codes, 0)], False)

    def values(self, rows: np.ndarray) -> pa.Array:
        return self.uniq.take(pa.array(self.codes[rows]))


def _is_totals_label(ids: pa.Array) -> pa.Array:
    """One boolean per distinct cleaned id: is it a totals line's label (:data:`TOTALS_LABELS`)?"""
    if len(ids) == 0:
        return pa.array([], pa.bool_())
    text = pc.utf8_rtrim(pc.utf8_lower(ids), characters=" :.")
    return pc.is_in(text, value_set=pa.array(TOTALS_LABELS, pa.string()))


def _dictionary(column: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray] | None:
    """Distinct values and row codes of an already dictionary-encoded string column, else None."""
    kind = column.type
    if not (pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type)) or column.num_chunks == 0:
        return None
    unified = column.unify_dictionaries()
    indices = [np.asarray(c.indices.fill_null(-1), dtype=np.int64) for c in unified.chunks]
    return unified.chunk(0).dictionary, np.concatenate(indices)


def _clean_ids(column: pa.ChunkedArray) -> _Ids:
    """Ids as trimmed strings (``17850.0`` from a float-typed column becomes ``17850``); missing -> -1."""
    known = _dictionary(column)
    if known is not None:
        return _clean_codes(*known)
    column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    kind = column.type
    if pa.types.is_floating(kind):
        values = column.to_numpy(zero_copy_only=False)
        finite = values[~np.isnan(values)]
        if np.all(finite == np.round(finite)):
            column = pc.cast(pc.cast(column, pa.int64(), safe=False), pa.string())
    if not pa.types.is_string(column.type):
        column = pc.cast(column, pa.string())
    encoded = pc.dictionary_encode(column)
    return _clean_codes(encoded.dictionary, np.asarray(encoded.indices.fill_null(-1), dtype=np.int64))


def _clean_codes(dictionary: pa.Array, raw_codes: np.ndarray) -> _Ids:
    raw_uniq = pc.utf8_trim_whitespace(dictionary)
    raw_uniq = pc.replace_substring_regex(raw_uniq, r"^(-?\d+)\.0+$", r"\1")
    missing = pc.is_in(pc.utf8_lower(raw_uniq), value_set=pa.array(_MISSING_TEXT))
    clean = pc.dictionary_encode(pc.if_else(missing, pa.scalar(None, pa.string()), raw_uniq))
    to_clean = np.asarray(clean.indices.fill_null(-1), dtype=np.int64)
    if len(to_clean) == 0:
        return _Ids(clean.dictionary, raw_codes)
    codes = np.where(raw_codes >= 0, to_clean[np.maximum(raw_codes, 0)], -1)
    return _Ids(clean.dictionary, codes)


def _clean_text(column: pa.ChunkedArray) -> pa.Array:
    column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    if not pa.types.is_string(column.type):
        column = pc.cast(column, pa.string())
    text = pc.utf8_trim_whitespace(column)
    missing = pc.is_in(pc.utf8_lower(text), value_set=pa.array(_MISSING_TEXT)).fill_null(True)
    return pc.if_else(missing, pa.scalar(None, text.type), text)


def _duplicate_rows(table: pa.Table) -> np.ndarray:
    """Rows equal in every source column to an earlier row (exact duplicates), found by DuckDB.

    DuckDB hashes the rows and returns only those whose hash repeats (one sort of the hashes with each
    row's number: each repeat sits beside an equal hash, and no row is hashed twice); those few are then
    compared value by value, so a hash collision can never mark a distinct row as a duplicate.
    """
    n = table.num_rows
    out = np.zeros(n, dtype=bool)
    columns = ", ".join(f'"{c}"' for c in table.column_names)
    con = cursor()
    try:
        con.register("segkit_source", table.append_column("segkit_row", pa.array(np.arange(n))))
        candidates = con.execute(
            "SELECT segkit_row FROM (SELECT segkit_row, h, lag(h) OVER (ORDER BY h) AS p, lead(h) OVER "
            f"(ORDER BY h) AS nx FROM (SELECT segkit_row, hash({columns}) AS h FROM segkit_source)) "
            "WHERE h = p OR h = nx"
        ).fetchnumpy()["segkit_row"]
    finally:
        con.close()
    if len(candidates):
        idx = np.sort(np.asarray(candidates, dtype=np.int64))
        subset = table.take(pa.array(idx)).to_pandas()
        out[idx] = subset.astype(str).duplicated(keep="first").to_numpy()
    return out
