"""How fast `extract` is beside colorgram.py on the same decoded covers, and whether their palettes are identical.

`best_of` is the timing rule `benchmarks/bench_palette.py` uses too: the fastest of a few runs, the one least
disturbed by other work on the machine. colorgram.py is optional (a dev dependency): without it only our times show.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from PIL import Image

from bcanalysis.defaults import N_COLORS
from bcanalysis.palette.engine import extract


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    """The fastest of `repeat` runs of `fn()`, in seconds."""
    times = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _significant(seconds: float, digits: int = 3) -> float:
    """A timing to `digits` significant digits: what one measurement on a busy machine holds."""
    return float(f"{seconds:.{digits}g}")


def same_palette(ours: Iterable[Any], theirs: Iterable[Any]) -> bool:
    """Whether two palettes hold the same colours with the same proportions, in the same order."""
    return [(tuple(c.rgb), c.proportion) for c in ours] == [(tuple(c.rgb), c.proportion) for c in theirs]


def against_colorgram(images: Iterable[str | os.PathLike], number_of_colors: int = N_COLORS, *, repeat: int = 3) -> Any:
    """Per cover: pixels, seconds for `extract` and for colorgram.py on the same decoded image (best of `repeat`;
    colorgram.py once, it takes a second; three significant digits), the speed-up (a whole number) and whether
    the palettes are identical. A DataFrame."""
    import pandas as pd

    try:
        import colorgram
    except ImportError:  # colorgram.py is a dev dependency
        colorgram = None
    rows = []
    for path in images:
        with Image.open(path) as im:
            image = im.convert("RGB")
        extract(image, number_of_colors)  # warm: the first call builds the bin table and loads the kernel
        ours = best_of(lambda image=image: extract(image, number_of_colors), repeat)
        row = {"cover": os.fspath(path), "pixels": image.width * image.height, "bcanalysis s": _significant(ours)}
        if colorgram is not None:
            start = time.perf_counter()
            theirs = colorgram.extract(image, number_of_colors)
            seconds = time.perf_counter() - start
            row["colorgram.py s"] = _significant(seconds)
            row["speed-up"] = round(seconds / ours)  # from the unrounded times; one run holds no more digits
            row["identical"] = same_palette(extract(image, number_of_colors), theirs)
        rows.append(row)
    return pd.DataFrame(rows)
