"""Draw BTYD summaries from the BG/NBD and Gamma-Gamma models themselves (for tests and benchmarks)."""

from __future__ import annotations

from collections.abc import Mapping

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
        BG/NBD ``r``, ``alpha``, ``a``, ``b``.
    spend_params : mapping, optional
        Gamma-Gamma ``p``, ``q``, ``gamma``; without it ``monetary_value`` is 0.
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
    if not isinstance(n_customers, int | np.integer) or n_customers < 1:
        raise ParameterError(f"n_customers must be a positive integer; got {n_customers!r}.")
    try:
        r, alpha, a, b = (float(params[k]) for k in ("r", "alpha", "a", "b"))
    except (KeyError, TypeError) as exc:
        raise ParameterError(f"params must give r, alpha, a and b; got {params!r}.") from exc
    rng = np.random.default_rng(seed)
    n = int(n_customers)
    length = np.full(n, float(T)) if np.isscalar(T) else rng.uniform(T[0], T[1], n)
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
    if spend_params is not None:
        p, q, g = (float(spend_params[k]) for k in ("p", "q", "gamma"))
        nu = rng.gamma(q, 1 / g, n)
        repeat = x > 0
        # The mean of x Gamma(p, nu) purchase values is Gamma(p * x, nu * x).
        z = rng.gamma(p * np.maximum(x, 1), 1 / (nu * np.maximum(x, 1)))
        out["monetary_value"] = np.where(repeat, z, 0.0)
    return out
