"""Snapshots: one as-of date and one set of shared aggregates for every analysis."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segkit
from segkit._backend import connection
from segkit.datasets import make_transactions
from segkit.lifecycle._status import _quantile

AS_OF = "2024-10-01"


@pytest.fixture(scope="module")
def tx() -> segkit.Transactions:
    raw, _ = make_transactions(300, seed=7)
    return segkit.read_transactions(raw)


def _temp_tables() -> int:
    return int(connection().raw_sql("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall()[0][0])


def test_snapshot_resolves_the_date_and_window_once(tx):
    snap = segkit.snapshot(tx, as_of=AS_OF)
    assert snap.as_of == pd.Timestamp(AS_OF) and snap.start is None
    assert segkit.snapshot(snap) is snap
    assert snap.at(AS_OF) is snap
    assert segkit.snapshot(tx).as_of == tx.default_as_of
    windowed = segkit.snapshot(snap, window=90)
    assert windowed.start == pd.Timestamp(AS_OF) - pd.Timedelta(days=90)
    assert segkit.snapshot(snap, window="2024-07-03").start == windowed.start
    summary = segkit.customer_summary(windowed)
    assert summary["first_purchase"].min() >= windowed.start
    assert summary["last_purchase"].max() < pd.Timestamp(AS_OF)
    with pytest.raises(segkit.ParameterError, match="window"):
        segkit.snapshot(tx, as_of=AS_OF, window="2025-01-01")
    with pytest.raises(segkit.ParameterError, match="as_of"):
        segkit.snapshot(tx, as_of="2024-10-01 12:00")


def test_engine_functions_accept_a_snapshot_and_give_the_same_tables(tx):
    snap = segkit.snapshot(tx, as_of=AS_OF)
    pd.testing.assert_frame_equal(segkit.customer_summary(snap), segkit.customer_summary(tx, as_of=AS_OF))
    pd.testing.assert_frame_equal(
        segkit.customer_periods(snap, fill_zeros=True),
        segkit.customer_periods(tx, as_of=AS_OF, fill_zeros=True),
    )
    pd.testing.assert_frame_equal(segkit.customer_days(snap), segkit.customer_days(tx, as_of=AS_OF))
    pd.testing.assert_frame_equal(segkit.period_totals(snap), segkit.period_totals(tx, as_of=AS_OF))
    assert segkit.as_of_date(snap) == pd.Timestamp(AS_OF)
    # A different as_of on a snapshot moves it to that date.
    pd.testing.assert_frame_equal(
        segkit.customer_summary(snap, as_of="2024-06-01"), segkit.customer_summary(tx, as_of="2024-06-01")
    )


def test_cached_aggregates_are_shared_and_safe_to_modify(tx):
    snap = segkit.snapshot(tx, as_of=AS_OF)
    first = segkit.customer_summary(snap)
    first["revenue"] = -1.0
    again = segkit.customer_summary(segkit.snapshot(tx, as_of=AS_OF))
    assert (again["revenue"] > -1.0).any()
    # Analyses that read the cached summary without copying it build tables of their own.
    before = segkit.customer_summary(snap)
    assert segkit.customer_summary(snap, copy=False) is segkit.customer_summary(snap, copy=False)
    scores = segkit.rfm(snap).table_
    scores["revenue"] = 0.0
    scores.iloc[0, 0] = -5
    status = segkit.customer_status(snap, inactivity_days=60)
    status["revenue"] = 0.0
    status.loc[status.index[0], "first_purchase"] = pd.Timestamp("1999-01-01")
    pd.testing.assert_frame_equal(segkit.customer_summary(snap), before)
    # The purchase-days table is materialised once per snapshot and reused by every gap-based analysis.
    assert snap.purchase_days() is segkit.snapshot(tx, as_of=AS_OF).purchase_days()


@pytest.mark.parametrize(
    "analysis",
    [
        lambda d, **k: segkit.cohorts(d, **k).retention_,
        lambda d, **k: segkit.customer_status(d, inactivity_days=60, **k),
        lambda d, **k: segkit.client_base(d, **k),
        lambda d, **k: pd.Series([segkit.inactivity_threshold(d, **k)]),
        lambda d, **k: segkit.churn_rate(d, inactivity_days=60, **k),
        lambda d, **k: segkit.churn_durations(d, inactivity_days=60, **k),
        lambda d, **k: segkit.btyd_summary(d, **k),
        lambda d, **k: segkit.customer_features(d, **k),
        lambda d, **k: segkit.survival_curves(d, inactivity_days=60, **k).summary_,
    ],
)
def test_every_analysis_accepts_a_snapshot(tx, analysis):
    from_snapshot = analysis(segkit.snapshot(tx, as_of=AS_OF))
    from_transactions = analysis(tx, as_of=AS_OF)
    if isinstance(from_snapshot, pd.DataFrame):
        pd.testing.assert_frame_equal(from_snapshot, from_transactions)
    else:
        pd.testing.assert_series_equal(from_snapshot, from_transactions)


def test_one_gap_definition(tx):
    """Gaps behind the threshold, the personas' rhythm and the lapses all come from the same days."""
    snap = segkit.snapshot(tx, as_of=AS_OF)
    days = segkit.customer_days(snap)
    gap = days.groupby("customer_id")["day"].diff().dt.days.dropna()
    assert segkit.inactivity_threshold(snap) == int(np.ceil(np.quantile(gap, 0.9)))
    by_customer = gap.groupby(days.loc[gap.index, "customer_id"]).median()
    pd.testing.assert_series_equal(
        segkit.customer_gaps(snap)["gap_median_days"],
        by_customer.rename("gap_median_days"),
        check_names=False,
    )
    status = segkit.customer_status(snap, inactivity_days=60)
    lapses = (gap > 60).groupby(days.loc[gap.index, "customer_id"]).sum()
    assert status["n_lapses"].reindex(lapses.index).tolist() == lapses.tolist()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=60),
    st.floats(min_value=0.01, max_value=0.99),
)
def test_quantile_from_counts_is_numpy_quantile(gaps, q):
    values, counts = np.unique(np.asarray(gaps), return_counts=True)
    assert _quantile(values, counts, q) == float(np.quantile(np.asarray(gaps, dtype=float), q))


