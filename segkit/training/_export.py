"""A small 1C-like sales export for the first lesson: what real Russian exports look like.

cp1251, ``;`` separators, decimal commas, DD.MM.YYYY dates, a title block above the header, Russian column
names, a few exact duplicate lines, returns as negative lines and a placeholder buyer ("Частное лицо").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..datasets import make_transactions

__all__ = ["EXPORT_COLUMNS", "PLACEHOLDER_NAME", "write_1c_export"]

#: How the export's columns map onto segkit's (the answer of the lesson's first exercise).
EXPORT_COLUMNS = {
    "customer": "Контрагент",
    "date": "Дата",
    "order": "Документ",
    "amount": "Сумма",
    "quantity": "Количество",
    "category": "Номенклатурная группа",
}
#: The buyer a till writes when it does not know the client: a placeholder, not a customer.
PLACEHOLDER_NAME = "Частное лицо"
_CATEGORIES = {
    "clothing": "Одежда",
    "home": "Дом",
    "beauty": "Красота",
    "sports": "Спорт",
    "electronics": "Электроника",
    "books": "Книги",
    "toys": "Игрушки",
    "food": "Продукты",
}


def write_1c_export(
    path: str | Path, *, n_customers: int = 300, seed: int = 3, duplicates: int = 6, returns: int = 9
) -> Path:
    """Write a 1C-like sales export (the shop of :func:`segkit.datasets.make_transactions`) to ``path``.

    Parameters
    ----------
    path : str or Path
        The file to write (``.csv``).
    n_customers : int
        Customers of the generated shop.
    seed : int
        Seed of the generator (the same seed writes the same file byte for byte).
    duplicates : int
        Lines repeated exactly (a double upload).
    returns : int
        Returned lines, written as negative amounts and quantities under a return document.

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import tempfile, pathlib, segkit
    >>> from segkit.training import EXPORT_COLUMNS, write_1c_export
    >>> path = write_1c_export(pathlib.Path(tempfile.mkdtemp()) / "sales.csv", n_customers=40)
    >>> path.read_bytes().decode("cp1251").splitlines()[0]
    'Отчёт «Продажи по контрагентам»'
    >>> segkit.read_transactions(path, **EXPORT_COLUMNS).quality.dropped["exact duplicate"]
    6
    """
    rng = np.random.default_rng(seed)
    tx, _ = make_transactions(n_customers, seed=seed)
    tx = tx.sort_values("order_date", kind="stable").reset_index(drop=True)
    numbers = tx["customer_id"].str[1:].astype(int)
    lines = pd.DataFrame(
        {
            "Документ": "Реализация " + tx["order_id"].str[1:],
            "Дата": tx["order_date"].dt.strftime("%d.%m.%Y"),
            "Контрагент": "ООО «Клиент " + numbers.map("{:04d}".format) + "»",
            "Номенклатурная группа": tx["category"].map(_CATEGORIES).fillna("Прочее"),
            "Количество": tx["quantity"],
            "Сумма": tx["amount"].round(2),
        }
    )
    # Till sales without a card: a placeholder buyer, on a few lines spread over the period.
    anonymous = rng.choice(len(lines), size=max(1, len(lines) // 100), replace=False)
    lines.loc[anonymous, "Контрагент"] = PLACEHOLDER_NAME
    # Returns: part of an earlier line comes back a little later under its own document.
    source = lines.drop(index=anonymous).sample(returns, random_state=seed)
    back = source.assign(
        **{
            "Документ": "Возврат " + source["Документ"].str.split(" ").str[1],
            "Количество": -source["Количество"],
            "Сумма": -source["Сумма"],
        }
    )
    doubled = lines.drop(index=anonymous).sample(duplicates, random_state=seed + 1)
    out = pd.concat([lines, back, doubled]).sort_values(["Дата", "Документ"], kind="stable")
    # 1C writes dates as DD.MM.YYYY: order by the real date, not by the text.
    out = out.iloc[np.argsort(pd.to_datetime(out["Дата"], format="%d.%m.%Y").to_numpy(), kind="stable")]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    title = "Отчёт «Продажи по контрагентам»\nОрганизация: ООО «Ромашка»\n\n"
    body = out.to_csv(sep=";", decimal=",", index=False, lineterminator="\n")
    path.write_bytes((title + body).encode("cp1251"))
    return path
