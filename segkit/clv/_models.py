"""BG/NBD and Gamma-Gamma models fitted by maximum likelihood on the BTYD summary.

The implementation is a small vectorised maximum-likelihood fit on scipy rather than a wrapper of lifetimes
(archived) or pymc-marketing (heavy): the log-likelihoods are written in log space with ``gammaln`` /
``betaln``, their gradients are analytic, customers with identical (frequency, recency, T) are fitted once with
a weight, and the optimiser works on log-parameters so every parameter stays positive. Standard errors come from
the observed information (the Hessian of the negative log-likelihood at the optimum).

References: Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
Pareto/NBD model", Marketing Science 24(2); Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves
for customer base analysis", Journal of Marketing Research 42(4); Fader & Hardie's notes on the BG/NBD and
the Gamma-Gamma model.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special
from threadpoolctl import threadpool_limits

from .._errors import ParameterError, SegkitError, data_error
from .._progress import progress
from .._validation import Interval, Options, validate_fit_params, validate_params

__all__ = ["BetaGeoModel", "FitError", "GammaGammaModel", "ParetoNBDModel", "SpendDependenceWarning"]

_DAYS = {"day": 1.0, "week": 7.0}
#: The largest frequency x recency grid :meth:`BetaGeoModel.matrix` builds (a few arrays of this many floats).
_MAX_CELLS = 1_000_000


def _optimizer_reason(message: object) -> str:
    """The optimiser's stop message in words: L-BFGS-B may end with a bare ``"ABNORMAL: "``.

    >>> _optimizer_reason("ABNORMAL: ")
    'the line search found no better parameters (ABNORMAL)'
    >>> _optimizer_reason("STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT")
    'STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT'
    """
    text = str(message).strip().rstrip(":;").strip()
    if text.upper() in ("ABNORMAL", "ABNORMAL_TERMINATION_IN_LNSRCH", ""):
        return "the line search found no better parameters (ABNORMAL)"
    return text


class FitError(SegkitError, RuntimeError):
    """A model fit did not converge or gave unusable parameters; the message says what to try."""


class SpendDependenceWarning(UserWarning):
    """Spend per purchase and purchase frequency are correlated, against the Gamma-Gamma assumption."""


# ------------------------------------------------------------------------------------------------
# Input columns
# ------------------------------------------------------------------------------------------------


def _suffix(summary: pd.DataFrame) -> str:
    """``"_cal"`` for a calibration/holdout split (fit and predict on the calibration part), else ``""``."""
    if not isinstance(summary, pd.DataFrame):
        raise ParameterError(
            f"summary must be a DataFrame from segkit.btyd_summary; got {type(summary).__name__}."
        )
    if "frequency_cal" in summary.columns:
        return "_cal"
    return ""


def _column(summary: pd.DataFrame, name: str, suffix: str) -> np.ndarray:
    col = name + suffix
    if col not in summary.columns:
        have = ", ".join(map(str, summary.columns[:8]))
        raise ParameterError(
            f"summary has no column {col!r} (columns: {have}). Pass the output of segkit.btyd_summary, or a "
            "frame with columns frequency, recency, T (and monetary_value for spend models)."
        )
    values = pd.to_numeric(summary[col], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise data_error(
            col, "missing or non-numeric value", int(bad.sum()), summary[col][bad].head(), "Drop those rows."
        )
    return values


def rfm_arrays(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frequency, recency and T as float arrays, checked: x >= 0 whole, 0 <= t_x <= T."""
    suffix = _suffix(summary)
    x, t_x, T = (_column(summary, c, suffix) for c in ("frequency", "recency", "T"))
    checks = [
        (
            "frequency",
            (x < 0) | (x != np.round(x)),
            x,
            "frequency counts repeat purchases: a whole number >= 0.",
        ),
        ("recency", (t_x < 0) | (t_x > T + 1e-9), t_x, "recency must lie between 0 and T."),
        ("recency", (x == 0) & (t_x > 0), t_x, "a customer without repeat purchases has recency 0."),
    ]
    for name, bad, values, fix in checks:
        if bad.any():
            raise data_error(name + suffix, "impossible value", int(bad.sum()), values[bad][:5], fix)
    return x, t_x, T


