"""The colorgram.py-identical extractor: one image in, its palette out, without per-pixel Python.

colorgram.py (1.2.0) bins every pixel by the top two bits of its luminance, hue and lightness (64 possible bins,
40 reachable), averages RGB per bin with integer division and orders bins by pixel count. Here the bin of every
24-bit colour is looked up in a 16 MiB table built once per process; per-bin sums come from a compiled one-pass
loop (`kernel.py`, numba) or, where numba is missing, from `np.bincount`. Pixels stream from PIL's decoded image in
64 kB chunks, so one 1200 px cover takes ~3 ms (less than decoding its JPEG) instead of colorgram.py's second.
Results are identical, order included, on either kernel.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from collections import namedtuple
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

from bcanalysis.checks import check_scalar
from bcanalysis.colorspace import to_words
from bcanalysis.defaults import MAX_PIXELS

Rgb = namedtuple("Rgb", ("r", "g", "b"))
Hsl = namedtuple("Hsl", ("h", "s", "l"))

ImageLike = Image.Image | str | os.PathLike | bytes | bytearray | io.IOBase

#: Bumped whenever extraction output could change; stored with palettes in the corpus.
EXTRACTOR_VERSION = "colorgram-1.2.0-compat/1"

_N_BINS = 64


def hsl(r: int, g: int, b: int) -> tuple[int, int, int]:
    """Integer HSL exactly as colorgram.py computes it (0..255 each), for single colours."""
    most, least = max(r, g, b), min(r, g, b)
    lightness = (most + least) >> 1
    if most == least:
        return 0, 0, lightness
    diff = most - least
    if lightness > 127:
        s = diff * 255 // (510 - most - least)
    else:
        s = diff * 255 // (most + least)
    if most == r:
        h = (g - b) * 255 // diff + (1530 if g < b else 0)
    elif most == g:
        h = (b - r) * 255 // diff + 510
    else:
        h = (r - g) * 255 // diff + 1020
    return h // 6, s, lightness


class Color:
    """One palette colour, attribute-compatible with `colorgram.Color` (`.rgb`, `.hsl`, `.proportion`)."""

    __slots__ = ("rgb", "proportion", "_hsl")

    def __init__(self, r: int, g: int, b: int, proportion: float):
        self.rgb = Rgb(r, g, b)
        self.proportion = proportion
        self._hsl = None

    @property
    def hsl(self) -> Hsl:
        if self._hsl is None:
            self._hsl = Hsl(*hsl(*self.rgb))
        return self._hsl

    @property
    def hex(self) -> str:
        """The colour as 6 lowercase hex digits, e.g. 'cc6633'."""
        return to_words([self.rgb])[0]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Color):
            return NotImplemented
        return self.rgb == other.rgb and self.proportion == other.proportion

    def __hash__(self) -> int:
        return hash((self.rgb, self.proportion))

    def __getstate__(self):
        return (tuple(self.rgb), self.proportion)

    def __setstate__(self, state):
        (r, g, b), p = state
        self.rgb, self.proportion, self._hsl = Rgb(r, g, b), p, None

    def __repr__(self) -> str:
        return f"<bcanalysis Color: {tuple(self.rgb)}, {self.proportion * 100}%>"


@lru_cache(maxsize=1)
def bin_table() -> np.ndarray:
    """colorgram's bin (0..63) of every colour, indexed by r | g << 8 | b << 16; 16 MiB, built once (~0.5 s)."""
    rg = np.arange(1 << 16, dtype=np.int32)
    r, g = rg & 255, rg >> 8
    r_y, g_y = r * 0.2126, g * 0.7152
    max_rg, min_rg = np.maximum(r, g), np.minimum(r, g)
    table = np.empty(1 << 24, dtype=np.uint8)
    for b in range(256):
        most, least = np.maximum(max_rg, b), np.minimum(min_rg, b)
        light = (most + least) >> 1
        # Same float64 expression, same order of additions, as colorgram.py: int() truncates.
        lum = (r_y + g_y + b * 0.0722).astype(np.int32)
        diff = most - least
        div = np.where(diff == 0, 1, diff)
        hue = np.where(
            most == r,
            (g - b) * 255 // div + np.where(g < b, 1530, 0),
            np.where(most == g, (b - r) * 255 // div + 510, (r - g) * 255 // div + 1020),
        )
        hue = np.where(diff == 0, 0, hue // 6)
        packed = ((lum & 0xC0) << 4) | ((hue & 0xC0) << 2) | (light & 0xC0)
        table[b << 16 : (b + 1) << 16] = packed >> 6
    table.flags.writeable = False
    return table


#: The kernels `histogram` can run: a compiled one-pass loop (numba) and the pure-numpy fallback; identical results.
KERNELS = ("numba", "numpy")

#: Environment variable that picks the kernel (`numba` or `numpy`) for every extraction, worker processes included.
KERNEL_ENV = "BCANALYSIS_PALETTE_KERNEL"


@lru_cache(maxsize=1)
def numba_kernel():
    """The compiled kernel, or None if numba cannot import or compile it here (then numpy does the work)."""
    try:
        from bcanalysis.palette.kernel import bin_sums

        # Compile (or load from numba's cache) now, for the read-only arrays it is given, so a failure shows here.
        bin_sums(np.frombuffer(bytes(8), dtype="<u4"), bin_table(), np.zeros((_N_BINS, 4), np.int64))
    except Exception:  # noqa: BLE001 - ImportError, numba refusing this numpy version, a compile error: fall back
        return None
    return bin_sums


def default_kernel() -> str:
    """The kernel extraction uses: $BCANALYSIS_PALETTE_KERNEL if set, else numba when it imports."""
    chosen = os.environ.get(KERNEL_ENV, "").strip().lower()
    if chosen:
        return _check_kernel(chosen)
    return "numba" if numba_kernel() is not None else "numpy"


def _check_kernel(name: str) -> str:
    if name not in KERNELS:
        raise ValueError(f"palette kernel must be one of {KERNELS}, got {name!r} (from ${KERNEL_ENV} or kernel=)")
    if name == "numba" and numba_kernel() is None:
        raise ValueError("palette kernel 'numba' asked for, but numba cannot be imported here")
    return name


#: Pixels converted to RGB at a time when an image is in another mode (L, P, CMYK, …): its converted copy then costs
#: ~16 MiB whatever the image's size. A cover (1200 × 1200 = 1.4 Mpx) is one band.
BAND_PIXELS = 1 << 22

#: Bytes of pixels handed to the compiled kernel at a time: small enough to stay in the CPU cache and to come from
#: memory already mapped (one 5.8 MB copy of a freshly decoded cover costs more in page faults than the kernel's
#: whole pass). The numpy kernel takes CHUNK pixels at a time.
STREAM_BYTES = 1 << 16


def _bands(image: Image.Image, chunk_bytes: int) -> Iterator[np.ndarray]:
    """The image's pixels as uint32 codes r | g << 8 | b << 16 | x << 24, about `chunk_bytes` / 4 at a time.

    Converted the way colorgram.py does: RGB, RGBA and RGBa are read as they are (alpha ignored), other modes are
    converted to RGB one band of rows at a time.
    """
    width, height = image.size
    if width == 0 or height == 0:
        return
    if image.mode in ("RGB", "RGBA", "RGBa"):
        yield from _stream(image, "RGBX" if image.mode == "RGB" else image.mode, chunk_bytes)
        return
    rows = max(1, BAND_PIXELS // width)
    for top in range(0, height, rows):
        band = image if rows >= height else image.crop((0, top, width, min(height, top + rows)))
        yield from _stream(band.convert("RGB"), "RGBX", chunk_bytes)


def _stream(image: Image.Image, rawmode: str, chunk_bytes: int) -> Iterator[np.ndarray]:
    """Raw 4-byte pixels in chunks of ~`chunk_bytes`, through PIL's raw encoder (what `tobytes` uses inside)."""
    image.load()
    encoder = _raw_encoder(image.mode, rawmode)
    if encoder is None:
        yield from _stream_public(image, rawmode)
        return
    try:
        encoder.setimage(image.im, (0, 0, *image.size))
        bufsize = max(chunk_bytes, image.width * 4)  # the raw encoder writes whole rows only
        while True:
            _, status, data = encoder.encode(bufsize)
            yield np.frombuffer(data, dtype="<u4")
            if status:
                break
        if status < 0:
            raise OSError(f"PIL's raw encoder failed with error {status} on a {image.mode} image")
    finally:
        encoder.cleanup()


def _raw_encoder(mode: str, rawmode: str) -> Any:
    """PIL's raw encoder (internal API, used by `tobytes` itself), or None in a Pillow that has none."""
    get = getattr(Image, "_getencoder", None)
    return None if get is None else get(mode, "raw", rawmode)


def _stream_public(image: Image.Image, rawmode: str) -> Iterator[np.ndarray]:
    """Like `_stream` through public API only: `tobytes` of one band of rows at a time."""
    width, height = image.size
    rows = max(1, BAND_PIXELS // width)
    for top in range(0, height, rows):
        band = image if rows >= height else image.crop((0, top, width, min(height, top + rows)))
        yield np.frombuffer(band.tobytes("raw", rawmode), dtype="<u4")


#: Pixels per pass of the numpy kernel: small enough that every temporary array stays in the CPU cache (twice as
#: fast as one pass over a 1200 px cover), large enough that the Python loop costs nothing.
CHUNK = 1 << 17


def _sums_numpy(codes: np.ndarray, table: np.ndarray, out: np.ndarray) -> None:
    """The numpy kernel: add each pixel's r, g, b and 1 to row `table[code]` of `out` (64 × 4 int64)."""
    channels = codes.view(np.uint8).reshape(-1, 4)
    # One (bin, channel value) histogram per channel; sums are then exact integer dot products.
    hists = np.zeros((3, _N_BINS * 256), np.int64)
    for start in range(0, codes.size, CHUNK):
        key = np.take(table, codes[start : start + CHUNK] & np.uint32(0xFFFFFF)).astype(np.uint16)
        key <<= 8
        part = channels[start : start + CHUNK]
        for c in range(3):
            hists[c] += np.bincount(key | part[:, c], minlength=_N_BINS * 256)
    hists = hists.reshape(3, _N_BINS, 256)
    out[:, :3] += (hists @ np.arange(256, dtype=np.int64)).T
    out[:, 3] += hists[0].sum(axis=1)


def histogram(image: Image.Image, kernel: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin pixel counts (64,) and RGB sums (64, 3) as int64: colorgram.py's `sample`, without per-pixel Python.

    `kernel` is "numba" or "numpy" (default: `default_kernel()`); both give identical results.
    """
    name = _check_kernel(kernel) if kernel is not None else default_kernel()
    add = numba_kernel() if name == "numba" else _sums_numpy
    table = bin_table()
    out = np.zeros((_N_BINS, 4), np.int64)
    for codes in _bands(image, STREAM_BYTES if name == "numba" else 4 * CHUNK):
        add(codes, table, out)
    return out[:, 3].copy(), out[:, :3].copy()


def check_count(number_of_colors: Any) -> int:
    """`number_of_colors` as an int if it is a whole number >= 0, else TypeError / ValueError naming it."""
    return check_scalar(number_of_colors, "number_of_colors", int, low=0)


def _palette(counts: np.ndarray, sums: np.ndarray, number_of_colors: int) -> list[tuple[int, int, int, int]]:
    """The top bins as (r, g, b, count): descending count, ties in bin order (colorgram's stable sort)."""
    used = np.flatnonzero(counts)
    order = used[np.argsort(-counts[used], kind="stable")][:number_of_colors]
    means = sums[order] // counts[order, None]
    return [(int(r), int(g), int(b), int(n)) for (r, g, b), n in zip(means, counts[order], strict=True)]


def colors_from_rows(rows: list[tuple[int, int, int, int]]) -> list[Color]:
    """`Color`s from (r, g, b, pixel count) rows (what a worker process sends back), proportions from the counts."""
    total = sum(n for *_, n in rows)
    return [Color(r, g, b, n / total) for r, g, b, n in rows]


#: Images (files or bytes) with more pixels than this are refused before decoding: 50 Mpx decode to ~200 MB, while
#: PIL's own guard only warns below 89 Mpx and refuses above 179 Mpx. A 1200 px cover is 1.4 Mpx.
DEFAULT_MAX_PIXELS = MAX_PIXELS


class ImageTooLarge(ValueError):
    """An image has more pixels than the budget allows; it was not decoded."""


class NotARegularFile(OSError):
    """A path names a folder, FIFO, socket or device, not an image file (opening a FIFO would wait for ever)."""


def check_max_pixels(max_pixels: Any) -> int | None:
    """A valid pixel budget (a positive int, or None for no budget of ours), or TypeError / ValueError naming the bad
    value."""
    if max_pixels is None:
        return None
    return check_scalar(max_pixels, "max_pixels (None: no budget)", int, low=1)


def _open(f: ImageLike, max_pixels: int | None) -> Image.Image:
    """Open (not decode) an image, refusing non-regular files and images over `max_pixels` before decoding."""
    if isinstance(f, (bytes, bytearray)):
        f = io.BytesIO(f)
    elif isinstance(f, (str, os.PathLike)):
        mode = os.stat(f).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(f"{os.fspath(f)} is not a regular file ({file_kind(mode)})")
    with warnings.catch_warnings():
        if max_pixels is not None and max_pixels <= (Image.MAX_IMAGE_PIXELS or 0):
            # Our budget refuses these images below; PIL's warning for the same image would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = Image.open(f)
    try:
        check_pixels(*image.size, max_pixels)
    except ImageTooLarge:
        image.close()
        raise
    return image


def check_pixels(
    width: int,
    height: int,
    max_pixels: int | None,
    hint: str = "not decoded; raise the budget with max_pixels= or --max-pixels",
) -> None:
    """Refuse an image of `width` × `height` over `max_pixels` (None: no budget) with ImageTooLarge: the one message
    for the one limit (`defaults.MAX_PIXELS`) of everything that reads covers — palettes, extract, import, scrape."""
    if max_pixels is not None and width * height > max_pixels:
        raise ImageTooLarge(
            f"{width}×{height} = {width * height / 1e6:.1f} Mpx is over the pixel budget of "
            f"{max_pixels / 1e6:g} Mpx ({hint})"
        )


def file_kind(mode: int) -> str:
    """What a file that is not a regular one is, from its `st_mode` ('a FIFO', 'a folder', …), for error messages."""
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a file")


def palette_rows(
    f: ImageLike, number_of_colors: int, max_pixels: int | None = DEFAULT_MAX_PIXELS, kernel: str | None = None
) -> list[tuple[int, int, int, int]]:
    """The palette as plain (r, g, b, pixel count) rows: what `extract` returns as colours, cheap to send between
    processes."""
    if isinstance(f, Image.Image):
        return _palette(*histogram(f, kernel), number_of_colors)
    with _open(f, max_pixels) as image:
        return _palette(*histogram(image, kernel), number_of_colors)


def extract(
    f: ImageLike, number_of_colors: int, *, max_pixels: int | None = DEFAULT_MAX_PIXELS, kernel: str | None = None
) -> list[Color]:
    """Drop-in for `colorgram.extract`: the image's `number_of_colors` main colours, identical values and order.

    `f` is a PIL image, a path, an open binary file or the encoded bytes of an image. A file or bytes with more than
    `max_pixels` pixels raises `ImageTooLarge` before decoding (None: no budget). `kernel`: see `histogram`.
    """
    return colors_from_rows(palette_rows(f, check_count(number_of_colors), check_max_pixels(max_pixels), kernel))
