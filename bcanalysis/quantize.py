"""Colour quantisation and palette documents: colours rounded to a bit depth become hex-colour words.

`quantize` reproduces the analysis's `rgb_color_converter`: with k = bits / 3 bits a channel and
factor = (2**k - 1) / 255, each channel c becomes round(round(c * factor) / factor) (numpy rounding).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np

#: The colour depths `quantize` accepts: total bits over the three channels.
ALLOWED_BITS = tuple(range(3, 25, 3))

_WORD = re.compile(r"[0-9a-f]{6}")


def check_bits(bits: Any) -> int:
    """Return `bits` as an int if it is a total colour depth we support, else raise ValueError naming it."""
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or int(bits) not in ALLOWED_BITS:
        raise ValueError(
            f"bits must be the total colour depth, a multiple of 3 from 3 to 24 "
            f"(one of {', '.join(map(str, ALLOWED_BITS))}), got {bits!r}"
        )
    return int(bits)


def _color_row(c: Any) -> tuple:
    rgb = getattr(c, "rgb", None)
    if rgb is not None:  # a colorgram (or bcanalysis) colour object
        return (*tuple(rgb), getattr(c, "proportion", np.nan))
    return tuple(c)


def palette_arrays(colors: Any) -> tuple[np.ndarray, np.ndarray | None]:
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
    rgb = _check_rgb(arr[:, :3])
    props = None
    if arr.shape[1] == 4:
        props = np.asarray(arr[:, 3], dtype=np.float64)
        if np.isnan(props).all():
            props = None
    return rgb, props


def _check_rgb(values: Any) -> np.ndarray:
    arr = np.asarray(values)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        bad = arr[~np.isfinite(arr) | (arr != np.round(arr))].ravel()
        if bad.size:
            raise ValueError(f"colour channels must be integers in 0..255, got {bad[0]}")
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        bad = arr[(arr < 0) | (arr > 255)].ravel()[0]
        raise ValueError(f"colour channels must be integers in 0..255, got {bad}")
    return arr.astype(np.int64, copy=False)


def quantize(colors: Any, bits: int) -> np.ndarray:
    """Round colours to `bits` of total depth (12 ⇒ 4 bits a channel), as the analysis did; values stay 0..255.

    `colors` is an array of any leading shape ending in 3 (or 4: proportions are dropped), or a palette as
    accepted by `palette_arrays`. Returns uint8 of the same leading shape, last axis 3. 24 bits is the identity.
    """
    bits = check_bits(bits)
    if isinstance(colors, np.ndarray) and colors.ndim >= 1 and colors.shape[-1] in (3, 4):
        rgb = _check_rgb(colors[..., :3])
    else:
        rgb, _ = palette_arrays(colors)
    levels = 2 ** (bits // 3) - 1
    factor = levels / 255
    return np.round(np.round(rgb * factor) / factor).astype(np.uint8)


def to_words(rgb: np.ndarray) -> list[str]:
    """N × 3 colours as 6-digit lowercase hex words."""
    rgb = np.asarray(rgb, dtype=np.int64).reshape(-1, 3)
    return [f"{r:02x}{g:02x}{b:02x}" for r, g, b in rgb.tolist()]


def palette_to_document(colors: Any, bits: int) -> str:
    """A palette as a document: quantised colours as hex words joined by single spaces, in palette order."""
    return " ".join(to_words(quantize(colors, bits)))


def document_to_palette(document: str | Iterable[str]) -> np.ndarray:
    """Invert `palette_to_document`: hex words (a string or a list of words) → N × 3 uint8 colours."""
    words = document.split() if isinstance(document, str) else list(document)
    for w in words:
        if not _WORD.fullmatch(w):
            raise ValueError(f"not a colour word (6 lowercase hex digits): {w!r}")
    if not words:
        return np.zeros((0, 3), np.uint8)
    return np.array([[int(w[i : i + 2], 16) for i in (0, 2, 4)] for w in words], dtype=np.uint8)
