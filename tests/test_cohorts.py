"""Cohort matrices: every cell of a hand-built example, NaN for unobserved cells, invariants, plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import segkit

NAN = np.nan


@pytest.fixture(scope="module")
def hand() -> segkit.CohortResult:
    """Three monthly cohorts, a return, a return-only customer and an April cut short by the as-of date.

    a: Jan 10 (100), Feb 5 (50), Apr 2 (30)          -> January cohort
    b: Jan 20 (40), Mar 3 (20), return Mar 10 (-5)   -> January cohort
    c: Feb 14 (60), Feb 20 (10), Apr 10 (25)         -> February cohort
    d: Mar 30 (80)                                   -> March cohort
    e: return only, Feb 1 (-10)                      -> no cohort
    """
    df = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "b", "c", "c", "c", "d", "e"],
            "order_date": [
                "2024-01-10", "2024-02-05", "2024-04-02", "2024-01-20", "2024-03-03", "2024-03-10",
                "2024-02-14", "2024-02-20", "2024-04-10", "2024-03-30", "2024-02-01",
            ],
            "amount": [100.0, 50.0, 30.0, 40.0, 20.0, -5.0, 60.0, 10.0, 25.0, 80.0, -10.0],
        }
    )  # fmt: skip
    return segkit.cohorts(df, as_of="2024-04-16")


def _expect(rows: list[list[float]]) -> np.ndarray:
    return np.array(rows, dtype=float)


def test_sizes_and_index(hand):
    assert hand.sizes_.to_dict() == {
        pd.Timestamp("2024-01-01"): 2,
        pd.Timestamp("2024-02-01"): 1,
        pd.Timestamp("2024-03-01"): 1,
    }
    assert list(hand.retention_.columns) == [0, 1, 2, 3]
    assert hand.retention_.index.name == "cohort"
    assert hand.retention_.columns.name == "period_number"


def test_active_and_retention_every_cell(hand):
    np.testing.assert_array_equal(
        hand.active_.to_numpy(), _expect([[2, 1, 1, 1], [1, 0, 1, NAN], [1, 0, NAN, NAN]])
    )
    np.testing.assert_allclose(
        hand.retention_.to_numpy(), _expect([[1, 0.5, 0.5, 0.5], [1, 0, 1, NAN], [1, 0, NAN, NAN]])
    )


def test_unbounded_retention_every_cell(hand):
    # January: a buys in Feb and Apr, b in Mar, so both are "still around" up to period 2; only a in 3.
    np.testing.assert_allclose(
        hand.unbounded_retention_.to_numpy(),
        _expect([[1, 1, 1, 0.5], [1, 1, 1, NAN], [1, 0, NAN, NAN]]),
    )


def test_revenue_matrices_every_cell(hand):
    # b's March return (-5) is netted in March; e's return has no cohort and is not counted.
    np.testing.assert_allclose(
        hand.revenue_.to_numpy(), _expect([[140, 50, 15, 30], [70, 0, 25, NAN], [80, 0, NAN, NAN]])
    )
    np.testing.assert_allclose(
        hand.revenue_relative_.to_numpy(),
        _expect([[1, 50 / 140, 15 / 140, 30 / 140], [1, 0, 25 / 70, NAN], [1, 0, NAN, NAN]]),
    )
    np.testing.assert_allclose(
        hand.ltv_.to_numpy(), _expect([[70, 95, 102.5, 117.5], [70, 70, 95, NAN], [80, 80, NAN, NAN]])
    )


def test_unobserved_cells_are_nan_never_zero(hand):
    for kind in ("active", "retention", "unbounded_retention", "revenue", "revenue_relative", "ltv"):
        m = hand.matrix(kind).to_numpy()
        assert np.isnan(m[1, 3]) and np.isnan(m[2, 2]) and np.isnan(m[2, 3]), kind
        assert np.isfinite(m[0]).all(), kind  # the oldest cohort is observed in every column


def test_mature_marks_the_partial_period(hand):
    np.testing.assert_array_equal(
        hand.mature_.to_numpy(),
        [[True, True, True, False], [True, True, False, False], [True, False, False, False]],
    )


def test_average_curve_weighted_by_size_over_mature_cells(hand):
    avg = hand.average_curve_
    assert list(avg.index) == [0, 1, 2]  # k = 3 has no mature cell at all
    np.testing.assert_allclose(avg["retention"], [1, 1 / 3, 0.5])
    np.testing.assert_allclose(avg["unbounded_retention"], [1, 1, 1])
    np.testing.assert_allclose(avg["ltv"], [72.5, (190 + 70) / 3, 102.5])
    np.testing.assert_allclose(avg["revenue_relative"], [1, 50 / 210, 15 / 140])
    assert avg["cohorts"].tolist() == [3, 2, 1]
    assert avg["customers"].tolist() == [4, 3, 2]


def test_average_curve_is_not_dragged_down_by_young_cohorts():
    # A big old cohort retains 50 %; a young one has only its partial month 1 (0 % so far). An unweighted
    # mean over all cells would say 25 %; only the mature cell counts.
    df = pd.DataFrame(
        {
            "customer_id": ["o1", "o2", "o1", "y1"],
            "order_date": ["2024-01-05", "2024-01-06", "2024-02-10", "2024-02-07"],
            "amount": 10.0,
        }
    )
    res = segkit.cohorts(df, as_of="2024-03-05")
    assert np.isnan(res.retention_.iloc[1, 2])
    assert res.retention_.iloc[1, 1] == 0.0  # partial March observed so far
    assert not res.mature_.iloc[1, 1]
    assert res.average_curve_.loc[1, "retention"] == 0.5


def test_quarter_and_week_periods(hand):
    df = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "order_date": ["2024-01-10", "2024-04-02", "2024-03-20", "2024-04-10"],
            "amount": 10.0,
        }
    )
    q = segkit.cohorts(df, period="quarter", as_of="2024-04-16")
    assert q.sizes_.tolist() == [2, 1]
    np.testing.assert_allclose(q.retention_.to_numpy(), _expect([[1, 0.5], [1, NAN]]))
    w = segkit.cohorts(df, period="week", as_of="2024-04-16")
    assert w.sizes_.sum() == 3
    assert w.retention_.index[0] == pd.Timestamp("2024-01-08")  # the Monday of 10 January


def test_bad_parameters(hand):
    df = pd.DataFrame({"customer_id": ["a"], "order_date": ["2024-01-10"], "amount": [1.0]})
    with pytest.raises(segkit.ParameterError, match="period"):
        segkit.cohorts(df, period="day")
    with pytest.raises(segkit.ParameterError, match="as_of"):
        segkit.cohorts(df, as_of="2023-01-01")
    with pytest.raises(segkit.ParameterError, match="kind"):
        hand.matrix("churn")


_customers = st.sampled_from(["a", "b", "c", "d", "e", "f"])
_days = st.integers(min_value=0, max_value=200)
_amounts = st.floats(min_value=1, max_value=500, allow_nan=False).map(lambda v: round(v, 2))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(_customers, _days, _amounts), min_size=1, max_size=30), tail=st.integers(1, 60)
)
def test_matrix_invariants(rows, tail):
    day0 = pd.Timestamp("2024-01-01")
    df = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "order_date": [day0 + pd.Timedelta(days=r[1], hours=10) for r in rows],
            "amount": [r[2] for r in rows],
        }
    )
    as_of = day0 + pd.Timedelta(days=max(r[1] for r in rows) + tail)
    res = segkit.cohorts(df, as_of=as_of)
    ret, unb = res.retention_.to_numpy(), res.unbounded_retention_.to_numpy()
    assert int(res.sizes_.sum()) == df["customer_id"].nunique()
    assert (ret[:, 0] == 1).all()
    observed = ~np.isnan(ret)
    assert (ret[observed] <= unb[observed] + 1e-12).all() and (unb[observed] <= 1).all()
    # Unbounded retention never increases with k; NaN exactly after each cohort's last observed period.
    assert (np.diff(np.where(observed, unb, 0), axis=1) <= 1e-12).all()
    n_periods = len(
        pd.date_range(
            df["order_date"].min().normalize().replace(day=1), as_of - pd.Timedelta(days=1), freq="MS"
        )
    )
    offset = (
        (res.retention_.index.year - 2024) * 12 + res.retention_.index.month - df["order_date"].min().month
    )
    expected_observed = np.arange(ret.shape[1])[None, :] < (n_periods - offset.to_numpy())[:, None]
    np.testing.assert_array_equal(observed, expected_observed)
    # Without returns: all revenue is in some observed cell, and the LTV curve never falls.
    revenue = np.nansum(res.revenue_.to_numpy())
    assert revenue == pytest.approx(df["amount"].sum(), abs=0.01 * len(df))
    ltv = res.ltv_.to_numpy()
    assert (np.diff(ltv, axis=1)[observed[:, 1:]] >= -1e-9).all()


def test_retention_heatmap_hatches_partial_cells(hand):
    ax = segkit.plot_retention_heatmap(hand)
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 3  # the April cells of the three cohorts
    assert "hatched" in ax.get_title()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2024-01", "2024-02", "2024-03"]
    plt.close("all")


def test_retention_curves_and_ltv_plot(hand):
    ax = segkit.plot_retention_curves(hand, kind="ltv")
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"2024-01", "2024-02", "2024-03", "average"}
    np.testing.assert_allclose(lines["2024-01"].get_ydata(), [70, 95, 102.5, 117.5])
    np.testing.assert_allclose(lines["average"].get_ydata(), hand.average_curve_["ltv"])
    with pytest.raises(segkit.ParameterError, match="kind"):
        segkit.plot_retention_curves(hand, kind="active")
    plt.close("all")
