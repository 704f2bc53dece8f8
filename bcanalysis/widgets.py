"""ipywidgets explorers: a bit-depth slider, a topic-count slider over a cached sweep, and a topic explorer.

Each `explore_*` function returns an `ipywidgets.interactive` when `live=True` (JupyterLab, Voilà) and the static
view for the given values when `live=False` (papermill runs, where no browser will ever run the callback). The
callback returns a `View`: a PNG plus an escaped caption and a `bc-marker` line naming the render number and how
long it took, which tests (and a real browser) wait on. `w.result` is the latest `View`.
"""

from __future__ import annotations

import base64
import html
import inspect
import io
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import numpy as np
from PIL import Image

from bcanalysis.quantize import ALLOWED_BITS, check_bits, palette_arrays, quantize

BACKGROUND = (255, 255, 255)


@dataclass
class View:
    """What one callback drew: a PNG, a caption (plain text, escaped when shown), extra HTML, and timing."""

    png: bytes
    caption: str
    render: int = 0
    ms: float = 0.0
    cached: bool = False
    html_extra: str = ""  # already-escaped HTML (tables built by `table_html`)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def marker(self) -> str:
        """`render N · T ms` (+ ` · cached`): printed under the image so a browser can wait for a new render."""
        return f"render {self.render} · {self.ms:.0f} ms" + (" · cached" if self.cached else "")

    def _repr_html_(self) -> str:
        img = base64.b64encode(self.png).decode("ascii")
        marker = f'<div><code class="bc-marker">{html.escape(self.marker)}</code></div>' if self.render else ""
        return (
            f'<div class="bc-view"><div class="bc-caption">{html.escape(self.caption)}</div>'
            f'<img class="bc-image" alt="{html.escape(self.caption)}" style="image-rendering: pixelated;" '
            f'src="data:image/png;base64,{img}"/>{self.html_extra}{marker}</div>'
        )

    def __repr__(self) -> str:
        return f"View({self.caption!r}, {self.marker})"


# --- drawing --------------------------------------------------------------------------------------------------


def png(pixels: np.ndarray, scale: int | tuple[int, int] = 1) -> bytes:
    """An H × W × 3 uint8 array as PNG bytes, each pixel scaled up to a (height, width) block."""
    sy, sx = (scale, scale) if isinstance(scale, int) else scale
    arr = np.asarray(pixels, dtype=np.uint8)
    arr = np.repeat(np.repeat(arr, sy, axis=0), sx, axis=1)
    buf = io.BytesIO()
    Image.fromarray(arr, "RGB").save(buf, format="PNG", optimize=False, compress_level=1)
    return buf.getvalue()


def strips(rows: Sequence[np.ndarray], width: int | None = None, gap: bool = False) -> np.ndarray:
    """Colour rows (each N × 3) as one image array, one pixel per colour, padded with white to `width`."""
    width = width or max((len(r) for r in rows), default=1) or 1
    out = np.full((len(rows) * (2 if gap else 1), width, 3), BACKGROUND, dtype=np.uint8)
    for i, row in enumerate(rows):
        row = np.asarray(row, dtype=np.uint8).reshape(-1, 3)[:width]
        out[i * (2 if gap else 1), : len(row)] = row
    return out


