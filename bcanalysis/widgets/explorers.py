"""The explorers: `interactive` widgets over bit depth, topic count (from a sweep's cache) and topics.

Each `explore_*` function returns an `ipywidgets.interactive` when `live=True` (JupyterLab, Voilà) and an
`OfflineExplorer` when `live=False` (papermill runs, where no kernel will answer a callback): every view its controls
can reach, drawn now, switched in the HTML report by a small inline script. The callback returns a `View`: an image
plus an escaped caption; its render number rides in a `data-render` attribute that tests (and a real browser) wait
on, never in text a reader sees. `w.result` is the latest `View`.
"""

from __future__ import annotations

import inspect
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import count
from typing import Any

import numpy as np

from bcanalysis.defaults import BITS, N_TOPICS
from bcanalysis.palette import colors_and_proportions
from bcanalysis.prepare import topic_grid
from bcanalysis.quantize import ALLOWED_BITS, check_bits, count_colors, quantize
from bcanalysis.widgets.offline import Control, OfflineExplorer
from bcanalysis.widgets.views import (
    View,
    album_rows,
    cover_grid,
    labelled_rows,
    png,
    strips_image,
    table_html,
    topic_grid_pixels,
    topic_grid_view,
    topic_lift_rows,
)


def _timed(draw: Callable[[], View], counter: count) -> View:
    t0 = time.perf_counter()
    view = draw()
    view.ms = (time.perf_counter() - t0) * 1000
    view.render = next(counter)
    return view


def _live(f: Callable[..., View], **controls: Any):
    """`interactive(f, **controls)` whose view is an HTML widget holding the latest `View` (as `w.view`).

    The HTML widget's value is synced widget state, so the first render shows in Voilà and in saved notebooks;
    interactive's own Output area (which needs a connected front end while the cell runs) is kept but hidden.
    """
    from ipywidgets import HTML, interactive

    view = HTML()

    def show(**kwargs: Any) -> View:
        result = f(**kwargs)
        view.value = result._repr_html_()
        return result

    show.__signature__ = inspect.signature(f)  # interactive reads the controls from the signature
    w = interactive(show, **controls)
    w.out.layout.display = "none"
    view.value = w.result._repr_html_() if w.result is not None else ""
    w.children = (*w.children, view)
    w.view = view
    w.add_class("bc-explorer")
    return w


class LRU(OrderedDict):
    """The `size` views drawn last, so going back to one is instant (`get_or` says whether it was there)."""

    def __init__(self, size: int = 256):
        super().__init__()
        self.size = size

    def get_or(self, key: Any, make: Callable[[], Any]) -> tuple[Any, bool]:
        if key in self:
            self.move_to_end(key)
            return self[key], True
        value = self[key] = make()
        if len(self) > self.size:
            self.popitem(last=False)
        return value, False


#: Side of one colour swatch in the before/after strips of the bit-depth explorer, in pixels.
SWATCH_PX = 24


class BitDepthData:
    """Palettes stacked once so each slider move only quantises one array: colours, palette ids, samples (with
    their labels: album titles when given)."""

    def __init__(self, palettes: Sequence[Any], samples: int = 8, labels: Sequence[str] | None = None):
        kept = [(colors_and_proportions(p)[0], i) for i, p in enumerate(palettes) if p is not None and len(p)]
        if not kept:
            raise ValueError("no palettes to explore: extract palettes first (bcanalysis palettes --db …)")
        arrays = [a for a, _ in kept]
        self.colors = np.concatenate(arrays).astype(np.uint8)
        self.n_palettes = len(arrays)
        self.samples = arrays[:samples]
        names = list(labels) if labels is not None else []
        self.labels = [
            _short(names[i]) if i < len(names) else f"palette {n + 1}" for n, (_, i) in enumerate(kept[:samples])
        ]
        self.unique_24 = count_colors(self.colors)

    def view(self, bits: int) -> View:
        """Before/after strips of the sample palettes at `bits` (each pair labelled: the palette as extracted, then
        at `bits`), and the vocabulary size over all palettes."""
        bits = check_bits(bits)
        vocab = count_colors(quantize(self.colors, bits))
        rows: list[np.ndarray] = []
        labels: list[str] = []
        for p, name in zip(self.samples, self.labels, strict=True):
            rows += [p, quantize(p, bits), np.empty((0, 3), np.uint8)]
            labels += [f"{name} · 24-bit", f"at {bits}-bit", ""]
        width = max(len(p) for p in self.samples)
        pixels = labelled_rows(strips_image(rows[:-1], width), labels[:-1], cell=SWATCH_PX)
        caption = (
            f"{bits}-bit: {vocab:,} distinct colours in {self.n_palettes:,} palettes "
            f"({self.unique_24:,} at 24-bit); each sample palette as extracted (24-bit), then at {bits}-bit"
        )
        return View(png(pixels), caption, info={"bits": bits, "vocabulary": vocab})


