"""Static views: a PNG plus escaped HTML (`View`), and the figures the notebooks and the explorers show.

Everything here is drawn with numpy + Pillow (milliseconds, so the sliders stay fast); scraped text (titles,
artists, tags) only reaches HTML through `html.escape`.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bcanalysis.prepare import PaletteStrips, TopicGrid, topic_grid

BACKGROUND = (255, 255, 255)


@dataclass
class View:
    """What one callback drew: an image (PNG unless `mime` says otherwise), a caption (plain text, escaped when
    shown), extra HTML, and bookkeeping for tests (`render` number, `ms`, `cached`) that a reader never sees."""

    png: bytes
    caption: str
    render: int = 0
    ms: float = 0.0
    cached: bool = False
    html_extra: str = ""  # already-escaped HTML (tables built by `table_html`)
    info: dict[str, Any] = field(default_factory=dict)
    mime: str = "image/png"

    @property
    def src(self) -> str:
        """The image as a data: URI (what an <img> shows; no file, no network)."""
        return f"data:{self.mime};base64," + base64.b64encode(self.png).decode("ascii")

    def _repr_html_(self) -> str:
        # the render number rides in an attribute (a browser test can wait on it); nothing of it is shown
        render = f' data-render="{self.render}"' if self.render else ""
        caption = html.escape(self.caption)
        return (
            f'<div class="bc-view"{render}><div class="bc-caption">{caption}</div>'
            f'<img class="bc-image" alt="{caption}" style="image-rendering: pixelated;" '
            f'src="{self.src}"/>{self.html_extra}</div>'
        )

    def __repr__(self) -> str:
        return f"View({self.caption!r})"


def png(pixels: np.ndarray, scale: int | tuple[int, int] = 1) -> bytes:
    """An H × W × 3 uint8 array as PNG bytes, each pixel scaled up to a (height, width) block."""
    sy, sx = (scale, scale) if isinstance(scale, int) else scale
    arr = np.asarray(pixels, dtype=np.uint8)
    arr = np.repeat(np.repeat(arr, sy, axis=0), sx, axis=1)
    buf = io.BytesIO()
    Image.fromarray(arr, "RGB").save(buf, format="PNG", optimize=False, compress_level=1)
    return buf.getvalue()


def jpeg(pixels: np.ndarray, quality: int = 85) -> bytes:
    """An H × W × 3 uint8 array as JPEG bytes: for cover photographs (a tenth of a PNG's size); palettes stay PNG."""
    buf = io.BytesIO()
    Image.fromarray(np.asarray(pixels, dtype=np.uint8), "RGB").save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def strips_image(rows: Sequence[np.ndarray], width: int | None = None, gap: bool = False) -> np.ndarray:
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


def _thumb(path: Any, px: int) -> np.ndarray:
    if path is None:
        return np.full((px, px, 3), 230, np.uint8)  # no cover: a grey tile
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB").resize((px, px), Image.Resampling.BILINEAR))
    except (OSError, ValueError, TypeError):
        return np.full((px, px, 3), 230, np.uint8)  # a broken cover: a grey tile


def _tile(images: Sequence[np.ndarray], px: int, columns: int, gap: int = 4) -> np.ndarray:
    rows = max(1, -(-len(images) // columns))
    out = np.full((rows * (px + gap), columns * (px + gap), 3), 255, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, columns)
        out[r * (px + gap) : r * (px + gap) + px, c * (px + gap) : c * (px + gap) + px] = im
    return out


def cover_files(corpus: Any, albums: Any) -> list[Any]:
    """The cover file of each album row (None where it has none), from anything with `Corpus.cover_path`."""
    return [corpus.cover_path(f) if isinstance(f, str) else None for f in albums.get("cover_file", [])]


def cover_grid(corpus: Any, albums: Any, *, px: int = 120, columns: int = 6, caption: str = "") -> View:
    """Covers of `albums` (rows of `Corpus.albums()`) as a tiled image, with an escaped table of who is who."""
    paths = cover_files(corpus, albums)
    pixels = _tile([_thumb(p, px) for p in paths], px, min(columns, max(1, len(paths))))
    rows = [(i + 1, r.title, r.artist, ", ".join(r.tags or [])) for i, r in enumerate(albums.itertuples())]
    table = table_html(rows, ["#", "title", "artist", "tags"])
    return View(
        jpeg(pixels),
        caption or f"{len(paths)} covers, left to right, top to bottom",
        html_extra=table,
        mime="image/jpeg",
    )


def palette_view(strips: PaletteStrips, *, width: int = 400, height: int = 22) -> View:
    """`prepare.palette_strips` as a View: each palette a strip, colours as wide as their share of the cover, with
    an escaped legend (drawn in milliseconds from the same strips as the Figure `plots.palette_strips`)."""
    pixels = strips_image(list(strips.pixels(width)), width, gap=True)[:-1]
    names = strips.labels or [""] * len(strips.colors)
    legend = [(i + 1, name, len(c)) for i, (name, c) in enumerate(zip(names, strips.colors, strict=True))]
    return View(
        png(pixels, (height, 1)),
        "palettes, colours as wide as their share of the cover",
        html_extra=table_html(legend, ["row", "album", "colours"]),
    )


def topic_grid_pixels(grid: TopicGrid, width: int | None = None) -> np.ndarray:
    """A `prepare.topic_grid` as pixels: one row per topic, one pixel per colour, padded with white to `width`
    (default: the grid's number of colours)."""
    return strips_image(grid.colors, width or grid.n_colors)


@lru_cache(maxsize=8)
def _font(size: int) -> Any:
    """DejaVu Sans (shipped with matplotlib, so the labels look like the report's figures); Pillow's own otherwise."""
    from PIL import ImageFont

    try:
        import matplotlib

        return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"), size)
    except (ImportError, OSError):
        return ImageFont.load_default()


def labelled_rows(
    pixels: np.ndarray, labels: Sequence[str], right: Sequence[str] = (), *, cell: int = 18
) -> np.ndarray:
    """Colour rows (one pixel per colour) scaled to `cell`-pixel squares, each with its label written on the left
    and, if given, a right-aligned note (a share) between the label and the colours."""
    from PIL import Image, ImageDraw

    font = _font(max(9, round(cell * 0.62)))
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    width = max((measure.textlength(t, font=font) for t in labels), default=0)
    note = max((measure.textlength(t, font=font) for t in right), default=0)
    left, gap = int(width) + 8, int(note) + (12 if right else 0)
    grid = np.repeat(np.repeat(np.asarray(pixels, np.uint8), cell, axis=0), cell, axis=1)
    image = Image.new("RGB", (left + gap + grid.shape[1], grid.shape[0]), BACKGROUND)
    image.paste(Image.fromarray(grid, "RGB"), (left + gap, 0))
    draw = ImageDraw.Draw(image)
    for i, text in enumerate(labels):
        y = i * cell + cell / 2
        draw.text((2, y), text, fill=(34, 34, 34), font=font, anchor="lm")
        if i < len(right):
            draw.text((left + gap - 8, y), right[i], fill=(85, 85, 85), font=font, anchor="rm")
    return np.asarray(image)


def topic_grid_view(grid: TopicGrid, *, cell: int = 18) -> View:
    """A `prepare.topic_grid` as a View, labelled like the report's figure: each row "number: colour names", the
    topic's share of the corpus (when the grid carries shares), then its top colours."""
    right = [f"{s:.1%}" for s in grid.shares] if grid.shares is not None else []
    pixels = labelled_rows(topic_grid_pixels(grid), grid.labels(), right, cell=cell)
    what = "topic number: colour names" + (", share of the corpus" if right else "")
    order = "by weight" if grid.order == "weight" else "in HLS order"
    caption = f"{grid.bits}-bit, {grid.n_topics} topics: one row per topic ({what}), top colours {order}"
    return View(png(pixels), caption, info={"bits": grid.bits, "n_topics": grid.n_topics})


def album_rows(albums: Any, chosen: Any) -> Any:
    """Rows of `albums` for what `analysis.exemplars` returned (a DataFrame of albums, or album ids)."""
    ids = chosen.index if hasattr(chosen, "index") and not isinstance(chosen, (list, np.ndarray)) else chosen
    return albums.loc[[i for i in ids if i in albums.index]]


def exemplar_grid(model: Any, albums: Any, corpus: Any, *, n: int = 6, px: int = 72) -> View:
    """The `n` covers loading most on each topic: one row per topic (numbered from 0), its colours on the left."""
    from bcanalysis import analysis

    weights = analysis.topic_weights(model, albums)
    swatches = topic_grid(model, 6)
    rows = []
    for k in range(model.n_topics):
        covers = album_rows(albums, analysis.exemplars(model, albums, k, n, weights=weights))
        files = cover_files(corpus, covers)
        swatch = np.repeat(np.repeat(strips_image([swatches.colors[k]], 6), px // 2, 0), px // 6, 1)
        strip = np.full((px, px, 3), 255, np.uint8)
        strip[: swatch.shape[0], : swatch.shape[1]] = swatch[:px, :px]
        rows += [strip, *[_thumb(f, px) for f in files], *[_thumb(None, px)] * (n - len(files))]
    pixels = _tile(rows, px, n + 1)
    labels = [(k, model.topic_label(k)) for k in range(model.n_topics)]
    return View(
        jpeg(pixels),
        f"the {n} covers loading most on each topic (rows: topics 0..{model.n_topics - 1})",
        html_extra=table_html(labels, ["topic", "colours"]),
        mime="image/jpeg",
    )


def topic_lift_rows(lift: Any, k: int) -> tuple[list[tuple], list[str]]:
    """(tag, albums, lift, q, significant) rows for topic `k` from `analysis.tag_topic_table`, highest lift first; q as
    `analysis.q_text` words it (on the side of the table's alpha it is judged by)."""
    import pandas as pd

    from bcanalysis.analysis.genres import q_text

    attrs = getattr(lift, "attrs", {})
    alpha, floor = attrs.get("alpha", 0.05), attrs.get("p_floor", 0.0)
    df = lift.reset_index() if isinstance(lift, pd.DataFrame) else pd.DataFrame(lift)
    if "topic" in df.columns:
        df = df[df["topic"] == k]
    if "lift" in df.columns:
        df = df.sort_values("lift", ascending=False)
    at_floor = df["p_value"] <= floor if "p_value" in df.columns else pd.Series(False, index=df.index)
    keep = [c for c in ("tag", "n_albums", "lift", "mean_weight", "q_value", "significant") if c in df.columns]
    df = df[keep or list(df.columns)]
    rows = []
    for (_, row), bound in zip(df.iterrows(), at_floor, strict=True):
        cells = {
            c: (q_text(v, alpha, at_floor=bool(bound)).removeprefix("= ") if c == "q_value" else v)
            for c, v in row.items()
        }
        rows.append(tuple(f"{v:.3g}" if isinstance(v, float) else v for v in cells.values()))
    return rows, [str(c) for c in df.columns]
