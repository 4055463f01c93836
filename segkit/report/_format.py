"""Readable tables and cards for report pages: locale numbers, human column names, no index, no reprs.

:func:`show_table` turns a result table into a pandas ``Styler`` with percentages, thousands separators,
money, dates and yes/no words in the reader's language, column names from the catalogue, an em dash for a
missing value, and long tables cut to their top rows with a note pointing at the full download.
:func:`persona_cards` and :func:`segment_cards` show personas and segment actions as HTML cards, and the
``*_html`` helpers build the parts of a report index (key figures, pages, downloads, parameters).
"""

from __future__ import annotations

import functools
import hashlib
import html
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError
from ..i18n import (
    check_currency,
    check_lang,
    format_date,
    format_money,
    format_number,
    format_percent,
    label,
    localize_text,
    persona_label,
    t,
    translate,
)

__all__ = [
    "HtmlBlock",
    "column_label",
    "downloads_html",
    "findings_html",
    "format_table",
    "key_figures_html",
    "list_title",
    "notice_html",
    "page_description",
    "page_title",
    "pages_html",
    "parameters_html",
    "persona_cards",
    "persona_descriptions",
    "report_title",
    "segment_cards",
    "show_table",
    "warnings_html",
]

_MISSING = "—"
# Column semantics by name. Shares are fractions (0.25 is 25 %).
_PERCENT = {
    "retention",
    "unbounded_retention",
    "revenue_relative",
    "churn_risk",
    "mean_predicted",
    "top_decile_capture",
    "cumulative_capture",
    "observed_churn_share",
    "margin_rate",
    "return_share",
}
_MONEY = {
    "revenue",
    "value",
    "min_value",
    "max_value",
    "monetary",
    "avg_order_value",
    "revenue_per_customer",
    "ltv",
    "mean",
    "std",
    "gross_revenue",
    "returns_amount",
    "margin",
    "revenue_12m",
    "value_at_risk",
    "revenue_recent",
    "revenue_before",
}
_DECIMALS = {"silhouette": 3, "davies_bouldin": 3, "ari": 3, "roc_auc": 3, "cv": 2, "median_cv": 2, "lift": 2}
# Columns whose values are vocabulary codes, and the vocabularies that name them.
_VALUE_KINDS: dict[str, tuple[str, ...]] = {
    "segment": ("segment",),
    "rfm_segment": ("segment",),
    "before": ("segment",),
    "after": ("segment",),
    "status": ("status",),
    "status_before": ("status",),
    "base": ("base",),
    "strategy": ("strategy", "quadrant_strategy"),
    "action": ("segment_action", "loyalty_action"),
    "description": ("segment_description",),
    "approach": ("persona_approach",),
    "ranking": ("ranking",),
    "measure": ("measure",),
    "feature": ("column",),
    "meaning": ("churn_feature",),
    "effect": ("effect",),
    "dimension": ("dimension",),
    "source": ("source", "channel"),
    "strongest": ("loyalty_type",),
    "type": ("loyalty_type",),
    "signals": ("loyalty_signals",),
    "quadrant": ("quadrant",),
    "state": ("base_state",),
    "state_before": ("base_state",),
    "state_now": ("base_state",),
    "readiness": ("readiness",),
    "channel": ("channel",),
    "top_channel": ("channel",),
    "top_category": ("category",),
    "category": ("category",),
    "recontact_basis": ("recontact_basis",),
    "recontact_status": ("recontact_status",),
    "part": ("clv_part",),
    "predictor": ("predictor",),
    "inactivity rule": ("reconcile",),
    "rule": ("rule",),
    "setting": ("setting", "strategy"),
    "kind": ("segment_kind",),
    "verdict": ("verdict",),
    "guidance": ("guidance",),
    "d_reason": ("d_reason",),
}
# Whole-table formats for matrices whose every cell is the same measure (cohort tables).
_TABLE_FORMATS = {
    "retention": "percent",
    "unbounded_retention": "percent",
    "revenue_relative": "percent",
    "shares": "percent",
    "ltv": "money",
    "revenue": "money",
    "active": "integer",
    "counts": "integer",
}
_DEFAULT_MAX_ROWS = 20
_STYLES = [
    {"selector": "", "props": "border-collapse: collapse; font-size: 0.92em; margin: 0.4em 0 1em 0;"},
    {"selector": "th", "props": "text-align: left; padding: 4px 10px; border-bottom: 2px solid #888;"},
    {"selector": "td", "props": "padding: 3px 10px; border-bottom: 1px solid #e3e3e3; vertical-align: top;"},
    {
        "selector": "caption",
        "props": "caption-side: bottom; text-align: left; color: #555; padding-top: 4px;",
    },
]


class HtmlBlock:
    """A piece of report HTML: shown as HTML in notebooks and exported pages, as plain text in a console."""

    def __init__(self, html_text: str, text: str) -> None:
        self.html = html_text
        self.text = text

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


@functools.cache
def _formatted_table() -> type:
    """The Styler :func:`show_table` returns: its plain-text form names the table's size, not a memory address.

    Notebooks keep a plain-text copy of every output beside the HTML; pandas' default
    ``<Styler at 0x...>`` would make two runs of the same report differ. The class is made on first use
    because importing pandas' Styler imports matplotlib, which ``import segkit`` should not pay for.
    """
    from pandas.io.formats.style import Styler

    class FormattedTable(Styler):
        def __repr__(self) -> str:
            rows, columns = self.data.shape
            return f"<table: {rows} x {columns}>"

    return FormattedTable


def column_label(name: Any, lang: str = "en") -> str:
    """The human name of a result column (``"share_customers"`` -> ``"Share of customers"``).

    Segment and status names used as columns (migration and transition matrices) are translated too;
    anything unknown comes back unchanged.

    Examples
    --------
    >>> from segkit.report import column_label
    >>> column_label("revenue_share", lang="ru"), column_label("at_risk", lang="ru")
    ('Доля выручки', 'под угрозой оттока')
    >>> column_label("recency_days_median")
    'days since last purchase, median'
    """
    return translate(name, ("column", "segment", "status", "base_state", "loyalty_type"), check_lang(lang))


