"""ABC, XYZ and ABC-XYZ on the snapshot's compact keys give the figures of the dense definitions.

The engine computes XYZ statistics as one aggregate (zero periods added arithmetically) and ABC over a
window on the snapshot's own order-day table; these tests check them against the definitions written
out densely in numpy on the public engine's customers x periods matrix, on a base with returns, customers
joining mid-window, an order spanning two days across the window's end, and returns-only customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segkit
from segkit.engine import customer_period_matrix


def _base(seed: int = 11, n_customers: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_customers):
        joined = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 520)))
        for k in range(int(rng.integers(1, 14))):
            day = joined + pd.Timedelta(days=int(rng.integers(0, 200)) * (k % 3))
            if day >= pd.Timestamp("2024-07-20"):
                continue
            amount = float(np.round(rng.gamma(2.0, 60.0), 2))
            rows.append((f"c{c:03d}", f"o{c}-{k}", day, amount))
            if rng.random() < 0.1:  # a return of part of it, the next week
                rows.append((f"c{c:03d}", f"r{c}-{k}", day + pd.Timedelta(days=7), -round(amount / 2, 2)))
    # An order whose lines fall on two days, across the start of July (the XYZ window's end).
    rows += [("c000", "split", pd.Timestamp("2024-06-30 23:00"), 40.0)]
    rows += [("c000", "split", pd.Timestamp("2024-07-01 01:00"), 60.0)]
    # A customer whose only line in the window is a return (not on the XYZ table, inactive for ABC).
    rows += [("ret", "r-only-1", pd.Timestamp("2023-02-01"), 80.0)]
    rows += [("ret", "r-only-2", pd.Timestamp("2024-03-01"), -80.0)]
    return pd.DataFrame(rows, columns=["customer_id", "order_id", "order_date", "amount"])


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return _base()


def _dense_xyz(
    tx: segkit.Transactions, result: segkit.XYZResult, *, column: str, ddof: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The XYZ statistics written out on the dense matrix: zeros in, periods before the first purchase out."""
    start, end = result.window_
    metrics = tuple(dict.fromkeys((column, "n_orders")))
    wide = customer_period_matrix(tx, period="month", as_of=end, start=start, metrics=metrics)
    values, orders = wide[column], wide["n_orders"]
    if result.count_from == "window":
        counted = np.ones(values.shape, dtype=bool)
    else:
        firsts = segkit.customer_summary(tx, as_of=result.as_of)["first_purchase"].reindex(values.index)
        ends = pd.DatetimeIndex(values.columns) + pd.offsets.MonthBegin(1)
        counted = ends.to_numpy()[None, :] > firsts.to_numpy(dtype="datetime64[ns]")[:, None]
    x = values.to_numpy(dtype=float)
    k = counted.sum(axis=1)
    mean = np.where(counted, x, 0.0).sum(axis=1) / k
    std = np.sqrt((np.where(counted, x - mean[:, None], 0.0) ** 2).sum(axis=1) / (k - ddof))
    active = ((orders.to_numpy() > 0) & counted).sum(axis=1)
    stats = {"n_periods": k, "active_periods": active, "mean": mean, "std": std}
    return pd.DataFrame(stats, index=values.index), values


@pytest.mark.parametrize(
    ("count_from", "ddof", "measure"),
    [("first_purchase", 0, "revenue"), ("window", 1, "gross_revenue"), ("first_purchase", 1, "orders")],
)
def test_engine_xyz_statistics_equal_the_dense_definition(base, count_from, ddof, measure) -> None:
    tx = segkit.read_transactions(base)
    r = segkit.xyz(tx, method="cv", count_from=count_from, ddof=ddof, measure=measure, as_of="2024-07-20")
    column = {"revenue": "revenue", "gross_revenue": "gross_revenue", "orders": "n_orders"}[measure]
    dense, wide = _dense_xyz(tx, r, column=column, ddof=ddof)
    assert list(r.table_.index) == list(dense.index)
    assert "ret" not in r.table_.index  # a return alone is no purchase in the window
    for name in ("n_periods", "active_periods"):
        np.testing.assert_array_equal(r.table_[name].to_numpy(), dense[name].to_numpy())
    for name in ("mean", "std"):
        np.testing.assert_allclose(r.table_[name].to_numpy(), dense[name].to_numpy(), rtol=1e-12, atol=1e-9)
    # The lazily built matrix is the dense one with the uncounted periods blanked.
    shown = r.periods_
    assert shown.shape == wide.shape
    np.testing.assert_array_equal(shown.notna().sum(axis=1).to_numpy(), dense["n_periods"].to_numpy())
    np.testing.assert_allclose(shown.fillna(0).to_numpy(), wide.where(shown.notna(), 0).to_numpy())


