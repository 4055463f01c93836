"""environment.yml must list the same dependencies, with the same bounds, as pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# PyPI name -> conda-forge name, where they differ.
CONDA_NAMES = {
    "duckdb": "python-duckdb",
    "ibis-framework[duckdb]": "ibis-duckdb",
    "matplotlib": "matplotlib-base",
}


def _split(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+(?:\[[^\]]+\])?)\s*(.*)$", requirement)
    assert match, requirement
    return match.group(1).lower(), match.group(2).replace(" ", "")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    pinned = dict(_split(r) for r in requirements)
    return {CONDA_NAMES.get(name, name): spec for name, spec in pinned.items()}


def _environment() -> tuple[dict[str, str], list]:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda: dict[str, str] = {}
    pip: list = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip += dep["pip"]
            continue
        name, spec = _split(dep)
        conda[name] = spec
    return conda, pip


def _drift(conda: dict[str, str], pyproject: dict[str, str]) -> list[str]:
    """Human-readable differences between the two dependency lists (empty when in sync)."""
    problems = [f"{n}: missing from environment.yml" for n in sorted(set(pyproject) - set(conda))]
    problems += [f"{n}: in environment.yml only" for n in sorted(set(conda) - set(pyproject))]
    problems += [
        f"{n}: environment.yml has {conda[n]!r}, pyproject.toml {pyproject[n]!r}"
        for n in sorted(set(conda) & set(pyproject))
        if conda[n] != pyproject[n]
    ]
    return problems


def test_environment_matches_pyproject() -> None:
    conda, pip = _environment()
    python = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert conda.pop("python") == python
    assert conda.pop("pip") == ""
    assert _drift(conda, _pyproject()) == []
    assert pip == ["-e ."]


def test_drift_is_reported_by_name() -> None:
    assert _drift({"pandas": ">=2", "extra": ""}, {"pandas": ">=3", "lifelines": ">=0.29"}) == [
        "lifelines: missing from environment.yml",
        "extra: in environment.yml only",
        "pandas: environment.yml has '>=2', pyproject.toml '>=3'",
    ]
