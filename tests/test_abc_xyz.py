"""The ABC-XYZ matrix, its strategy table, and the plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import segkit


def monthly(
    customer: str, amounts: list[float], first: str = "2024-01-01", margin: float | None = None
) -> pd.DataFrame:
    months = pd.date_range(first, periods=len(amounts), freq="MS") + pd.Timedelta(days=9)
    rows = [(customer, d, a) for d, a in zip(months, amounts, strict=True) if a != 0]
    out = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    if margin is not None:
        out["margin"] = out["amount"] * margin
    return out


@pytest.fixture
def base() -> pd.DataFrame:
    """Six months (Jan-Jun 2024) with one customer per interesting cell."""
    return pd.concat(
        [
            monthly("ax", [1000.0] * 6),  # A, steady
            monthly("az", [3000.0, 0, 0, 0, 0, 3000.0]),  # A, lumpy
            monthly("by", [90.0, 110.0] * 3),  # B, CV exactly 0.1: X by default, Y with (0.05, 0.25)
            monthly("cz", [50.0, 0, 0, 0, 0, 0]),  # C, one purchase
            monthly("new", [0, 0, 0, 0, 0, 400.0]),  # first purchase in June: short history
            monthly("old", [700.0], first="2023-05-01"),  # bought only before the window
        ],
        ignore_index=True,
    )


def test_matrix_counts_shares_and_cells(base: pd.DataFrame) -> None:
    m = segkit.abc_xyz(
        base, n_periods=6, as_of="2024-07-01", xyz_method="cv", xyz_thresholds=(0.05, 0.25), d_rule="none"
    )
    t = m.table_
    # ABC over Jan-Jun only: ax 6000, az 6000 (a tie block: A), by 600 (starts at 92 %: B),
    # new 400 (starts at 96.6 %: C), cz 50 (C); total 13,050. "old" bought before the window.
    assert t["value"].to_dict() == {"ax": 6000.0, "az": 6000.0, "by": 600.0, "new": 400.0, "cz": 50.0}
    assert t["abc_class"].to_dict() == {"ax": "A", "az": "A", "by": "B", "new": "C", "cz": "C"}
    assert t["xyz_class"].to_dict() == {"ax": "X", "az": "Z", "by": "Y", "new": "short history", "cz": "Z"}
    assert t["cell"].to_dict() == {"ax": "AX", "az": "AZ", "by": "BY", "new": "short history", "cz": "CZ"}
    mx = m.matrix_
    assert mx["cell"].tolist()[:9] == ["AX", "AY", "AZ", "BX", "BY", "BZ", "CX", "CY", "CZ"]
    assert mx["cell"].tolist()[9:] == ["C / short history"]
    assert mx["n_customers"].tolist() == [1, 0, 1, 0, 1, 0, 0, 0, 1, 1]
    assert mx["share_customers"].sum() == pytest.approx(1.0)
    assert mx["share_revenue"].sum() == pytest.approx(1.0)
    assert mx.set_index("cell").loc["AZ", "share_revenue"] == pytest.approx(6000 / 13050)
    assert mx["in_matrix"].tolist() == [True] * 9 + [False]
    assert mx.set_index("cell").loc["C / short history", "strategy"].startswith("Too new to judge")
    assert m.grid().to_numpy().tolist() == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]
    assert m.grid("share_revenue").loc["A", "X"] == pytest.approx(6000 / 13050)
    assert m.customers("AZ").tolist() == ["az"]
    assert m.abc_.start == pd.Timestamp("2024-01-01") and m.abc_.as_of == pd.Timestamp("2024-07-01")
    assert m.xyz_.window_ == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-07-01"))


def test_abc_over_all_history_marks_inactive(base: pd.DataFrame) -> None:
    m = segkit.abc_xyz(base, n_periods=6, as_of="2024-07-01", abc_window="all")
    assert m.table_.loc["old", "xyz_class"] == "inactive"
    assert m.table_.loc["old", "cell"] == "inactive"
    assert m.table_.loc["old", "value"] == 700.0
    assert "inactive" in m.table_.loc["old", "strategy"] or "reactivation" in m.table_.loc["old", "strategy"]
    assert m.matrix_["n_customers"].sum() == 6


def test_default_strategies_follow_the_methodology() -> None:
    s = segkit.default_strategies()["strategy"]
    assert s.index.tolist()[:9] == ["AX", "AY", "AZ", "BX", "BY", "BZ", "CX", "CY", "CZ"]
    assert "key-account" in s["AX"] and "key-account" in s["AY"]
    assert s["AZ"].startswith("Stabilise")
    assert s["BX"].startswith("Grow the cheque") and s["BY"].startswith("Grow the cheque")
    assert all("toward X" in s[c] for c in ("AY", "AZ", "BY", "BZ"))
    assert s["CZ"].startswith("Cut the cost to serve or change terms")


def test_strategies_are_replaceable(base: pd.DataFrame) -> None:
    kwargs = {"n_periods": 6, "as_of": "2024-07-01", "d_rule": "none"}
    m = segkit.abc_xyz(base, strategies={"CZ": "Move to self-service."}, **kwargs)
    assert m.table_.loc["cz", "strategy"] == "Move to self-service."
    assert m.strategies_["AX"] == segkit.default_strategies().loc["AX", "strategy"]
    assert m.sources_["CZ"] == "user" and m.sources_["AX"] == "methodology [S0, S1]"
    assert m.matrix_.set_index("cell").loc["CZ", "source"] == "user"
    edited = segkit.default_strategies()
    edited["strategy"] = "call them"
    m = segkit.abc_xyz(base, strategies=edited, **kwargs)
    assert set(m.matrix_["strategy"]) == {"call them"}
    m = segkit.abc_xyz(base, strategies=edited.reset_index(), **kwargs)
    assert set(m.table_["strategy"]) == {"call them"}
    with pytest.raises(segkit.ParameterError, match="unknown cell"):
        segkit.abc_xyz(base, strategies={"QX": "?"}, **kwargs)
    with pytest.raises(segkit.ParameterError, match="strategy"):
        segkit.abc_xyz(base, strategies=pd.DataFrame({"text": ["x"]}), **kwargs)
    with pytest.raises(segkit.ParameterError, match="strategies"):
        segkit.abc_xyz(base, strategies=["x"], **kwargs)  # type: ignore[arg-type]


def test_profit_matrix_with_d(base: pd.DataFrame) -> None:
    df = base.assign(margin=base["amount"] * 0.3)
    df.loc[df["customer_id"] == "cz", "margin"] = -20.0
    m = segkit.abc_xyz(df, value="margin", n_periods=6, as_of="2024-07-01")
    assert m.table_.loc["cz", "cell"] == "D"
    row = m.matrix_.set_index("cell").loc["D"]
    assert (row["n_customers"], row["margin"], row["revenue"]) == (1, -20.0, 50.0)
    assert m.matrix_["share_margin"].sum() == pytest.approx(1.0)
    assert {"margin", "share_margin"} <= set(m.matrix_.columns)


def test_errors(base: pd.DataFrame) -> None:
    with pytest.raises(segkit.ParameterError, match="abc_window"):
        segkit.abc_xyz(base, abc_window="year")
    m = segkit.abc_xyz(base, n_periods=6, as_of="2024-07-01")
    with pytest.raises(segkit.ParameterError, match="by"):
        m.grid("profit")
    with pytest.raises(segkit.ParameterError, match="cell"):
        m.customers("AQ")


# --------------------------------------------------------------------------------------------------
# plots
# --------------------------------------------------------------------------------------------------


def test_plot_pareto_bands_and_lines(base: pd.DataFrame) -> None:
    r = segkit.abc(base, as_of="2024-07-01", d_rule="none")
    ax = segkit.plot_pareto(r)
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("A\n") for t in texts) and any(t.startswith("C\n") for t in texts)
    assert [t for t in texts if t.strip().endswith("%") and "\n" not in t] == [" 75%", " 95%"]
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata()[-1], 1.0)
    assert len(line.get_xdata()) == len(r.table_) + 1
    plt.close("all")


def test_plot_pareto_inputs_and_lorenz(base: pd.DataFrame) -> None:
    fig, ax = plt.subplots()
    assert segkit.plot_pareto(base, ax=ax) is ax
    curve = segkit.pareto_curve(base)
    ax = segkit.plot_pareto(curve, thresholds=(0.5, 0.9))
    assert " 50%" in [t.get_text() for t in ax.texts]
    ax = segkit.plot_pareto(curve, kind="lorenz")
    gini = segkit.concentration(base).gini
    assert f"Gini = {gini:.2f}" in [t.get_text() for t in ax.get_legend().get_texts()]
    avg = segkit.abc(base, method="average_multiple")
    ax = segkit.plot_pareto(avg)
    assert not [t for t in ax.texts if t.get_text().strip() in {"80%", "95%"}]
    with pytest.raises(segkit.ParameterError, match="kind"):
        segkit.plot_pareto(curve, kind="bar")
    plt.close("all")


def test_plot_cv_distribution(base: pd.DataFrame) -> None:
    r = segkit.xyz(base, n_periods=6, as_of="2024-07-01", method="cv", thresholds=(0.1, 0.25))
    ax = segkit.plot_cv_distribution(r)
    assert ax.get_title() == "CV distribution: 4 customers classified, 1 without a CV"
    xs = sorted(line.get_xdata()[0] for line in ax.get_lines())
    assert xs == pytest.approx([0.10, 0.25])
    # A frequency result is drawn against the customer CV thresholds.
    freq = segkit.xyz(base, n_periods=6, as_of="2024-07-01")
    xs = sorted(line.get_xdata()[0] for line in segkit.plot_cv_distribution(freq).get_lines())
    assert xs == pytest.approx(list(segkit.CV_THRESHOLDS))
    heights = sum(p.get_height() for p in ax.patches)
    assert heights == 4
    ax = segkit.plot_cv_distribution(r.table_, thresholds=(0.5, 1.0), bins=5)
    assert sorted(line.get_xdata()[0] for line in ax.get_lines()) == pytest.approx([0.5, 1.0])
    with pytest.raises(segkit.ParameterError, match="bins"):
        segkit.plot_cv_distribution(r, bins=0)
    plt.close("all")


def test_plot_regularity(base: pd.DataFrame) -> None:
    r = segkit.xyz(base, n_periods=6, as_of="2024-07-01")
    ax = segkit.plot_regularity(r)
    # ax, az and cz are classified; "new" has a short history.
    assert sum(p.get_height() for p in ax.patches) == int(r.table_["xyz_class"].isin(["X", "Y", "Z"]).sum())
    assert sorted(line.get_xdata()[0] for line in ax.get_lines()) == pytest.approx([0.15, 0.33])
    with pytest.raises(segkit.ParameterError, match="plot_cv_distribution"):
        segkit.plot_regularity(segkit.xyz(base, n_periods=6, as_of="2024-07-01", method="cv"))
    plt.close("all")


def test_plot_heatmap(base: pd.DataFrame) -> None:
    m = segkit.abc_xyz(
        base, n_periods=6, as_of="2024-07-01", xyz_method="cv", xyz_thresholds=(0.05, 0.25), d_rule="none"
    )
    ax = segkit.plot_abc_xyz_heatmap(m)
    labels = [t.get_text() for t in ax.texts]
    assert labels[0] == "1\n(20.0%)" and labels[1] == "0\n(0.0%)"
    ax = segkit.plot_abc_xyz_heatmap(m.matrix_, by="revenue")
    assert [t.get_text() for t in ax.texts][0] == f"6,000\n({6000 / 13050:.1%})"
    with pytest.raises(segkit.ParameterError, match="by"):
        segkit.plot_abc_xyz_heatmap(m, by="margin")
    plt.close("all")


def test_units_matrix_names_its_units_apart_from_money(base: pd.DataFrame) -> None:
    # An ABC in units sums units per cell under ``quantity``: no column claims to be a margin.
    df = base.assign(quantity=2.0)
    df.loc[df["customer_id"] == "ax", "quantity"] = 5.0
    m = segkit.abc_xyz(df, value="quantity", n_periods=6, as_of="2024-07-01", d_rule="none")
    assert {"quantity", "share_quantity"} <= set(m.matrix_.columns)
    assert not {"margin", "share_margin"} & set(m.matrix_.columns)
    row = m.matrix_.set_index("cell").loc["AX"]
    assert (row["n_customers"], row["quantity"], row["revenue"]) == (2, 42.0, 6600.0)  # ax and by
    assert m.matrix_["quantity"].sum() == float(m.abc_.table_["value"].sum())
    assert m.matrix_["share_quantity"].sum() == pytest.approx(1.0)
    assert m.grid("quantity").loc["A", "X"] == 42.0
    ax = segkit.plot_abc_xyz_heatmap(m, by="quantity")
    assert "quantity" in ax.get_title()
    plt.close("all")


def test_editing_a_result_leaves_the_next_one_alone(base: pd.DataFrame) -> None:
    # ABC-XYZ, ABC and XYZ hand out copies of what the snapshot caches, so a caller's edits stay its own.
    snap = segkit.snapshot(base, as_of="2024-07-01")
    first = segkit.abc_xyz(snap, n_periods=6)
    abc_before = first.abc_.table_.copy()
    xyz_before = first.xyz_.table_.copy()
    periods_before = first.xyz_.periods_.copy()
    cutoffs_before = dict(first.abc_.cutoffs_)
    first.abc_.table_.loc[first.abc_.table_.index[0], "abc_class"] = "C"
    first.abc_.table_["value"] = 0.0
    first.abc_.summary_.iloc[0, 0] = -1
    first.abc_.cutoffs_["A_min"] = -1.0
    first.xyz_.table_.loc[first.xyz_.table_.index[0], "xyz_class"] = "Z"
    first.xyz_.summary_.iloc[0, 0] = -1
    first.xyz_.periods_.iloc[0, 0] = -1.0
    again = segkit.abc_xyz(snap, n_periods=6)
    pd.testing.assert_frame_equal(again.abc_.table_, abc_before)
    pd.testing.assert_frame_equal(again.xyz_.table_, xyz_before)
    pd.testing.assert_frame_equal(again.xyz_.periods_, periods_before)
    assert again.abc_.cutoffs_ == cutoffs_before
    assert again.abc_.summary_.iloc[0, 0] != -1 and again.xyz_.summary_.iloc[0, 0] != -1
    pd.testing.assert_frame_equal(segkit.xyz(snap, n_periods=6).periods_, periods_before)
    # The plain ABC and XYZ calls are detached the same way.
    own = segkit.xyz(snap, n_periods=6)
    own.periods_.iloc[:, :] = 0.0
    pd.testing.assert_frame_equal(segkit.xyz(snap, n_periods=6).periods_, periods_before)
    whole = segkit.abc(snap)
    whole.table_.loc[whole.table_.index[0], "abc_class"] = "D"
    assert segkit.abc(snap).table_["abc_class"].iloc[0] == "A"
