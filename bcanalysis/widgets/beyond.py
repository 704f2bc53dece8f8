"""Beyond the analysis: the live intertopic map, a topic ringed on it above the topic explorer's panel.

    from bcanalysis import widgets
    widgets.explore_intertopic(model, albums, corpus)          # pick a topic: the map with it ringed + its panel

The topic panel (palette, tag lift, exemplar covers) is the topic explorer's own view (`TopicViews`), not a copy.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from bcanalysis.prepare import IntertopicMap, intertopic_map
from bcanalysis.widgets.explorers import LRU, TopicViews, topic_picker
from bcanalysis.widgets.views import View, png

MAP_DPI = 64  # the explorer's map: the report figure at 64 dpi (576 × 512 px)


def _map_pixels(the_map: IntertopicMap) -> tuple[np.ndarray, dict[int, tuple[float, float, float]]]:
    """`plots.intertopic_map` drawn once as RGB pixels, and each topic's bubble (centre x, y and radius, in pixels)
    from the map's own data (`x`, `y`, `radius`) through the axes' transform."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from bcanalysis import plots

    fig = plots.intertopic_map(the_map)
    fig.set_dpi(MAP_DPI)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[..., :3].copy()
    ax, height = fig.axes[0], pixels.shape[0]
    bubbles = {}
    for k, x, y, r in zip(the_map.topics, the_map.x, the_map.y, the_map.radius, strict=True):
        (cx, cy), (ex, _) = ax.transData.transform([(x, y), (x + r, y)])
        bubbles[int(k)] = (float(cx), float(height - cy), float(ex - cx))
    return pixels, bubbles


class IntertopicViews:
    """The intertopic map with topic k ringed, above the topic explorer's panel for k (each drawn once).

    The map (`prepare.intertopic_map`, or the one given as `prepared`) is drawn once with matplotlib; a selection
    only rings its bubble on a copy of the pixels (milliseconds), so picking a topic costs what the topic explorer's
    panel costs.
    """

    def __init__(
        self,
        model: Any,
        albums: Any,
        corpus: Any,
        lift: Any = None,
        n_covers: int = 6,
        prepared: IntertopicMap | None = None,
    ):
        self.model = model
        self.map = intertopic_map(model, albums) if prepared is None else prepared
        self.topics = TopicViews(model, albums, corpus, lift, n_covers)
        self.pixels, self.bubbles = _map_pixels(self.map)
        self._views = LRU(model.n_topics + 1)

    def map_png(self, k: int) -> bytes:
        """The map as PNG with topic `k`'s bubble ringed in black."""
        from PIL import Image, ImageDraw

        image = Image.fromarray(self.pixels)
        cx, cy, r = self.bubbles[k]
        r += 3
        ImageDraw.Draw(image).ellipse((cx - r, cy - r, cx + r, cy + r), outline=(0, 0, 0), width=3)
        return png(np.asarray(image))

    def _draw(self, k: int) -> View:
        panel = self.topics.view(k)
        i = int(np.flatnonzero(self.map.topics == k)[0])
        caption = (
            f"topic {k}: {self.model.topic_label(k)} · prevalence {self.map.prevalence[i]:.1%} · "
            f"map position ({self.map.x[i]:.3f}, {self.map.y[i]:.3f})"
        )
        panel = View(panel.png, panel.caption, html_extra=panel.html_extra)  # no render marker of its own
        extra = f'<div class="bc-topic-panel">{panel._repr_html_()}</div>'
        return View(self.map_png(k), caption, html_extra=extra, info={"topic": k})

    def view(self, k: int) -> View:
        """Topic `k`'s map and panel; `cached` tells whether it was drawn before."""
        if k not in self.map.topics:
            raise ValueError(f"topic must be one of 0..{self.model.n_topics - 1}, got {k!r}")
        view, hit = self._views.get_or(int(k), lambda: self._draw(int(k)))
        return replace(view, cached=hit, info=dict(view.info))


def explore_intertopic(
    model: Any,
    albums: Any,
    corpus: Any,
    *,
    lift: Any = None,
    topic: int = 0,
    prepared: IntertopicMap | None = None,
    live: bool = True,
):
    """Pick a topic from a dropdown: the intertopic map with that topic ringed in black, then its palette, the tags
    with the highest lift for it and the covers loading most on it (the topic explorer's panel).

    `prepared` is the map's data (`prepare.intertopic_map`, as the report's figure drew it; made here if None).
    Returns an `ipywidgets.interactive` (`w.result` the latest `View`), or with `live=False` an `OfflineExplorer`
    holding every topic's view, `topic` shown first (for papermill runs). Drawn views are kept, so going back to a
    topic is instant.
    """
    views = IntertopicViews(model, albums, corpus, lift, prepared=prepared)
    return topic_picker(views, model, topic=topic, live=live)
