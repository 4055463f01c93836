"""Command line: ``segkit report`` (the scheduled job), ``segkit init``, ``segkit check`` and ``segkit sample-data``."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from ._errors import SegkitError

#: Environment variable that lets an unexpected error end in its traceback instead of one line.
DEBUG_ENV = "SEGKIT_DEBUG"

#: read_transactions column-mapping flags, shared by ``report`` and ``check``.
_COLUMN_FLAGS = (
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
_READ_FLAGS = ("date_format", "sep", "decimal", "encoding", "cancel_prefix")
_POLICY_FLAGS = {
    "returns": ("net", "drop", "raise"),
    "duplicates": ("drop", "keep"),
    "missing_customer": ("drop", "raise"),
    "zero_amount": ("drop", "keep"),
    "invalid": ("raise", "drop"),
}


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data (flags override the config file)")
    group.add_argument(
        "--data",
        help="transactions file (CSV, Excel, Parquet) or database URL (duckdb:///base.duckdb, "
        "postgresql://user@host:5432/db); default: the bundled sample",
    )
    group.add_argument("--table", help="with a database URL: the table to read (name or schema.name)")
    group.add_argument("--query", help="with a database URL: a SELECT to read instead of a table")
    for flag in _COLUMN_FLAGS:
        group.add_argument(f"--{flag}", metavar="COLUMN", help=f"source column for {flag}")
    group.add_argument(
        "--attribute", action="append", metavar="COLUMN", help="customer attribute to keep (repeatable)"
    )
    for flag in _READ_FLAGS:
        group.add_argument(f"--{flag.replace('_', '-')}", dest=flag)
    for flag, choices in _POLICY_FLAGS.items():
        group.add_argument(f"--{flag.replace('_', '-')}", dest=flag, choices=choices)
    _add_contract_arguments(group)


def _add_contract_arguments(group: argparse._ArgumentGroup) -> None:
    """The data contract's file and number options beyond the column mapping."""
    group.add_argument("--thousands", help="thousands separator of number columns: '', ' ', ',', '.', \"'\"")
    group.add_argument("--timezone", help="zone for dates with UTC offsets, e.g. Europe/Moscow")
    group.add_argument(
        "--header-row",
        dest="header_row",
        type=int,
        metavar="LINE",
        help="1-based line of the header row (default: found automatically)",
    )
    group.add_argument("--sheet", help="Excel sheet name or 0-based position")
    group.add_argument("--placeholders", choices=("drop", "keep"), help="rows of placeholder customer ids")
    group.add_argument(
        "--placeholder-customer",
        dest="placeholder_customers",
        action="append",
        metavar="ID",
        help="customer id of anonymous buyers (repeatable; replaces the default list)",
    )
    group.add_argument("--no-placeholders", action="store_true", help="no customer id is a placeholder")
    group.add_argument(
        "--outlier-dates",
        dest="outlier_dates",
        choices=("warn", "drop", "raise"),
        help="dates far outside the bulk of the data",
    )


def _contract_settings(args: argparse.Namespace, read_options: dict[str, Any]) -> None:
    for flag in ("thousands", "timezone", "header_row", "placeholders", "outlier_dates"):
        if getattr(args, flag, None) is not None:
            read_options[flag] = getattr(args, flag)
    if getattr(args, "sheet", None) is not None:
        read_options["sheet"] = int(args.sheet) if args.sheet.isdigit() else args.sheet
    if read_options.get("sep") in ("TAB", "\\t"):
        read_options["sep"] = "\t"
    if getattr(args, "placeholder_customers", None):
        read_options["placeholder_customers"] = args.placeholder_customers
    if getattr(args, "no_placeholders", False):
        read_options["placeholder_customers"] = []


#: read_transactions keywords (and as_of) as the CLI spells them, for error messages.
_CLI_FLAGS = {
    **{name: f"--{name.replace('_', '-')}" for name in (*_COLUMN_FLAGS, *_READ_FLAGS, *_POLICY_FLAGS)},
    "attributes": "--attribute",
    "thousands": "--thousands",
    "timezone": "--timezone",
    "header_row": "--header-row",
    "sheet": "--sheet",
    "placeholders": "--placeholders",
    "placeholder_customers": "--placeholder-customer",
    "outlier_dates": "--outlier-dates",
    "as_of": "--as-of",
    "table": "--table",
    "query": "--query",
    "window_months": "--window-months",
}
_KEYWORD = re.compile(
    r"(?<![\w.\-])("
    + "|".join(sorted(_CLI_FLAGS, key=len, reverse=True))
    + r")(=('[^']*'|\"[^\"]*\"|\w[\w\-]*(?:\.\w+)*)?|(?= must))"
)