def table_html(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """A small HTML table with every cell escaped: scraped titles, artists and tags are untrusted."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="bc-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


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


# --- bit depth ------------------------------------------------------------------------------------------------


class BitDepthData:
    """Palettes stacked once so each slider move only quantises one array: colours, palette ids, samples."""

    def __init__(self, palettes: Sequence[Any], samples: int = 8):
        arrays = [palette_arrays(p)[0] for p in palettes if p is not None and len(p)]
        if not arrays:
            raise ValueError("no palettes to explore: extract palettes first (bcanalysis palettes --db …)")
        self.colors = np.concatenate(arrays).astype(np.uint8)
        self.n_palettes = len(arrays)
        self.samples = arrays[:samples]
        self.unique_24 = _n_unique(self.colors)

    def view(self, bits: int) -> View:
        """Before/after strips of the sample palettes at `bits`, and the vocabulary size over all palettes."""
        bits = check_bits(bits)
        vocab = _n_unique(quantize(self.colors, bits))
        rows: list[np.ndarray] = []
        for p in self.samples:
            rows += [p, quantize(p, bits)]
        width = max(len(p) for p in self.samples)
        pixels = strips(rows, width, gap=True)[:-1]
        caption = (
            f"{bits}-bit: {vocab:,} distinct colours in {self.n_palettes:,} palettes "
            f"({self.unique_24:,} at 24-bit); pairs of rows show each sample palette before and after"
        )
        return View(png(pixels, (14, 14)), caption, info={"bits": bits, "vocabulary": vocab})


def _n_unique(rgb: np.ndarray) -> int:
    rgb = np.asarray(rgb, dtype=np.int64).reshape(-1, 3)
    return int(np.unique((rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]).size)


def explore_bit_depth(palettes: Sequence[Any], *, bits: int = 12, samples: int = 8, live: bool = True):
    """A bit-depth slider (3..24, step 3) over `palettes`: sample strips before/after and vocabulary size.

    `live=False` returns the static `View` at `bits` (for papermill runs).
    """
    data = BitDepthData(palettes, samples)
    renders = count(1)

    def show(bits: int = check_bits(bits)) -> View:
        return _timed(lambda: data.view(bits), renders)

    if not live:
        return show(bits)
    from ipywidgets import IntSlider

    slider = IntSlider(value=bits, min=min(ALLOWED_BITS), max=max(ALLOWED_BITS), step=3, description="bits",
                       continuous_update=False)  # fmt: skip
    return _live(show, bits=slider)


# --- small LRU for rendered views -----------------------------------------------------------------------------


class _LRU(OrderedDict):
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


# --- static views the notebooks show --------------------------------------------------------------------------

#: What the analysis reported on its 25,006 palettes (seed digest, step 3): unique colours per depth.
ANALYSIS_UNIQUE = {24: 347_638, 15: 21_859, 12: 3_935}


def vocabulary_table(palettes: Sequence[Any], depths: Sequence[int] = (24, 15, 12, 9)) -> Any:
    """Per depth: distinct colours over all palettes, distinct words per palette (mean), and the analysis's count."""
    import pandas as pd

    arrays = [palette_arrays(p)[0] for p in palettes if p is not None and len(p)]
    if not arrays:
        raise ValueError("no palettes: extract palettes first (bcanalysis palettes --db …)")
    stacked = np.concatenate(arrays).astype(np.uint8)
    ends = np.cumsum([len(a) for a in arrays])[:-1]
    rows = []
    for bits in depths:
        q = quantize(stacked, bits).astype(np.int64)
        codes = (q[:, 0] << 16) | (q[:, 1] << 8) | q[:, 2]
        words = np.mean([np.unique(part).size for part in np.split(codes, ends)])
        rows.append({"bits": bits, "distinct colours": int(np.unique(codes).size), "words per palette": words,
                     "the analysis (25,006 palettes)": ANALYSIS_UNIQUE.get(bits)})  # fmt: skip
    return pd.DataFrame(rows).astype({"the analysis (25,006 palettes)": "Int64"}).set_index("bits")


def _thumb(path: Any, px: int) -> np.ndarray:
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB").resize((px, px), Image.Resampling.BILINEAR))
    except (OSError, ValueError, TypeError):
        return np.full((px, px, 3), 230, np.uint8)  # a missing or broken cover: a grey tile


def _tile(images: Sequence[np.ndarray], px: int, columns: int, gap: int = 4) -> np.ndarray:
    rows = max(1, -(-len(images) // columns))
    out = np.full((rows * (px + gap), columns * (px + gap), 3), 255, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, columns)
        out[r * (px + gap) : r * (px + gap) + px, c * (px + gap) : c * (px + gap) + px] = im
    return out


def cover_grid(corpus: Any, albums: Any, *, px: int = 120, columns: int = 6, caption: str = "") -> View:
    """Covers of `albums` (rows of `Corpus.albums()`) as a tiled image, with an escaped table of who is who."""
    paths = [corpus.cover_path(f) if isinstance(f, str) else None for f in albums.get("cover_file", [])]
    pixels = _tile([_thumb(p, px) for p in paths], px, min(columns, max(1, len(paths))))
    rows = [(i + 1, r.title, r.artist, ", ".join(r.tags or [])) for i, r in enumerate(albums.itertuples())]
    table = table_html(rows, ["#", "title", "artist", "tags"])
    return View(png(pixels), caption or f"{len(paths)} covers, left to right, top to bottom", html_extra=table)


def palette_strips(albums: Any, *, width: int = 400, height: int = 22) -> View:
    """Each album's palette as a strip, colours as wide as their share of the cover, with an escaped legend."""
    rows = []
    for colors, props in zip(albums["colorgram"], albums["proportions"], strict=True):
        rgb = np.asarray(colors or [(255, 255, 255)], np.uint8)
        share = np.asarray(props if props else [1.0] * len(rgb), float)
        cuts = np.round(np.cumsum(share / share.sum()) * width).astype(int)
        rows.append(np.repeat(rgb, np.diff(np.concatenate([[0], cuts])), axis=0)[:width])
    pixels = strips(rows, width, gap=True)[:-1]
    legend = [(i + 1, r.title, r.artist, len(r.colorgram or [])) for i, r in enumerate(albums.itertuples())]
    return View(png(pixels, (height, 1)), "palettes, colours as wide as their share of the cover",
                html_extra=table_html(legend, ["row", "title", "artist", "colours"]))  # fmt: skip


def engine_speed(corpus: Any, albums: Any, number_of_colors: int = 40) -> Any:
    """Seconds per cover for bcanalysis.palette.extract and colorgram.py on the same decoded covers (same output?)."""
    import pandas as pd

    from bcanalysis import palette

    try:
        import colorgram
    except ImportError:
        colorgram = None
    rows = []
    files = list(albums["cover_file"].dropna())
    if files:  # warm up (first-call set-up is not per-cover cost)
        palette.extract(Image.open(corpus.cover_path(files[0])).convert("RGB"), number_of_colors)
    for f in files:
        with Image.open(corpus.cover_path(f)) as im:
            image = im.convert("RGB")
        t0 = time.perf_counter()
        ours = palette.extract(image, number_of_colors)
        t1 = time.perf_counter()
        theirs = colorgram.extract(image, number_of_colors) if colorgram else None
        t2 = time.perf_counter()
        same = None if theirs is None else [c.rgb for c in ours] == [tuple(c.rgb) for c in theirs]
        rows.append({"cover": f, "pixels": image.width * image.height, "bcanalysis s": t1 - t0,
                     "colorgram.py s": (t2 - t1) if theirs else None, "identical": same})  # fmt: skip
    df = pd.DataFrame(rows)
    if colorgram and len(df):
        df["speed-up"] = df["colorgram.py s"] / df["bcanalysis s"]
    return df


# --- topic grids and the topic-count slider -------------------------------------------------------------------


def topic_grid_pixels(model: Any, n_colors: int | None = None) -> np.ndarray:
    """The analysis's figure as pixels: one row per topic, its top max(15, K) colours in HLS order."""
    n = n_colors or max(15, model.n_topics)
    return strips([model.top_colors(k, n, order="hls") for k in range(model.n_topics)], n)


def topic_grid_view(model: Any, *, n_colors: int | None = None, cell: int = 18, labels: bool = True) -> View:
    """A model's topic grid as a `View`, with each topic's colour names in an (escaped) legend."""
    pixels = topic_grid_pixels(model, n_colors)
    legend = ""
    if labels:
        legend = table_html([(k + 1, model.topic_label(k)) for k in range(model.n_topics)], ["topic", "colours"])
    caption = f"{model.bits}-bit, {model.n_topics} topics: one row per topic, top colours in HLS order"
    return View(png(pixels, cell), caption, html_extra=legend, info={"bits": model.bits, "n_topics": model.n_topics})


def _grid(sweep: Any) -> dict[int, list[int]]:
    """bits → sorted topic counts the sweep fitted."""
    table = sweep.table
    return {int(b): sorted({int(n) for n in g["n_topics"]}) for b, g in table.groupby("bits")}


def _nearest(values: Sequence[int], want: int) -> int:
    return min(values, key=lambda v: (abs(v - want), v))


class TopicCountViews:
    """Topic grids of a sweep's models, drawn once each and kept (LRU); models come from the sweep's cache only."""

    def __init__(self, sweep: Any, *, cache_size: int = 256):
        self.sweep = sweep
        self.grid = _grid(sweep)
        if not self.grid:
            raise ValueError("the sweep holds no models")
        self._views = _LRU(cache_size)

    def view(self, bits: int, n_topics: int) -> View:
        """The grid of the (bits, n_topics) model; `cached` tells whether it was drawn before."""
        if bits not in self.grid or n_topics not in self.grid[bits]:
            raise ValueError(f"the sweep has no model for bits={bits}, n_topics={n_topics}")
        view, hit = self._views.get_or((bits, n_topics), lambda: topic_grid_view(self.sweep.model(bits, n_topics)))
        return View(view.png, view.caption, cached=hit, html_extra=view.html_extra, info=dict(view.info))


def explore_topic_counts(sweep: Any, *, bits: int = 12, n_topics: int = 18, live: bool = True):
    """A topic-count slider with a bit-depth selector over a sweep: each move shows that model's topic grid.

    Models come from the sweep (its memory or cache folder), never refitted here; drawn grids are kept, so moving
    back is instant. `live=False` returns the static `View` for (bits, n_topics), nearest available values.
    """
    views = TopicCountViews(sweep)
    bits = bits if bits in views.grid else _nearest(list(views.grid), bits)
    n_topics = _nearest(views.grid[bits], n_topics)
    renders = count(1)

    def show(bits: int = bits, n_topics: int = n_topics) -> View:
        n_topics = _nearest(views.grid[bits], n_topics)
        return _timed(lambda: views.view(bits, n_topics), renders)

    if not live:
        return show(bits, n_topics)
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


def topic_grids(sweep: Any, *, n_topics: int = 18) -> View:
    """The `n_topics` model of every depth in the sweep, stacked (a white row between depths)."""
    grid = _grid(sweep)
    parts, captions = [], []
    for b, ns in grid.items():
        model = sweep.model(b, _nearest(ns, n_topics))
        px = topic_grid_pixels(model, max(15, max(max(v) for v in grid.values())))
        parts += [px, np.full((1, px.shape[1], 3), 255, np.uint8)]
        captions.append(f"{b}-bit ({model.n_topics} topics)")
    pixels = np.concatenate(parts[:-1])
    return View(png(pixels, 16), "top to bottom: " + ", ".join(captions) + "; colours in HLS order")


# --- the final model: topic table, exemplars, the topic explorer -----------------------------------------------


def topic_table(model: Any, palettes: Sequence[Any], n_colors: int = 15) -> Any:
    """One row per topic: its colour names, its share of the corpus, and its top colours as hex words."""
    import pandas as pd

    from bcanalysis.quantize import to_words

    share = model.transform(palettes).mean(axis=0)
    return pd.DataFrame(
        {
            "colours": model.topic_labels(),
            "share of corpus": share,
            "top colours": [" ".join(to_words(model.top_colors(k, n_colors))) for k in range(model.n_topics)],
        },
        index=pd.RangeIndex(1, model.n_topics + 1, name="topic"),
    )


def _album_rows(albums: Any, chosen: Any) -> Any:
    """Rows of `albums` for what `topics.exemplars` returned (a DataFrame of albums, or album ids)."""
    ids = chosen.index if hasattr(chosen, "index") and not isinstance(chosen, (list, np.ndarray)) else chosen
    return albums.loc[[i for i in ids if i in albums.index]]


def exemplar_grid(model: Any, albums: Any, corpus: Any, *, n: int = 6, px: int = 72) -> View:
    """The `n` covers loading most on each topic: one row per topic, its colours on the left."""
    from bcanalysis import topics

    rows = []
    for k in range(model.n_topics):
        covers = _album_rows(albums, topics.exemplars(model, albums, k, n))
        files = [corpus.cover_path(f) if isinstance(f, str) else None for f in covers.get("cover_file", [])]
        swatch = np.repeat(np.repeat(strips([model.top_colors(k, 6, order="hls")], 6), px // 2, 0), px // 6, 1)
        strip = np.full((px, px, 3), 255, np.uint8)
        strip[: swatch.shape[0], : swatch.shape[1]] = swatch[:px, :px]
        rows += [strip, *[_thumb(f, px) for f in files], *[_thumb(None, px)] * (n - len(files))]
    pixels = _tile(rows, px, n + 1)
    labels = [(k + 1, model.topic_label(k)) for k in range(model.n_topics)]
    return View(png(pixels), f"the {n} covers loading most on each topic (rows: topics 1..{model.n_topics})",
                html_extra=table_html(labels, ["row / topic", "colours"]))  # fmt: skip


def _topic_lift(lift: Any, k: int) -> tuple[list[tuple], list[str]]:
    """(tag, lift, p-value…) rows for topic `k` from `topics.tag_topic_table`, highest lift first."""
    import pandas as pd

    df = lift.reset_index() if isinstance(lift, pd.DataFrame) else pd.DataFrame(lift)
    if "topic" in df.columns:
        df = df[df["topic"] == k].drop(columns="topic")
    sort = "lift" if "lift" in df.columns else df.columns[-1]
    df = df.sort_values(sort, ascending=False)
    rows = [tuple(f"{v:.3g}" if isinstance(v, float) else v for v in row) for row in df.itertuples(index=False)]
    return rows, [str(c) for c in df.columns]


class TopicViews:
    """Everything the topic explorer shows for topic k: palette, tag lift rows, exemplar covers (drawn once each)."""

    def __init__(self, model: Any, albums: Any, corpus: Any, lift: Any = None, n_covers: int = 6):
        from bcanalysis import topics

        self.model, self.albums, self.corpus, self.n_covers = model, albums, corpus, n_covers
        self.lift = topics.tag_topic_table(model, albums) if lift is None else lift
        self._views = _LRU(model.n_topics + 1)

    def _draw(self, k: int) -> View:
        from bcanalysis import topics

        palette = strips([self.model.top_colors(k, max(15, self.model.n_topics), order="hls")])
        covers = _album_rows(self.albums, topics.exemplars(self.model, self.albums, k, self.n_covers))
        grid = cover_grid(self.corpus, covers, px=110, columns=self.n_covers)
        rows, header = _topic_lift(self.lift, k)
        extra = (f"<h4>Genres that wear topic {k + 1}</h4>" + table_html(rows[:12], header)
                 + '<h4>Covers loading most on it</h4><img alt="exemplar covers" src="data:image/png;base64,'
                 + base64.b64encode(grid.png).decode("ascii") + '"/>' + grid.html_extra)  # fmt: skip
        return View(png(palette, (40, 28)), f"topic {k + 1}: {self.model.topic_label(k)}", html_extra=extra,
                    info={"topic": k})  # fmt: skip

    def view(self, k: int) -> View:
        """Topic `k`'s view; `cached` tells whether it was drawn before."""
        view, hit = self._views.get_or(k, lambda: self._draw(k))
        return View(view.png, view.caption, cached=hit, html_extra=view.html_extra, info=dict(view.info))


def explore_topics(model: Any, albums: Any, corpus: Any, *, lift: Any = None, topic: int = 0, live: bool = True):
    """Pick a topic: its palette, the tags with the highest lift for it, and the covers that load most on it."""
    views = TopicViews(model, albums, corpus, lift)
    renders = count(1)

    def show(topic: int = topic) -> View:
        return _timed(lambda: views.view(topic), renders)

    if not live:
        return show(topic)
    from ipywidgets import Dropdown

    options = [(f"{k + 1}: {label}", k) for k, label in enumerate(model.topic_labels())]
    w = _live(show, topic=Dropdown(options=options, value=topic, description="topic"))
    w.views = views
    return w