def _is_percent(name: str, kind_format: str | None) -> bool:
    if kind_format is not None:
        return kind_format == "percent"
    return (
        name in _PERCENT
        or "share" in name
        or name.endswith("_rate")
        or name.startswith("survival_")
        or name.endswith("_capture")
    )


def _is_money(name: str, kind_format: str | None) -> bool:
    if kind_format is not None:
        return kind_format == "money"
    return name in _MONEY or (name.endswith("_median") and name[: -len("_median")] in _MONEY)


def _number_formatter(
    name: str,
    series: pd.Series,
    kind_format: str | None,
    lang: str,
    currency: str | None,
    money_decimals: int = 2,
) -> Callable[[Any], str]:
    if _is_percent(name, kind_format):
        return lambda v: format_percent(v, 1, lang)
    if _is_money(name, kind_format):
        return lambda v: format_money(v, currency, money_decimals, lang)
    values = pd.to_numeric(series, errors="coerce").dropna().to_numpy(dtype=float)
    whole = kind_format == "integer" or bool(values.size == 0 or np.all(np.isclose(values, np.round(values))))
    if name.endswith(("_days", "_index")) or "_days_" in name or (whole and name not in _DECIMALS):
        return lambda v: format_number(v, 0, lang)
    return lambda v: format_number(v, _DECIMALS.get(name, 2), lang)


def _value_formatter(name: str, series: pd.Series, lang: str) -> Callable[[Any], str]:
    if name in ("name", "persona_name"):
        return lambda v: persona_label(v, lang)
    if name == "customer_id":
        return str  # an id is a name: "14646" must not become "14 646"
    if name in ("abc_class", "xyz_class", "cell"):
        return lambda v: _class_value(str(v), lang)
    kinds = _VALUE_KINDS.get(name, ("term",))

    def apply(value: Any) -> str:
        # A translated text is final; an untranslated one may carry English-formatted numbers and dates.
        out = translate(value, kinds, lang)
        if out != str(value) or _PERIOD_CODE.fullmatch(out):
            return out  # a period code ("2010-Q4") is a name, not a number to format
        return localize_text(value, lang)

    return apply


_PERIOD_CODE = re.compile(r"\d{4}(-Q[1-4]|-W?\d{2})?")


def _class_value(code: str, lang: str) -> str:
    # Class letters stay letters ("A", "AX"); the groups outside the matrix get words ("A / short history").
    head, sep, group = code.partition(" / ")
    if sep:
        return f"{head} / {label('xyz_class', group, lang)}"
    return code if len(code) <= 2 else label("xyz_class", code, lang)


def _cell_formatter(
    name: str,
    series: pd.Series,
    kind_format: str | None,
    lang: str,
    currency: str | None,
    money_decimals: int = 2,
) -> Callable[[Any], str]:
    if pd.api.types.is_bool_dtype(series):
        return lambda v: t("common.yes" if v else "common.no", lang)
    if pd.api.types.is_datetime64_any_dtype(series):
        return lambda v: format_date(v, lang)
    if pd.api.types.is_numeric_dtype(series):
        return _number_formatter(name, series, kind_format, lang, currency, money_decimals)
    return _value_formatter(name, series, lang)


def _safe(formatter: Callable[[Any], str], lang: str) -> Callable[[Any], str]:
    def apply(value: Any) -> str:
        if value is None or value is pd.NA or value is pd.NaT:
            return _MISSING
        if isinstance(value, float | np.floating) and np.isnan(value):
            return _MISSING
        if isinstance(value, bool | np.bool_):
            return t("common.yes" if value else "common.no", lang)
        if isinstance(value, pd.Timestamp):
            return format_date(value, lang)
        return formatter(value)

    return apply


_AXIS_KINDS = {
    "state": "base_state",
    "state_now": "base_state",
    "status": "status",
    "segment": "segment",
}


