"""`make demo`: serve the demo catalogue locally, scrape it into a corpus, extract palettes, summarise, draw a figure.

The steps are separate functions so later work (the topic sweep) can add its own after `extract_palettes`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from bcanalysis.defaults import ALBUMS_PER_TAG, BITS, DEMO_COVER_PX, DEMO_RATE, RANDOM_STATE, TAGS
from bcanalysis.demo.server import DemoServer
from bcanalysis.palette import PaletteSummary, extract_palettes
from bcanalysis.scrape import ScrapeSummary, scrape
from bcanalysis.store import Corpus


@dataclass
class DemoResult:
    """Where the demo wrote its outputs and what each step did."""

    corpus: Path
    figures: list[Path] = field(default_factory=list)
    scrape: ScrapeSummary | None = None
    palettes: PaletteSummary | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def run_demo(
    out: str | Path = "data/demo",
    *,
    albums_per_tag: int = ALBUMS_PER_TAG,
    seed: int = RANDOM_STATE,
    max_cover_px: int | None = DEMO_COVER_PX,
    rate: float = DEMO_RATE,
    workers: int | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> DemoResult:
    """Scrape the offline catalogue into `out`/corpus.sqlite, extract palettes, print a summary, save a figure."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = DemoResult(corpus=out / "corpus.sqlite")
    with Corpus(result.corpus) as corpus:
        t = time.monotonic()
        with DemoServer(albums_per_tag, seed, max_cover_px=max_cover_px) as server:
            log(f"demo server on {server.url}: {len(server.albums)} albums under {len(TAGS)} tags")
            result.scrape = scrape(
                corpus, list(TAGS), albums_per_tag, base_url=server.url, rate=rate, cover_rate=rate, progress=progress
            )
        result.seconds["scrape"] = time.monotonic() - t
        log(result.scrape.report())
        t = time.monotonic()
        result.palettes = extract_palettes(corpus, workers=workers, progress=progress)
        result.seconds["palettes"] = time.monotonic() - t
        log(result.palettes.report())
        albums = corpus.albums()
    log(summary_table(albums).to_string())
    result.figures.append(plot_palettes_by_tag(albums, out / "palettes_by_tag.png"))
    log(f"corpus: {result.corpus}   figure: {result.figures[-1]}")
    return result


def _tag_of(albums: pd.DataFrame) -> pd.Series:
    """Each album's first discover tag (the tag it was scraped under)."""
    return albums["found_under"].map(lambda t: t[0] if t else None)


def summary_table(albums: pd.DataFrame, bits: int = BITS, top: int = 4) -> pd.DataFrame:
    """Per tag: albums, covers ok, palettes, and the most weighted colours at `bits` depth."""
    from bcanalysis.quantize import palette_to_document

    rows = []
    for tag, group in albums.groupby(_tag_of(albums), sort=False):
        weights: Counter = Counter()
        for colors, props in zip(group["colorgram"], group["proportions"], strict=True):
            if colors is not None:
                for word, p in zip(palette_to_document(colors, bits).split(), props, strict=True):
                    weights[word] += p
        rows.append({
            "tag": tag,
            "albums": len(group),
            "covers ok": int((group["cover_status"] == "ok").sum()),
            "palettes": int(group["colorgram"].notna().sum()),
            f"top {bits}-bit colours": " ".join(f"#{w}" for w, _ in weights.most_common(top)),
        })  # fmt: skip
    return pd.DataFrame(rows).set_index("tag")


def palette_strip(colors: list, proportions: list, width: int = 240) -> np.ndarray:
    """A palette as a 1 × width RGB row, each colour as wide as its proportion (colorgram order)."""
    counts = np.maximum(1, np.round(np.asarray(proportions) * width).astype(int))
    row = np.repeat(np.asarray(colors, dtype=np.uint8), counts, axis=0)[:width]
    if len(row) < width:
        row = np.concatenate([row, np.repeat(row[-1:], width - len(row), axis=0)])
    return row[None]


def plot_palettes_by_tag(albums: pd.DataFrame, path: str | Path, per_tag: int = 24) -> Path:
    """Save a grid of palette strips (one panel per tag, one row per album) as a PNG; returns its path."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    have = albums[albums["colorgram"].notna()]
    tags = [t for t in TAGS if t in set(_tag_of(have))] or sorted(set(_tag_of(have)))
    cols = 5
    rows = max(1, -(-len(tags) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 3.2 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, tag in zip(axes.ravel(), tags, strict=False):
        group = have[_tag_of(have) == tag].head(per_tag)
        image = np.concatenate([palette_strip(c, p) for c, p in zip(group["colorgram"], group["proportions"],
                                                                    strict=True)])
        ax.imshow(image, aspect="auto", interpolation="nearest")
        ax.set_title(f"{tag} ({len(group)})", fontsize=10)
    fig.suptitle("colorgram palettes by tag: one row per album, widths = pixel share", fontsize=12)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
