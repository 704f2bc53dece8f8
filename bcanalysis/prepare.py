"""Prepare, then render: each view computed once as plain data, then drawn as a Figure or as a View.

As pyLDAvis does (`prepare` → `display`): a function here turns a model, albums or an analysis table into a small
frozen dataclass of numpy arrays, strings and DataFrames (no matplotlib, no ipywidgets, no HTML), and a renderer
draws it: `bcanalysis.plots` as a matplotlib Figure for the reports, `bcanalysis.widgets` as a View (PNG + escaped
HTML, milliseconds) for the explorers. Both renderers read the same arrays, so a figure and an explorer of one
model cannot disagree on a colour, a width or a position.

    from bcanalysis import prepare, plots, widgets
    grid = prepare.topic_grid(model)                    # each topic's top colours (HLS order), weights, names
    plots.topic_grid(grid)                              # the report's Figure (widgets.views.topic_grid_view: a View)
    strips = prepare.palette_strips(albums.head(12))    # each palette's colours and their shares of the cover
    plots.palette_strips(strips), widgets.palette_view(strips)
    the_map = prepare.intertopic_map(model, albums)     # positions, prevalence, pies and pyLDAvis relevance terms
    plots.intertopic_map(the_map), widgets.explore_intertopic(model, albums, corpus, prepared=the_map)

Layer: between `analysis` (whose tables it reads) and `plots` / `widgets` (which draw what it returns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bcanalysis.colorspace import pack_rgb, unpack_rgb
from bcanalysis.palette import colors_and_proportions

__all__ = [
    "IntertopicMap",
    "PaletteStrips",
    "TopicGrid",
    "intertopic_map",
    "palette_strips",
    "relevance_terms",
    "strip_row",
    "topic_grid",
]

# --- topic grids ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicGrid:
    """One row per topic: its top colours (n × 3 uint8, HLS order or heaviest first) and their weights in the topic."""

    topics: np.ndarray  # (R,) topic numbers, top row first
    names: list[str]  # each row's colour names, "dark teal · mustard · off white"
    colors: list[np.ndarray]  # each row's colours (fewer than n_colors when the vocabulary is smaller)
    weights: list[np.ndarray]  # each colour's weight in its topic, matching `colors`
    n_colors: int
    order: str  # "hls" or "weight"
    bits: int
    n_topics: int
    shares: np.ndarray | None = None  # each row's topic share of the corpus, when palettes were given

    def labels(self, names: bool = True) -> list[str]:
        """Each row's label as the report writes it: "number: colour names" (or the number alone)."""
        return [f"{k}: {name}" if names else str(k) for k, name in zip(self.topics, self.names, strict=True)]


def topic_grid(
    model: Any,
    n_colors: int | None = None,
    *,
    order: str = "hls",
    topics: Sequence[int] | None = None,
    shares: Sequence[float] | None = None,
) -> TopicGrid:
    """The analysis's topic image as data: for each topic (all, or `topics`), its top max(15, K) colours sorted by
    HLS (or by weight) with their weights; `shares` (one per topic, e.g. `topics.topic_shares`) rides along."""
    n = n_colors or max(15, model.n_topics)
    ks = np.arange(model.n_topics) if topics is None else np.asarray(list(topics), dtype=int)
    colors = [model.top_colors(int(k), n, order=order) for k in ks]
    weights = [model.components_[k, _column_of(model, c)] for k, c in zip(ks, colors, strict=True)]
    names = model.topic_labels()
    kept = None if shares is None else np.asarray(shares, dtype=np.float64)[ks]
    return TopicGrid(ks, [names[k] for k in ks], colors, weights, n, order, int(model.bits), int(model.n_topics), kept)


def _column_of(model: Any, colors: np.ndarray) -> np.ndarray:
    """The columns of `model` holding `colors` (its colours are in code order, so a binary search finds them)."""
    return np.searchsorted(pack_rgb(model.colors_), pack_rgb(colors))


