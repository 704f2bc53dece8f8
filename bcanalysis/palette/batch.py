"""Palettes for many images at once: in parallel on any executor, with a progress bar, errors as records.

A worker process that dies (the OOM killer's SIGKILL, a crash inside a decoder) loses nothing: its pool is replaced
and the images it held are tried again one at a time, so only an image that kills its worker on its own is reported,
as a `WorkerDied` error.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from bcanalysis.checks import check_scalar
from bcanalysis.defaults import N_COLORS
from bcanalysis.executors import check_executor, is_dask_client
from bcanalysis.palette.engine import (
    DEFAULT_MAX_PIXELS,
    Color,
    ImageLike,
    bin_table,
    check_count,
    check_max_pixels,
    colors_from_rows,
    file_kind,
    numba_kernel,
    palette_rows,
)


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


def _extract_batch(
    items: Sequence[Any], number_of_colors: int, max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> list[tuple[list | None, str | None]]:
    """Worker: palettes as plain (r, g, b, count) rows, or an error message; never raises for one bad input."""
    out: list[tuple[list | None, str | None]] = []
    for item in items:
        try:
            out.append((palette_rows(item, number_of_colors, max_pixels), None))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a record, the batch goes on
            out.append((None, _error(exc)))
    return out


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _resolve_executor(executor: Any) -> cf.Executor:
    # A dask Client hands out an Executor. Impure tasks: a retry of the same input must run again, not be answered
    # with the remembered failure of the first try.
    executor = check_executor(executor)
    return executor.get_executor(pure=False) if is_dask_client(executor) else executor


def _worker_died(exc: BaseException) -> bool:
    """A pool broken by a dead worker (concurrent.futures), or a task whose workers kept dying (dask)."""
    return isinstance(exc, cf.BrokenExecutor) or type(exc).__name__ == "KilledWorker"


def resolve_n_jobs(n_jobs: int | None) -> int:
    """Processes to use: `n_jobs`, or every core for None or -1 (as joblib and `topics.sweep` read it)."""
    if n_jobs is None or n_jobs == -1:
        return os.cpu_count() or 1
    return check_scalar(n_jobs, "n_jobs (None or -1: every core)", int, low=1)


class WorkerPool:
    """Where `extract_many` runs: a process pool of its own, replaced whenever a worker dies, or a given executor.

    Pass one to several `extract_many` calls to start the workers once (`extract_palettes` does). With no executor
    it owns a `ProcessPoolExecutor` of `n_jobs` processes (default: all cores). A given process pool that breaks
    is not ours to mend: the work goes on in a pool of our own. `deaths` counts the times workers died, `retried`
    the inputs tried again alone because of it.
    """

    def __init__(self, executor: cf.Executor | Any | None = None, *, n_jobs: int | None = None):
        if n_jobs is None and is_dask_client(executor):  # keep every thread of the cluster busy
            n_jobs = sum(executor.nthreads().values()) or None
        self.n_jobs = resolve_n_jobs(n_jobs)
        self._given = None if executor is None else _resolve_executor(executor)
        self._own: cf.ProcessPoolExecutor | None = None
        self.generation = 0
        self.deaths = 0
        self.retried = 0

    @property
    def executor(self) -> cf.Executor:
        if self._given is not None:
            return self._given
        if self._own is None:
            _warm_before_fork()
            self._own = cf.ProcessPoolExecutor(max_workers=self.n_jobs)
        return self._own

    def submit(self, fn: Callable, *args: Any) -> tuple[cf.Future, int]:
        """Submit `fn(*args)`; returns the future and the pool generation it runs in."""
        try:
            return self.executor.submit(fn, *args), self.generation
        except cf.BrokenExecutor:  # it broke since we last looked
            self.replace(self.generation)
            return self.executor.submit(fn, *args), self.generation

    def replace(self, generation: int) -> None:
        """A worker of pool `generation` died: replace that pool (once, however many of its futures report it)."""
        if generation != self.generation:
            return
        self.generation += 1
        self.deaths += 1
        if self._own is not None:
            self._own.shutdown(wait=False, cancel_futures=True)
            self._own = None
        elif isinstance(self._given, cf.ProcessPoolExecutor):
            self._given = None  # a broken pool stays broken: go on in one of our own
        # A dask cluster replaces its own workers: nothing to do.

    def close(self) -> None:
        """Shut down the pool of our own, if any (a given executor is left running)."""
        if self._own is not None:
            self._own.shutdown(cancel_futures=True)
            self._own = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def when_worth_it(cls, executor: Any, n_jobs: int | None, n_batches: int) -> WorkerPool | None:
        """A pool when one pays: an executor was given, or several batches and more than one process to run them
        on; None means run in this process (no pool to start)."""
        if executor is not None or (n_batches > 1 and resolve_n_jobs(n_jobs) > 1):
            return cls(executor, n_jobs=n_jobs)
        return None


def _warm_before_fork() -> None:
    """Build the bin table and load the kernel once in this process, so forked workers start with both."""
    if multiprocessing.get_start_method() == "fork":
        bin_table()
        numba_kernel()


#: Images a worker takes at a time.
CHUNKSIZE = 16


def extract_many(
    images: Iterable[ImageLike],
    number_of_colors: int = N_COLORS,
    executor: cf.Executor | WorkerPool | Any | None = None,
    progress: bool = True,
    *,
    n_jobs: int | None = None,
    chunksize: int = CHUNKSIZE,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
) -> list[Extraction]:
    """Palettes for many images (paths, bytes or PIL images), in input order, in parallel.

    By default a process pool over all cores (or `n_jobs` processes); pass any `concurrent.futures.Executor`, a
    `dask.distributed.Client` or a `WorkerPool` to run elsewhere. A bad input gives an `Extraction` with `.error`,
    never an exception; so does a file or bytes over `max_pixels` pixels (refused before decoding). When a worker
    process dies, the images it held are tried again one at a time; only one that kills its worker alone fails.
    """
    number_of_colors = check_count(number_of_colors)
    max_pixels = check_max_pixels(max_pixels)
    items = list(images)
    names = [describe(item, i) for i, item in enumerate(items)]
    batches = [range(i, min(i + chunksize, len(items))) for i in range(0, len(items), chunksize)]
    results: list[Any] = [None] * len(items)
    own = None if isinstance(executor, WorkerPool) else WorkerPool.when_worth_it(executor, n_jobs, len(batches))
    pool = executor if isinstance(executor, WorkerPool) else own
    bar = _progress_bar(len(items), progress)
    try:
        if pool is None:
            for batch in batches:
                _store(results, batch, _extract_batch([items[i] for i in batch], number_of_colors, max_pixels), bar)
        else:
            _run(pool, items, batches, (number_of_colors, max_pixels), results, bar)
    finally:
        bar.close()
        if own is not None:
            own.close()
    return [
        Extraction(name, colors_from_rows(rows) if error is None else None, error)
        for name, (rows, error) in zip(names, results, strict=True)
    ]


def _run(pool: WorkerPool, items: list, batches: list[range], args: tuple, results: list, bar: Any) -> None:
    """Run every batch on `pool`, a bounded number at a time; inputs whose worker died are then tried alone."""
    window = 4 * pool.n_jobs
    pending: dict[cf.Future, tuple[range, int]] = {}
    alone: list[int] = []
    todo = iter(batches)
    while True:
        for batch in todo:
            fut, generation = pool.submit(_extract_batch, [items[i] for i in batch], *args)
            pending[fut] = (batch, generation)
            if len(pending) >= window:
                break
        if not pending:
            break
        done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        for fut in done:
            batch, generation = pending.pop(fut)
            try:
                rows = fut.result()
            except Exception as exc:  # noqa: BLE001 - a failed batch is recorded or retried, never fatal
                if _worker_died(exc):
                    pool.replace(generation)
                    alone.extend(batch)
                    continue
                rows = [(None, _error(exc))] * len(batch)
            _store(results, batch, rows, bar)
    for i in alone:  # one at a time, so a worker that dies now died of this input
        pool.retried += 1
        fut, generation = pool.submit(_extract_batch, [items[i]], *args)
        try:
            rows = fut.result()
        except Exception as exc:  # noqa: BLE001
            if _worker_died(exc):
                pool.replace(generation)
                rows = [
                    (
                        None,
                        f"WorkerDied: the worker process died while extracting this image alone "
                        f"({_error(exc)}); killed for memory, or a decoder crashed",
                    )
                ]
            else:
                rows = [(None, _error(exc))]
        _store(results, range(i, i + 1), rows, bar)


def _store(results: list, batch: range, rows: list, bar: Any) -> None:
    for i, row in zip(batch, rows, strict=True):
        results[i] = row
    bar.update(len(batch))


def _progress_bar(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="img", desc="palettes", disable=not enabled)


IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff"})


def find_images(
    paths: Iterable[str | os.PathLike], *, skipped: Callable[[Path, str], None] | None = None
) -> list[Path]:
    """Expand files and folders (recursively, by image file suffix) into a sorted list of image paths.

    Anything that is not a regular file (a FIFO, socket or device, which would block or never end) is left out and
    reported to `skipped(path, why)`. A path that does not exist raises FileNotFoundError.
    """
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for q in sorted(q for q in p.rglob("*") if q.suffix.lower() in IMAGE_SUFFIXES and not q.is_dir()):
                _keep_regular(q, found, skipped)
        elif p.exists():
            _keep_regular(p, found, skipped)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return found


def _keep_regular(path: Path, found: list[Path], skipped: Callable[[Path, str], None] | None) -> None:
    mode = path.stat().st_mode if path.exists() else 0
    if stat.S_ISREG(mode):
        found.append(path)
    elif skipped is not None:
        kind = file_kind(mode) if mode else "a broken link"
        skipped(path, f"not a regular file ({kind})")