def test_dataframe_inputs_leave_no_table_behind():
    raw, _ = make_transactions(40, seed=2)
    segkit.customer_summary(raw)
    gc.collect()
    before = _temp_tables()
    for _ in range(2):
        segkit.customer_status(raw, inactivity_days=60)
        segkit.cohorts(raw)
    gc.collect()
    assert _temp_tables() == before


class _Unreadable:
    def __getattr__(self, name):
        raise AssertionError(f"the engine read Transactions.data.{name}")

    def __getitem__(self, key):
        raise AssertionError("the engine indexed Transactions.data")


def test_engine_uses_to_ibis_and_never_touches_the_frame(tx):
    table = connection().create_table("snapshot_test_source", tx.data, temp=True, overwrite=True)
    try:
        proxy = segkit.Transactions(data=_Unreadable(), quality=tx.quality)
        proxy.to_ibis = lambda: table
        pd.testing.assert_frame_equal(
            segkit.customer_summary(proxy, as_of=AS_OF), segkit.customer_summary(tx, as_of=AS_OF)
        )
        pd.testing.assert_frame_equal(
            segkit.cohorts(proxy, as_of=AS_OF).ltv_, segkit.cohorts(tx, as_of=AS_OF).ltv_
        )
    finally:
        connection().drop_table("snapshot_test_source", force=True)


def test_shared_tables_hold_only_what_the_aggregates_read():
    # The order-day and purchase-day tables are most of what a snapshot keeps in the engine's memory:
    # nothing unread is stored, bit sets take their narrowest integer, and day numbers are derived.
    raw, _ = make_transactions(120, seed=3)
    raw["channel"] = np.where(np.arange(len(raw)) % 2 == 0, "store", "online")
    raw["category"] = [f"cat{i % 12}" for i in range(len(raw))]
    snap = segkit.snapshot(segkit.read_transactions(raw, order="order_id"), as_of=AS_OF)
    od = snap.order_days()
    assert set(od.columns) == {
        "ckey", "day", "is_return", "first", "last", "amount", "margin", "quantity", "bits_category",
        "bits_channel", "orders",
    }  # fmt: skip
    types = od.schema()
    assert types["bits_channel"].is_int8()  # two channels: one byte per order
    assert types["bits_category"].is_int16()  # twelve categories: two bytes
    days = snap.purchase_days()
    assert list(days.columns) == [
        "ckey", "day", "revenue", "n_orders", "day_number", "prev_day_number", "gap_days",
    ]  # fmt: skip
    frame = connection().to_pandas(days.order_by(["ckey", "day"]))
    assert (frame["day_number"] == (pd.to_datetime(frame["day"]) - pd.Timestamp("1970-01-01")).dt.days).all()
    gaps = frame.dropna(subset=["gap_days"])
    assert (gaps["prev_day_number"] == gaps["day_number"] - gaps["gap_days"]).all()
    assert (frame.groupby("ckey")["gap_days"].apply(lambda g: g.isna().sum()) == 1).all()
    summary = segkit.customer_summary(snap)
    assert summary["n_channels"].max() == 2 and summary["n_categories"].max() <= 12


EARLIER = "2024-05-17"


