"""The engine runs where the transactions' engine table lives: parity with the shared DuckDB connection.

A :class:`segkit.Transactions` built on an Ibis table of another backend (a second DuckDB connection,
PostgreSQL) must give exactly the results of the same data on the shared connection, analysis by
analysis, with the aggregation running on that backend. ``tests/test_spark.py`` runs the same parity on
Spark. The analyses and the comparison live here so that both files check the same things.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import math
from collections.abc import Callable
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pytest
from conftest_pg import postgres_url  # noqa: F401  (the fixture; tests/ is on sys.path)

import segkit
from segkit.engine._table import _table, backend_of, temp_table, to_frame
from segkit.report._notebook import sample_path

AS_OF = "2024-10-01"
CUTOFF = "2024-06-01"


def _rfm(tx: segkit.Transactions) -> Any:
    result = segkit.rfm(tx, as_of=AS_OF)
    return {"rfm": result, "segments": segkit.rfm_segments(result)}


def _btyd(tx: segkit.Transactions) -> Any:
    summary = segkit.btyd_summary(tx, as_of=AS_OF)
    split = segkit.btyd_summary(tx, as_of=AS_OF, calibration_end=CUTOFF)
    # The fit itself runs on the driver; equal inputs give equal fits, which one cheap fit confirms.
    model = segkit.BetaGeoModel().fit(summary)
    return {"summary": summary, "split": split, "params": model.params_}


def _survival(tx: segkit.Transactions) -> Any:
    result = segkit.survival_curves(tx, as_of=AS_OF)
    return {k: v for k, v in vars(result).items() if k != "fitters_"}  # lifelines objects, not results


@functools.cache
def _sample_crm() -> segkit.CRM:
    return segkit.load_sample_crm()  # read once: the analyses below only read it


def crm_on(tx: segkit.Transactions) -> segkit.CRM:
    """The sample CRM with its orders on the backend of ``tx``'s engine table."""
    sample = _sample_crm()
    return segkit.CRM(tables=sample.tables, transactions=_same_backend_as(tx, sample.transactions))


def _crm(tx: segkit.Transactions) -> Any:
    crm = crm_on(tx)
    return {
        "loyalty": segkit.loyalty_scores(crm).scores,
        "structure": segkit.base_structure(crm),
        "movement": segkit.base_movement(crm, start="2024-01-01"),
        "activity": segkit.activity_capacity(crm),
    }


def _lead_conversion(tx: segkit.Transactions) -> Any:
    crm = crm_on(tx)
    return {
        "by_source": segkit.lead_conversion(crm),
        "all_history": segkit.lead_conversion(crm, by="manager", window_months=0),
        "since": segkit.lead_conversion(crm, by=None, start="2022-01-01", as_of="2024-06-01"),
        "states": segkit.base_states(crm, as_of="2024-06-01"),
    }


#: Every public analysis that reads transactions through the engine, on the bundled sample at AS_OF.
ANALYSES: dict[str, Callable[[segkit.Transactions], Any]] = {
    "customer_summary": lambda tx: segkit.customer_summary(tx, as_of=AS_OF),
    "rfm": _rfm,
    "abc": lambda tx: segkit.abc(tx, as_of=AS_OF),
    "abc_margin": lambda tx: segkit.abc(tx, value="margin", as_of=AS_OF, start="2024-01-01"),
    "concentration": lambda tx: segkit.concentration(tx, as_of=AS_OF),
    "xyz": lambda tx: segkit.xyz(tx, as_of=AS_OF),
    "abc_xyz": lambda tx: segkit.abc_xyz(tx, as_of=AS_OF),
    "customer_status": lambda tx: segkit.customer_status(tx, as_of=AS_OF),
    "client_base": lambda tx: segkit.client_base(tx, as_of=AS_OF),
    "status_transitions": lambda tx: segkit.status_transitions(tx, previous="2024-04-01", as_of=AS_OF),
    "inactivity_threshold": lambda tx: segkit.inactivity_threshold(tx, as_of=AS_OF),
    "cohorts": lambda tx: segkit.cohorts(tx, as_of=AS_OF),
    "btyd_summary": _btyd,
    "churn_rate": lambda tx: segkit.churn_rate(tx, as_of=AS_OF, by="channel"),
    "churn_durations": lambda tx: segkit.churn_durations(tx, as_of=AS_OF),
    "churn_features": lambda tx: segkit.churn_features(tx, cutoff=CUTOFF),
    "churn_labels": lambda tx: segkit.churn_labels(tx, cutoff=CUTOFF),
    "survival": _survival,
    "customer_features": lambda tx: segkit.customer_features(tx, as_of=AS_OF),
    "period_totals": lambda tx: segkit.period_totals(tx, period="week", as_of=AS_OF),
    "customer_days": lambda tx: segkit.customer_days(tx, as_of=AS_OF),
    "customer_periods": lambda tx: segkit.customer_periods(tx, period="quarter", as_of=AS_OF),
    "customer_mix": lambda tx: segkit.customer_mix(tx, "category", as_of=AS_OF),
    "known_customers": lambda tx: segkit.known_customers(tx, before=AS_OF),
    "last_purchase_and_revenue": lambda tx: segkit.last_purchase_and_revenue(tx, as_of=AS_OF),
    "crm": _crm,
    "lead_conversion": _lead_conversion,
}