def _flatten(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = [" / ".join(str(part) for part in col) for col in out.columns]
    if not isinstance(out.index, pd.RangeIndex) or any(n is not None for n in out.index.names):
        names = [n if n is not None else f"level_{i}" for i, n in enumerate(out.index.names)]
        out.index = out.index.set_names(names)
        clash = [n for n in names if n in out.columns]
        if clash:
            out = out.drop(columns=clash)
        out = out.reset_index()
    out.columns = [str(c) for c in out.columns]
    return out


def format_table(
    frame: pd.DataFrame | pd.Series,
    *,
    kind: str | None = None,
    lang: str = "en",
    currency: str | None = None,
    max_rows: int | None = _DEFAULT_MAX_ROWS,
    max_columns: int | None = None,
    download: str | None = None,
    shares: Sequence[str] = (),
    money: Sequence[str] = (),
    money_decimals: int = 2,
) -> tuple[pd.DataFrame, str | None]:
    """The table as text cells in the reader's language, and the note to show under it (or ``None``).

    See :func:`show_table` for the parameters. The index becomes ordinary columns (a plain row number is
    dropped); column names are the human labels.
    """
    lang = check_lang(lang)
    currency = check_currency(currency)
    kind_format = _check_kind(kind)
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"show_table needs a pandas DataFrame or Series; got {type(frame).__name__}.")
    for name, limit in (("max_rows", max_rows), ("max_columns", max_columns)):
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, numbers.Integral) or limit < 1
        ):
            raise ParameterError(f"{name} must be a whole number >= 1 or None (no limit); got {limit!r}.")
    # Columns that are the values of one vocabulary (an unstacked status or base state) use that vocabulary
    # first: "active" is a status ("активный") but, as a base state, a current client ("текущий клиент").
    axis_kind = _AXIS_KINDS.get(frame.columns.name) if frame.columns.nlevels == 1 else None
    from_axis = {str(c) for c in frame.columns} if axis_kind else set()
    flat = _flatten(frame)
    declared = _declared_formats(flat, shares=shares, money=money)
    if isinstance(money_decimals, bool) or not isinstance(money_decimals, numbers.Integral):
        raise ParameterError(f"money_decimals must be a whole number from 0 to 10; got {money_decimals!r}.")
    n_columns = len(flat.columns)
    if max_columns is not None and n_columns > max_columns:
        flat = flat.iloc[:, : int(max_columns)]
    total = len(flat)
    shown = flat if max_rows is None or total <= max_rows else flat.head(int(max_rows))
    out = pd.DataFrame(index=range(len(shown)))
    for column in shown.columns:
        series = shown[column]
        # Identifier columns keep their values; everything else takes the table-wide format, if any.
        own = None if column in ("customer_id", "cohort", "period", "segment", "group", "k") else kind_format
        own = declared.get(column, own)
        fmt = _safe(_cell_formatter(column, flat[column], own, lang, currency, money_decimals), lang)
        by_row = _dimension_formats(flat, column, declared, lang, currency, money_decimals)
        header = translate(column, (axis_kind,), lang) if column in from_axis else column_label(column, lang)
        if header == column:
            header = localize_text(column, lang)  # a generated name such as the band "0.25-0.50"
        if by_row is None:
            out[header] = [fmt(v) for v in series.tolist()]
        else:
            out[header] = [
                _safe(by_row[i], lang)(v) for i, v in zip(shown.index, series.tolist(), strict=True)
            ]
    notes = []
    if len(flat.columns) < n_columns:
        shown_cols = {
            "shown": format_number(len(flat.columns), 0, lang),
            "total": format_number(n_columns, 0, lang),
        }
        notes.append(t("table.columns_shown", lang, **shown_cols))
    if len(shown) < total:
        fields = {"shown": format_number(len(shown), 0, lang), "total": format_number(total, 0, lang)}
        notes.append(
            t("table.rows_shown_download", lang, file=download, **fields)
            if download
            else t("table.rows_shown", lang, **fields)
        )
    elif total == 0:
        notes.append(t("table.empty", lang))
    return out, " ".join(notes) or None


# Threshold tables (RFM score edges) hold one row per dimension and score: days and orders are whole numbers,
# the monetary edges are money.
_DIMENSION_FORMATS = {"recency": "integer", "frequency": "integer", "monetary": "money"}
_EDGE_COLUMNS = ("min", "max")


def _dimension_formats(
    flat: pd.DataFrame,
    column: str,
    declared: Mapping[str, str],
    lang: str,
    currency: str | None,
    money_decimals: int,
) -> dict[Any, Callable[[Any], str]] | None:
    """Per-row formatters of an edge column in a table with a ``dimension`` column, else ``None``."""
    if (
        column not in _EDGE_COLUMNS
        or column in declared
        or "dimension" not in flat.columns
        or not pd.api.types.is_numeric_dtype(flat[column])
        or not flat["dimension"].isin(list(_DIMENSION_FORMATS)).all()
    ):
        return None
    return {
        i: _number_formatter(column, flat[column], _DIMENSION_FORMATS[dim], lang, currency, money_decimals)
        for i, dim in flat["dimension"].items()
    }


def _declared_formats(flat: pd.DataFrame, *, shares: Sequence[str], money: Sequence[str]) -> dict[str, str]:
    """The caller's column formats (``shares=``, ``money=``), checked against the table's numeric columns."""
    out: dict[str, str] = {}
    for option, names, fmt in (("shares", shares, "percent"), ("money", money, "money")):
        if isinstance(names, str):
            names = [names]
        for name in names:
            if name not in flat.columns:
                raise ParameterError(
                    f"{option}= names the column {name!r}, which the table does not have; its columns are "
                    f"{list(flat.columns)}."
                )
            if not pd.api.types.is_numeric_dtype(flat[name]) or pd.api.types.is_bool_dtype(flat[name]):
                examples = flat[name].dropna().astype(str).head(3).tolist()
                raise ParameterError(
                    f"{option}= needs numeric columns; {name!r} holds {flat[name].dtype} values such as "
                    f"{examples}. Pass the numbers, not texts already formatted."
                )
            if out.get(name, fmt) != fmt:
                raise ParameterError(f"The column {name!r} is named in both shares= and money=; choose one.")
            out[name] = fmt
    return out


def _check_kind(kind: str | None) -> str | None:
    if kind is None:
        return None
    if kind not in _TABLE_FORMATS:
        raise ParameterError(
            f"kind must be None (format each column by its name) or one of {sorted(_TABLE_FORMATS)} "
            f"(every cell is that measure); got {kind!r}."
        )
    return _TABLE_FORMATS[kind]