def _spanning_orders(raw: pd.DataFrame) -> pd.DataFrame:
    """The lines with every fifth order continued by a second line one to three days later.

    Orders then span days, and some of them span the earlier date: their first line is seen at that
    date, the second is not.
    """
    later = raw.iloc[::5].copy()
    later["order_date"] = later["order_date"] + pd.to_timedelta(1 + np.arange(len(later)) % 3, unit="D")
    later["amount"] = later["amount"].round(2) / 2
    crossing = raw["order_date"].between(pd.Timestamp(EARLIER) - pd.Timedelta(days=1), pd.Timestamp(EARLIER))
    extra = raw.loc[crossing].assign(order_date=lambda f: f["order_date"] + pd.Timedelta(days=1))
    return pd.concat([raw, later, extra]).sort_values("order_date", kind="stable", ignore_index=True)


def _earlier_results(snap: segkit.Snapshot) -> dict:
    scores = segkit.rfm(snap)
    return {
        "summary": segkit.customer_summary(snap),
        "days": segkit.customer_days(snap),
        "gaps": segkit.customer_gaps(snap),
        "status": segkit.customer_status(snap),
        "status_given": segkit.customer_status(snap, inactivity_days=45),
        "rfm": scores.table_,
        "segments": segkit.rfm_segments(scores),
        "period_totals": segkit.period_totals(snap),
        "threshold": segkit.inactivity_threshold(snap),
        "single_day_orders": snap.single_day_orders(),
    }


def _assert_same_results(got: dict, want: dict) -> None:
    for name, value in want.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(got[name], value, obj=name)
        else:
            assert got[name] == value, name


@pytest.mark.parametrize("spanning", [False, True], ids=["orders-on-one-day", "orders-spanning-days"])
@pytest.mark.parametrize("window", [None, "2023-06-01"])
def test_an_earlier_snapshot_cuts_the_later_tables_and_matches_a_rebuild(spanning, window):
    raw, _ = make_transactions(300, seed=7)
    raw = _spanning_orders(raw) if spanning else raw
    cut, rebuilt = segkit.read_transactions(raw), segkit.read_transactions(raw)
    later = segkit.snapshot(cut, as_of=AS_OF, window=window)
    segkit.customer_status(later, inactivity_days=45)  # builds the order days and purchase days
    n_tables = _temp_tables()
    earlier = later.at(EARLIER)
    got = _earlier_results(earlier)
    # Cut from the later snapshot's tables: no order-day or purchase-day table of its own.
    assert _temp_tables() == n_tables
    want = _earlier_results(segkit.snapshot(rebuilt, as_of=EARLIER, window=window))
    assert got["single_day_orders"] is (not spanning)
    _assert_same_results(got, want)
    if spanning:  # the crossing orders are counted at the earlier date, once
        assert (got["summary"]["n_orders"] > 0).all()


def test_status_transitions_and_migration_baseline_read_the_as_of_snapshot():
    raw, _ = make_transactions(300, seed=7)
    raw = _spanning_orders(raw)
    cut, rebuilt = segkit.read_transactions(raw), segkit.read_transactions(raw)
    segkit.customer_status(cut, as_of=AS_OF, inactivity_days=45)
    n_tables = _temp_tables()
    moves = segkit.status_transitions(cut, previous=EARLIER, as_of=AS_OF, inactivity_days=45)
    baseline = segkit.migration_baseline(cut, as_of=AS_OF, lookback_days=137)
    assert _temp_tables() == n_tables  # the earlier statuses and scores scanned nothing again
    # The same figures as the earlier date's own build.
    segkit.customer_status(rebuilt, as_of=AS_OF, inactivity_days=45)
    before = segkit.customer_status(segkit.snapshot(rebuilt, as_of=EARLIER), inactivity_days=45)
    assert moves.sum(axis=1).drop("not_yet_customer").to_dict() == before["status"].value_counts().to_dict()
    assert baseline.as_of == pd.Timestamp(EARLIER)
    scores = segkit.rfm(segkit.read_transactions(raw), as_of=EARLIER)
    pd.testing.assert_frame_equal(baseline.segments, segkit.rfm_segments(scores))


def test_a_snapshot_cut_from_a_cut_one_still_matches_a_rebuild():
    # Three dates on orders that span days: the middle one is cut from the latest, the earliest from the
    # middle one before the middle one has asked whether its orders span days.
    raw = _spanning_orders(make_transactions(300, seed=7)[0])
    cut, rebuilt = segkit.read_transactions(raw), segkit.read_transactions(raw)
    latest = segkit.snapshot(cut, as_of=AS_OF)
    latest.purchase_days()
    middle = latest.at("2024-07-01")
    middle.order_days()
    middle.purchase_days()
    n_tables = _temp_tables()
    got = _earlier_results(middle.at(EARLIER))
    assert _temp_tables() == n_tables
    want = _earlier_results(segkit.snapshot(rebuilt, as_of=EARLIER))
    _assert_same_results(got, want)
    assert middle.single_day_orders() is False


