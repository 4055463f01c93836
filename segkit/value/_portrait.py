"""The collective portrait of A customers: what sets them apart from the rest, for look-alike acquisition.

The methodology [S1] asks for a portrait of the A clients so that acquisition aims at look-alikes. Here
the portrait compares every numeric feature of A customers with the other customers and ranks the
features by how strongly they differ (the standardised mean difference).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError
from ..engine import customer_summary
from ..io._contract import Transactions, as_transactions
from ._abc import ABCResult

__all__ = ["abc_portrait"]

# Columns of the engine's customer summary that describe behaviour (dates and ids are not features).
_SUMMARY_FEATURES = (
    "n_orders",
    "n_purchase_days",
    "avg_order_value",
    "revenue",
    "n_returns",
    "returns_amount",
    "quantity",
    "margin",
    "n_categories",
    "n_channels",
    "recency_days",
    "tenure_days",
)


def abc_portrait(
    abc_result: ABCResult,
    data: Transactions | pd.DataFrame | None = None,
    *,
    features: pd.DataFrame | None = None,
    abc_class: str = "A",
) -> pd.DataFrame:
    """How the customers of ``abc_class`` (A) differ from all the others, feature by feature.

    Parameters
    ----------
    abc_result : ABCResult
        The ABC analysis whose classes are compared.
    data : Transactions or DataFrame, optional
        The transactions, to build the default features: the engine's per-customer summary
        (:func:`segkit.customer_summary`) as of the ABC's as-of date.
    features : DataFrame, optional
        Per-customer features indexed by customer id (e.g. :func:`segkit.customer_features`); used
        instead of the summary. Numeric columns are compared; others are ignored.
    abc_class : str
        The class to portray (``"A"``).

    Returns
    -------
    pandas.DataFrame
        One row per feature, the most different first: ``mean_class``, ``mean_rest``, ``median_class``,
        ``median_rest``, ``ratio`` (mean of the class / mean of the rest) and ``std_difference`` (the
        difference of means in pooled standard deviations; above 0.8 in absolute value is a large
        difference by Cohen's rule of thumb). ``attrs`` holds the group sizes.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "c", "d"],
    ...                    "order_date": ["2024-01-05", "2024-02-05", "2024-03-05", "2024-02-01", "2024-03-01",
    ...                                   "2024-03-02"],
    ...                    "amount": [500.0, 400.0, 600.0, 20.0, 30.0, 25.0]})
    >>> r = segkit.abc(df, d_rule="none")
    >>> p = segkit.abc_portrait(r, df)
    >>> p.loc["n_orders", ["mean_class", "mean_rest"]].tolist()
    [3.0, 1.0]
    """
    if not isinstance(abc_result, ABCResult):
        raise ParameterError(f"abc_result must be a segkit.abc(...) result; got {type(abc_result).__name__}.")
    classes = abc_result.table_["abc_class"]
    if features is None:
        if data is None:
            raise ParameterError("Pass the transactions (data=...) or a features table (features=...).")
        tx = as_transactions(data)
        summary = customer_summary(tx, as_of=abc_result.as_of)
        features = summary[[c for c in _SUMMARY_FEATURES if c in summary.columns]]
    if not isinstance(features, pd.DataFrame):
        raise ParameterError(
            f"features must be a DataFrame indexed by customer id; got {type(features).__name__}."
        )
    numeric = features.select_dtypes("number").reindex(classes.index.astype(str))
    numeric = numeric.loc[:, numeric.notna().any()]
    in_class = (classes == abc_class).to_numpy()
    if in_class.sum() == 0 or (~in_class).sum() == 0:
        raise ParameterError(
            f"The portrait compares class {abc_class} with the rest, but {int(in_class.sum())} of "
            f"{len(in_class)} customers are in {abc_class}; there is nothing to compare."
        )
    rows = {name: _compare(col.to_numpy(dtype=float), in_class) for name, col in numeric.items()}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "feature"
    out = out.reindex(out["std_difference"].abs().sort_values(ascending=False, kind="mergesort").index)
    out.attrs.update(n_class=int(in_class.sum()), n_rest=int((~in_class).sum()), abc_class=abc_class)
    return out


def _compare(values: np.ndarray, in_class: np.ndarray) -> dict[str, Any]:
    a, b = values[in_class], values[~in_class]
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    mean_a, mean_b = float(a.mean()) if a.size else np.nan, float(b.mean()) if b.size else np.nan
    var_a = float(a.var(ddof=1)) if a.size > 1 else 0.0
    var_b = float(b.var(ddof=1)) if b.size > 1 else 0.0
    pooled = np.sqrt((var_a + var_b) / 2.0)
    diff = (mean_a - mean_b) / pooled if pooled > 0 else 0.0
    return {
        "mean_class": mean_a,
        "mean_rest": mean_b,
        "median_class": float(np.median(a)) if a.size else np.nan,
        "median_rest": float(np.median(b)) if b.size else np.nan,
        "ratio": mean_a / mean_b if mean_b else np.nan,
        "std_difference": float(diff),
    }