def show_table(
    frame: pd.DataFrame | pd.Series,
    *,
    kind: str | None = None,
    lang: str = "en",
    currency: str | None = None,
    max_rows: int | None = _DEFAULT_MAX_ROWS,
    max_columns: int | None = None,
    download: str | None = None,
    shares: Sequence[str] = (),
    money: Sequence[str] = (),
    money_decimals: int = 2,
) -> Any:
    """A result table, formatted for a reader: a pandas ``Styler`` (shown as HTML in notebooks and reports).

    Parameters
    ----------
    frame : DataFrame or Series
        A segkit result table (``segment_summary``, ``abc(...).summary_``, ``cohorts(...).retention_``, ...).
    kind : str, optional
        For matrices whose every cell is one measure: ``"retention"``, ``"unbounded_retention"``,
        ``"revenue_relative"``, ``"shares"`` (percentages), ``"ltv"``, ``"revenue"`` (money), ``"active"``,
        ``"counts"`` (whole numbers). ``None`` formats each column by its name: shares as percentages,
        revenue-like columns as money, counts and days as whole numbers, dates, booleans as yes/no.
    lang : {"en", "ru"}
        Language of the labels and of the number and date formats.
    currency : str, optional
        ISO 4217 code shown with money (``"RUB"``: ``1 234,50 ₽``); ``None`` shows plain numbers.
    max_rows : int or None, default 20
        Rows shown; a longer table shows its top rows and a note (pointing at ``download`` when given).
        Sort the table first so the top rows are the ones that matter.
    max_columns : int, optional
        Columns shown (the first ones, after the index columns); for wide matrices such as cohort tables.
    download : str, optional
        The file holding the full table, named in the note.
    shares : sequence of str, optional
        Columns holding shares (fractions: 0.25 is 25 %) that the column names do not reveal, such as
        ``p_alive`` or ``conversion``; shown as percentages.
    money : sequence of str, optional
        Columns holding amounts of money that the column names do not reveal (``clv``,
        ``expected_revenue``); shown with ``currency``.
    money_decimals : int, default 2
        Decimal places of money (0 for forecasts such as CLV, shown in whole units).

    Returns
    -------
    pandas.io.formats.style.Styler
        No index, human column labels, the note as the caption.

    Examples
    --------
    >>> import pandas as pd
    >>> from segkit.report import show_table
    >>> table = pd.DataFrame(
    ...     {"customers": [1200, 30], "share_customers": [0.975, 0.025], "revenue": [1234.5, -0.001]},
    ...     index=pd.Index(["At Risk", "Lost"], name="segment"),
    ... )
    >>> styler = show_table(table, lang="ru", currency="RUB")
    >>> styler.data.to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'Сегмент': ['Под угрозой оттока', 'Потерянные'], 'Клиенты': ['1\\xa0200', '30'],
     'Доля клиентов': ['97,5\\xa0%', '2,5\\xa0%'], 'Выручка': ['1\\xa0234,50\\xa0₽', '0,00\\xa0₽']}

    Columns whose names do not say what they hold are declared:

    >>> clv = pd.DataFrame({"customer_id": ["007"], "p_alive": [0.8123], "clv": [15250.4]})
    >>> styler = show_table(clv, shares=["p_alive"], money=["clv"], money_decimals=0, currency="USD")
    >>> styler.data.to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'Customer': ['007'], 'Probability still active (P alive)': ['81.2%'],
     'Customer lifetime value (CLV)': ['$15,250']}
    """
    out, note = format_table(
        frame,
        kind=kind,
        lang=lang,
        currency=currency,
        max_rows=max_rows,
        max_columns=max_columns,
        download=download,
        shares=shares,
        money=money,
        money_decimals=money_decimals,
    )
    digest = hashlib.sha1(pd.util.hash_pandas_object(out, index=False).to_numpy().tobytes()).hexdigest()[:8]
    styler = _formatted_table()(out)
    styler.set_uuid(f"sk{digest}")  # a stable id: identical tables give identical HTML on every run
    styler.hide(axis="index")
    styler.set_table_attributes('class="segkit-table"')
    styler.set_table_styles(_STYLES)
    numeric = [c for c in out.columns if _looks_numeric(out[c])]
    if numeric:
        styler.set_properties(subset=numeric, **{"text-align": "right", "white-space": "nowrap"})
    # Words read from the left; JupyterLab's page style would otherwise right-align every cell.
    words = [c for c in out.columns if c not in numeric]
    if words:
        styler.set_properties(subset=words, **{"text-align": "left"})
    if note:
        styler.set_caption(note)
    return styler


_NUMERIC_TEXT = re.compile(r"^[-+]?[$€£¥]?[\d\s\u00a0.,]+(\s?%|\s?\S{1,3})?$")


def _looks_numeric(values: pd.Series) -> bool:
    texts = [v for v in values if v != _MISSING]
    return bool(texts) and all(_NUMERIC_TEXT.match(v) for v in texts)


# ----------------------------------------------------------------------------------------------------
# cards
# ----------------------------------------------------------------------------------------------------

_CARD_CSS = (
    "<style>"
    ".segkit-cards{display:flex;flex-wrap:wrap;gap:14px;margin:0.5em 0 1.2em 0;"
    "font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;}"
    ".segkit-card{flex:1 1 320px;max-width:460px;border:1px solid #d6dbe1;border-radius:8px;"
    "padding:12px 16px;background:#fbfcfd;line-height:1.45;}"
    ".segkit-card h4{margin:0 0 8px 0;font-size:1.08em;color:#1f3a5f;}"
    ".segkit-figures{display:flex;gap:18px;margin:0 0 8px 0;}"
    ".segkit-figure{display:flex;flex-direction:column;}"
    ".segkit-figure b{font-size:1.15em;white-space:nowrap;}"
    ".segkit-figure span{font-size:0.8em;color:#5b6570;}"
    ".segkit-card p{margin:6px 0;word-break:normal;overflow-wrap:anywhere;}"
    ".segkit-card .segkit-action{border-left:3px solid #2a9d8f;padding-left:8px;}"
    ".segkit-card .segkit-label{font-weight:600;color:#34495e;}"
    ".segkit-notice{border-left:4px solid #e9a23b;background:#fff8ec;padding:8px 12px;margin:0.6em 0;}"
    "</style>"
)


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _figures(items: Sequence[tuple[str, str]]) -> str:
    cells = "".join(
        f'<div class="segkit-figure"><b>{_esc(v)}</b><span>{_esc(k)}</span></div>' for k, v in items
    )
    return f'<div class="segkit-figures">{cells}</div>'


