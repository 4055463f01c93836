"""Clustering-based personas: from per-customer behaviour to 3-7 named, explainable customer portraits.

The method, in the order :meth:`Personas.fit` runs it:

1. **Features** (:func:`segkit.customer_features`): recency, orders, revenue, tenure, average order value
   and typical days between purchases, plus optional categorical attributes.
2. **Preparation** (a scikit-learn ``ColumnTransformer``): money, count and day features are heavily
   right-skewed, so they go through ``log1p`` before standard scaling; other numbers are standard-scaled;
   categoricals are one-hot encoded (levels under 1 % of customers pooled). Constant features carry no
   information and are dropped (``dropped_features_``).
3. **Choice of k** on a random sample (20,000 customers by default, so a million-customer base costs the
   same as a small one): k-means for every k of ``k_range``, scored by silhouette (higher is better) and
   Davies-Bouldin (lower is better). Silhouette alone tends to pick the coarsest split of a nested
   structure (typically "new / lapsed / everyone else"), which is too coarse to act on. A k where *both*
   criteria have a local optimum is a natural level of the data; the default rule takes the finest such
   level whose silhouette is at least 80 % of the best one, and falls back to the best silhouette.
4. **Assignment**: every customer goes to the nearest centre of the chosen model; personas are numbered
   by revenue share (0 = the most revenue), so numbering does not depend on the run.
5. **Profiles**: size, share of customers and revenue, each feature's median and its index against the
   base (persona mean / base mean x 100), dominant categories, RFM segments and ABC classes when given;
   a rule-based name, a description and a recommended approach built from the profile.
6. **Stability**: the clustering is refitted on bootstrap resamples with other seeds; the adjusted Rand
   index (ARI) against the main result says how reproducible the personas are (above 0.8: stable).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from .._errors import DataContractError, ParameterError, data_error
from .._progress import track
from .._validation import Interval, Options, Pair, validate_fit_params
from ..io._contract import CANONICAL_COLUMNS, Transactions, as_transactions
from ._features import BEHAVIOUR_FEATURES, FEATURE_LABELS, customer_features

__all__ = ["Personas", "personas"]

# Features known to be right-skewed counts, money or durations: log1p before scaling.
_LOG_FEATURES = {"recency_days", "n_orders", "revenue", "tenure_days", "avg_order_value", "gap_days"}
# Thresholds (in standard deviations of the prepared feature) for the rule-based namer.
_HIGH, _LOW = 0.75, -0.75


def _log1p_clipped(values: Any) -> Any:
    """log1p of non-negative values; a net-negative revenue (returns beyond purchases) counts as 0."""
    return np.log1p(np.clip(np.asarray(values, dtype=float), 0.0, None))


@validate_fit_params(
    k_range=[Pair(Interval(int, 2, None))],
    random_state=[Interval(int, 0, 2**32 - 1)],
    k_selection=[Options(("finest_peak", "silhouette"))],
    min_silhouette_ratio=[Interval(float, 0, 1, closed="right")],
    sample_size=[Interval(int, 100, None)],
    silhouette_size=[Interval(int, 100, None)],
    n_init=[Interval(int, 1, None)],
    n_resamples=[Interval(int, 0, None)],
)
class Personas(ClusterMixin, BaseEstimator):
    """Customer personas from behaviour clustering, with profiles, names and recommended approaches.

    Parameters
    ----------
    k_range : tuple of two ints, default (3, 7)
        Smallest and largest number of personas to consider (inclusive).
    features : list of str, optional
        Columns of the feature table to cluster on. ``None`` uses :data:`segkit.BEHAVIOUR_FEATURES`
        (recency, orders, revenue, tenure, average order value, typical gap) plus the attributes passed
        to :meth:`fit`. The favourite-category/channel shares are profiled but not clustered on by default
        (see Notes); name them here to use them.
    random_state : int, default 0
        Seed of the sample, of k-means and of the stability resamples: the same seed gives the same labels.
    k_selection : {"finest_peak", "silhouette"}, default "finest_peak"
        How k is chosen from the scores: the finest k where silhouette and Davies-Bouldin both have a
        local optimum (with silhouette at least ``min_silhouette_ratio`` of the best), or simply the best
        silhouette.
    min_silhouette_ratio : float, default 0.8
        For ``"finest_peak"``: the chosen k's silhouette must be at least this share of the best one.
    sample_size : int, default 20000
        Customers used to choose k and fit the centres; all customers are then assigned. Larger bases
        are sampled (reproducibly), which keeps a million customers practical on two cores.
    silhouette_size : int, default 5000
        Customers on which the silhouette (quadratic in the number of points) is computed.
    n_init : int, default 4
        k-means restarts per k.
    n_resamples : int, default 5
        Bootstrap refits for the stability check (0 skips it).

    Attributes
    ----------
    features_ : DataFrame
        The per-customer feature table the personas were built from (sorted by customer id).
    feature_names_ : list of str
        The features clustered on (after dropping constant ones).
    dropped_features_ : list of str
        Requested features that were constant and therefore dropped.
    k_scores_ : DataFrame
        Per candidate k: ``silhouette``, ``davies_bouldin``, ``calinski_harabasz``, ``inertia``,
        ``natural_level`` (both criteria at a local optimum) and ``chosen``; ``attrs`` holds the ``rule``
        and the ``reason`` (also in ``k_reason_``).
    n_sampled_ : int
        How many customers k was chosen and the personas' centres were fitted on: all of them, or the
        seeded sample of ``sample_size`` on a larger base (every customer is then assigned to the nearest
        centre).
    k_ : int
        The number of personas.
    k_reason_ : str
        Why this k was chosen, in words.
    labels_ : Series
        Persona number (0 .. k-1, ordered by revenue share) per customer id.
    profiles_ : DataFrame
        One row per persona: ``name``, ``n_customers``, ``share_customers``, ``revenue``,
        ``share_revenue``, ``revenue_per_customer``, the median of each numeric feature
        (``<feature>_median``), its index against the base (``<feature>_index``: persona mean / base
        mean x 100), for each categorical the dominant value and its share within the persona
        (``<column>_dominant_share``), ``rfm_segment`` / ``abc_class`` with their dominant shares when
        given, and ``approach``.
    zscores_ : DataFrame
        Persona x numeric feature: mean of the prepared (log, standardised) feature, the base being 0.
    names_, descriptions_, approach_ : Series
        Generated name, one-paragraph description and recommended approach per persona, in English
        (:func:`segkit.persona_descriptions` writes the descriptions in a report's language).
    stability_ : float
        Mean adjusted Rand index between the main clustering and the bootstrap refits (NaN when
        ``n_resamples=0``); ``stability_runs_`` lists each run.
    pipeline_ : Pipeline
        The fitted preparation and k-means steps; ``pipeline_.predict`` returns persona numbers.
    notes_ : list of str
        Fallbacks taken (k range capped, features dropped, weak structure).

    Notes
    -----
    Degenerate inputs: when there are fewer distinct customers than ``k_range`` needs, the upper end
    is capped (the silhouette needs k <= distinct customers - 1) and a note is added; when not even the
    lower end fits, or every customer has identical features, :class:`segkit.DataContractError` says so.
    A constant feature is dropped with a note.

    On the bundled generator the favourite-category/channel shares are random and independent of the
    behaviour type, and for one-order customers they are 1.0 by construction, so clustering on them
    splits customers by order count a second time; that is why they are profiled but not clustered on
    by default.

    Examples
    --------
    >>> import segkit
    >>> from segkit.datasets import make_transactions
    >>> tx, truth = make_transactions(600, seed=3)
    >>> p = segkit.Personas(k_range=(3, 6), n_resamples=2).fit(tx)
    >>> p.k_ in range(3, 7), len(p.names_) == p.k_ == p.names_.nunique()
    (True, True)
    >>> bool(p.profiles_["share_revenue"].is_monotonic_decreasing)
    True
    >>> p.predict(p.features_).equals(p.labels_)
    True
    """

    def __init__(
        self,
        k_range: tuple[int, int] = (3, 7),
        features: Sequence[str] | None = None,
        random_state: int = 0,
        *,
        k_selection: str = "finest_peak",
        min_silhouette_ratio: float = 0.8,
        sample_size: int = 20_000,
        silhouette_size: int = 5_000,
        n_init: int = 4,
        n_resamples: int = 5,
    ) -> None:
        self.k_range = k_range
        self.features = features
        self.random_state = random_state
        self.k_selection = k_selection
        self.min_silhouette_ratio = min_silhouette_ratio
        self.sample_size = sample_size
        self.silhouette_size = silhouette_size
        self.n_init = n_init
        self.n_resamples = n_resamples

    # ------------------------------------------------------------------------------------------------
    # fitting
    # ------------------------------------------------------------------------------------------------

    def fit(
        self,
        X: Transactions | pd.DataFrame,
        y: Any = None,
        *,
        as_of: Any = None,
        attributes: Sequence[str] | None = None,
        segments: pd.Series | None = None,
        abc: pd.Series | None = None,
    ) -> Personas:
        """Build the personas.

        Parameters
        ----------
        X : Transactions, DataFrame of transactions, or DataFrame of features
            Transactions (the features are computed with :func:`segkit.customer_features`), or a
            feature table indexed by customer id such as that function returns.
        y : ignored
            Present for scikit-learn compatibility.
        as_of : date-like, optional
            Analysis date when ``X`` is transactions.
        attributes : sequence of str, optional
            Attribute columns of the transactions to add as categorical features (and cluster on).
        segments, abc : Series, optional
            RFM segment and ABC class per customer id (e.g. from the RFM and ABC analyses); the profiles
            then show the dominant ones in each persona.

        Returns
        -------
        Personas
            ``self``, fitted.
        """
        k_min, k_max = self._check_params()
        for series, name in ((segments, "segments"), (abc, "abc")):
            _context(series, name, pd.Index([]))  # fail on a wrong type before the clustering work
        self.notes_: list[str] = []
        feats = _as_features(X, as_of=as_of, attributes=attributes, wanted=self.features)
        self.features_ = feats
        requested = self._requested_features(feats)
        self.feature_names_ = self._drop_constant(feats, requested)
        # One thread for k-means, silhouette and BLAS: on a 20,000-customer sample OpenMP's start-up and
        # spin-waiting cost more than they save (3x slower on a busy 2-core machine), and one thread makes
        # the result independent of the core count.
        with threadpool_limits(limits=1):
            self._cluster(feats, k_min, k_max)
        self.zscores_ = _zscores(feats, self.labels_, self.k_)
        self.profiles_ = _profiles(feats, self.labels_, self.k_, segments=segments, abc=abc)
        self._name_personas()
        return self

    def _cluster(self, feats: pd.DataFrame, k_min: int, k_max: int) -> None:
        used = self.feature_names_
        prepare = _preparation(feats, used)
        Z = prepare.fit_transform(feats[used])
        rng = np.random.default_rng(self.random_state)
        sample = _sample_rows(len(Z), self.sample_size, rng)
        Zs = Z[sample]
        self.n_sampled_ = len(sample)
        ks = self._candidate_ks(Zs, k_min, k_max)
        models, scores = self._score_ks(Zs, ks, rng)
        self.k_scores_ = scores
        self.k_, self.k_reason_ = _choose_k(scores, self.k_selection, self.min_silhouette_ratio)
        self.k_scores_["chosen"] = self.k_scores_.index == self.k_
        self.k_scores_.attrs["rule"] = self.k_selection
        self.k_scores_.attrs["reason"] = self.k_reason_
        if scores["silhouette"].max() < 0.25:
            self.notes_.append(
                f"The best silhouette is {scores['silhouette'].max():.2f} (under 0.25): the customers do not "
                "fall into clearly separated groups, so treat the personas as a convenient partition."
            )
        kmeans = models[self.k_]
        raw = kmeans.predict(Z)
        order = _persona_order(raw, feats, self.k_, kmeans.cluster_centers_)
        _renumber(kmeans, order)
        self.pipeline_ = Pipeline([("prepare", prepare), ("cluster", kmeans)])
        self.labels_ = pd.Series(kmeans.predict(Z), index=feats.index, name="persona")
        self._check_stability(Zs, self.labels_.to_numpy()[sample])

    def predict(self, X: Transactions | pd.DataFrame, *, as_of: Any = None) -> pd.Series:
        """Assign customers to the fitted personas.

        Parameters
        ----------
        X : Transactions, DataFrame of transactions, or DataFrame of features
            As in :meth:`fit`; transactions are turned into features as of ``as_of``.
        as_of : date-like, optional
            Analysis date when ``X`` is transactions (defaults to the day after its last transaction).

        Returns
        -------
        Series
            Persona number per customer id.
        """
        self._check_fitted()
        attributes = [c for c in self.features_.attrs.get("attributes", []) if c in self.feature_names_]
        feats = _as_features(X, as_of=as_of, attributes=attributes, wanted=self.feature_names_)
        missing = [c for c in self.feature_names_ if c not in feats.columns]
        if missing:
            raise DataContractError(
                f"The data lacks the feature(s) {missing} the personas were fitted on. Pass data with the same "
                "columns (e.g. the same category/channel columns and attributes) as at fit time."
            )
        _check_missing(feats, self.feature_names_)
        with threadpool_limits(limits=1):
            labels = self.pipeline_.predict(feats[self.feature_names_])
        return pd.Series(labels, index=feats.index, name="persona")

    # ------------------------------------------------------------------------------------------------
    # presentation helpers
    # ------------------------------------------------------------------------------------------------

    def persona_cards(self) -> pd.DataFrame:
        """One row per persona with what a campaign brief needs: name, size, value, description, approach.

        Returns
        -------
        DataFrame
            ``name``, ``customers``, ``share_customers``, ``share_revenue``, ``description``, ``approach``,
            indexed by persona number.
        """
        self._check_fitted()
        p = self.profiles_
        return pd.DataFrame(
            {
                "name": p["name"],
                "customers": p["n_customers"],
                "share_customers": p["share_customers"],
                "share_revenue": p["share_revenue"] if "share_revenue" in p else np.nan,
                "description": self.descriptions_,
                "approach": self.approach_,
            }
        )

    def feature_index(self) -> pd.DataFrame:
        """Persona x numeric feature index against the base (100 = base average), whole numbers, rows named."""
        self._check_fitted()
        numeric = list(self.zscores_.columns)
        table = self.profiles_[[f"{c}_index" for c in numeric]].round(0).astype("Int64")
        table.columns = numeric
        table.index = self.names_.to_numpy()
        table.index.name = "persona"
        return table

    def assignments(self) -> pd.DataFrame:
        """Persona number and name per customer id (for exporting to a CRM or campaign tool)."""
        self._check_fitted()
        return pd.DataFrame({"persona": self.labels_, "persona_name": self.labels_.map(self.names_)})

    def save(self, output_dir: str | Path) -> tuple[Path, Path]:
        """Write ``personas.csv`` (persona per customer) and ``persona_profiles.csv`` into ``output_dir``.

        Returns
        -------
        tuple of Path
            The two files written.
        """
        self._check_fitted()
        folder = Path(output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        paths = (folder / "personas.csv", folder / "persona_profiles.csv")
        self.assignments().to_csv(paths[0])
        self.profiles_.assign(description=self.descriptions_).to_csv(paths[1])
        return paths

    # ------------------------------------------------------------------------------------------------
    # internals
    # ------------------------------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise ParameterError("This Personas object is not fitted yet; call .fit(data) first.")

    def _check_params(self) -> tuple[int, int]:
        """The settings the declaration cannot say (the ranges are checked by ``validate_fit_params``)."""
        if self.features is not None and (isinstance(self.features, str) or not len(self.features)):
            raise ParameterError(
                f"features must be a non-empty list of feature names (or None for the default set); "
                f"got {self.features!r}."
            )
        return int(self.k_range[0]), int(self.k_range[1])

    def _requested_features(self, feats: pd.DataFrame) -> list[str]:
        if self.features is None:
            default = [c for c in BEHAVIOUR_FEATURES if c in feats.columns]
            default += [c for c in feats.attrs.get("attributes", []) if c in feats.columns]
            if not default:
                default = list(feats.columns)
            return default
        names = list(dict.fromkeys(self.features))
        unknown = [c for c in names if c not in feats.columns]
        if unknown:
            raise ParameterError(
                f"features: {unknown} not in the feature table; available: {list(feats.columns)}. Attribute "
                "columns of the transactions are added when named in features or attributes=."
            )
        return names

    def _drop_constant(self, feats: pd.DataFrame, requested: list[str]) -> list[str]:
        constant = [c for c in requested if feats[c].nunique(dropna=False) <= 1]
        used = [c for c in requested if c not in constant]
        self.dropped_features_ = constant
        if not used:
            raise DataContractError(
                f"All {len(feats):,} customers have identical values on every feature ({requested}), so "
                "there is nothing to tell personas apart. Check the input (one customer id for everyone? a "
                "single day of data?) or use other features."
            )
        _check_missing(feats, used)
        if constant:
            self.notes_.append(
                f"Constant feature(s) {constant} carry no information and were left out of the clustering."
            )
        return used

    def _candidate_ks(self, Zs: np.ndarray, k_min: int, k_max: int) -> list[int]:
        n_distinct = len(np.unique(np.round(Zs, 12), axis=0))
        # The silhouette is defined for 2 <= k <= distinct points - 1.
        top = min(k_max, n_distinct - 1)
        if top < k_min:
            raise DataContractError(
                f"Only {n_distinct:,} distinct customer profile(s) among {len(Zs):,} customers: too few for "
                f"k_range=({k_min}, {k_max}), which needs at least {k_min + 1}. Use more data or a smaller "
                f"k_range, e.g. k_range=(2, {max(2, n_distinct - 1)})."
            )
        if top < k_max:
            self.notes_.append(
                f"Only {n_distinct:,} distinct customer profiles: k_range capped at ({k_min}, {top})."
            )
        return list(range(k_min, top + 1))

    def _score_ks(
        self, Zs: np.ndarray, ks: list[int], rng: np.random.Generator
    ) -> tuple[dict[int, KMeans], pd.DataFrame]:
        sil_rows = _sample_rows(len(Zs), self.silhouette_size, rng)
        models: dict[int, KMeans] = {}
        rows = []
        for k in track(ks, desc="personas: k-means for each k", unit=" k"):
            km = KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state).fit(Zs)
            models[k] = km
            labels = km.labels_
            sil_labels = labels[sil_rows]
            sil_points = Zs[sil_rows]
            if len(np.unique(sil_labels)) < 2:  # a tiny sample missed clusters: score on all points
                sil_labels, sil_points = labels, Zs
            rows.append(
                {
                    "k": k,
                    "silhouette": float(silhouette_score(sil_points, sil_labels)),
                    "davies_bouldin": float(davies_bouldin_score(Zs, labels)),
                    "calinski_harabasz": float(calinski_harabasz_score(Zs, labels)),
                    "inertia": float(km.inertia_),
                }
            )
        scores = pd.DataFrame(rows).set_index("k")
        scores["natural_level"] = _local_best(scores["silhouette"], higher=True) & _local_best(
            scores["davies_bouldin"], higher=False
        )
        return models, scores

    def _check_stability(self, Zs: np.ndarray, labels: np.ndarray) -> None:
        runs = []
        for b in track(range(self.n_resamples), desc="personas: stability refits", unit=" refits"):
            seed = self.random_state + 1 + b
            boot = np.random.default_rng(seed).integers(0, len(Zs), len(Zs))
            km = KMeans(n_clusters=self.k_, n_init=self.n_init, random_state=seed).fit(Zs[boot])
            runs.append(
                {"run": b + 1, "random_state": seed, "ari": adjusted_rand_score(labels, km.predict(Zs))}
            )
        self.stability_runs_ = pd.DataFrame(runs, columns=["run", "random_state", "ari"])
        self.stability_ = float(self.stability_runs_["ari"].mean()) if runs else float("nan")
        if runs and self.stability_ < 0.8:
            self.notes_.append(
                f"Stability ARI {self.stability_:.2f} (under 0.8): refits on resampled customers move a "
                "noticeable share of customers between personas; read the boundaries as soft."
            )

    def _name_personas(self) -> None:
        traits = [_traits(self.zscores_.loc[p], self.profiles_.loc[p]) for p in self.profiles_.index]
        categorical = self.profiles_.attrs["categorical"]
        names = _unique_names([_name(t) for t in traits], self.zscores_)
        self.names_ = pd.Series(names, index=self.profiles_.index, name="name")
        self.profiles_.insert(0, "name", self.names_)
        self.descriptions_ = pd.Series(
            [
                _describe(self.profiles_.loc[p], self.zscores_.loc[p], categorical)
                for p in self.profiles_.index
            ],
            index=self.profiles_.index,
            name="description",
        )
        self.approach_ = pd.Series(
            [_approach(t) for t in traits], index=self.profiles_.index, name="approach"
        )
        self.profiles_["approach"] = self.approach_


def personas(
    data: Transactions | pd.DataFrame,
    *,
    as_of: Any = None,
    attributes: Sequence[str] | None = None,
    segments: pd.Series | None = None,
    abc: pd.Series | None = None,
    k_range: tuple[int, int] = (3, 7),
    features: Sequence[str] | None = None,
    random_state: int = 0,
    **options: Any,
) -> Personas:
    """Fit :class:`Personas` on transactions (or a feature table) in one call.

    Parameters
    ----------
    data : Transactions or DataFrame
        Transactions, or a feature table from :func:`segkit.customer_features`.
    as_of, attributes, segments, abc
        See :meth:`Personas.fit`.
    k_range, features, random_state, **options
        See :class:`Personas`.

    Returns
    -------
    Personas
        The fitted object.

    Examples
    --------
    >>> import segkit
    >>> from segkit.datasets import make_transactions
    >>> tx, truth = make_transactions(600, seed=3)
    >>> p = segkit.personas(tx, k_range=(3, 5), n_resamples=0)
    >>> p.persona_cards().columns.tolist()
    ['name', 'customers', 'share_customers', 'share_revenue', 'description', 'approach']
    >>> int(p.profiles_["n_customers"].sum())
    600
    """
    model = Personas(k_range=k_range, features=features, random_state=random_state, **options)
    return model.fit(data, as_of=as_of, attributes=attributes, segments=segments, abc=abc)


# ----------------------------------------------------------------------------------------------------
# features in, prepared matrix out
# ----------------------------------------------------------------------------------------------------


def _as_features(
    X: Any, *, as_of: Any, attributes: Sequence[str] | None, wanted: Sequence[str] | None
) -> pd.DataFrame:
    """Transactions -> customer_features; a feature table is validated and sorted by customer id."""
    if isinstance(X, Transactions) or (
        isinstance(X, pd.DataFrame) and {"order_date", "amount"} <= set(X.columns)
    ):
        tx = as_transactions(X)
        # The column names only: tx.data would turn the whole table into pandas to read them.
        extra = [c for c in tx.columns if c not in CANONICAL_COLUMNS]
        names = list(dict.fromkeys([*(attributes or []), *[c for c in (wanted or []) if c in extra]]))
        return customer_features(tx, as_of=as_of, attributes=names)
    if not isinstance(X, pd.DataFrame):
        raise DataContractError(
            f"Expected transactions (segkit.Transactions or a canonical DataFrame) or a customer feature "
            f"table, got {type(X).__name__}."
        )
    if attributes:
        raise ParameterError("attributes= applies to transactions; a feature table already has its columns.")
    feats = X.set_index("customer_id") if "customer_id" in X.columns else X
    if feats.index.has_duplicates:
        dup = feats.index[feats.index.duplicated()]
        raise data_error(
            "customer_id",
            "duplicate customer ids in the feature table",
            len(dup),
            dup[:5],
            "Pass one row per customer (e.g. segkit.customer_features(tx)).",
        )
    if feats.empty:
        raise DataContractError("The feature table is empty: there are no customers to cluster.")
    out = feats.sort_index(kind="stable").copy()
    out.attrs = dict(X.attrs)
    out.attrs.setdefault("attributes", [])
    return out


def _check_missing(feats: pd.DataFrame, columns: Sequence[str]) -> None:
    for col in columns:
        missing = feats[col].isna()
        if missing.any():
            raise data_error(
                col,
                "missing values in a clustering feature",
                int(missing.sum()),
                feats.index[missing][:5],
                "Fill them (e.g. .fillna(0) for a count) or leave the feature out of features=.",
            )


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _wants_log(series: pd.Series) -> bool:
    if series.name in _LOG_FEATURES:
        return True
    values = series.astype(float)
    return bool(values.min() >= 0 and values.skew() > 1)


def _preparation(feats: pd.DataFrame, used: list[str]) -> ColumnTransformer:
    numeric = [c for c in used if _is_numeric(feats[c])]
    logged = [c for c in numeric if _wants_log(feats[c])]
    plain = [c for c in numeric if c not in logged]
    categorical = [c for c in used if c not in numeric]
    steps = []
    if logged:
        log = FunctionTransformer(_log1p_clipped, feature_names_out="one-to-one")
        steps.append(("log_scaled", Pipeline([("log1p", log), ("scale", StandardScaler())]), logged))
    if plain:
        steps.append(("scaled", StandardScaler(), plain))
    if categorical:
        onehot = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=0.01, sparse_output=False)
        steps.append(("onehot", onehot, categorical))
    return ColumnTransformer(steps, remainder="drop", verbose_feature_names_out=False)


def _sample_rows(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(rng.choice(n, size=size, replace=False))


# ----------------------------------------------------------------------------------------------------
# choosing k, numbering personas
# ----------------------------------------------------------------------------------------------------


def _local_best(values: pd.Series, *, higher: bool) -> pd.Series:
    """True where a value is at least as good as both neighbours (ends compare with their one neighbour)."""
    v = values.to_numpy(dtype=float) * (1 if higher else -1)
    left = np.r_[-np.inf, v[:-1]]
    right = np.r_[v[1:], -np.inf]
    return pd.Series((v >= left) & (v >= right), index=values.index)


def _choose_k(scores: pd.DataFrame, rule: str, ratio: float) -> tuple[int, str]:
    sil = scores["silhouette"]
    best_k = int(sil.idxmax())
    if len(scores) == 1:
        return best_k, f"k={best_k} is the only candidate (silhouette {sil[best_k]:.2f})."
    if rule == "silhouette":
        return best_k, f"k={best_k} has the highest silhouette ({sil[best_k]:.2f})."
    levels = scores.index[scores["natural_level"]].tolist()
    eligible = [k for k in levels if sil[k] >= ratio * sil.max()]
    if not eligible:
        return best_k, (
            f"No k is a local optimum of both silhouette and Davies-Bouldin with a silhouette near the best, "
            f"so k={best_k}, the highest silhouette ({sil[best_k]:.2f}), was taken."
        )
    k = max(eligible)
    levels_text = ", ".join(f"k={x}" for x in levels)
    reason = (
        f"Silhouette and Davies-Bouldin agree on natural levels at {levels_text}; the finest with a silhouette "
        f"of at least {ratio:.0%} of the best was taken: k={k} (silhouette {sil[k]:.2f}, Davies-Bouldin "
        f"{scores.loc[k, 'davies_bouldin']:.2f})."
    )
    if k != best_k:
        reason += (
            f" The best silhouette ({sil[best_k]:.2f} at k={best_k}) belongs to a coarser split, usually too "
            "broad to plan campaigns on."
        )
    if k == scores.index.max() and scores["silhouette"].is_monotonic_increasing:
        reason += " The silhouette still rises at the top of the range; a larger k_max may fit better."
    return k, reason


def _persona_order(raw: np.ndarray, feats: pd.DataFrame, k: int, centers: np.ndarray) -> np.ndarray:
    """Cluster ids sorted by revenue (then size, then centre coordinates): a run-independent numbering."""
    size = np.bincount(raw, minlength=k).astype(float)
    if "revenue" in feats.columns and _is_numeric(feats["revenue"]):
        revenue = np.bincount(raw, weights=feats["revenue"].to_numpy(dtype=float), minlength=k)
    else:
        revenue = size.copy()
    keys = [centers[:, j] for j in reversed(range(centers.shape[1]))]
    return np.lexsort([*keys, -size, -revenue])


def _renumber(kmeans: KMeans, order: np.ndarray) -> None:
    """Reorder the fitted centres so that ``kmeans.predict`` returns persona numbers directly."""
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    kmeans.cluster_centers_ = kmeans.cluster_centers_[order]
    kmeans.labels_ = inverse[kmeans.labels_]


# ----------------------------------------------------------------------------------------------------
# profiles
# ----------------------------------------------------------------------------------------------------


def _zscores(feats: pd.DataFrame, labels: pd.Series, k: int) -> pd.DataFrame:
    """Persona means of every numeric feature after the same log/standardising as the clustering."""
    numeric = [c for c in feats.columns if _is_numeric(feats[c])]
    out = {}
    for col in numeric:
        values = feats[col].astype(float)
        if _wants_log(feats[col]):
            values = pd.Series(_log1p_clipped(values), index=feats.index)
        std = values.std(ddof=0)
        z = (values - values.mean()) / std if std > 0 else values * 0.0
        out[col] = z.groupby(labels).mean().reindex(range(k))
    table = pd.DataFrame(out)
    table.index.name = "persona"
    return table


def _dominant(values: pd.Series, labels: pd.Series, k: int) -> tuple[pd.Series, pd.Series]:
    """The most common value per persona (ties: alphabetical) and its share."""
    frame = pd.DataFrame({"persona": labels.to_numpy(), "value": values.astype("str").to_numpy()})
    counts = frame.value_counts(["persona", "value"]).rename("n").reset_index()
    counts = counts.sort_values(["persona", "n", "value"], ascending=[True, False, True])
    top = counts.drop_duplicates("persona").set_index("persona").reindex(range(k))
    sizes = labels.value_counts().reindex(range(k))
    return top["value"], top["n"] / sizes


def _context(series: pd.Series | None, name: str, index: pd.Index) -> pd.Series | None:
    if series is None:
        return None
    if not isinstance(series, pd.Series):
        raise ParameterError(
            f"{name} must be a pandas Series indexed by customer_id; got {type(series).__name__}."
        )
    # Plain objects: an ordered categorical (RFM segments) would refuse the "(none)" filler.
    s = pd.Series(series.to_numpy(dtype=object), index=series.index.astype("str"))
    if s.index.has_duplicates:
        raise ParameterError(f"{name} has duplicate customer ids; pass one value per customer.")
    # Match on text ids whatever the dtype of either index (a feature table may use integer ids).
    return s.reindex(index.astype("str")).set_axis(index).fillna("(none)")


def _profiles(
    feats: pd.DataFrame, labels: pd.Series, k: int, *, segments: pd.Series | None, abc: pd.Series | None
) -> pd.DataFrame:
    sizes = labels.value_counts().reindex(range(k), fill_value=0)
    prof = pd.DataFrame(index=pd.RangeIndex(k, name="persona"))
    prof["n_customers"] = sizes.astype("int64")
    prof["share_customers"] = sizes / sizes.sum()
    numeric = [c for c in feats.columns if _is_numeric(feats[c])]
    if "revenue" in numeric:
        revenue = feats["revenue"].groupby(labels).sum().reindex(range(k), fill_value=0.0)
        total = float(feats["revenue"].sum())
        prof["revenue"] = revenue.round(2)
        prof["share_revenue"] = revenue / total if total > 0 else np.nan
        prof["revenue_per_customer"] = (revenue / sizes).round(2)
    grouped = feats[numeric].groupby(labels)
    medians = grouped.median().reindex(range(k))
    means = grouped.mean().reindex(range(k))
    base = feats[numeric].mean()
    for col in numeric:
        prof[f"{col}_median"] = medians[col]
    for col in numeric:
        prof[f"{col}_index"] = (100 * means[col] / base[col]).round(1) if base[col] != 0 else np.nan
    categorical = [c for c in feats.columns if c not in numeric]
    for col in categorical:
        prof[col], prof[f"{col}_dominant_share"] = _dominant(feats[col], labels, k)
    for series, param, name in ((segments, "segments", "rfm_segment"), (abc, "abc", "abc_class")):
        values = _context(series, param, feats.index)
        if values is not None:
            prof[name], prof[f"{name}_dominant_share"] = _dominant(values, labels, k)
            categorical.append(name)
    prof.attrs["categorical"] = categorical
    return prof


# ----------------------------------------------------------------------------------------------------
# names, descriptions, approaches: rules over the profile, never per cluster number
# ----------------------------------------------------------------------------------------------------


def _traits(z: pd.Series, prof: pd.Series) -> dict[str, bool]:
    def zv(name: str) -> float:
        return float(z[name]) if name in z.index and pd.notna(z[name]) else 0.0

    one_time = "n_orders_median" in prof.index and prof["n_orders_median"] <= 1
    new = zv("tenure_days") <= _LOW and zv("recency_days") <= 0
    lapsed = zv("recency_days") >= 0.5 and not new
    frequent = not one_time and zv("n_orders") >= _HIGH
    occasional = not one_time and not frequent and (zv("n_orders") <= -0.25 or zv("gap_days") >= _HIGH)
    value_z = zv("revenue") if "revenue" in z.index else zv("avg_order_value")
    return {
        "one_time": bool(one_time),
        "new": bool(new),
        "lapsed": bool(lapsed),
        "frequent": bool(frequent),
        "occasional": bool(occasional),
        "high": value_z >= _HIGH,
        "low": value_z <= _LOW,
        "big_basket": zv("avg_order_value") >= _HIGH,
        "small_basket": zv("avg_order_value") <= _LOW,
    }


def _name(t: dict[str, bool]) -> str:
    if t["new"]:
        if t["one_time"]:
            core = "New one-time buyers"
        elif t["high"] or t["frequent"]:
            core = "Promising new customers"
        else:
            core = "New repeat buyers"
    elif t["lapsed"]:
        if t["one_time"]:
            core = "Lapsed one-time buyers"
        elif t["high"] or t["frequent"]:
            core = "Lapsed high-value customers"
        else:
            core = "Lapsed repeat buyers"
    elif t["one_time"]:
        core = "Recent one-time buyers"
    elif t["frequent"]:
        core = "Frequent high spenders" if t["high"] else "Frequent buyers"
    elif t["occasional"]:
        core = "Occasional big-basket buyers" if t["big_basket"] else "Occasional buyers"
    elif t["high"]:
        core = "Regular high spenders"
    elif t["big_basket"]:
        core = "Regular big-basket buyers"
    elif t["low"] or t["small_basket"]:
        core = "Regular low spenders"
    else:
        core = "Regular buyers"
    return core


_QUALIFIERS = {
    "recency_days": ("longer since last order", "bought recently"),
    "n_orders": ("more orders", "fewer orders"),
    "revenue": ("higher spend", "lower spend"),
    "tenure_days": ("longer-standing", "joined later"),
    "avg_order_value": ("bigger baskets", "smaller baskets"),
    "gap_days": ("longer gaps between orders", "shorter gaps between orders"),
    "top_category_share": ("loyal to one category", "broader category mix"),
    "top_channel_share": ("loyal to one channel", "mixed channels"),
}


def _unique_names(names: list[str], z: pd.DataFrame) -> list[str]:
    """Tell apart personas that got the same name by the feature on which they differ most."""
    out = list(names)
    for name in dict.fromkeys(names):
        members = [i for i, n in enumerate(names) if n == name]
        if len(members) < 2:
            continue
        group = z.iloc[members]
        spread = (group.max() - group.min()).fillna(0.0)
        if spread.empty or spread.max() <= 1e-9:
            continue  # identical profiles: only numbering (below) can tell them apart
        feature = str(spread.idxmax())
        high, low = _QUALIFIERS.get(feature, (f"higher {feature}", f"lower {feature}"))
        centre = group[feature].mean()
        for i in members:
            out[i] = f"{name}, {high if z.iloc[i][feature] >= centre else low}"
    # Three or more alike can still collide on one qualifier: number what is left, in persona order.
    seen: dict[str, int] = {}
    for i, name in enumerate(out):
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1 or out.count(name) > 1:
            out[i] = f"{name} ({seen[name]})"
    return out


def _fmt_num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:,.1f}".rstrip("0").rstrip(".")


def _describe(prof: pd.Series, z: pd.Series, categorical: Sequence[str]) -> str:
    parts = [f"{int(prof['n_customers']):,} customers ({prof['share_customers']:.0%} of the base)"]
    if "share_revenue" in prof.index and pd.notna(prof["share_revenue"]):
        parts[0] += f" bringing {prof['share_revenue']:.0%} of revenue."
    else:
        parts[0] += "."
    med = {c[: -len("_median")]: prof[c] for c in prof.index if c.endswith("_median")}
    typical = []
    if "n_orders" in med:
        typical.append(f"has placed {_fmt_num(med['n_orders'])} order{'s' if med['n_orders'] != 1 else ''}")
    if "avg_order_value" in med:
        typical.append(f"spends {_fmt_num(med['avg_order_value'])} per order")
    if "recency_days" in med:
        typical.append(f"last bought {med['recency_days']:,.0f} days ago")
    if "tenure_days" in med:
        typical.append(f"first bought {med['tenure_days']:,.0f} days ago")
    if typical:
        parts.append(
            "The typical member "
            + ", ".join(typical[:-1])
            + (" and " if len(typical) > 1 else "")
            + typical[-1]
            + "."
        )
    if "gap_days" in med and med.get("n_orders", 2) > 1:
        parts.append(f"Orders come about every {med['gap_days']:,.0f} days.")
    strongest = [f for f in z.dropna().abs().sort_values(ascending=False).index[:2]]
    moves = [
        f"{FEATURE_LABELS.get(f, f)} {prof[f'{f}_index']:,.0f}"
        for f in strongest
        if pd.notna(prof.get(f"{f}_index"))
    ]
    if moves:
        parts.append("Most distinctive against the base (index 100): " + ", ".join(moves) + ".")
    for col in categorical:
        label = {"rfm_segment": "RFM segment", "abc_class": "ABC class"}.get(
            col, FEATURE_LABELS.get(col, col)
        )
        parts.append(
            f"{label[0].upper()}{label[1:]}: mostly {prof[col]} ({prof[f'{col}_dominant_share']:.0%})."
        )
    return " ".join(parts)


def _approach(t: dict[str, bool]) -> str:
    if t["new"]:
        return (
            "Onboard: a welcome series, a reason for the next purchase within their first weeks and a question "
            "about preferences. Judge the work by the share who make a second purchase."
        )
    if t["lapsed"] and t["one_time"]:
        return (
            "Low-cost reactivation test: one or two reminders with a clear reason to return (new arrivals, a "
            "modest repeat-purchase offer). Stop spending on those who do not respond; keep them out of "
            "expensive channels."
        )
    if t["lapsed"]:
        return (
            "Win back: a personal reactivation offer scaled to their past value, a short survey on why they "
            "stopped, reminders of their favourite category. Act quickly: the chance of return falls every month."
        )
    if t["one_time"]:
        return "Convert to a second purchase: a follow-up offer tied to the first order and related products."
    if t["frequent"] and t["high"]:
        return (
            "Retain and reward: VIP tier or loyalty programme, early access, personal service. They already "
            "buy often, so protect margin rather than discount; watch for a gap longer than usual, the "
            "first sign of churn."
        )
    if t["frequent"]:
        return "Grow basket size: bundles, cross-sell of complementary categories, free-delivery thresholds."
    if t["occasional"]:
        return (
            "Stay top of mind at their buying moments: reminders timed to their usual gap and to seasonal "
            "peaks; bundles to make each visit count."
        )
    if t["high"] or t["big_basket"]:
        return (
            "Increase frequency: personal recommendations, replenishment reminders, subscriptions; their "
            "high value per order makes personal contact worthwhile."
        )
    if t["low"] or t["small_basket"]:
        return "Lift the basket cheaply: bundles and thresholds through low-cost channels (email, app)."
    return "Develop: cross-sell and up-sell, loyalty enrolment, an invitation to the next tier."