def test_abc_xyz_joins_the_cached_analyses_of_its_snapshot(base) -> None:
    snap = segkit.snapshot(base, as_of="2024-07-20")
    m = segkit.abc_xyz(snap)
    again = segkit.abc_xyz(snap, strategies={"CZ": "Call them."})
    # Same parameters on the same snapshot: the cached ABC and XYZ, not a recomputation (the engine keys
    # are the cached arrays), each handed out as a copy of its own.
    assert again.abc_._rows.keys is m.abc_._rows.keys and again.xyz_._rows.keys is m.xyz_._rows.keys
    assert again.abc_ is not m.abc_ and again.abc_.table_ is not m.abc_.table_
    assert again.xyz_ is not m.xyz_ and again.xyz_.table_ is not m.xyz_.table_
    pd.testing.assert_frame_equal(again.abc_.table_, m.abc_.table_)
    pd.testing.assert_frame_equal(again.xyz_.table_, m.xyz_.table_)
    start, end = m.xyz_.window_
    # The ABC axis is the ABC of the XYZ window, as a separate call over that window computes it.
    alone = segkit.abc(base, as_of=end, start=start)
    pd.testing.assert_frame_equal(m.abc_.table_, alone.table_)
    assert "ret" not in m.table_.index  # only a return in the window: no purchase to rank
    assert m.abc_.cutoffs_ == alone.cutoffs_
    xyz_alone = segkit.xyz(base, as_of="2024-07-20")
    pd.testing.assert_frame_equal(m.xyz_.table_, xyz_alone.table_)
    # Each row carries its XYZ figures by id; customers without a purchase in the window are inactive.
    joined = m.table_.join(xyz_alone.table_[["xyz_class", "regularity"]], rsuffix="_xyz")
    inside = joined["xyz_class_xyz"].notna()
    assert (joined.loc[inside, "xyz_class"] == joined.loc[inside, "xyz_class_xyz"]).all()
    np.testing.assert_allclose(joined.loc[inside, "regularity"], joined.loc[inside, "regularity_xyz"])
    assert (m.table_.loc[~inside.to_numpy(), "xyz_class"] == "inactive").all()
    # The matrix counts every customer once and adds up to the net revenue of the window.
    assert m.matrix_["n_customers"].sum() == len(m.table_)
    assert m.matrix_["revenue"].sum() == pytest.approx(m.table_["revenue"].sum())


def test_abc_window_all_and_public_copies(base) -> None:
    snap = segkit.snapshot(base, as_of="2024-07-20")
    m = segkit.abc_xyz(snap, abc_window="all", d_rule="none")
    pd.testing.assert_frame_equal(m.abc_.table_, segkit.abc(base, as_of="2024-07-20", d_rule="none").table_)
    # Net revenue zero over all history, but its purchase order counts; no purchase in the XYZ window.
    assert m.table_.loc["ret", "xyz_class"] == "inactive"
    first = segkit.abc(snap, d_rule="none")
    first.table_["abc_class"] = "changed"  # a caller's edits never reach the snapshot's cache
    assert (segkit.abc(snap, d_rule="none").table_["abc_class"] != "changed").all()


def test_one_window_is_aggregated_once_for_every_method_value_and_the_matrix(base, monkeypatch) -> None:
    from segkit.value import _concentration

    built = []
    original = _concentration.customer_totals

    def counted(snap, **window):
        built.append(window)
        return original(snap, **window)

    monkeypatch.setattr(_concentration, "customer_totals", counted)
    tx = segkit.read_transactions(base)
    m = segkit.abc_xyz(tx, as_of="2024-07-01")  # as the ABC-XYZ page runs it: at the window's end
    start, end = m.xyz_.window_
    results = [segkit.abc(tx, method=k, start=start, as_of=end) for k in abc_methods()]
    health = segkit.concentration(tx, start=start, as_of=end)
    assert len(built) == 1  # the ABC-XYZ page's window: one aggregate for every ranking over it
    # The methods over the matrix's window: the matrix's own ABC, and the same figures as before.
    pd.testing.assert_frame_equal(results[0].table_, m.abc_.table_)
    assert health.to_frame().equals(
        segkit.concentration(segkit.read_transactions(base), start=start, as_of=end).to_frame()
    )


def abc_methods() -> tuple[str, ...]:
    return ("cumulative", "average_multiple", "volume_frequency")
