"""RGB against HLS and OKLab colour bins: coherence, seed stability and tag separation of the topics they give.

    .venv/bin/python benchmarks/bench_spaces.py [--albums-per-tag 100] [--planted 5000] [--repeats 3]

Two corpora: the demo catalogue's painted covers (colorgram palettes extracted from 300 px JPEGs, tags = genres)
and a planted-topic corpus (tag = each palette's dominant planted topic). Each (space, bits) cell is the mean over
`--repeats` random states of `analysis.compare_spaces` (two seeds each, 10 topics).
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from bcanalysis import analysis, palette, topics
from bcanalysis.demo import catalogue, cover_jpeg


def demo_albums(per_tag: int) -> pd.DataFrame:
    """The demo catalogue with palettes extracted from its painted covers, as a corpus would hold them."""
    albums = catalogue(per_tag, 0)
    results = palette.extract_many([cover_jpeg(a, 300) for a in albums], 40, progress=False)
    return pd.DataFrame(
        {
            "url": [a.url for a in albums],
            "found_under": [list(a.listed_under) for a in albums],
            "colorgram": [[tuple(c.rgb) for c in r.colors] for r in results],
            "proportions": [[c.proportion for c in r.colors] for r in results],
        }
    )


def planted_albums(n: int, k: int = 10) -> pd.DataFrame:
    """Planted palettes labelled by their dominant topic."""
    planted = topics.planted_palettes(n, k, alpha=0.1, random_state=5)
    return pd.DataFrame(
        {
            "colorgram": [p[:, :3].astype(int).tolist() for p in planted.palettes],
            "proportions": [p[:, 3].tolist() for p in planted.palettes],
            "tags": [[f"topic {t}"] for t in planted.mixtures.argmax(axis=1)],
        }
    )


def measure(albums: pd.DataFrame, repeats: int) -> pd.DataFrame:
    """compare_spaces averaged over `repeats` random states."""
    runs = [analysis.compare_spaces(albums, n_topics=10, random_state=r) for r in range(repeats)]
    return pd.concat(runs).groupby(["space", "bits"], sort=False).mean().reset_index()


def markdown(table: pd.DataFrame) -> str:
    """A pipe table for benchmarks/README.md (pandas' to_markdown needs tabulate, which we do not depend on)."""

    def cell(v) -> str:
        if isinstance(v, float):
            return f"{v:,.0f}" if v.is_integer() and abs(v) >= 10 else f"{v:.3f}"
        return str(v)

    cells = [[cell(v) for v in row] for row in table.itertuples(index=False)]
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--albums-per-tag", type=int, default=100)
    ap.add_argument("--planted", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    pd.set_option("display.width", 160)
    for name, make in (
        ("demo catalogue (painted covers)", lambda: demo_albums(args.albums_per_tag)),
        ("planted topics", lambda: planted_albums(args.planted)),
    ):
        start = time.perf_counter()
        albums = make()
        table = measure(albums, args.repeats)
        print(
            f"\n## {name}: {len(albums)} albums, mean of {args.repeats} random states "
            f"({time.perf_counter() - start:.0f} s)\n"
        )
        print(markdown(table.drop(columns="fit_seconds")))


if __name__ == "__main__":
    main()
