"""Per-customer behaviour features: the table personas are clustered on.

One row per customer with the classic behaviour measures (recency, frequency, monetary, tenure, basket
size, rhythm) plus, when the data has them, how concentrated each customer is on one category or channel,
and optional categorical attributes. Everything heavy comes from the engine layer; this module only
joins the small per-customer frames.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .._errors import ParameterError
from .._validation import DateLike
from ..engine import Snapshot, customer_gaps, customer_mix, customer_summary, snapshot
from ..io import Transactions

__all__ = ["BEHAVIOUR_FEATURES", "FEATURE_LABELS", "customer_features"]

#: The behaviour features every customer has, in table order; the default clustering set of personas.
BEHAVIOUR_FEATURES = (
    "recency_days",
    "n_orders",
    "revenue",
    "tenure_days",
    "avg_order_value",
    "gap_days",
)

#: Plain-language labels of the features, for tables, plots and generated descriptions.
FEATURE_LABELS = {
    "recency_days": "days since last purchase",
    "n_orders": "number of orders",
    "revenue": "revenue (net of returns)",
    "tenure_days": "days since first purchase",
    "avg_order_value": "average order value",
    "gap_days": "typical days between purchases",
    "top_category": "favourite category",
    "top_category_share": "share of orders in the favourite category",
    "top_channel": "favourite channel",
    "top_channel_share": "share of orders in the favourite channel",
}


def customer_features(
    data: Transactions | pd.DataFrame | Snapshot,
    *,
    as_of: DateLike | None = None,
    attributes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per-customer behaviour features for clustering and profiling.

    Parameters
    ----------
    data : Transactions or DataFrame
        Canonical transactions (see :func:`segkit.read_transactions`).
    as_of : date-like, optional
        Analysis date; defaults to the day after the last transaction.
    attributes : sequence of str, optional
        Customer attribute columns carried through :func:`segkit.read_transactions` (``attributes=``),
        e.g. ``["Country"]``. Each becomes a categorical column holding the customer's most frequent value.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted), one row per customer with a purchase before ``as_of``:

        - ``recency_days``: whole days from the last purchase day to ``as_of`` (recency);
        - ``n_orders``: distinct purchase orders (frequency);
        - ``revenue``: purchases minus returns (monetary);
        - ``tenure_days``: days from the first purchase day to ``as_of``;
        - ``avg_order_value``: gross purchases per order;
        - ``gap_days``: median days between consecutive purchase days. A customer with a single
          purchase day has no gap yet; they get the days since that purchase, a lower bound of their
          gap (they have not come back so far), so one-time buyers of long ago read as "rare";
        - ``top_category``, ``top_category_share``, ``top_channel``, ``top_channel_share`` when the data
          has ``category`` / ``channel``: the favourite value and the share of the customer's orders in
          it (1.0 for one-order customers);
        - one column per attribute.

        ``attrs`` holds ``as_of``, ``categorical`` (the text columns) and ``attributes``.

    Raises
    ------
    ParameterError
        When an attribute is not a non-canonical column of the data.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "order_date": ["2024-01-01", "2024-01-11", "2024-01-31", "2024-02-01"],
    ...     "amount": [10.0, 30.0, 20.0, 50.0],
    ...     "channel": ["store", "online", "online", "phone"],
    ... })
    >>> f = segkit.customer_features(df, as_of="2024-03-01")
    >>> f[["recency_days", "n_orders", "revenue", "tenure_days"]]
                 recency_days  n_orders  revenue  tenure_days
    customer_id
    a                      30         3     60.0           60
    b                      29         1     50.0           29
    >>> f[["avg_order_value", "gap_days"]]
                 avg_order_value  gap_days
    customer_id
    a                       20.0      15.0
    b                       50.0      29.0
    >>> f[["top_channel", "top_channel_share"]].round(3)
                top_channel  top_channel_share
    customer_id
    a                online              0.667
    b                 phone              1.000
    """
    snap = snapshot(data, as_of=as_of)
    as_of = snap.as_of
    attributes = _check_attributes(snap, attributes)
    summary = customer_summary(snap)
    out = summary[["recency_days", "n_orders", "revenue", "tenure_days", "avg_order_value"]].copy()
    gaps = customer_gaps(snap)["gap_median_days"].reindex(out.index)
    out["gap_days"] = gaps.fillna(out["tenure_days"].astype(float))
    categorical: list[str] = []
    for column in ("category", "channel"):
        if snap.has(column):
            mix = customer_mix(snap, column).reindex(out.index)
            # No known value at all (the column is empty for this customer's lines): no favourite.
            out[f"top_{column}"] = mix["top"].fillna("(unknown)").astype("str")
            out[f"top_{column}_share"] = mix["top_share"].fillna(0.0)
            categorical.append(f"top_{column}")
    for name in attributes:
        values = customer_mix(snap, name)["top"].reindex(out.index)
        out[name] = values.fillna("(unknown)").astype("str")
        categorical.append(name)
    out.attrs = {"as_of": as_of, "categorical": categorical, "attributes": list(attributes)}
    return out


def _check_attributes(snap: Snapshot, attributes: Sequence[str] | None) -> list[str]:
    if attributes is None:
        return []
    if isinstance(attributes, str):
        attributes = [attributes]
    available = snap.attributes
    names = list(attributes)
    for name in names:
        if name not in available:
            hint = (
                f"The data carries these attribute columns: {available}."
                if available
                else "The data carries no attribute columns; pass attributes=[...] to read_transactions first."
            )
            raise ParameterError(f"attributes: {name!r} is not an attribute column of the data. {hint}")
    return names
