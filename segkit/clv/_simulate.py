"""Draw BTYD summaries from the BG/NBD and Gamma-Gamma models themselves (for tests and benchmarks)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError

__all__ = ["simulate_summary"]


def simulate_summary(
    n_customers: int,
    *,
    params: Mapping[str, float],
    spend_params: Mapping[str, float] | None = None,
    T: float | tuple[float, float] = 52.0,
    seed: int = 0,
) -> pd.DataFrame:
    """A BTYD summary of ``n_customers`` drawn from the BG/NBD model (and Gamma-Gamma spend).

    Parameters
    ----------
    n_customers : int
        Customers to draw.
    params : mapping
        BG/NBD ``r``, ``alpha``, ``a``, ``b``: positive finite numbers, no other keys.
    spend_params : mapping, optional
        Gamma-Gamma ``p``, ``q``, ``gamma`` (the same way); without it ``monetary_value`` is 0.
    T : float or (low, high)
        Observation length per customer; a pair draws it uniformly (customers acquired at different times).
    seed : int
        Seed of the random generator: the same arguments give the same table.

    Returns
    -------
    DataFrame
        ``frequency``, ``recency``, ``T``, ``monetary_value`` indexed by ``customer_id``, like
        :func:`segkit.btyd_summary`.

    Examples
    --------
    >>> import segkit
    >>> s = segkit.simulate_summary(1000, params={"r": 0.25, "alpha": 4.4, "a": 0.8, "b": 2.4}, seed=1)
    >>> bool((s["recency"] <= s["T"]).all()), len(s)
    (True, 1000)
    """
    if not isinstance(n_customers, int | np.integer) or isinstance(n_customers, bool) or n_customers < 1:
        raise ParameterError(f"n_customers must be a positive integer; got {n_customers!r}.")
    r, alpha, a, b = _model_params("params", params, ("r", "alpha", "a", "b"))
    spend = None if spend_params is None else _model_params("spend_params", spend_params, ("p", "q", "gamma"))
    low, high = _lengths(T)
    rng = np.random.default_rng(seed)
    n = int(n_customers)
    length = np.full(n, low) if _is_number(T) else rng.uniform(low, high, n)
    lam = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    x, t_x = np.zeros(n), np.zeros(n)
    clock = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    # One repeat purchase per pass for everyone still alive and inside their window; dropout after each.
    while alive.any():
        idx = np.flatnonzero(alive)
        clock[idx] += rng.exponential(1.0, idx.size) / lam[idx]
        inside = clock[idx] <= length[idx]
        buy = idx[inside]
        x[buy] += 1
        t_x[buy] = clock[buy]
        alive[idx[~inside]] = False
        alive[buy[rng.random(buy.size) < drop[buy]]] = False
    out = pd.DataFrame(
        {"frequency": x, "recency": t_x, "T": length, "monetary_value": np.zeros(n)},
        index=pd.Index([f"S{i:07d}" for i in range(n)], name="customer_id"),
    )
    if spend is not None:
        p, q, g = spend
        nu = rng.gamma(q, 1 / g, n)
        repeat = x > 0
        # The mean of x Gamma(p, nu) purchase values is Gamma(p * x, nu * x).
        z = rng.gamma(p * np.maximum(x, 1), 1 / (nu * np.maximum(x, 1)))
        out["monetary_value"] = np.where(repeat, z, 0.0)
    return out


def _model_params(name: str, params: Any, names: tuple[str, ...]) -> tuple[float, ...]:
    """The named model parameters as floats, each positive and finite, and no others."""
    wanted = ", ".join(names)
    if not isinstance(params, Mapping) or set(params) != set(names):
        raise ParameterError(f"{name} must give exactly {wanted}; got {params!r}.")
    values = []
    for key in names:
        value = params[key]
        if not _is_number(value) or not math.isfinite(value) or value <= 0:
            raise ParameterError(f"{name}[{key!r}] must be a positive finite number; got {value!r}.")
        values.append(float(value))
    return tuple(values)


def _lengths(T: Any) -> tuple[float, float]:
    """The range of observation lengths: one positive number, or a (low, high) pair with 0 < low <= high."""
    if _is_number(T):
        low = high = float(T)
    elif isinstance(T, tuple | list) and len(T) == 2 and all(_is_number(v) for v in T):
        low, high = float(T[0]), float(T[1])
    else:
        low = high = math.nan
    if not 0 < low <= high < math.inf:
        raise ParameterError(
            f"T must be a positive number of time units, or a pair (low, high) with 0 < low <= high; got {T!r}."
        )
    return low, high


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
