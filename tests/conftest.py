"""Shared fixtures: the real public data sets (skipped cleanly when absent) and the bundled sample."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

# The Spark group's one local session (session-scoped, skipped unless SEGKIT_SPARK_TESTS=1).
from conftest_spark import spark  # noqa: F401  (tests/ is on sys.path)

import segkit

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SEGKIT_SHARED_DATA", REPO.parent / "shared" / "data"))
ONLINE_RETAIL = SHARED_DATA / "online_retail" / "online_retail.csv.gz"
CDNOW_MASTER = SHARED_DATA / "cdnow" / "CDNOW_master.txt"
CDNOW_SAMPLE = SHARED_DATA / "cdnow" / "CDNOW_sample.txt"
CDNOW_SUMMARY = SHARED_DATA / "cdnow" / "cdnow_customers_summary_with_transactions.csv"

#: read_transactions keywords for UCI Online Retail that reproduce the usual clean purchase filter
#: (customer present, no cancellations, Quantity > 0, UnitPrice > 0). Exact duplicates are kept so the
#: figures match the literature (397,884 lines, 4,338 customers, 18,532 invoices, revenue 8,911,407.90);
#: 4 lines whose amount rounds to 0.00 (UnitPrice 0.001) are dropped as zero amount, leaving 397,880.
ONLINE_RETAIL_CLEAN = {
    "customer": "CustomerID",
    "date": "InvoiceDate",
    "order": "InvoiceNo",
    "quantity": "Quantity",
    "price": "UnitPrice",
    "product": "StockCode",
    "attributes": ["Country"],
    "cancel_prefix": "C",
    "returns": "drop",
    "duplicates": "keep",
}


def _need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"real data not available: {path}")
    return path


@pytest.fixture(scope="session")
def online_retail_path() -> Path:
    return _need(ONLINE_RETAIL)


@pytest.fixture(scope="session")
def online_retail_tx(online_retail_path: Path) -> segkit.Transactions:
    """UCI Online Retail through the contract's usual clean filter (see ONLINE_RETAIL_CLEAN)."""
    return segkit.read_transactions(online_retail_path, **ONLINE_RETAIL_CLEAN)


@pytest.fixture(scope="session")
def cdnow_master_path() -> Path:
    return _need(CDNOW_MASTER)


@pytest.fixture(scope="session")
def cdnow_sample_path() -> Path:
    return _need(CDNOW_SAMPLE)


@pytest.fixture(scope="session")
def cdnow_summary_path() -> Path:
    return _need(CDNOW_SUMMARY)


@pytest.fixture(scope="session")
def cdnow_sample_tx(cdnow_sample_path: Path) -> segkit.Transactions:
    """Fader & Hardie's CDNOW sample (2,357 customers) read as the BG/NBD papers read it."""
    raw = pd.read_csv(
        cdnow_sample_path,
        sep=r"\s+",
        header=None,
        names=["id_total", "id_sample", "date", "number_of_cds", "dollar_value"],
        dtype={"date": str},
    )
    # One order per customer-day; identical lines are real purchases and $0 lines are kept, as in the paper.
    return segkit.read_transactions(
        raw,
        customer="id_sample",
        date="date",
        amount="dollar_value",
        quantity="number_of_cds",
        date_format="%Y%m%d",
        duplicates="keep",
        zero_amount="keep",
    )
