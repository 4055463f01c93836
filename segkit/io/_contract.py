"""The data contract: any CRM or shop export in, one canonical transactions table out.

Every later analysis reads the canonical table, so every check lives here, once. The reader never loses a
row silently: each input row is either kept or counted under exactly one drop reason in
:class:`QualityReport`.
"""

from __future__ import annotations

import bz2
import csv
import difflib
import gzip
import lzma
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._errors import DataContractError, check_choice, data_error, format_examples

__all__ = ["CANONICAL_COLUMNS", "QualityReport", "Transactions", "as_transactions", "read_transactions"]

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
_REQUIRED = ("customer_id", "order_id", "order_date", "amount", "is_return")
_OPTIONAL_TEXT = ("product", "category", "channel")

# Tried in this order when no date_format is given; a column must parse fully under a format to be
# considered, and two formats that both parse but disagree (03/04 as March or April) are an error.
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
    "%Y%m%d",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d-%m-%Y",
)
# pandas' own "str" dtype; astype("str") from the nullable "string" dtype turns <NA> into the text "<NA>".
_STR = pd.StringDtype(na_value=np.nan)
_MISSING_TEXT = {"", "nan", "none", "null", "na", "n/a", "<na>", "nat"}


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
            "order_id_source": self.order_id_source,
            "date_min": None if self.date_min is None else self.date_min.isoformat(),
            "date_max": None if self.date_max is None else self.date_max.isoformat(),
            "n_customers": self.n_customers,
            "n_orders": self.n_orders,
            "net_revenue": self.net_revenue,
            "read_options": dict(self.read_options),
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
            ("order id", self.order_id_source),
            ("first transaction", _fmt_ts(self.date_min)),
            ("last transaction", _fmt_ts(self.date_max)),
            ("customers", f"{self.n_customers:,}"),
            ("orders", f"{self.n_orders:,}"),
            ("net revenue", f"{self.net_revenue:,.2f}"),
        ]
        rows += [(f"read option: {k}", v) for k, v in self.read_options.items()]
        return pd.DataFrame(rows, columns=["measure", "value"])

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


def _fmt_ts(ts: pd.Timestamp | None) -> str:
    return "-" if ts is None else str(ts)


