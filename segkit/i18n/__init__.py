"""Languages and locale formats: one message catalogue in English and Russian, numbers, money and dates."""

from ._axes import format_axes, localize_axes, localize_figure
from ._catalogue import LANGUAGES, catalogue_keys, check_lang, label, persona_label, t, translate
from ._formats import (
    check_currency,
    currency_symbol,
    format_date,
    format_money,
    format_number,
    format_percent,
    localize_text,
    symbol_first,
)

__all__ = [
    "LANGUAGES",
    "catalogue_keys",
    "check_currency",
    "currency_symbol",
    "check_lang",
    "format_axes",
    "format_date",
    "format_money",
    "format_number",
    "format_percent",
    "label",
    "localize_axes",
    "localize_figure",
    "localize_text",
    "persona_label",
    "symbol_first",
    "t",
    "translate",
]
