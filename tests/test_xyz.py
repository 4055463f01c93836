"""XYZ analysis: window, zero periods, counting start, std convention, thresholds and flags."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import segkit


def monthly(customer: str, amounts: list[float], first: str = "2024-01-01", day: int = 10) -> pd.DataFrame:
    """One purchase per month (skipping zeros) starting in the month of ``first``."""
    months = pd.date_range(first, periods=len(amounts), freq="MS") + pd.Timedelta(days=day - 1)
    rows = [(customer, d, a) for d, a in zip(months, amounts, strict=True) if a != 0]
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])


def frame(*parts: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(parts, ignore_index=True)


def cv_xyz(data: pd.DataFrame, **kwargs) -> segkit.XYZResult:
    """The coefficient-of-variation method with the demand-planning bands, unless told otherwise."""
    kwargs.setdefault("method", "cv")
    kwargs.setdefault("thresholds", segkit.DEMAND_PLANNING_THRESHOLDS)
    return segkit.xyz(data, **kwargs)


def test_hand_computed_cv_zero_periods_and_population_std() -> None:
    df = frame(
        monthly("steady", [100, 100, 100, 100]),
        monthly("gappy", [100, 0, 100, 0]),  # zeros count: mean 50, std 50 -> CV 1
        monthly("wobbly", [90, 110, 90, 110]),  # std 10 -> CV exactly 0.10 -> X (boundary inclusive)
        monthly("wavy", [75, 125, 75, 125]),  # CV exactly 0.25 -> Y
        monthly("mid", [80, 120, 80, 120]),  # CV 0.2 -> Y
    )
    r = cv_xyz(df, n_periods=4, as_of="2024-05-01")
    t = r.table_
    assert t.loc["gappy", ["mean", "std", "cv"]].tolist() == pytest.approx([50.0, 50.0, 1.0])
    assert t["cv"].to_dict() == pytest.approx(
        {"gappy": 1.0, "mid": 0.2, "steady": 0.0, "wavy": 0.25, "wobbly": 0.1}
    )
    assert t["xyz_class"].to_dict() == {"gappy": "Z", "mid": "Y", "steady": "X", "wavy": "Y", "wobbly": "X"}
    assert t["n_periods"].tolist() == [4] * 5
    assert r.window_ == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-05-01"))


def test_sample_std_option() -> None:
    df = monthly("wobbly", [90, 110, 90, 110])
    t = cv_xyz(df, n_periods=4, as_of="2024-05-01", ddof=1).table_
    assert t.loc["wobbly", "std"] == pytest.approx(math.sqrt(400 / 3))
    assert t.loc["wobbly", "xyz_class"] == "Y"  # 11.5 % with the sample std


def test_single_purchase_customer() -> None:
    # One purchase at the start of a 12-month window: 1 non-zero of 12 -> CV = sqrt(11) (population std).
    df = frame(
        monthly("once", [500.0], first="2023-01-01"), monthly("other", [10.0] * 12, first="2023-01-01")
    )
    t = cv_xyz(df, as_of="2024-01-01").table_
    assert t.loc["once", "cv"] == pytest.approx(math.sqrt(11))
    assert t.loc["once", "xyz_class"] == "Z"
    assert t.loc["once", "n_periods"] == 12


def test_new_customer_counts_from_first_purchase_or_is_flagged() -> None:
    old = monthly("old", [10.0] * 12, first="2023-01-01")
    joined = monthly("joined", [50, 50, 50, 50, 50, 50, 50], first="2023-06-01")  # June..December: 7 months
    recent = monthly("recent", [50, 50], first="2023-11-01")
    df = frame(old, joined, recent)
    r = cv_xyz(df, as_of="2024-01-01")
    t = r.table_
    assert t.loc["joined", ["n_periods", "cv", "xyz_class"]].tolist() == [7, 0.0, "X"]
    assert t.loc["joined", "first_period"] == pd.Timestamp("2023-06-01")
    assert t.loc["recent", "n_periods"] == 2
    assert t.loc["recent", "xyz_class"] == "short history"  # not X, although its two months are equal
    assert math.isnan(t.loc["recent", "cv"])
    # The periods before the first purchase are not counted: NaN in the matrix.
    assert r.periods_.loc["joined"].isna().sum() == 5
    assert r.periods_.loc["joined", pd.Timestamp("2023-06-01")] == 50.0
    # Counting from the window start treats the months before the first purchase as zeros.
    w = cv_xyz(df, as_of="2024-01-01", count_from="window").table_
    assert w.loc["joined", "n_periods"] == 12
    assert w.loc["joined", "cv"] == pytest.approx(math.sqrt(5 / 7))  # 7 of 12 months at 50: std/mean
    assert w.loc["recent", "xyz_class"] == "Z"
    assert cv_xyz(df, as_of="2024-01-01", min_periods=2).table_.loc["recent", "xyz_class"] == "X"


def test_no_sales_flag_for_zero_mean() -> None:
    df = frame(
        monthly("steady", [10.0] * 4),
        pd.DataFrame(
            {
                "customer_id": ["gone", "gone"],
                "order_date": pd.to_datetime(["2024-01-05", "2024-02-05"]),
                "amount": [100.0, -100.0],
            }
        ),
    )
    t = cv_xyz(df, n_periods=4, as_of="2024-05-01").table_
    assert t.loc["gone", "mean"] == 0.0
    assert t.loc["gone", "xyz_class"] == "no sales"
    assert math.isnan(t.loc["gone", "cv"])
    # Purchases only: the same customer is a one-off buyer, not "no sales".
    g = cv_xyz(df, n_periods=4, as_of="2024-05-01", measure="gross_revenue").table_
    assert g.loc["gone", "cv"] == pytest.approx(math.sqrt(3))


def test_window_drops_incomplete_period_and_precedes_as_of() -> None:
    df = frame(monthly("a", [10, 20, 30, 40, 50, 60], first="2024-01-01", day=15))
    # as_of mid-June: June is incomplete -> window Jan..May.
    r = cv_xyz(df, n_periods=12, as_of="2024-06-20", min_periods=2)
    assert r.window_ == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-06-01"))
    assert r.table_.loc["a", "mean"] == pytest.approx(30.0)
    assert r.window_label == "5 complete months, 2024-01-01 to 2024-05-31"
    # as_of on the first of a month: the month before is complete.
    r = cv_xyz(df, n_periods=3, as_of="2024-07-01")
    assert r.window_ == (pd.Timestamp("2024-04-01"), pd.Timestamp("2024-07-01"))
    assert r.table_.loc["a", "mean"] == pytest.approx(50.0)
    assert list(r.periods_.columns) == list(pd.date_range("2024-04-01", periods=3, freq="MS"))


def test_orders_measure_and_weeks() -> None:
    df = pd.DataFrame(
        {
            "customer_id": ["a"] * 4,
            "order_date": ["2024-01-01", "2024-01-02", "2024-01-09", "2024-01-16"],
            "amount": [1.0, 1.0, 5.0, 5.0],
            "order_id": ["o1", "o2", "o3", "o4"],
        }
    )
    t = cv_xyz(df, period="week", n_periods=3, as_of="2024-01-22", measure="orders").table_
    # Orders per Monday-week: 2, 1, 1 -> mean 4/3, population std sqrt(2/9).
    assert t.loc["a", "mean"] == pytest.approx(4 / 3)
    assert t.loc["a", "cv"] == pytest.approx(math.sqrt(2 / 9) / (4 / 3))


def test_summary_and_helpers() -> None:
    df = frame(monthly("s", [100] * 4), monthly("g", [100, 0, 100, 0]), monthly("n", [5], first="2024-04-01"))
    r = cv_xyz(df, n_periods=4, as_of="2024-05-01")
    assert r.summary_["n_customers"].to_dict() == {"X": 1, "Y": 0, "Z": 1, "short history": 1, "no sales": 0}
    assert r.summary_["share_customers"].sum() == pytest.approx(1.0)
    assert r.customers("Z").tolist() == ["g"]
    assert r.min_periods == 2
    assert "X=1" in repr(r)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_periods": 1}, "n_periods"),
        ({"n_periods": 4, "min_periods": 5}, "min_periods"),
        ({"min_periods": 0}, "min_periods"),
        ({"thresholds": (0.5, 0.1)}, "thresholds"),
        ({"measure": "profit"}, "measure"),
        ({"period": "fortnight"}, "period"),
        ({"count_from": "signup"}, "count_from"),
        ({"ddof": 2}, "ddof"),
        ({"as_of": "2024-01-20"}, "complete"),
    ],
)
def test_parameter_errors(kwargs: dict, match: str) -> None:
    df = monthly("a", [1.0, 2.0, 3.0])
    with pytest.raises(segkit.ParameterError, match=match):
        cv_xyz(df, **kwargs)
    if "thresholds" in kwargs:  # the frequency bands run the other way: X from, Y from
        with pytest.raises(segkit.ParameterError, match="X band > Y band"):
            segkit.xyz(df, thresholds=(0.15, 0.33))


def test_wide_thresholds_for_retail() -> None:
    df = frame(monthly("g", [100, 0, 100, 0]), monthly("m", [80, 120, 80, 120]))
    t = cv_xyz(df, n_periods=4, as_of="2024-05-01", thresholds=(0.5, 1.0)).table_
    assert t["xyz_class"].to_dict() == {"g": "Y", "m": "X"}


# --------------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------------

rows = st.lists(
    st.tuples(
        st.sampled_from("abcde"), st.integers(0, 200), st.sampled_from([5.0, 10.0, 20.0, 33.33, 100.0])
    ),
    min_size=1,
    max_size=30,
)


def _frame(data: list[tuple[str, int, float]], scale: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in data],
            "order_date": [pd.Timestamp("2024-01-01") + pd.Timedelta(days=r[1]) for r in data],
            "amount": [r[2] * scale for r in data],
        }
    )


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows, st.randoms(use_true_random=False))
def test_row_order_and_scale_do_not_matter(data: list[tuple[str, int, float]], rnd) -> None:
    df = _frame(data)
    kwargs = {"n_periods": 6, "as_of": "2024-08-01", "min_periods": 2}
    try:
        expected = cv_xyz(df, **kwargs)
    except segkit.ParameterError:
        return  # nothing bought in the window
    shuffled = df.sample(frac=1.0, random_state=rnd.randint(0, 10**6))
    pd.testing.assert_frame_equal(cv_xyz(shuffled, **kwargs).table_, expected.table_)
    # The CV has no unit: doubling every amount changes no CV and no class.
    doubled = cv_xyz(_frame(data, 2.0), **kwargs).table_
    np.testing.assert_allclose(doubled["cv"], expected.table_["cv"], rtol=1e-9)
    assert doubled["xyz_class"].tolist() == expected.table_["xyz_class"].tolist()
    # Never X by accident: every X has a finite CV within the threshold and enough periods.
    x = expected.table_.loc[expected.table_["xyz_class"] == "X"]
    assert (x["cv"] <= 0.1 + 1e-12).all()
    assert (x["n_periods"] >= 2).all()


def test_steady_buyer_has_exactly_zero_spread() -> None:
    # 33.33 has no exact binary form: float deviations from a float mean leave a tiny spread, cents do not.
    df = frame(monthly("steady", [33.33] * 12), monthly("other", [10.0, 0, 20.0] * 4))
    t = cv_xyz(df, n_periods=12, as_of="2025-01-01").table_
    assert t.loc["steady", "std"] == 0.0
    assert t.loc["steady", "cv"] == 0.0
    assert t.loc["steady", "mean"] == pytest.approx(33.33, abs=1e-12)


def test_large_base_is_bit_identical_across_runs_and_row_orders() -> None:
    # Enough rows for the engine to add them on several threads: float sums would differ in the last bits
    # from run to run; the statistics must not, and they must equal a direct computation.
    rng = np.random.default_rng(7)
    n = 300_000
    df = pd.DataFrame(
        {
            "customer_id": np.char.add("c", rng.integers(0, 20_000, n).astype(str)),
            "order_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
            "amount": np.round(rng.gamma(2.0, 40.0, n), 2) + 0.01,
        }
    )
    kwargs = {"n_periods": 12, "as_of": "2025-01-01", "count_from": "window"}
    first = cv_xyz(df, **kwargs).table_
    again = cv_xyz(df.sample(frac=1.0, random_state=3), **kwargs).table_
    pd.testing.assert_frame_equal(again, first, check_exact=True)
    months = df.assign(month=df["order_date"].dt.to_period("M"))
    grid = months.groupby(["customer_id", "month"])["amount"].sum().round(2).unstack(fill_value=0.0)
    assert grid.shape[1] == 12
    np.testing.assert_allclose(first["mean"], grid.mean(axis=1).reindex(first.index), rtol=1e-12)
    np.testing.assert_allclose(first["std"], grid.std(axis=1, ddof=0).reindex(first.index), rtol=1e-9)