@dataclass
class Transactions:
    """The canonical transactions table and its data-quality report.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per transaction line with the canonical columns (see :data:`CANONICAL_COLUMNS`);
        optional columns are present only when the source had them. ``is_return`` marks returns and
        cancellations kept under the ``"net"`` policy (their ``amount`` is negative).
    quality : QualityReport
        How every input row was handled.
    """

    data: pd.DataFrame
    quality: QualityReport
    _engine_table: Any = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.data)

    def has(self, column: str) -> bool:
        """Whether the optional canonical ``column`` (e.g. ``"margin"``) is present."""
        return column in self.data.columns

    @property
    def default_as_of(self) -> pd.Timestamp:
        """The default analysis date: the day after the last transaction (never "today")."""
        if self.data.empty:
            raise DataContractError("The transactions table is empty: there is no date to report as of.")
        return self.data["order_date"].max().normalize() + pd.Timedelta(days=1)

    def __repr__(self) -> str:
        q = self.quality
        return (
            f"Transactions({q.rows_kept:,} rows, {q.n_customers:,} customers, {q.n_orders:,} orders, "
            f"{_fmt_ts(q.date_min)} .. {_fmt_ts(q.date_max)}; {q.rows_dropped:,} of {q.rows_read:,} "
            f"input rows dropped)"
        )


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
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    sheet: str | int = 0,
    returns: Literal["net", "drop", "raise"] = "net",
    cancel_prefix: str | None = None,
    duplicates: Literal["drop", "keep"] = "drop",
    missing_customer: Literal["drop", "raise"] = "drop",
    zero_amount: Literal["drop", "keep"] = "drop",
    invalid: Literal["raise", "drop"] = "raise",
) -> Transactions:
    """Read a transactions export and check it against the data contract.

    Parameters
    ----------
    source : str, pathlib.Path, pandas.DataFrame or polars.DataFrame
        A CSV/TXT file (optionally ``.gz``, ``.bz2``, ``.xz`` or ``.zip``), an Excel workbook
        (``.xlsx``, ``.xlsm``, ``.xls``), a Parquet file, or a data frame.
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
        A :func:`~datetime.datetime.strptime` format such as ``"%d.%m.%Y %H:%M"``. When omitted the
        format is inferred; an ambiguous column (day/month order unclear) raises and asks for it.
    sep, decimal, encoding : str, optional
        CSV options. By default the separator is sniffed among ``, ; TAB |`` (whitespace otherwise),
        the encoding is UTF-8 with a cp1251 fallback (1C/Bitrix exports), and the decimal mark is ``,``
        when the file is ``;``-separated or the numbers use a decimal comma.
    sheet : str or int
        The Excel sheet.
    returns : {"net", "drop", "raise"}
        Policy for returns and cancellations (a negative amount, or an order id starting with
        ``cancel_prefix``): keep them as negative amounts flagged ``is_return``, drop them, or raise.
    cancel_prefix : str, optional
        Order-id prefix marking cancellations, e.g. ``"C"`` for the UCI Online Retail export.
    duplicates : {"drop", "keep"}
        What to do with exact duplicate input rows (every source column equal).
    missing_customer : {"drop", "raise"}
        What to do with rows without a customer id (guest checkouts, for example).
    zero_amount : {"drop", "keep"}
        What to do with zero-amount lines (free samples, price errors).
    invalid : {"raise", "drop"}
        What to do with unparseable or missing dates and amounts. Raising is the default because a
        half-parsed file gives silently wrong numbers.

    Returns
    -------
    Transactions
        ``.data`` is the canonical table, ``.quality`` the :class:`QualityReport`.

    Raises
    ------
    DataContractError
        When a column is missing or values cannot be used; the message names the column, the number of
        rows, examples, and what to do.

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
    >>> tx.quality.dropped
    {'exact duplicate': 0, 'missing customer_id': 1, 'invalid value': 0, 'return/cancellation': 0, 'zero amount': 0}
    """
    check_choice("returns", returns, ("net", "drop", "raise"))
    check_choice("duplicates", duplicates, ("drop", "keep"))
    check_choice("missing_customer", missing_customer, ("drop", "raise"))
    check_choice("zero_amount", zero_amount, ("drop", "keep"))
    check_choice("invalid", invalid, ("raise", "drop"))

    raw, source_name, options = _load(source, sep=sep, encoding=encoding, sheet=sheet)
    raw = raw.reset_index(drop=True)
    raw.columns = [str(c).strip() for c in raw.columns]
    mapping = _resolve_mapping(
        raw,
        customer=customer,
        date=date,
        amount=amount,
        order=order,
        quantity=quantity,
        price=price,
        margin=margin,
        cost=cost,
        product=product,
        category=category,
        channel=channel,
        attributes=attributes,
    )
    decimal = _choose_decimal(raw, mapping, decimal, options.get("separator"))
    options["decimal mark"] = decimal

    n_read = len(raw)
    keep = np.ones(n_read, dtype=bool)
    dropped: dict[str, int] = {}

    # Duplicates first: "exact duplicate" is a property of the raw row, whatever else is wrong with it.
    dup_mask = raw.duplicated(keep="first").to_numpy()
    n_dups = int(dup_mask.sum())
    if duplicates == "drop":
        dropped["exact duplicate"] = n_dups
        keep &= ~dup_mask
    else:
        dropped["exact duplicate"] = 0

    customer_ids = _clean_ids(raw[mapping["customer_id"]])
    missing_cust = customer_ids.isna().to_numpy() & keep
    if missing_customer == "raise" and missing_cust.any():
        raise data_error(
            mapping["customer_id"],
            "customer id is missing",
            int(missing_cust.sum()),
            [f"row {i + 2}" for i in np.flatnonzero(missing_cust)[:5]],
            "Fill the ids, or pass missing_customer='drop' to drop these rows (they are counted).",
        )
    dropped["missing customer_id"] = int(missing_cust.sum())
    keep &= ~missing_cust

    out = pd.DataFrame({"customer_id": customer_ids})
    bad_any = np.zeros(n_read, dtype=bool)

    dates, fmt = _parse_dates(raw[mapping["order_date"]], mapping["order_date"], date_format, keep)
    options["date format"] = fmt
    out["order_date"] = dates
    bad_any |= _check_invalid(
        dates.isna(),
        raw[mapping["order_date"]],
        mapping["order_date"],
        "date",
        keep,
        invalid,
        f"Give the format with date_format= (now {fmt!r}), or invalid='drop'.",
    )

    numbers: dict[str, pd.Series] = {}
    for role in ("amount", "quantity", "price", "margin", "cost"):
        if role in mapping:
            col = mapping[role]
            numbers[role] = _parse_number(raw[col], decimal)
            bad_any |= _check_invalid(
                numbers[role].isna(),
                raw[col],
                col,
                "number",
                keep,
                invalid,
                f"Check the decimal mark (now {decimal!r}, set decimal=) or pass invalid='drop'.",
            )

    if "amount" in numbers:
        amount_values = numbers["amount"]
    else:
        amount_values = numbers["quantity"] * numbers["price"]
    out["amount"] = amount_values.round(2)
    if "quantity" in numbers:
        out["quantity"] = numbers["quantity"]
    if "margin" in numbers:
        out["margin"] = numbers["margin"].round(2)
    elif "cost" in numbers:
        out["margin"] = (amount_values - numbers["cost"]).round(2)

    if "order_id" in mapping:
        order_ids = _clean_ids(raw[mapping["order_id"]])
        bad_any |= _check_invalid(
            order_ids.isna(),
            raw[mapping["order_id"]],
            mapping["order_id"],
            "order id",
            keep,
            invalid,
            "Fill the order ids, omit order= to use one order per customer and day, or pass invalid='drop'.",
        )
        order_source = f"column {mapping['order_id']!r}"
    else:
        order_ids = None
        order_source = "derived: one order per customer and day (no order column)"

    dropped["invalid value"] = int((bad_any & keep).sum())
    keep &= ~bad_any

    is_return = (out["amount"] < 0).to_numpy(copy=True)
    if cancel_prefix and order_ids is not None:
        is_return |= order_ids.str.startswith(cancel_prefix, na=False).to_numpy()
    returns_found = int((is_return & keep).sum())
    if returns == "raise" and returns_found:
        rows = np.flatnonzero(is_return & keep)
        raise data_error(
            mapping.get("amount", mapping.get("quantity", "amount")),
            "returns or cancellations present (negative amount"
            + (f" or order id starting with {cancel_prefix!r})" if cancel_prefix else ")"),
            returns_found,
            out["amount"].iloc[rows[:5]].tolist(),
            "Pass returns='net' to subtract them or returns='drop' to leave them out.",
        )
    if returns == "drop":
        dropped["return/cancellation"] = returns_found
        keep &= ~is_return
    else:
        dropped["return/cancellation"] = 0
    # A cancellation line with a positive amount still takes money back under the net policy; its margin
    # flips with it. A return's own margin sign is kept: undoing a loss-making sale gives the loss back.
    flip = is_return & (out["amount"] > 0).to_numpy()
    out["amount"] = np.where(flip, -out["amount"], out["amount"])
    if "margin" in out:
        out["margin"] = np.where(flip, -out["margin"], out["margin"])
    out["is_return"] = is_return

    zero = (out["amount"] == 0).to_numpy() & keep
    dropped["zero amount"] = int(zero.sum()) if zero_amount == "drop" else 0
    if zero_amount == "drop":
        keep &= ~zero

    for role in _OPTIONAL_TEXT:
        if role in mapping:
            out[role] = _clean_text(raw[mapping[role]])
    for col in mapping.get("attributes", []):
        out[col] = raw[col].to_numpy()

    if not keep.any():
        raise DataContractError(
            f"No rows left after the checks ({n_read:,} read; dropped: "
            f"{ {k: v for k, v in dropped.items() if v} }). Check the column mapping and the policies "
            "(missing_customer=, returns=, zero_amount=)."
        )
    out = out.loc[keep]
    if order_ids is not None:
        out.insert(1, "order_id", order_ids.loc[keep])
    else:
        day = out["order_date"].dt.strftime("%Y-%m-%d").astype(_STR)
        out.insert(1, "order_id", out["customer_id"] + "|" + day)
    data = _canonical_order(out).sort_values(["order_date", "customer_id", "order_id"], kind="stable")
    data = data.reset_index(drop=True)

    purchases = data.loc[~data["is_return"]]
    quality = QualityReport(
        source=source_name,
        rows_read=n_read,
        rows_kept=len(data),
        dropped=dropped,
        duplicates_found=n_dups,
        returns_found=returns_found,
        returns_policy=returns,
        order_id_source=order_source,
        date_min=None if data.empty else data["order_date"].min(),
        date_max=None if data.empty else data["order_date"].max(),
        n_customers=int(data["customer_id"].nunique()),
        n_orders=int(purchases["order_id"].nunique()),
        net_revenue=round(float(data["amount"].sum()), 2),
        read_options={k: str(v) for k, v in options.items()},
    )
    return Transactions(data=data, quality=quality)


