"""The report index reads the figures the pages saved, and computes only what no page saved."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from _nbparams import notebook_parameters, write_notebook  # tests/ is on sys.path

import segkit
from segkit.report._summary import FIGURES_FILE, remove_summary_figures, report_summary

AS_OF = "2025-01-01"


@pytest.fixture(scope="module")
def tx():
    return segkit.load_report_data(None)


def _save_as_the_pages_do(tx, folder, *, inactivity_days=None, window_months=12):
    """What 00_overview and 04_cohorts_churn compute and save, with their default parameters."""
    as_of = segkit.as_of_date(tx, AS_OF)
    window = segkit.analysis_window(as_of, window_months)
    health = segkit.concentration(tx, start=window.start, as_of=window.end)
    segkit.save_summary_figures(folder, as_of=window.end, start=window.start, concentration=health)
    status = segkit.customer_status(tx, as_of=as_of, inactivity_days=inactivity_days)
    rates = segkit.churn_rate(
        tx, period="month", inactivity_days=status.attrs["inactivity_days"], as_of=as_of
    )
    segkit.save_summary_figures(
        folder, as_of=as_of, status=status, inactivity_days=inactivity_days, churn_rates=rates
    )


@pytest.fixture(scope="module")
def recomputed(tx):
    return report_summary(tx, as_of=AS_OF)


@pytest.mark.parametrize("window_months", [12, 0])
def test_index_from_the_pages_results_equals_the_recomputed_one(tx, tmp_path, window_months):
    _save_as_the_pages_do(tx, tmp_path, window_months=window_months)
    fresh = report_summary(tx, as_of=AS_OF, window_months=window_months)
    reused = report_summary(tx, as_of=AS_OF, window_months=window_months, figures_dir=tmp_path)
    assert reused.reused == ["base", "at_risk", "churn_rate"]
    assert reused.computed == []
    assert fresh.computed == ["base", "at_risk", "churn_rate"]
    # Exactly equal, types included (the A share range is a tuple in both).
    assert reused.figures == fresh.figures
    assert {k: type(v) for k, v in reused.figures.items()} == {k: type(v) for k, v in fresh.figures.items()}
    assert reused.unavailable == fresh.unavailable


def test_a_missing_or_broken_file_is_computed_again(tx, tmp_path, recomputed):
    _save_as_the_pages_do(tx, tmp_path)
    (tmp_path / FIGURES_FILE.format(part="base")).unlink()
    (tmp_path / FIGURES_FILE.format(part="churn_rate")).write_text('{"settings": {', encoding="utf-8")
    summary = report_summary(tx, as_of=AS_OF, figures_dir=tmp_path)
    assert summary.reused == ["at_risk"]
    assert summary.computed == ["base", "churn_rate"]
    assert summary.figures == recomputed.figures


def test_figures_computed_with_other_settings_are_not_reused(tx, tmp_path, recomputed):
    # The page was run with its own churn threshold; the index's at-risk figures use the derived one.
    _save_as_the_pages_do(tx, tmp_path, inactivity_days=30)
    saved = json.loads((tmp_path / FIGURES_FILE.format(part="at_risk")).read_text(encoding="utf-8"))
    assert saved["settings"]["inactivity_days"] == 30
    assert saved["figures"]["at_risk_customers"] != recomputed.figures["at_risk_customers"]
    summary = report_summary(tx, as_of=AS_OF, figures_dir=tmp_path)
    assert summary.reused == ["base"]
    assert summary.computed == ["at_risk", "churn_rate"]
    assert summary.figures == recomputed.figures
    # Another report date is another computation too.
    assert report_summary(tx, as_of="2024-12-01", figures_dir=tmp_path).reused == []


def test_the_result_files_are_removed_and_optional(tx, tmp_path):
    assert segkit.save_summary_figures(None, as_of=AS_OF, concentration=None) == []
    _save_as_the_pages_do(tx, tmp_path)
    assert len(list(tmp_path.glob(".summary-*.json"))) == 3
    remove_summary_figures(tmp_path)
    assert list(tmp_path.iterdir()) == []
    remove_summary_figures(tmp_path)  # nothing left to remove is fine


def test_churn_rates_need_the_status_they_were_computed_with(tx, tmp_path):
    rates = segkit.churn_rate(tx, period="month", as_of=AS_OF)
    with pytest.raises(segkit.ParameterError, match="churn_rates .*segkit.customer_status"):
        segkit.save_summary_figures(tmp_path, as_of=AS_OF, churn_rates=rates)


# A page that computes and saves the index's figures as 00_overview and 04_cohorts_churn do.
SAVING = """import segkit
tx = segkit.load_report_data(data_path, columns=columns, read_options=read_options)
as_of = segkit.as_of_date(tx, as_of)
window = segkit.analysis_window(as_of, window_months)
health = segkit.concentration(tx, start=window.start, as_of=window.end)
segkit.save_summary_figures(output_dir, as_of=window.end, start=window.start, concentration=health)
status = segkit.customer_status(tx, as_of=as_of)
rates = segkit.churn_rate(tx, inactivity_days=status.attrs["inactivity_days"], as_of=as_of)
segkit.save_summary_figures(output_dir, as_of=as_of, status=status, churn_rates=rates)
"""


def _without_timings(index: Path) -> str:
    return re.sub(r"<th>wall time</th><td>[^<]*</td>", "", index.read_text(encoding="utf-8"))


def test_the_runner_builds_the_same_index_from_the_pages_results(tmp_path: Path) -> None:
    parameters = notebook_parameters(window_months=12)
    for name, body in (("saving", SAVING), ("silent", "print(as_of)")):
        (tmp_path / name).mkdir()
        write_notebook(tmp_path / name / "00_page.ipynb", body, parameters=parameters)
    runs, logs = {}, {}
    for name in ("saving", "silent"):
        lines: list[str] = []
        runs[name] = segkit.run_report(
            None,
            as_of=AS_OF,
            notebooks=tmp_path / name,
            output=tmp_path / f"reports_{name}",
            html_copies=False,
            progress=lines.append,
        )
        logs[name] = lines[-1]
    assert runs["saving"].ok and runs["silent"].ok
    assert "computed again" not in logs["saving"]
    assert "index figures computed again: base, at_risk, churn_rate;" in logs["silent"]
    folder = runs["saving"].folder
    assert not list(folder.glob(".summary-*"))  # read, then removed: not part of the published report
    saving, silent = (_without_timings(runs[n].folder / "index.html") for n in ("saving", "silent"))
    assert "The base in figures" in saving and "class A" in saving
    # Everything but the page's own name is the same: the figures and findings do not depend on the source.
    assert saving == silent
