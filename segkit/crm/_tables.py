"""The CRM tables and their contract: readers, column mapping, types and a quality summary per table.

Every CRM table is optional. Each has canonical columns with a type (id, text, date, number, rating,
flag or a choice from a fixed list); a reader maps the source's columns onto them, parses the values the
way 1C/Bitrix24/amoCRM exports write them (``DD.MM.YYYY``, decimal commas, ``да``/``нет``), and accounts
for every input row: a row is kept or counted under exactly one drop reason.

:class:`CRM` holds any subset of the tables plus, optionally, the transactions; each analysis asks it for
the tables it needs and gets a :class:`MissingTableError` naming the table when one is absent.
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._errors import DataContractError, SegkitError, check_choice, data_error, format_examples, translatable
from .._validation import check_encoding
from ..engine import known_customers
from ..io import Transactions, read_transactions

__all__ = [
    "CRM",
    "CRM_TABLES",
    "CRMTable",
    "MissingTableError",
    "TableQuality",
    "read_crm",
    "read_crm_table",
]

_STR = pd.StringDtype(na_value=np.nan)
_MISSING_TEXT = {"", "nan", "none", "null", "na", "n/a", "<na>", "nat", "-"}

#: Lead stages: readiness of an open lead (cold, warm, hot) or its outcome (won, refused).
LEAD_STAGES = ("cold", "warm", "hot", "won", "refused")
#: Who started a request: the client (counts as client activity) or we did.
INITIATORS = ("client", "us")
#: Kinds of feedback; complaints count as engagement in the evaluative loyalty type.
FEEDBACK_KINDS = ("review", "complaint", "suggestion")
CUSTOMER_KINDS = ("B2B", "B2C")

# Russian CRM exports write choices in Russian; these map to the canonical values (after lower-casing).
_SYNONYMS = {
    "stage": {
        "холодный": "cold",
        "холодная": "cold",
        "тёплый": "warm",
        "теплый": "warm",
        "тёплая": "warm",
        "теплая": "warm",
        "горячий": "hot",
        "горячая": "hot",
        "выигран": "won",
        "успешно": "won",
        "сделка": "won",
        "отказ": "refused",
        "lost": "refused",
        "проигран": "refused",
    },
    "initiated_by": {"клиент": "client", "customer": "client", "мы": "us", "менеджер": "us", "company": "us"},
    "kind": {"отзыв": "review", "жалоба": "complaint", "претензия": "complaint", "предложение": "suggestion"},
    "customer_kind": {"b2b": "B2B", "b2c": "B2C", "юл": "B2B", "фл": "B2C"},
}
_TRUE = {"1", "1.0", "true", "yes", "y", "да", "д", "+", "истина"}
_FALSE = {"0", "0.0", "false", "no", "n", "нет", "н", "ложь"}

# column spec: (canonical name, type, required). Types: id, text, date, number, rating (1-5),
# score (0-10), flag (yes/no), or ("choice", allowed values, synonym group).
_Spec = tuple[str, Any, bool]
CRM_TABLES: dict[str, tuple[_Spec, ...]] = {
    "leads": (
        ("lead_id", "id", True),
        ("contact_date", "date", True),
        ("customer_id", "id", False),  # set once the lead became a customer
        ("source", "text", False),  # acquisition channel / "how did you hear about us"
        ("referred_by", "id", False),  # the customer the lead heard about us from
        ("stage", ("choice", LEAD_STAGES, "stage"), True),
        ("customer_kind", ("choice", CUSTOMER_KINDS, "customer_kind"), False),
        ("manager", "text", False),
        ("refusal_date", "date", False),
        ("brand_strength", "rating", False),
        ("order_attractiveness", "rating", False),
        ("closeness", "rating", False),
        ("winner_deadline", "date", False),
        ("winner_launch", "date", False),
    ),
    "customers": (
        ("customer_id", "id", True),
        ("customer_kind", ("choice", CUSTOMER_KINDS, "customer_kind"), False),
        ("industry", "text", False),
        ("region", "text", False),
        ("manager", "text", False),
        ("segment", "text", False),  # a static segment (a hand-made list such as VIP)
        ("channel", "text", False),  # acquisition channel
    ),
    "invoices": (
        ("invoice_id", "id", True),
        ("customer_id", "id", True),
        ("sent_date", "date", True),
        ("paid_date", "date", False),
        ("docs_sent_date", "date", False),
        ("docs_signed_date", "date", False),
        ("amount", "number", False),
    ),
    "requests": (
        ("customer_id", "id", True),
        ("request_date", "date", True),
        ("via_form", "flag", False),
        ("initiated_by", ("choice", INITIATORS, "initiated_by"), False),
    ),
    "events": (
        ("customer_id", "id", True),
        ("event_date", "date", True),
        ("event", "text", False),
    ),
    "mailings": (
        ("customer_id", "id", True),
        ("sent_date", "date", True),
        ("opened", "flag", False),
        ("responded", "flag", False),
    ),
    "feedback": (
        ("customer_id", "id", True),
        ("feedback_date", "date", True),
        ("kind", ("choice", FEEDBACK_KINDS, "kind"), False),
    ),
    "referrals": (
        ("referrer_id", "id", True),  # the customer who recommended us
        ("referral_date", "date", True),
        ("referred_id", "id", False),  # the lead or customer they brought
    ),
    "surveys": (
        ("customer_id", "id", True),
        ("survey_date", "date", True),
        ("score", "score", True),
        ("manager", "text", False),
    ),
    "assessments": (
        ("customer_id", "id", True),
        ("capacity", "rating", True),  # a manager's rating of how much more we could sell them
        ("assessment_date", "date", False),
        ("manager", "text", False),
    ),
}

_DATE_FORMATS = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d/%m/%Y",
)


class MissingTableError(SegkitError, LookupError):
    """An analysis needs a CRM table that was not given."""


@dataclass(frozen=True)
class TableQuality:
    """What happened to every input row of one CRM table.

    ``rows_read == rows_kept + sum(dropped.values())`` always holds.
    """

    table: str
    source: str
    rows_read: int
    rows_kept: int
    dropped: dict[str, int]
    columns_present: tuple[str, ...]

    @property
    def accounted(self) -> bool:
        """True when kept and dropped rows add up to the rows read."""
        return self.rows_kept + sum(self.dropped.values()) == self.rows_read

    def to_dict(self) -> dict[str, Any]:
        """A plain dictionary (for JSON and for :meth:`CRM.quality`)."""
        return {
            "table": self.table,
            "source": self.source,
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "rows_dropped": int(sum(self.dropped.values())),
            "dropped": ", ".join(f"{k}: {v}" for k, v in self.dropped.items() if v) or "-",
            "optional_columns": ", ".join(self.columns_present) or "-",
        }


@dataclass
class CRMTable:
    """One CRM table in canonical columns, with its :class:`TableQuality`."""

    name: str
    data: pd.DataFrame
    quality: TableQuality

    def __len__(self) -> int:
        return len(self.data)

    def has(self, column: str) -> bool:
        """Whether the optional canonical ``column`` is present (it had at least one value)."""
        return column in self.data.columns and bool(self.data[column].notna().any())


@dataclass
class CRM:
    """Any subset of the CRM tables, plus optionally the transactions of the same customers.

    Parameters
    ----------
    tables : dict of str to CRMTable
        The tables read by :func:`read_crm_table` (keys are table names from :data:`CRM_TABLES`).
    transactions : segkit.Transactions, optional
        The orders of the same customers (``customer_id`` links them).

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> crm = segkit.read_crm({"surveys": pd.DataFrame(
    ...     {"customer_id": ["a"], "survey_date": ["01.02.2024"], "score": [9]})})
    >>> crm.names
    ['surveys']
    >>> crm.require("invoices", analysis="process loyalty")
    Traceback (most recent call last):
    ...
    segkit.crm._tables.MissingTableError: process loyalty needs the CRM table 'invoices', which was not given ...
    """

    tables: dict[str, CRMTable] = field(default_factory=dict)
    transactions: Transactions | None = None

    @property
    def names(self) -> list[str]:
        """Names of the tables present, in the order of :data:`CRM_TABLES`."""
        return [name for name in CRM_TABLES if name in self.tables]

    def has(self, name: str) -> bool:
        """Whether table ``name`` (or ``"transactions"``) is present and not empty."""
        if name == "transactions":
            return self.transactions is not None and len(self.transactions) > 0
        return name in self.tables and len(self.tables[name]) > 0

    def __getitem__(self, name: str) -> Any:
        """The data frame of table ``name`` (for ``"transactions"`` the :class:`segkit.Transactions`)."""
        return self.require(name)[0]

    def require(self, *names: str, analysis: str = "this analysis") -> list[Any]:
        """The data frames of ``names``; :class:`MissingTableError` naming the first one absent.

        For ``"transactions"`` the :class:`segkit.Transactions` itself: an analysis aggregates them through
        :mod:`segkit.engine` on their own backend rather than reading the order lines as a frame.
        """
        out = []
        for name in names:
            if name == "transactions":
                if not self.has(name):
                    error = MissingTableError(
                        f"{analysis} needs the transactions (orders) of the CRM customers, which were not "
                        "given. Pass transactions= to segkit.read_crm (in a report: --data FILE)."
                    )
                    raise translatable(error, "error.crm_transactions_missing", option="--data FILE")
                # The Transactions themselves, not a frame: analyses aggregate them through segkit.engine,
                # where they live (a Spark or warehouse table is never collected).
                out.append(self.transactions)
                continue
            if name not in CRM_TABLES:
                check_choice("table", name, [*CRM_TABLES, "transactions"])
            if not self.has(name):
                error = MissingTableError(
                    f"{analysis} needs the CRM table {name!r}, which was not given (present: "
                    f"{', '.join(self.names) or 'none'}). Pass it to segkit.read_crm({{{name!r}: path}}) "
                    f"(in a report: --crm {name}=FILE)."
                )
                raise translatable(
                    error,
                    "error.crm_table_missing",
                    table=name,
                    option=f"--crm {name}=FILE",
                    present=self.names,
                )
            out.append(self.tables[name].data)
        return out

    def quality(self) -> pd.DataFrame:
        """One row per table present: rows read, kept, dropped (by reason) and the optional columns found."""
        rows = [self.tables[name].quality.to_dict() for name in self.names]
        if self.transactions is not None:
            q = self.transactions.quality
            rows.append(
                {
                    "table": "transactions",
                    "source": q.source,
                    "rows_read": q.rows_read,
                    "rows_kept": q.rows_kept,
                    "rows_dropped": q.rows_dropped,
                    "dropped": ", ".join(f"{k}: {v}" for k, v in q.dropped.items() if v) or "-",
                    "optional_columns": ", ".join(
                        c for c in ("margin", "quantity", "category", "channel") if self.transactions.has(c)
                    )
                    or "-",
                }
            )
        columns = ["table", "source", "rows_read", "rows_kept", "rows_dropped", "dropped", "optional_columns"]
        return pd.DataFrame(rows, columns=columns).set_index("table")

    def __repr__(self) -> str:
        parts = [f"{name} ({len(self.tables[name]):,})" for name in self.names]
        if self.transactions is not None:
            parts.append(f"transactions ({len(self.transactions):,})")
        return f"CRM({', '.join(parts) or 'no tables'})"


# --------------------------------------------------------------------------------------------------
# readers
# --------------------------------------------------------------------------------------------------


def read_crm(
    tables: Mapping[str, Any],
    *,
    transactions: Any = None,
    columns: Mapping[str, Mapping[str, str]] | None = None,
    read_options: Mapping[str, Mapping[str, Any]] | None = None,
) -> CRM:
    """Read any subset of the CRM tables (and optionally the transactions) into a :class:`CRM`.

    Parameters
    ----------
    tables : mapping of str to source
        Table name (a key of :data:`CRM_TABLES`) to a CSV/Excel path or a DataFrame. ``None`` values
        are skipped.
    transactions : segkit.Transactions, source or None
        The orders; a path or frame is read with :func:`segkit.read_transactions`.
    columns : mapping, optional
        Per table, canonical column to source column (``{"invoices": {"sent_date": "Дата счёта"}}``).
    read_options : mapping, optional
        Per table, further :func:`read_crm_table` keywords (``{"leads": {"invalid": "drop"}}``).

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> leads = pd.DataFrame({"ID": [1, 2], "Date": ["01.03.2024", "05.03.2024"], "Stage": ["отказ", "hot"]})
    >>> crm = segkit.read_crm({"leads": leads},
    ...                       columns={"leads": {"lead_id": "ID", "contact_date": "Date", "stage": "Stage"}})
    >>> crm["leads"]["stage"].tolist()
    ['refused', 'hot']
    """
    unknown = sorted(set(tables) - set(CRM_TABLES))
    if unknown:
        raise DataContractError(
            f"Unknown CRM table(s) {unknown}; the tables are {', '.join(CRM_TABLES)}. Rename the key(s)."
        )
    columns = dict(columns or {})
    read_options = dict(read_options or {})
    read = {
        name: read_crm_table(name, source, columns=columns.get(name), **dict(read_options.get(name, {})))
        for name, source in tables.items()
        if source is not None
    }
    if transactions is not None and not isinstance(transactions, Transactions):
        transactions = read_transactions(transactions)
    return CRM(tables=read, transactions=transactions)


def read_crm_table(
    table: str,
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    date_format: str | None = None,
    decimal: str | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | int = 0,
    duplicates: Literal["drop", "keep"] = "drop",
    invalid: Literal["raise", "drop"] = "raise",
) -> CRMTable:
    """Read one CRM table and check it against its contract.

    Parameters
    ----------
    table : str
        One of :data:`CRM_TABLES` (``"leads"``, ``"customers"``, ``"invoices"``, ...).
    source : path or DataFrame
        A CSV file (separator sniffed among ``; , TAB |``; UTF-8 with a cp1251 fallback), an Excel
        workbook, or a data frame.
    columns : mapping, optional
        Canonical column to source column; a canonical column not mapped is looked up by its own name.
    date_format : str, optional
        A strptime format for every date column; by default ``YYYY-MM-DD`` and ``DD.MM.YYYY`` (with or
        without a time) are recognised.
    decimal : {".", ","}, optional
        Decimal mark of number columns; by default ``,`` when the values use it.
    sep, encoding, sheet
        CSV separator and encoding, Excel sheet.
    duplicates : {"drop", "keep"}
        Exact duplicate rows (every source column equal) are dropped and counted by default.
    invalid : {"raise", "drop"}
        What to do with a value that cannot be used (an unparseable date, a rating outside 1-5, an
        unknown stage, a missing required value). Raising is the default: half-read tables give silently
        wrong numbers.

    Returns
    -------
    CRMTable
        ``.data`` in canonical columns (required ones always, optional ones when the source has them),
        ``.quality`` the row accounting.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> raw = pd.DataFrame({"Клиент": ["a", "b", "b"], "Дата": ["01.02.2024", "bad", "03.02.2024"],
    ...                     "Оценка": ["9", "7", "11"]})
    >>> t = segkit.read_crm_table("surveys", raw, invalid="drop",
    ...                           columns={"customer_id": "Клиент", "survey_date": "Дата", "score": "Оценка"})
    >>> t.data
      customer_id survey_date  score
    0           a  2024-02-01      9
    >>> t.quality.dropped
    {'exact duplicate': 0, 'missing required value': 0, 'invalid value': 2}
    """
    check_choice("table", table, CRM_TABLES)
    check_choice("duplicates", duplicates, ("drop", "keep"))
    check_choice("invalid", invalid, ("raise", "drop"))
    raw, source_name = _load(source, sep=sep, encoding=encoding, sheet=sheet)
    raw = raw.reset_index(drop=True)
    raw.columns = [str(c).strip() for c in raw.columns]
    mapping = _resolve(table, raw, dict(columns or {}))

    n = len(raw)
    keep = np.ones(n, dtype=bool)
    dropped = {"exact duplicate": 0, "missing required value": 0, "invalid value": 0}
    if duplicates == "drop":
        dup = raw.duplicated(keep="first").to_numpy()
        dropped["exact duplicate"] = int(dup.sum())
        keep &= ~dup

    out = pd.DataFrame(index=raw.index)
    missing_required = np.zeros(n, dtype=bool)
    invalid_any = np.zeros(n, dtype=bool)
    for name, kind, required in CRM_TABLES[table]:
        if name not in mapping:
            continue
        col = mapping[name]
        values, bad = _parse(raw[col], kind, date_format, decimal)
        bad &= keep
        if bad.any() and invalid == "raise":
            raise data_error(col, _problem(kind), int(bad.sum()), raw.loc[bad, col].tolist(), _fix(kind, col))
        invalid_any |= bad
        missing = values.isna().to_numpy() & ~bad & keep
        if required and missing.any() and invalid == "raise":
            raise data_error(
                col,
                "required value is missing",
                int(missing.sum()),
                [f"row {i + 2}" for i in np.flatnonzero(missing)[:5]],
                "Fill the values, or pass invalid='drop' to drop these rows (they are counted).",
            )
        if required:
            missing_required |= missing
        out[name] = values
    # One reason per row: a row both missing a required value and holding an invalid one counts as missing.
    dropped["missing required value"] = int(missing_required.sum())
    keep &= ~missing_required
    dropped["invalid value"] = int((invalid_any & keep).sum())
    keep &= ~invalid_any
    data = out.loc[keep].reset_index(drop=True)
    optional = tuple(c for c, _, req in CRM_TABLES[table] if not req and c in data.columns)
    quality = TableQuality(
        table=table,
        source=source_name,
        rows_read=n,
        rows_kept=len(data),
        dropped=dropped,
        columns_present=optional,
    )
    return CRMTable(name=table, data=data, quality=quality)


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def _load(
    source: Any, *, sep: str | None, encoding: str | None, sheet: str | int
) -> tuple[pd.DataFrame, str]:
    if isinstance(source, pd.DataFrame):
        return source.copy(), f"pandas DataFrame ({len(source):,} rows)"
    if not isinstance(source, str | Path):
        raise DataContractError(
            f"A CRM table must be a file path or a pandas DataFrame, got {type(source).__name__}."
        )
    check_encoding(encoding)
    path = Path(source)
    if not path.is_file():
        raise DataContractError(f"Cannot read {str(path)!r}: no such file. Check the path.")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        try:
            return pd.read_excel(path, sheet_name=sheet, dtype=object), path.name
        except (ValueError, OSError, ImportError) as exc:
            raise DataContractError(f"Cannot read {str(path)!r}: {exc}. Is it a valid Excel file?") from exc
    head = path.read_bytes()[:65536]
    for enc in [encoding] if encoding else ["utf-8-sig", "cp1251"]:
        try:
            text = head.decode(enc)
        except UnicodeDecodeError:
            continue
        used = sep or _sniff(text)
        try:
            frame = pd.read_csv(path, sep=used, encoding=enc, dtype=str, keep_default_na=False)
        except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
            raise DataContractError(
                f"Cannot parse {str(path)!r} as CSV with separator {used!r} and encoding {enc!r}: {exc}. "
                "Pass sep= (and encoding=) in the table's read options."
            ) from exc
        return frame, path.name
    raise DataContractError(f"Cannot decode {str(path)!r}; pass encoding= (for example 'cp1251').")


def _sniff(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()][:-1] or text.splitlines()[:1]
    best, score = ",", 0
    for cand in (";", ",", "\t", "|"):
        counts = [len(next(csv.reader([ln], delimiter=cand))) - 1 for ln in lines]
        if counts and min(counts) > 0 and len(set(counts)) == 1 and counts[0] > score:
            best, score = cand, counts[0]
    return best


def _resolve(table: str, raw: pd.DataFrame, columns: dict[str, str]) -> dict[str, str]:
    known = {c for c, _, _ in CRM_TABLES[table]}
    unknown = sorted(set(columns) - known)
    if unknown:
        raise DataContractError(
            f"Table {table!r} has no canonical column(s) {unknown}; its columns are {', '.join(sorted(known))}."
        )
    available = list(raw.columns)
    mapping: dict[str, str] = {}
    for name, _, required in CRM_TABLES[table]:
        source = columns.get(name, name)
        if source in raw.columns:
            mapping[name] = source
        elif required or name in columns:
            close = difflib.get_close_matches(source, available, n=1, cutoff=0.5)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise DataContractError(
                f"Table {table!r}: column {source!r} ({name}) is not in the data.{hint} Available columns: "
                f"{format_examples(available, limit=30)}. Map it with columns={{{name!r}: 'your column'}}."
            )
    return mapping


def _clean(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip()
    return text.where(~text.str.lower().isin(_MISSING_TEXT))


def _parse(
    series: pd.Series, kind: Any, date_format: str | None, decimal: str | None
) -> tuple[pd.Series, np.ndarray]:
    """Parsed values and the mask of present-but-unusable values."""
    if kind == "date":
        values = _parse_dates(series, date_format)
    elif kind in ("number", "rating", "score"):
        values = _parse_number(series, decimal)
    elif kind == "flag":
        text = _clean(series).str.lower()
        values = pd.Series(pd.NA, index=series.index, dtype="boolean")
        values[text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)] = True
        values[text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)] = False
    elif isinstance(kind, tuple):
        _, allowed, group = kind
        text = _clean(series)
        lookup = {a.lower(): a for a in allowed} | _SYNONYMS.get(group, {})
        values = text.str.lower().map(lookup).astype(_STR)
    else:  # id, text
        if kind == "id" and pd.api.types.is_float_dtype(series):
            whole = series.dropna()
            if (whole == whole.round()).all():
                series = series.astype("Int64")
        values = _clean(series).str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True).astype(_STR)
    present = _clean(series.astype("string")).notna().to_numpy()
    bad = present & values.isna().to_numpy()
    if kind == "rating":
        bad |= (values.notna() & ~values.isin([1, 2, 3, 4, 5])).to_numpy()
    elif kind == "score":
        bad |= (values.notna() & ~values.isin(range(11))).to_numpy()
    if kind in ("rating", "score"):
        values = values.where(~pd.Series(bad, index=values.index)).astype("Int64")
    return values, bad


def _parse_dates(series: pd.Series, date_format: str | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return pd.to_datetime(series).dt.tz_localize(None).astype("datetime64[ns]")
    if series.map(lambda v: isinstance(v, pd.Timestamp) or hasattr(v, "year")).any():
        return pd.to_datetime(series, errors="coerce").astype("datetime64[ns]")
    text = _clean(series)
    formats = [date_format] if date_format else _DATE_FORMATS
    best = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    for fmt in formats:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        best = best.fillna(parsed)
    return best.astype("datetime64[ns]")


def _parse_number(series: pd.Series, decimal: str | None) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return pd.Series(series.to_numpy(dtype=float, na_value=np.nan), index=series.index)
    text = _clean(series).str.replace(r"[\s\u00a0\u202f]", "", regex=True)
    if decimal is None:
        decimal = "," if text.str.contains(r",\d{1,2}$", regex=True).any() else "."
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    return pd.to_numeric(text, errors="coerce").astype(float)


def _problem(kind: Any) -> str:
    if isinstance(kind, tuple):
        return f"values outside the allowed {', '.join(kind[1])}"
    return {
        "date": "unparseable date",
        "number": "unparseable number",
        "rating": "rating is not a whole number 1-5",
        "score": "score is not a whole number 0-10",
        "flag": "not a yes/no value (1/0, true/false, yes/no, да/нет)",
    }.get(kind, "unusable value")


def _fix(kind: Any, col: str) -> str:
    if kind == "date":
        return "Pass date_format= in the table's read options (e.g. '%d.%m.%Y'), or invalid='drop'."
    if isinstance(kind, tuple):
        return (
            f"Recode {col!r} to {', '.join(kind[1])} (Russian names are recognised), or pass invalid='drop'."
        )
    return "Correct the values, or pass invalid='drop' to drop these rows (they are counted)."


def customer_ids(crm: CRM) -> pd.Index:
    """Every customer the CRM knows: the customers table, else the transactions, else any table's ids."""
    if crm.has("customers"):
        return pd.Index(crm["customers"]["customer_id"].unique(), name="customer_id").sort_values()
    ids: list[Iterable[str]] = []
    if crm.has("transactions"):
        ids.append(known_customers(crm.transactions))
    for name in ("invoices", "requests", "events", "mailings", "feedback", "surveys", "assessments"):
        if crm.has(name):
            ids.append(crm[name]["customer_id"].unique())
    if not ids:
        raise MissingTableError(
            "No table names the customers: give the 'customers' table or the transactions "
            "(segkit.read_crm({'customers': path}, transactions=...))."
        )
    return pd.Index(
        pd.unique(np.concatenate([np.asarray(list(i), dtype=object) for i in ids])), name="customer_id"
    ).sort_values()
