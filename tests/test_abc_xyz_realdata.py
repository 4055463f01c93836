"""ABC and XYZ on UCI Online Retail, reproduced by an independent plain-pandas computation.

The reference below reads the raw file itself and never calls segkit. It also states the ABC tie rule
differently from segkit's implementation: a customer's class depends on the total value of customers
*strictly larger* than it (segkit sorts and classes tie blocks by position).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import segkit

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def raw(online_retail_path: Path) -> pd.DataFrame:
    df = pd.read_csv(
        online_retail_path,
        dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": "Int64"},
        parse_dates=["InvoiceDate"],
    )
    df = df.loc[
        df["CustomerID"].notna()
        & ~df["InvoiceNo"].str.startswith("C")
        & (df["Quantity"] > 0)
        & (df["UnitPrice"] > 0)
    ].copy()
    df["amount"] = (df["Quantity"] * df["UnitPrice"]).round(2)
    df = df.loc[df["amount"] != 0]
    df["customer"] = df["CustomerID"].astype(str)
    return df


@pytest.fixture(scope="module")
def revenue(raw: pd.DataFrame) -> pd.Series:
    return raw.groupby("customer")["amount"].sum().round(2)


def reference_cumulative(rev: pd.Series, t_a: float, t_b: float) -> pd.Series:
    total = rev.sum()
    ordered = np.sort(rev.to_numpy())[::-1]
    larger_sum = np.r_[0.0, np.cumsum(ordered)]
    # Sum of all values strictly larger than each customer's value.
    n_larger = len(ordered) - np.searchsorted(ordered[::-1], rev.to_numpy(), side="right")
    before = larger_sum[n_larger]
    return pd.Series(
        np.where(before < t_a * total, "A", np.where(before < t_b * total, "B", "C")), index=rev.index
    )


def test_input_matches_the_literature(raw: pd.DataFrame, online_retail_tx: segkit.Transactions) -> None:
    assert len(raw) == len(online_retail_tx) == 397_880
    assert raw["customer"].nunique() == 4_338
    assert round(raw["amount"].sum(), 2) == pytest.approx(8_911_407.90)


@pytest.mark.parametrize("thresholds", [(0.80, 0.95), (0.75, 0.95)])
def test_abc_cumulative_reproduced(
    online_retail_tx: segkit.Transactions, revenue: pd.Series, thresholds: tuple[float, float]
) -> None:
    result = segkit.abc(online_retail_tx, thresholds=thresholds, d_rule="none")
    table = result.table_
    expected = reference_cumulative(revenue, *thresholds)
    pd.testing.assert_series_equal(
        table["value"].sort_index(), revenue.sort_index(), check_names=False, check_index_type=False
    )
    assert (table["abc_class"].sort_index() == expected.sort_index().to_numpy()).all()
    ordered = revenue.reset_index().sort_values(["amount", "customer"], ascending=[False, True])
    assert table.index.tolist() == ordered["customer"].tolist()
    np.testing.assert_allclose(
        table["cumulative_share"], ordered["amount"].cumsum() / revenue.sum(), rtol=1e-12
    )
    counts = table["abc_class"].value_counts().reindex(list("ABC")).tolist()
    shares = table.groupby("abc_class")["value"].sum().reindex(list("ABC")) / revenue.sum()
    print(
        f"\nABC cumulative {thresholds}: counts A/B/C = {counts}, revenue shares = {shares.round(4).tolist()}"
    )


def test_abc_average_multiple_reproduced(online_retail_tx: segkit.Transactions, revenue: pd.Series) -> None:
    result = segkit.abc(online_retail_tx, method="average_multiple", d_rule="none")
    p = revenue.sum() / len(revenue)
    expected = pd.Series(
        np.where(revenue >= 6 * p, "A", np.where(revenue <= p / 2, "C", "B")), index=revenue.index
    )
    assert (result.table_["abc_class"].sort_index() == expected.sort_index().to_numpy()).all()
    assert result.cutoffs_["average"] == pytest.approx(round(p, 2))
    counts = result.table_["abc_class"].value_counts().reindex(list("ABC")).tolist()
    shares = result.summary_["share_value"].round(4).tolist()
    print(f"\nABC average multiple: P = {p:,.2f}, counts A/B/C = {counts}, revenue shares = {shares}")


def test_health_figures_reproduced(online_retail_tx: segkit.Transactions, revenue: pd.Series) -> None:
    health = segkit.abc(online_retail_tx, d_rule="none").health_
    ordered = revenue.sort_values(ascending=False)
    share = ordered / ordered.sum()
    cum = share.cumsum()
    assert health.customers_for_50 == int((cum < 0.5).sum()) + 1
    assert health.customers_for_80 == int((cum < 0.8).sum()) + 1
    for k in (1, 5, 10):
        assert health.top_loss[k] == pytest.approx(share.iloc[:k].sum())
    assert health.hhi == pytest.approx(((100 * share) ** 2).sum())
    assert health.share_customers_a == pytest.approx(
        (reference_cumulative(revenue, 0.75, 0.95) == "A").mean()
    )
    print("\nhealth:", {k: v for k, v in health.to_dict().items() if k != "warnings"})
    print("messages:", health.messages())


@pytest.mark.parametrize("count_from", ["first_purchase", "window"])
def test_xyz_reproduced(online_retail_tx: segkit.Transactions, raw: pd.DataFrame, count_from: str) -> None:
    result = segkit.xyz(online_retail_tx, count_from=count_from, method="cv", thresholds=(0.10, 0.25))
    # Last transaction 2011-12-09 -> as of 2011-12-10; December 2011 is incomplete, so the window is
    # the twelve months December 2010 .. November 2011.
    start, end = pd.Timestamp("2010-12-01"), pd.Timestamp("2011-12-01")
    assert result.window_ == (start, end)
    window = raw.loc[(raw["InvoiceDate"] >= start) & (raw["InvoiceDate"] < end)]
    months = pd.date_range(start, end, freq="MS", inclusive="left")
    per_month = (
        window.assign(month=window["InvoiceDate"].dt.to_period("M").dt.to_timestamp())
        .pivot_table(index="customer", columns="month", values="amount", aggfunc="sum", fill_value=0.0)
        .reindex(columns=months, fill_value=0.0)
        .round(2)
    )
    first_month = raw.groupby("customer")["InvoiceDate"].min().dt.to_period("M").dt.to_timestamp()
    if count_from == "first_purchase":
        counted = pd.DataFrame(
            {m: first_month.reindex(per_month.index) <= m for m in months}, index=per_month.index
        )
    else:
        counted = pd.DataFrame(True, index=per_month.index, columns=months)
    values = per_month.where(counted)
    mean = values.mean(axis=1)
    cv = values.std(axis=1, ddof=0) / mean
    n = counted.sum(axis=1)
    expected = pd.Series(np.where(cv <= 0.10, "X", np.where(cv <= 0.25, "Y", "Z")), index=per_month.index)
    expected[n < 6] = "short history"

    table = result.table_.sort_index()
    assert table.index.tolist() == sorted(per_month.index)
    expected = expected.sort_index()
    assert (table["xyz_class"].to_numpy() == expected.to_numpy()).all()
    assert (table["n_periods"].to_numpy() == n.sort_index().to_numpy()).all()
    ok = (n >= 6).sort_index().to_numpy()
    np.testing.assert_allclose(table["cv"].to_numpy()[ok], cv.sort_index().to_numpy()[ok], rtol=1e-9)
    counts = table["xyz_class"].value_counts().to_dict()
    quantiles = table["cv"].quantile([0.1, 0.5, 0.9]).round(3).tolist()
    print(f"\nXYZ ({count_from}): {len(table):,} customers, classes {counts}, CV p10/p50/p90 = {quantiles}")
    wide = segkit.xyz(online_retail_tx, count_from=count_from, method="cv")
    print(f"XYZ ({count_from}) with (0.5, 1.0): {wide.table_['xyz_class'].value_counts().to_dict()}")


def test_frequency_xyz_reproduced(online_retail_tx: segkit.Transactions, raw: pd.DataFrame) -> None:
    result = segkit.xyz(online_retail_tx)
    start, end = result.window_
    window = raw.loc[(raw["InvoiceDate"] >= start) & (raw["InvoiceDate"] < end)]
    months = pd.date_range(start, end, freq="MS", inclusive="left")
    bought = (
        window.assign(month=window["InvoiceDate"].dt.to_period("M").dt.to_timestamp())
        .groupby(["customer", "month"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=months, fill_value=0)
        > 0
    )
    first_month = raw.groupby("customer")["InvoiceDate"].min().dt.to_period("M").dt.to_timestamp()
    counted = pd.DataFrame({m: first_month.reindex(bought.index) <= m for m in months}, index=bought.index)
    active = (bought & counted).sum(axis=1)
    n = counted.sum(axis=1)
    share = active / n
    expected = pd.Series(np.where(share >= 0.33, "X", np.where(share >= 0.15, "Y", "Z")), index=bought.index)
    expected[active <= 1] = "Z"
    expected[n < 6] = "short history"
    table = result.table_.sort_index()
    assert (table["xyz_class"].to_numpy() == expected.sort_index().to_numpy()).all()
    assert (table["active_periods"].to_numpy() == active.sort_index().to_numpy()).all()
    counts = table["xyz_class"].value_counts()
    assert (counts.reindex(["X", "Y", "Z"]) > 0).all()
    print(f"\nXYZ (frequency): {counts.to_dict()}")


def test_matrix_on_real_data(online_retail_tx: segkit.Transactions) -> None:
    m = segkit.abc_xyz(online_retail_tx)
    assert m.matrix_["n_customers"].sum() == len(m.table_) == len(m.xyz_.table_)
    # With the defaults (frequency XYZ, ABC 75/95, D as the C-and-rare tail) every cell holds customers.
    grid = m.grid()
    assert (grid.to_numpy() > 0).all(), grid
    print("\nABC-XYZ grid (customers):\n" + grid.to_string())
    assert m.matrix_["share_revenue"].sum() == pytest.approx(1.0)
    shown = m.matrix_[["cell", "n_customers", "share_customers", "share_revenue"]].round(4)
    print("\nABC-XYZ matrix (ABC over the XYZ window):\n" + shown.to_string(index=False))