def _cli_words(message: str) -> str:
    """Say ``--decimal ,`` where the library says ``decimal=','``: the user typed flags, not keywords."""

    def flag(match: re.Match) -> str:
        name, value = match.group(1), match.group(3)
        if value is None:
            return _CLI_FLAGS[name]
        text = value[1:-1] if value[:1] in "'\"" else value
        if text == "\\t" or text == "\t":
            text = "TAB"
        elif text == "" or re.search(r"[^\w.,/+:-]", text):
            text = "'" + text + "'"
        return f"{_CLI_FLAGS[name]} {text}"

    return _KEYWORD.sub(flag, message)


def _data_settings(args: argparse.Namespace, config: dict[str, Any]) -> tuple[Any, dict, dict]:
    columns = dict(config.get("columns") or {})
    read_options = dict(config.get("read_options") or {})
    for flag in _COLUMN_FLAGS:
        if getattr(args, flag, None):
            columns[flag] = getattr(args, flag)
    for flag in (*_READ_FLAGS, *_POLICY_FLAGS):
        if getattr(args, flag, None):
            read_options[flag] = getattr(args, flag)
    if args.attribute:
        read_options["attributes"] = args.attribute
    _contract_settings(args, read_options)
    for key in ("table", "query"):
        if getattr(args, key, None) or config.get(key):
            read_options[key] = getattr(args, key, None) or config[key]
    return args.data or config.get("data"), columns, read_options


def _parse_param(text: str) -> tuple[str, Any]:
    # Only the value is parsed (as JSON, else plain text); the runner checks the name against the notebooks.
    name, raw = _split_assignment("--param", text, "NAME=VALUE")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw  # plain words need no JSON quotes
    return name, value


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="segkit", description="Customer segmentation reports.")
    _add_version(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    _add_init(sub)

    report = sub.add_parser("report", help="run every report notebook into reports/<as-of date>/")
    report.add_argument(
        "--config", help="YAML file with data, columns, read_options, as_of, output, parameters"
    )
    _add_data_arguments(report)
    report.add_argument(
        "--as-of", dest="as_of", help="analysis date YYYY-MM-DD (default: day after the last sale)"
    )
    report.add_argument("--out", dest="output", help="folder for dated reports (default: reports)")
    report.add_argument(
        "--notebooks", help="folder of report notebooks (default: the ones installed with segkit)"
    )
    report.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra notebook parameter, value as JSON or plain text (repeatable)",
    )
    report.add_argument("--force", action="store_true", help="replace an existing report for the same date")
    report.add_argument("--no-html", action="store_true", help="skip the HTML copies")
    _add_runner_arguments(report)

    check = sub.add_parser("check", help="read and check a transactions file; print the data-quality summary")
    check.add_argument("--config", help="YAML report config to take the data settings from")
    _add_data_arguments(check)

    sample = sub.add_parser("sample-data", help="regenerate the bundled sample data byte for byte")
    sample.add_argument("folder", nargs="?", default="data")
    return parser


def _add_version(parser: argparse.ArgumentParser) -> None:
    from . import __version__

    parser.add_argument("--version", action="version", version=f"segkit {__version__}")


def _add_init(sub: Any) -> None:
    init = sub.add_parser(
        "init",
        help="make a working folder: copies of the report notebooks, a commented segkit.yaml, a README",
    )
    init.add_argument("folder", help="the folder to create (it may exist, but must not hold a segkit.yaml)")
    init.add_argument(
        "--from",
        dest="source",
        metavar="EXPORT",
        help="transactions export to pre-fill the column mapping from",
    )
    init.add_argument("--force", action="store_true", help="overwrite an existing segkit.yaml and notebooks")


def _cmd_init(args: argparse.Namespace) -> int:
    from .report._init import init_folder

    result = init_folder(args.folder, source=args.source, force=args.force)
    print(result.summary())
    return 0


def _config(args: argparse.Namespace) -> dict[str, Any]:
    from .report._runner import load_report_config

    return load_report_config(args.config) if getattr(args, "config", None) else {}


def _add_runner_arguments(report: argparse.ArgumentParser) -> None:
    group = report.add_argument_group("report settings (flags override the config file)")
    group.add_argument(
        "--window-months",
        type=int,
        metavar="N",
        help="analysis window of the whole report: complete months before the as-of date (default 12; 0: all history)",
    )
    group.add_argument(
        "--mask-ids",
        action="store_true",
        default=None,
        help="replace customer ids and free-text attributes by keyed pseudonyms (key: $SEGKIT_MASK_KEY)",
    )
    group.add_argument(
        "--mask-safe",
        action="append",
        metavar="COLUMN",
        help="attribute column that identifies nobody and stays readable under --mask-ids (repeatable)",
    )
    group.add_argument(
        "--lang",
        choices=["en", "ru"],
        help="report language: narrative, tables, index and CSV dialect (default en; config key lang)",
    )
    group.add_argument(
        "--currency",
        metavar="CODE",
        help="ISO 4217 currency shown with money, e.g. RUB (default: none; config key currency)",
    )
    group.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="notebooks run at once, each in its own kernel (default: $SEGKIT_REPORT_JOBS, else the CPU cores, "
        "at most 2; 1: one after another; config key jobs)",
    )
    group.add_argument(
        "--crm",
        action="append",
        default=[],
        metavar="TABLE=PATH",
        help="CRM table for the notebooks that use CRM data (repeatable)",
    )


