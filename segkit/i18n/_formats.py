"""Locale formats: numbers, percentages, money and dates as a reader of each language expects them.

Russian: ``1 234,50`` (a no-break space groups thousands, a comma marks decimals), ``27,5 %``,
``1 234,50 ₽``, ``01.07.2024``. English: ``1,234.50``, ``27.5%``, ``$1,234.50``, ``2024-07-01`` (ISO dates,
unambiguous for every English-speaking reader). A missing value is an em dash; a value that rounds to zero
is shown without a minus sign.
"""

from __future__ import annotations

import math
import numbers
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError
from ._catalogue import check_lang

__all__ = [
    "MISSING",
    "check_currency",
    "currency_symbol",
    "format_date",
    "format_money",
    "format_number",
    "format_percent",
    "localize_text",
    "symbol_first",
]

#: What a missing value is shown as.
MISSING = "—"
NBSP = "\u00a0"
# Currencies written with a symbol; any other ISO 4217 code is written as the code after the number.
_SYMBOLS = {"RUB": "₽", "USD": "$", "EUR": "€", "GBP": "£", "KZT": "₸", "UAH": "₴", "BYN": "Br", "CNY": "¥"}
# English puts these symbols before the number ($1.50); Russian always puts the currency after it.
_PREFIX_EN = {"USD", "EUR", "GBP", "CNY"}


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, numbers.Real) and math.isnan(float(value))


def _check_decimals(decimals: Any) -> int:
    if isinstance(decimals, bool) or not isinstance(decimals, numbers.Integral) or not 0 <= decimals <= 10:
        raise ParameterError(f"decimals must be a whole number from 0 to 10; got {decimals!r}.")
    return int(decimals)


