"""RFM on UCI Online Retail, checked against an independent plain-pandas computation from the raw file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segkit

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def raw_clean(online_retail_path) -> pd.DataFrame:
    raw = pd.read_csv(
        online_retail_path,
        dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": "Int64"},
        parse_dates=["InvoiceDate"],
    )
    keep = (
        raw["CustomerID"].notna()
        & ~raw["InvoiceNo"].str.startswith("C")
        & (raw["Quantity"] > 0)
        & (raw["UnitPrice"] > 0)
    )
    clean = raw.loc[keep].copy()
    clean["amount"] = (clean["Quantity"] * clean["UnitPrice"]).round(2)
    return clean.loc[clean["amount"] != 0]


@pytest.fixture(scope="module")
def expected(raw_clean) -> pd.DataFrame:
    as_of = raw_clean["InvoiceDate"].max().normalize() + pd.Timedelta(days=1)
    per = raw_clean.groupby(raw_clean["CustomerID"].astype(str)).agg(
        last=("InvoiceDate", "max"), frequency=("InvoiceNo", "nunique"), monetary=("amount", "sum")
    )
    per["recency_days"] = (as_of - per["last"].dt.normalize()).dt.days
    per["monetary"] = per["monetary"].round(2)
    n = len(per)
    # The documented tie rule, written out: 1 + floor(5 * (customers strictly worse) / (n - 1)).
    for col, score, lower_is_better in (
        ("recency_days", "r_score", True),
        ("frequency", "f_score", False),
        ("monetary", "m_score", False),
    ):
        values = per[col]
        if lower_is_better:  # customers with strictly more days since the last purchase
            worse = n - values.rank(method="max")
        else:  # customers with a strictly smaller value
            worse = values.rank(method="min") - 1
        per[score] = np.minimum(1 + (5 * worse.astype(int)) // (n - 1), 5)
    per.attrs["as_of"] = as_of
    return per


@pytest.fixture(scope="module")
def result(online_retail_tx) -> segkit.RFMResult:
    return segkit.rfm(online_retail_tx)


def test_values_and_scores_match_plain_pandas(result, expected):
    t = result.table_
    assert len(t) == len(expected) == 4338
    assert result.as_of_ == expected.attrs["as_of"] == pd.Timestamp("2011-12-10")
    e = expected.reindex(t.index)
    assert (t["recency_days"] == e["recency_days"]).all()
    assert (t["frequency"] == e["frequency"]).all()
    np.testing.assert_allclose(t["monetary"], e["monetary"], atol=0.005)
    assert round(t["monetary"].sum(), 2) == pytest.approx(8_911_407.90, abs=0.01)
    for col in ("r_score", "f_score", "m_score"):
        assert (t[col] == e[col]).all(), col


def test_scale_and_thresholds(result):
    assert result.bins_used_ == {"recency": 5, "frequency": 5, "monetary": 5}
    th = result.thresholds_
    # 1,493 customers (34 %) bought once: they all share F = 1, and two orders already score F = 2.
    assert th.loc[("frequency", 1), ["min", "max", "customers"]].tolist() == [1.0, 1.0, 1493]
    assert th.loc[("frequency", 2), ["min", "max"]].tolist() == [2.0, 2.0]
    assert result.breakpoints_["frequency"] == [1.0, 2.0, 3.0, 6.0]
    assert th["customers"].groupby(level="dimension").sum().tolist() == [4338, 4338, 4338]


def test_segments_cover_the_base(result):
    seg = segkit.rfm_segments(result)
    summary = segkit.segment_summary(seg)
    assert summary["customers"].sum() == 4338
    assert (summary["customers"] > 0).all()  # every default segment occurs on real data
    assert summary["revenue"].sum() == pytest.approx(8_911_407.90, abs=0.05)
    # Champions are a fifth of the customers and most of the revenue.
    assert summary.loc["Champions", "customers"] == 896
    assert summary.loc["Champions", "revenue_share"] > 0.6
    assert summary.loc["Lost", "r_score"] == 1.0
