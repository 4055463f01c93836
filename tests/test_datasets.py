"""Tests of the synthetic transaction generator and of the committed sample it produced."""

from __future__ import annotations

import doctest
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

import segkit.datasets as datasets
from segkit.datasets import CATEGORIES, CHANNELS, REGIONS, TRUE_TYPES, make_transactions

DATA = Path(__file__).parents[1] / "data"
START, END = pd.Timestamp("2023-01-01"), pd.Timestamp("2024-12-31")
# The report date analyses use for this window: the day after the last day.
AS_OF = END + pd.Timedelta(days=1)
SAMPLE_SEED = 42


@pytest.fixture(scope="module")
def sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The frames behind the committed sample (default window, 2000 customers, seed 42)."""
    return make_transactions(2000, seed=SAMPLE_SEED)


@pytest.fixture(scope="module")
def tx(sample: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    return sample[0]


@pytest.fixture(scope="module")
def customers(sample: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    return sample[1]


@pytest.fixture(scope="module")
def purchases(tx: pd.DataFrame) -> pd.DataFrame:
    return tx[tx["order_id"].str.startswith("O")]


@pytest.fixture(scope="module")
def returns(tx: pd.DataFrame) -> pd.DataFrame:
    return tx[tx["order_id"].str.startswith("R")]


def _ids_of(customers: pd.DataFrame, true_type: str) -> pd.Index:
    return pd.Index(customers.loc[customers["true_type"] == true_type, "customer_id"])


def _features(tx: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Per-customer recency, frequency, revenue, tenure and basket, as an analyst would compute them.

    Customers of every type are won throughout the window, so the order count mixes how often a customer
    buys with how long they have been one; orders per month since the first purchase separates the two.
    """
    buys = tx[tx["amount"] > 0]
    by_customer = buys.groupby("customer_id")["order_date"]
    features = pd.DataFrame(
        {
            "recency": (AS_OF - by_customer.max()).dt.days,
            "orders": buys.groupby("customer_id")["order_id"].nunique(),
            "revenue": tx.groupby("customer_id")["amount"].sum().clip(lower=0),
            "tenure": (by_customer.max() - by_customer.min()).dt.days,
        }
    )
    features["aov"] = features["revenue"] / features["orders"]
    features["orders_per_month"] = features["orders"] / ((AS_OF - by_customer.min()).dt.days + 1) * 30.44
    return features.loc[customers["customer_id"]]


# --- determinism and the committed sample ---------------------------------------------------------------


