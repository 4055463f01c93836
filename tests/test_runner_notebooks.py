"""The real report notebooks under the runner: small and short bases degrade gracefully, runs reproduce,
masked reports hold no raw id and no output holds a machine path."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

import segkit
from segkit.datasets import make_transactions
from segkit.report._params import declared_parameters

REPO = Path(__file__).resolve().parents[1]
# The notebooks this file exercises on small bases (01 and 02 have their own guards and tests).
SMALL_BASE_NOTEBOOKS = ("00_overview", "03_personas", "04_cohorts_churn")
CUSTOMER_LISTS = ("customer_status.csv", "personas.csv", "persona_profiles.csv")
# Base64 payloads (plots) are not text a reader sees; a six-character id can occur in them by chance.
_BASE64 = re.compile(r"[A-Za-z0-9+/=]{120,}")

pytestmark = pytest.mark.slow


def _b2b_base(n: int = 80, months: int = 18, seed: int = 3) -> pd.DataFrame:
    """Companies ordering every few weeks, won throughout the period, some of them leaving."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-07-01")
    days = (start + pd.DateOffset(months=months) - start).days
    rows = []
    for i in range(n):
        name = f"ООО Клиент-{i:03d}" if i % 3 else f"ИП Петров-{i:03d}"
        first = int(rng.integers(0, days - 30))
        life = int(rng.integers(min(30, days - first), days - first + 1))
        n_orders = max(1, rng.poisson(rng.gamma(2.0, 1 / 40) * life))
        for day in np.sort(rng.integers(first, first + life, n_orders)):
            rows.append((name, start + pd.Timedelta(days=int(day)), round(float(rng.lognormal(8, 0.6)), 2)))
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])


def _two_month_base() -> pd.DataFrame:
    tx, _ = make_transactions(300, seed=5)
    return tx.loc[tx["order_date"] >= "2024-11-01"].reset_index(drop=True)


def _notebooks(folder: Path, names: tuple[str, ...]) -> Path:
    folder.mkdir()
    for name in names:
        shutil.copyfile(REPO / "notebooks" / f"{name}.ipynb", folder / f"{name}.ipynb")
    return folder


def _run(data: Path, notebooks: Path, output: Path, **kwargs) -> segkit.ReportResult:
    return segkit.run_report(data, notebooks=notebooks, output=output, progress=lambda _: None, **kwargs)


def _check_degraded(result: segkit.ReportResult, notebooks: Path) -> dict[str, list[str]]:
    """Every notebook completed; every skipped section says why and names a parameter of its notebook."""
    assert result.ok, [(r.name, r.section, r.error) for r in result.runs]
    skipped = {}
    for run in result.runs:
        declared = declared_parameters(notebooks / f"{run.name}.ipynb")
        for s in run.skipped:
            assert s["reason"], s
            named = re.findall(r"--param (\w+)=", s["hint"])
            assert named and all(n in declared for n in named), (run.name, s)
        skipped[run.name] = [s["section"] for s in run.skipped]
    return skipped


def _without_timings(index: Path) -> str:
    """The index page without the run manifest's wall time, the only part that may differ between runs."""
    return re.sub(r"<th>wall time</th><td>[^<]*</td>", "", index.read_text(encoding="utf-8"))


def _outputs(path: Path) -> list:
    nb = nbformat.read(path, as_version=4)
    return [cell.get("outputs", []) for cell in nb.cells]


def test_small_b2b_base_completes_and_reruns_identically(tmp_path: Path) -> None:
    data = tmp_path / "b2b.csv"
    _b2b_base().to_csv(data, index=False)
    notebooks = _notebooks(tmp_path / "notebooks", SMALL_BASE_NOTEBOOKS)
    first = _run(data, notebooks, tmp_path / "first")
    skipped = _check_degraded(first, notebooks)
    assert "Survival" in skipped["04_cohorts_churn"]  # 6 quarterly cohorts of 9-18 customers each
    folder = first.folder
    for name in (*CUSTOMER_LISTS, "churn_risk_scores.csv"):
        assert (folder / name).is_file(), name
    assert len(pd.read_csv(folder / "customer_status.csv")) == 80

    second = _run(data, notebooks, tmp_path / "second")
    other = second.folder
    assert _without_timings(folder / "index.html") == _without_timings(other / "index.html")
    for csv in sorted(folder.glob("*.csv")):
        assert csv.read_bytes() == (other / csv.name).read_bytes(), csv.name
    for nb in sorted(folder.glob("*.ipynb")):
        assert _outputs(nb) == _outputs(other / nb.name), nb.name


def test_two_months_of_history_completes(tmp_path: Path) -> None:
    data = tmp_path / "short.csv"
    _two_month_base().to_csv(data, index=False)
    notebooks = _notebooks(tmp_path / "notebooks", SMALL_BASE_NOTEBOOKS)
    result = _run(data, notebooks, tmp_path / "reports")
    skipped = _check_degraded(result, notebooks)
    assert {"Where customers came from", "Churn risk"} <= set(skipped["04_cohorts_churn"])
    for name in CUSTOMER_LISTS:
        assert (result.folder / name).is_file(), name
    # The churn-risk list needs the model; the notebook says why it is missing.
    assert not (result.folder / "churn_risk_scores.csv").exists()
    page = (result.folder / "04_cohorts_churn.html").read_text()
    assert "churn_risk_scores.csv was not written: the churn-risk section was skipped" in page


def test_masked_sample_report_holds_no_raw_id_and_no_machine_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEGKIT_MASK_KEY", "a test key, sixteen characters or more")
    result = _run(None, REPO / "notebooks", tmp_path / "reports", mask_ids=True)
    assert result.ok, [(r.name, r.error) for r in result.runs]
    raw_ids = set(pd.read_csv(segkit.sample_path(), usecols=["customer_id"])["customer_id"])
    assert len(raw_ids) == 2000
    pattern = re.compile("|".join(sorted(raw_ids)))
    files = sorted(p for p in result.folder.rglob("*") if p.is_file())
    assert {p.suffix for p in files} == {".csv", ".html", ".ipynb", ".json", ".xlsx"}
    for path in files:
        if path.suffix == ".xlsx":  # the lists workbook: every cell of every sheet
            text = "\n".join(sheet.to_csv() for sheet in pd.read_excel(path, sheet_name=None).values())
        else:
            text = _BASE64.sub("", path.read_text(encoding="utf-8"))
        found = pattern.findall(text)
        assert found == [], (path.name, found[:5])
        assert str(REPO) not in text and str(tmp_path) not in text, path.name
    status = pd.read_csv(result.folder / "customer_status.csv")
    assert len(status) == 2000 and status["customer_id"].str.fullmatch(r"ID-[0-9a-f]{16}").all()
