"""Labels in figures: drawn as written (math text off, so a tag "$x^$" is text, not TeX), and placed where no other
label is (`label_bubbles`, the intertopic map's topic numbers). Used by `bcanalysis.plots`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
from matplotlib.figure import Figure

F = TypeVar("F", bound=Callable[..., Any])


def text_as_text(fig: Figure) -> Figure:
    """Every label of `fig` drawn as written, math text off: a tag "$x^$" or "$$" is text, not TeX that fails to
    parse (or vanishes). Ticks at fixed places (labels we set) are made now, so the ones drawn later are these;
    the numbers of automatic axes (a log axis writes "10^3" in math text) keep it."""
    from matplotlib.text import Text
    from matplotlib.ticker import FixedLocator

    automatic: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ticks = [*axis.get_major_ticks(), *axis.get_minor_ticks()]
            if isinstance(axis.get_major_locator(), FixedLocator):
                continue
            automatic.update(id(t) for tick in ticks for t in (tick.label1, tick.label2))
            automatic.add(id(axis.get_offset_text()))
    for text in fig.findobj(Text):
        if id(text) not in automatic:
            text.set_parse_math(False)
    return fig


def plain_text(draw: F) -> F:
    """Decorate a function returning a Figure so that its labels are drawn as written (`text_as_text`)."""

    @functools.wraps(draw)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = draw(*args, **kwargs)
        return text_as_text(result) if isinstance(result, Figure) else result

    return wrapper  # type: ignore[return-value]


def _overlaps(box: np.ndarray, placed: list[np.ndarray]) -> bool:
    """Whether the box (x0, y0, x1, y1) overlaps any placed box."""
    return any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed)


def _label_spots(cx: float, cy: float, r: float, step: float) -> list[tuple[float, float]]:
    """Where a bubble's label may go, in display units, nearest first: its centre, then rings around it."""
    spots = [(cx, cy)]
    for ring in range(1, 12):
        dist = r + ring * step
        spots += [(cx + dist * np.cos(a), cy + dist * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 16, endpoint=False)]
    return spots


def place_labels(
    centres: Sequence[tuple[float, float]],
    radii: Sequence[float],
    sizes: Sequence[tuple[float, float]],
    order: Sequence[int],
    frame: tuple[float, float, float, float],
) -> dict[int, tuple[float, float]]:
    """Where each bubble's label goes (display units, any axis direction): its centre if free, else the nearest free
    spot around it inside `frame` (x0, y0, x1, y1). `sizes` are the labels' (width, height) with their margin; labels
    are placed in `order` (first placed keep their centres). The intertopic figure and the HTML explorer share it."""
    placed: list[np.ndarray] = []
    out: dict[int, tuple[float, float]] = {}
    x0, y0, x1, y1 = frame
    for i in order:
        (cx, cy), r, (w, h) = centres[i], radii[i], sizes[i]
        spots = _label_spots(cx, cy, r, max(w, h) * 0.8)
        inside = [(x, y) for x, y in spots if x0 + w / 2 <= x <= x1 - w / 2 and y0 + h / 2 <= y <= y1 - h / 2] or spots
        x, y = next(
            (
                (x, y)
                for x, y in inside
                if not _overlaps(np.array([x - w / 2, y - h / 2, x + w / 2, y + h / 2]), placed)
            ),
            inside[-1],
        )
        placed.append(np.array([x - w / 2, y - h / 2, x + w / 2, y + h / 2]))
        out[int(i)] = (float(x), float(y))
    return out


def label_bubbles(
    ax,
    centres: np.ndarray,
    radii: np.ndarray,
    texts: Sequence[str],
    *,
    order: Sequence[int],
    bold: Sequence[bool] = (),
    fontsize: float = 8,
) -> list:
    """Write each bubble's label where no other label is: at its centre if free, else the nearest free spot around
    it (inside the axes), joined to the bubble by a thin line. `centres` and `radii` are in data units; labels are
    placed in the order given (largest bubbles first keep their centres). Returns the Text objects."""
    import matplotlib.patheffects as pe
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = ax.get_figure()
    canvas = fig.canvas if hasattr(fig.canvas, "get_renderer") else FigureCanvasAgg(fig)
    fig.draw_without_rendering()  # settle the layout: placement is measured in display units
    renderer = canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    to_px = ax.transData.transform
    outline = [pe.withStroke(linewidth=2.5, foreground="white")]
    texts_made: dict[int, Any] = {}
    px_centres, px_radii, sizes = [], [], []
    gap = renderer.points_to_pixels(3.0)  # white space kept around every label
    for i in range(len(texts)):
        (cx, cy), (ex, _) = to_px([centres[i], centres[i] + [radii[i], 0]])
        px_centres.append((cx, cy))
        px_radii.append(ex - cx)
        if i not in order:
            sizes.append((0.0, 0.0))
            continue
        weight = "bold" if i < len(bold) and bold[i] else "normal"
        text = ax.text(
            0,
            0,
            texts[i],
            ha="center",
            va="center",
            fontsize=fontsize,
            fontweight=weight,
            path_effects=outline,
            zorder=5,
        )
        text.set_in_layout(False)
        box = text.get_window_extent(renderer)
        sizes.append((box.width + gap, box.height + gap))
        texts_made[i] = text
    spots = place_labels(px_centres, px_radii, sizes, order, (frame.x0, frame.y0, frame.x1, frame.y1))
    made: dict[int, Any] = {}
    for i in order:
        x, y = spots[i]
        text = texts_made[i]
        data_xy = ax.transData.inverted().transform((x, y))
        text.set_position(data_xy)
        if (x, y) != px_centres[i]:
            ax.plot([centres[i][0], data_xy[0]], [centres[i][1], data_xy[1]], color="0.35", lw=0.6, zorder=4)
        made[i] = text
    return [made[i] for i in range(len(texts)) if i in made]