# --------------------------------------------------------------------------------------- the comparison


def assert_same(got: Any, want: Any, where: str = "result") -> None:
    """Equal results: exact for ids, counts, labels, dates and dtypes; ``rtol=1e-9`` for floats (money)."""
    if isinstance(want, pd.DataFrame):
        assert isinstance(got, pd.DataFrame), where
        assert list(got.columns) == list(want.columns), f"{where}: columns"
        assert_same(got.index, want.index, f"{where}.index")
        for col in want.columns:
            assert_same(got[col], want[col], f"{where}[{col!r}]")
        assert_same(dict(got.attrs), dict(want.attrs), f"{where}.attrs")
    elif isinstance(want, pd.Series | pd.Index):
        assert type(got) is type(want), where
        assert got.dtype == want.dtype, f"{where}: dtype {got.dtype} != {want.dtype}"
        assert got.name == want.name, f"{where}: name"
        if isinstance(want, pd.Series):
            assert_same(got.index, want.index, f"{where}.index")
        if pd.api.types.is_float_dtype(want.dtype):
            np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9, atol=0, err_msg=where)
        else:
            assert got.equals(want), f"{where}: values differ"
    elif dataclasses.is_dataclass(want) and not isinstance(want, type):
        assert type(got) is type(want), where
        assert_same(vars(got), vars(want), where)
    elif isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), f"{where}: keys"
        for key in want:
            assert_same(got[key], want[key], f"{where}[{key!r}]")
    elif isinstance(want, list | tuple):
        assert type(got) is type(want) and len(got) == len(want), where
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(want, float) and not isinstance(got, bool):
        assert isinstance(got, float | int), where
        assert (math.isnan(got) and math.isnan(want)) or math.isclose(got, want, rel_tol=1e-9), where
    else:
        assert type(got) is type(want) and got == want, f"{where}: {got!r} != {want!r}"


def _same_backend_as(engine_tx: segkit.Transactions, ref: segkit.Transactions) -> segkit.Transactions:
    """``ref``'s canonical table copied onto the backend of ``engine_tx``'s engine table."""
    backend = backend_of(_table(engine_tx))
    return on_backend(backend, ref)


_COPIES = iter(range(1, 1 << 30))


def on_backend(backend: Any, ref: segkit.Transactions) -> segkit.Transactions:
    """A Transactions whose engine table is ``ref``'s canonical table created on ``backend``."""
    name = f"sales_{next(_COPIES)}"
    if backend.name == "pyspark":
        session = backend._session
        frame = session.createDataFrame(ref.data).cache()
        frame.createOrReplaceTempView(name)
        table = backend.table(name)
    else:
        table = backend.create_table(name, ref.to_arrow(), overwrite=True)
    return segkit.Transactions(engine=table, quality=ref.quality)


_REFERENCE: dict[tuple[int, str], Any] = {}


def check_parity(name: str, reference: segkit.Transactions, other: segkit.Transactions) -> None:
    """``ANALYSES[name]`` on ``other`` equals it on ``reference`` (computed once per reference object)."""
    key = (id(reference), name)
    if key not in _REFERENCE:
        _REFERENCE[key] = ANALYSES[name](reference)
    assert_same(ANALYSES[name](other), _REFERENCE[key], name)


# ------------------------------------------------------------------------------------------- the fixtures


@pytest.fixture(scope="module")
def reference() -> segkit.Transactions:
    return segkit.read_transactions(sample_path())


@pytest.fixture(scope="module")
def second_duckdb(reference: segkit.Transactions) -> segkit.Transactions:
    return on_backend(ibis.duckdb.connect(), reference)


@pytest.fixture(scope="module")
def postgres(postgres_url: str, reference: segkit.Transactions) -> segkit.Transactions:  # noqa: F811
    pytest.importorskip("psycopg")
    return on_backend(ibis.connect(postgres_url), reference)


# --------------------------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("name", list(ANALYSES))
def test_second_duckdb_connection_gives_the_same_results(
    name: str, reference: segkit.Transactions, second_duckdb: segkit.Transactions
) -> None:
    check_parity(name, reference, second_duckdb)


@pytest.mark.parametrize("name", list(ANALYSES))
def test_postgres_gives_the_same_results(
    name: str, reference: segkit.Transactions, postgres: segkit.Transactions
) -> None:
    check_parity(name, reference, postgres)


