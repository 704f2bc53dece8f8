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


#: Weight of a colour name's probability in a topic against its lift over all topics when ranking a topic's names
#: (pyLDAvis's relevance λ). Lower than pyLDAvis's 0.6 for words: the colours of photographs are mostly greys that
#: every topic wears, and at 0.6 they still name most topics.
RELEVANCE_WEIGHT = 0.3
#: A name must hold at least this share of a topic's weight to name it (a speck of lime does not name a grey topic).
MIN_NAME_SHARE = 0.01


def name_relevance(components: Any, colors: Any, weight: float = RELEVANCE_WEIGHT) -> tuple[list[str], np.ndarray]:
    """The XKCD names of a topic model's colours and each topic's relevance for each name (K × names).

    A topic's share of a name is the sum of its weights on the colours of that name; relevance is
    `weight · log p(name | topic) + (1 − weight) · log(p(name | topic) / p(name))`, p(name) the mean over topics,
    so a grey every topic wears ranks below a colour this topic wears more than the others. Names holding less
    than `MIN_NAME_SHARE` of the topic (while some name holds more) get −inf, as do names it never wears.
    """
    comp = np.asarray(components, dtype=np.float64)
    comp = comp / comp.sum(axis=1, keepdims=True)
    names, column = np.unique(color_names(colors), return_inverse=True)
    share = np.zeros((len(comp), len(names)))
    np.add.at(share.T, column, comp.T)
    overall = share.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.log(share)
        relevance = weight * logp + (1 - weight) * (logp - np.log(overall))
    floor = np.minimum(MIN_NAME_SHARE, share.max(axis=1, keepdims=True))
    relevance[(share <= 0) | (share < floor)] = -np.inf
    return list(names), relevance


def topic_names(components: Any, colors: Any, n: int = 3, weight: float = RELEVANCE_WEIGHT) -> list[list[str]]:
    """Each topic's `n` most relevant colour names (`name_relevance`), most relevant first: the colours that set a
    topic apart, rather than the greys every topic of a photograph corpus shares."""
    names, relevance = name_relevance(components, colors, weight)
    order = np.argsort(-relevance, axis=1, kind="stable")[:, :n]
    return [[names[j] for j in row if np.isfinite(relevance[k, j])] for k, row in enumerate(order)]


def topic_colors(components: Any, colors: Any, weight: float = RELEVANCE_WEIGHT) -> np.ndarray:
    """Each topic's own colour (K × 3 uint8): its heaviest colour among those bearing its most relevant name, so a
    chart painted with it matches the first word of the topic's name."""
    comp = np.asarray(components, dtype=np.float64)
    rgb = np.asarray(colors, dtype=np.uint8).reshape(-1, 3)
    names, relevance = name_relevance(comp, rgb, weight)
    of_colour = np.asarray(color_names(rgb))
    out = np.empty((len(comp), 3), np.uint8)
    for k in range(len(comp)):
        first = names[int(np.argmax(relevance[k]))]
        out[k] = rgb[int(np.argmax(np.where(of_colour == first, comp[k], -np.inf)))]
    return out
