"""Scheduled runs cannot be hijacked, clobbered or leaked: parameters, config, lock, leftovers, signals, masking."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from _nbparams import notebook_parameters, runner_workspace, write_notebook  # tests/ is on sys.path

import segkit
from segkit import cli
from segkit.report import ReportBusyError, ReportExistsError
from segkit.report._mask import mask_key, mask_transactions, pseudonym
from segkit.report._staging import _host, remove_stale, report_lock

PARAMETERS = notebook_parameters(k_max=7, horizon_days=90, ratio=0.5, period="month", features=None)

# A light notebook (no segkit import) that waits for a file, so a test can act while the run is under way.
WAITING = """import time
from pathlib import Path
for _ in range(600):
    if Path(release).exists():
        break
    time.sleep(0.1)
print("released")
"""


def _notebook(path: Path, body: str, extra: str = "") -> None:
    write_notebook(path, body, parameters=PARAMETERS + extra)


@pytest.fixture()
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.chdir(tmp_path)
    ws = runner_workspace(tmp_path, ["a", "b", "c"], ["2024-01-05", "2024-02-03", "2024-03-01"])
    _notebook(ws["notebooks"] / "00_wait.ipynb", WAITING, extra=f'release = "{tmp_path / "release"}"\n')
    return ws


def _run(ws: dict[str, Path], **kwargs):
    kwargs.setdefault("progress", lambda _: None)
    return segkit.run_report(ws["data"], notebooks=ws["notebooks"], output=ws["out"], **kwargs)


# -- parameters are data, never code ---------------------------------------------------------------


INJECTIONS = [
    '__import__("os").system("touch HACKED");x',
    "x=1\nimport os; os.system('touch HACKED')\ny",
    "k_max = 1; open('HACKED', 'w'); z",
]


@pytest.mark.parametrize("name", INJECTIONS)
def test_injected_parameter_names_run_nothing(ws: dict[str, Path], name: str, capsys) -> None:
    args = ["report", "--data", str(ws["data"]), "--notebooks", str(ws["notebooks"]), "--out", str(ws["out"])]
    assert cli.main([*args, "--param", f"{name}=1"]) == 2
    err = capsys.readouterr().err
    refusals = ("is not a valid name", "Unknown notebook parameter", "expects an integer")
    assert any(r in err for r in refusals), err
    config = ws["root"] / "run.yaml"
    config.write_text(f"data: shop.csv\nnotebooks: notebooks\nparameters: {{{json.dumps(name)}: 1}}\n")
    assert cli.main(["report", "--config", str(config)]) == 2
    assert not (ws["root"] / "HACKED").exists() and not ws["out"].exists()


def test_unknown_mistyped_and_runner_parameters_stop_the_run(ws: dict[str, Path]) -> None:
    with pytest.raises(
        segkit.ParameterError, match=r"Unknown notebook parameter 'horizon' \(did you mean 'horizon_days'\?\)"
    ):
        _run(ws, parameters={"horizon": 30})
    with pytest.raises(
        segkit.ParameterError, match=r"'k_max': got 'two' \(str\), but notebook 00_wait expects an integer"
    ):
        _run(ws, parameters={"k_max": "two"})
    with pytest.raises(segkit.ParameterError, match="expects an integer"):
        _run(ws, parameters={"k_max": True})
    with pytest.raises(segkit.ParameterError, match=r"set by the runner, not by --param: use --as-of"):
        _run(ws, parameters={"as_of": "2024-06-01"})
    with pytest.raises(segkit.ParameterError, match=r"use --out"):
        _run(ws, parameters={"output_dir": "/elsewhere"})
    with pytest.raises(segkit.ParameterError, match="parameter values are numbers, text"):
        _run(ws, parameters={"features": {1, 2}})
    assert not ws["out"].exists()  # refused before any notebook, before any folder


def test_parameter_values_are_checked_against_the_declared_default() -> None:
    from segkit.report._params import check_parameters

    declared = {"a": {"ratio": 0.5, "period": "month", "features": None, "k_max": 7}, "b": {"k_max": 3}}
    checked = check_parameters({"ratio": 1, "features": ["x"], "k_max": 2}, declared)
    assert checked == {"a": {"ratio": 1.0, "features": ["x"], "k_max": 2}, "b": {"k_max": 2}}
    assert isinstance(checked["a"]["ratio"], float)
    with pytest.raises(segkit.ParameterError, match="expects text"):
        check_parameters({"period": 3}, declared)
    with pytest.raises(segkit.ParameterError, match="expects an integer"):
        check_parameters({"k_max": None}, declared)


# -- config validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("parameters: [1, 2]\n", r"parameters: got \[1, 2\] \(list\); input should be a valid dictionary"),
        ('columns: "x"\n', r"columns: got 'x' \(str\); input should be a valid dictionary"),
        ("read_options: {separator: ';'}\n", r"read_options: .*unknown read option\(s\) \['separator'\]"),
        ("as_of: 2024-13-45\n", r"as_of: got '2024-13-45' \(str\); as_of='2024-13-45' is not a real date"),
        (
            "as_of: 01/07/2024\n",
            r"as_of: got '01/07/2024' \(str\); as_of='01/07/2024' is ambiguous: it reads as 2024-07-01",
        ),
        ('force: "false"\n', r"force: got 'false' \(str\); input should be a valid boolean"),
        ("window_months: -1\n", r"window_months: got -1 \(int\); input should be greater than or equal to 0"),
        ("column: {customer: a}\n", r"column: unknown key; allowed keys are \['data'"),
        ("columns: {client: a}\n", r"unknown column role\(s\) \['client'\]"),
        ("- a\n- b\n", "must be a mapping of keys"),
        ("data: [\n", "is not valid YAML"),
    ],
)
def test_config_errors_name_key_value_and_type(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(text)
    with pytest.raises(segkit.ParameterError, match=message):
        segkit.load_report_config(path)


def test_config_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "crm").mkdir()
    path = tmp_path / "run.yaml"
    path.write_text("data: shop.csv\ncrm: {cards: crm/cards.csv}\nforce: false\nmask_safe: [Country]\n")
    config = segkit.load_report_config(path)
    assert config == {
        "data": str(tmp_path / "shop.csv"),
        "crm": {"cards": str(tmp_path / "crm" / "cards.csv")},
        "force": False,
        "mask_safe": ["Country"],
    }


# -- one writer per report --------------------------------------------------------------------------


def test_concurrent_same_date_runs_give_one_report_and_one_refusal(ws: dict[str, Path]) -> None:
    outcome: dict[str, object] = {}
    first = threading.Thread(target=lambda: outcome.setdefault("first", _run(ws)))
    first.start()
    lock = ws["out"] / ".2024-03-02.lock"
    for _ in range(600):
        if lock.exists():
            break
        time.sleep(0.1)
    with pytest.raises(
        ReportBusyError, match=r"Another segkit report run \(process .*\) is writing the report 2024-03-02"
    ):
        _run(ws)
    (ws["root"] / "release").touch()
    first.join(timeout=300)
    assert outcome["first"].ok
    assert sorted(p.name for p in ws["out"].iterdir()) == ["2024-03-02"]
    with pytest.raises(ReportExistsError, match="already exists"):
        _run(ws)


def test_lock_is_released_and_publish_refuses_a_folder_that_appeared(tmp_path: Path) -> None:
    from segkit.report._staging import publish, staging_folder

    with report_lock(tmp_path, "2024-01-01"):
        with pytest.raises(ReportBusyError):
            with report_lock(tmp_path, "2024-01-01"):
                pass
    with report_lock(tmp_path, "2024-01-01"):  # released on exit
        staging = staging_folder(tmp_path, "2024-01-01")
        (tmp_path / "2024-01-01").mkdir()  # another writer, not holding the lock, published meanwhile
        (tmp_path / "2024-01-01" / "theirs").touch()
        with pytest.raises(ReportExistsError, match="appeared .* while this run was working"):
            publish(staging, tmp_path / "2024-01-01", replace=False)
    assert (tmp_path / "2024-01-01" / "theirs").exists()


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_staging_of_a_dead_process_is_removed(tmp_path: Path) -> None:
    dead = _dead_pid()
    stale = tmp_path / f".2024-05-01.partial-{_host()}-{dead}-abc_123"
    stale.mkdir()
    (stale / "customers.csv").write_text("customer_id\nC00001\n")
    alive = tmp_path / f".2024-05-02.partial-{_host()}-{os.getppid()}-x"
    alive.mkdir()
    lines: list[str] = []
    with report_lock(tmp_path, "2024-06-01"):
        removed = remove_stale(tmp_path, locked_name="2024-06-01", say=lines.append)
    assert removed == [stale] and not stale.exists() and alive.exists()
    assert lines == [
        f"segkit report: removed {stale.name}, left by an interrupted run (process {dead} is gone)"
    ]


def _start_cli(ws: dict[str, Path]) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "segkit.cli", "report", "--data", str(ws["data"]),
        "--notebooks", str(ws["notebooks"]), "--out", str(ws["out"]),
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        cwd=ws["root"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for_staging(ws: dict[str, Path], process: subprocess.Popen) -> Path:
    for _ in range(1200):
        found = list(ws["out"].glob(".2024-03-02.partial-*")) if ws["out"].exists() else []
        if found and list(found[0].glob("*.ipynb")):  # the notebook is running
            return found[0]
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    raise AssertionError("the run never started its notebook")


def _ctrl_c(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGINT)  # a terminal's Ctrl-C signals the whole process group


def _scheduler_timeout(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)


@pytest.mark.slow  # four command-line processes, each importing segkit
def test_sigterm_behaves_like_sigint_and_a_killed_run_is_cleaned_up(ws: dict[str, Path]) -> None:
    for send, code, word in ((_ctrl_c, 130, "interrupted"), (_scheduler_timeout, 143, "terminated")):
        run = _start_cli(ws)
        staging = _wait_for_staging(ws, run)
        send(run)
        out, err = run.communicate(timeout=120)
        assert run.returncode == code, err
        assert err.strip().splitlines()[-1] == f"segkit report: {word}; nothing was published."
        assert "Traceback" not in err and "zmq" not in err and "KeyboardInterrupt" not in err
        assert not staging.exists() and sorted(p.name for p in ws["out"].iterdir()) == []

    killed = _start_cli(ws)
    staging = _wait_for_staging(ws, killed)
    killed.kill()  # SIGKILL: no cleanup can run
    killed.communicate(timeout=60)
    assert staging.exists()
    (ws["root"] / "release").touch()
    lines: list[str] = []
    assert _run(ws, progress=lines.append).ok
    assert (
        f"segkit report: removed {staging.name}, left by an interrupted run (process {killed.pid} is gone)"
        in lines
    )
    assert sorted(p.name for p in ws["out"].iterdir()) == ["2024-03-02"]


# -- masking ----------------------------------------------------------------------------------------


def test_mask_key_comes_from_the_environment_or_the_config() -> None:
    assert mask_key(environ={"SEGKIT_MASK_KEY": "k" * 16}) == b"k" * 16
    assert mask_key("c" * 20, environ={"SEGKIT_MASK_KEY": "k" * 16}) == b"c" * 20
    with pytest.raises(segkit.ParameterError, match="set the environment variable SEGKIT_MASK_KEY"):
        mask_key(environ={})
    with pytest.raises(segkit.ParameterError, match="at least 16"):
        mask_key("short", environ={})


def test_masking_replaces_ids_and_free_text_but_keeps_safe_columns() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["ИП Петров П.П.", "ООО Ромашка", "ИП Петров П.П."],
            "order_date": ["2024-01-05", "2024-02-03", "2024-03-01"],
            "amount": [10.0, 20.0, 5.0],
            "manager": ["Иванова", "Сидоров", "Иванова"],
            "region": ["Москва", "Тверь", "Москва"],
        }
    )
    tx = segkit.read_transactions(frame, attributes=["manager", "region"])
    key = b"0123456789abcdef"
    masked = mask_transactions(tx, key, safe=["region"])
    text = masked.data.to_csv()
    assert "Петров" not in text and "Ромашка" not in text and "Иванова" not in text
    assert masked.data["region"].tolist() == tx.data["region"].tolist()
    assert masked.data["customer_id"].tolist() == [pseudonym(v, key) for v in tx.data["customer_id"]]
    # The same key gives the same pseudonyms on another date's data (migration still matches customers).
    later = mask_transactions(segkit.read_transactions(frame.iloc[[1]], attributes=["manager"]), key)
    assert later.data["customer_id"].iloc[0] == pseudonym("ООО Ромашка", key)
    assert masked.quality == tx.quality  # counts do not change
