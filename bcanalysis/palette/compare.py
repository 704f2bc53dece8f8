"""Palettes as arrays, and how far apart two palettes are.

A palette arrives as colour objects, (r, g, b) or (r, g, b, proportion) tuples, or an array; everything downstream
(quantisation, topics, distances) reads it through `colors_and_proportions`.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _color_row(c: Any) -> tuple:
    rgb = getattr(c, "rgb", None)
    if rgb is not None:  # a colorgram (or bcanalysis) colour object
        return (*tuple(rgb), getattr(c, "proportion", np.nan))
    return tuple(c)


def colors_and_proportions(colors: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Any palette as (N × 3 int array, proportions or None).

    Accepts colour objects with `.rgb` and `.proportion`, (r, g, b) or (r, g, b, proportion) tuples, or an
    N × 3 / N × 4 array. Channels must be integers in 0..255.
    """
    if isinstance(colors, np.ndarray):
        arr = colors
    else:
        rows = [_color_row(c) for c in colors]
        if not rows:
            return np.zeros((0, 3), np.int64), None
        widths = {len(r) for r in rows}
        if len(widths) != 1:
            raise ValueError(f"a palette mixes colours of {sorted(widths)} values; use (r, g, b) or (r, g, b, p)")
        arr = np.asarray(rows, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] not in (3, 4):
        raise ValueError(f"a palette must be N × 3 (r, g, b) or N × 4 (r, g, b, proportion), got shape {arr.shape}")
    rgb = check_rgb(arr[:, :3])
    props = None
    if arr.shape[1] == 4:
        props = np.asarray(arr[:, 3], dtype=np.float64)
        if np.isnan(props).all():
            props = None
    return rgb, props


def check_rgb(values: Any) -> np.ndarray:
    arr = np.asarray(values)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        bad = arr[~np.isfinite(arr) | (arr != np.round(arr))].ravel()
        if bad.size:
            raise ValueError(f"colour channels must be integers in 0..255, got {bad[0]}")
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        bad = arr[(arr < 0) | (arr > 255)].ravel()[0]
        raise ValueError(f"colour channels must be integers in 0..255, got {bad}")
    return arr.astype(np.int64, copy=False)


def distance(p: Any, q: Any) -> float:
    """Earth Mover's Distance between two palettes in CIELAB (ΔE76 units), colours weighted by proportion.

    How much colour must move, and how far perceptually, to turn one palette into the other; palettes without
    proportions weigh their colours equally. 0 for identical palettes, symmetric, obeys the triangle inequality.
    """
    from scipy.optimize import linprog

    from bcanalysis.colorspace import rgb_to_lab

    (a, wa), (b, wb) = _weighted(p, "p"), _weighted(q, "q")
    cost = np.linalg.norm(rgb_to_lab(a)[:, None, :] - rgb_to_lab(b)[None, :, :], axis=-1)
    n, m = cost.shape
    rows = np.kron(np.eye(n), np.ones(m))  # each colour of p sends out its weight
    cols = np.kron(np.ones(n), np.eye(m))  # each colour of q receives its weight
    res = linprog(
        cost.ravel(), A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([wa, wb]), bounds=(0, None), method="highs"
    )
    if not res.success:  # pragma: no cover - a balanced transport problem is always feasible
        raise RuntimeError(f"palette distance failed: {res.message}")
    return float(max(res.fun, 0.0))


def _weighted(colors: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """A palette's colours and weights summing to 1 (equal weights when it has no proportions)."""
    rgb, props = colors_and_proportions(colors)
    if len(rgb) == 0:
        raise ValueError(f"palette {name} is empty")
    weights = np.ones(len(rgb)) if props is None else np.asarray(props, dtype=np.float64)
    if np.any(weights < 0) or not np.isfinite(weights).all() or weights.sum() <= 0:
        raise ValueError(f"palette {name} has proportions that are not non-negative numbers: {weights.tolist()}")
    return rgb, weights / weights.sum()
