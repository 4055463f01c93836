"""Renamed public names: a warning that names the new name, the same object, removal one minor version later."""

from __future__ import annotations

import types

import pytest

import segkit
from segkit import _deprecation
from segkit._deprecation import RENAMED, renamed


def _version_tuple(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


@pytest.fixture()
def module() -> types.ModuleType:
    mod = types.ModuleType("segkit.demo")
    mod.customer_summary = segkit.customer_summary
    before = len(RENAMED)
    mod.__getattr__ = renamed("segkit.demo", vars(mod), {"summarise_customers": ("customer_summary", "0.2")})
    yield mod
    del RENAMED[before:]  # keep the registry to segkit's own renames


def test_old_name_warns_and_returns_the_new_object(module: types.ModuleType) -> None:
    with pytest.warns(
        DeprecationWarning,
        match=r"segkit.demo.summarise_customers was renamed to "
        r"segkit.demo.customer_summary in segkit 0.2 and will be removed in segkit 0.3",
    ):
        old = module.summarise_customers
    assert old is segkit.customer_summary


def test_the_warning_points_at_the_caller(module: types.ModuleType) -> None:
    with pytest.warns(DeprecationWarning) as caught:
        module.summarise_customers  # noqa: B018
    assert caught[0].filename == __file__


def test_unknown_names_are_still_attribute_errors(module: types.ModuleType) -> None:
    with pytest.raises(AttributeError, match="module 'segkit.demo' has no attribute 'nothing'"):
        module.nothing  # noqa: B018
    assert not hasattr(module, "nothing")


def test_removal_is_one_minor_version_later() -> None:
    assert _deprecation._next_minor("0.2") == "0.3"
    assert _deprecation._next_minor("1.9.2") == "1.10"


def test_no_deprecated_alias_outlives_its_removal_version() -> None:
    current = _version_tuple(segkit.__version__)
    overdue = [
        r for r in RENAMED if r.module.startswith("segkit") and current >= _version_tuple(r.removed_in)
    ]
    assert overdue == [], f"remove these aliases (segkit is {segkit.__version__}): {overdue}"
