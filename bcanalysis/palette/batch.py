"""Palettes for many images at once: in parallel on any executor, with a progress bar, errors as records."""

from __future__ import annotations

import concurrent.futures as cf
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from bcanalysis.palette.engine import Color, ImageLike, _check_count, _colors, _rows


@dataclass(frozen=True)
class Extraction:
    """The outcome for one input of `extract_many`: its colours, or the reason it has none."""

    source: str
    colors: list[Color] | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def describe(item: Any, index: int) -> str:
    """A short human name for an input: its path, or what kind of object it was and where in the batch."""
    if isinstance(item, (str, os.PathLike)):
        return os.fspath(item)
    if isinstance(item, (bytes, bytearray)):
        return f"<bytes #{index}: {len(item)} bytes>"
    if isinstance(item, Image.Image):
        return f"<{item.mode} image #{index}: {item.width}x{item.height}>"
    return f"<{type(item).__name__} #{index}>"


def _extract_batch(items: Sequence[Any], number_of_colors: int) -> list[tuple[list | None, str | None]]:
    """Worker: palettes as plain (r, g, b, count) rows, or an error message; never raises for one bad input."""
    out: list[tuple[list | None, str | None]] = []
    for item in items:
        try:
            out.append((_rows(item, number_of_colors), None))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a record, the batch goes on
            out.append((None, f"{type(exc).__name__}: {exc}"))
    return out


def _resolve_executor(executor: Any) -> cf.Executor:
    # A dask.distributed.Client is not itself a concurrent.futures.Executor, but hands one out.
    if not isinstance(executor, cf.Executor) and hasattr(executor, "get_executor"):
        return executor.get_executor()
    if not isinstance(executor, cf.Executor):
        raise TypeError(f"executor must be a concurrent.futures.Executor or a dask Client, got {executor!r}")
    return executor


def extract_many(
    images: Iterable[ImageLike],
    number_of_colors: int = 40,
    executor: cf.Executor | Any | None = None,
    progress: bool = True,
    *,
    workers: int | None = None,
    chunksize: int = 16,
) -> list[Extraction]:
    """Palettes for many images (paths, bytes or PIL images), in input order, in parallel.

    By default a process pool over all cores (or `workers`); pass any `concurrent.futures.Executor` (or a
    `dask.distributed.Client`) to run elsewhere. A bad input gives an `Extraction` with `.error`, never an exception.
    """
    number_of_colors = _check_count(number_of_colors)
    items = list(images)
    names = [describe(item, i) for i, item in enumerate(items)]
    batches = [range(i, min(i + chunksize, len(items))) for i in range(0, len(items), chunksize)]
    results: list[Any] = [None] * len(items)
    own_pool = None
    if executor is None and len(batches) > 1 and (workers or os.cpu_count() or 1) > 1:
        own_pool = executor = cf.ProcessPoolExecutor(max_workers=workers or os.cpu_count())
    bar = _progress_bar(len(items), progress)
    try:
        if executor is None:
            for batch in batches:
                _store(results, batch, _extract_batch([items[i] for i in batch], number_of_colors), bar)
        else:
            pool = _resolve_executor(executor)
            window = 4 * (workers or os.cpu_count() or 1)
            pending: dict[cf.Future, range] = {}
            todo = iter(batches)
            while True:
                for batch in todo:
                    pending[pool.submit(_extract_batch, [items[i] for i in batch], number_of_colors)] = batch
                    if len(pending) >= window:
                        break
                if not pending:
                    break
                done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    batch = pending.pop(fut)
                    try:
                        rows = fut.result()
                    except Exception as exc:  # noqa: BLE001 - a dead worker fails its batch, not the run
                        rows = [(None, f"{type(exc).__name__}: {exc}")] * len(batch)
                    _store(results, batch, rows, bar)
    finally:
        bar.close()
        if own_pool is not None:
            own_pool.shutdown(cancel_futures=True)
    return [
        Extraction(name, _colors(rows) if error is None else None, error)
        for name, (rows, error) in zip(names, results, strict=True)
    ]


def _store(results: list, batch: range, rows: list, bar: Any) -> None:
    for i, row in zip(batch, rows, strict=True):
        results[i] = row
    bar.update(len(batch))


def _progress_bar(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="img", desc="palettes", disable=not enabled)


IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff"})


def find_images(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Expand files and folders (recursively, by image file suffix) into a sorted list of image paths."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in IMAGE_SUFFIXES))
        elif p.exists():
            found.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return found
