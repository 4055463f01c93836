"""Benchmark persona fitting against plain k-means on the full data.

segkit.Personas chooses k on a random sample (20,000 customers by default), then assigns every customer
to the nearest centre. The baseline is what a tutorial does at full size: k-means on all customers for
every k of the range (silhouette on a 20,000 sample, because the full silhouette is quadratic in the
number of customers and would not finish at 1M). Both get the same prepared feature matrix, so the
comparison is about the clustering; the feature step (engine layer) is timed separately.

Prints wall times and the ratio personas / baseline (below 1 means segkit is faster), plus the agreement
(ARI) of the two partitions at the k segkit chose. segkit runs k-means on one thread; the baseline is timed
both with scikit-learn's default threads and on one thread, so the ratio is not just a threading effect.
``--scale-to 1000000`` then copies the feature table up to that many customers and times the fit alone
(the baseline would take many minutes there). Not a test: timings depend on the machine.

    .venv/bin/python bench/bench_personas.py [--customers 100000] [--repeat 1] [--scale-to 1000000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from threadpoolctl import threadpool_limits

import segkit
from segkit.datasets import make_transactions


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _baseline(Z: np.ndarray, k_range: tuple[int, int], seed: int) -> dict[int, np.ndarray]:
    labels = {}
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(Z), size=min(len(Z), 20_000), replace=False)
    for k in range(k_range[0], k_range[1] + 1):
        km = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(Z)
        silhouette_score(Z[rows], km.labels_[rows])
        labels[k] = km.labels_
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per timing; the best is kept")
    parser.add_argument("--scale-to", type=int, default=0, help="also time the fit on this many customers")
    args = parser.parse_args()

    raw, _ = make_transactions(args.customers, seed=7)
    tx = segkit.read_transactions(raw)
    print(f"{len(raw):,} transaction lines, {args.customers:,} customers")
    feats, t_features = _timed(lambda: segkit.customer_features(tx))
    print(f"features (engine layer)           {t_features:8.2f} s")

    best_ours = best_base = best_base1 = float("inf")
    for _ in range(args.repeat):
        model, t_ours = _timed(lambda: segkit.Personas().fit(feats))
        best_ours = min(best_ours, t_ours)
        Z = model.pipeline_.named_steps["prepare"].transform(feats[model.feature_names_])
        base, t_base = _timed(lambda Z=Z: _baseline(Z, (3, 7), 0))
        best_base = min(best_base, t_base)
        with threadpool_limits(limits=1):
            _, t_base1 = _timed(lambda Z=Z: _baseline(Z, (3, 7), 0))
        best_base1 = min(best_base1, t_base1)
    print(
        f"segkit.Personas().fit             {best_ours:8.2f} s   (k={model.k_}, with {model.n_resamples} refits)"
    )
    print(f"baseline: KMeans on all, k=3..7   {best_base:8.2f} s   (default threads)")
    print(f"baseline, one thread              {best_base1:8.2f} s")
    print(
        f"ratio personas / baseline         {best_ours / best_base:8.2f}   (one-thread: {best_ours / best_base1:.2f})"
    )
    agreement = adjusted_rand_score(base[model.k_], model.labels_.to_numpy())
    print(f"ARI(segkit, full-data KMeans) at k={model.k_}: {agreement:.3f}")
    if args.scale_to > len(feats):
        copies = -(-args.scale_to // len(feats))
        big = pd.concat([feats.set_axis([f"{i}-{c}" for c in feats.index]) for i in range(copies)])
        big = big.iloc[: args.scale_to].rename_axis("customer_id")
        big.attrs = feats.attrs
        model, t_big = _timed(lambda: segkit.Personas().fit(big))
        print(f"segkit.Personas().fit on {len(big):,} customers: {t_big:.2f} s (k={model.k_})")


if __name__ == "__main__":
    main()