def _card(
    title: str, figures: Sequence[tuple[str, str]], paragraphs: Sequence[tuple[str | None, str]]
) -> str:
    body = "".join(
        f'<p class="segkit-action"><span class="segkit-label">{_esc(head)}:</span> {_esc(text)}</p>'
        if head
        else f"<p>{_esc(text)}</p>"
        for head, text in paragraphs
        if text
    )
    return f'<div class="segkit-card"><h4>{_esc(title)}</h4>{_figures(figures)}{body}</div>'


def _cards_block(cards: Sequence[str], texts: Sequence[str]) -> HtmlBlock:
    return HtmlBlock(_CARD_CSS + '<div class="segkit-cards">' + "".join(cards) + "</div>", "\n\n".join(texts))


def persona_cards(model: Any, *, lang: str = "en", currency: str | None = None) -> HtmlBlock:
    """One HTML card per persona: name, size and value, a portrait in words and the recommended approach.

    Parameters
    ----------
    model : Personas
        A fitted :class:`segkit.Personas`.
    lang : {"en", "ru"}
        Language of the cards.
    currency : str, optional
        ISO 4217 code for money (the average order).

    Returns
    -------
    HtmlBlock
        Shown as HTML cards in a notebook; ``repr`` gives the same content as plain text.
    """
    lang = check_lang(lang)
    currency = check_currency(currency)
    if not hasattr(model, "profiles_"):
        raise ParameterError("persona_cards needs a fitted segkit.Personas; call .fit(data) first.")
    profiles = model.profiles_
    cards, texts = [], []
    for persona in profiles.index:
        prof = profiles.loc[persona]
        name = persona_label(prof["name"], lang)
        figures = [
            (t("card.customers", lang), format_number(prof["n_customers"], 0, lang)),
            (t("card.share_customers", lang), format_percent(prof["share_customers"], 0, lang)),
        ]
        if "share_revenue" in prof.index and pd.notna(prof["share_revenue"]):
            figures.append((t("card.share_revenue", lang), format_percent(prof["share_revenue"], 0, lang)))
        portrait = _portrait(
            prof, model.zscores_.loc[persona], profiles.attrs.get("categorical", []), lang, currency
        )
        approach = label("persona_approach", model.approach_.loc[persona], lang)
        # The size and value are the card's figures; the portrait's first sentence says them for the text form.
        paragraphs = [(None, sentence) for sentence in portrait[1:]] + [(t("card.approach", lang), approach)]
        cards.append(_card(f"{persona + 1}. {name}", figures, paragraphs))
        texts.append(
            f"{persona + 1}. {name}\n" + "\n".join(portrait) + f"\n{t('card.approach', lang)}: {approach}"
        )
    return _cards_block(cards, texts)


def persona_descriptions(model: Any, *, lang: str = "en", currency: str | None = None) -> pd.Series:
    """Each persona's portrait in words, in ``lang``: the texts of :func:`persona_cards`, one line per persona.

    For the ``description`` column of ``persona_profiles.csv``, so the file a reader downloads says what the
    page says. The estimator's own ``descriptions_`` stay in English.

    Parameters
    ----------
    model : Personas
        A fitted :class:`segkit.Personas`.
    lang : {"en", "ru"}
        The language.
    currency : str, optional
        ISO 4217 code for money (the average order).

    Returns
    -------
    Series
        ``description`` by persona number, as ``model.descriptions_``.

    Examples
    --------
    >>> import segkit
    >>> model = segkit.personas(segkit.load_report_data(), k_range=(3, 3), n_resamples=0)
    >>> segkit.persona_descriptions(model, lang="ru", currency="RUB").iloc[0]  # doctest: +ELLIPSIS
    'Клиентов: ... базы), на них приходится ... выручки. ...'
    """
    lang = check_lang(lang)
    currency = check_currency(currency)
    if not hasattr(model, "profiles_"):
        raise ParameterError("persona_descriptions needs a fitted segkit.Personas; call .fit(data) first.")
    profiles = model.profiles_
    categorical = profiles.attrs.get("categorical", [])
    texts = [
        " ".join(_portrait(profiles.loc[p], model.zscores_.loc[p], categorical, lang, currency))
        for p in profiles.index
    ]
    return pd.Series(texts, index=profiles.index, name="description")


def _count(value: float, lang: str) -> str:
    return format_number(value, 0 if float(value).is_integer() or value >= 10 else 1, lang)


def _portrait(
    prof: pd.Series, z: pd.Series, categorical: Sequence[str], lang: str, currency: str | None
) -> list[str]:
    """A persona in sentences: size and value, the typical member, what stands out, the dominant groups."""
    fields = {
        "customers": format_number(prof["n_customers"], 0, lang),
        "share_customers": format_percent(prof["share_customers"], 0, lang),
    }
    if "share_revenue" in prof.index and pd.notna(prof["share_revenue"]):
        parts = [
            t("persona.summary", lang, share_revenue=format_percent(prof["share_revenue"], 0, lang), **fields)
        ]
    else:
        parts = [t("persona.summary_no_revenue", lang, **fields)]
    facts = []
    for column, key, fmt in (
        ("n_orders_median", "persona.fact.orders", lambda v: _count(v, lang)),
        (
            "avg_order_value_median",
            "persona.fact.avg_order_value",
            lambda v: format_money(v, currency, 0, lang),
        ),
        ("recency_days_median", "persona.fact.recency", lambda v: format_number(v, 0, lang)),
        ("tenure_days_median", "persona.fact.tenure", lambda v: format_number(v, 0, lang)),
    ):
        if column in prof.index and pd.notna(prof[column]):
            facts.append(t(key, lang, value=fmt(float(prof[column]))))
    if facts:
        parts.append(t("persona.typical", lang, facts="; ".join(facts)))
    if (
        "gap_days_median" in prof.index
        and pd.notna(prof["gap_days_median"])
        and prof.get("n_orders_median", 2) > 1
    ):
        parts.append(t("persona.rhythm", lang, value=format_number(prof["gap_days_median"], 0, lang)))
    strongest = [
        f for f in z.dropna().abs().sort_values(ascending=False).index[:2] if pd.notna(prof.get(f"{f}_index"))
    ]
    if strongest:
        items = ", ".join(
            f"{label('feature', f, lang)} {format_number(prof[f'{f}_index'], 0, lang)}" for f in strongest
        )
        parts.append(t("persona.distinctive", lang, items=items))
    common = []
    for column in categorical:
        value = prof[column]
        if column == "rfm_segment":
            shown = f"«{label('segment', value, lang)}»"
        elif column in ("top_channel", "top_category"):
            shown = label(column[len("top_") :], value, lang)
        elif column.startswith(("abc", "xyz")):
            shown = _class_value(str(value), lang)
        else:
            shown = str(value)
        share = format_percent(prof[f"{column}_dominant_share"], 0, lang)
        common.append(f"{label('feature', column, lang)} {shown} ({share})")
    if common:
        parts.append(t("persona.mostly", lang, items="; ".join(common)))
    return parts


