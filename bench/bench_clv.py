"""Benchmark: fitting BG/NBD and Gamma-Gamma on 100k customers, segkit versus lifetimes in the same run.

The customers are drawn from the models themselves (``segkit.simulate_summary``, fixed seed) with CDNOW's
published parameters, so both fits should also recover those parameters. lifetimes is the baseline when it
imports (it is archived and may break with current scipy/pandas); the script still runs without it.

    .venv/bin/python bench/bench_clv.py [--customers 100000] [--repeat 1] [--no-lifetimes]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

import segkit

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def timed(fn, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_mib(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-lifetimes", action="store_true")
    args = parser.parse_args()

    summary = segkit.simulate_summary(args.customers, params=BG, spend_params=GG, T=(27, 39), seed=0)
    repeat = summary.loc[summary["frequency"] > 0]
    print(
        f"{len(summary):,} simulated customers ({len(repeat):,} repeat buyers), true BG/NBD {BG}, Gamma-Gamma {GG}"
    )

    t_bg, bg = timed(lambda: segkit.BetaGeoModel().fit(summary), args.repeat)
    t_gg, gg = timed(lambda: segkit.GammaGammaModel().fit(summary), args.repeat)
    t_cv, _ = timed(
        lambda: segkit.customer_value(bg, gg, summary, horizon_days=365, discount_rate=0.1, time_unit_days=7),
        args.repeat,
    )
    print(f"segkit    BG/NBD fit      {t_bg:7.2f} s  {bg.params_.round(3).to_dict()}")
    print(f"segkit    Gamma-Gamma fit {t_gg:7.2f} s  {gg.params_.round(3).to_dict()}")
    print(f"segkit    CLV, 12 monthly steps {t_cv:5.2f} s")
    print(
        f"segkit    BG/NBD fit peak memory {peak_mib(lambda: segkit.BetaGeoModel().fit(summary)):.0f} MiB (tracemalloc)"
    )

    if args.no_lifetimes:
        return
    try:
        import lifetimes
    except Exception as exc:  # archived package: any import failure just skips the baseline
        print(f"lifetimes unavailable ({exc}); no baseline.")
        return
    f, r, T = summary["frequency"], summary["recency"], summary["T"]
    try:
        t_lbg, lbg = timed(lambda: lifetimes.BetaGeoFitter().fit(f, r, T), args.repeat)
        t_lgg, lgg = timed(
            lambda: lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"]),
            args.repeat,
        )
    except Exception as exc:
        print(f"lifetimes failed to fit ({type(exc).__name__}: {exc}); no baseline.")
        return
    print(f"lifetimes BG/NBD fit      {t_lbg:7.2f} s  {lbg.params_.round(3).to_dict()}")
    print(f"lifetimes Gamma-Gamma fit {t_lgg:7.2f} s  {lgg.params_.round(3).to_dict()}")
    diff_bg = np.max(np.abs(bg.params_.to_numpy() / lbg.params_.to_numpy() - 1))
    diff_gg = np.max(np.abs(gg.params_.to_numpy() / lgg.params_.to_numpy() - 1))
    print(f"largest relative parameter difference: BG/NBD {diff_bg:.1e}, Gamma-Gamma {diff_gg:.1e}")
    print(f"speed-up (lifetimes / segkit): BG/NBD {t_lbg / t_bg:.1f}x, Gamma-Gamma {t_lgg / t_gg:.1f}x")


if __name__ == "__main__":
    main()
