"""Reading transactions from databases: DuckDB files always, PostgreSQL when a server can be started."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest_pg import postgres_url  # noqa: F401  (the fixture; tests/ is on sys.path)

import segkit
from segkit.io._sql import is_sql_url, load_sql, masked
from segkit.report._notebook import sample_path

SAMPLE = sample_path()


@pytest.fixture(scope="module")
def from_file() -> segkit.Transactions:
    return segkit.read_transactions(SAMPLE)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file with the sample as ``sales``, a 1C-style text table and a wide table."""
    path = tmp_path_factory.mktemp("db") / "base.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"CREATE TABLE sales AS SELECT * FROM read_csv('{SAMPLE}')")
    con.execute(
        "CREATE TABLE export_1c AS SELECT * FROM (VALUES "
        "('Иванов', '01.02.2024', '1 200,50', 'Н-1'), ('Иванов', '05.03.2024', '-200,50', 'Н-2'), "
        "('Петров', '07.03.2024', '99,99', 'Н-3'), (NULL, '08.03.2024', '10,00', 'Н-4')) "
        'AS t("Клиент", "Дата", "Сумма", "Документ")'
    )
    con.execute("CREATE VIEW online AS SELECT * FROM sales WHERE channel = 'online'")
    con.execute("CREATE SCHEMA crm")
    con.execute(
        "CREATE TABLE crm.wide AS SELECT customer_id, order_date, amount, repeat('x', 1000) AS notes, "
        "amount::DECIMAL(12, 2) AS amount_dec FROM sales"
    )
    con.close()
    return path


def _same(a: segkit.Transactions, b: segkit.Transactions) -> None:
    # A warehouse has no row order: ties on the date are compared in a fixed order.
    key = ["order_date", "customer_id", "order_id", "amount"]
    pd.testing.assert_frame_equal(
        a.data.sort_values(key).reset_index(drop=True), b.data.sort_values(key).reset_index(drop=True)
    )
    assert a.quality.dropped == b.quality.dropped
    assert (a.quality.rows_read, a.quality.n_customers, a.quality.n_orders) == (
        b.quality.rows_read,
        b.quality.n_customers,
        b.quality.n_orders,
    )


# ---------------------------------------------------------------------------------------------- DuckDB


def test_duckdb_table_equals_the_file(base: Path, from_file: segkit.Transactions) -> None:
    tx = segkit.read_transactions(f"duckdb:///{base}", table="sales")
    _same(tx, from_file)
    assert tx.quality.source == f"duckdb:///{base} table sales (15,814 rows)"