def segment_cards(
    summary: pd.DataFrame, *, scheme: Any = None, lang: str = "en", currency: str | None = None
) -> HtmlBlock:
    """One HTML card per RFM segment: size, share of revenue, who they are and what to do.

    Parameters
    ----------
    summary : DataFrame
        :func:`segkit.segment_summary` output (indexed by segment).
    scheme : SegmentScheme, optional
        The scheme the segments come from; its descriptions and actions are used for segments the
        catalogue does not know (a custom scheme). Default segments take the catalogue's texts.
    lang : {"en", "ru"}
        Language of the cards.
    currency : str, optional
        ISO 4217 code for the revenue.

    Returns
    -------
    HtmlBlock
        Shown as HTML cards in a notebook; ``repr`` gives the same content as plain text.

    Examples
    --------
    >>> import pandas as pd
    >>> from segkit.report import segment_cards
    >>> summary = pd.DataFrame(
    ...     {"customers": [120], "customers_share": [0.06], "revenue": [5e5], "revenue_share": [0.3]},
    ...     index=pd.Index(["Champions"], name="segment"),
    ... )
    >>> cards = segment_cards(summary, lang="ru")
    >>> print(repr(cards).splitlines()[1])
    Кто это: Покупали недавно, покупают часто и тратят больше всех (ячейка 5-5-5).
    >>> "<h4>Чемпионы</h4>" in cards.html
    True
    """
    lang = check_lang(lang)
    currency = check_currency(currency)
    required = {"customers", "customers_share"}
    if not isinstance(summary, pd.DataFrame) or not required <= set(summary.columns):
        raise ParameterError(
            "segment_cards needs segkit.segment_summary(...) output (columns customers, customers_share, "
            f"revenue, revenue_share); got {type(summary).__name__}."
        )
    descriptions = dict(getattr(scheme, "descriptions", {}) or {})
    actions = dict(getattr(scheme, "actions", {}) or {})
    if "action" in summary.columns:
        actions = {**summary["action"].astype(str).to_dict(), **actions}
    cards, texts = [], []
    for segment, row in summary.iterrows():
        name = label("segment", segment, lang)
        who = _segment_text("segment_description", segment, descriptions, lang)
        action = _segment_text("segment_action", segment, actions, lang)
        figures = [
            (t("card.customers", lang), format_number(row["customers"], 0, lang)),
            (t("card.share_customers", lang), format_percent(row["customers_share"], 0, lang)),
        ]
        if "revenue_share" in row.index:
            figures.append((t("card.share_revenue", lang), format_percent(row["revenue_share"], 0, lang)))
        if "revenue" in row.index:
            figures.append((t("card.revenue", lang), format_money(row["revenue"], currency, 0, lang)))
        cards.append(_card(name, figures, [(t("card.who", lang), who), (t("card.action", lang), action)]))
        text = f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures)
        texts.append(f"{text}\n{t('card.who', lang)}: {who}\n{t('card.action', lang)}: {action}")
    return _cards_block(cards, texts)


def _segment_text(kind: str, segment: Any, given: Mapping[Any, str], lang: str) -> str:
    known = label(kind, segment, lang)
    if known != str(segment):
        return known
    return label(kind, given.get(segment, ""), lang)


# ----------------------------------------------------------------------------------------------------
# report index parts
# ----------------------------------------------------------------------------------------------------

#: The report pages, with the catalogue keys of their title and one-line description.
PAGES = {
    "00_overview": ("page.00_overview.title", "page.00_overview.description"),
    "01_abc_xyz": ("page.01_abc_xyz.title", "page.01_abc_xyz.description"),
    "02_rfm": ("page.02_rfm.title", "page.02_rfm.description"),
    "03_personas": ("page.03_personas.title", "page.03_personas.description"),
    "04_cohorts_churn": ("page.04_cohorts_churn.title", "page.04_cohorts_churn.description"),
    "05_crm_loyalty": ("page.05_crm_loyalty.title", "page.05_crm_loyalty.description"),
    "06_clv": ("page.06_clv.title", "page.06_clv.description"),
}
#: The customer lists a report writes, with the catalogue key of their human name.
LISTS = {
    "abc_xyz_customers": "list.abc_xyz_customers",
    "rfm_segments": "list.rfm_segments",
    "personas": "list.personas",
    "persona_profiles": "list.persona_profiles",
    "churn_risk_scores": "list.churn_risk_scores",
    "customer_status": "list.customer_status",
    "crm_loyalty_scores": "list.crm_loyalty_scores",
    "crm_activity_capacity": "list.crm_activity_capacity",
    "crm_renew_index": "list.crm_renew_index",
    "customer_lifetime_value": "list.customer_lifetime_value",
}


