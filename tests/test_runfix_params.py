"""Bad report parameter values and unknown CRM tables stop ``segkit report`` before any notebook runs."""

from __future__ import annotations

from pathlib import Path

import pytest

import segkit
from segkit import cli
from segkit.report import _runner


@pytest.fixture()
def no_notebook_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a notebook ran before the options were checked")

    monkeypatch.setattr(_runner, "_run_all", refuse)
    monkeypatch.setattr(_runner, "load_report_data", refuse)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--param", "bins=0"], "--param bins=0: bins must be a whole number >= 2 and <= 9; got 0."),
        (["--param", "k_max=-5"], "--param k_max=-5: k_max must be a whole number >= 2; got -5."),
        (["--param", "k_min=9"], "--param k_min=9: k_min must be <= k_max; got k_min=9, k_max=7."),
        (["--param", "period=year"], "--param period=year: period must be one of 'week', 'month', 'quarter'"),
        (["--param", "horizon_days=0"], "--param horizon_days=0: horizon_days must be a whole number >= 1"),
        (["--param", "low_p_alive=1.5"], "--param low_p_alive=1.5: low_p_alive must be a number >= 0"),
        (["--param", "inactivity_days=-1"], "--param inactivity_days=-1: inactivity_days must be None or"),
        (["--crm", "foo=FILE"], "--crm foo=FILE: unknown CRM table 'foo'; the CRM page reads leads, "),
        (["--crm", "lead=FILE"], "--crm lead=FILE: unknown CRM table 'lead' (did you mean 'leads'?)"),
    ],
)
def test_bad_values_stop_the_run_up_front_naming_the_flag(
    flags: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], no_notebook_runs: None
) -> None:
    assert cli.main(["report", "--out", str(tmp_path / "out"), *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"segkit report: {message}") and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


def test_good_values_pass_the_check() -> None:
    declared = {"02_rfm": {"bins": 5}, "03_personas": {"k_min": 3, "k_max": 7}}
    checked = segkit.report._params.check_parameters({"bins": 2, "k_min": 2, "k_max": 2}, declared)
    assert checked == {"02_rfm": {"bins": 2}, "03_personas": {"k_min": 2, "k_max": 2}}


def test_crm_table_names_are_free_without_the_kits_crm_page(tmp_path: Path) -> None:
    file = tmp_path / "cards.csv"
    file.write_text("card\n1\n")
    assert _runner._check_crm({"cards": file}) == {"cards": file.resolve()}
    with pytest.raises(segkit.ParameterError, match="unknown CRM table 'cards'"):
        _runner._check_crm({"cards": file}, known=segkit.CRM_TABLES)