def test_relative_duckdb_urls(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(base.parent)
    # Ibis's spelling (relative) and the SQLAlchemy one (three slashes, no such absolute file).
    for url in ("duckdb://base.duckdb", "duckdb:///base.duckdb"):
        assert len(segkit.read_transactions(url, table="sales")) == 15_814


def test_query_reads_a_select(base: Path, from_file: segkit.Transactions) -> None:
    tx = segkit.read_transactions(
        f"duckdb:///{base}", query="SELECT * FROM sales WHERE channel = 'online' AND amount > 0"
    )
    expected = from_file.data.query("channel == 'online' and amount > 0")
    assert len(tx) == len(expected)
    assert tx.data["amount"].sum() == pytest.approx(expected["amount"].sum())
    assert tx.quality.source.endswith("query (5,780 rows)")


@pytest.mark.parametrize(
    "kwargs, sql",
    [
        ({"query": "SELECT * FROM sales WHERE amount > 0 OR customer_id LIKE '%1%'"}, None),
        ({"table": "online"}, "SELECT * FROM online"),
        ({"query": "SELECT * FROM online", "returns": "drop"}, None),
    ],
)
def test_queries_and_views_are_checked_in_the_engine_as_the_arrow_contract_checks_them(
    base: Path, kwargs: dict, sql: str | None
) -> None:
    tx = segkit.read_transactions(f"duckdb:///{base}", **kwargs)
    assert tx._from_engine and tx._arrow is None  # checked on the shared connection, nothing fetched yet
    policy = {k: v for k, v in kwargs.items() if k not in ("query", "table")}
    with duckdb.connect(str(base), read_only=True) as con:
        rows = con.sql(sql or kwargs["query"]).to_arrow_table()
    arrow = segkit.read_transactions(rows, **policy)  # the same rows through the Arrow contract
    pd.testing.assert_frame_equal(tx.data, arrow.data)  # the same order too: by date, ties as returned
    got, expected = tx.quality.to_dict(), arrow.quality.to_dict()
    for key in ("source", "read_options"):
        got.pop(key), expected.pop(key)
    assert got == expected
    assert (
        tx.quality.source
        == f"duckdb:///{base} {'table ' + kwargs['table'] if 'table' in kwargs else 'query'} ({len(rows):,} rows)"
    )


def test_a_query_with_text_columns_is_parsed_by_the_arrow_contract(base: Path) -> None:
    tx = segkit.read_transactions(
        f"duckdb:///{base}", query="SELECT * FROM export_1c", customer="Клиент", date="Дата", amount="Сумма"
    )
    assert not tx._from_engine  # dates and decimal commas as text: parsed in Arrow, as from a file
    assert tx.data["amount"].tolist() == [1200.5, -200.5, 99.99]


def test_a_refused_query_names_the_database(base: Path) -> None:
    with pytest.raises(segkit.DataContractError, match="refused the query.*no_such_table"):
        segkit.read_transactions(f"duckdb:///{base}", query="SELECT * FROM no_such_table")
    tx = segkit.read_transactions(f"duckdb:///{base}", table="sales")  # the connection is left as it was
    assert len(tx) == 15_814


def test_column_mapping_and_text_parsing_apply(base: Path) -> None:
    tx = segkit.read_transactions(
        f"duckdb:///{base}",
        table="export_1c",
        customer="Клиент",
        date="Дата",
        amount="Сумма",
        order="Документ",
    )
    assert tx.data["amount"].tolist() == [1200.5, -200.5, 99.99]
    assert tx.data["order_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-02-01",
        "2024-03-05",
        "2024-03-07",
    ]
    assert tx.quality.dropped["missing customer_id"] == 1
    assert tx.quality.accounted


def test_only_the_mapped_columns_are_fetched(base: Path) -> None:
    given = dict(
        customer="customer_id",
        date="order_date",
        amount="amount_dec",
        order=None,
        quantity=None,
        price=None,
        margin=None,
        cost=None,
        product=None,
        category=None,
        channel=None,
        attributes=(),
    )
    loaded = load_sql(f"duckdb:///{base}", table="crm.wide", query=None, given=given)
    assert loaded.names == ["customer_id", "order_date", "amount_dec"]  # no 1 KB "notes" per row
    assert str(loaded.table.schema.field("c2").type) == "double"  # DECIMAL arrives as a float amount


def test_schema_qualified_table(base: Path, from_file: segkit.Transactions) -> None:
    tx = segkit.read_transactions(f"duckdb:///{base}", table="crm.wide")
    assert tx.data["amount"].sum() == pytest.approx(from_file.data["amount"].sum())
    assert "notes" not in tx.columns


def test_unknown_table_lists_the_tables(base: Path) -> None:
    with pytest.raises(segkit.DataContractError, match=r"No table 'sale'.*Did you mean 'sales'.*'export_1c'"):
        segkit.read_transactions(f"duckdb:///{base}", table="sale")


def test_unknown_column_lists_the_columns(base: Path) -> None:
    with pytest.raises(segkit.DataContractError, match=r"'client'.*customer=.*'customer_id'"):
        segkit.read_transactions(f"duckdb:///{base}", table="sales", customer="client")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"source": "duckdb:///no/such.duckdb", "table": "sales"},
            segkit.DataContractError,
            "no database file",
        ),
        ({"source": "nosuchdb://host/db", "table": "t"}, segkit.ParameterError, "no Ibis backend is called"),
        ({"source": "BASE", "table": "sales", "query": "SELECT 1"}, segkit.ParameterError, "got both"),
        ({"source": "BASE"}, segkit.ParameterError, "got neither"),
        ({"source": "BASE", "query": "DROP TABLE sales"}, segkit.ParameterError, "must be a SELECT"),
        ({"source": "BASE", "query": "SELECT * FROM nope"}, segkit.DataContractError, "refused the query"),
        ({"source": "sales.csv", "table": "sales"}, segkit.ParameterError, "must be a database URL"),
    ],
)
def test_bad_sources_get_clear_errors(base: Path, kwargs: dict, error: type, match: str) -> None:
    kwargs = {**kwargs, "source": kwargs["source"].replace("BASE", f"duckdb:///{base}")}
    source = kwargs.pop("source")
    with pytest.raises(error, match=match):
        segkit.read_transactions(source, **kwargs)


def test_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import ibis

    def no_driver(url: str, **kwargs: object) -> None:
        raise ModuleNotFoundError("No module named 'psycopg'")

    monkeypatch.setattr(ibis, "connect", no_driver)
    with pytest.raises(
        segkit.ParameterError, match=r'needs the postgresql driver.*pip install "segkit\[postgres\]"'
    ):
        segkit.read_transactions("postgresql://shop:pw@db:5432/crm", table="sales")


def test_passwords_never_appear_in_messages() -> None:
    assert masked("postgresql://u:p%40ss@h:1/d") == "postgresql://u:***@h:1/d"
    assert masked("duckdb:///x.duckdb") == "duckdb:///x.duckdb"
    assert is_sql_url("postgresql://h/d") and not is_sql_url("C:/data/x.csv")