# --- palette strips ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaletteStrips:
    """One strip per palette: its colours and each colour's width (its share of the cover, or equal widths), and a
    label per row (None when the palettes came without names)."""

    colors: list[np.ndarray]  # each palette's colours, N × 3 uint8
    shares: list[np.ndarray]  # each colour's width; a row's widths sum to 1
    labels: list[str] | None = None

    def pixels(self, width: int = 240) -> np.ndarray:
        """The strips as an image array (rows × `width` × 3 uint8), one pixel row per palette: each colour as many
        pixels wide as its share (a white row for a palette without colours)."""
        return np.stack([strip_row(c, s, width) for c, s in zip(self.colors, self.shares, strict=True)])


def strip_row(colors: np.ndarray, shares: np.ndarray, width: int) -> np.ndarray:
    """One palette as `width` RGB pixels (width × 3 uint8), each colour as wide as its share; white without colours."""
    if not len(colors):
        return np.full((width, 3), 255, np.uint8)
    cuts = np.round(np.cumsum(shares) * width).astype(int)
    return np.repeat(np.asarray(colors, np.uint8), np.diff(np.concatenate([[0], cuts])), axis=0)[:width]


def palette_strips(
    palettes: Sequence[Any] | pd.DataFrame, labels: Sequence[str] | None = None, *, proportional: bool = True
) -> PaletteStrips:
    """Palettes as strips: each colour as wide as its share of the cover when proportions are known (and
    `proportional`), else equal widths. `palettes` is a list of palettes or an albums DataFrame (its albums with a
    palette, labelled "artist — title")."""
    if isinstance(palettes, pd.DataFrame):
        from bcanalysis.album_table import album_palettes

        index, pals = album_palettes(palettes)
        if labels is None and {"artist", "title"} <= set(palettes):
            labels = [
                f"{a} — {t}" for a, t in zip(palettes.loc[index, "artist"], palettes.loc[index, "title"], strict=True)
            ]
        palettes = pals
    colors, shares = [], []
    for pal in palettes:
        rgb, props = colors_and_proportions(pal) if pal is not None else (np.zeros((0, 3), np.uint8), None)
        use = proportional and props is not None and props.sum() > 0
        colors.append(np.asarray(rgb, np.uint8))
        shares.append(props / props.sum() if use else np.full(len(rgb), 1 / max(len(rgb), 1)))
    return PaletteStrips(colors, shares, None if labels is None else [str(x) for x in labels][: len(colors)])


# --- the intertopic map --------------------------------------------------------------------------------------------

#: Relevance terms kept per topic for each λ of `RELEVANCE_GRID` (pyLDAvis's R = 30).
N_TERMS = 30
#: The λ values whose top colours are kept as a topic's relevance terms (pyLDAvis's slider steps 0.01).
RELEVANCE_GRID = np.linspace(0.0, 1.0, 101)


@dataclass(frozen=True)
class IntertopicMap:
    """pyLDAvis's prepared data for colour topics: where each topic sits, how much of the corpus it holds, its pie
    (top colours by weight), and its relevance terms.

    `table` is `analysis.intertopic_map`'s table (one row per topic: x, y, prevalence, radius, label, colours as
    hex words, weights); `colors` / `weights` are its pies as arrays. The relevance terms, one entry per (topic,
    colour) in long form as pyLDAvis's `topic_info`, hold every colour that is among a topic's `N_TERMS` most
    relevant for some λ in 0..1: `term_topic`, `term_colors` (M × 3 uint8), `term_p` = p(colour | topic) and
    `term_lift` = p(colour | topic) / p(colour), p(colour) the prevalence-weighted mean over topics.
    relevance(λ) = λ·log p + (1 − λ)·log lift (Sievert & Shirley 2014). A map from a hand-made table (no model)
    has no terms.
    """

    table: pd.DataFrame
    colors: list[np.ndarray]  # each topic's pie: its top colours (n × 3 uint8), heaviest first
    weights: list[np.ndarray]  # their weights in the topic
    term_topic: np.ndarray  # (M,)
    term_colors: np.ndarray  # (M, 3) uint8
    term_p: np.ndarray  # (M,) p(colour | topic)
    term_lift: np.ndarray  # (M,) p(colour | topic) / p(colour)

    @property
    def topics(self) -> np.ndarray:
        return self.table.index.to_numpy()

    @property
    def x(self) -> np.ndarray:
        return self.table["x"].to_numpy(dtype=np.float64)

    @property
    def y(self) -> np.ndarray:
        return self.table["y"].to_numpy(dtype=np.float64)

    @property
    def prevalence(self) -> np.ndarray:
        """Each topic's share of the corpus (mean album weight; uniform without albums)."""
        return self.table["prevalence"].to_numpy(dtype=np.float64)

    @property
    def radius(self) -> np.ndarray:
        return self.table["radius"].to_numpy(dtype=np.float64)

    @property
    def labels(self) -> list[str]:
        return [str(x) for x in self.table["label"]]

    def relevance(self, lam: float) -> np.ndarray:
        """Every term's relevance at λ = `lam` (1: rank by p(colour | topic); 0: by lift)."""
        if not 0.0 <= lam <= 1.0:
            raise ValueError(f"lambda must be in 0..1, got {lam!r}")
        return lam * np.log(self.term_p) + (1 - lam) * np.log(self.term_lift)

    def top_terms(self, k: int, lam: float = 1.0, n: int = 10) -> np.ndarray:
        """Indices into the term arrays of topic `k`'s `n` most relevant colours at λ = `lam`, most relevant first."""
        mine = np.flatnonzero(self.term_topic == k)
        return mine[np.argsort(-self.relevance(lam)[mine], kind="stable")[:n]]