def as_transactions(data: Transactions | pd.DataFrame) -> Transactions:
    """Accept a :class:`Transactions` or an already-canonical DataFrame.

    Analysis functions call this so users can pass ``segkit.read_transactions(...)`` or a frame with the
    canonical columns. A frame missing ``is_return`` gets it from the sign of ``amount``; a frame missing
    ``order_id`` gets one order per customer and day.
    """
    if isinstance(data, Transactions):
        return data
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
    return read_transactions(frame, duplicates="keep", zero_amount="keep", **kwargs)


# --------------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------------

_CSV_SUFFIXES = {".csv", ".txt", ".tsv", ".dat"}
_COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def _load(
    source: Any, *, sep: str | None, encoding: str | None, sheet: str | int
) -> tuple[pd.DataFrame, str, dict]:
    if isinstance(source, pd.DataFrame):
        return source, f"pandas DataFrame ({len(source):,} rows)", {}
    if type(source).__module__.split(".")[0] == "polars":
        frame = source.to_pandas()
        return frame, f"polars DataFrame ({len(frame):,} rows)", {}
    if not isinstance(source, str | Path):
        raise DataContractError(
            f"source must be a file path or a pandas/polars DataFrame, got {type(source).__name__}."
        )
    path = Path(source)
    if not path.is_file():
        raise DataContractError(
            f"Cannot read {str(path)!r}: no such file. Check the path (relative to {Path.cwd()})."
        )
    suffixes = [s.lower() for s in path.suffixes]
    inner = (
        suffixes[-2]
        if len(suffixes) > 1 and suffixes[-1] in {*_COMPRESSED, ".zip"}
        else suffixes[-1:] and suffixes[-1]
    )
    try:
        if inner in {".xlsx", ".xlsm", ".xls"}:
            return pd.read_excel(path, sheet_name=sheet, dtype=object), str(path), {"sheet": sheet}
        if inner in {".parquet", ".pq"}:
            return pd.read_parquet(path), str(path), {}
    except (ValueError, OSError, ImportError) as exc:
        raise DataContractError(f"Cannot read {str(path)!r}: {exc}. Is it a valid {inner} file?") from exc
    if inner not in _CSV_SUFFIXES and inner not in {*_COMPRESSED, ".zip"}:
        raise DataContractError(
            f"Cannot tell the format of {str(path)!r} from its name. Use a .csv, .txt, .xlsx or .parquet "
            "file, or read it yourself and pass the DataFrame."
        )
    return _read_csv(path, sep=sep, encoding=encoding)


