"""`bcanalysis demo`: serve the demo catalogue locally, scrape it into a corpus, extract palettes, summarise, and
draw a figure (`plots.palettes_by_group`). `make demo` runs the whole analysis instead: `bcanalysis report`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bcanalysis import plots
from bcanalysis.album_table import has_palette, primary_tags, with_palette
from bcanalysis.bandcamp import DEMO_POLITENESS, Politeness
from bcanalysis.defaults import ALBUMS_PER_TAG, BITS, DEMO_COVER_PX, RANDOM_STATE, TAGS
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
    random_state: int = RANDOM_STATE,
    max_cover_px: int | None = DEMO_COVER_PX,
    politeness: Politeness = DEMO_POLITENESS,
    n_jobs: int | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> DemoResult:
    """Scrape the offline catalogue into `out`/corpus.sqlite (at `politeness`: the demo's fast rates on 127.0.0.1),
    extract palettes, print a summary, save a figure."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = DemoResult(corpus=out / "corpus.sqlite")
    with Corpus(result.corpus) as corpus:
        t = time.monotonic()
        with DemoServer(albums_per_tag, random_state, max_cover_px=max_cover_px) as server:
            log(f"demo server on {server.url}: {len(server.albums)} albums under {len(TAGS)} tags")
            result.scrape = scrape(
                corpus, list(TAGS), albums_per_tag, base_url=server.url, politeness=politeness, progress=progress
            )
        result.seconds["scrape"] = time.monotonic() - t
        log(result.scrape.report())
        t = time.monotonic()
        result.palettes = extract_palettes(corpus, n_jobs=n_jobs, progress=progress)
        result.seconds["palettes"] = time.monotonic() - t
        log(result.palettes.report())
        albums = corpus.albums()
    log(summary_table(albums).to_string())
    result.figures.append(plot_palettes_by_tag(albums, out / "palettes_by_tag.png"))
    log(f"corpus: {result.corpus}   figure: {result.figures[-1]}")
    return result


def summary_table(albums: pd.DataFrame, bits: int = BITS, top: int = 4) -> pd.DataFrame:
    """Per tag: albums, covers ok, palettes, and the most weighted colours at `bits` depth."""
    from bcanalysis.quantize import palette_to_document

    rows = []
    for tag, group in albums.groupby(primary_tags(albums), sort=False):
        weights: Counter = Counter()
        for colors, props in zip(group["colorgram"], group["proportions"], strict=True):
            if has_palette(colors):
                for word, p in zip(palette_to_document(colors, bits).split(), props, strict=True):
                    weights[word] += p
        rows.append(
            {
                "tag": tag,
                "albums": len(group),
                "covers ok": int((group["cover_status"] == "ok").sum()),
                "palettes": int(with_palette(group).sum()),
                f"top {bits}-bit colours": " ".join(f"#{w}" for w, _ in weights.most_common(top)),
            }
        )
    return pd.DataFrame(rows).set_index("tag")


def plot_palettes_by_tag(albums: pd.DataFrame, path: str | Path, per_tag: int = 24) -> Path:
    """Save a grid of palette strips (one panel per tag, one row per album: `plots.palettes_by_group`) as a PNG."""
    path = Path(path)
    plots.palettes_by_group(albums, primary_tags(albums), order=TAGS, per_group=per_tag).savefig(path, dpi=100)
    return path
