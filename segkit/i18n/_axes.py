"""Plots in the reader's language: tick formats of the locale and translated titles, labels and legends."""

from __future__ import annotations

import re
from typing import Any

from .._errors import check_choice
from ._catalogue import check_lang, translate
from ._formats import check_currency, format_date, format_money, format_number, format_percent, localize_text

__all__ = ["format_axes", "localize_axes", "localize_figure"]

#: What a tick value can be: a plain number, a share shown as a percentage, money, or a matplotlib date.
AXIS_FORMATS = ("number", "integer", "percent", "money", "date")
# Plot texts can be plot labels, segment names (heatmap ticks), statuses or column names.
_PLOT_KINDS = (
    "plot",
    "segment",
    "status",
    # After the statuses: "active" stays a customer status; a base state is drawn by its full name.
    "base_state",
    "persona_name",
    "ranking",
    "column",
    "xyz_class",
    "feature",
    "channel",
    "loyalty_type",
)
# An English tick text as matplotlib's number formatters write it: "0.25", "−1,500", "20%".
_TICK_NUMBER = re.compile(
    r"(?P<minus>[-\u2212]?)(?P<number>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<decimals>\d+))?)(?P<percent>%?)"
)


def _formatter(kind: str, lang: str, currency: str | None, decimals: int | None) -> Any:
    from matplotlib import dates as mdates
    from matplotlib.ticker import FuncFormatter

    if kind == "percent":
        return FuncFormatter(lambda v, _pos: format_percent(v, 0 if decimals is None else decimals, lang))
    if kind == "money":
        return FuncFormatter(
            lambda v, _pos: format_money(v, currency, 0 if decimals is None else decimals, lang)
        )
    if kind == "date":
        return FuncFormatter(lambda v, _pos: format_date(mdates.num2date(v).replace(tzinfo=None), lang))
    places = 0 if kind == "integer" else (1 if decimals is None else decimals)
    return FuncFormatter(lambda v, _pos: format_number(v, places, lang))


def format_axes(
    ax: Any,
    *,
    x: str | None = None,
    y: str | None = None,
    lang: str = "en",
    currency: str | None = None,
    decimals: int | None = None,
) -> Any:
    """Apply the locale's number, percentage, money or date format to the ticks of ``ax``.

    Parameters
    ----------
    ax : matplotlib Axes
        The axes to format.
    x, y : {"number", "integer", "percent", "money", "date"}, optional
        What the tick values of each axis are; ``None`` leaves that axis as it is. ``"percent"`` expects
        shares (0.25 is 25 %).
    lang : {"en", "ru"}
        The language.
    currency : str, optional
        ISO 4217 code for ``"money"`` ticks; ``None`` shows plain numbers.
    decimals : int, optional
        Decimal places (default: 0 for percentages and money, 1 for numbers).

    Returns
    -------
    matplotlib Axes
        ``ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from segkit.i18n import format_axes
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 1500])
    >>> ax = format_axes(ax, x="percent", y="money", lang="ru", currency="RUB")
    >>> ax.yaxis.get_major_formatter()(1500, 0)
    '1\\xa0500\\xa0₽'
    >>> plt.close(fig)
    """
    lang = check_lang(lang)
    currency = check_currency(currency)
    for axis, kind in ((ax.xaxis, x), (ax.yaxis, y)):
        if kind is not None:
            check_choice("axis format", kind, AXIS_FORMATS)
            axis.set_major_formatter(_formatter(kind, lang, currency, decimals))
    return ax


def _locale_tick(text: str, lang: str) -> str:
    match = _TICK_NUMBER.fullmatch(text.strip())
    if match is None:
        return text  # not a plain number: a date, a word, mathtext such as 10^3
    decimals = len(match.group("decimals") or "")
    out = format_number(float(match.group("number").replace(",", "")), decimals, lang)
    if match.group("minus") and out.strip("0,") != "":
        out = "\u2212" + out  # matplotlib's minus sign
    return f"{out}\u00a0%" if match.group("percent") else out


def _locale_formatter(base: Any, lang: str) -> Any:
    """A tick formatter writing the numbers of ``base`` (matplotlib's own formatters) in ``lang``'s format."""
    from matplotlib.ticker import Formatter

    class LocaleFormatter(Formatter):
        # Delegating keeps what the base formatter decides from all ticks at once (decimals, offset).
        def __init__(self) -> None:
            self.base = base

        def set_axis(self, axis: Any) -> None:
            super().set_axis(axis)
            self.base.set_axis(axis)

        def set_locs(self, locs: Any) -> None:
            self.base.set_locs(locs)

        def __call__(self, x: Any, pos: Any = None) -> str:
            return _locale_tick(self.base(x, pos), lang)

        def format_ticks(self, values: Any) -> list[str]:
            return [_locale_tick(text, lang) for text in self.base.format_ticks(values)]

        def get_offset(self) -> str:
            return _locale_tick(self.base.get_offset(), lang)

        def format_data_short(self, value: Any) -> str:
            return self.base.format_data_short(value)

    return LocaleFormatter()