MAP_COLUMNS = ("x", "y", "prevalence", "radius", "label", "colors", "weights")


def intertopic_map(
    model: Any,
    albums: pd.DataFrame | None = None,
    *,
    table: pd.DataFrame | None = None,
    n_colors: int = 5,
    n_terms: int = N_TERMS,
) -> IntertopicMap:
    """The intertopic map's data: `analysis.intertopic_map(model, albums)` (or a given `table`), its pies as arrays,
    and each topic's relevance terms from the model (`model=None` with a hand-made `table`: no terms)."""
    if table is None:
        from bcanalysis import analysis

        table = analysis.intertopic_map(model, albums, n_colors=n_colors)
    missing = [c for c in MAP_COLUMNS if c not in table]
    if missing or table.empty:
        raise ValueError(f"not an intertopic_map table: {f'missing columns {missing}' if missing else 'no topics'}")
    colors = [unpack_rgb([int(word, 16) for word in words]).reshape(-1, 3) for words in table["colors"]]
    weights = [np.asarray(w, dtype=np.float64) for w in table["weights"]]
    terms = (
        relevance_terms(model.components_, model.colors_, table["prevalence"].to_numpy(), n_terms)
        if model is not None
        else (np.zeros(0, int), np.zeros((0, 3), np.uint8), np.zeros(0), np.zeros(0))
    )
    return IntertopicMap(table, colors, weights, *terms)


def relevance_terms(
    components: np.ndarray, colors: np.ndarray, prevalence: np.ndarray, n_terms: int = N_TERMS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(topic, colour, p(colour | topic), lift) of every colour among a topic's `n_terms` most relevant at some λ of
    `RELEVANCE_GRID`, topic by topic, columns in vocabulary order within a topic."""
    p = np.asarray(components, dtype=np.float64)
    p = p / p.sum(axis=1, keepdims=True)
    overall = np.asarray(prevalence, dtype=np.float64) @ p / np.sum(prevalence)
    worn = p > 0  # a colour a topic never wears is never among its terms
    logp = np.log(np.where(worn, p, 1.0))
    loglift = logp - np.log(np.where(overall > 0, overall, 1.0))
    keep = np.zeros(p.shape, dtype=bool)
    rows = np.arange(len(p))[:, None]
    n = min(n_terms, p.shape[1])
    for lam in RELEVANCE_GRID:
        rel = np.where(worn, lam * logp + (1 - lam) * loglift, -np.inf)
        keep[rows, np.argpartition(-rel, n - 1, axis=1)[:, :n]] = True
    keep &= worn
    topic, column = np.nonzero(keep)
    return topic, np.asarray(colors, np.uint8)[column], p[topic, column], p[topic, column] / overall[column]