def page_title(name: str, lang: str = "en") -> str:
    """The human title of a report page (``"02_rfm"`` -> ``"RFM segments"``); unknown pages keep their name."""
    keys = PAGES.get(name)
    return t(keys[0], check_lang(lang)) if keys else name


def page_description(name: str, lang: str = "en") -> str:
    """The one-line description of a report page, or ``""`` for a page the kit does not know."""
    keys = PAGES.get(name)
    return t(keys[1], check_lang(lang)) if keys else ""


def list_title(name: str, lang: str = "en") -> str:
    """The human name of a customer list (``"rfm_segments"`` -> ``"Customers by RFM segment"``)."""
    key = LISTS.get(name)
    return t(key, check_lang(lang)) if key else name


def report_title(as_of: Any, lang: str = "en") -> str:
    """The title of a report index: ``"Customer base report as of 2025-01-01"``.

    Examples
    --------
    >>> from segkit.report import report_title
    >>> report_title("2025-01-01", lang="ru")
    'Отчёт по клиентской базе на 01.01.2025'
    """
    return t("index.title", check_lang(lang), date=format_date(as_of, lang))


def _section(heading_key: str, body: str, lang: str) -> str:
    return f'<section class="segkit-section"><h2>{_esc(t(heading_key, lang))}</h2>{body}</section>'


#: The tile title of each figure that may be unavailable for a base.
_FIGURE_KEYS = {
    "base": "figure.customers",
    "at_risk": "figure.at_risk",
    "churn_rate": "figure.churn_rate",
    "migration": "figure.migration",
}


def _reason_text(reason: str, lang: str) -> str:
    # Known analysis messages have catalogue twins; an English-only reason stays off a page in another language.
    text = label("warning", reason, lang)
    if lang != "en" and text == reason:
        return t("figure.unavailable", lang)
    return t("figure.unavailable_reason", lang, reason=localize_text(text, lang))


def key_figures_html(
    figures: Mapping[str, Any],
    *,
    lang: str = "en",
    currency: str | None = None,
    unavailable: Mapping[str, str] | None = None,
) -> str:
    """The "base in figures" block of a report index, as HTML.

    Parameters
    ----------
    figures : mapping
        Any of: ``customers`` (int), ``revenue`` (money), ``a_share`` (share of customers in class A),
        ``at_risk_share`` and ``at_risk_revenue`` (share of current customers at risk of churn and the
        revenue they carry), ``churn_rate`` (share per period), ``migration`` (a mapping with
        ``customers``, ``before``, ``after``, ``since``: the largest move between segments since the
        previous report; ``customers`` is ``None`` when there is no previous report). Missing ones are
        left out; ``a_share_range`` (low, high) sets the healthy A share (default 20-30 %).
    unavailable : mapping, optional
        Figure (``"base"``, ``"at_risk"``, ``"churn_rate"``, ``"migration"``) -> why it cannot be
        computed for this base; shown as a tile with the reason instead of a number.
    lang, currency
        As in :func:`show_table`.

    Returns
    -------
    str
        A ``<section>`` with a heading and one tile per figure.
    """
    lang = check_lang(lang)
    currency = check_currency(currency)
    tiles: list[tuple[str, str, str]] = []
    if figures.get("customers") is not None:
        tiles.append((t("figure.customers", lang), format_number(figures["customers"], 0, lang), ""))
    if figures.get("revenue") is not None:
        tiles.append((t("figure.revenue", lang), format_money(figures["revenue"], currency, 0, lang), ""))
    if figures.get("a_share") is not None:
        share = float(figures["a_share"])
        # The methodology's rule: class A should hold 20-30 % of customers (for the cumulative method).
        low, high = figures.get("a_share_range") or (0.2, 0.3)
        health = (
            "figure.a_share_low"
            if share < low
            else "figure.a_share_high"
            if share > high
            else "figure.a_share_healthy"
        )
        tiles.append((t("figure.a_share", lang), format_percent(share, 1, lang), t(health, lang)))
    if figures.get("at_risk_share") is not None:
        note = ""
        if figures.get("at_risk_revenue") is not None:
            note = t(
                "figure.at_risk_revenue",
                lang,
                revenue=format_money(figures["at_risk_revenue"], currency, 0, lang),
            )
        tiles.append((t("figure.at_risk", lang), format_percent(figures["at_risk_share"], 1, lang), note))
    if figures.get("churn_rate") is not None:
        tiles.append((t("figure.churn_rate", lang), format_percent(figures["churn_rate"], 1, lang), ""))
    move = figures.get("migration")
    if move and move.get("customers") is None:
        tiles.append((t("figure.migration", lang), _MISSING, t("figure.migration_none_yet", lang)))
    elif move and not move["customers"]:
        note = t("figure.migration_none", lang, date=format_date(move["since"], lang))
        tiles.append((t("figure.migration", lang), format_number(0, 0, lang), note))
    elif move:
        text = t(
            "figure.migration_text",
            lang,
            customers=format_number(move["customers"], 0, lang),
            before=label("segment", move["before"], lang),
            after=label("segment", move["after"], lang),
        )
        tiles.append((t("figure.migration", lang), format_number(move["customers"], 0, lang), text))
    for name, reason in dict(unavailable or {}).items():
        tiles.append(
            (t(_FIGURE_KEYS.get(name, "figure.customers"), lang), _MISSING, _reason_text(reason, lang))
        )
    body = "".join(
        f'<div class="segkit-card"><div class="segkit-figure"><b>{_esc(v)}</b><span>{_esc(k)}</span></div>'
        + (f"<p>{_esc(note)}</p>" if note else "")
        + "</div>"
        for k, v, note in tiles
    )
    return _CARD_CSS + _section("index.key_figures", f'<div class="segkit-cards">{body}</div>', lang)


