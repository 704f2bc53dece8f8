"""Painted demo covers: gradients, shapes, text-like bands and noise in an album's theme colours, as JPEG bytes.

A cover depends only on the album (its art_id seeds the painter) and the pixel size, so any size code can be served
and the same request always returns the same bytes.
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from bcanalysis.demo.catalogue import THEMES, Album

JPEG_QUALITY = 88


def _theme_color(rng: np.random.Generator, theme: str) -> tuple[int, int, int]:
    colors, weights = zip(*THEMES[theme], strict=True)
    return colors[int(rng.choice(len(colors), p=np.asarray(weights) / sum(weights)))]


def _pick_theme(rng: np.random.Generator, album: Album) -> str:
    names = list(album.mixture)
    shares = np.array([album.mixture[n] for n in names])
    return names[int(rng.choice(len(names), p=shares / shares.sum()))]


def _gradient(px: int, top: tuple[int, int, int], bottom: tuple[int, int, int], angle: float) -> np.ndarray:
    """A px × px × 3 float linear gradient from `top` to `bottom` along direction `angle` (radians)."""
    ys, xs = np.mgrid[0:px, 0:px].astype(np.float32) / max(px - 1, 1)
    t = np.clip(np.cos(angle) * ys + np.sin(angle) * xs, 0, 1)[..., None]
    return (1 - t) * np.asarray(top, np.float32) + t * np.asarray(bottom, np.float32)


def _shapes(draw: ImageDraw.ImageDraw, rng: np.random.Generator, album: Album, px: int) -> None:
    """Ellipses, rectangles and triangles, each in a colour of a theme drawn from the album's mixture."""
    for _ in range(int(rng.integers(6, 14))):
        fill = _theme_color(rng, _pick_theme(rng, album))
        cx, cy = rng.random(2) * px
        r = (0.08 + 0.3 * rng.random()) * px
        kind = rng.integers(3)
        if kind == 0:
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
        elif kind == 1:
            draw.rectangle([cx - r, cy - r * rng.random(), cx + r * rng.random(), cy + r], fill=fill)
        else:
            pts = [(float(cx + r * np.cos(a)), float(cy + r * np.sin(a))) for a in rng.random(3) * 2 * np.pi]
            draw.polygon(pts, fill=fill)


def _text_bands(draw: ImageDraw.ImageDraw, rng: np.random.Generator, album: Album, px: int) -> None:
    """One or two rows of small letter-like blocks, as a title and artist name would sit on a cover."""
    for _ in range(int(rng.integers(1, 3))):
        fill = _theme_color(rng, _pick_theme(rng, album))
        y = rng.uniform(0.05, 0.9) * px
        h = max(2.0, rng.uniform(0.025, 0.05) * px)
        x = rng.uniform(0.05, 0.3) * px
        end = rng.uniform(0.6, 0.95) * px
        while x < end:
            w = h * rng.uniform(0.3, 0.8)
            if rng.random() > 0.15:  # gaps between "words"
                draw.rectangle([x, y, x + w, y + h], fill=fill)
            x += w + h * 0.25


def paint(album: Album, px: int) -> Image.Image:
    """The album's cover as a px × px RGB image, painted from its theme mixture (deterministic)."""
    rng = np.random.default_rng(album.art_id)
    main = max(album.mixture, key=album.mixture.get)
    canvas = _gradient(px, _theme_color(rng, main), _theme_color(rng, main), rng.uniform(0, np.pi / 2))
    image = Image.fromarray(canvas.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    _shapes(draw, rng, album, px)
    _text_bands(draw, rng, album, px)
    noise = rng.normal(0, 6, size=(max(px // 4, 1), max(px // 4, 1), 1)).astype(np.float32)
    noise = np.kron(noise, np.ones((4, 4, 1), np.float32))[:px, :px]
    if noise.shape[0] < px:
        noise = np.pad(noise, ((0, px - noise.shape[0]), (0, px - noise.shape[1]), (0, 0)), mode="edge")
    pixels = np.asarray(image, np.float32) + noise + rng.normal(0, 3, size=(px, px, 1)).astype(np.float32)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


@lru_cache(maxsize=256)
def cover_jpeg(album: Album, px: int, quality: int = JPEG_QUALITY) -> bytes:
    """The painted cover as baseline JPEG bytes (cached: the server answers repeated requests instantly)."""
    out = io.BytesIO()
    paint(album, px).save(out, "JPEG", quality=quality)
    return out.getvalue()
