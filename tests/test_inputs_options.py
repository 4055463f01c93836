"""Bad read options and mappings: each is refused up front with a ParameterError naming what to change."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import segkit
from segkit import ParameterError

FRAME = pd.DataFrame(
    {
        "Client": ["a", "b", "a"],
        "Date": ["2024-01-01", "2024-01-02", "2024-01-03"],
        "Sum": ["10", "20", "30"],
        "Region": ["N", "S", "N"],
    }
)
MAP = {"customer": "Client", "date": "Date", "amount": "Sum"}


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.csv"
    FRAME.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"customer": "Client", "date": "Client", "amount": "Sum"}, ("customer=", "date=", "'Client'")),
        ({"customer": "Client", "date": "Date", "amount": "Date"}, ("date=", "amount=", "'Date'")),
        ({**MAP, "product": "Sum"}, ("amount=", "product=", "'Sum'")),
        ({**MAP, "attributes": ["Client"]}, ("customer=", "attributes=", "'Client'")),
        ({**MAP, "attributes": ["Region", "Region"]}, ("attributes=", "twice", "'Region'")),
    ],
)
def test_one_column_for_two_roles_is_refused_before_parsing(
    export: Path, kwargs: dict, words: tuple[str, ...]
) -> None:
    for source in (export, FRAME):
        with pytest.raises(ParameterError) as info:
            segkit.read_transactions(source, **kwargs)
        assert all(w in str(info.value) for w in words), str(info.value)
        assert "unparseable" not in str(info.value)


def test_attributes_as_one_string_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"attributes must be a list.*\['Region'\]"):
        segkit.read_transactions(FRAME, **MAP, attributes="Region")


def test_distinct_roles_still_read() -> None:
    tx = segkit.read_transactions(FRAME, **MAP, attributes=["Region"])
    assert tx.data["Region"].tolist() == ["N", "S", "N"]
