"""The methodology's rules: frequency XYZ, ABC defaults and group D, RFM ties and absolute recency,
static segments, the analysis window, size checks, the A portrait and the B2B sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import segkit
from segkit.datasets import B2B_FILES, B2B_SAMPLE, make_b2b_transactions, make_transactions

DATA = Path(__file__).parents[1] / "data"


def buyer(customer: str, months: list[int], amount: float = 100.0, year: int = 2024) -> list[tuple]:
    return [(customer, f"{year}-{m:02d}-10", amount) for m in months]


def frame(rows: list[tuple], **extra: list) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"]).assign(**extra)


# --------------------------------------------------------------------------------------------------
# XYZ by regularity
# --------------------------------------------------------------------------------------------------


def test_frequency_xyz_on_hand_built_buyers() -> None:
    rows = (
        buyer("monthly", list(range(1, 13)))
        + buyer("quarterly", [2, 5, 8, 11])
        + buyer("twice", [1, 7])
        + buyer("once", [3])
        + buyer("lumpy_once", [6], 5000.0)
    )
    r = segkit.xyz(frame(rows), as_of="2025-01-01")
    t = r.table_
    assert t.loc["monthly", ["active_periods", "n_periods"]].tolist() == [12, 12]
    assert t.loc["quarterly", "regularity"] == pytest.approx(4 / 11)
    assert t.loc["twice", "regularity"] == pytest.approx(2 / 12)
    assert t["xyz_class"].to_dict() == {
        "lumpy_once": "Z",
        "monthly": "X",
        "once": "Z",
        "quarterly": "X",
        "twice": "Y",
    }
    assert r.method == "frequency" and r.thresholds == segkit.FREQUENCY_BANDS
    # The old default (CV with the demand-planning bands) calls all but the monthly buyer Z.
    cv = segkit.xyz(
        frame(rows), method="cv", thresholds=segkit.DEMAND_PLANNING_THRESHOLDS, as_of="2025-01-01"
    )
    assert (cv.table_["xyz_class"] == "Z").sum() == 4
    # A customer who bought twice in one month is still a one-off buyer (one period with a purchase).
    two_in_one = frame(buyer("m", list(range(1, 13))) + [("x", "2024-02-03", 5.0), ("x", "2024-02-20", 5.0)])
    assert segkit.xyz(two_in_one, as_of="2025-01-01").table_.loc["x", "xyz_class"] == "Z"


def test_frequency_bands_are_checked() -> None:
    df = frame(buyer("a", [1, 2, 3]))
    with pytest.raises(segkit.ParameterError, match="X band > Y band"):
        segkit.xyz(df, thresholds=(0.1, 0.5), as_of="2024-04-01", n_periods=3)
    with pytest.raises(segkit.ParameterError, match="method"):
        segkit.xyz(df, method="regularity")


# --------------------------------------------------------------------------------------------------
# ABC
# --------------------------------------------------------------------------------------------------


def test_worked_example_of_the_multiple_of_the_average() -> None:
    # M = 100 mln rub, N = 250: P = 400,000, A from 2.4 mln, C up to 200,000 (inclusive).
    values = [2_400_000.0] * 20 + [2_399_999.99, 200_000.01, 200_000.0] + [216_000.0] * 226
    values.append(100_000_000.0 - sum(values))  # 384,000: the total is exactly M
    sales = pd.Series(values, index=[f"c{i:03d}" for i in range(250)])
    r = segkit.abc(sales, method="average_multiple")
    assert r.cutoffs_["average"] == 400_000.0 and r.cutoffs_["C_max"] == 200_000.0
    cls = r.table_["abc_class"]
    assert (cls[sales.index[:20]] == "A").all()
    assert cls["c020"] == "B" and cls["c021"] == "B" and cls["c022"] == "C"
    # At most 1/6 of the customers can be A under this rule; its health check says so.
    assert r.health_.a_share_range == pytest.approx((0.10, 1 / 6))
    assert r.health_.share_customers_a == pytest.approx(20 / 250)
    assert any("the most this rule can give is 16.7%" in w for w in r.health_.warnings)


def test_abc_defaults_and_health_in_both_directions() -> None:
    assert segkit.METHODOLOGY_THRESHOLDS == (0.75, 0.95)
    even = pd.Series({f"c{i:02d}": 10.0 + i * 0.01 for i in range(20)})
    r = segkit.abc(even)
    assert r.thresholds == (0.75, 0.95)
    assert r.health_.share_customers_a > 0.30
    assert any("A does not single out key accounts" in w for w in r.health_.warnings)
    whale = pd.Series({"w": 1000.0, **{f"c{i:02d}": 1.0 for i in range(30)}})
    assert any(w.startswith("Only ") for w in segkit.abc(whale).health_.warnings)
    rules = r.rules_
    assert {"setting", "source"} <= set(rules.columns)
    assert rules.loc["cumulative thresholds", "source"] == "methodology [S1]"
    assert (
        segkit.abc(even, thresholds=segkit.PARETO_THRESHOLDS)
        .rules_.loc["cumulative thresholds", "source"]
        .startswith("kit option")
    )


def test_group_d_by_margin_rate_and_by_the_rare_tail() -> None:
    rows = buyer("big", [1, 2, 3], 1000.0) + buyer("thin", [1, 2], 500.0) + buyer("loss", [1], 300.0)
    rows += buyer("small", [2], 20.0)
    df = frame(rows, margin=[300.0] * 3 + [10.0] * 2 + [-30.0] + [5.0])
    r = segkit.abc(df, as_of="2024-04-01", d_margin_rate=0.05)
    assert r.d_rule == "margin"
    d = r.table_.loc[r.table_["abc_class"] == "D", "d_reason"].to_dict()
    assert set(d) == {"thin", "loss"}  # 2 % and -10 % margin; small earns 25 %
    assert d["thin"] == "margin rate 2.0% below 5.0%"
    assert r.summary_.loc["D", "n_customers"] == 2
    assert segkit.abc(df, as_of="2024-04-01").table_.loc["thin", "abc_class"] != "D"  # rate 0: only losses
    # Without margin: the C-and-rare tail (one order), with the methodology's action text.
    plain = df.drop(columns="margin")
    rare = segkit.abc(plain, as_of="2024-04-01", d_rule="auto")
    assert rare.d_rule == "rare"
    in_d = rare.table_.index[rare.table_["abc_class"] == "D"].tolist()
    assert in_d == ["small"] and rare.table_.loc["small", "n_orders"] == 1
    assert segkit.default_strategies().loc["D", "strategy"] == segkit.D_ACTION
    assert "minimum order" in segkit.D_ACTION
    with pytest.raises(segkit.ParameterError, match="margin"):
        segkit.abc(plain, d_rule="margin")


def test_units_and_the_simplified_abc() -> None:
    rows = buyer("much_often", [1, 2, 3, 4], 500.0) + buyer("often_little", [1, 2, 3, 4], 10.0)
    rows += buyer("rare_much", [2], 2000.0) + buyer("rare_little", [3], 10.0)
    df = frame(rows, quantity=[1] * 4 + [50] * 4 + [3] + [1])
    units = segkit.abc(df, value="quantity", as_of="2024-05-01", start="2024-02-01", d_rule="none")
    assert units.table_.loc["often_little", "value"] == 150.0  # Feb-Apr only
    assert units.table_.index[0] == "often_little"
    early = segkit.abc(df, value="quantity", as_of="2024-05-01", start="2023-06-01", d_rule="none")
    assert early.table_.loc["often_little", "value"] == 200.0  # a start before the data counts everything
    vf = segkit.abc(df, method="volume_frequency", as_of="2024-05-01", d_rule="none")
    assert vf.table_["abc_class"].to_dict() == {
        "much_often": "A",
        "rare_much": "B",
        "often_little": "B",
        "rare_little": "C",
    }
    assert vf.cutoffs_["often_orders"] == 3.0  # the median of 4, 4, 1, 1 orders, rounded up
    with pytest.raises(segkit.DataContractError, match="quantity"):
        segkit.abc(df.drop(columns="quantity"), value="quantity")


# --------------------------------------------------------------------------------------------------
# RFM ties and absolute recency
# --------------------------------------------------------------------------------------------------


def test_identical_buyers_and_a_single_best_customer_are_not_lost() -> None:
    rows = [
        (f"c{i:02d}", d, 100.0) for i in range(50) for d in pd.date_range("2024-01-05", periods=12, freq="MS")
    ]
    same = frame(rows)
    seg = segkit.rfm_segments(segkit.rfm(same, as_of="2025-01-01"))
    assert (seg["segment"] != "Lost").all()
    assert (seg["rfm_cell"] == "555").all()
    days = pd.date_range("2024-01-01", periods=40, freq="7D")
    one = frame([("solo", d, 50.0) for d in days])
    res = segkit.rfm(one, as_of=days[-1] + pd.Timedelta(days=1))
    assert res.table_.loc["solo", "recency_days"] == 1 and res.table_.loc["solo", "frequency"] == 40
    assert res.table_.loc["solo", "rfm_cell"] == "555"
    assert segkit.rfm_segments(res)["segment"].tolist() == ["Champions"]


def test_a_base_silent_for_years_gets_no_champions() -> None:
    tx, _ = make_transactions(300, seed=5)
    as_of = "2040-01-01"
    quantile = segkit.rfm_segments(segkit.rfm(tx, as_of=as_of, recency="quantile"))
    assert (quantile["segment"] == "Champions").sum() > 0  # the relative view misleads
    auto = segkit.rfm(tx, as_of=as_of)
    assert auto.methods_["recency"] == "days"
    assert any("absolute day bands" in n for n in auto.notes_)
    seg = segkit.rfm_segments(auto)
    assert (seg["segment"] == "Champions").sum() == 0
    assert (auto.table_["r_score"] == 1).all()
    # On a live base the quantile view stays.
    live = segkit.rfm(tx)
    assert live.methods_["recency"] == "quantile"
    days = segkit.rfm(tx, recency="days")
    assert days.breakpoints_["recency"] == [30.0, 90.0, 180.0, 365.0]
    r = days.table_
    assert (r.loc[r["recency_days"] <= 30, "r_score"] == 5).all() and (
        r.loc[r["recency_days"] > 365, "r_score"] == 1
    ).all()
    with pytest.raises(segkit.ParameterError, match="recency_bands"):
        segkit.rfm(tx, recency="days", recency_bands=[30, 90])


# --------------------------------------------------------------------------------------------------
# static segments, migration, size checks
# --------------------------------------------------------------------------------------------------


def test_static_segments_in_tables_and_migration(tmp_path: Path) -> None:
    before = pd.Series({"a": "Loyal", "b": "Loyal", "c": "New", "v": "Lost"})
    after = pd.Series({"a": "At Risk", "b": "Loyal", "c": "Loyal", "v": "Champions"})
    path = tmp_path / "vip.csv"
    path.write_text("customer_id;note\nv;chosen by the director\nzz;not a customer\n", encoding="utf-8")
    vip = segkit.static_segment(path, name="VIP")
    assert vip.to_dict() == {"v": "VIP", "zz": "VIP"}
    m = segkit.segment_migration(
        before, after, static=vip, order=["New", "Loyal", "At Risk", "Lost", "Champions"]
    )
    assert m.counts_.loc["VIP", "VIP"] == 1
    assert m.counts_.loc["Lost"].sum() == 0 and m.counts_["Champions"].sum() == 0
    assert m.counts_.loc["Loyal", "At Risk"] == 1
    with pytest.raises(segkit.ParameterError, match="also dynamic"):
        segkit.segment_migration(before, after, static=segkit.static_segment(["a"], name="Loyal"))
    # In the segment summary the list is a row of its own, next to the dynamic segments.
    tx, _ = make_transactions(200, seed=2)
    seg = segkit.rfm_segments(segkit.rfm(tx))
    ids = seg.index[:5].tolist()
    marked = segkit.add_static_segments(seg, segkit.static_segment(ids + ["nobody"], name="VIP"))
    assert marked.attrs["static_not_in_base"] == 1
    summary = segkit.segment_summary(marked)
    assert summary.loc["VIP", "kind"] == "static" and summary.loc["VIP", "customers"] == 5
    assert (summary.loc[summary["kind"] == "dynamic", "customers"].sum()) == len(seg)
    assert summary.loc["VIP", "source"] == "methodology [S0]"
    with pytest.raises(segkit.ParameterError, match="name"):
        segkit.static_segment(["a"])


def test_segment_size_check_against_the_guidance() -> None:
    tx, _ = make_transactions(300, seed=1)
    summary = segkit.segment_summary(segkit.rfm_segments(segkit.rfm(tx)))
    check = segkit.segment_size_check(summary, n_personas=5)
    dynamic = check.drop(index="(personas)")
    assert dynamic["share"].sum() == pytest.approx(1.0)
    within = (dynamic["share"] >= 0.07) & (dynamic["share"] <= 0.10)
    assert (dynamic.loc[within, "verdict"] == "within").all()
    assert (dynamic.loc[dynamic["share"] > 0.10, "verdict"] == "above").all()
    assert check.loc["(personas)", "verdict"] == "within"
    assert set(check["source"]) == {"methodology [S1]"}


# --------------------------------------------------------------------------------------------------
# window, portrait, B2B sample, matrices on the samples
# --------------------------------------------------------------------------------------------------


def test_analysis_window() -> None:
    w = segkit.analysis_window(pd.Timestamp("2025-01-01"), 12)
    assert (w.start, w.end) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2025-01-01"))
    w = segkit.analysis_window("2024-06-15", 6)
    assert (w.start, w.end) == (pd.Timestamp("2023-12-01"), pd.Timestamp("2024-06-01"))
    assert segkit.analysis_window("2024-06-15", 0).start is None
    with pytest.raises(segkit.ParameterError, match="window_months"):
        segkit.analysis_window("2024-06-15", -1)


def test_portrait_of_a_customers() -> None:
    tx, _ = make_transactions(400, seed=3)
    r = segkit.abc(tx)
    p = segkit.abc_portrait(r, tx)
    assert p.attrs["n_class"] == int((r.table_["abc_class"] == "A").sum())
    assert p["std_difference"].abs().is_monotonic_decreasing
    assert p.loc["revenue", "mean_class"] > p.loc["revenue", "mean_rest"]
    assert p.loc["n_orders", "ratio"] > 1


def test_b2b_sample_is_deterministic_and_committed() -> None:
    tx, clients = make_b2b_transactions(**B2B_SAMPLE)
    assert len(clients) == 300 and tx["order_date"].dt.dayofweek.max() <= 4
    assert (clients["margin_rate"] < 0.05).mean() == pytest.approx(0.12, abs=0.01)
    committed = (DATA / B2B_FILES[0]).read_bytes()
    assert len(committed) < 1_000_000
    assert committed == tx.to_csv(None, **segkit.datasets._CSV_OPTIONS).encode("utf-8")
    with pytest.raises(segkit.ParameterError, match="kind"):
        make_transactions(10, kind="wholesale")


@pytest.mark.parametrize("path", ["sample_transactions.csv", "b2b_transactions.csv"])
def test_every_matrix_cell_holds_customers_on_the_samples(path: str) -> None:
    tx = segkit.read_transactions(DATA / path)
    m = segkit.abc_xyz(tx)
    grid = m.grid()
    assert (grid.to_numpy() > 0).all(), grid
    assert set(m.matrix_.columns) >= {"strategy", "source"}
    assert np.isin(m.xyz_.table_["xyz_class"], ["X", "Y", "Z"]).sum() > 0
