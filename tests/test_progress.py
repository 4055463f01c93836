"""Progress shows where someone watches (a terminal, a JupyterLab kernel) and nowhere else."""

from __future__ import annotations

import io

import duckdb
import pandas as pd
import pytest

import segkit
from segkit import _progress
from segkit._progress import ENV, engine_progress, progress, progress_enabled, stages, track
from segkit.datasets import make_transactions


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _no_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)


def test_terminal_on_pipe_off() -> None:
    assert progress_enabled(_Tty()) is True
    assert progress_enabled(io.StringIO()) is False


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("on", True), ("0", False), ("false", False)])
def test_environment_variable_wins(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv(ENV, value)
    assert progress_enabled(_Tty()) is expected
    assert progress_enabled(io.StringIO()) is expected


def test_kernels_show_progress_only_under_a_jupyter_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_progress, "_in_kernel", lambda: True)
    # papermill, nbval and nbconvert start kernels without JPY_SESSION_NAME: executed notebooks stay clean.
    assert progress_enabled(_Tty()) is False
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/analyst/rfm.ipynb")
    assert progress_enabled() is True


def test_bar_writes_to_stderr_only_when_enabled(capsys: pytest.CaptureFixture[str]) -> None:
    with progress(range(5), desc="fitting BG/NBD", unit=" steps", enabled=False) as steps:
        assert list(steps) == [0, 1, 2, 3, 4]
    assert capsys.readouterr() == ("", "")
    with progress(desc="reading", total=10, unit=" rows", enabled=True) as bar:
        bar.update(10)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "reading" in captured.err and "/10 " in captured.err


def test_track_follows_the_rule(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert list(track(range(3), desc="notebooks")) == [0, 1, 2]
    assert capsys.readouterr().err == ""  # pytest's captured stderr is no terminal
    monkeypatch.setenv(ENV, "1")
    assert list(track(range(3), desc="notebooks", total=3)) == [0, 1, 2]
    assert "notebooks" in capsys.readouterr().err


def _setting(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT value FROM duckdb_settings() WHERE name = 'enable_progress_bar'").fetchone()[0]


def test_engine_progress_switches_duckdbs_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    con = duckdb.connect()
    engine_progress(con)
    assert _setting(con) == "false"  # not a terminal: no bar, even for a query over 2 s
    monkeypatch.setenv(ENV, "1")
    engine_progress(con)
    assert _setting(con) == "true"


def test_shared_engine_connection_is_quiet_here() -> None:
    from segkit._backend import connection

    # The test process is not watched (stderr is captured), so the shared connection shows no bar; when
    # SEGKIT_PROGRESS is set for the whole run, the connection follows it.
    expected = "true" if progress_enabled() else "false"
    assert _setting(connection().con) == expected


def test_engine_progress_never_breaks_the_connection() -> None:
    class Refusing:
        def execute(self, sql: str) -> None:
            # What DuckDB says in a Jupyter kernel without ipywidgets, for any value of the setting.
            raise duckdb.InvalidInputException("required package 'ipywidgets' is missing")

    engine_progress(Refusing(), enabled=False)
    engine_progress(Refusing(), enabled=True)


def test_stages_count_the_named_steps(capsys: pytest.CaptureFixture[str]) -> None:
    with stages("churn model", total=2, enabled=True) as done:
        done("features")
        done("fit")
    err = capsys.readouterr().err
    assert "churn model" in err and "2/2" in err and "fit" in err
    with stages("churn model", total=2, enabled=False) as done:
        done("features")
    assert capsys.readouterr() == ("", "")


@pytest.fixture()
def _restore_engine_bar(monkeypatch: pytest.MonkeyPatch):
    """Tests that switch progress on may open the shared connection with DuckDB's bar on: switch it back."""
    yield
    from segkit._backend import connection

    monkeypatch.undo()
    engine_progress(connection())


# -- the long model fits --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_base() -> segkit.Transactions:
    tx, _ = make_transactions(400, seed=2)
    return segkit.read_transactions(tx)


def _btyd_fit(tx: segkit.Transactions) -> pd.Series:
    return segkit.BetaGeoModel().fit(segkit.btyd_summary(tx, time_scale=7)).params_


FITS = {
    "personas": (
        lambda tx: segkit.Personas(k_range=(3, 4), n_resamples=1).fit(tx),
        ("personas: k-means for each k", "personas: stability refits"),
    ),
    "churn": (lambda tx: segkit.ChurnModel().fit(tx), ("churn model", "3/3", "importance")),
    "survival": (lambda tx: segkit.survival_curves(tx), ("survival: Kaplan-Meier per group",)),
    "clv": (_btyd_fit, ("BetaGeoModel fit", "iterations")),
}


@pytest.mark.parametrize("name", list(FITS))
@pytest.mark.usefixtures("_restore_engine_bar")
def test_long_fits_show_progress_when_watched(
    name: str,
    small_base: segkit.Transactions,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fit, expected = FITS[name]
    monkeypatch.setenv(ENV, "1")
    capsys.readouterr()
    fit(small_base)
    captured = capsys.readouterr()
    for text in expected:
        assert text in captured.err, (text, captured.err[-500:])
    assert not any(text in captured.out for text in expected)  # bars never go to a cell's printed output


@pytest.mark.usefixtures("_restore_engine_bar")
def test_fits_are_quiet_when_nobody_watches_and_progress_changes_no_result(
    small_base: segkit.Transactions, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV, "0")
    capsys.readouterr()
    quiet_params = _btyd_fit(small_base)
    quiet_curves = segkit.survival_curves(small_base).summary_
    captured = capsys.readouterr()
    assert "fit" not in captured.err and "Kaplan-Meier" not in captured.err
    monkeypatch.setenv(ENV, "1")
    pd.testing.assert_series_equal(_btyd_fit(small_base), quiet_params, check_exact=True)
    pd.testing.assert_frame_equal(segkit.survival_curves(small_base).summary_, quiet_curves, check_exact=True)
