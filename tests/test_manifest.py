"""The run manifest: the data fingerprint, comparing manifests, finding the previous report, run.json/index."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import segkit
from segkit.report import compare_manifests, data_fingerprint, previous_manifest
from segkit.report._manifest import KEY_PACKAGES, write_manifest

FRAME = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c"],
        "order_date": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 00:00", "2024-02-03 00:00"]),
        "amount": [10.0, 2.5, 99.99],
        "is_return": [False, False, True],
        "channel": ["web", None, ""],
    }
)


def _hash(frame: pd.DataFrame) -> str:
    return data_fingerprint(frame)["sha256"]


def test_fingerprint_ignores_row_order_and_sees_every_value() -> None:
    base = _hash(FRAME)
    assert _hash(FRAME.iloc[[2, 0, 1]].reset_index(drop=True)) == base
    assert _hash(FRAME.copy()) == base  # deterministic
    changed = [
        FRAME.assign(amount=[10.0, 2.5, 99.98]),  # a cent
        FRAME.assign(order_date=FRAME["order_date"] + pd.to_timedelta([0, 0, 1], unit="s")),  # a second
        FRAME.assign(channel=["web", "", ""]),  # a missing value is not an empty text
        FRAME.assign(is_return=[False, False, False]),
        FRAME.rename(columns={"channel": "source"}),  # the column names count
        pd.concat([FRAME, FRAME.iloc[[0]]], ignore_index=True),  # a repeated row counts twice
        FRAME.iloc[:2],
    ]
    hashes = [_hash(frame) for frame in changed]
    assert base not in hashes and len(set(hashes)) == len(hashes)


def test_fingerprint_of_transactions_is_that_of_the_canonical_table() -> None:
    tx = segkit.load_report_data()
    fingerprint = data_fingerprint(tx)
    assert fingerprint == data_fingerprint(tx.data)
    assert fingerprint["rows"] == len(tx) and fingerprint["columns"] == list(tx.data.columns)
    assert fingerprint["method"] == "md5-multiset-v1" and len(fingerprint["sha256"]) == 64


def test_fingerprint_of_an_empty_table() -> None:
    empty = data_fingerprint(FRAME.iloc[:0])
    assert empty["rows"] == 0 and empty["sha256"] != _hash(FRAME)


def _manifest(**changes) -> dict:
    manifest = {
        "segkit_version": "0.2.0",
        "packages": {"pandas": "2.2.3", "duckdb": "1.1.0"},
        "data": {"method": "md5-multiset-v1", "sha256": "a" * 64, "rows": 100},
        "parameters": {"bins": 5, "as_of": "2024-01-01"},
    }
    manifest.update(changes)
    return manifest


def test_compare_manifests_names_each_change() -> None:
    assert compare_manifests(_manifest(), _manifest(parameters={"bins": 5, "as_of": "2024-02-01"})) == []
    changes = compare_manifests(
        _manifest(),
        _manifest(
            segkit_version="0.3.0",
            data={"method": "md5-multiset-v1", "sha256": "b" * 64, "rows": 120},
            packages={"pandas": "2.3.0", "duckdb": "1.1.0"},
            parameters={"bins": 3},
        ),
    )
    assert [c["what"] for c in changes] == ["data", "segkit", "package", "parameter"]
    assert (
        changes[0]["message"]
        == "The input data changed (fingerprint aaaaaaaaaaaa -> bbbbbbbbbbbb; 100 -> 120 rows)."
    )
    assert changes[1]["message"] == "segkit version changed: 0.2.0 -> 0.3.0."
    assert changes[2]["message"] == "pandas changed: 2.2.3 -> 2.3.0."
    assert changes[3]["message"] == "Parameter bins changed: 5 -> 3."


def test_fingerprints_of_another_method_are_not_compared() -> None:
    other = _manifest(data={"method": "md5-multiset-v2", "sha256": "a" * 64, "rows": 100})
    (change,) = compare_manifests(_manifest(), other)
    assert change["what"] == "data" and "cannot be compared" in change["message"]


def _old_report(root: Path, date: str, manifest: dict | None) -> None:
    folder = root / date
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"manifest": manifest} if manifest else {"ok": True}))


def test_previous_manifest_is_the_latest_earlier_report(tmp_path: Path) -> None:
    assert previous_manifest(tmp_path / "none", "2024-05-01") is None
    _old_report(tmp_path, "2024-01-01", _manifest(segkit_version="0.1.0"))
    _old_report(tmp_path, "2024-03-01", _manifest(segkit_version="0.2.0"))
    _old_report(tmp_path, "2024-04-01", None)  # an old report without a manifest is skipped
    _old_report(tmp_path, "2024-06-01", _manifest(segkit_version="9.9.9"))  # later: not "previous"
    (tmp_path / ".2024-04-15.partial-x").mkdir()
    date, manifest = previous_manifest(tmp_path, "2024-05-01")
    assert (date, manifest["segkit_version"]) == ("2024-03-01", "0.2.0")
    assert previous_manifest(tmp_path, "2024-01-01") is None


def test_write_manifest_adds_versions_and_changes_to_run_json_and_index(tmp_path: Path) -> None:
    tx = segkit.read_transactions(FRAME)
    _old_report(tmp_path, "2024-01-15", _manifest(segkit_version="0.0.1"))
    folder = tmp_path / ".staging"
    folder.mkdir()
    (folder / "run.json").write_text(json.dumps({"ok": True}))
    (folder / "index.html").write_text("<html><body><h1>report</h1></body></html>")
    params = {"data_path": None, "bins": 5, "as_of": "2024-03-01", "output_dir": str(folder)}
    write_manifest(folder, tx, parameters=params, as_of="2024-03-01", reports_root=tmp_path, started=0.0)

    run = json.loads((folder / "run.json").read_text())
    assert run["ok"] is True  # the runner's own entries are kept
    manifest = run["manifest"]
    assert manifest["segkit_version"] == segkit.__version__ and manifest["as_of"] == "2024-03-01"
    assert set(manifest["packages"]) == set(KEY_PACKAGES) and manifest["packages"]["pandas"] == pd.__version__
    assert manifest["data"]["sha256"] == data_fingerprint(tx)["sha256"] and manifest["data"]["rows"] == len(
        tx
    )
    assert "output_dir" not in manifest["parameters"] and manifest["wall_seconds"] > 0
    assert run["since_previous"]["previous"] == "2024-01-15"
    whats = [c["what"] for c in run["since_previous"]["changes"]]
    assert whats[:2] == ["data", "segkit"]
    index = (folder / "index.html").read_text()
    assert "Run manifest" in index and manifest["data"]["sha256"][:16] in index
    assert f"segkit version changed: 0.0.1 -&gt; {segkit.__version__}." in index


@pytest.fixture()
def workspace(tmp_path: Path) -> dict[str, Path]:
    books = tmp_path / "notebooks"
    books.mkdir()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("data_path = None\ncolumns = {}\nread_options = {}\nas_of = None\n")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("print(as_of)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, books / "00_tiny.ipynb")
    return {"notebooks": books, "out": tmp_path / "reports", "data": tmp_path / "shop.csv"}


def test_a_report_says_what_changed_since_the_previous_one(workspace: dict[str, Path]) -> None:
    data = pd.DataFrame(
        {"customer_id": ["a", "b"], "order_date": ["2024-01-05", "2024-02-01"], "amount": [5, 7]}
    )
    data.to_csv(workspace["data"], index=False)
    run = dict(
        notebooks=workspace["notebooks"], output=workspace["out"], progress=lambda _: None, html_copies=False
    )
    first = segkit.run_report(workspace["data"], as_of="2024-03-01", **run)
    pd.concat([data, data.assign(customer_id="c")]).to_csv(workspace["data"], index=False)
    second = segkit.run_report(workspace["data"], as_of="2024-04-01", **run)
    assert first.ok and second.ok
    old = json.loads((first.folder / "run.json").read_text())
    new = json.loads((second.folder / "run.json").read_text())
    assert old["since_previous"] == {"previous": None, "changes": []}
    assert new["since_previous"]["previous"] == "2024-03-01"
    (change,) = new["since_previous"]["changes"]
    assert change["what"] == "data" and "2 -> 4 rows" in change["message"]
    assert old["manifest"]["data"]["rows"] == 2 and new["manifest"]["data"]["rows"] == 4
    assert "The input data changed" in (second.folder / "index.html").read_text()


def test_fingerprint_of_an_engine_table_hashes_it_where_it_lies(tmp_path: Path, monkeypatch) -> None:
    # A table checked in DuckDB (a Parquet file) and the report table opened over its file are hashed
    # by the engine: the same fingerprint as the rows in pandas, without ever making the pandas copy.
    path = tmp_path / "tx.parquet"
    segkit.load_report_data().data.to_parquet(path)
    expected = data_fingerprint(segkit.load_report_data(path).data)
    tx = segkit.load_report_data(path)
    folder = segkit.save_report_table(tx, tmp_path / "table")
    from segkit.io import Transactions

    def no_pandas(self):
        raise AssertionError("the fingerprint collected the table into pandas")

    monkeypatch.setattr(Transactions, "data", property(no_pandas))
    assert data_fingerprint(tx) == expected
    assert data_fingerprint(segkit.load_report_data(folder)) == expected
