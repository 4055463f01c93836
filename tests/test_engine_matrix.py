"""The engine's wide customer x period matrix and window totals equal the long-grid computations they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segkit
from segkit.datasets import make_transactions
from segkit.engine import customer_period_matrix, customer_window_totals


@pytest.fixture(scope="module")
def tx() -> segkit.Transactions:
    raw, _ = make_transactions(400, seed=7)
    return segkit.read_transactions(raw)


@pytest.mark.parametrize("period", ["month", "week", "quarter"])
@pytest.mark.parametrize("start", [None, "2024-01-01"])
def test_matrix_equals_pivoted_grid(tx: segkit.Transactions, period: str, start: str | None) -> None:
    as_of = pd.Timestamp("2024-07-01")
    start_ts = None if start is None else segkit.period_start(start, period)
    grid = segkit.customer_periods(tx, period=period, as_of=as_of, start=start_ts, fill_zeros=True)
    wide = customer_period_matrix(
        tx, period=period, as_of=as_of, start=start_ts, metrics=("revenue", "gross_revenue", "n_orders")
    )
    for name in ("revenue", "gross_revenue", "n_orders"):
        expected = grid.pivot(index="customer_id", columns="period", values=name).sort_index()
        got = wide[name]
        assert got.shape == expected.shape and got.shape[0] > 10
        assert list(got.index) == list(expected.index)
        assert (got.columns == expected.columns).all()
        assert got.dtypes.iloc[0] == expected.dtypes.iloc[0]
        np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


def test_window_totals_equal_daily_sums(tx: segkit.Transactions) -> None:
    as_of, start = pd.Timestamp("2024-07-01"), pd.Timestamp("2024-02-10 15:00")
    days = segkit.customer_periods(tx, period="day", as_of=as_of, start=start)
    expected = days.groupby("customer_id")[["revenue", "n_orders"]].sum()
    expected = expected.loc[expected["n_orders"] > 0]
    got = customer_window_totals(tx, start=start, as_of=as_of)
    assert list(got.index) == [str(c) for c in expected.index]
    np.testing.assert_allclose(got["revenue"], expected["revenue"].round(2), rtol=0, atol=1e-9)
    assert (got["n_orders"].to_numpy() == expected["n_orders"].to_numpy()).all()
    # Everything before the start is left out: a customer's totals never exceed the whole history's.
    whole = segkit.customer_summary(tx, as_of=as_of).loc[got.index]
    assert (got["n_orders"] <= whole["n_orders"]).all()


def test_window_units_are_the_difference_of_two_summaries() -> None:
    raw = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b"],
            "order_id": ["1", "2", "r", "3", "4"],
            "order_date": ["2024-01-05", "2024-02-05", "2024-02-06", "2024-01-20", "2024-03-01"],
            "amount": [10.0, 20.0, -5.0, 7.0, 3.0],
            "qty": [1, 2, 1, 4, 5],
        }
    )
    tx = segkit.read_transactions(raw, quantity="qty")
    got = customer_window_totals(tx, start="2024-02-01", as_of="2024-04-01")
    assert got.to_dict("index") == {
        "a": {"revenue": 15.0, "n_orders": 1, "quantity": 2.0},
        "b": {"revenue": 3.0, "n_orders": 1, "quantity": 5.0},
    }