def _time_unit_days(summary: pd.DataFrame) -> float | None:
    """Days per time unit of the summary (from btyd_summary's attrs), or None when unknown."""
    period, scale = summary.attrs.get("period"), summary.attrs.get("time_scale")
    if period in _DAYS and scale is not None:
        return _DAYS[period] * float(scale)
    return None


def check_model(name: str, model: Any, kinds: tuple[type, ...]) -> None:
    """Raise :class:`ParameterError` unless ``model`` is a fitted instance of one of ``kinds``."""
    if not isinstance(model, kinds):
        wanted = " or ".join(k.__name__ for k in kinds)
        raise ParameterError(
            f"{name} must be a fitted {wanted}; got {type(model).__name__}. Check the order of the arguments."
        )
    model._check_fitted()


def check_time_unit(model: str, fitted_days: float | None, summary: pd.DataFrame) -> None:
    """Raise :class:`ParameterError` when ``summary`` says a time unit other than ``fitted_days`` days."""
    days = _time_unit_days(summary)
    if fitted_days is None or days is None or np.isclose(days, fitted_days):
        return
    raise ParameterError(
        f"The summary's time unit is {days:g} day(s) but the {model} was fitted on {fitted_days:g}-day units: "
        "its recency and T would be read in the wrong unit. Build both summaries with the same period= and "
        f"time_scale= (time_scale={fitted_days:g} with period='day' for this model)."
    )