def test_same_seed_gives_equal_frames(sample: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    again = make_transactions(2000, seed=SAMPLE_SEED)
    pd.testing.assert_frame_equal(sample[0], again[0])
    pd.testing.assert_frame_equal(sample[1], again[1])


def test_different_seed_gives_different_frames(sample: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    other_tx, other_customers = make_transactions(2000, seed=SAMPLE_SEED + 1)
    assert not other_tx.equals(sample[0])
    assert not other_customers.equals(sample[1])


def test_committed_sample_matches_a_fresh_regeneration(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # Goes through the command line entry point, so the documented command is what is tested.
    datasets.main([str(tmp_path)])
    assert "sample_transactions.csv" in capsys.readouterr().out
    for name in ("sample_transactions.csv", "sample_customers.csv", *datasets.B2B_FILES):
        committed = (DATA / name).read_bytes()
        fresh = (tmp_path / name).read_bytes()
        assert fresh == committed, f"{name} differs; regenerate with `python -m segkit.datasets data/`"
    assert (DATA / "sample_transactions.csv").stat().st_size < 3_000_000


def test_committed_sample_reads_back_as_the_generated_frames(
    sample: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    tx, customers = sample
    read_tx = pd.read_csv(DATA / "sample_transactions.csv", parse_dates=["order_date"])
    assert list(read_tx.columns) == list(tx.columns)
    assert read_tx["order_id"].tolist() == tx["order_id"].tolist()
    np.testing.assert_array_equal(read_tx["amount"].to_numpy(), tx["amount"].to_numpy())
    np.testing.assert_array_equal(read_tx["margin"].to_numpy(), tx["margin"].to_numpy())
    assert (read_tx["order_date"].to_numpy() == tx["order_date"].to_numpy()).all()
    read_customers = pd.read_csv(
        DATA / "sample_customers.csv", parse_dates=["first_purchase", "dropout_date"]
    )
    assert list(read_customers.columns) == list(customers.columns)
    for column in ("purchase_rate", "spend_level", "margin_rate"):
        np.testing.assert_array_equal(read_customers[column].to_numpy(), customers[column].to_numpy())
    assert read_customers["dropout_date"].isna().tolist() == customers["dropout_date"].isna().tolist()


def test_write_samples_is_byte_stable(tmp_path: Path) -> None:
    first = [p.read_bytes() for p in datasets.write_samples(tmp_path / "a", n_customers=300, seed=3)]
    second = [p.read_bytes() for p in datasets.write_samples(tmp_path / "b", n_customers=300, seed=3)]
    assert first == second
    text = first[0].decode("utf-8")
    assert "\r" not in text
    assert text.splitlines()[0] == ",".join(datasets.TRANSACTION_COLUMNS)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(datasets, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_two_thousand_customers_are_fast() -> None:
    started = time.perf_counter()
    make_transactions(2000, seed=7)
    assert time.perf_counter() - started < 2.0


# --- schema -----------------------------------------------------------------------------------------------


def test_transactions_schema(tx: pd.DataFrame) -> None:
    assert tuple(tx.columns) == datasets.TRANSACTION_COLUMNS
    for column in ("customer_id", "order_id", "category", "channel"):
        assert pd.api.types.is_string_dtype(tx[column]), column
    assert pd.api.types.is_datetime64_dtype(tx["order_date"])
    assert pd.api.types.is_float_dtype(tx["amount"])
    assert pd.api.types.is_float_dtype(tx["margin"])
    assert pd.api.types.is_integer_dtype(tx["quantity"])
    assert not tx.isna().any().any()
    assert tx["customer_id"].str.fullmatch(r"C\d{5}").all()
    assert tx["order_id"].str.fullmatch(r"[OR]\d{7}").all()
    assert tx["order_id"].is_unique
    assert set(tx["category"]) == set(CATEGORIES)
    assert set(tx["channel"]) == set(CHANNELS)
    assert tx.index.equals(pd.RangeIndex(len(tx)))


def test_transactions_are_sorted_by_date_then_order_id(tx: pd.DataFrame) -> None:
    expected = tx.sort_values(["order_date", "order_id"], kind="stable")
    assert expected.index.equals(tx.index)


def test_order_numbers_follow_purchase_time(purchases: pd.DataFrame) -> None:
    numbers = purchases["order_id"].str[1:].astype(int).to_numpy()
    np.testing.assert_array_equal(numbers, np.arange(1, len(purchases) + 1))


def test_money_is_in_cents_and_margin_follows_the_customer_rate(
    tx: pd.DataFrame, customers: pd.DataFrame
) -> None:
    for column in ("amount", "margin"):
        cents = tx[column].to_numpy() * 100
        np.testing.assert_allclose(cents, np.round(cents), atol=1e-6)
    rate = tx["customer_id"].map(customers.set_index("customer_id")["margin_rate"])
    np.testing.assert_allclose(tx["margin"], tx["amount"] * rate, atol=0.005 + 1e-9)
    assert customers.loc[customers["margin_rate"] > 0, "margin_rate"].between(0.15, 0.40).all()


def test_customers_schema(customers: pd.DataFrame) -> None:
    assert tuple(customers.columns) == datasets.CUSTOMER_COLUMNS
    assert customers["customer_id"].tolist() == [f"C{i:05d}" for i in range(1, 2001)]
    for column in ("true_type", "region", "favourite_category", "preferred_channel"):
        assert pd.api.types.is_string_dtype(customers[column]), column
    assert set(customers["true_type"]) == set(TRUE_TYPES)
    assert set(customers["region"]) == set(REGIONS)
    assert set(customers["favourite_category"]) <= set(CATEGORIES)
    assert set(customers["preferred_channel"]) == set(CHANNELS)
    assert pd.api.types.is_datetime64_dtype(customers["first_purchase"])
    assert pd.api.types.is_datetime64_dtype(customers["dropout_date"])
    assert (customers["spend_level"] > 0).all()


def test_type_shares_are_exact(customers: pd.DataFrame) -> None:
    counts = customers["true_type"].value_counts().to_dict()
    assert counts == {
        "loyal_high": 200,
        "regular": 500,
        "one_off": 500,
        "churned": 400,
        "new": 200,
        "seasonal": 200,
    }


def test_ids_widen_for_large_bases() -> None:
    tx, customers = make_transactions(1, seed=0)
    assert customers["customer_id"].tolist() == ["C00001"]
    assert len(tx) >= 1
    assert datasets._ids("C", np.array([1, 123456]), 5).tolist() == ["C000001", "C123456"]


# --- dates, customers and planted behaviour ------------------------------------------------------------------


def test_all_dates_fall_on_window_days_within_shop_hours(tx: pd.DataFrame) -> None:
    dates = tx["order_date"]
    assert dates.min() >= START
    assert dates.max() < END + pd.Timedelta(days=1)
    assert dates.dt.hour.between(datasets.SHOP_HOURS[0], datasets.SHOP_HOURS[1] - 1).all()


def test_every_customer_buys_and_first_purchase_is_the_first_order(
    purchases: pd.DataFrame, customers: pd.DataFrame
) -> None:
    assert set(purchases["customer_id"]) == set(customers["customer_id"])
    first = purchases.groupby("customer_id")["order_date"].min()
    pd.testing.assert_series_equal(
        customers.set_index("customer_id")["first_purchase"], first, check_names=False
    )


def test_one_off_customers_buy_exactly_once_before_the_last_90_days(
    purchases: pd.DataFrame, customers: pd.DataFrame
) -> None:
    ids = _ids_of(customers, "one_off")
    mine = purchases[purchases["customer_id"].isin(ids)]
    assert (mine.groupby("customer_id").size().reindex(ids) == 1).all()
    # Someone who bought once within the last 90 days is a new customer, not (yet) a one-off buyer.
    assert (mine["order_date"] < AS_OF - pd.Timedelta(days=90)).all()
    # ... and they are won all along the window before that.
    months = set(mine["order_date"].dt.to_period("M"))
    assert set(pd.period_range(START, AS_OF - pd.Timedelta(days=91), freq="M")) <= months


def test_every_month_wins_customers_and_recent_cohorts_come_back(
    purchases: pd.DataFrame, customers: pd.DataFrame
) -> None:
    first = customers.set_index("customer_id")["first_purchase"]
    won = first.dt.to_period("M").value_counts()
    assert set(pd.period_range(START, END, freq="M")) <= set(won.index)
    # A gentle curve with a gift-season peak: no start-of-window stock, no empty or near-empty stretch.
    assert won.min() >= 0.5 * won.median()
    assert won.max() <= 2.5 * won.median()
    # Cohorts won in the first half of 2024 are not all one-off buyers: many of them buy again later.
    cohort = purchases["customer_id"].map(first.dt.to_period("M"))
    later = purchases["order_date"].dt.to_period("M") > cohort
    returning = purchases.loc[later].groupby(cohort[later])["customer_id"].nunique()
    for month in pd.period_range("2024-01", "2024-06", freq="M"):
        assert returning.get(month, 0) >= 0.2 * won[month], month


def test_long_lived_types_are_won_throughout_the_window(customers: pd.DataFrame) -> None:
    quarter = customers["first_purchase"].dt.to_period("Q")
    kind = customers["true_type"]
    # Regular and one-off customers are won until the new customers' window; loyal ones need a few months
    # to show their frequency and churners to buy and then stay silent, so they are won until the spring.
    for planted, last in [
        ("regular", "2024Q3"),
        ("one_off", "2024Q3"),
        ("loyal_high", "2024Q2"),
        ("churned", "2024Q1"),
    ]:
        assert set(pd.period_range("2023Q1", last, freq="Q")) <= set(quarter[kind == planted]), planted
    # Seasonal customers are won in a gift season, but they are not all that the season wins.
    in_season = customers["first_purchase"].dt.month >= 11
    assert in_season[kind == "seasonal"].all()
    first_season = in_season & (customers["first_purchase"] < START + pd.DateOffset(years=1))
    assert (kind[first_season] != "seasonal").mean() > 0.2


def test_new_customers_start_in_the_last_90_days_with_one_to_four_orders(
    purchases: pd.DataFrame, customers: pd.DataFrame
) -> None:
    ids = _ids_of(customers, "new")
    mine = purchases[purchases["customer_id"].isin(ids)]
    assert (mine["order_date"] >= AS_OF - pd.Timedelta(days=90)).all()
    counts = mine.groupby("customer_id").size().reindex(ids)
    assert counts.between(1, 4).all()
    assert counts.nunique() > 1


def test_churners_stop_for_good_at_least_four_months_before_the_end(
    tx: pd.DataFrame, customers: pd.DataFrame
) -> None:
    churned = customers["true_type"] == "churned"
    assert customers.loc[~churned, "dropout_date"].isna().all()
    dropout = customers.loc[churned].set_index("customer_id")["dropout_date"]
    assert dropout.notna().all()
    assert (dropout <= END - pd.DateOffset(months=4)).all()
    mine = tx[tx["customer_id"].isin(dropout.index)]
    # Returns too: nothing at all happens on or after the dropout date.
    assert (mine["order_date"] < mine["customer_id"].map(dropout)).all()


def test_churners_decline_before_they_stop(purchases: pd.DataFrame, customers: pd.DataFrame) -> None:
    truth = customers[customers["true_type"] == "churned"].set_index("customer_id")
    mine = purchases[purchases["customer_id"].isin(truth.index)]
    start = mine["customer_id"].map(truth["first_purchase"])
    stop = mine["customer_id"].map(truth["dropout_date"])
    progress = (mine["order_date"] - start) / (stop - start)
    early, late = mine[progress < 1 / 3], mine[progress >= 2 / 3]
    assert len(late) < 0.6 * len(early)
    assert late["amount"].median() < 0.85 * early["amount"].median()


def test_seasonal_customers_buy_almost_only_in_november_and_december(
    purchases: pd.DataFrame, customers: pd.DataFrame
) -> None:
    mine = purchases[purchases["customer_id"].isin(_ids_of(customers, "seasonal"))]
    in_season = mine["order_date"].dt.month >= 11
    assert in_season.mean() > 0.9
    per_season = mine[in_season].groupby(["customer_id", mine["order_date"].dt.year]).size()
    assert per_season.between(1, 3).all()
    assert mine["amount"].median() > purchases["amount"].median()


def test_loyal_and_regular_customers_stay_active_to_the_end(
    purchases: pd.DataFrame, customers: pd.DataFrame
) -> None:
    last = purchases.groupby("customer_id")["order_date"].max()
    first = purchases.groupby("customer_id")["order_date"].min()
    loyal = _ids_of(customers, "loyal_high")
    assert (last[loyal] >= END - pd.Timedelta(days=60)).mean() > 0.95
    # Loyal customers are won throughout the window, not only at its start, and every one of them keeps
    # buying: even those won last have a second purchase.
    assert (first[loyal] >= START + pd.DateOffset(months=12)).mean() > 0.25
    assert (purchases[purchases["customer_id"].isin(loyal)].groupby("customer_id").size() >= 2).all()
    regular = _ids_of(customers, "regular")
    assert (last[regular] >= END - pd.DateOffset(months=6)).mean() > 0.8


def test_purchase_rates_vary_within_each_type(customers: pd.DataFrame) -> None:
    repeat = customers[customers["true_type"] != "one_off"]
    spread = repeat.groupby("true_type")["purchase_rate"].agg(lambda r: r.std() / r.mean())
    assert (spread > 0.2).all()
    loyal = repeat.loc[repeat["true_type"] == "loyal_high", "purchase_rate"]
    regular = repeat.loc[repeat["true_type"] == "regular", "purchase_rate"]
    assert 1.5 <= loyal.median() <= 3.0
    assert 0.3 <= regular.median() <= 0.8
    assert (customers.loc[customers["true_type"] == "one_off", "purchase_rate"] == 0).all()


# --- aggregate shapes the analyses rely on --------------------------------------------------------------------


def test_revenue_follows_a_pareto_shape(tx: pd.DataFrame) -> None:
    revenue = tx.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    top = revenue.iloc[: len(revenue) // 5].sum() / revenue.sum()
    assert 0.6 <= top <= 0.8


def test_monthly_revenue_peaks_in_november_december_and_dips_in_summer(
    tx: pd.DataFrame, customers: pd.DataFrame
) -> None:
    monthly = tx.set_index("order_date")["amount"].resample("MS").sum()
    by_month = monthly.groupby(monthly.index.month).mean()
    summer = by_month[[6, 7, 8]].mean()
    assert by_month[[11, 12]].mean() > 1.5 * summer
    assert summer < by_month[[3, 4, 5, 9, 10]].mean()
    # Not only the seasonal type: loyal customers' own revenue follows the same curve.
    loyal = tx[tx["customer_id"].isin(_ids_of(customers, "loyal_high"))]
    loyal_monthly = loyal.set_index("order_date")["amount"].resample("MS").sum()
    loyal_by_month = loyal_monthly.groupby(loyal_monthly.index.month).mean()
    assert loyal_by_month[[11, 12]].mean() > 1.3 * loyal_by_month[[6, 7, 8]].mean()


def test_kmeans_recovers_the_planted_types(tx: pd.DataFrame, customers: pd.DataFrame) -> None:
    features = np.log1p(_features(tx, customers))
    scaled = StandardScaler().fit_transform(features)
    labels = KMeans(n_clusters=6, n_init=10, random_state=0).fit_predict(scaled)
    ari = adjusted_rand_score(customers["true_type"], labels)
    assert ari >= 0.6, ari


def test_returns_are_rare_later_and_negative(
    tx: pd.DataFrame, purchases: pd.DataFrame, returns: pd.DataFrame
) -> None:
    assert 0.01 <= len(returns) / len(purchases) <= 0.02
    assert (returns["amount"] < 0).all()
    assert (returns["quantity"] < 0).all()
    assert (returns["order_date"] <= END + pd.Timedelta(days=1)).all()
    original = purchases.set_index(purchases["order_id"].str[1:]).loc[returns["order_id"].str[1:]]
    assert (original["customer_id"].to_numpy() == returns["customer_id"].to_numpy()).all()
    assert (original["order_date"].to_numpy() < returns["order_date"].to_numpy()).all()
    assert (-returns["quantity"].to_numpy() <= original["quantity"].to_numpy()).all()
    assert (-returns["amount"].to_numpy() <= original["amount"].to_numpy()).all()
    assert (purchases["amount"] > 0).all() and (purchases["quantity"] > 0).all()


def test_a_few_percent_of_customers_lose_money(tx: pd.DataFrame) -> None:
    margin = tx.groupby("customer_id")["margin"].sum()
    assert 0.02 <= (margin < 0).mean() <= 0.06


def test_customers_mostly_buy_their_favourite_category_in_their_preferred_channel(
    purchases: pd.DataFrame, customers: pd.DataFrame
) -> None:
    truth = customers.set_index("customer_id")
    favourite = purchases["category"] == purchases["customer_id"].map(truth["favourite_category"])
    preferred = purchases["channel"] == purchases["customer_id"].map(truth["preferred_channel"])
    assert 0.6 <= favourite.mean() <= 0.9
    assert 0.7 <= preferred.mean() <= 0.95


@pytest.mark.parametrize(("start", "end"), [("2021-03-15", "2022-03-14"), ("2019-07-01", "2024-06-30")])
def test_other_windows_keep_every_type_inside_them(start: str, end: str) -> None:
    tx, customers = make_transactions(300, seed=5, start=start, end=end)
    first, after = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    assert tx["order_date"].min() >= first
    assert tx["order_date"].max() < after
    buys = tx[tx["amount"] > 0]
    assert set(customers["customer_id"]) == set(buys["customer_id"])
    seasonal = buys[buys["customer_id"].isin(_ids_of(customers, "seasonal"))]
    assert (seasonal["order_date"].dt.month >= 11).mean() > 0.8
    one_off = buys[buys["customer_id"].isin(_ids_of(customers, "one_off"))]
    assert one_off["customer_id"].is_unique
    assert (one_off["order_date"] < after - pd.Timedelta(days=90)).all()
    new = buys[buys["customer_id"].isin(_ids_of(customers, "new"))]
    assert (new["order_date"] >= after - pd.Timedelta(days=90)).all()
    dropout = customers.set_index("customer_id")["dropout_date"].dropna()
    assert (dropout <= after - pd.DateOffset(months=4)).all()


# --- parameter checks ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_customers": -3}, "n_customers must be a positive int, got -3"),
        ({"n_customers": 0}, "n_customers must be a positive int, got 0"),
        ({"n_customers": 2.5}, "n_customers .* got 2.5"),
        ({"n_customers": "100"}, "n_customers .* got '100'"),
        ({"n_customers": True}, "n_customers .* got True"),
        ({"seed": -1}, "seed must be a non-negative int, got -1"),
        ({"seed": 1.5}, "seed .* got 1.5"),
        ({"seed": None}, "seed .* got None"),
        ({"start": "not a date"}, "start must be a calendar date .* got 'not a date'"),
        ({"start": "2023-01-01 10:00"}, "start .* got '2023-01-01 10:00'"),
        ({"end": None}, "end must be a calendar date .* got None"),
        ({"end": "2023-06-30"}, "end must be at least a year after start"),
        ({"start": "2025-01-01"}, "end must be at least a year after start"),
    ],
)
def test_bad_parameters_raise_value_error_naming_them(kwargs: dict, message: str) -> None:
    args = {"n_customers": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        make_transactions(args.pop("n_customers"), **args)


def test_numpy_integers_are_accepted() -> None:
    tx, customers = make_transactions(np.int64(20), seed=np.uint8(3))
    assert len(customers) == 20
    pd.testing.assert_frame_equal(tx, make_transactions(20, seed=3)[0])


def test_cli_rejects_bad_values(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        datasets.main([str(tmp_path), "--n-customers", "0"])
    assert "n_customers" in capsys.readouterr().err
    assert not (tmp_path / "sample_transactions.csv").exists()
