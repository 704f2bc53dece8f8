"""Recovery of planted colour topics for every seed: `topics.ColorTopics` with its defaults against the analysis's loop.

    .venv/bin/python benchmarks/bench_recovery.py                       # K = 12 and 18, 6 corpora each, seeds 0..9
    .venv/bin/python benchmarks/bench_recovery.py --palettes 3000 --corpora 1 --engines default   # a quick look

Corpora: `planted_palettes(N, K, random_state=g, overlap=o)` for generator seeds g and overlaps o (0 = the default
corpus; 0.3 = about a third of each topic's colour clusters drawn from a pool the topics share), 12 bit.
Engines, each fitted with `random_state` 0..9 on every corpus:
- `default`: `topics.ColorTopics(n_topics=K, random_state=s).fit(palettes)`, the package's defaults;
- `previous`: the defaults before this benchmark (uniform random start, α = 1, at least 50 sweeps);
- `sklearn`: the analysis's loop as the package reproduces it bit for bit, tf-idf → scikit-learn batch LDA
  (`weighting="tfidf", engine="sklearn"`);
- `proportion` (on request): the defaults on area pseudo-counts (`weighting="proportion"`).
Recovery: mean cosine between planted and fitted topics after one-to-one (Hungarian) matching, `topics.recovery`.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache

import pandas as pd

from bcanalysis import topics

ENGINES = {
    "default": {},
    "previous": {"engine_options": {"init": "random", "alpha": 1.0, "min_iter": 50}},
    "sklearn": {"weighting": "tfidf", "engine": "sklearn"},
    "proportion": {"weighting": "proportion"},  # the default engine on area pseudo-counts (not run by default)
}


@lru_cache(maxsize=2)
def _corpus(n: int, k: int, g: int, overlap: float) -> topics.PlantedPalettes:
    return topics.planted_palettes(n, k, random_state=g, overlap=overlap)


def _job(args: tuple) -> dict:
    n, k, g, overlap, engine, seed = args
    planted = _corpus(n, k, g, overlap)
    t0 = time.perf_counter()
    model = topics.ColorTopics(n_topics=k, random_state=seed, **ENGINES[engine]).fit(planted.palettes)
    return {
        "engine": engine,
        "K": k,
        "corpus": f"g{g} overlap {overlap:g}",
        "seed": seed,
        "recovery": topics.recovery(planted.topics, planted.colors, model),
        "seconds": time.perf_counter() - t0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--palettes", type=int, default=10_000)
    ap.add_argument("--topics", type=int, nargs="+", default=[12, 18])
    ap.add_argument("--corpora", type=int, default=3, help="generator seeds per overlap")
    ap.add_argument("--overlaps", type=float, nargs="+", default=[0.0, 0.3])
    ap.add_argument("--seeds", type=int, default=10, help="random_state 0..seeds-1")
    ap.add_argument("--engines", nargs="+", default=["default", "previous", "sklearn"], choices=list(ENGINES))
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    args = ap.parse_args()

    jobs = [
        (args.palettes, k, g, o, e, s)
        for e in args.engines
        for k in args.topics
        for o in args.overlaps
        for g in range(args.corpora)
        for s in range(args.seeds)
    ]
    print(
        f"{len(jobs)} fits: {args.palettes} palettes × 40 colours, 12 bit; {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.2f}",
        flush=True,
    )
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:  # jobs of one corpus run together, so each worker builds it once
        rows = list(pool.map(_job, jobs, chunksize=max(1, args.seeds // 2)))
    df = pd.DataFrame(rows)
    print(f"done in {time.perf_counter() - t0:.0f} s\n")
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        for engine, d in df.groupby("engine", sort=False):
            print(f"recovery per seed, engine {engine}:")
            print(d.pivot_table(index=["K", "corpus"], columns="seed", values="recovery").round(3).to_string(), "\n")
        summary = df.groupby(["engine", "K"], sort=False).agg(
            min=("recovery", "min"),
            median=("recovery", "median"),
            below_097=("recovery", lambda r: int((r < 0.97).sum())),
            fits=("recovery", "size"),
            s_per_fit=("seconds", "mean"),
        )
        print("summary (min / median over every corpus and seed):")
        print(summary.round(3).to_string())


if __name__ == "__main__":
    main()
