"""The palettes job: a palette for every good cover in a corpus that has none yet, resumable, in parallel.

Nothing is lost on a crash: palettes are committed `batch` covers at a time and a rerun continues with the covers
still without one. A worker killed mid-run (the OOM killer) costs a retry of the covers it held, not their palettes.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import shlex
import stat
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bcanalysis.checks import check_scalar
from bcanalysis.defaults import N_COLORS
from bcanalysis.executors import is_dask_client
from bcanalysis.palette.batch import CHUNKSIZE, WorkerPool, extract_many
from bcanalysis.palette.engine import (
    DEFAULT_MAX_PIXELS,
    EXTRACTOR_VERSION,
    NotARegularFile,
    check_count,
    check_max_pixels,
    file_kind,
)

if TYPE_CHECKING:
    from bcanalysis.store import Corpus


@dataclass
class PaletteSummary:
    """What a palettes run did: palettes stored, covers failed (and why), cover files missing, workers lost."""

    done: int = 0
    failed: int = 0
    seconds: float = 0.0
    reasons: Counter = field(default_factory=Counter)
    #: Covers marked 'ok' whose file is not on disk: skipped, not failed; the next scrape of the corpus fetches them.
    missing: int = 0
    #: Covers that had failed extraction before and were tried again (`retry_failed`).
    retried_failed: int = 0
    #: Times a worker process died (killed for memory, a crashing decoder), and covers then tried again alone.
    worker_deaths: int = 0
    retried_alone: int = 0
    db: str | None = None

    def report(self) -> str:
        """A few human lines for the end of a run."""
        rate = self.done / self.seconds if self.seconds else 0.0
        lines = [f"palettes: {self.done} extracted, {self.failed} covers failed ({self.seconds:.1f} s, {rate:.0f}/s)"]
        if self.retried_failed:
            lines.append(f"  retried: {self.retried_failed} covers that had failed before (--retry-failed)")
        lines += [f"  failed: {n} × {r}" for r, n in self.reasons.most_common()]
        if self.worker_deaths:
            lines.append(
                f"  worker processes died {self.worker_deaths} time(s) (killed for memory?); the {self.retried_alone}"
                " covers they held were extracted again one at a time"
            )
        if self.missing:
            db = shlex.quote(self.db) if self.db else "DB"
            lines.append(
                f"  missing: {self.missing} cover file(s) are not on disk: skipped, not failed; the next "
                f"`bcanalysis scrape --db {db} …` (the command that built this corpus) fetches them again"
            )
        return "\n".join(lines)


def extract_palettes(
    corpus: Corpus,
    *,
    n_jobs: int | None = None,
    executor: cf.Executor | Any | None = None,
    number_of_colors: int = N_COLORS,
    batch: int = 256,
    progress: bool = True,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    retry_failed: bool = False,
) -> PaletteSummary:
    """Extract palettes for every good cover without one, `batch` covers per transaction; resumable.

    Runs on a process pool of `n_jobs` processes (default: all cores) or on `executor` (any
    `concurrent.futures.Executor`, or a `dask.distributed.Client`: its workers are sent the cover bytes, so they need
    no access to the covers folder).
    A cover that cannot be decoded, or is over `max_pixels`, is marked failed with the reason; `retry_failed` first
    gives the covers that failed extraction before another try. A cover file missing on disk is skipped and counted.
    """
    number_of_colors = check_count(number_of_colors)
    max_pixels = check_max_pixels(max_pixels)
    batch = check_scalar(batch, "batch", int, low=1)
    from tqdm.auto import tqdm

    summary = PaletteSummary(db=str(corpus.path))
    start = time.monotonic()
    if retry_failed:
        summary.retried_failed = corpus.reset_palette_failures()
    todo, not_files = [], []
    for album_id, path in corpus.covers_without_palette():
        kind = _cover_kind(path)
        if kind is None:
            summary.missing += 1
        elif kind == "file":
            todo.append((album_id, path))
        else:
            not_files.append((album_id, f"{NotARegularFile.__name__}: {path} is not a regular file ({kind})"))
    _record(corpus, [], not_files, summary)
    send_bytes = is_dask_client(executor)  # workers may be on other machines: send the bytes, not the path
    pool = WorkerPool.when_worth_it(executor, n_jobs, -(-len(todo) // CHUNKSIZE))
    try:
        with tqdm(total=len(todo), unit="cover", desc="palettes", disable=not progress) as bar:
            for i in range(0, len(todo), batch):
                chunk = todo[i : i + batch]
                inputs = [_read(p) if send_bytes else str(p) for _, p in chunk]
                results = extract_many(
                    inputs, number_of_colors, pool, progress=False, n_jobs=n_jobs, max_pixels=max_pixels
                )
                good = [(aid, r.colors) for (aid, _), r in zip(chunk, results, strict=True) if r.ok]
                bad = [(aid, r.error) for (aid, _), r in zip(chunk, results, strict=True) if not r.ok]
                _record(corpus, good, bad, summary)
                bar.update(len(chunk))
    finally:
        if pool is not None:
            pool.close()
            summary.worker_deaths, summary.retried_alone = pool.deaths, pool.retried
    summary.seconds = time.monotonic() - start
    return summary


def _cover_kind(path: Path | None) -> str | None:
    """'file' for a regular file, None if there is nothing at `path`, else what is there instead ('a FIFO', …)."""
    try:
        mode = os.stat(path).st_mode if path is not None else None
    except OSError:
        return None
    if mode is None:
        return None
    return "file" if stat.S_ISREG(mode) else file_kind(mode)


def _read(path: Path) -> bytes | str:
    """The cover's bytes (for workers on other machines); the path itself if it cannot be read, so the worker's
    error names it."""
    try:
        return path.read_bytes()
    except OSError:
        return str(path)


def _record(corpus: Corpus, good: list, bad: list[tuple[int, str]], summary: PaletteSummary) -> None:
    """Store palettes and failures (one transaction each) and count them."""
    if good:
        corpus.save_palettes(good, EXTRACTOR_VERSION)
    if bad:
        corpus.mark_palette_failed(bad)
    summary.done += len(good)
    summary.failed += len(bad)
    summary.reasons.update(error.split(":", 1)[0] for _, error in bad)
