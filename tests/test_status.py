"""Customer status: thresholds, every status and its boundaries, transitions through reactivation, client base."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segkit
from segkit.lifecycle._status import customer_groups


def _tx(rows: list[tuple[str, str]], amount: float = 10.0) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": [r[0] for r in rows], "order_date": [r[1] for r in rows], "amount": amount}
    )


# ---------------------------------------------------------------------------------------------------
# inactivity threshold
# ---------------------------------------------------------------------------------------------------


def test_derived_threshold_is_the_90th_percentile_of_gaps():
    # Gaps of a: 10, 20, 30, ..., 100 days (10 gaps); b: one purchase, no gap; c: two orders on one day, no gap.
    days = np.cumsum([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    rows = [("a", str((pd.Timestamp("2022-01-01") + pd.Timedelta(days=int(d))).date())) for d in days]
    rows += [("b", "2022-03-01"), ("c", "2022-05-01"), ("c", "2022-05-01")]
    df = _tx(rows)
    expected = int(np.ceil(np.quantile(np.arange(10, 101, 10), 0.9)))
    assert expected == 91
    assert segkit.inactivity_threshold(df) == expected
    assert segkit.inactivity_threshold(df, quantile=0.5) == 55
    st = segkit.customer_status(df)
    assert st.attrs["inactivity_days"] == 91
    assert st.attrs["threshold_source"].startswith("derived: 90th percentile")
    assert "91 days" in st.attrs["threshold_source"]


def test_derived_threshold_only_uses_data_before_as_of():
    df = _tx([("a", "2024-01-01"), ("a", "2024-01-11"), ("a", "2024-06-01")])
    assert segkit.inactivity_threshold(df, as_of="2024-02-01") == 10
    assert segkit.inactivity_threshold(df) > 100


def test_threshold_needs_repeat_customers():
    df = _tx([("a", "2024-01-01"), ("b", "2024-02-01")])
    with pytest.raises(segkit.DataContractError, match="inactivity_days=") as err:
        segkit.customer_status(df)
    assert "customer_id" in str(err.value) and "2 rows" in str(err.value)
    # An explicit threshold needs no gaps.
    assert segkit.customer_status(df, inactivity_days=30)["status"].tolist() == ["churned", "new"]


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, "90"])
def test_bad_thresholds(bad):
    df = _tx([("a", "2024-01-01"), ("a", "2024-02-01")])
    with pytest.raises(segkit.ParameterError, match="inactivity_days"):
        segkit.customer_status(df, inactivity_days=bad)
    with pytest.raises(segkit.ParameterError, match="at_risk_days"):
        segkit.customer_status(df, inactivity_days=30, at_risk_days=bad)


def test_at_risk_threshold_must_not_exceed_inactivity():
    df = _tx([("a", "2024-01-01"), ("a", "2024-02-01")])
    with pytest.raises(segkit.ParameterError, match="must not exceed the inactivity threshold"):
        segkit.customer_status(df, inactivity_days=30, at_risk_days=31)
    with pytest.raises(segkit.ParameterError, match="quantile"):
        segkit.inactivity_threshold(df, quantile=1.0)


# ---------------------------------------------------------------------------------------------------
# statuses
# ---------------------------------------------------------------------------------------------------

AS_OF = pd.Timestamp("2024-07-01")


def _day(recency: int) -> str:
    """The purchase day that has ``recency`` days to AS_OF."""
    return str((AS_OF - pd.Timedelta(days=recency)).date())


def test_boundaries_of_every_status():
    # T = 60, R = 30. Recency exactly T is still current (at risk); T + 1 is churned. Recency exactly R is
    # still recent; first purchase exactly R days ago is still new.
    rows = [
        ("churned_61", _day(200)), ("churned_61", _day(61)),
        ("at_risk_60", _day(200)), ("at_risk_60", _day(150)), ("at_risk_60", _day(100)), ("at_risk_60", _day(60)),
        ("at_risk_31", _day(80)), ("at_risk_31", _day(31)),
        ("active_30", _day(80)), ("active_30", _day(30)),
        ("new_30", _day(30)),
        ("new_31_is_risk", _day(31)),
        ("react_30", _day(200)), ("react_30", _day(30)),  # gap 170 > 60, comeback 30 days ago
        ("react_31_is_active", _day(200)), ("react_31_is_active", _day(31)), ("react_31_is_active", _day(5)),
        ("gap_60_is_active", _day(70)), ("gap_60_is_active", _day(10)),  # a gap of exactly T is no lapse
    ]  # fmt: skip
    st = segkit.customer_status(_tx(rows), as_of=AS_OF, inactivity_days=60, at_risk_days=30)
    expected = {
        "churned_61": "churned",
        "at_risk_60": "at_risk",
        "at_risk_31": "at_risk",
        "active_30": "active",
        "new_30": "new",
        "new_31_is_risk": "at_risk",
        "react_30": "reactivated",
        "react_31_is_active": "active",
        "gap_60_is_active": "active",
    }
    assert st["status"].astype(str).to_dict() == expected
    assert st.loc["react_30", "n_lapses"] == 1 and st.loc["gap_60_is_active", "n_lapses"] == 0
    assert st.loc["react_30", "last_comeback"] == pd.Timestamp(_day(30))
    assert pd.isna(st.loc["active_30", "last_comeback"])
    assert st.loc["churned_61", "base"] == "lapsed" and st.loc["at_risk_60", "base"] == "current"
    assert list(st["status"].cat.categories) == list(segkit.STATUSES)
    assert st.attrs["at_risk_days"] == 30 and st.attrs["threshold_source"] == "given: 60 days"


def test_status_transitions_of_one_customer_over_time():
    # One customer: buys in January, goes quiet, lapses, comes back in August, keeps buying.
    rows = [("x", "2024-01-10"), ("x", "2024-01-25"), ("x", "2024-08-05"), ("x", "2024-09-01")]
    df = _tx(rows + [("other", "2024-01-01"), ("other", "2024-12-30")])
    timeline = {
        "2024-01-20": "new",
        "2024-03-01": "active",  # first purchase 51 days ago (> 45), last one 36 days ago
        "2024-03-20": "at_risk",  # 55 days of silence
        "2024-04-25": "churned",  # 91 days > 90
        "2024-08-10": "reactivated",  # came back on 5 August after 193 days
        "2024-10-01": "active",  # comeback more than 45 days ago, bought 30 days ago
        "2024-12-01": "churned",  # 91 days after 1 September
    }
    seen = {
        date: str(segkit.customer_status(df, as_of=date, inactivity_days=90).loc["x", "status"])
        for date in timeline
    }
    assert seen == timeline


def test_status_transition_matrix_covers_reactivation():
    rows = [
        ("stay", "2024-03-31"), ("stay", "2024-05-20"), ("stay", "2024-06-20"),
        ("back", "2024-01-05"), ("back", "2024-06-25"),
        ("lost", "2024-04-20"),
        ("gone", "2024-01-10"),
        ("fresh", "2024-06-15"),
    ]  # fmt: skip
    m = segkit.status_transitions(_tx(rows), previous="2024-05-01", as_of="2024-07-01", inactivity_days=60)
    assert int(m.to_numpy().sum()) == 5
    assert m.loc["churned", "reactivated"] == 1  # back
    assert m.loc["churned", "churned"] == 1  # gone
    assert m.loc["new", "churned"] == 1  # lost: new on 1 May, 72 days of silence by July
    assert m.loc["at_risk", "active"] == 1  # stay: 31 days of silence on 1 May, no gap over 60 days
    assert m.loc["not_yet_customer", "new"] == 1  # fresh
    assert list(m.columns) == list(segkit.STATUSES)
    with pytest.raises(segkit.ParameterError, match="previous must be before"):
        segkit.status_transitions(_tx(rows), previous="2024-07-01", as_of="2024-07-01", inactivity_days=60)


def test_future_transactions_do_not_change_status():
    rows = [("a", "2024-01-05"), ("a", "2024-03-01"), ("b", "2024-05-01")]
    before = segkit.customer_status(_tx(rows), as_of="2024-06-01", inactivity_days=60)
    later = _tx(rows + [("a", "2024-06-01"), ("c", "2024-08-01"), ("b", "2024-09-01")])
    after = segkit.customer_status(later, as_of="2024-06-01", inactivity_days=60)
    pd.testing.assert_frame_equal(before, after)


# ---------------------------------------------------------------------------------------------------
# client base
# ---------------------------------------------------------------------------------------------------


def test_client_base_splits_current_and_lapsed():
    rows = [
        ("n", "2024-06-20"),
        ("a1", "2024-04-01"), ("a1", "2024-06-10"),
        ("a2", "2024-04-01"), ("a2", "2024-06-01"),
        ("r", "2024-05-10"),
        ("c1", "2024-01-01"),
        ("c2", "2023-12-01"),
    ]  # fmt: skip
    df = _tx(rows)
    df["amount"] = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0]
    base = segkit.client_base(df, as_of="2024-07-01", inactivity_days=90)
    assert base.loc[("current", "new"), "customers"] == 1
    assert base.loc[("current", "active"), "customers"] == 2
    assert base.loc[("current", "at_risk"), "customers"] == 1
    assert base.loc[("current", "total"), "customers"] == 4
    assert base.loc[("lapsed", "churned"), "customers"] == 2
    assert base.loc[("all", "total"), "customers"] == 6
    assert base.loc[("current", "active"), "revenue"] == 20 + 30 + 40 + 50
    assert base.loc[("lapsed", "total"), "revenue"] == 150
    assert base.loc[("current", "active"), "share_of_base"] == pytest.approx(0.5)
    assert base.loc[("current", "active"), "share_of_all"] == pytest.approx(2 / 6)
    assert base.loc[("lapsed", "churned"), "revenue_share"] == pytest.approx(150 / 360)
    assert base.loc[("current", "active"), "revenue_per_customer"] == 70
    assert base.loc[("lapsed", "churned"), "median_recency_days"] == (182 + 213) / 2
    assert base.loc[("current", "reactivated"), "customers"] == 0
    assert np.isnan(base.loc[("current", "reactivated"), "revenue_per_customer"])
    assert base.attrs["inactivity_days"] == 90


# ---------------------------------------------------------------------------------------------------
# customer groups for by=
# ---------------------------------------------------------------------------------------------------


def _channel_tx() -> segkit.Transactions:
    df = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "c"],
            "order_id": ["1", "2", "3", "4", "5"],
            "order_date": ["2024-01-05", "2024-02-05", "2024-05-05", "2024-04-01", "2024-04-02"],
            "amount": 10.0,
            "channel": ["store", "online", "online", "phone", "store"],
        }
    )
    return segkit.read_transactions(df)


def test_groups_by_cohort_channel_and_mapping():
    tx = _channel_tx()
    as_of = pd.Timestamp("2024-06-01")
    labels, missing = customer_groups(tx, "cohort", as_of=as_of, period="quarter")
    assert labels.to_dict() == {"a": "2024-Q1", "b": "2024-Q2", "c": "2024-Q2"} and missing == 0
    labels, _ = customer_groups(tx, "cohort", as_of=as_of, period="month")
    assert labels["a"] == "2024-01"
    labels, _ = customer_groups(tx, "channel", as_of=as_of)
    assert labels.to_dict() == {"a": "online", "b": "phone", "c": "store"}
    labels, _ = customer_groups(tx, "channel", as_of=pd.Timestamp("2024-03-01"))
    assert labels.to_dict() == {"a": "online"}  # tie store/online on 1 March: alphabetical
    labels, missing = customer_groups(tx, {"a": "vip", "b": "mass", "zz": "x"}, as_of=as_of)
    assert labels.to_dict() == {"a": "vip", "b": "mass"} and missing == 1


def test_group_errors():
    tx = _channel_tx()
    as_of = pd.Timestamp("2024-06-01")
    with pytest.raises(segkit.DataContractError, match="none of the 3 customers"):
        customer_groups(tx, {"x": "vip"}, as_of=as_of)
    with pytest.raises(segkit.ParameterError, match="more than once"):
        customer_groups(tx, pd.Series(["u", "v"], index=["a", "a"]), as_of=as_of)
    with pytest.raises(segkit.ParameterError, match="by must be one of"):
        customer_groups(tx, "region", as_of=as_of)
    with pytest.raises(segkit.ParameterError, match="no 'category' column"):
        customer_groups(tx, "category", as_of=as_of)
    with pytest.raises(segkit.ParameterError, match="mapping/Series"):
        customer_groups(tx, 42, as_of=as_of)
