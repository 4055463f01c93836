"""The YAML report configuration, validated by a schema instead of hand-written checks.

A scheduled run is configured once and then runs unattended, so a wrong type must stop it with a message
that names the key, the value found and what was expected, never with a Python traceback or a silent
reinterpretation (a quoted ``"false"`` is not true).
"""

from __future__ import annotations

import datetime as _dt
import inspect
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from .._errors import ParameterError, SegkitError
from ..io import read_transactions

__all__ = ["CONFIG_KEYS", "ReportConfig", "load_report_config"]

# The mapping keywords of read_transactions (a source column per canonical role) and its other options.
_READ_SIGNATURE = inspect.signature(read_transactions).parameters
COLUMN_ROLES = (
    "customer",
    "date",
    "amount",
    "order",
    "quantity",
    "price",
    "margin",
    "cost",
    "product",
    "category",
    "channel",
)
READ_OPTIONS = tuple(n for n in _READ_SIGNATURE if n != "source" and n not in COLUMN_ROLES)

#: A JSON-like notebook parameter value: data only, never code.
ParameterValue = StrictBool | StrictInt | float | StrictStr | None | list[Any] | dict[StrictStr, Any]


class ReportConfig(BaseModel):
    """Every key a YAML report configuration may hold (see the README, "The report runner").

    Relative paths (``data``, ``output``, ``notebooks`` and the ``crm`` files) are relative to the
    configuration file.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    data: StrictStr | None = None
    table: StrictStr | None = None  # with a database URL as data: the table, or a SELECT as query
    query: StrictStr | None = None
    columns: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    read_options: dict[StrictStr, Any] = Field(default_factory=dict)
    as_of: StrictStr | _dt.date | None = None
    output: StrictStr | None = None
    notebooks: StrictStr | None = None
    force: StrictBool = False
    html: StrictBool = True
    parameters: dict[StrictStr, ParameterValue] = Field(default_factory=dict)
    window_months: Annotated[StrictInt, Field(ge=0, le=120)] = 12  # 0: all history
    mask_ids: StrictBool = False
    mask_key: StrictStr | None = None
    mask_safe: list[StrictStr] = Field(default_factory=list)
    crm: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    lang: Literal["en", "ru"] = "en"
    currency: StrictStr | None = None
    jobs: Annotated[StrictInt, Field(ge=1, le=64)] | None = None  # notebooks run at once

    @field_validator("currency")
    @classmethod
    def _iso_code(cls, value: str | None) -> str | None:
        from ..i18n import check_currency

        try:
            return check_currency(value)
        except SegkitError:
            raise ValueError(
                "expected an ISO 4217 code such as RUB, USD or EUR, or null for no currency"
            ) from None

    @field_validator("columns")
    @classmethod
    def _known_roles(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(COLUMN_ROLES))
        if unknown:
            raise ValueError(f"unknown column role(s) {unknown}; the roles are {list(COLUMN_ROLES)}")
        return value

    @field_validator("read_options")
    @classmethod
    def _known_options(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(READ_OPTIONS))
        if unknown:
            raise ValueError(f"unknown read option(s) {unknown}; the options are {list(READ_OPTIONS)}")
        return value

    @field_validator("as_of")
    @classmethod
    def _a_date(cls, value: Any) -> Any:
        if isinstance(value, str):
            from ..io import parse_date_param

            try:
                # The contract's one rule for date parameters: ISO or DD.MM.YYYY, never a slash form.
                return parse_date_param(value, "as_of").date()
            except SegkitError as exc:
                raise ValueError(str(exc)) from exc
        return value


class _Loader(yaml.SafeLoader):
    """YAML without implicit dates: ``as_of: 2024-13-45`` reaches the schema (and its message) as text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

#: Keys a YAML report configuration may hold.
CONFIG_KEYS = tuple(ReportConfig.model_fields)


def validate_config(values: dict[str, Any], *, where: str) -> ReportConfig:
    """Validate a mapping of configuration keys; raise :class:`ParameterError` naming each bad key."""
    try:
        return ReportConfig.model_validate(values)
    except ValidationError as exc:
        raise ParameterError(f"The report config {where} is invalid:\n" + _explain(exc)) from None


def _explain(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"] if not _is_type_tag(part))
        value = err.get("input")
        if err["type"] == "extra_forbidden":
            lines.append(f"  - {key}: unknown key; allowed keys are {list(CONFIG_KEYS)}.")
            continue
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"  - {key}: got {value!r} ({type(value).__name__}); {_lower_first(msg)}.")
    # Union types report one error per alternative; keep each distinct line once.
    return "\n".join(dict.fromkeys(lines))


def _is_type_tag(part: Any) -> bool:
    # pydantic adds the tried alternative of a union (``str``, ``list[any]``, ...) to the location.
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "float", "bool", "date", "none"})


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def load_report_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a YAML report configuration.

    Relative ``data``, ``output``, ``notebooks`` and ``crm`` paths are made relative to the file's folder.
    Returns the keys the file sets (validated), so command-line flags can override them one by one.

    Raises
    ------
    ParameterError
        When the file cannot be read, is not YAML, or a key is unknown or has the wrong type; the message
        names the key, the value and the expected type.

    Examples
    --------
    >>> import pathlib, tempfile, segkit
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "run.yaml").write_text("data: exports/shop.csv\\ncolumns: {customer: Client}\\n")
    >>> cfg = segkit.load_report_config(folder / "run.yaml")
    >>> cfg["columns"], cfg["data"] == str(folder.resolve() / "exports" / "shop.csv")
    ({'customer': 'Client'}, True)
    >>> _ = (folder / "bad.yaml").write_text("force: 'false'\\n")
    >>> segkit.load_report_config(folder / "bad.yaml")
    Traceback (most recent call last):
    ...
    segkit._errors.ParameterError: The report config 'bad.yaml' is invalid:
      - force: got 'false' (str); input should be a valid boolean.
    """
    path = Path(path)
    where = repr(path.name)
    try:
        loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except OSError as exc:
        raise ParameterError(f"Cannot read the report config {str(path)!r}: {exc.strerror}.") from None
    except yaml.YAMLError as exc:
        raise ParameterError(f"The report config {where} is not valid YAML: {exc}") from None
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise ParameterError(
            f"The report config {where} must be a mapping of keys {list(CONFIG_KEYS)}; "
            f"got a {type(loaded).__name__}."
        )
    config = validate_config(loaded, where=where)
    values = config.model_dump(include=set(loaded))
    base = path.resolve().parent
    for key in ("data", "output", "notebooks"):
        if isinstance(values.get(key), str) and "://" not in values[key]:  # database URLs stay as written
            values[key] = os.path.normpath(base / values[key])
    if "crm" in values:
        values["crm"] = {table: os.path.normpath(base / file) for table, file in values["crm"].items()}
    return values