def _localize_numeric_ticks(axis: Any, lang: str) -> None:
    from matplotlib.ticker import FormatStrFormatter, PercentFormatter, ScalarFormatter, StrMethodFormatter

    formatter = axis.get_major_formatter()
    # Only matplotlib's number formatters: format_axes' formatters and fixed tick texts are already final.
    if isinstance(formatter, ScalarFormatter | PercentFormatter | StrMethodFormatter | FormatStrFormatter):
        axis.set_major_formatter(_locale_formatter(formatter, lang))


def localize_axes(ax: Any, *, lang: str = "en") -> Any:
    """Translate the title, axis labels, legend and categorical tick labels of ``ax`` into ``lang``.

    The texts segkit's plot functions write are in the catalogue (vocabulary ``plot``); segment, status and
    persona names on ticks and in legends are translated too. Unknown texts stay as they are. Numeric ticks
    left to matplotlib's formatters (colour bars, the radius of a polar plot) take the locale's decimal mark,
    thousands separator and percent sign.

    Returns
    -------
    matplotlib Axes
        ``ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from segkit.i18n import localize_axes
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 2.5])
    >>> ax = localize_axes(ax, lang="ru")
    >>> ax.yaxis.get_major_formatter().format_ticks([0, 0.5, 1.0, 1.5])
    ['0,0', '0,5', '1,0', '1,5']
    >>> plt.close(fig)
    """
    from matplotlib.category import StrCategoryFormatter
    from matplotlib.ticker import FixedFormatter, FixedLocator

    lang = check_lang(lang)
    if lang == "en":
        return ax
    ax.set_title(translate(ax.get_title(), _PLOT_KINDS, lang))
    ax.set_xlabel(translate(ax.get_xlabel(), _PLOT_KINDS, lang))
    ax.set_ylabel(translate(ax.get_ylabel(), _PLOT_KINDS, lang))
    for axis in (ax.xaxis, ax.yaxis):
        # Only categorical ticks (segment names on a heatmap, bar labels) are words; numeric ticks keep
        # their formatter, which format_axes sets.
        # Fixed tick texts use a FixedFormatter before matplotlib 3.9 and a FuncFormatter over a
        # FixedLocator since then.
        fixed = isinstance(axis.get_major_locator(), FixedLocator)
        if not (fixed or isinstance(axis.get_major_formatter(), FixedFormatter | StrCategoryFormatter)):
            continue
        texts = [tick.get_text() for tick in axis.get_ticklabels()]
        if texts and any(texts) and not all(_numeric(text) for text in texts):
            axis.set_ticks(axis.get_ticklocs(), [translate(text, _PLOT_KINDS, lang) for text in texts])
    for axis in (ax.xaxis, ax.yaxis):
        _localize_numeric_ticks(axis, lang)
    legend = ax.get_legend()
    if legend is not None:
        legend.set_title(translate(legend.get_title().get_text(), _PLOT_KINDS, lang))
        for text in legend.get_texts():
            text.set_text(translate(text.get_text(), _PLOT_KINDS, lang))
    # Annotations (heatmap cells, point labels): translated words, numbers in the locale's format.
    for text in ax.texts:
        words = translate(text.get_text(), _PLOT_KINDS, lang)
        text.set_text(words if words != text.get_text() else localize_text(words, lang))
    return ax


def _numeric(text: str) -> bool:
    cleaned = text.replace("\u2212", "-").replace(",", "").replace("%", "").strip()
    try:
        float(cleaned)
    except ValueError:
        return not cleaned
    return True


def localize_figure(fig: Any, *, lang: str = "en") -> Any:
    """:func:`localize_axes` on every axes of a figure (twin axes and colour bars included), and its suptitle.

    Returns
    -------
    matplotlib Figure
        ``fig``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from segkit.i18n import localize_figure
    >>> fig, ax = plt.subplots()
    >>> _ = ax.twinx().set_ylabel("customers")
    >>> _ = ax.set_ylabel("revenue")
    >>> fig = localize_figure(fig, lang="ru")
    >>> [a.get_ylabel() for a in fig.axes]
    ['выручка', 'клиенты']
    >>> plt.close(fig)
    """
    lang = check_lang(lang)
    for ax in fig.axes:
        localize_axes(ax, lang=lang)
    if lang != "en" and getattr(fig, "_suptitle", None) is not None:
        fig._suptitle.set_text(translate(fig._suptitle.get_text(), _PLOT_KINDS, lang))
    return fig
