"""Colour quantisation and palette documents: colours rounded to a bit depth become hex-colour words.

`quantize` reproduces the analysis's `rgb_color_converter`: with k = bits / 3 bits a channel and
factor = (2**k - 1) / 255, each channel c becomes round(round(c * factor) / factor) (numpy rounding).
`vocabulary_table` says how many distinct colour words each depth leaves, beside the analysis's own counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from bcanalysis.checks import OneOf, check_scalar
from bcanalysis.colorspace import pack_rgb, to_words
from bcanalysis.defaults import SPACES
from bcanalysis.palette import check_rgb, colors_and_proportions

#: The colour depths `quantize` accepts: total bits over the three channels.
ALLOWED_BITS = tuple(range(3, 25, 3))

__all__ = [
    "ALLOWED_BITS",
    "SPACES",
    "Depth",
    "check_bits",
    "check_space",
    "quantize",
    "palette_to_document",
    "document_to_palette",
    "to_words",
    "pack_rgb",
    "count_colors",
    "vocabulary_table",
    "ANALYSIS_UNIQUE",
]

_WORD = re.compile(r"[0-9a-f]{6}")


def check_bits(bits: Any, name: str = "bits") -> int:
    """`bits` as an int if it is a total colour depth we support, else ValueError naming it (a ValueError for a
    value of the wrong kind too, such as 12.0 or "12": the documented interface of `quantize`)."""
    try:
        depth = check_scalar(bits, name, int)
    except TypeError:
        depth = None
    if depth not in ALLOWED_BITS:
        raise ValueError(
            f"{name} must be the total colour depth, a multiple of 3 from 3 to 24 "
            f"(one of {', '.join(map(str, ALLOWED_BITS))}), got {bits!r}"
        )
    return depth


class Depth:
    """The declared constraint on a colour depth, for a `_parameter_constraints` table beside `checks.Interval` and
    `checks.OneOf`: an integer in `ALLOWED_BITS` (`check_bits`)."""

    def check(self, value: Any, name: str) -> int:
        """`value` as an int if it is a depth we support, else the error `check_bits` raises."""
        return check_bits(value, name)


#: OKLab grid steps, calibrated so that the sRGB gamut occupies about 2**bits cells (measured on a 128³ sample of
#: sRGB: 8, 64, 512, 4096, 32768, 262144 cells), so vocabularies compare with RGB at the same depth.
OKLAB_STEPS = {3: 0.49851, 6: 0.14661, 9: 0.058103, 12: 0.025970, 15: 0.012332, 18: 0.0060014, 21: 0.0030}


def check_space(space: Any) -> str:
    """Return `space` if it is one `quantize` knows, else raise ValueError naming it."""
    return OneOf(SPACES).check(space, "space")


def quantize(colors: Any, bits: int, space: str = "rgb") -> np.ndarray:
    """Round colours to `bits` of total depth (12 ⇒ 4 bits a channel), as the analysis did; values stay 0..255.

    `colors` is an array of any leading shape ending in 3 (or 4: proportions are dropped), or a palette as
    accepted by `palette.colors_and_proportions`. Returns uint8 of the same leading shape, last axis 3. 24 bits is
    the identity.
    `space="hls"` rounds hue, lightness and saturation to bits / 3 bits each; `space="oklab"` snaps to a cubic
    OKLab grid with about 2**bits cells in the sRGB gamut; both return the bin's colour as sRGB.
    """
    bits, space = check_bits(bits), check_space(space)
    if space == "rgb" and isinstance(colors, np.ndarray) and colors.dtype == np.uint8 and colors.shape[-1:] == (3,):
        return _rgb_levels(bits)[colors]  # bytes need no check: a table lookup, no float copy of a large corpus
    if isinstance(colors, np.ndarray) and colors.ndim >= 1 and colors.shape[-1] in (3, 4):
        rgb = check_rgb(colors[..., :3])
    else:
        rgb, _ = colors_and_proportions(colors)
    if bits == 24:
        return rgb.astype(np.uint8)
    if space == "hls":
        return _quantize_hls(rgb, bits)
    if space == "oklab":
        return _quantize_oklab(rgb, bits)
    return _rgb_levels(bits)[rgb]


def _rgb_levels(bits: int) -> np.ndarray:
    """What each channel value 0..255 rounds to at `bits` (the analysis's two roundings), as a 256-entry table."""
    factor = (2 ** (bits // 3) - 1) / 255
    return np.round(np.round(np.arange(256) * factor) / factor).astype(np.uint8)


def _quantize_hls(rgb: np.ndarray, bits: int) -> np.ndarray:
    """Hue on a circle of 2**k steps, lightness and saturation on 2**k levels from 0 to 1."""
    from bcanalysis.colorspace import hls_to_rgb, rgb_to_hls

    steps = 2 ** (bits // 3)
    hls = rgb_to_hls(rgb)
    hls[..., 0] = np.round(hls[..., 0] * steps) % steps / steps
    hls[..., 1:] = np.round(hls[..., 1:] * (steps - 1)) / (steps - 1)
    return hls_to_rgb(hls)


def _quantize_oklab(rgb: np.ndarray, bits: int) -> np.ndarray:
    """The centre of the colour's OKLab grid cell, back in sRGB (clipped to the gamut)."""
    from bcanalysis.colorspace import oklab_to_rgb, rgb_to_oklab

    step = OKLAB_STEPS[bits]
    return oklab_to_rgb((np.floor(rgb_to_oklab(rgb) / step) + 0.5) * step)


def palette_to_document(colors: Any, bits: int, space: str = "rgb") -> str:
    """A palette as a document: quantised colours as hex words joined by single spaces, in palette order."""
    return " ".join(to_words(quantize(colors, bits, space)))


def document_to_palette(document: str | Iterable[str]) -> np.ndarray:
    """Invert `palette_to_document`: hex words (a string or a list of words) → N × 3 uint8 colours."""
    words = document.split() if isinstance(document, str) else list(document)
    for w in words:
        if not _WORD.fullmatch(w):
            raise ValueError(f"not a colour word (6 lowercase hex digits): {w!r}")
    if not words:
        return np.zeros((0, 3), np.uint8)
    return np.array([[int(w[i : i + 2], 16) for i in (0, 2, 4)] for w in words], dtype=np.uint8)


def count_colors(colors: Any) -> int:
    """How many distinct colours an N × 3 array (or a palette) holds."""
    rgb = colors if isinstance(colors, np.ndarray) else colors_and_proportions(colors)[0]
    return int(np.unique(pack_rgb(rgb)).size)


#: Distinct colours over the 2020 analysis's 25,006 palettes at 24, 15 and 12 bit (from its notebook).
ANALYSIS_UNIQUE = {24: 347_638, 15: 21_859, 12: 3_935}
ANALYSIS_COLUMN = "the analysis (25,006 palettes)"
#: What `vocabulary_table` shows for a depth the analysis did not report (a reader's table: no `<NA>`).
NOT_REPORTED = "—"


def vocabulary_table(palettes: Sequence[Any], bits: Sequence[int] = (24, 15, 12, 9)):
    """Per depth in `bits`: distinct colours over all palettes, distinct words per palette (mean, one decimal), and
    the 2020 analysis's count where it gave one (`ANALYSIS_UNIQUE`; "—" where it did not). A DataFrame indexed by
    bits, shaped for reading."""
    import pandas as pd

    arrays = [colors_and_proportions(p)[0] for p in palettes if p is not None and len(p)]
    if not arrays:
        raise ValueError("no palettes: extract palettes first (bcanalysis palettes --db …)")
    stacked = np.concatenate(arrays).astype(np.uint8)
    ends = np.cumsum([len(a) for a in arrays])[:-1]
    rows = []
    for depth in bits:
        codes = pack_rgb(quantize(stacked, depth))
        words = np.mean([np.unique(part).size for part in np.split(codes, ends)])
        rows.append(
            {
                "bits": depth,
                "distinct colours": int(np.unique(codes).size),
                "words per palette": round(float(words), 1),
                ANALYSIS_COLUMN: ANALYSIS_UNIQUE.get(depth, NOT_REPORTED),
            }
        )
    return pd.DataFrame(rows).astype({ANALYSIS_COLUMN: object}).set_index("bits")
