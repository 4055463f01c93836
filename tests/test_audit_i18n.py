"""Locale formats given text: a Russian date is never shown as another day, text that is no number is named."""

from __future__ import annotations

import pytest

import segkit
from segkit.i18n import format_date, format_money, format_number, format_percent


@pytest.mark.parametrize(
    ("text", "ru", "en"),
    [
        ("01.07.2024", "01.07.2024", "2024-07-01"),
        ("1.7.2024", "01.07.2024", "2024-07-01"),
        ("01.07.2024 13:05", "01.07.2024 13:05", "2024-07-01 13:05"),
        ("2024-07-01", "01.07.2024", "2024-07-01"),
    ],
)
def test_dotted_dates_are_day_first(text: str, ru: str, en: str) -> None:
    assert format_date(text, lang="ru") == ru
    assert format_date(text, lang="en") == en


def test_slashed_dates_are_refused() -> None:
    with pytest.raises(segkit.ParameterError, match="ambiguous.*1 July 2024.*7 January 2024"):
        format_date("01/07/2024", lang="ru")


@pytest.mark.parametrize("fmt", [format_number, format_percent, format_money])
@pytest.mark.parametrize("value", ["abc", [1], object()])
def test_a_value_that_is_no_number_is_named(fmt, value) -> None:
    with pytest.raises(segkit.ParameterError, match="must be a number; got"):
        fmt(value)
