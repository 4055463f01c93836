"""Personas on UCI Online Retail, checked against plain pandas computed from the raw file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segkit

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def raw_clean(online_retail_path):
    """The usual clean filter, in plain pandas (see the project brief)."""
    raw = pd.read_csv(
        online_retail_path,
        dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": "Int64"},
        parse_dates=["InvoiceDate"],
    )
    raw = raw[raw["CustomerID"].notna() & ~raw["InvoiceNo"].str.startswith("C")]
    raw = raw[(raw["Quantity"] > 0) & (raw["UnitPrice"] > 0)].copy()
    raw["amount"] = (raw["Quantity"] * raw["UnitPrice"]).round(2)
    raw = raw[raw["amount"] != 0]
    raw["customer_id"] = raw["CustomerID"].astype(str)
    return raw


@pytest.fixture(scope="module")
def fitted(online_retail_tx):
    return segkit.personas(online_retail_tx, random_state=0)


def test_features_match_pandas(online_retail_tx, raw_clean):
    feats = segkit.customer_features(online_retail_tx)
    as_of = raw_clean["InvoiceDate"].max().normalize() + pd.Timedelta(days=1)
    g = raw_clean.groupby("customer_id")
    assert len(feats) == 4338 and feats.index.equals(pd.Index(sorted(g.groups), dtype=feats.index.dtype))
    assert (feats["n_orders"] == g["InvoiceNo"].nunique()).all()
    assert np.allclose(feats["revenue"], g["amount"].sum().round(2), atol=0.005)
    assert (feats["recency_days"] == (as_of - g["InvoiceDate"].max().dt.normalize()).dt.days).all()
    assert (feats["tenure_days"] == (as_of - g["InvoiceDate"].min().dt.normalize()).dt.days).all()
    # Median gap between distinct purchase days; one purchase day -> days since it (the tenure).
    days = raw_clean.assign(day=raw_clean["InvoiceDate"].dt.normalize())[
        ["customer_id", "day"]
    ].drop_duplicates()
    days = days.sort_values(["customer_id", "day"])
    gaps = days.groupby("customer_id")["day"].diff().dt.days
    median_gap = gaps.groupby(days["customer_id"]).median()
    expected = median_gap.fillna(feats["tenure_days"].astype(float))
    assert np.allclose(feats["gap_days"], expected.reindex(feats.index))
    assert "top_category" not in feats.columns  # Online Retail has no category or channel


def test_personas_on_online_retail(fitted, raw_clean):
    prof = fitted.profiles_
    assert fitted.k_ == 3 and fitted.k_scores_.index.tolist() == [3, 4, 5, 6, 7]
    assert fitted.names_.tolist() == ["Frequent high spenders", "Lapsed repeat buyers", "New one-time buyers"]
    assert prof["n_customers"].sum() == 4338
    # Revenue shares recomputed from the raw file with the persona labels.
    revenue = raw_clean.groupby("customer_id")["amount"].sum()
    assert revenue.sum() == pytest.approx(8_911_407.90, abs=0.01)
    by_persona = revenue.reindex(fitted.labels_.index).groupby(fitted.labels_).sum()
    assert np.allclose(prof["share_revenue"], by_persona / revenue.sum())
    # The top persona is the valuable one: far above the base on revenue and orders, bought recently.
    top = prof.loc[0]
    assert top["share_revenue"] > 0.7 and top["share_revenue"] > 2 * top["share_customers"]
    assert top["revenue_index"] > 200 and top["n_orders_index"] > 150
    assert top["recency_days_median"] < fitted.features_["recency_days"].median()
    # The "new" persona really joined late; the "lapsed" one really has not bought for long.
    new, lapsed = prof.loc[2], prof.loc[1]
    assert (
        new["n_orders_median"] == 1
        and new["tenure_days_median"] < 0.3 * fitted.features_["tenure_days"].median()
    )
    assert lapsed["recency_days_median"] > 2 * fitted.features_["recency_days"].median()
    assert fitted.stability_ > 0.9


def test_country_attribute(online_retail_tx, fitted):
    p = segkit.personas(online_retail_tx, attributes=["Country"], n_resamples=0)
    assert "Country" in p.feature_names_
    assert (p.profiles_["Country"] == "United Kingdom").all()
    # The one-hot Country (90 % UK) barely moves customers between the behaviour personas.
    agree = (p.labels_ == fitted.labels_).mean()
    assert agree > 0.95