def findings_html(findings: Sequence[tuple[str, str | None]], *, lang: str = "en") -> str:
    """The findings block of a report index: one line per finding, linked to the page that explains it."""
    lang = check_lang(lang)
    items = "".join(
        f'<li><a href="{_esc(href)}">{_esc(text)}</a></li>' if href else f"<li>{_esc(text)}</li>"
        for text, href in findings
    )
    return _section("index.findings", f"<ul>{items}</ul>", lang)


def pages_html(pages: Sequence[tuple[Any, ...]], *, lang: str = "en") -> str:
    """The list of report pages, each with its title, one-line description and status.

    Each entry is ``(name, href, error)`` or ``(name, href, error, skipped)``: a failed page shows its error
    instead of a link; ``skipped`` lists the sections the page could not compute for this base.
    """
    lang = check_lang(lang)
    items = []
    for entry in pages:
        name, href, error = entry[:3]
        skipped = list(entry[3]) if len(entry) > 3 else []
        title, description = page_title(name, lang), page_description(name, lang)
        if error:
            items.append(
                f'<li><b>{_esc(title)}</b>: <span class="bad">{_esc(t("index.failed", lang, error=error))}</span></li>'
            )
            continue
        desc = f" — {_esc(description)}" if description else ""
        note = (
            f'<br><span class="muted">{_esc(t("index.skipped_sections", lang, sections="; ".join(skipped)))}</span>'
            if skipped
            else ""
        )
        items.append(f'<li><a href="{_esc(href)}"><b>{_esc(title)}</b></a>{desc}{note}</li>')
    return _section("index.pages", f"<ul>{''.join(items)}</ul>", lang)


def downloads_html(
    lists: Sequence[str], *, workbook: str | None = None, lang: str = "en", csv_suffix: str = ".csv"
) -> str:
    """Links to the customer lists of a report folder (``rfm_segments`` -> ``rfm_segments.csv``) and the workbook."""
    lang = check_lang(lang)
    items = [
        f'<li>{_esc(list_title(name, lang))}: <a href="{_esc(name + csv_suffix)}">{_esc(t("download.csv", lang))}</a></li>'
        for name in lists
    ]
    if workbook:
        items.append(
            f'<li><a href="{_esc(workbook)}">{_esc(t("download.workbook", lang))}</a> ({_esc(t("download.excel", lang))})</li>'
        )
    return _section("index.downloads", f"<ul>{''.join(items)}</ul>", lang)


def _parameter_value(value: Any, lang: str) -> str:
    if value is None:
        return t("parameter.none", lang)
    if isinstance(value, bool):
        return t("common.yes" if value else "common.no", lang)
    if isinstance(value, numbers.Real):
        return format_number(value, 0 if float(value).is_integer() else 2, lang)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_parameter_value(v, lang)}" for k, v in value.items()) or t(
            "parameter.none", lang
        )
    if isinstance(value, list | tuple):
        return ", ".join(_parameter_value(v, lang) for v in value)
    if isinstance(value, pd.Timestamp):
        return format_date(value, lang)
    # Known texts (the bundled sample's name, policies) have catalogue twins; others are shown as given.
    return translate(value, ("term",), lang)


def parameters_html(
    parameters: Mapping[str, Any], *, lang: str = "en", heading: str = "index.parameters"
) -> str:
    """Parameters (or a data-quality summary: ``heading="index.data_quality"``) as a readable two-column table.

    The runner's parameters get their human names (``as_of`` -> "Analysis date"); values are written out
    in words and locale numbers (never JSON escapes).

    Examples
    --------
    >>> from segkit.report import parameters_html
    >>> "Кодировка: cp1251" in parameters_html({"read_options": {"Кодировка": "cp1251"}}, lang="ru")
    True
    """
    lang = check_lang(lang)
    if heading not in ("index.parameters", "index.data_quality"):
        raise ParameterError(f"heading must be 'index.parameters' or 'index.data_quality'; got {heading!r}.")
    rows = "".join(
        f"<tr><td>{_esc(translate(name, ('report_parameter',), lang))}</td>"
        f"<td>{_esc(_parameter_value(value, lang))}</td></tr>"
        for name, value in parameters.items()
    )
    head = f"<tr><th>{_esc(t('parameter.name', lang))}</th><th>{_esc(t('parameter.value', lang))}</th></tr>"
    return _section(heading, f'<table class="segkit-table">{head}{rows}</table>', lang)


def warnings_html(messages: Sequence[str], *, lang: str = "en") -> HtmlBlock:
    """Warnings of an analysis (e.g. ``segkit.concentration(...).messages()``) as a visible notice in ``lang``.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> from segkit.report import warnings_html
    >>> health = segkit.concentration(pd.Series({"a": 90.0, "b": 5.0, "c": 5.0}))
    >>> print(repr(warnings_html(health.messages(), lang="ru")).splitlines()[-1].replace("\\xa0", " "))
    Индекс Херфиндаля–Хиршмана — 8 150 (выше 1 800): концентрация выручки высокая.
    """
    lang = check_lang(lang)
    lines = [localize_text(label("warning", message, lang), lang) for message in messages]
    body = "".join(f"<p>{_esc(line)}</p>" for line in lines)
    title = _esc(t("warning.title", lang))
    return HtmlBlock(f'{_CARD_CSS}<div class="segkit-notice"><b>{title}</b>{body}</div>', "\n".join(lines))


def notice_html(reason: str, *, hint: str | None = None, lang: str = "en") -> HtmlBlock:
    """A visible notice for a skipped section: the reason and what to change."""
    lang = check_lang(lang)
    lines = [t("warning.section_skipped", lang, reason=reason)]
    if hint:
        lines.append(t("warning.what_to_change", lang, hint=hint))
    body = "".join(f"<p>{_esc(line)}</p>" for line in lines)
    title = _esc(t("warning.title", lang))
    return HtmlBlock(f'{_CARD_CSS}<div class="segkit-notice"><b>{title}</b>{body}</div>', "\n".join(lines))