#: On a backend without session tables the materialised aggregates are plain expressions, re-run by
#: each query (SQLite stands for "any other Ibis backend" here; a few analyses and the CRM ones keep the test
#: fast).
NO_CACHE_ANALYSES = [
    "customer_summary",
    "rfm",
    "cohorts",
    "customer_status",
    "btyd_summary",
    "crm",
    "lead_conversion",
]


@pytest.mark.parametrize("name", NO_CACHE_ANALYSES)
def test_a_backend_without_session_tables_runs_the_expressions(
    name: str, reference: segkit.Transactions, sqlite: segkit.Transactions
) -> None:
    check_parity(name, reference, sqlite)


@pytest.fixture(scope="module")
def sqlite(reference: segkit.Transactions) -> segkit.Transactions:
    return on_backend(ibis.sqlite.connect(), reference)


# --------------------------------------------------------------------------- where the queries run


def _segkit_tables(backend: Any) -> set[str]:
    # DuckDB's own catalogue: Ibis 12's list_tables() does not run on DuckDB 2.
    names = backend.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    return {name for (name,) in names if name.startswith("segkit_")}


def test_aggregates_are_materialised_on_the_engine_tables_backend(reference: segkit.Transactions) -> None:
    shared = backend_of(_table(reference))
    other = ibis.duckdb.connect()
    tx = on_backend(other, reference)
    before = _segkit_tables(shared)
    segkit.customer_status(tx, as_of=AS_OF)
    made = _segkit_tables(other)
    assert any(name.startswith("segkit_agg_") for name in made), made  # purchase days, activity stretches
    assert _segkit_tables(shared) == before  # nothing of this analysis went to the shared connection
    assert tx._data is None and tx._arrow is None  # and the transactions never came to pandas
    del tx
    gc.collect()
    assert not _segkit_tables(other)  # dropped with the transactions' caches


def test_temp_table_kind_per_backend(reference: segkit.Transactions) -> None:
    owner = type("Owner", (), {})()
    lite = ibis.sqlite.connect()
    t = lite.create_table("lines", reference.to_arrow().select(["customer_id", "amount"]))
    expr = t.group_by("customer_id").aggregate(revenue=t.amount.sum())
    assert temp_table(owner, expr, "agg") is expr  # no session tables: the expression itself
    duck = ibis.duckdb.connect()
    d = duck.create_table("lines", reference.to_arrow().select(["customer_id", "amount"]))
    cached = temp_table(owner, d.group_by("customer_id").aggregate(revenue=d.amount.sum()), "agg")
    assert backend_of(cached) is duck and cached.get_name().split(".")[-1] in _segkit_tables(duck)
    frame = to_frame(cached.order_by("customer_id"))
    want = reference.data.groupby("customer_id")["amount"].sum()
    assert frame["customer_id"].tolist() == want.index.tolist()
    np.testing.assert_allclose(frame["revenue"].to_numpy(), want.to_numpy(), rtol=1e-9)


def test_expression_over_two_backends_is_refused(reference: segkit.Transactions) -> None:
    a = on_backend(ibis.duckdb.connect(), reference)
    b = on_backend(ibis.sqlite.connect(), reference)
    ta, tb = _table(a), _table(b)
    with pytest.raises(segkit.ParameterError, match="more than one backend"):
        backend_of(ta.join(tb, "order_id"))


def test_memtables_follow_the_engine_table(reference: segkit.Transactions) -> None:
    """An in-memory table joined to the transactions runs on the transactions' backend."""
    other = ibis.duckdb.connect()
    t = _table(on_backend(other, reference))
    bands = ibis.memtable({"category": ["home", "sports"], "band": [1, 2]})
    joined = t.join(bands, "category")
    expr = joined.group_by("band").aggregate(n=joined.count()).order_by("band")
    assert backend_of(expr) is other
    got = to_frame(expr)
    want = reference.data["category"].map({"home": 1, "sports": 2}).value_counts().sort_index()
    assert got["n"].tolist() == want.tolist() and got["band"].tolist() == want.index.tolist()


def test_the_crm_analyses_leave_the_orders_on_their_backend(reference: segkit.Transactions) -> None:
    """The CRM analyses that read the orders aggregate them where they live; the lines never reach pandas."""
    crm = crm_on(on_backend(ibis.duckdb.connect(), reference))
    segkit.lead_conversion(crm)
    segkit.base_movement(crm, start="2024-01-01")
    segkit.loyalty_scores(crm)
    segkit.activity_capacity(crm)
    assert crm.transactions._data is None and crm.transactions._arrow is None


def test_personas_leave_the_transactions_on_their_backend(reference: segkit.Transactions) -> None:
    """Personas fit on the driver from the per-customer features; the transaction lines stay in the engine."""
    tx = on_backend(ibis.duckdb.connect(), reference)
    model = segkit.personas(tx, as_of=AS_OF, k_range=(3, 4))
    want = segkit.personas(reference, as_of=AS_OF, k_range=(3, 4))
    assert model.k_ == want.k_ and model.labels_.equals(want.labels_)
    assert tx._data is None and tx._arrow is None
