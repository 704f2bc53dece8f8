"""Palettes drawn from known colour topics (LDA's generative story), for recovery checks, tests and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bcanalysis.defaults import BITS
from bcanalysis.quantize import check_bits, quantize


@dataclass(frozen=True)
class PlantedPalettes:
    """Palettes (N arrays of (r, g, b, proportion)) and the truth they were drawn from."""

    palettes: list[np.ndarray]
    topics: np.ndarray  # K × V topic-colour distributions over `colors`
    colors: np.ndarray  # V × 3 uint8: every colour of the `bits` grid
    mixtures: np.ndarray  # N × K topic mixture of each palette
    bits: int


def color_grid(bits: int) -> np.ndarray:
    """Every colour representable at `bits` (V × 3 uint8), in hex-word order."""
    levels = np.unique(quantize(np.arange(256).repeat(3).reshape(-1, 3), check_bits(bits))[:, 0])
    return np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(-1, 3).astype(np.uint8)


def _topic(
    rng: np.random.Generator,
    grid: np.ndarray,
    centres: int,
    spread: float,
    pool: np.ndarray | None = None,
    overlap: float = 0.0,
) -> np.ndarray:
    """A topic: a few colour clusters (Gaussian in RGB around random centres) with random weights; with a `pool`,
    each centre is one of the pool's (shared with other topics) with probability `overlap`."""
    g = grid.astype(np.float64)
    w = np.zeros(len(grid))
    cs = rng.uniform(0, 255, (centres, 3))
    if pool is not None:  # only then: the default corpus stays bit for bit what it was
        shared = rng.random(centres) < overlap
        cs[shared] = pool[rng.integers(0, len(pool), int(shared.sum()))]
    for c in cs:
        w += rng.uniform(0.5, 1.5) * np.exp(-((g - c) ** 2).sum(axis=1) / (2 * spread**2))
    return w / w.sum()


def planted_palettes(
    n_palettes: int,
    n_topics: int,
    *,
    colors_per_palette: int = 40,
    bits: int = BITS,
    alpha: float = 0.1,
    centres: int = 3,
    spread: float = 18.0,
    overlap: float = 0.0,
    random_state: int | None = 0,
) -> PlantedPalettes:
    """Draw palettes from `n_topics` planted topics: mixture ~ Dirichlet(alpha), each colour from a chosen topic.

    Each topic is `centres` colour clusters of width `spread` (RGB units). `overlap` (0..1) makes topics share
    clusters: each centre is, with that probability, one of `n_topics` centres common to all topics (black or
    cream in many genres' covers, say), so topics overlap more and are harder to tell apart.

    Colours are jittered inside their quantisation cell (so quantising at `bits` gives back the drawn word) and
    get random areas (proportions, largest first, as colorgram orders them).
    """
    if n_palettes < 1 or n_topics < 1 or colors_per_palette < 1:
        raise ValueError(
            f"need n_palettes, n_topics, colors_per_palette >= 1, got {n_palettes}, {n_topics}, {colors_per_palette}"
        )
    if not 0 <= overlap <= 1:
        raise ValueError(f"overlap must be between 0 and 1, got {overlap!r}")
    rng = np.random.default_rng(random_state)
    grid = color_grid(bits)
    pool = rng.uniform(0, 255, (n_topics, 3)) if overlap > 0 else None
    topics = np.stack([_topic(rng, grid, centres, spread, pool, overlap) for _ in range(n_topics)])
    mixtures = rng.dirichlet(np.full(n_topics, alpha), n_palettes)
    rgb, props = draw_palettes(rng, topics, grid, mixtures, colors_per_palette, bits)
    palettes = [np.column_stack([rgb[i], props[i]]) for i in range(n_palettes)]
    return PlantedPalettes(palettes, topics, grid, mixtures, bits)


def draw_palettes(
    rng: np.random.Generator,
    topics: np.ndarray,
    grid: np.ndarray,
    mixtures: np.ndarray,
    colors_per_palette: int,
    bits: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Palettes drawn from planted `topics` for these `mixtures`: (N × n × 3 uint8 colours, N × n proportions,
    largest first). Called chunk by chunk with one `rng`, it draws a corpus of any size in bounded memory."""
    n_palettes, n_topics = mixtures.shape
    shape = (n_palettes, colors_per_palette)
    z = (rng.random(shape)[..., None] > np.cumsum(mixtures, axis=1)[:, None, :]).sum(-1)
    z = np.minimum(z, n_topics - 1)
    words = np.empty(shape, dtype=np.int64)
    u = rng.random(shape)
    for k in range(n_topics):
        m = z == k
        words[m] = np.minimum(np.searchsorted(np.cumsum(topics[k]), u[m]), len(grid) - 1)
    rgb = _jitter(rng, grid[words].astype(np.int64), bits)
    props = -np.sort(-rng.dirichlet(np.ones(colors_per_palette), n_palettes), axis=1)
    return rgb.astype(np.uint8), props


def _jitter(rng: np.random.Generator, rgb: np.ndarray, bits: int) -> np.ndarray:
    """Move each channel up to half a quantisation step, keeping only moves that quantise back to the same colour."""
    step = 255 / (2 ** (bits // 3) - 1)
    moved = np.clip(rgb + np.round(rng.uniform(-0.45, 0.45, rgb.shape) * step).astype(np.int64), 0, 255)
    same = (quantize(moved.reshape(-1, 3), bits) == rgb.reshape(-1, 3)).reshape(rgb.shape)
    return np.where(same, moved, rgb)
