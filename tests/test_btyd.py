"""BTYD summary: lifetimes' definitions by hand, the calibration/holdout split, and Fader & Hardie's CDNOW."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

import segkit


def frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "order_id": [f"o{i}" for i in range(len(rows))],
            "order_date": pd.to_datetime([r[1] for r in rows], format="ISO8601"),
            "amount": [r[2] for r in rows],
        }
    )


HAND = frame(
    [
        ("a", "2024-01-01 09:00", 10.0),
        ("a", "2024-01-01 18:00", 5.0),  # same day: one purchase period of 15
        ("a", "2024-01-03", 20.0),  # Wednesday of the same Monday week
        ("a", "2024-01-15", 30.0),
        ("a", "2024-01-16", -30.0),  # a return: not a purchase
        ("b", "2024-01-10", 8.0),
        ("c", "2024-01-20", 4.0),
        ("c", "2024-01-25", 6.0),
    ]
)


def test_daily_summary_by_hand():
    s = segkit.btyd_summary(HAND, observation_end="2024-01-28")
    # a: purchase days Jan 1, 3, 15 -> 2 repeats, recency 14 days, T 27 days, zbar (20 + 30) / 2.
    assert s.loc["a"].tolist() == [2.0, 14.0, 27.0, 25.0]
    assert s.loc["b"].tolist() == [0.0, 0.0, 18.0, 0.0]
    assert s.loc["c"].tolist() == [1.0, 5.0, 8.0, 6.0]
    assert s.attrs["observation_end"] == pd.Timestamp("2024-01-28")
    same = segkit.btyd_summary(HAND, as_of="2024-01-29")
    pd.testing.assert_frame_equal(s, same)
    weeks = segkit.btyd_summary(HAND, observation_end="2024-01-28", time_scale=7)
    assert weeks.loc["a", ["recency", "T"]].tolist() == pytest.approx([2.0, 27 / 7])
    assert weeks["frequency"].tolist() == s["frequency"].tolist()


def test_weekly_periods_start_on_monday():
    s = segkit.btyd_summary(HAND, period="week", observation_end="2024-01-28")
    # a: weeks of Jan 1 (Jan 1 + Jan 3: 35) and Jan 15 (30); observation week starts Jan 22.
    assert s.loc["a"].tolist() == [1.0, 2.0, 3.0, 30.0]
    assert s.loc["b"].tolist() == [0.0, 0.0, 2.0, 0.0]
    # c: Jan 20 is a Saturday (week of Jan 15), Jan 25 a Thursday (week of Jan 22).
    assert s.loc["c"].tolist() == [1.0, 1.0, 1.0, 6.0]
    assert segkit.btyd_summary(HAND, period="W", observation_end="2024-01-28").equals(s)


def test_default_observation_end_is_the_last_transaction_day():
    s = segkit.btyd_summary(HAND)
    assert s.attrs["observation_end"] == pd.Timestamp("2024-01-25")
    assert s.loc["c", "T"] == 5.0


def test_calibration_and_holdout_by_hand():
    out = segkit.btyd_summary(HAND, calibration_end="2024-01-10", observation_end="2024-01-28")
    assert out.columns.tolist() == [
        "frequency_cal",
        "recency_cal",
        "T_cal",
        "monetary_value_cal",
        "frequency_holdout",
        "monetary_value_holdout",
        "duration_holdout",
    ]
    # c first bought in the holdout: not a row (as in lifetimes), but counted in attrs.
    assert out.index.tolist() == ["a", "b"]
    assert out.attrs["holdout_only_customers"] == 1
    assert out.loc["a"].tolist() == [1.0, 2.0, 9.0, 20.0, 1.0, 30.0, 18.0]
    assert out.loc["b"].tolist() == [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 18.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"period": "month"}, "period"),
        ({"time_scale": 0}, "time_scale"),
        ({"time_scale": "7"}, "time_scale"),
        ({"observation_end": "2024-01-28 12:00"}, "whole day"),
        ({"observation_end": "2023-12-31"}, "before the first transaction"),
        ({"observation_end": "2024-01-28", "as_of": "2024-01-20"}, "disagree"),
        ({"calibration_end": "2024-01-28", "observation_end": "2024-01-28"}, "calibration_end"),
        ({"calibration_end": "2023-12-01"}, "calibration_end"),
        ({"calibration_end": "not a date"}, "calibration_end"),
    ],
)
def test_parameter_errors(kwargs, message):
    with pytest.raises(segkit.ParameterError, match=message):
        segkit.btyd_summary(HAND, **kwargs)


# ------------------------------------------------------------------------------------------------
# CDNOW: Fader & Hardie's own BG/NBD input, and lifetimes itself
# ------------------------------------------------------------------------------------------------


def half_up(value: float) -> float:
    # The published file rounds halves up (109.625 -> 109.63); Python's round() would not.
    return float(Decimal(repr(round(value, 9))).quantize(Decimal("0.01"), ROUND_HALF_UP))


@pytest.mark.realdata
def test_cdnow_reproduces_fader_hardie_summary(cdnow_sample_tx, cdnow_summary_path):
    tx = cdnow_sample_tx
    assert tx.quality.rows_kept == 6919 and tx.quality.n_customers == 2357
    ref = pd.read_csv(cdnow_summary_path, dtype={"ID": str}).set_index("ID")
    # Daily periods in weeks; the calibration ends on 1997-09-30 (inclusive).
    split = segkit.btyd_summary(tx, period="day", time_scale=7, calibration_end="1997-09-30")
    assert len(split) == len(ref) == 2357
    got = split.reindex(ref.index)
    assert got.notna().all().all()
    assert (got["frequency_cal"] == ref["x"]).all()
    assert (got["recency_cal"].round(2) == ref["t_x"]).all()
    assert (got["T_cal"].round(2) == ref["T"]).all()
    assert (got["monetary_value_cal"].map(half_up) == ref["zbar"]).all()
    assert (got.loc[ref["x"] == 0, "monetary_value_cal"] == 0).all()
    assert split.loc["1", "T_cal"] == pytest.approx(272 / 7)  # 1997-01-01 .. 1997-09-30
    assert (split["duration_holdout"] == 39.0).all()  # 1997-09-30 .. 1998-06-30 = 273 days
    # The same numbers from the plain summary observed to the calibration end.
    plain = segkit.btyd_summary(tx, time_scale=7, observation_end="1997-09-30")
    np.testing.assert_array_equal(plain["frequency"].to_numpy(), split["frequency_cal"].to_numpy())
    np.testing.assert_array_equal(plain["T"].to_numpy(), split["T_cal"].to_numpy())


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("period", "freq", "scale", "end"),
    [
        ("day", "D", 7, "1997-09-30"),
        ("day", "D", 1, None),
        ("week", "W", 1, None),
        ("week", "W", 2, "1997-09-28"),
    ],
)
def test_equals_lifetimes_summary(cdnow_sample_tx, period, freq, scale, end):
    utils = pytest.importorskip("lifetimes.utils")
    tx = cdnow_sample_tx
    ours = segkit.btyd_summary(tx, period=period, time_scale=scale, observation_end=end)
    theirs = utils.summary_data_from_transaction_data(
        tx.data,
        "customer_id",
        "order_date",
        monetary_value_col="amount",
        observation_period_end=end,
        freq=freq,
        freq_multiplier=scale,
    )
    theirs.index = theirs.index.astype(str)
    theirs = theirs.reindex(ours.index)
    assert theirs.notna().all().all()
    np.testing.assert_array_equal(ours["frequency"].to_numpy(), theirs["frequency"].to_numpy())
    np.testing.assert_allclose(
        ours[["recency", "T", "monetary_value"]],
        theirs[["recency", "T", "monetary_value"]],
        rtol=1e-12,
        atol=1e-9,
    )


@pytest.mark.realdata
def test_calibration_split_equals_lifetimes(cdnow_sample_tx):
    utils = pytest.importorskip("lifetimes.utils")
    tx = cdnow_sample_tx
    ours = segkit.btyd_summary(tx, time_scale=7, calibration_end="1997-09-30")
    theirs = utils.calibration_and_holdout_data(
        tx.data,
        "customer_id",
        "order_date",
        calibration_period_end="1997-09-30",
        monetary_value_col="amount",
        freq="D",
        freq_multiplier=7,
    )
    theirs.index = theirs.index.astype(str)
    theirs = theirs.reindex(ours.index)
    # monetary_value_holdout differs on purpose (per period here, per raw row in lifetimes).
    same = [
        "frequency_cal",
        "recency_cal",
        "T_cal",
        "monetary_value_cal",
        "frequency_holdout",
        "duration_holdout",
    ]
    np.testing.assert_allclose(ours[same], theirs[same], rtol=1e-12, atol=1e-9)


# ------------------------------------------------------------------------------------------------
# The engine query
# ------------------------------------------------------------------------------------------------


def _groupings(expr) -> int:
    import ibis.expr.operations as ops

    return len(expr.op().find(ops.Aggregate))


@pytest.mark.parametrize(("period", "groupings"), [("day", 2), ("week", 3)])
@pytest.mark.parametrize("calibration_end", [None, "2024-01-10"])
def test_daily_periods_are_the_purchase_days_not_grouped_again(period, groupings, calibration_end):
    from segkit.clv._summary import _summary_query

    # Lines -> customer days -> customers; weekly periods add one grouping of the days into weeks.
    snap = segkit.snapshot(HAND, as_of="2024-01-29")
    end = pd.Timestamp(calibration_end or "2024-01-28")
    assert _groupings(_summary_query(snap, period, end, split=calibration_end is not None)) == groupings


def test_summary_without_a_customer_dictionary_equals_the_one_through_it():
    from segkit.engine._table import _state

    ids = ["b", "a", "B", "10", "9", "é", "a b", "Z"]
    rows = frame([(c, f"2024-01-{d:02d}", 5.0 + d) for i, c in enumerate(ids) for d in (1 + i, 3 + 2 * i)])
    tx = segkit.read_transactions(rows)
    direct = segkit.btyd_summary(tx, observation_end="2024-01-28")
    # One summary on fresh transactions does not build the dictionary of every customer id ...
    assert "customer_keys" not in _state(tx).caches
    segkit.customer_summary(tx)
    assert "customer_keys" in _state(tx).caches
    # ... and gives the same ids, order, dtypes and numbers as the summary through it.
    pd.testing.assert_frame_equal(direct, segkit.btyd_summary(tx, observation_end="2024-01-28"))
    assert direct.index.tolist() == sorted(direct.index.tolist())
    split = dict(calibration_end="2024-01-10", observation_end="2024-01-28")
    fresh = segkit.read_transactions(rows)
    pd.testing.assert_frame_equal(segkit.btyd_summary(fresh, **split), segkit.btyd_summary(tx, **split))
