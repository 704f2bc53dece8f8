"""Colour palettes of cover images.

`extract` is a drop-in for `colorgram.extract` (identical output, ~400× faster), `extract_many` runs it over many
images in parallel, `extract_palettes` gives every cover of a corpus its palette, `colors_and_proportions` reads
any palette form, `distance` compares two palettes perceptually, and `against_colorgram` times `extract` beside
colorgram.py.
"""

from bcanalysis.palette.batch import IMAGE_SUFFIXES, Extraction, WorkerPool, describe, extract_many, find_images
from bcanalysis.palette.compare import check_rgb, colors_and_proportions, distance
from bcanalysis.palette.corpus import PaletteSummary, extract_palettes
from bcanalysis.palette.engine import (
    DEFAULT_MAX_PIXELS,
    EXTRACTOR_VERSION,
    KERNELS,
    Color,
    Hsl,
    ImageLike,
    ImageTooLarge,
    NotARegularFile,
    Rgb,
    bin_table,
    check_max_pixels,
    check_pixels,
    default_kernel,
    extract,
    histogram,
    hsl,
)
from bcanalysis.palette.speed import against_colorgram, best_of, same_palette

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "EXTRACTOR_VERSION",
    "IMAGE_SUFFIXES",
    "KERNELS",
    "Color",
    "Extraction",
    "Hsl",
    "ImageLike",
    "ImageTooLarge",
    "NotARegularFile",
    "PaletteSummary",
    "Rgb",
    "WorkerPool",
    "bin_table",
    "check_max_pixels",
    "check_pixels",
    "check_rgb",
    "colors_and_proportions",
    "default_kernel",
    "describe",
    "distance",
    "extract",
    "extract_many",
    "extract_palettes",
    "find_images",
    "histogram",
    "hsl",
    "against_colorgram",
    "best_of",
    "same_palette",
]