def _unique_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows and their counts: customers with the same history share one likelihood term."""
    # Hash-based counting (pandas) is far quicker than np.unique(axis=0), which sorts structured rows.
    counts = pd.DataFrame({i: c for i, c in enumerate(columns)}).value_counts(sort=False)
    rows = counts.index.to_frame(index=False).to_numpy(dtype=float)
    return [np.ascontiguousarray(rows[:, i]) for i in range(rows.shape[1])], counts.to_numpy(dtype=float)


# ------------------------------------------------------------------------------------------------
# The shared maximum-likelihood machinery
# ------------------------------------------------------------------------------------------------


#: A prediction horizon in the model's time units.
_HORIZON = [Interval(float, 0, None, closed="neither")]
#: The settings every model's fit takes (declared on each model class, checked when it fits).
_FIT_SETTINGS = {"penalizer": [Interval(float, 0, None)], "max_iter": [Interval(int, 1, None)]}


class _Model:
    """Common fit logic: minimise the weighted mean negative log-likelihood over log-parameters."""

    _names: tuple[str, ...] = ()

    def __init__(self, *, penalizer: float = 0.0, max_iter: int = 2000) -> None:
        self.penalizer = penalizer
        self.max_iter = max_iter

    # Subclasses return the log-likelihood per row (n,) and its gradient w.r.t. the natural parameters (k, n).
    def _loglik(self, params: np.ndarray, data: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _objective(
        self, data: tuple[np.ndarray, ...], weights: np.ndarray, penalizer: float
    ) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
        total = weights.sum()

        def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(theta)
            with np.errstate(all="ignore"):
                ll, grad = self._loglik(params, data)
            value = -(weights @ ll) / total + penalizer * (params @ params)
            dparams = -(grad @ weights) / total + 2 * penalizer * params
            if not np.isfinite(value) or not np.all(np.isfinite(dparams)):
                return np.inf, np.zeros_like(theta)
            return float(value), dparams * params  # chain rule: d/dtheta = d/dparam * param

        return fun

    def _fit(self, data: tuple[np.ndarray, ...], weights: np.ndarray, start: np.ndarray) -> None:
        penalizer = float(self.penalizer)
        fun = self._objective(data, weights, penalizer)
        # The work is long vectors and tiny matrices: BLAS threads only contend (badly so on a busy machine).
        with (
            threadpool_limits(1),
            progress(desc=f"{type(self).__name__} fit", unit=" iterations") as bar,
        ):
            result = optimize.minimize(
                fun,
                np.log(start),
                jac=True,
                method="L-BFGS-B",
                options={"maxiter": self.max_iter, "ftol": 1e-13, "gtol": 1e-9},
                callback=lambda *_: bar.update(1),  # counts iterations only; the optimisation is unchanged
            )
        params = np.exp(result.x)
        if not (result.success or _small_gradient(fun, result.x)) or not np.all(np.isfinite(params)):
            raise FitError(
                f"{type(self).__name__} did not converge ({_optimizer_reason(result.message)}; parameters so far "
                f"{_fmt(self._names, params)}). Try penalizer=0.001 (or larger) to keep parameters from running "
                "off, max_iter larger, or check the summary for a few customers with extreme frequency."
            )
        if np.any(params > 1e6) or np.any(params < 1e-8):
            raise FitError(
                f"{type(self).__name__} ran a parameter to an extreme ({_fmt(self._names, params)}): the data do not "
                "identify the model. Try penalizer=0.001 (or larger), a longer calibration period, or more customers."
            )
        self.params_ = pd.Series(params, index=list(self._names), name="coef")
        self.log_likelihood_ = float(weights @ self._loglik(params, data)[0])
        self.n_customers_ = int(weights.sum())
        self.n_iter_ = int(result.nit)
        self.standard_errors_ = self._standard_errors(data, weights, penalizer, params)

    def _standard_errors(
        self, data: tuple[np.ndarray, ...], weights: np.ndarray, penalizer: float, params: np.ndarray
    ) -> pd.Series:
        """Square roots of the diagonal of the inverse observed information (the Hessian of the total
        penalised negative log-likelihood), by central differences of the analytic gradient."""
        n = weights.sum()

        def grad(p: np.ndarray) -> np.ndarray:
            return -(self._loglik(p, data)[1] @ weights) + 2 * penalizer * n * p

        k = len(params)
        hess = np.empty((k, k))
        for j in range(k):
            h = 1e-5 * params[j]
            up, down = params.copy(), params.copy()
            up[j] += h
            down[j] -= h
            hess[:, j] = (grad(up) - grad(down)) / (2 * h)
        hess = (hess + hess.T) / 2
        try:
            cov = np.linalg.inv(hess)
            se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
        except np.linalg.LinAlgError:
            se = np.full(k, np.nan)
        return pd.Series(se, index=list(self._names), name="se")

    @property
    def summary_(self) -> pd.DataFrame:
        """Parameters with standard errors and normal-approximation 95 % intervals."""
        self._check_fitted()
        out = pd.DataFrame({"coef": self.params_, "se": self.standard_errors_})
        out["lower_95"] = out["coef"] - 1.959964 * out["se"]
        out["upper_95"] = out["coef"] + 1.959964 * out["se"]
        return out

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise SegkitError(f"This {type(self).__name__} is not fitted yet: call .fit(summary) first.")

    def _check_time_unit(self, summary: pd.DataFrame) -> None:
        """Refuse a summary whose time unit differs from the fit's."""
        # Its recency and T would be read as the fit's units: every prediction off by the ratio, silently.
        check_time_unit(type(self).__name__, getattr(self, "time_unit_days_", None), summary)

    def _arrays(self, summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self._check_fitted()
        x, t_x, T = rfm_arrays(summary)
        self._check_time_unit(summary)
        return x, t_x, T

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"{type(self).__name__}(penalizer={self.penalizer})"
        return (
            f"{type(self).__name__}({_fmt(self._names, self.params_.to_numpy())}; "
            f"{self.n_customers_:,} customers, log-likelihood {self.log_likelihood_:,.2f})"
        )


def _check_fit_base(model: str, x: np.ndarray) -> None:
    """Raise :class:`FitError` when the customers cannot identify a purchase model."""
    n, repeat = len(x), int((x > 0).sum())
    if n < 2 or repeat == 0:
        need = "at least 2 customers" if n < 2 else "customers with repeat purchases"
        raise FitError(
            f"{model} needs {need} to fit: {n:,} customer(s), {repeat:,} with a repeat purchase. Use a longer "
            "calibration period or a larger base."
        )


def _small_gradient(fun: Callable[[np.ndarray], tuple[float, np.ndarray]], theta: np.ndarray) -> bool:
    # L-BFGS-B sometimes stops with "ABNORMAL" line searches at an optimum reached to machine precision.
    value, grad = fun(theta)
    return bool(np.isfinite(value) and np.max(np.abs(grad)) < 1e-5)


def _fmt(names: tuple[str, ...], values: np.ndarray) -> str:
    return ", ".join(f"{n}={v:.4g}" for n, v in zip(names, values, strict=True))


# ------------------------------------------------------------------------------------------------
# BG/NBD
# ------------------------------------------------------------------------------------------------


@validate_fit_params(**_FIT_SETTINGS)
class BetaGeoModel(_Model):
    """The BG/NBD model of repeat purchases and dropout (Fader, Hardie & Lee 2005).

    While alive, a customer buys at a Poisson rate ``lambda`` ~ Gamma(``r``, ``alpha``); after each purchase
    they drop out with probability ``p`` ~ Beta(``a``, ``b``). Fitted on the BTYD summary
    (:func:`segkit.btyd_summary`); with a calibration/holdout split it uses the ``_cal`` columns.

    Parameters
    ----------
    penalizer : float
        L2 penalty on the parameters added to the mean negative log-likelihood (as in lifetimes); 0 is the
        plain maximum-likelihood fit. A small value (0.001) stabilises fits on small or odd bases.
    max_iter : int
        Iteration limit of the L-BFGS-B optimiser.

    Attributes
    ----------
    params_ : Series
        ``r``, ``alpha``, ``a``, ``b``.
    standard_errors_ : Series
        From the observed information at the optimum.
    log_likelihood_ : float
        Total log-likelihood at ``params_`` (unpenalised).
    n_customers_ : int
        Customers fitted.
    time_unit_days_ : float or None
        Days per time unit of the fitted summary (from its attrs), used to turn horizons in days into model
        time; None when the summary did not say.

    Examples
    --------
    >>> import segkit
    >>> summary = segkit.simulate_summary(2000, params={"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}, seed=0)
    >>> model = segkit.BetaGeoModel().fit(summary)
    >>> model.params_.round(2).to_dict()
    {'r': 0.24, 'alpha': 4.11, 'a': 0.58, 'b': 1.79}
    >>> bool((model.p_alive(summary) <= 1).all())
    True
    """

    _names = ("r", "alpha", "a", "b")

    def fit(self, summary: pd.DataFrame) -> BetaGeoModel:
        """Fit on a BTYD summary (``frequency``, ``recency``, ``T``, or their ``_cal`` versions)."""
        x, t_x, T = rfm_arrays(summary)
        _check_fit_base("BG/NBD", x)
        data, weights = self._prepare(x, t_x, T)
        self._fit(data, weights, start=np.array([1.0, max(float(np.mean(T)), 1.0), 1.0, 1.0]))
        self.time_unit_days_ = _time_unit_days(summary)
        self.max_T_ = float(T.max())
        return self

    @staticmethod
    def _prepare(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple[tuple[Any, ...], np.ndarray]:
        """Likelihood data: distinct rows with weights, customers without repeats first (their term is
        short), and the distinct repeat frequencies (special functions are evaluated once per frequency)."""
        (x, t_x, T), weights = _unique_rows(x, t_x, T)
        order = np.argsort(x, kind="stable")
        x, t_x, T, weights = x[order], t_x[order], T[order], weights[order]
        n0 = int(np.searchsorted(x, 0.0, side="right"))
        xu, inv = np.unique(x[n0:], return_inverse=True)
        return (x, t_x, T, xu, inv, n0), weights

    def _loglik(self, params: np.ndarray, data: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray]:
        r, alpha, a, b = params
        x, t_x, T, xu, inv, n0 = data
        ll, grad = np.empty(len(x)), np.zeros((4, len(x)))
        log_alpha = np.log(alpha)
        # No repeat purchase: only the "still alive" branch with x = 0 remains, and a, b drop out.
        log_at0 = np.log(alpha + T[:n0])
        ll[:n0] = r * (log_alpha - log_at0)
        grad[0, :n0] = log_alpha - log_at0
        grad[1, :n0] = r / alpha - r / (alpha + T[:n0])
        # Repeat buyers: log(exp(A3) + exp(A4)) = A3 + softplus(A4 - A3); w is the share of the A4 branch
        # ("dropped out right after the last purchase").
        x1, t1, T1 = x[n0:], t_x[n0:], T[n0:]
        rx = r + x1
        log_at, log_atx = np.log(alpha + T1), np.log(alpha + t1)
        bx1 = b + xu - 1
        d = np.log(a) - np.log(bx1)[inv] - rx * (log_atx - log_at)
        w = special.expit(d)
        const = (
            special.gammaln(r + xu) - special.gammaln(r) + special.betaln(a, b + xu) - special.betaln(a, b)
        )
        ll[n0:] = const[inv] + r * log_alpha - rx * log_at + np.logaddexp(0.0, d)
        psi_abx = special.digamma(a + b + xu)
        grad[0, n0:] = (
            (special.digamma(r + xu) - special.digamma(r))[inv] + log_alpha - log_at - w * (log_atx - log_at)
        )
        grad[1, n0:] = r / alpha - rx * ((1 - w) / (alpha + T1) + w / (alpha + t1))
        grad[2, n0:] = (special.digamma(a + b) - psi_abx)[inv] + w / a
        db = special.digamma(b + xu) - psi_abx - special.digamma(b) + special.digamma(a + b)
        grad[3, n0:] = db[inv] - w / bx1[inv]
        return ll, grad

    def _p_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        r, alpha, a, b = self.params_.to_numpy()
        with np.errstate(divide="ignore"):
            log_odds = (
                np.log(a)
                - np.log(np.where(x > 0, b + x - 1, 1.0))
                + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
            )
        return np.where(x > 0, special.expit(-log_odds), 1.0)

    def _expected(self, t: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """E[purchases in (T, T + t] | x, t_x, T]; t broadcasts against the customers."""
        r, alpha, a, b = self.params_.to_numpy()
        t = np.asarray(t, dtype=float)
        z = t / (alpha + T + t)
        c = a + b + x - 1
        # Euler's transformation of 2F1(r+x, b+x; c; z) * (1-z)^(r+x): the first two arguments no longer
        # grow with x, so heavy buyers do not overflow the series.
        tail = (1 - z) ** (a - 1) * special.hyp2f1(a + b - 1 - r, a - 1, c, z)
        return c / (a - 1) * (1 - tail) * self._p_alive(x, t_x, T)

    def p_alive(self, summary: pd.DataFrame) -> pd.Series:
        """Probability that each customer is still alive at the end of the summary's observation (``T``)."""
        x, t_x, T = self._arrays(summary)
        return pd.Series(self._p_alive(x, t_x, T), index=summary.index, name="p_alive")

    @validate_params(t=_HORIZON)
    def predict_purchases(self, summary: pd.DataFrame, t: float) -> pd.Series:
        """Expected repeat purchases of each customer in the next ``t`` time units (conditional expectation)."""
        t = float(t)
        x, t_x, T = self._arrays(summary)
        return pd.Series(self._expected(np.full_like(x, t), x, t_x, T), index=summary.index, name="expected")

    @validate_params(t=_HORIZON)
    def probability_of_purchase(self, summary: pd.DataFrame, t: float) -> pd.Series:
        """Probability of at least one purchase in the next ``t`` time units.

        Alive at ``T`` with posterior rate Gamma(r + x, alpha + T), a customer makes no purchase in ``t`` with
        probability ((alpha + T) / (alpha + T + t)) ** (r + x); dropping out needs a purchase first.
        """
        t = float(t)
        x, t_x, T = self._arrays(summary)
        r, alpha, _, _ = self.params_.to_numpy()
        none = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
        return pd.Series(self._p_alive(x, t_x, T) * (1 - none), index=summary.index, name="p_purchase")

    def expected_purchases_new(self, t: Any) -> np.ndarray:
        """E[X(t)]: expected repeat purchases within ``t`` of a newly acquired customer (array-like ``t``)."""
        self._check_fitted()
        t = np.asarray(t, dtype=float)
        zero = np.zeros_like(t)
        out = self._expected(t, zero, zero, zero)
        return np.where(t > 0, out, 0.0)

    @validate_params(
        kind=[Options(("expected", "p_alive"))],
        t=_HORIZON,
        max_frequency=[None, Interval(int, 0, None)],
        max_recency=[None, Interval(float, 0, None)],
        T=[None, Interval(float, 0, None, closed="neither")],
    )
    def matrix(
        self,
        *,
        kind: str = "expected",
        t: float = 1.0,
        max_frequency: int | None = None,
        max_recency: float | None = None,
        T: float | None = None,
    ) -> pd.DataFrame:
        """A frequency x recency grid of expected purchases in ``t`` (``kind="expected"``) or P(alive).

        Rows are frequencies 0..``max_frequency``, columns recency 0..``T`` in whole time units (``T``
        defaults to the largest ``T`` fitted, ``max_frequency`` to 30); cells with recency > T are empty.
        """
        self._check_fitted()
        T = float(self.max_T_ if T is None else T)
        max_recency = T if max_recency is None else float(max_recency)
        rows = 31 if max_frequency is None else int(max_frequency) + 1
        columns = np.floor(min(max_recency, T)) + 1
        if rows * columns > _MAX_CELLS:
            raise ParameterError(
                f"The grid would have {rows:,} frequencies x {columns:,.0f} recencies, more than {_MAX_CELLS:,} "
                "cells: lower max_frequency, or max_recency (in the model's time units)."
            )
        freqs = np.arange(0, rows, dtype=float)
        recs = np.arange(0, columns, dtype=float)
        xx, rr = np.meshgrid(freqs, recs, indexing="ij")
        # A customer without repeats has recency 0: the row x = 0 repeats the single possible value.
        rr_eff = np.where(xx == 0, 0.0, rr)
        TT = np.full_like(xx, T)
        if kind == "p_alive":
            values = self._p_alive(xx, rr_eff, TT)
        else:
            values = self._expected(np.full_like(xx, float(t)), xx, rr_eff, TT)
        return pd.DataFrame(
            values,
            index=pd.Index(freqs.astype(int), name="frequency"),
            columns=pd.Index(recs, name="recency"),
        )


# ------------------------------------------------------------------------------------------------
# Gamma-Gamma
# ------------------------------------------------------------------------------------------------


@validate_fit_params(
    **_FIT_SETTINGS, min_customers=[Interval(int, 3, None)], max_correlation=[Interval(float, 0, 1)]
)
class GammaGammaModel(_Model):
    """The Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005; Colombo & Jiang 1999).

    Each purchase's value is Gamma(``p``, ``nu``) around a customer mean, with ``nu`` ~ Gamma(``q``,
    ``gamma``) across customers. Fitted on repeat buyers only (``frequency > 0``) with their mean repeat
    spend ``monetary_value``.

    Parameters
    ----------
    penalizer : float
        L2 penalty on the parameters (as in lifetimes); 0 is the plain maximum-likelihood fit.
    min_customers : int
        The fewest repeat buyers to fit on; fewer gives an error (the model has three parameters and a
        population mean to estimate).
    max_correlation : float
        The model assumes spend per purchase does not depend on how often a customer buys. When the absolute
        Pearson correlation between ``frequency`` and ``monetary_value`` over repeat buyers exceeds this, a
        :class:`SpendDependenceWarning` is issued (0.3 is a kit convention, a "weak" correlation).
    max_iter : int
        Iteration limit of the optimiser.

    Attributes
    ----------
    params_ : Series
        ``p``, ``q``, ``gamma`` (lifetimes calls the last one ``v``).
    standard_errors_ : Series
    log_likelihood_ : float
    n_customers_ : int
        Repeat buyers fitted.
    frequency_spend_correlation_ : float
        Pearson correlation of frequency and mean repeat spend (the independence check).
    correlation_pvalue_ : float
        Its two-sided p-value (with many customers a small correlation is "significant": read the size).
    notes_ : list of str
        The warnings of the last fit, for a report to show.

    Examples
    --------
    >>> import segkit
    >>> summary = segkit.simulate_summary(2000, params={"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
    ...                                   spend_params={"p": 6.0, "q": 4.0, "gamma": 15.0}, seed=0)
    >>> gg = segkit.GammaGammaModel().fit(summary)
    >>> round(gg.mean_order_value_, 1), gg.n_customers_
    (29.7, 940)
    >>> bool(gg.expected_order_value(summary).gt(0).all())
    True
    """

    _names = ("p", "q", "gamma")

    def __init__(
        self,
        *,
        penalizer: float = 0.0,
        min_customers: int = 20,
        max_correlation: float = 0.3,
        max_iter: int = 2000,
    ) -> None:
        super().__init__(penalizer=penalizer, max_iter=max_iter)
        self.min_customers = min_customers
        self.max_correlation = max_correlation

    def _spend(self, summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        suffix = _suffix(summary)
        x = _column(summary, "frequency", suffix)
        m = _column(summary, "monetary_value", suffix)
        return x, m

    def fit(self, summary: pd.DataFrame) -> GammaGammaModel:
        """Fit on the repeat buyers of a BTYD summary (``frequency``, ``monetary_value`` or ``_cal``)."""
        x, m = self._spend(summary)
        repeat = x > 0
        name = "monetary_value" + _suffix(summary)
        bad = repeat & (m <= 0)
        if bad.any():
            raise data_error(
                name,
                "repeat buyers need a positive mean spend for the Gamma-Gamma model",
                int(bad.sum()),
                summary.index[bad][:5],
                "Drop zero-value purchases (read_transactions zero_amount='drop') or those customers.",
            )
        n = int(repeat.sum())
        if n < self.min_customers:
            raise FitError(
                f"Only {n} repeat buyers (frequency > 0), fewer than min_customers={self.min_customers}: too few to "
                "fit the Gamma-Gamma spend model. Use a longer period, or lower min_customers at your own risk."
            )
        x, m = x[repeat], m[repeat]
        self._check_independence(x, m)
        (xu, mu), weights = _unique_rows(x, m)
        # Method-of-moments-like start: spend scale near the mean, shapes moderate.
        fx, inv = np.unique(xu, return_inverse=True)
        self._fit(
            (xu, mu, fx, inv, np.log(mu), np.log(xu)), weights, start=np.array([1.0, 2.0, float(np.mean(m))])
        )
        if self.params_["q"] <= 1:
            raise FitError(
                f"The fitted q = {self.params_['q']:.3g} <= 1: the population mean spend is infinite under the "
                "model. Try penalizer=0.001, or remove a few extreme spenders."
            )
        return self

    def _check_independence(self, x: np.ndarray, m: np.ndarray) -> None:
        from scipy import stats

        self.notes_: list[str] = []
        if np.ptp(x) == 0 or np.ptp(m) == 0:
            self.frequency_spend_correlation_, self.correlation_pvalue_ = float("nan"), float("nan")
            return
        res = stats.pearsonr(x, m)
        self.frequency_spend_correlation_ = float(res.statistic)
        self.correlation_pvalue_ = float(res.pvalue)
        if abs(res.statistic) > self.max_correlation:
            self.notes_.append(
                f"Frequency and mean spend of repeat buyers are correlated (Pearson r = {res.statistic:.2f}, "
                f"above max_correlation={self.max_correlation}); the Gamma-Gamma model assumes they are "
                "independent, so its expected order values are biased. Read CLV as a ranking, or model spend by "
                "segment."
            )
            warnings.warn(self.notes_[-1], SpendDependenceWarning, stacklevel=3)

    def _loglik(self, params: np.ndarray, data: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
        p, q, g = params
        x, z, fx, inv, log_z, log_x = data
        px = p * x
        log_gxz = np.log(g + x * z)
        # The special functions depend on the frequency only: once per distinct frequency.
        pf = p * fx
        ll = (
            (special.gammaln(pf + q) - special.gammaln(pf))[inv]
            - special.gammaln(q)
            + q * np.log(g)
            + (px - 1) * log_z
            + px * log_x
            - (px + q) * log_gxz
        )
        psi = special.digamma(pf + q)[inv]
        grad = np.vstack(
            [
                x * (psi - special.digamma(pf)[inv] + log_z + log_x - log_gxz),
                psi - special.digamma(q) + np.log(g) - log_gxz,
                q / g - (px + q) / (g + x * z),
            ]
        )
        return ll, grad

    def expected_order_value(self, summary: pd.DataFrame) -> pd.Series:
        """Expected spend per future purchase of each customer; the population mean for those without repeats."""
        self._check_fitted()
        x, m = self._spend(summary)
        p, q, g = self.params_.to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            own = p * (g + x * m) / (p * x + q - 1)
        value = np.where(x > 0, own, p * g / (q - 1))
        return pd.Series(value, index=summary.index, name="expected_order_value")

    @property
    def mean_order_value_(self) -> float:
        """The population mean spend per purchase, p * gamma / (q - 1)."""
        self._check_fitted()
        p, q, g = self.params_.to_numpy()
        return float(p * g / (q - 1))


# ------------------------------------------------------------------------------------------------
# Pareto/NBD
# ------------------------------------------------------------------------------------------------


@validate_fit_params(**_FIT_SETTINGS)
class ParetoNBDModel(_Model):
    """The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), in Fader & Hardie's log-likelihood.

    While alive, a customer buys at rate ``lambda`` ~ Gamma(``r``, ``alpha``); their lifetime is exponential
    with rate ``mu`` ~ Gamma(``s``, ``beta``), so dropout can happen at any time, not only after a purchase as
    in BG/NBD. The likelihood needs the Gaussian hypergeometric function, so the gradient is numerical (central
    differences): slower than :class:`BetaGeoModel`, meant for bases up to tens of thousands of customers.

    Parameters
    ----------
    penalizer : float
        L2 penalty on the parameters (as in lifetimes).
    max_iter : int
        Iteration limit of the optimiser.

    Attributes
    ----------
    params_ : Series
        ``r``, ``alpha``, ``s``, ``beta``.
    standard_errors_, log_likelihood_, n_customers_, time_unit_days_
        As in :class:`BetaGeoModel` (standard errors from a numerical Hessian).

    Examples
    --------
    >>> import segkit
    >>> summary = segkit.simulate_summary(1000, params={"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}, seed=0)
    >>> model = segkit.ParetoNBDModel().fit(summary)
    >>> list(model.params_.index), bool(model.p_alive(summary).between(0, 1).all())
    (['r', 'alpha', 's', 'beta'], True)
    """

    _names = ("r", "alpha", "s", "beta")

    def fit(self, summary: pd.DataFrame) -> ParetoNBDModel:
        """Fit on a BTYD summary (``frequency``, ``recency``, ``T``, or their ``_cal`` versions)."""
        x, t_x, T = rfm_arrays(summary)
        _check_fit_base("Pareto/NBD", x)
        (x, t_x, T), weights = _unique_rows(x, t_x, T)
        self._fit((x, t_x, T), weights, start=np.array([1.0, max(float(np.mean(T)), 1.0), 1.0, 1.0]))
        self.time_unit_days_ = _time_unit_days(summary)
        self.max_T_ = float(T.max())
        return self

    @staticmethod
    def _parts(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, ...]:
        """log of the "alive at T" term, log of the "died in (t_x, T]" term, and the constant per customer."""
        r, alpha, s, beta = params
        rsx = r + s + x
        if alpha >= beta:
            big, second = alpha, s + 1
            z1, z2 = (alpha - beta) / (alpha + t_x), (alpha - beta) / (alpha + T)
        else:
            big, second = beta, r + x
            z1, z2 = (beta - alpha) / (beta + t_x), (beta - alpha) / (beta + T)
        l1 = np.log(special.hyp2f1(rsx, second, rsx + 1, z1)) - rsx * np.log(big + t_x)
        l2 = np.log(special.hyp2f1(rsx, second, rsx + 1, z2)) - rsx * np.log(big + T)
        with np.errstate(divide="ignore"):
            log_a0 = l1 + np.log1p(-np.exp(np.minimum(l2 - l1, 0.0)))  # -inf when t_x == T
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        died = np.log(s) - np.log(rsx) + log_a0
        const = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        return alive, died, const

    def _ll(self, params: np.ndarray, data: tuple[np.ndarray, ...]) -> np.ndarray:
        alive, died, const = self._parts(params, *data)
        return const + np.logaddexp(alive, died)

    def _loglik(self, params: np.ndarray, data: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
        ll = self._ll(params, data)
        grad = np.empty((len(params), len(ll)))
        for j in range(len(params)):
            h = 1e-6 * params[j]
            up, down = params.copy(), params.copy()
            up[j] += h
            down[j] -= h
            grad[j] = (self._ll(up, data) - self._ll(down, data)) / (2 * h)
        return ll, grad

    def _p_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            alive, died, _ = self._parts(self.params_.to_numpy(), x, t_x, T)
        return special.expit(alive - died)

    def _expected(self, t: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        r, alpha, s, beta = self.params_.to_numpy()
        t = np.asarray(t, dtype=float)
        scale = (r + x) * (beta + T) / ((alpha + T) * (s - 1))
        return scale * (1 - ((beta + T) / (beta + T + t)) ** (s - 1)) * self._p_alive(x, t_x, T)

    def p_alive(self, summary: pd.DataFrame) -> pd.Series:
        """Probability that each customer is still alive at the end of the observation (``T``)."""
        x, t_x, T = self._arrays(summary)
        return pd.Series(self._p_alive(x, t_x, T), index=summary.index, name="p_alive")

    @validate_params(t=_HORIZON)
    def predict_purchases(self, summary: pd.DataFrame, t: float) -> pd.Series:
        """Expected purchases of each customer in the next ``t`` time units (conditional expectation)."""
        t = float(t)
        x, t_x, T = self._arrays(summary)
        return pd.Series(self._expected(np.full_like(x, t), x, t_x, T), index=summary.index, name="expected")
