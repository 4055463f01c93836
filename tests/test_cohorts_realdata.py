"""Cohorts and churn on UCI Online Retail, checked against plain-pandas computations from the raw file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segkit

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def raw(online_retail_path) -> pd.DataFrame:
    """The usual clean purchase lines, straight from the raw file (no segkit involved)."""
    df = pd.read_csv(
        online_retail_path,
        dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": "Int64"},
        parse_dates=["InvoiceDate"],
    )
    df = df[df["CustomerID"].notna() & ~df["InvoiceNo"].str.startswith("C")]
    df = df[(df["Quantity"] > 0) & (df["UnitPrice"] > 0)].copy()
    df["amount"] = (df["Quantity"] * df["UnitPrice"]).round(2)
    df = df[df["amount"] != 0]
    df["customer"] = df["CustomerID"].astype(str)
    return df


def test_retention_matrix_equals_plain_pandas(online_retail_tx, raw):
    res = segkit.cohorts(online_retail_tx)
    month = raw["InvoiceDate"].dt.to_period("M")
    first = month.groupby(raw["customer"]).transform("min")
    k = (month.dt.year - first.dt.year) * 12 + (month.dt.month - first.dt.month)
    active = raw.groupby([first.rename("cohort"), k.rename("k")])["customer"].nunique().unstack()
    revenue = raw.groupby([first.rename("cohort"), k.rename("k")])["amount"].sum().unstack()
    last = month.max()
    observed = np.array([[(c + j) <= last for j in active.columns] for c in active.index])
    active = active.where(~observed, active.fillna(0)).where(observed)  # seen but nobody bought: 0, not NaN
    revenue = revenue.where(~observed, revenue.fillna(0)).where(observed)
    sizes = active[0]
    retention = active.div(sizes, axis=0)

    assert res.sizes_.tolist() == sizes.astype(int).tolist()
    assert int(res.sizes_.sum()) == 4338
    assert res.retention_.index.strftime("%Y-%m").tolist() == [str(p) for p in active.index]
    np.testing.assert_array_equal(res.active_.to_numpy(), active.to_numpy(dtype=float))
    np.testing.assert_allclose(res.retention_.to_numpy(), retention.to_numpy(dtype=float), rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.revenue_.to_numpy(), revenue.to_numpy(dtype=float), rtol=0, atol=0.01)
    # NaN exactly where the cell lies after December 2011 (the as-of date is 2011-12-10).
    np.testing.assert_array_equal(np.isnan(res.retention_.to_numpy()), ~observed)
    first_curve = res.retention_.iloc[0].round(4)
    print("\nOnline Retail, first cohort (2010-12) retention by month:", first_curve.tolist())
    assert first_curve.tolist()[:3] == [1.0, round(324 / 885, 4), round(286 / 885, 4)]
    # December 2011 is cut short by the as-of date: observed, but not mature, so not in the average curve.
    assert not res.mature_.iloc[0, 12] and res.mature_.iloc[0, 11]
    assert 12 not in res.average_curve_.index and res.average_curve_.loc[11, "cohorts"] == 1


def test_derived_threshold_and_one_month_of_churn_match_plain_pandas(online_retail_tx, raw):
    days = raw[["customer", "InvoiceDate"]].assign(day=raw["InvoiceDate"].dt.normalize())
    days = days.drop_duplicates(["customer", "day"]).sort_values(["customer", "day"])
    gaps = days.groupby("customer")["day"].diff().dt.days.dropna()
    threshold = int(np.ceil(np.quantile(gaps, 0.9)))
    assert segkit.inactivity_threshold(online_retail_tx) == threshold
    rates = segkit.churn_rate(online_retail_tx, inactivity_days=threshold).set_index("period")

    def active_at(date: pd.Timestamp) -> set[str]:
        before = days[days["day"] < date]
        last = before.groupby("customer")["day"].max()
        return set(last.index[(date - last).dt.days <= threshold])

    start, end = pd.Timestamp("2011-07-01"), pd.Timestamp("2011-08-01")
    at_start = active_at(start)
    lost = at_start - active_at(end)
    assert rates.loc[start, "active_at_start"] == len(at_start)
    assert rates.loc[start, "churned"] == len(lost)
    print(f"\nOnline Retail: threshold {threshold} days; July 2011 churn {len(lost)}/{len(at_start)}")


def test_churn_model_beats_recency_on_online_retail(online_retail_tx):
    model = segkit.ChurnModel(horizon_days=90).fit(online_retail_tx)
    ev = model.evaluate(online_retail_tx)
    auc = ev.metrics["roc_auc"]
    print(
        f"\nOnline Retail: ROC AUC churn model {auc['churn model']:.3f}, recency only {auc['recency only']:.3f}"
    )
    assert auc["churn model"] > auc["recency only"] + 0.05
    # Not a Dec 2010 artefact: the customers scored at the as-of date are the current base.
    assert (
        len(model.score(online_retail_tx))
        == (
            segkit.customer_status(online_retail_tx, inactivity_days=model.inactivity_days_)["base"]
            == "current"
        ).sum()
    )