def _runner_settings(args: argparse.Namespace, config: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of run_report other than the data settings: flags first, then the config."""
    parameters = dict(config.get("parameters") or {})
    parameters.update(dict(_parse_param(p) for p in args.param))
    crm = dict(config.get("crm") or {})
    for text in args.crm:
        table, path = _split_assignment("--crm", text, "TABLE=PATH")
        crm[table] = path
    return {
        "as_of": _as_of_value(args.as_of or config.get("as_of")),
        "output": args.output or config.get("output") or "reports",
        "notebooks": args.notebooks or config.get("notebooks"),
        "parameters": parameters,
        "force": args.force or config.get("force", False),
        "html_copies": not args.no_html and config.get("html", True),
        "window_months": args.window_months
        if args.window_months is not None
        else config.get("window_months", 12),
        "mask_ids": bool(args.mask_ids) or config.get("mask_ids", False),
        "mask_key_text": config.get("mask_key"),
        "mask_safe": args.mask_safe or config.get("mask_safe", []),
        "crm": crm,
        "lang": args.lang or config.get("lang", "en"),
        "currency": args.currency or config.get("currency"),
        "jobs": args.jobs if args.jobs is not None else config.get("jobs"),
    }


def _split_assignment(flag: str, text: str, shape: str) -> tuple[str, str]:
    if "=" not in text:
        raise SegkitError(f"{flag} takes {shape}, got {text!r}.")
    name, value = text.split("=", 1)
    return name.strip(), value


def _cmd_report(args: argparse.Namespace) -> int:
    from .report._runner import run_report

    config = _config(args)
    data, columns, read_options = _data_settings(args, config)
    result = run_report(data, columns=columns, read_options=read_options, **_runner_settings(args, config))
    if result.ok:
        print(f"Report ready: {result.folder / 'index.html'}")
        return 0
    print(
        f"Report written to {result.folder}, but {len(result.failed)} notebook(s) failed: "
        f"{', '.join(result.failed)}. Open their .ipynb or .html in the report folder to see the error cell.",
        file=sys.stderr,
    )
    return 1


def _as_of_value(value: Any) -> Any:
    """``--as-of`` read by the contract's date rule (ISO or DD.MM.YYYY; slash forms are refused)."""
    from .io import parse_date_param

    return None if value is None else parse_date_param(value, "as_of")


def _cmd_check(args: argparse.Namespace) -> int:
    import warnings

    from .io import DataQualityWarning
    from .report._notebook import load_report_data

    data, columns, read_options = _data_settings(args, _config(args))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # printed in the quality table below
        tx = load_report_data(data, columns=columns, read_options=read_options)
    table = tx.quality.to_frame()
    table["value"] = table["value"].map(lambda v: _cli_words(str(v)))  # warnings name flags, not keywords
    print(table.to_string(index=False))
    print(
        f"default as-of date: {tx.default_as_of.date()} ({tx.quality.as_of_rule or 'day after the last sale'})"
    )
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    from .datasets import write_samples

    for path in write_samples(args.folder):
        print(f"wrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``segkit`` command; returns the exit code."""
    from .report._staging import Terminated, sigterm_as_interrupt

    args = _build_parser().parse_args(argv)
    handlers = {"report": _cmd_report, "check": _cmd_check, "sample-data": _cmd_sample, "init": _cmd_init}
    try:
        with sigterm_as_interrupt():
            return handlers[args.command](args)
    except SegkitError as exc:
        print(f"segkit {args.command}: {_cli_words(str(exc))}", file=sys.stderr)
        return 2
    except Exception as exc:
        # An input segkit has no message for yet: one line a scheduler's log can show, not a traceback
        # from deep inside a library; the traceback is one environment variable away.
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        print(
            f"segkit {args.command}: stopped by an input or option segkit does not check yet "
            f"({type(exc).__name__}: {_cli_words(str(exc))}). Check the flags and the file; "
            f"{DEBUG_ENV}=1 shows the traceback.",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt as exc:
        how = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(f"segkit {args.command}: {how}; nothing was published.", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
