"""What one click in an explorer costs, against a reference measured in the same run (the timings tests used to
assert, on a shared machine where they failed at random).

    .venv/bin/python benchmarks/bench_views.py [--albums 25000] [--repeat 20]

- similar covers: `analysis.SimilarCovers.query` over N albums' topic mixtures (18 topics) against the brute force a
  notebook would write (scipy `cdist` of square roots, then a sort), both returning the same 12 albums;
- palette distance: `palette.distance` (3-D earth mover's distance in CIELAB, a linear programme) on two 40-colour
  palettes, against scipy's 1-D `wasserstein_distance` on their lightness alone;
- topic-count explorer: a topic grid drawn the first time against the same grid shown again (the explorer keeps the
  views it drew), on a small real sweep.
Times are the fastest of `--repeat` runs (`palette.best_of`).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist
from scipy.stats import wasserstein_distance

from bcanalysis import analysis, palette, topics
from bcanalysis.colorspace import rgb_to_lab
from bcanalysis.palette import best_of
from bcanalysis.widgets.explorers import TopicCountViews


def similar_covers(n: int, repeat: int) -> tuple[float, float]:
    rng = np.random.default_rng(1)
    albums = pd.DataFrame({"url": [f"https://s.bandcamp.com/album/{i}" for i in range(n)], "colorgram": [None] * n})
    weights = pd.DataFrame(rng.dirichlet(np.full(18, 0.1), n), index=albums.index)
    index = analysis.SimilarCovers(None, albums, weights)
    roots = np.sqrt(weights.to_numpy())

    def brute() -> list:
        d = cdist(roots, roots[[7]]).ravel() / np.sqrt(2)
        d[7] = np.inf
        return list(np.argsort(d, kind="stable")[:12])

    assert list(index.query(albums.loc[7, "url"], 12).index) == brute()
    ours = best_of(lambda: index.query(albums.loc[7, "url"], 12), repeat)
    return ours, best_of(brute, repeat)


def palette_distance(repeat: int) -> tuple[float, float]:
    rng = np.random.default_rng(2)
    p = [(*rng.integers(0, 256, 3), w) for w in rng.random(40)]
    q = [(*rng.integers(0, 256, 3), w) for w in rng.random(40)]
    lp, lq = rgb_to_lab(np.array(p)[:, :3])[:, 0], rgb_to_lab(np.array(q)[:, :3])[:, 0]
    wp, wq = np.array(p)[:, 3], np.array(q)[:, 3]
    ours = best_of(lambda: palette.distance(p, q), repeat)
    return ours, best_of(lambda: wasserstein_distance(lp, lq, wp, wq), repeat)


def topic_grid(repeat: int) -> tuple[float, float]:
    rng = np.random.default_rng(3)
    themes = rng.integers(0, 256, (3, 12, 3))
    palettes = [themes[i % 3][rng.integers(0, 12, 20)] for i in range(150)]
    sweep = topics.sweep(palettes, bits=(12,), n_topics=[2, 3, 4, 5], random_state=0, progress=False)

    def first() -> None:
        TopicCountViews(sweep, palettes=palettes).view(12, 5)

    views = TopicCountViews(sweep, palettes=palettes)
    views.view(12, 5)
    again = best_of(lambda: views.view(12, 5), repeat)
    assert views.view(12, 5).cached
    return best_of(first, max(1, repeat // 4)), again


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--albums", type=int, default=25_000)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    rows = []
    ours, ref = similar_covers(args.albums, args.repeat)
    rows.append((f"similar covers, {args.albums:,} albums", "SimilarCovers.query", ours, "cdist + sort", ref))
    ours, ref = palette_distance(args.repeat)
    rows.append(("palette distance, 40 colours", "palette.distance (3-D EMD)", ours, "1-D EMD of lightness", ref))
    first, again = topic_grid(args.repeat)
    rows.append(("topic grid, 5 topics", "first draw", first, "shown again (kept)", again))
    print("| click | ours | ms | reference | ms | ours ÷ reference |")
    print("|---|---|---|---|---|---|")
    for what, name, t, ref_name, t_ref in rows:
        print(f"| {what} | {name} | {t * 1e3:.2f} | {ref_name} | {t_ref * 1e3:.3f} | {t / t_ref:.1f} |")


if __name__ == "__main__":
    main()
