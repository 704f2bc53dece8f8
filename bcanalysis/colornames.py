"""Nearest XKCD colour names (the 949 names of the XKCD colour survey that matplotlib ships), matched in CIELAB.

So a topic reads as "dark teal · mustard · off white" rather than as hex codes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from bcanalysis.colorspace import rgb_to_lab


@lru_cache(maxsize=1)
def xkcd_table() -> tuple[tuple[str, ...], np.ndarray]:
    """(names, N × 3 CIELAB) of matplotlib's XKCD colours, names without the 'xkcd:' prefix."""
    from matplotlib.colors import XKCD_COLORS, to_rgb

    names = tuple(sorted(XKCD_COLORS))
    rgb = np.array([to_rgb(XKCD_COLORS[n]) for n in names]) * 255
    return tuple(n.removeprefix("xkcd:") for n in names), rgb_to_lab(rgb)


def color_names(colors: Any) -> list[str]:
    """The nearest XKCD name (smallest CIE76 ΔE) of each colour in an N × 3 array of 0..255 RGB values."""
    rgb = np.asarray(colors, dtype=np.float64).reshape(-1, 3)
    names, lab = xkcd_table()
    ours = rgb_to_lab(rgb)
    d = ((ours[:, None, :] - lab[None, :, :]) ** 2).sum(axis=-1)
    return [names[i] for i in d.argmin(axis=1)]


def color_name(rgb: Any) -> str:
    """The nearest XKCD name of one (r, g, b) colour, e.g. (2, 147, 134) → 'teal'."""
    return color_names([rgb])[0]