def _head_bytes(path: Path, n: int = 65536) -> bytes:
    suffix = path.suffix.lower()
    if suffix in _COMPRESSED:
        with _COMPRESSED[suffix](path, "rb") as fh:
            return fh.read(n)
    if suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            with zf.open(zf.namelist()[0]) as fh:
                return fh.read(n)
    with open(path, "rb") as fh:
        return fh.read(n)


def _sniff_sep(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if len(lines) > 1:
        lines = lines[:-1]  # the last line of a byte sample may be cut in half
    best, best_score = None, 0
    for cand in (";", ",", "\t", "|"):
        counts = [len(next(csv.reader([ln], delimiter=cand))) - 1 for ln in lines]
        if counts and min(counts) > 0 and len(set(counts)) == 1 and counts[0] > best_score:
            best, best_score = cand, counts[0]
    # Fixed-width or space-separated research files (CDNOW) have none of the usual separators.
    return best if best is not None else r"\s+"


def _read_csv(path: Path, *, sep: str | None, encoding: str | None) -> tuple[pd.DataFrame, str, dict]:
    head = _head_bytes(path)
    encodings = [encoding] if encoding else ["utf-8-sig", "cp1251"]
    last_error: Exception | None = None
    for enc in encodings:
        try:
            text = head.decode(enc)
        except UnicodeDecodeError as exc:
            if len(head) == 65536 and exc.start > len(head) - 4:
                text = head[: exc.start].decode(enc)  # a multi-byte character cut by the sample
            else:
                last_error = exc
                continue
        used_sep = sep or _sniff_sep(text)
        try:
            frame = pd.read_csv(
                path,
                sep=used_sep,
                encoding=enc,
                dtype=str,
                keep_default_na=False,
                engine="python" if len(used_sep) > 1 and used_sep != r"\s+" else "c",
            )
        except UnicodeDecodeError as exc:
            last_error = exc
            continue
        except (pd.errors.ParserError, ValueError) as exc:
            raise DataContractError(
                f"Cannot parse {str(path)!r} as CSV with separator {used_sep!r} and encoding {enc!r}: {exc}. "
                "Pass sep= (and encoding=) explicitly."
            ) from exc
        shown_sep = {"\t": "TAB", r"\s+": "whitespace"}.get(used_sep, used_sep)
        return frame, str(path), {"encoding": enc.replace("-sig", ""), "separator": shown_sep}
    raise DataContractError(
        f"Cannot decode {str(path)!r} with {', '.join(encodings)} ({last_error}). Pass encoding= "
        "(for example 'cp1251' for 1C exports or 'utf-16')."
    )


# --------------------------------------------------------------------------------------------------
# mapping and parsing
# --------------------------------------------------------------------------------------------------


def _resolve_mapping(raw: pd.DataFrame, **given: Any) -> dict[str, Any]:
    columns = list(raw.columns)
    mapping: dict[str, Any] = {}

    def need(role: str, param: str, name: str) -> None:
        if name not in raw.columns:
            close = difflib.get_close_matches(name, columns, n=3, cutoff=0.5)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise DataContractError(
                f"Column {name!r} (given as {param}=) is not in the data.{hint} Available columns: "
                f"{format_examples(columns, limit=30)}. Pass the right name, e.g. {param}={columns[0]!r}."
            )
        mapping[role] = name

    need("customer_id", "customer", given["customer"])
    need("order_date", "date", given["date"])
    for role, param in (
        ("quantity", "quantity"),
        ("price", "price"),
        ("margin", "margin"),
        ("cost", "cost"),
        ("product", "product"),
        ("category", "category"),
        ("channel", "channel"),
    ):
        if given[param] is not None:
            need(role, param, given[param])
        elif role in raw.columns and role != "price" and role != "cost":
            mapping[role] = role
    if given["amount"] is not None:
        need("amount", "amount", given["amount"])
    elif "amount" in raw.columns:
        mapping["amount"] = "amount"
    elif not ("quantity" in mapping and "price" in mapping):
        raise DataContractError(
            "No amount column: pass amount= (the line total), or quantity= and price= to compute it. "
            f"Available columns: {format_examples(columns, limit=30)}."
        )
    if given["order"] is not None:
        need("order_id", "order", given["order"])
    elif "order_id" in raw.columns:
        mapping["order_id"] = "order_id"
    if "margin" in mapping and "cost" in mapping:
        raise DataContractError("Give margin= or cost=, not both: margin is computed as amount - cost.")
    attrs = list(given["attributes"] or [])
    for name in attrs:
        if name in CANONICAL_COLUMNS:
            raise DataContractError(
                f"Attribute {name!r} clashes with a canonical column name; rename it first."
            )
        need(f"attribute:{name}", "attributes", name)
    mapping["attributes"] = attrs
    return mapping


def _clean_ids(series: pd.Series) -> pd.Series:
    """Ids as trimmed strings; ``17850.0`` (a float-typed id column) becomes ``17850``."""
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isnan(values) | (values == np.round(values))
        if whole.all():
            series = pd.Series(pd.array(values, dtype="Float64")).astype("Int64")
    text = series.astype("string").str.strip()
    text = text.where(~text.str.lower().isin(_MISSING_TEXT))
    text = text.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
    return text.astype(_STR)


def _clean_text(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip()
    return text.where(~text.str.lower().isin(_MISSING_TEXT)).astype(_STR)


def _parse_dates(
    series: pd.Series, column: str, date_format: str | None, keep: np.ndarray
) -> tuple[pd.Series, str]:
    if pd.api.types.is_datetime64_any_dtype(series):
        values = pd.to_datetime(series)
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_localize(None)
        return values.astype("datetime64[ns]"), "native datetime"
    text = series.astype("string").str.strip()
    text = text.where(~text.str.lower().isin(_MISSING_TEXT))
    if date_format is None:
        date_format = _infer_date_format(text[keep], column)
    if date_format in ("native datetime", "mixed"):
        parsed = pd.to_datetime(series, errors="coerce")
    else:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
    return parsed.astype("datetime64[ns]"), date_format


def _infer_date_format(text: pd.Series, column: str) -> str:
    values = pd.Series(text.dropna().unique())
    if values.empty:
        return "%Y-%m-%d"
    if pd.api.types.is_object_dtype(values) and values.map(lambda v: hasattr(v, "year")).all():
        return "native datetime"  # Excel cells already holding datetimes
    values = values.astype(str)
    full: list[tuple[str, pd.Series]] = []
    for fmt in _DATE_FORMATS:
        parsed = pd.to_datetime(values, format=fmt, errors="coerce")
        if parsed.notna().all():
            full.append((fmt, parsed))
    if not full:
        best = max(
            _DATE_FORMATS, key=lambda f: pd.to_datetime(values, format=f, errors="coerce").notna().mean()
        )
        parsed = pd.to_datetime(values, format=best, errors="coerce")
        if parsed.notna().mean() < 0.5:
            raise data_error(
                column,
                "dates in an unrecognised format",
                int(len(values)),
                values.head(5).tolist(),
                "Pass date_format= with the strptime format, e.g. date_format='%d.%m.%Y'.",
            )
        return best
    first_fmt, first = full[0]
    for fmt, other in full[1:]:
        if not first.equals(other):
            raise data_error(
                column,
                f"ambiguous dates: both {first_fmt!r} and {fmt!r} fit every value but give different dates",
                int(len(values)),
                values.head(5).tolist(),
                f"Pass date_format= explicitly, e.g. date_format={first_fmt!r}.",
            )
    return first_fmt


_NUMBER_JUNK = re.compile(r"[\s\u00a0\u202f'’]")


def _choose_decimal(raw: pd.DataFrame, mapping: dict, decimal: str | None, sep: str | None) -> str:
    if decimal is not None:
        check_choice("decimal", decimal, (".", ","))
        return decimal
    if sep == ";":
        return ","
    for role in ("amount", "price", "quantity", "margin", "cost"):
        col = mapping.get(role)
        if col is None or pd.api.types.is_numeric_dtype(raw[col]):
            continue
        sample = raw[col].dropna().astype(str).head(5000)
        comma = sample.str.contains(r",\d{1,2}$", regex=True).any()
        dot = sample.str.contains(r"\.\d+$", regex=True).any()
        if comma and not dot:
            return ","
    return "."


def _parse_number(series: pd.Series, decimal: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return pd.Series(series.to_numpy(dtype=float, na_value=np.nan), index=series.index)
    text = series.astype("string").str.strip()
    text = text.where(~text.str.lower().isin(_MISSING_TEXT))
    text = text.str.replace(_NUMBER_JUNK, "", regex=True)
    thousands = "." if decimal == "," else ","
    text = text.str.replace(thousands, "", regex=False)
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    # "(12.50)" is how some accounting exports write a negative number.
    text = text.str.replace(r"^\((.*)\)$", r"-\1", regex=True)
    return pd.to_numeric(text, errors="coerce").astype(float)


def _check_invalid(
    bad: pd.Series,
    original: pd.Series,
    column: str,
    kind: str,
    keep: np.ndarray,
    policy: str,
    fix: str,
) -> np.ndarray:
    mask = bad.to_numpy(dtype=bool) & keep
    if policy == "raise" and mask.any():
        idx = np.flatnonzero(mask)
        empties = original.iloc[idx].isna() | (original.iloc[idx].astype(str).str.strip() == "")
        problem = f"missing or unparseable {kind}" if empties.any() else f"unparseable {kind}"
        raise data_error(column, problem, int(mask.sum()), original.iloc[idx[:5]].tolist(), fix)
    return mask


def _canonical_order(frame: pd.DataFrame) -> pd.DataFrame:
    ordered = [c for c in CANONICAL_COLUMNS if c in frame.columns]
    extras = [c for c in frame.columns if c not in ordered]
    return frame[ordered + extras]
