"""Where segkit's bundled files are: the report notebooks, the sample data and the default configuration.

In an installed wheel they are package data under ``segkit/_bundled/`` (the build copies the repository's
``notebooks/`` and ``data/`` there) and are found through :mod:`importlib.resources`. In a checkout or an
editable install there is no ``_bundled`` folder, and the repository's own ``notebooks/`` and ``data/`` are
used, so editing a notebook there takes effect without reinstalling.
"""

from __future__ import annotations

import string
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ._errors import DataContractError, ParameterError

__all__ = [
    "data_dir",
    "default_config",
    "default_config_text",
    "notebooks_dir",
    "report_notebooks",
    "sample_data",
]

#: The repository root when segkit runs from a checkout (``segkit/`` sits next to ``notebooks/`` and ``data/``).
_CHECKOUT = Path(__file__).resolve().parents[1]
SAMPLE_TRANSACTIONS = "sample_transactions.csv"


def _bundled(kind: str) -> Path | None:
    """The bundled folder ``kind`` of an installed segkit, or None (checkout, editable install)."""
    folder = resources.files("segkit").joinpath("_bundled", kind)
    # A wheel unpacks into site-packages, so the traversable is a real folder; a zipped import is not supported.
    if isinstance(folder, Path) and folder.is_dir():
        return folder
    return None


def _checkout(kind: str) -> Path | None:
    folder = _CHECKOUT / kind
    if (_CHECKOUT / "pyproject.toml").is_file() and folder.is_dir():
        return folder
    return None


def notebooks_dir() -> Path:
    """The folder of the report notebooks bundled with segkit.

    Raises
    ------
    ParameterError
        When segkit was installed without them (a broken build); the message says how to pass a folder.

    Examples
    --------
    >>> import segkit._resources as res
    >>> sorted(p.name for p in res.notebooks_dir().glob("*.ipynb"))[0]
    '00_overview.ipynb'
    """
    folder = _bundled("notebooks") or _checkout("notebooks")
    if folder is None:
        raise ParameterError(
            "segkit's report notebooks are not installed with this copy of segkit. Pass notebooks= (--notebooks) "
            "a folder of notebooks, or make one with `segkit init FOLDER` from a complete installation."
        )
    return folder


def report_notebooks(folder: str | Path | None = None) -> list[Path]:
    """The report notebooks of ``folder`` (default: the bundled ones): its top-level ``*.ipynb``, sorted.

    Subfolders (``training/``, translations) are not part of the report.
    """
    folder = notebooks_dir() if folder is None else Path(folder)
    return sorted(p for p in folder.glob("*.ipynb") if p.is_file())


def data_dir() -> Path:
    """The folder of the bundled sample data (``data/`` of the repository)."""
    folder = _bundled("data") or _checkout("data")
    if folder is None:
        raise DataContractError(
            "segkit's bundled sample data is not installed with this copy of segkit. Pass your own data "
            "(--data FILE), or reinstall segkit from a wheel or a checkout."
        )
    return folder


def sample_data(name: str = SAMPLE_TRANSACTIONS) -> Path:
    """Path of a bundled sample file, e.g. ``"sample_transactions.csv"`` or ``"sample_customers.csv"``.

    Examples
    --------
    >>> import segkit._resources as res
    >>> res.sample_data().name
    'sample_transactions.csv'
    """
    folder = data_dir()
    path = folder / name
    if not path.is_file():
        available = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.csv"))
        raise DataContractError(
            f"No bundled sample file {name!r}; available: {available}. In a checkout, regenerate the sample "
            "with `segkit sample-data data`."
        )
    return path


def default_config_text(**values: str) -> str:
    """The commented ``segkit.yaml`` template, with ``values`` filled in (see ``segkit init``).

    The keys are ``data``, ``columns``, ``read_options``, ``as_of``, ``output``, ``notebooks`` and
    ``parameters``, each a YAML fragment; missing ones take the defaults for the bundled sample.
    """
    defaults = {
        "data": "null",
        "columns": "  {}",
        "read_options": "  {}",
        "as_of": "null",
        "output": "reports",
        "notebooks": "notebooks",
        "parameters": "  {}",
    }
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        raise ParameterError(f"Unknown config template value(s) {unknown}; known: {sorted(defaults)}.")
    template = resources.files("segkit").joinpath("_data", "segkit.yaml").read_text(encoding="utf-8")
    return string.Template(template).substitute({**defaults, **values})


def default_config() -> dict[str, Any]:
    """The default report configuration (the template's values for the bundled sample) as a dict.

    Examples
    --------
    >>> import segkit._resources as res
    >>> cfg = res.default_config()
    >>> cfg["data"], cfg["output"], cfg["notebooks"]
    (None, 'reports', 'notebooks')
    """
    return yaml.safe_load(default_config_text())
