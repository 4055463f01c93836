"""The wheel works outside the repository: it carries the notebooks and the sample, and `segkit report` runs.

The wheel is built the way a release is (sdist first, then the wheel from the unpacked sdist, so MANIFEST.in is
checked too), from a copy of the sources, without build isolation (offline). The install test puts the wheel
into a fresh virtual environment that reuses this environment's dependencies (but not its segkit) through a
``.pth`` file, so it needs no network and takes seconds, not minutes.
"""

from __future__ import annotations

import email
import json
import os
import shutil
import site
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import segkit

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "CHANGELOG.md")
SOURCE_DIRS = ("segkit", "notebooks", "data")
KERNEL_PYTHON = "from jupyter_client.kernelspec import KernelSpecManager as K; print(K().get_kernel_spec('python3').argv[0])"


def _backend(call: str, cwd: Path, out: Path) -> tuple[Path, str]:
    """Run ``setuptools.build_meta.<call>(out)`` in a subprocess; return the artefact and the build log."""
    code = f"from setuptools import build_meta as b; print(b.{call}({str(out)!r}))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out / done.stdout.strip().splitlines()[-1], done.stdout + done.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("build")
    src = root / "src"
    src.mkdir()
    for name in SOURCES:
        shutil.copy2(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_bundled", ".ipynb_checkpoints", "*.egg-info")
    for name in SOURCE_DIRS:
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    sdist, sdist_log = _backend("build_sdist", src, root / "dist")
    with tarfile.open(sdist) as tar:
        tar.extractall(root / "unpacked", filter="data")
    (unpacked,) = (root / "unpacked").iterdir()
    wheel, wheel_log = _backend("build_wheel", unpacked, root / "dist")
    return {"sdist": sdist, "wheel": wheel, "log": sdist_log + wheel_log}


def _repo_bundle() -> set[str]:
    notebooks = {f"segkit/_bundled/notebooks/{p.name}" for p in (REPO / "notebooks").glob("*.ipynb")}
    data = {
        f"segkit/_bundled/data/{p.relative_to(REPO / 'data').as_posix()}"
        for p in (REPO / "data").rglob("*.csv")
    }
    return notebooks | data


def test_wheel_bundles_every_notebook_and_sample_file(built: dict) -> None:
    with zipfile.ZipFile(built["wheel"]) as whl:
        names = set(whl.namelist())
        bundled = {n for n in names if n.startswith("segkit/_bundled/")}
        assert bundled == _repo_bundle()
        assert "segkit/_data/segkit.yaml" in names
        assert not [n for n in names if n.startswith(("notebooks/", "data/", "tests/"))]
        for name in sorted(bundled):
            if name.endswith(".ipynb"):  # copied byte for byte, outputs included
                assert whl.read(name) == (REPO / "notebooks" / Path(name).name).read_bytes()
        (meta_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = email.message_from_bytes(whl.read(meta_name))
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert meta["Version"] == segkit.__version__
    assert meta["License-Expression"] == "MIT"


def test_build_has_no_license_or_packaging_warnings(built: dict) -> None:
    log = built["log"]
    assert "project.license" not in log
    assert "SetuptoolsDeprecationWarning" not in log
    assert "no files found matching" not in log  # every MANIFEST.in line matches something


def test_sdist_carries_the_sources_of_the_bundle(built: dict) -> None:
    with tarfile.open(built["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    expected = {n.replace("segkit/_bundled/", "") for n in _repo_bundle()}
    assert expected <= names
    assert {"setup.py", "MANIFEST.in", "LICENSE", "CHANGELOG.md"} <= names


def _fresh_venv(root: Path, wheel: Path) -> Path:
    """A virtual environment with the wheel installed and this environment's dependencies visible."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Plain path lines append these folders after the venv's own site-packages; the .pth files inside them
    # (among them this checkout's editable segkit) are not processed, so only the wheel's segkit is importable.
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "_segkit_test_deps.pth").write_text("\n".join(deps) + "\n")
    # nbconvert's HTML templates are data files in the environment's prefix, where a real install puts them too.
    templates = Path(sys.prefix) / "share" / "jupyter" / "nbconvert"
    if templates.is_dir():
        (venv / "share" / "jupyter").mkdir(parents=True, exist_ok=True)
        (venv / "share" / "jupyter" / "nbconvert").symlink_to(templates, target_is_directory=True)
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index"]
    done = subprocess.run([*install, "--quiet", str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return venv


def _clean_env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.mark.slow
def test_installed_wheel_runs_the_full_report_from_an_empty_folder(built: dict, tmp_path: Path) -> None:
    venv = _fresh_venv(tmp_path, built["wheel"])
    env = _clean_env(venv)
    work = tmp_path / "empty"
    work.mkdir()
    where = subprocess.run(
        [
            venv / "bin" / "python",
            "-c",
            "import segkit, segkit._resources as r; print(segkit.__file__, r.notebooks_dir())",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in where), where  # not this checkout's segkit
    kernel = subprocess.run(
        [venv / "bin" / "python", "-c", KERNEL_PYTHON],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert kernel == "python" or Path(kernel).is_relative_to(venv), kernel  # notebooks run in the fresh venv

    version = subprocess.run(
        [venv / "bin" / "segkit", "--version"], cwd=work, env=env, capture_output=True, text=True, check=True
    )
    assert version.stdout.strip() == f"segkit {segkit.__version__}"

    done = subprocess.run(
        [venv / "bin" / "segkit", "report"], cwd=work, env=env, capture_output=True, text=True, timeout=1200
    )
    assert done.returncode == 0, done.stderr[-4000:]
    (folder,) = (work / "reports").iterdir()
    run = json.loads((folder / "run.json").read_text())
    expected = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))
    assert [nb["name"] for nb in run["notebooks"]] == expected
    assert all(nb["ok"] for nb in run["notebooks"])
    assert run["manifest"]["segkit_version"] == segkit.__version__
    for name in expected:
        assert (folder / f"{name}.ipynb").is_file() and (folder / f"{name}.html").is_file()
    assert "sample" in run["quality"]["source"]


def test_version_flag_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    from segkit import cli

    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"segkit {segkit.__version__}"
    assert segkit.__version__.count(".") >= 2  # MAJOR.MINOR.PATCH (plus an optional pre-release part)


def test_resources_fall_back_to_the_checkout() -> None:
    from segkit import _resources

    # This test runs from the repository with an editable install: no _bundled folder, the repository's files.
    assert _resources.notebooks_dir() == REPO / "notebooks"
    assert _resources.sample_data("sample_customers.csv") == REPO / "data" / "sample_customers.csv"
    with pytest.raises(
        segkit.DataContractError, match="No bundled sample file 'nope.csv'; available: .*sample_"
    ):
        _resources.sample_data("nope.csv")
