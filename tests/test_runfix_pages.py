"""Report pages on the smallest bases: a section that cannot be computed is skipped with a reason."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd

import segkit
from segkit.report._params import declared_parameters

REPO = Path(__file__).resolve().parents[1]


def test_abc_xyz_page_on_a_one_customer_base_skips_the_portrait(tmp_path: Path) -> None:
    data = tmp_path / "one.csv"
    days = pd.date_range("2024-01-05", periods=6, freq="MS").strftime("%Y-%m-%d")
    pd.DataFrame({"customer_id": "a", "order_date": days, "amount": [10.0, 20, 30, 40, 50, 60]}).to_csv(
        data, index=False
    )
    books = tmp_path / "notebooks"
    books.mkdir()
    shutil.copyfile(REPO / "notebooks" / "01_abc_xyz.ipynb", books / "01_abc_xyz.ipynb")
    result = segkit.run_report(data, notebooks=books, output=tmp_path / "reports", progress=lambda _: None)
    assert result.ok, [(r.name, r.section, r.error) for r in result.runs]
    (run,) = result.runs
    (skipped,) = run.skipped
    assert skipped["section"] == "Portrait of the A customers"
    assert "1 of 1 customers are in A" in skipped["reason"]
    named = re.findall(r"--param (\w+)=", skipped["hint"])
    assert named and set(named) <= set(declared_parameters(books / "01_abc_xyz.ipynb"))
    # The rest of the page still runs: the customer list is saved.
    assert len(pd.read_csv(result.folder / "abc_xyz_customers.csv")) == 1
