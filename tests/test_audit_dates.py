"""Date parameters typed as text follow one rule everywhere: YYYY-MM-DD or DD.MM.YYYY, never a guess."""

from __future__ import annotations

import pandas as pd
import pytest

import segkit
from segkit._validation import check_param

TX = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "b", "b"],
        "order_date": ["2024-01-01", "2024-01-20", "2024-03-01", "2024-01-03", "2024-06-01"],
        "amount": [10.0, 20.0, 5.0, 7.0, 8.0],
    }
)


def test_dotted_calibration_end_is_day_first():
    dotted = segkit.btyd_summary(TX, calibration_end="01.02.2024")
    iso = segkit.btyd_summary(TX, calibration_end="2024-02-01")
    pd.testing.assert_frame_equal(dotted, iso)
    assert dotted.attrs["calibration_end"] == pd.Timestamp("2024-02-01")


def test_dotted_observation_end_is_day_first():
    dotted = segkit.btyd_summary(TX, observation_end="01.05.2024")
    assert dotted.attrs["observation_end"] == pd.Timestamp("2024-05-01")
    pd.testing.assert_frame_equal(dotted, segkit.btyd_summary(TX, observation_end="2024-05-01"))


@pytest.mark.parametrize("name", ["calibration_end", "observation_end"])
def test_slash_dates_are_refused_with_both_readings(name):
    with pytest.raises(
        segkit.ParameterError, match=rf"{name}='01/02/2024' is ambiguous.*1 February.*2 January"
    ):
        segkit.btyd_summary(TX, **{name: "01/02/2024"})


@pytest.mark.parametrize("text", ["today", "now", "July 2024", "2024"])
def test_words_and_partial_dates_are_not_dates(text):
    # pandas reads these (today's date, 1 January), so the same call would give another answer tomorrow.
    with pytest.raises(segkit.ParameterError, match="YYYY-MM-DD"):
        check_param("as_of", text, [None, "date"])
    with pytest.raises(segkit.ParameterError, match="not a date segkit accepts"):
        segkit.btyd_summary(TX, calibration_end=text)


def test_date_constraint_accepts_the_contract_forms():
    for value in ("2024-07-01", "01.07.2024", "2024-07-01 10:30", pd.Timestamp("2024-07-01")):
        assert check_param("as_of", value, ["date"]) is value