def _number(value: Any, decimals: int, lang: str, scale: float = 1) -> str:
    try:
        x = float(value) * scale
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"a number to format must be a number; got {value!r}.") from exc
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    # Half up, as people and accounting round (Python's round() would make 1234.5 into 1234).
    d = Decimal(repr(x)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if d == 0:
        d = abs(d)  # no "-0.00"
    text = f"{d:,.{decimals}f}"
    if lang == "ru":
        text = text.replace(",", NBSP).replace(".", ",")
    return text


def format_number(value: Any, decimals: int = 0, lang: str = "en") -> str:
    """A number with the thousands separator and decimal mark of ``lang``.

    Examples
    --------
    >>> from segkit.i18n import format_number
    >>> format_number(1234.5, 2, lang="ru")
    '1\\xa0234,50'
    >>> format_number(1234.5, 2), format_number(-0.001, 2), format_number(float("nan"))
    ('1,234.50', '0.00', '—')
    """
    lang = check_lang(lang)
    decimals = _check_decimals(decimals)
    if _missing(value):
        return MISSING
    return _number(value, decimals, lang)


def format_percent(value: Any, decimals: int = 1, lang: str = "en") -> str:
    """A share (a fraction: 0.275) as a percentage: ``27.5%`` or ``27,5 %``.

    Examples
    --------
    >>> from segkit.i18n import format_percent
    >>> format_percent(0.275), format_percent(0.275, lang="ru")
    ('27.5%', '27,5\\xa0%')
    """
    lang = check_lang(lang)
    decimals = _check_decimals(decimals)
    if _missing(value):
        return MISSING
    text = _number(value, decimals, lang, scale=100)
    return f"{text}{NBSP}%" if lang == "ru" else f"{text}%"


def check_currency(currency: Any) -> str | None:
    """``None`` (no currency shown) or an upper-case ISO 4217 code such as ``"RUB"``."""
    if currency is None:
        return None
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
        raise ParameterError(
            f"currency must be an ISO 4217 code such as 'RUB', 'USD' or 'EUR', or None for no currency; "
            f"got {currency!r}."
        )
    return currency.upper()


def currency_symbol(currency: str | None) -> str:
    """The sign written for a currency: ``"₽"`` for ``"RUB"``, the code itself when it has no common symbol.

    Examples
    --------
    >>> from segkit.i18n import currency_symbol
    >>> currency_symbol("rub"), currency_symbol("CHF"), currency_symbol(None)
    ('₽', 'CHF', '')
    """
    currency = check_currency(currency)
    return "" if currency is None else _SYMBOLS.get(currency, currency)


def symbol_first(currency: str | None, lang: str) -> bool:
    """True when ``lang`` writes the currency sign before the number (``$1.50`` in English)."""
    return check_lang(lang) == "en" and check_currency(currency) in _PREFIX_EN


def format_money(value: Any, currency: str | None = None, decimals: int = 2, lang: str = "en") -> str:
    """An amount of money with the currency placed as ``lang`` places it.

    ``currency=None`` shows the plain number: the data say nothing about their currency, so the kit never
    guesses one from the language.

    Examples
    --------
    >>> from segkit.i18n import format_money
    >>> format_money(1234.5, "RUB", lang="ru")
    '1\\xa0234,50\\xa0₽'
    >>> format_money(1234.5, "USD"), format_money(-5, "USD"), format_money(1234.5, "CHF", decimals=0)
    ('$1,234.50', '-$5.00', '1,235 CHF')
    """
    lang = check_lang(lang)
    currency = check_currency(currency)
    decimals = _check_decimals(decimals)
    if _missing(value):
        return MISSING
    text = _number(value, decimals, lang)
    if currency is None:
        return text
    symbol = currency_symbol(currency)
    if symbol_first(currency, lang):
        return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"
    return f"{text}{NBSP}{symbol}" if lang == "ru" else f"{text} {symbol}"


#: Dates written with dots or slashes, which only the contract's date rule reads the same way every time.
_TYPED_DATE = re.compile(r"(\d{1,4}[./]\d{1,2}[./]\d{1,4})(?:[ T](\d{1,2}:\d{2}(?::\d{2})?))?")


def format_date(value: Any, lang: str = "en", *, time: bool | None = None) -> str:
    """A date as ``01.07.2024`` (ru) or ``2024-07-01`` (en); the time is added when it is not midnight.

    Text with dots is read day first (``"01.07.2024"`` is 1 July) and text with slashes is refused as
    ambiguous, as in every date parameter (:func:`segkit.parse_date_param`).

    Examples
    --------
    >>> from segkit.i18n import format_date
    >>> format_date("2024-07-01", lang="ru"), format_date("2024-07-01 13:05:00")
    ('01.07.2024', '2024-07-01 13:05')
    """
    lang = check_lang(lang)
    if _missing(value):
        return MISSING
    typed = _TYPED_DATE.fullmatch(value.strip()) if isinstance(value, str) else None
    if typed:
        # pandas reads '01.07.2024' month first and guesses slash forms; the date rule reads dots day first
        # and refuses slashes, so a Russian date is never shown as another day.
        from ..io import parse_date_param

        day, clock = typed.groups()
        value = parse_date_param(day, "value")
        if clock:
            hours, minutes, seconds = ([int(part) for part in clock.split(":")] + [0])[:3]
            value += pd.Timedelta(hours=hours, minutes=minutes, seconds=seconds)
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"format_date needs a date such as '2024-07-01'; got {value!r}.") from exc
    if ts is pd.NaT:
        return MISSING
    with_time = (ts != ts.normalize()) if time is None else time
    day = ts.strftime("%d.%m.%Y" if lang == "ru" else "%Y-%m-%d")
    return f"{day} {ts.strftime('%H:%M')}" if with_time else day


# A run of digits with the separators either language writes inside it ("1,234.50", "1\u00a0234,50",
# "01.07.2024"), a minus sign before it and a percent sign after it; each run is read as a whole, so a
# number is never re-written in parts.
_NUMBER_RUN = re.compile(r"(?P<sign>-)?(?P<run>\d(?:[\d.,]|\u00a0(?=\d))*\d|\d)(?P<percent>%?)")
_EN_GROUPED = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+")
_EN_DECIMAL = re.compile(r"(?:[1-9]\d{0,2}(?:,\d{3})+|\d+)\.\d+")
_ISO_DATE = re.compile(r"(?<![\w./-])\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}(?::\d{2})?)?(?![\w-])")
# Kit convention: a bare four-digit number from 1900 to 2099 is a year, written without a group separator.
_YEAR = re.compile(r"(?:19|20)\d{2}")


