"""Time to churn and Kaplan-Meier curves: events, censoring at the inactivity window, medians, at-risk counts."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import segkit

AS_OF = "2024-07-01"
ROWS = [
    ("p1", "2024-01-01"),  # one purchase: churns 31 days later
    ("p2", "2024-01-01"), ("p2", "2024-01-21"), ("p2", "2024-06-01"),  # lapses, comes back: first life ends
    ("p3", "2024-02-01"), ("p3", "2024-02-20"), ("p3", "2024-03-10"),  # silent since 10 March
    ("p4", "2024-06-10"),  # inside the window: censored
    ("p5", "2024-05-05"), ("p5", "2024-06-01"), ("p5", "2024-06-30"),  # bought yesterday: censored
    ("p6", "2024-06-01"),  # exactly T = 30 days of silence: still inside the window, censored
    ("p7", "2024-05-31"),  # T + 1 = 31 days: churned on the as-of date itself
]  # fmt: skip


def _tx(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": [r[0] for r in rows], "order_date": [r[1] for r in rows], "amount": 10.0}
    )


def test_durations_events_and_censoring_by_hand():
    d = segkit.churn_durations(_tx(), inactivity_days=30, as_of=AS_OF)
    assert d["churned"].to_dict() == {
        "p1": True, "p2": True, "p3": True, "p4": False, "p5": False, "p6": False, "p7": True,
    }  # fmt: skip
    assert d["duration_days"].to_dict() == {
        "p1": 31,
        "p2": 51,
        "p3": 69,
        "p4": 21,
        "p5": 57,
        "p6": 30,
        "p7": 31,
    }
    assert d.loc["p2", "last_active"] == pd.Timestamp("2024-01-21")
    assert d.loc["p3", "churn_date"] == pd.Timestamp("2024-04-10")
    assert d.loc["p7", "churn_date"] == pd.Timestamp(AS_OF)
    assert d.loc[["p4", "p5", "p6"], "churn_date"].isna().all()
    assert d.attrs["inactivity_days"] == 30


def test_censored_customers_are_not_churned_whatever_happens_later():
    # Whether p4/p5/p6 come back after the as-of date or not, they stay censored at the same duration.
    later = _tx(ROWS + [("p4", "2024-12-01"), ("p6", "2024-07-02"), ("new", "2024-08-01")])
    before = segkit.churn_durations(_tx(), inactivity_days=30, as_of=AS_OF)
    after = segkit.churn_durations(later, inactivity_days=30, as_of=AS_OF)
    pd.testing.assert_frame_equal(before, after)


def test_kaplan_meier_by_hand():
    res = segkit.survival_curves(_tx(), inactivity_days=30, as_of=AS_OF, min_customers=1, times=[0, 30, 60])
    curve = res.curves_.set_index("days")["survival"]
    # Times: 21 (censored), 30 (censored), 31 (2 churn of 5 at risk), 51 (1 of 3), 57 (censored), 69 (1 of 1).
    assert curve.loc[21.0] == 1.0 and curve.loc[30.0] == 1.0
    assert curve.loc[31.0] == pytest.approx(3 / 5)
    assert curve.loc[51.0] == pytest.approx(3 / 5 * 2 / 3)
    assert curve.loc[69.0] == 0.0
    row = res.summary_.loc["all"]
    assert (row["customers"], row["churned"], row["censored"]) == (7, 4, 3)
    assert row["median_days_to_churn"] == 51 and row["median_active_days"] == 20
    assert res.at_risk_.loc["all"].tolist() == [7, 6, 1]
    assert (
        (res.curves_["ci_lower"] <= res.curves_["survival"])
        & (res.curves_["survival"] <= res.curves_["ci_upper"])
    ).all()
    assert set(res.fitters_) == {"all"}


def test_counting_censored_as_churned_would_be_wrong():
    # Treating the three customers still inside the window as churned at their observed duration (21, 30
    # and 57 days) would say 4 of 7 had churned by day 31; with censoring, 2 of the 5 still at risk did.
    res = segkit.survival_curves(_tx(), inactivity_days=30, as_of=AS_OF, min_customers=1)
    d = res.durations_["duration_days"]
    naive_share_churned_by_31 = (d <= 31).mean()
    km_share_churned_by_31 = 1 - res.curves_.set_index("days")["survival"].loc[31.0]
    assert naive_share_churned_by_31 == pytest.approx(4 / 7)
    assert km_share_churned_by_31 == pytest.approx(0.4)


def test_groups_and_small_groups_dropped():
    seg = {"p1": "x", "p2": "x", "p3": "x", "p4": "y", "p5": "y", "p6": "y", "p7": "z"}
    res = segkit.survival_curves(_tx(), by=seg, inactivity_days=30, as_of=AS_OF, min_customers=2)
    assert list(res.summary_.index) == ["x", "y"]
    assert res.summary_.attrs["dropped_groups"] == ["z"]
    assert res.summary_.loc["x", "median_days_to_churn"] == 51
    assert np.isnan(res.summary_.loc["y", "median_days_to_churn"])  # nobody churned: no median
    assert res.by == "segment"
    cohorts = segkit.survival_curves(
        _tx(), by="cohort", period="month", inactivity_days=30, as_of=AS_OF, min_customers=1
    )
    assert list(cohorts.summary_.index) == ["2024-01", "2024-02", "2024-05", "2024-06"]
    with pytest.raises(segkit.ParameterError, match="fewer than min_customers"):
        segkit.survival_curves(_tx(), inactivity_days=30, as_of=AS_OF)
    with pytest.raises(segkit.ParameterError, match="period"):
        segkit.survival_curves(_tx(), by="cohort", period="week", inactivity_days=30, as_of=AS_OF)


def test_kaplan_meier_matches_an_independent_product_limit_on_the_sample():
    tx = segkit.load_report_data()
    res = segkit.survival_curves(tx, by="channel")
    for name, part in res.durations_.groupby("group"):
        t = part["duration_days"].to_numpy()
        e = part["churned"].to_numpy()
        surv, s = {}, 1.0
        for day in np.unique(t[e]):
            s *= 1 - (e & (t == day)).sum() / (t >= day).sum()
            surv[float(day)] = s
        curve = res.curves_.loc[res.curves_["group"] == name].set_index("days")["survival"]
        np.testing.assert_allclose(curve.loc[list(surv)].to_numpy(), list(surv.values()))
        assert res.at_risk_.loc[name, 0] == len(part)
    assert res.summary_["customers"].sum() == tx.quality.n_customers


def test_survival_plot():
    res = segkit.survival_curves(_tx(), inactivity_days=30, as_of=AS_OF, min_customers=1)
    ax = segkit.plot_survival(res)
    assert ax.get_ylabel() == "share not yet churned"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["all (n=7)"]
    with pytest.raises(segkit.ParameterError, match="survival_curves"):
        segkit.plot_survival(res.curves_)
    plt.close("all")