def test_earlier_snapshots_on_online_retail_match_a_rebuild(online_retail_path):
    # Real orders with cancellations netted: statuses, RFM segments and transitions half a year earlier,
    # cut from the report date's tables, equal the earlier date's own build.
    options = {
        "customer": "CustomerID",
        "date": "InvoiceDate",
        "order": "InvoiceNo",
        "quantity": "Quantity",
        "price": "UnitPrice",
        "cancel_prefix": "C",
        "attributes": ["Country"],
    }
    cut = segkit.read_transactions(online_retail_path, **options)
    rebuilt = segkit.read_transactions(online_retail_path, **options)
    as_of, earlier = "2011-12-10", "2011-06-15"
    segkit.customer_status(cut, as_of=as_of)
    n_tables = _temp_tables()
    got = _earlier_results(segkit.snapshot(cut, as_of=as_of).at(earlier))
    moves = segkit.status_transitions(cut, previous=earlier, as_of=as_of)
    assert _temp_tables() == n_tables
    want = _earlier_results(segkit.snapshot(rebuilt, as_of=earlier))
    _assert_same_results(got, want)
    segkit.customer_status(rebuilt, as_of=as_of)
    pd.testing.assert_frame_equal(moves, segkit.status_transitions(rebuilt, previous=earlier, as_of=as_of))


def test_dropped_per_customer_results_do_not_stay_in_the_snapshot(tx):
    import weakref

    from segkit.value._abc import ABCResult
    from segkit.value._xyz import XYZResult

    snap = segkit.snapshot(tx)
    kept = segkit.abc(snap)
    # A comparison that keeps only the summaries: their per-customer tables are freed with the results.
    summary = segkit.abc(snap, method="average_multiple").summary_
    segkit.xyz(snap, method="cv")
    gc.collect()
    alive = [v() if isinstance(v, weakref.ref) else v for v in snap._cache.values.values()]
    results = [v for v in alive if isinstance(v, ABCResult | XYZResult)]
    assert [r.method for r in results] == ["cumulative"]
    assert len(summary) > 0
    # The kept result's original is still the one the next call is handed a copy of.
    again = segkit.abc(snap)
    assert again._rows.keys is kept._rows.keys and again.table_ is not kept.table_
    pd.testing.assert_frame_equal(again.table_, kept.table_)


def test_results_over_the_same_customers_share_their_ids(tx):
    snap = segkit.snapshot(tx)
    a = segkit.abc(snap)
    b = segkit.abc(snap, method="average_multiple")
    # One text copy of the ids per order of the customers, not one per result; indexes stay separate.
    assert np.shares_memory(
        np.asarray(a.table_.index.array._pa_array.chunk(0).buffers()[2]),
        np.asarray(b.table_.index.array._pa_array.chunk(0).buffers()[2]),
    )
    b.table_.index.name = "client"
    assert a.table_.index.name == "customer_id"
    pd.testing.assert_index_equal(a.table_.index, b.table_.index.rename("customer_id"))


def _all_results(tx: segkit.Transactions) -> dict:
    snap = segkit.snapshot(tx, as_of=AS_OF)
    return {
        "rfm": segkit.rfm_segments(segkit.rfm(snap)),
        "abc": segkit.abc(snap),
        "xyz": segkit.xyz(snap),
        "abc_xyz": segkit.abc_xyz(snap),
        "status": segkit.customer_status(snap),
        "cohorts": segkit.cohorts(snap),
        "btyd": segkit.btyd_summary(snap),
    }


def test_large_engine_tables_kept_as_files_give_the_same_results(monkeypatch):
    from segkit.engine import _table

    raw, _ = make_transactions(300, seed=7)

    def compare(got, want):
        if isinstance(want, pd.DataFrame):
            pd.testing.assert_frame_equal(got, want, check_exact=True)
            return 1
        if isinstance(want, pd.Series):
            pd.testing.assert_series_equal(got, want, check_exact=True)
            return 1
        fields = getattr(want, "__dict__", None) or {
            f: getattr(want, f) for f in getattr(want, "__dataclass_fields__", {})
        }
        return sum(compare(getattr(got, f), v) for f, v in fields.items())

    want = _all_results(segkit.read_transactions(raw))
    views = []
    original = _table._to_file

    def spy(backend, table, name):
        moved = original(backend, table, name)
        if moved is not None:
            views.append(moved[1])
        return moved

    monkeypatch.setattr(_table, "FILE_ROWS", 0)
    monkeypatch.setattr(_table, "_to_file", spy)
    got = _all_results(segkit.read_transactions(raw))
    assert views, "no engine table was kept as a file"
    assert all(p.exists() for p in views)
    for key, value in want.items():
        assert compare(got[key], value) > 0, key
    del got
    gc.collect()