def _read_run(run: str) -> tuple[str, float | None, int]:
    """How a run of digits is written: ``("en", value, decimals)``, ``("ru", ...)`` or ``("keep", ...)``.

    ``"ambiguous"`` is "12,345": English thousands or a Russian number with three decimals.
    """
    if "\u00a0" in run or (run.count(",") == 1 and "." not in run and not _EN_GROUPED.fullmatch(run)):
        return "ru", None, 0  # no-break space groups or a decimal comma: already localized
    if (
        re.fullmatch(r"0\d+.*", run)
        or run.count(".") > 1
        or (run.count(",") > 1 and "." not in run and not _EN_GROUPED.fullmatch(run))
    ):
        return "keep", None, 0  # a code, a date or a version ("007", "01.07.2024", "1.2.3")
    if _EN_DECIMAL.fullmatch(run):
        return "en", float(run.replace(",", "")), len(run.split(".")[1])
    if _EN_GROUPED.fullmatch(run):
        return ("ambiguous" if run.count(",") == 1 else "en"), float(run.replace(",", "")), 0
    if run.isdigit():
        return ("keep" if _YEAR.fullmatch(run) else "en"), float(run), 0
    return "keep", None, 0


def localize_text(text: Any, lang: str = "en") -> str:
    """Re-write the English-formatted numbers and ISO dates inside a generated text for ``lang``.

    Numbers already in the target format are left as they are, so localizing twice changes nothing; codes,
    dates and versions (``C00441``, ``007``, ``01.07.2024``, ``2024-01``) and years are not numbers. A lone
    ``12,345`` is read as English thousands unless a no-break space follows it (``12,345\\xa0%``) or the text
    holds other Russian-formatted numbers.

    Examples
    --------
    >>> from segkit.i18n import localize_text
    >>> localize_text("151 (7.5%)", lang="ru")
    '151 (7,5\\xa0%)'
    >>> localize_text("2024-12-31 19:37:16", lang="ru")
    '31.12.2024 19:37'
    >>> localize_text(localize_text("1,234.5 and 0.125", lang="ru"), lang="ru")
    '1\\xa0234,5 and 0,125'
    """
    lang = check_lang(lang)
    text = str(text)
    if lang == "en":
        return text
    text = _ISO_DATE.sub(lambda m: format_date(m.group(0), lang), text)
    # A Russian number is followed by a no-break space before its "%" or currency sign; English writes "12.5%".
    russian = any(
        _read_run(m.group("run"))[0] == "ru" or text.startswith(NBSP, m.end())
        for m in _NUMBER_RUN.finditer(text)
    )

    def number(match: re.Match[str]) -> str:
        start, sign, run, percent = (
            match.start(),
            match.group("sign"),
            match.group("run"),
            match.group("percent"),
        )
        before = text[start - 1] if start else ""
        if sign and (before.isalnum() or before == "_"):
            start, sign = start + 1, None  # a hyphen ("2024-01", "0.25-0.50"), not a minus
            before = "-"
        if before and (before.isalnum() or before in "_.,"):
            return match.group(0)  # part of a code or a word ("C00441", "v2")
        how, value, decimals = _read_run(run)
        if how == "ambiguous" and text.startswith(NBSP, match.end()):
            how = "ru"
        if how in ("ru", "keep") or (how == "ambiguous" and russian) or value is None:
            return match.group(0)
        head = match.group(0)[: start - match.start()]
        out = _number(-value if sign else value, decimals, lang)
        return f"{head}{out}{NBSP}%" if percent else f"{head}{out}"

    return _NUMBER_RUN.sub(number, text)


def is_number(value: Any) -> bool:
    """True for a real number (not a boolean)."""
    return isinstance(value, numbers.Real | np.number) and not isinstance(value, bool | np.bool_)
