"""``segkit init``: a working folder with copies of the report notebooks, a commented config and a README.

With an export (``--from``), the column mapping is guessed from the header (common English and Russian column
names of shop, 1C, Bitrix24 and amoCRM exports) and then checked by reading the file with
:func:`segkit.read_transactions`, whose detection of the encoding and separator is written into the config.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from .._errors import ParameterError, SegkitError
from .._resources import default_config_text, report_notebooks
from ..io._contract import read_transactions

__all__ = ["InitResult", "guess_columns", "init_folder"]

#: Normalised source column names per read_transactions keyword, most specific first. Names are compared after
#: lower-casing and removing spaces, dots, dashes and underscores, so "Customer ID", "customer_id" and
#: "CustomerID" are one name. These lists are a kit convention drawn from common exports, not a standard.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "customer": (
        "customerid",
        "customer",
        "clientid",
        "client",
        "buyer",
        "userid",
        "contactid",
        "company",
        "account",
        "кодклиента",
        "idклиента",
        "клиент",
        "контрагент",
        "покупатель",
        "заказчик",
        "контакт",
        "компания",
    ),
    "date": (
        "orderdate",
        "invoicedate",
        "transactiondate",
        "purchasedate",
        "saledate",
        "date",
        "datetime",
        "timestamp",
        "createdat",
        "датазаказа",
        "датапродажи",
        "датадокумента",
        "датасделки",
        "датачека",
        "дата",
        "период",
        "датасоздания",
    ),
    "amount": (
        "amount",
        "linetotal",
        "total",
        "sum",
        "revenue",
        "sales",
        "value",
        "суммапродажи",
        "суммазаказа",
        "суммасндс",
        "сумма",
        "выручка",
        "стоимость",
        "итого",
        "бюджет",
    ),
    "order": (
        "orderid",
        "invoiceno",
        "invoiceid",
        "invoice",
        "ordernumber",
        "orderno",
        "order",
        "receipt",
        "номерзаказа",
        "номердокумента",
        "номерчека",
        "idсделки",
        "документ",
        "заказ",
        "сделка",
        "чек",
        "номер",
    ),
    "quantity": ("quantity", "qty", "units", "количество", "колво"),
    "price": ("unitprice", "price", "цена", "ценазаединицу"),
    "margin": ("margin", "grossprofit", "profit", "маржа", "валоваяприбыль", "прибыль"),
    "cost": ("cost", "costprice", "себестоимость"),
    "product": ("productid", "product", "stockcode", "sku", "item", "товар", "номенклатура", "артикул"),
    "category": ("category", "productgroup", "категория", "товарнаягруппа", "группаноменклатуры", "группа"),
    "channel": ("channel", "saleschannel", "source", "каналпродаж", "канал", "источник"),
}
_SEPARATORS = ";,\t|"
_SEP_VALUES = {"TAB": "\t", "whitespace": None}


@dataclass
class InitResult:
    """What ``segkit init`` wrote.

    Attributes
    ----------
    folder, config : pathlib.Path
        The working folder and its ``segkit.yaml``.
    notebooks : list of pathlib.Path
        The copied report notebooks.
    columns : dict
        The column mapping written into the config (empty for the bundled sample's canonical names).
    read_options : dict
        The read options written into the config (detected encoding and separator).
    check : str or None
        The data-quality summary of the export, or the contract's message when it could not be read as mapped.
    """

    folder: Path
    config: Path
    notebooks: list[Path] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    read_options: dict[str, Any] = field(default_factory=dict)
    check: str | None = None
    check_ok: bool = True

    def summary(self) -> str:
        """The lines ``segkit init`` prints."""
        lines = [f"Created {self.folder}: {self.config.name}, README.md, {len(self.notebooks)} notebooks."]
        if self.columns:
            lines.append(
                "Column mapping (check it in segkit.yaml): " + json.dumps(self.columns, ensure_ascii=False)
            )
        if self.check and not self.check_ok:
            lines.append(f"The export could not be read with this mapping yet: {self.check}")
            lines.append(f"Edit {self.config}, then run: segkit check --config {self.config}")
        else:
            lines.append(f"Next: segkit report --config {self.config}")
        return "\n".join(lines)


def _norm(name: Any) -> str:
    return re.sub(r"[\s._\-/#№()]+", "", str(name).strip().lower()).replace("ё", "е")


#: A column that starts with a known name but holds one of these is a different figure ("Сумма НДС" is the VAT,
#: "Amount discount" a discount), so it is only taken when the known name itself says so.
_NOT_BY_PREFIX = ("ндс", "vat", "tax", "скидк", "discount", "оплат", "payment")


def _matches(column: str, name: str, *, exact: bool) -> bool:
    if exact:
        return column == name
    if not column.startswith(name):
        return False
    return not any(token in column and token not in name for token in _NOT_BY_PREFIX)


def guess_columns(header: Iterable[Any]) -> dict[str, str]:
    """Guess the read_transactions column mapping from a header, by common English and Russian names.

    An exact name match wins over a partial one (a header name that starts with a known name, such as
    "Дата продажи" for "дата"); each source column is used once.

    Examples
    --------
    >>> from segkit.report._init import guess_columns
    >>> guess_columns(["Контрагент", "Дата", "Номер документа", "Сумма", "Склад"])
    {'customer': 'Контрагент', 'date': 'Дата', 'order': 'Номер документа', 'amount': 'Сумма'}
    >>> guess_columns(["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"])
    {'customer': 'CustomerID', 'date': 'InvoiceDate', 'order': 'InvoiceNo', 'quantity': 'Quantity', 'price': 'UnitPrice', 'product': 'StockCode'}
    """
    columns = [str(c) for c in header]
    normalised = {c: _norm(c) for c in columns}
    used: set[str] = set()
    found: dict[str, str] = {}
    for exact in (True, False):
        for role, names in COLUMN_NAMES.items():
            if role in found:
                continue
            for name in names:
                hits = [c for c in columns if c not in used and _matches(normalised[c], name, exact=exact)]
                if hits:
                    found[role] = hits[0]
                    used.add(hits[0])
                    break
    if "amount" in found and "quantity" in found and "price" in found:
        del found["price"]  # the line total is given; quantity x price is only the fallback
    order = ("customer", "date", "order", "amount", *COLUMN_NAMES)
    return {role: found[role] for role in dict.fromkeys(order) if role in found}


def _read_header(path: Path) -> list[str]:
    """The column names of an export (CSV, Excel, Parquet), decoded the way the contract decodes it."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in {".xlsx", ".xlsm", ".xls"}:
        return [str(c) for c in pd.read_excel(path, nrows=0).columns]
    if suffixes and suffixes[-1] in {".parquet", ".pq"}:
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    raw = path.read_bytes()[:65536] if suffixes[-1:] not in ([".gz"], [".zip"], [".bz2"], [".xz"]) else b""
    if not raw:
        # Compressed exports: the contract reads them; let pandas decompress the first lines.
        frame = pd.read_csv(path, nrows=5, sep=None, engine="python", dtype=str, encoding_errors="replace")
        return [str(c) for c in frame.columns]
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if len(lines) > 1 and len(raw) == 65536:
        lines = lines[:-1]  # the last line of a byte sample may be cut in half
    if not lines:
        raise ParameterError(
            f"The export {str(path)!r} is empty: there is no header to take column names from."
        )
    best: tuple[int, int, str] = (0, 0, ",")
    for sep in _SEPARATORS:
        counts = Counter(_fields(line, sep) for line in lines)
        width, rows = counts.most_common(1)[0]
        if width > 1 and (rows, width) > best[:2]:
            best = (rows, width, sep)  # the separator that splits most lines into the same number of fields
    _, width, sep = best
    # Title rows (a report name, a period) above the header have fewer fields than the table, or as many
    # but mostly empty (Excel pads them with separators): the header is the first full-width line with a
    # name in more than half of its fields.
    full = [ln for ln in lines if _fields(ln, sep) == width]
    named = [ln for ln in full if 2 * _named(ln, sep) > width]
    header = (named or full or lines)[0]
    return [c.strip() for c in next(csv.reader([header], delimiter=sep))]


def _fields(line: str, sep: str) -> int:
    return len(next(csv.reader([line], delimiter=sep)))


def _named(line: str, sep: str) -> int:
    return sum(1 for cell in next(csv.reader([line], delimiter=sep)) if cell.strip())


def _yaml_scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML scalar, quoted when needed


def _block(values: dict[str, Any], commented: Sequence[tuple[str, str]] = ()) -> str:
    lines = [f"  {key}: {_yaml_scalar(value)}" for key, value in values.items()]
    lines += [f"  # {key}: {example}" for key, example in commented if key not in values]
    if not values:
        lines.insert(0, "  {}")
    return "\n".join(lines)


def _check_export(path: Path, columns: dict[str, str]) -> tuple[dict[str, Any], str, bool]:
    """Read the export with the guessed mapping; return the detected read options and the outcome."""
    try:
        tx = read_transactions(path, **columns)
    except SegkitError as exc:
        return {}, str(exc), False
    except TypeError as exc:  # a mapping keyword the contract does not know
        return {}, str(exc), False
    detected: dict[str, Any] = {}
    options = tx.quality.read_options
    if options.get("encoding") and options["encoding"].lower().replace("-", "") != "utf8":
        detected["encoding"] = options["encoding"]
    sep = _SEP_VALUES.get(options.get("separator", ","), options.get("separator"))
    if sep and sep != ",":
        detected["sep"] = sep
    # Written out so that next month's export is read the same way even if its sample looks different.
    if options.get("decimal mark", ".") != ".":
        detected["decimal"] = options["decimal mark"]
    if options.get("date format"):
        detected["date_format"] = options["date format"]
    return detected, tx.quality.to_frame().to_string(index=False), True


def _relative(path: Path, start: Path) -> str:
    try:
        return os.path.relpath(path, start)
    except ValueError:  # another drive on Windows
        return str(path)


def _copy_notebooks(target: Path, data: str | None, columns: dict[str, str]) -> list[Path]:
    """Copy the report notebooks; their ``parameters`` cell points at the export, for use in JupyterLab."""
    import nbformat

    target.mkdir(parents=True, exist_ok=True)
    copies = []
    for source in report_notebooks():
        destination = target / source.name
        if data is None:
            shutil.copyfile(source, destination)
        else:
            nb = nbformat.read(source, as_version=4)
            for cell in nb.cells:
                if "parameters" in cell.get("metadata", {}).get("tags", []):
                    cell.source = _set_parameters(cell.source, data, columns)
            nbformat.write(nb, destination)
        copies.append(destination)
    return copies


def _set_parameters(source: str, data: str, columns: dict[str, str]) -> str:
    mapping = repr(dict(columns))
    source = re.sub(r"(?m)^data_path\s*=\s*None\b.*$", f"data_path = {data!r}  # set by segkit init", source)
    return re.sub(r"(?m)^columns\s*=\s*\{\}(.*)$", lambda m: f"columns = {mapping}{m.group(1)}", source)


def init_folder(
    folder: str | os.PathLike[str], *, source: str | os.PathLike[str] | None = None, force: bool = False
) -> InitResult:
    """Create a segkit working folder: ``notebooks/`` (copies), a commented ``segkit.yaml`` and ``README.md``.

    Parameters
    ----------
    folder : path
        The folder to create. It may exist, but files segkit would write must not, unless ``force``.
    source : path, optional
        A transactions export. Its header pre-fills the column mapping, which is then checked by reading
        the file with :func:`segkit.read_transactions`. Without it the config is for the bundled sample.
    force : bool
        Overwrite an existing ``segkit.yaml``, ``README.md`` and notebook copies.

    Returns
    -------
    InitResult

    Examples
    --------
    >>> import tempfile, segkit
    >>> from segkit.report._init import init_folder
    >>> result = init_folder(tempfile.mkdtemp() + "/shop")
    >>> sorted(segkit.load_report_config(result.config))[:3], result.notebooks[0].name
    (['as_of', 'columns', 'data'], '00_overview.ipynb')
    """
    folder = Path(folder).resolve()
    config = folder / "segkit.yaml"
    notebooks = report_notebooks()
    planned = [config, folder / "README.md", *(folder / "notebooks" / p.name for p in notebooks)]
    existing = [p for p in planned if p.exists()]
    if existing and not force:
        shown = ", ".join(str(p.relative_to(folder)) for p in existing[:5])
        raise ParameterError(
            f"{folder} already holds segkit files ({shown}). Choose a new folder, or pass --force (force=True) "
            "to overwrite them."
        )
    result = InitResult(folder=folder, config=config)
    data_value = "null"
    data_for_notebooks = None
    if source is not None:
        path = Path(source).resolve()
        if not path.is_file():
            raise ParameterError(f"--from {str(source)!r}: no such file (relative to {Path.cwd()}).")
        result.columns = guess_columns(_read_header(path))
        result.read_options, result.check, result.check_ok = _check_export(path, result.columns)
        data_value = _yaml_scalar(_relative(path, folder))
        data_for_notebooks = _relative(path, folder / "notebooks")
    folder.mkdir(parents=True, exist_ok=True)
    optional = [(k, "SOURCE COLUMN") for k in COLUMN_NAMES]
    text = default_config_text(
        data=data_value,
        columns=_block(result.columns, optional),
        read_options=_block(result.read_options, _policy_examples()),
    )
    if result.check and not result.check_ok:
        text += "\n# segkit init could not read the export with this mapping yet:\n"
        text += "".join(f"#   {line}\n" for line in result.check.splitlines())
    config.write_text(text, encoding="utf-8")
    result.notebooks = _copy_notebooks(folder / "notebooks", data_for_notebooks, result.columns)
    _write_readme(folder, config)
    return result


def _policy_examples() -> list[tuple[str, str]]:
    """The read_transactions policies with their defaults, as commented lines of the config."""
    import inspect

    signature = inspect.signature(read_transactions)
    names = (
        "returns",
        "cancel_prefix",
        "duplicates",
        "missing_customer",
        "zero_amount",
        "invalid",
        "date_format",
    )
    return [
        (name, _yaml_scalar(signature.parameters[name].default))
        for name in names
        if name in signature.parameters
    ]


def _write_readme(folder: Path, config: Path) -> None:
    from .. import __version__

    template = resources.files("segkit").joinpath("_data", "README.md").read_text(encoding="utf-8")
    text = string.Template(template).substitute(title=folder.name, version=__version__, config=config)
    (folder / "README.md").write_text(text, encoding="utf-8")
