"""Sweep speed and quality against the analysis's loop, in one process on one planted-topic corpus.

    .venv/bin/python benchmarks/bench_sweep.py                 # 25,000 palettes, 18 planted topics, n = 1..19
    .venv/bin/python benchmarks/bench_sweep.py --palettes 3000 --topics 6 --max-n 9   # a quick look
    .venv/bin/python benchmarks/bench_sweep.py --palettes 6000 --split     # where the sweep's time goes

Reference: for n = 1..19 a fresh Pipeline([TfidfVectorizer(), LatentDirichletAllocation(n_components=n,
n_jobs=-1)]) on 12-bit palette documents, as the analysis ran it (plus a random_state, for repeatable numbers).
Ours: `bcanalysis.topics.sweep(palettes, bits=(12,), n_topics=range(1, max_n + 1), cache_dir=None)` with its
defaults (two seeds per n, held-out metrics, all cores). Recovery: mean cosine between planted and fitted topics
after one-to-one matching, at the true n.

Measured on the 2-core development machine (benchmarks/README.md has the tables): 6,000 palettes, analysis loop
63.4 s, recovery 0.558; sweep 10.8 s (37 sampled fits: n = 2..19 × 2 seeds, n = 1 exact), recovery 0.990; 5.9×.
25,000 palettes: 258.6 s against 31.4 s (8.2×), recovery 0.855 against 0.997.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from bcanalysis.quantize import document_to_palette, palette_to_document
from bcanalysis.topics import planted_palettes, recovery, sweep
from bcanalysis.topics.metrics import align_to_colors, matched_similarity


def reference_loop(palettes: list, max_n: int, true_n: int, seed: int) -> tuple[float, np.ndarray, np.ndarray]:
    """The analysis's loop; returns seconds, and the true-n model's topics and column colours."""
    from sklearn.decomposition import LatentDirichletAllocation
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline

    t0 = time.perf_counter()
    docs = [palette_to_document(p, 12) for p in palettes]
    kept = None
    for n in range(1, max_n + 1):
        pipe = Pipeline(
            [
                ("tfidf", TfidfVectorizer()),
                ("lda", LatentDirichletAllocation(n_components=n, n_jobs=-1, random_state=seed)),
            ]
        ).fit(docs)
        if n == true_n:
            kept = pipe
        print(f"  reference n={n:2d}  {time.perf_counter() - t0:7.1f} s", flush=True)
    seconds = time.perf_counter() - t0
    comp = kept[-1].components_
    colors = document_to_palette(list(kept[0].get_feature_names_out()))
    return seconds, comp / comp.sum(axis=1, keepdims=True), colors


def time_split(palettes: list, max_n: int, seed: int) -> None:
    """The sweep in this process (`n_jobs=1`) under cProfile, its time split by step (README table)."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    t0 = time.perf_counter()
    profile.enable()
    sweep(
        palettes, bits=(12,), n_topics=range(1, max_n + 1), random_state=seed, cache_dir=None, progress=False, n_jobs=1
    )
    profile.disable()
    total = time.perf_counter() - t0
    stats = pstats.Stats(profile).stats

    def cum(module: str, *names: str, caller: str | None = None) -> float:
        out = 0.0
        for (path, _, name), (_, _, _, seconds, callers) in stats.items():
            if path.endswith(module) and name in names:
                out += seconds if caller is None else sum(c[3] for k, c in callers.items() if k[2] == caller)
        return out

    rows = {
        "vectorise (+ held-out split)": cum("vectorize.py", "vectorize"),
        "hand-over to tomotopy (documents, word priors)": cum("gibbs.py", "_model"),
        "read-back (chain steps' counts; final fits' word counts)": cum(
            "gibbs.py", "_state", "_topic_words", "_log_likelihood"
        ),
        "sampling: exploratory fits": cum("models.py", "train", caller="_explore"),
        "sampling: chain steps": cum("models.py", "train", caller="_fit") + cum("gibbs.py", "_train", caller="_fit"),
        "sampling: final fits of every palette": cum("gibbs.py", "_train", caller="fit"),
        "merge: greedy": cum("merge.py", "merge_path"),
        "merge: local search": cum("merge.py", "refine_groups"),
        "metrics and held-out scoring": cum("selection.py", "_assemble")
        + cum("model.py", "completion_loglik", caller="_run_job"),
    }
    print(f"time split, one process under cProfile: {total:.1f} s; load average {os.getloadavg()[0]:.2f}")
    for name, seconds in rows.items():
        print(f"| {name} | {seconds:.1f} s | {100 * seconds / total:.0f} % |")
    print(f"| other | {total - sum(rows.values()):.1f} s | |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--palettes", type=int, default=25_000)
    ap.add_argument("--topics", type=int, default=18, help="planted topics (the true n)")
    ap.add_argument("--max-n", type=int, default=19)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-reference", action="store_true", help="time only the sweep")
    ap.add_argument("--split", action="store_true", help="only the sweep's time split by step (one process, cProfile)")
    args = ap.parse_args()

    planted = planted_palettes(args.palettes, args.topics, random_state=args.seed)
    print(
        f"corpus: {args.palettes} palettes × 40 colours, {args.topics} planted topics, 12 bit; "
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    if args.split:
        time_split(planted.palettes, args.max_n, args.seed)
        return

    t0 = time.perf_counter()
    result = sweep(
        planted.palettes,
        bits=(12,),
        n_topics=range(1, args.max_n + 1),
        random_state=args.seed,
        cache_dir=None,
        progress=False,
    )
    ours = time.perf_counter() - t0
    ours_rec = recovery(planted.topics, planted.colors, result.model(12, args.topics))
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(result.table.round(3).to_string(index=False))
    print(result.recommend().loc[0, "reason"])
    print(
        f"sweep (tomotopy, counts, 2 seeds per n): {ours:.1f} s; recovery at n={args.topics}: {ours_rec:.3f}",
        flush=True,
    )
    if args.skip_reference:
        return
    ref, ref_topics, ref_colors = reference_loop(planted.palettes, args.max_n, args.topics, args.seed)
    ref_rec = matched_similarity(planted.topics, align_to_colors(ref_topics, ref_colors, planted.colors))
    print(
        f"\nanalysis loop (tf-idf → sklearn LDA, 1 fit per n): {ref:7.1f} s   recovery at n={args.topics}: "
        f"{ref_rec:.3f}"
    )
    print(
        f"bcanalysis sweep (counts → tomotopy, 2 seeds per n): {ours:7.1f} s   recovery at n={args.topics}: "
        f"{ours_rec:.3f}"
    )
    print(f"speed-up: {ref / ours:.1f}×  (target ≥ 5×, recovery ≥ 0.97); load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
