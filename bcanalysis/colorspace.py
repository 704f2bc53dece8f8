"""Colour-space conversions for 8-bit sRGB colours: CIELAB (D65) for perceptual distances, OKLab and HLS for bins;
and the two encodings of a colour the package uses everywhere: a 24-bit integer code and a 6-digit hex word.

Vectorised over arrays of any leading shape ending in 3. Formulas: IEC 61966-2-1 (sRGB), CIE 1976 L*a*b* with the
D65 white point and 2° observer (as scikit-image's `rgb2lab` defaults), and Björn Ottosson's OKLab (2020).
"""

from __future__ import annotations

import numpy as np

_SRGB_TO_XYZ = np.array(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]]
)
_D65_WHITE = np.array([0.95047, 1.0, 1.08883])

_LMS_FROM_LINEAR = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ]
)
_OKLAB_FROM_LMS = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ]
)


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    """8-bit sRGB (0..255) → linear light in 0..1, undoing the sRGB transfer curve."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """Linear light → 8-bit sRGB, clipped into the gamut and rounded to integers (uint8)."""
    c = np.clip(np.asarray(linear, dtype=np.float64), 0.0, 1.0)
    c = np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)
    return np.round(c * 255).astype(np.uint8)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """8-bit sRGB → CIELAB (L* 0..100), D65, 2° observer; the space in which ΔE 1 is a just-noticeable step."""
    xyz = srgb_to_linear(rgb) @ _SRGB_TO_XYZ.T / _D65_WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def rgb_to_oklab(rgb: np.ndarray) -> np.ndarray:
    """8-bit sRGB → OKLab (L 0..1): perceptually even steps with a hue-linear a/b plane."""
    lms = srgb_to_linear(rgb) @ _LMS_FROM_LINEAR.T
    return np.cbrt(lms) @ _OKLAB_FROM_LMS.T


def oklab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """OKLab → 8-bit sRGB (uint8), clipping colours outside the sRGB gamut."""
    lms = (np.asarray(lab, dtype=np.float64) @ np.linalg.inv(_OKLAB_FROM_LMS).T) ** 3
    return linear_to_srgb(lms @ np.linalg.inv(_LMS_FROM_LINEAR).T)


def rgb_to_hls(rgb: np.ndarray) -> np.ndarray:
    """8-bit sRGB → (hue, lightness, saturation) in 0..1, as `colorsys.rgb_to_hls` computes them."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    r, g, b = c[..., 0], c[..., 1], c[..., 2]
    hi, lo = c.max(axis=-1), c.min(axis=-1)
    light = (hi + lo) / 2
    span = hi - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        sat = np.where(light <= 0.5, span / (hi + lo), span / (2.0 - hi - lo))
        rc, gc, bc = (hi - r) / span, (hi - g) / span, (hi - b) / span
    hue = np.where(r == hi, bc - gc, np.where(g == hi, 2.0 + rc - bc, 4.0 + gc - rc))
    hue = (hue / 6.0) % 1.0
    grey = span == 0
    return np.stack([np.where(grey, 0.0, hue), light, np.where(grey, 0.0, sat)], axis=-1)


def hls_to_rgb(hls: np.ndarray) -> np.ndarray:
    """(hue, lightness, saturation) in 0..1 → 8-bit sRGB (uint8), the inverse of `rgb_to_hls`."""
    hls = np.asarray(hls, dtype=np.float64)
    h, light, s = hls[..., 0], hls[..., 1], hls[..., 2]
    m2 = np.where(light <= 0.5, light * (1.0 + s), light + s - light * s)
    m1 = 2.0 * light - m2

    def channel(hue: np.ndarray) -> np.ndarray:
        hue = hue % 1.0
        return np.where(
            hue < 1 / 6,
            m1 + (m2 - m1) * hue * 6.0,
            np.where(hue < 0.5, m2, np.where(hue < 2 / 3, m1 + (m2 - m1) * (2 / 3 - hue) * 6.0, m1)),
        )

    rgb = np.stack([channel(h + 1 / 3), channel(h), channel(h - 1 / 3)], axis=-1)
    rgb = np.where((s == 0)[..., None], light[..., None], rgb)
    return np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)


# --- encodings -------------------------------------------------------------------------------------------------


def pack_rgb(rgb: np.ndarray, dtype: type = np.int64) -> np.ndarray:
    """N × 3 colours (0..255) → codes r << 16 | g << 8 | b: one integer a colour, sorted as hex words sort
    (int64; `dtype=np.int32` halves a large corpus's codes, which need 24 bits)."""
    c = np.asarray(rgb).reshape(-1, 3)
    codes = c[:, 0].astype(dtype) << 16  # channel by channel: no copy of all three at once
    codes |= c[:, 1].astype(dtype) << 8
    codes |= c[:, 2].astype(dtype)
    return codes


def unpack_rgb(codes: np.ndarray) -> np.ndarray:
    """Integer codes from `pack_rgb` → N × 3 uint8 colours."""
    codes = np.asarray(codes, dtype=np.int64)
    return np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], axis=-1).astype(np.uint8)


def to_words(rgb: np.ndarray) -> list[str]:
    """N × 3 colours as 6-digit lowercase hex words ('cc6633'): the words of a palette document."""
    rgb = np.asarray(rgb, dtype=np.int64).reshape(-1, 3)
    return [f"{r:02x}{g:02x}{b:02x}" for r, g, b in rgb.tolist()]