def _short(text: Any, most: int = 32) -> str:
    """A row label: the text on one line, cut to `most` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= most else line[: most - 1] + "…"


def explore_bit_depth(
    palettes: Sequence[Any],
    *,
    bits: int = BITS,
    samples: int = 8,
    labels: Sequence[str] | None = None,
    live: bool = True,
):
    """A bit-depth slider (3..24, step 3) over `palettes`: sample strips before/after and vocabulary size.

    `labels` name the palettes (e.g. album titles) on the sample rows. `live=False` returns an `OfflineExplorer`
    with the view of every depth (for papermill runs), `bits` shown first.
    """
    data = BitDepthData(palettes, samples, labels)
    renders = count(1)

    def show(bits: int = check_bits(bits)) -> View:
        return _timed(lambda: data.view(bits), renders)

    if not live:
        depths = list(ALLOWED_BITS)
        control = Control("bit-depth", "bits", depths, check_bits(bits), labels=[f"{b}-bit" for b in depths])
        return OfflineExplorer("bit-depth", [control], {(b,): data.view(b) for b in depths})
    from ipywidgets import IntSlider

    slider = IntSlider(
        value=bits, min=min(ALLOWED_BITS), max=max(ALLOWED_BITS), step=3, description="bits", continuous_update=False
    )
    return _live(show, bits=slider)


def _grid(sweep: Any) -> dict[int, list[int]]:
    """bits → sorted topic counts the sweep fitted."""
    table = sweep.table
    return {int(b): sorted({int(n) for n in g["n_topics"]}) for b, g in table.groupby("bits")}


def _nearest(values: Sequence[int], want: int) -> int:
    return min(values, key=lambda v: (abs(v - want), v))


class TopicCountViews:
    """Topic grids of a sweep's models, drawn once each and kept (LRU); models come from the sweep's cache only.

    With `palettes`, each row also shows the topic's share of those palettes (`topics.topic_shares`).
    """

    def __init__(self, sweep: Any, *, palettes: Sequence[Any] | None = None, cache_size: int = 256):
        self.sweep = sweep
        self.palettes = palettes
        self.grid = _grid(sweep)
        if not self.grid:
            raise ValueError("the sweep holds no models")
        self._views = LRU(cache_size)

    def _draw(self, bits: int, n_topics: int) -> View:
        from bcanalysis.topics import topic_shares

        model = self.sweep.model(bits, n_topics)
        shares = topic_shares(model, self.palettes) if self.palettes is not None else None
        return topic_grid_view(topic_grid(model, shares=shares))

    def view(self, bits: int, n_topics: int) -> View:
        """The grid of the (bits, n_topics) model; `cached` tells whether it was drawn before."""
        if bits not in self.grid or n_topics not in self.grid[bits]:
            raise ValueError(f"the sweep has no model for bits={bits}, n_topics={n_topics}")
        view, hit = self._views.get_or((bits, n_topics), lambda: self._draw(bits, n_topics))
        return replace(view, cached=hit, info=dict(view.info))

    def offline(self, bits: int, n_topics: int) -> OfflineExplorer:
        """Every grid of the sweep behind a topic-count slider and a depth selector, (bits, n_topics) shown first."""
        counts = sorted({n for ns in self.grid.values() for n in ns})
        depths = list(self.grid)
        controls = [
            Control("topic-count", "topics", counts, n_topics),
            Control("depth", "depth", depths, bits, kind="select", labels=[f"{b}-bit" for b in depths]),
        ]
        views = {(n, b): self.view(b, n) for b in depths for n in self.grid[b]}
        return OfflineExplorer("topic-count", controls, views)


def explore_topic_counts(
    sweep: Any, *, bits: int = BITS, n_topics: int = N_TOPICS, palettes: Sequence[Any] | None = None, live: bool = True
):
    """A topic-count slider with a bit-depth selector over a sweep: each move shows that model's topic grid, each
    row labelled with the topic's number and colour names (and, given `palettes`, its share of them).

    Models come from the sweep (its memory or cache folder), never refitted here; drawn grids are kept, so moving
    back is instant. `live=False` returns an `OfflineExplorer` holding the grid of every (depth, count) of the sweep,
    (bits, n_topics) shown first, nearest available values.
    """
    views = TopicCountViews(sweep, palettes=palettes)
    bits = bits if bits in views.grid else _nearest(list(views.grid), bits)
    n_topics = _nearest(views.grid[bits], n_topics)
    renders = count(1)

    def show(n_topics: int = n_topics, bits: int = bits) -> View:  # the slider first: w.children[0]
        n_topics = _nearest(views.grid[bits], n_topics)
        return _timed(lambda: views.view(bits, n_topics), renders)

    if not live:
        return views.offline(bits, n_topics)
    from ipywidgets import Dropdown, SelectionSlider

    depth = Dropdown(options=[(f"{b}-bit", b) for b in views.grid], value=bits, description="depth")
    slider = SelectionSlider(options=views.grid[bits], value=n_topics, description="topics", continuous_update=True)
    depth.observe(lambda change: _follow_depth(slider, views.grid[change.new]), "value")
    w = _live(show, n_topics=slider, bits=depth)
    w.views = views
    return w


def _follow_depth(slider: Any, options: list[int]) -> None:
    """Offer the topic counts fitted at the newly chosen depth (usually the same grid: then nothing changes)."""
    if list(slider.options) != options:
        value = _nearest(options, slider.value)
        slider.options = options
        slider.value = value


def grids_by_depth(sweep: Any, *, n_topics: int = N_TOPICS) -> View:
    """The `n_topics` model of every depth in the sweep, stacked (a white row between depths), each row labelled
    "depth · number: colour names"."""
    grid = _grid(sweep)
    width = max(15, max(max(v) for v in grid.values()))
    parts, labels, captions = [], [], []
    for b, ns in grid.items():
        model = sweep.model(b, _nearest(ns, n_topics))
        parts += [topic_grid_pixels(topic_grid(model, width), width), np.full((1, width, 3), 255, np.uint8)]
        labels += [f"{b}-bit · {k}: {model.topic_label(k)}" for k in range(model.n_topics)] + [""]
        captions.append(f"{b}-bit ({model.n_topics} topics)")
    pixels = labelled_rows(np.concatenate(parts[:-1]), labels[:-1], cell=16)
    return View(png(pixels), "top to bottom: " + ", ".join(captions) + "; colours in HLS order")


class TopicViews:
    """Everything the topic explorer shows for topic k: palette, tag lift rows, exemplar covers (drawn once each)."""

    def __init__(self, model: Any, albums: Any, corpus: Any, lift: Any = None, n_covers: int = 6):
        from bcanalysis import analysis

        self.model, self.albums, self.corpus, self.n_covers = model, albums, corpus, n_covers
        self.lift = analysis.tag_topic_table(model, albums) if lift is None else lift
        self.weights = analysis.topic_weights(model, albums)  # once: every topic's exemplars read them
        self.grid = topic_grid(model)  # once: each topic's palette is its row of the report's topic grid
        self._views = LRU(model.n_topics + 1)

    def _draw(self, k: int) -> View:
        from bcanalysis import analysis

        palette = strips_image([self.grid.colors[k]])
        covers = album_rows(
            self.albums, analysis.exemplars(self.model, self.albums, k, self.n_covers, weights=self.weights)
        )
        grid = cover_grid(self.corpus, covers, px=110, columns=self.n_covers)
        rows, header = topic_lift_rows(self.lift, k)
        extra = (
            f"<h4>Genres that wear topic {k}</h4>"
            + table_html(rows[:12], header)
            + f'<h4>Covers loading most on it</h4><img alt="exemplar covers" src="{grid.src}"/>'
            + grid.html_extra
        )
        return View(
            png(palette, (40, 28)), f"topic {k}: {self.model.topic_label(k)}", html_extra=extra, info={"topic": k}
        )

    def view(self, k: int) -> View:
        """Topic `k`'s view; `cached` tells whether it was drawn before."""
        view, hit = self._views.get_or(k, lambda: self._draw(k))
        return replace(view, cached=hit, info=dict(view.info))


def explore_topics(model: Any, albums: Any, corpus: Any, *, lift: Any = None, topic: int = 0, live: bool = True):
    """Pick a topic: its palette, the tags with the highest lift for it, and the covers that load most on it."""
    return topic_picker(TopicViews(model, albums, corpus, lift), model, topic=topic, live=live)


def topic_picker(views: Any, model: Any, *, topic: int = 0, live: bool = True):
    """A topic dropdown over `views.view(k)` (timed, cached by `views`); not live, an `OfflineExplorer` holding every
    topic's view, `topic` shown first."""
    renders = count(1)

    def show(topic: int = topic) -> View:
        return _timed(lambda: views.view(topic), renders)

    if not live:
        ks = list(range(model.n_topics))
        control = Control(
            "topic",
            "topic",
            ks,
            topic,
            kind="select",
            labels=[f"{k}: {label}" for k, label in zip(ks, model.topic_labels(), strict=True)],
        )
        return OfflineExplorer("topic", [control], {(k,): views.view(k) for k in ks})
    from ipywidgets import Dropdown

    options = [(f"{k}: {label}", k) for k, label in enumerate(model.topic_labels())]
    w = _live(show, topic=Dropdown(options=options, value=topic, description="topic"))
    w.views = views
    return w