def test_cli_check_reads_a_table(base: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from segkit import cli

    assert cli.main(["check", "--data", f"duckdb:///{base}", "--table", "sales"]) == 0
    out = capsys.readouterr().out
    assert "15,814" in out and "table sales" in out
    assert cli.main(["check", "--data", f"duckdb:///{base}", "--query", "SELECT * FROM sales LIMIT 10"]) == 0
    assert "query (10 rows)" in capsys.readouterr().out
    assert cli.main(["check", "--data", f"duckdb:///{base}", "--table", "nope"]) == 2
    assert "No table 'nope'" in capsys.readouterr().err


def test_config_table_key(base: Path, tmp_path: Path) -> None:
    from segkit.report._config import load_report_config

    config = tmp_path / "run.yaml"
    config.write_text(f"data: duckdb:///{base}\ntable: sales\n")
    loaded = load_report_config(config)
    assert loaded["data"] == f"duckdb:///{base}"  # a URL is not made relative to the config's folder
    assert loaded["table"] == "sales"


# ---------------------------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="module")
def pg_sales(postgres_url: str) -> str:  # noqa: F811
    import psycopg

    with psycopg.connect(postgres_url.replace("postgresql", "postgres", 1), autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS sales")
        con.execute(
            "CREATE TABLE sales (customer_id text, order_id text, order_date timestamp, amount numeric(12, 2), "
            "quantity integer, margin numeric(12, 2), category text, channel text, notes text)"
        )
        with con.cursor().copy(
            "COPY sales (customer_id, order_id, order_date, amount, quantity, margin, category, channel) "
            "FROM STDIN WITH (FORMAT csv, HEADER true)"
        ) as copy:
            copy.write(SAMPLE.read_bytes())
    return postgres_url


def test_postgres_table_equals_the_file(pg_sales: str, from_file: segkit.Transactions) -> None:
    tx = segkit.read_transactions(pg_sales, table="sales")
    _same(tx, from_file)
    assert "notes" not in tx.columns


def test_postgres_query(pg_sales: str, from_file: segkit.Transactions) -> None:
    tx = segkit.read_transactions(pg_sales, query="SELECT * FROM sales WHERE category = 'home'")
    assert len(tx) == int((from_file.data["category"] == "home").sum())


def test_postgres_unknown_table_and_dead_server(pg_sales: str) -> None:
    with pytest.raises(segkit.DataContractError, match=r"No table 'sale'.*'sales'"):
        segkit.read_transactions(pg_sales, table="sale")
    port = pg_sales.rsplit(":", 1)[1].split("/")[0]
    dead = pg_sales.replace(f":{port}/", ":1/").replace("segkit@", "segkit:hunter2@")
    with pytest.raises(
        segkit.DataContractError, match=r"Cannot connect to 'postgresql://segkit:\*\*\*@"
    ) as info:
        segkit.read_transactions(dead, table="sales")
    assert "hunter2" not in str(info.value)


def test_postgres_is_checked_in_the_server_with_progress_when_watched(
    pg_sales: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tx = segkit.read_transactions(pg_sales, table="sales")
    assert tx._from_engine and tx._arrow is None  # checked by PostgreSQL: no row fetched for the checks
    assert tx.to_ibis()._find_backend().name == "postgres"
    assert "Checking" not in capsys.readouterr().err  # not watched: quiet
    monkeypatch.setenv("SEGKIT_PROGRESS", "1")
    segkit.read_transactions(pg_sales, table="sales")
    err = capsys.readouterr().err
    assert "Checking postgresql://segkit@127.0.0.1" in err and "15814" in err.replace(",", "")


def test_postgres_text_columns_cast_when_every_value_casts(pg_sales: str) -> None:
    import psycopg

    with psycopg.connect(pg_sales.replace("postgresql", "postgres", 1), autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS text_sales")
        con.execute(
            "CREATE TABLE text_sales AS SELECT customer_id, order_id, order_date::text AS order_date, "
            "amount::text AS amount FROM sales"
        )
        con.execute("DROP TABLE IF EXISTS bad_dates")
        con.execute(
            "CREATE TABLE bad_dates AS SELECT * FROM (VALUES ('a', '2024-01-05', 1.0), ('b', '05.01.2024', 2.0), "
            "('c', 'soon', 3.0)) AS t(customer_id, order_date, amount)"
        )
    typed = segkit.read_transactions(pg_sales, table="sales")
    text = segkit.read_transactions(pg_sales, table="text_sales")
    assert text._from_engine and text.quality.read_options["date format"] == "ISO text cast by the engine"
    assert text.quality.net_revenue == typed.quality.net_revenue and len(text) == len(typed)
    with pytest.raises(segkit.DataContractError) as info:
        segkit.read_transactions(pg_sales, table="bad_dates")
    message = str(info.value)
    assert "Column 'order_date': unparseable date (2 rows; e.g. '05.01.2024', 'soon')" in message
    assert "cast it to a timestamp in the source" in message and "date_format=" in message
    fixed = segkit.read_transactions(pg_sales, table="bad_dates", date_format="%d.%m.%Y", invalid="drop")
    assert fixed.quality.dropped["invalid value"] == 2
