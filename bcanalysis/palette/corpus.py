"""The palettes job: a palette for every good cover in a corpus that has none yet, resumable, in parallel."""

from __future__ import annotations

import concurrent.futures as cf
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bcanalysis.palette.batch import extract_many
from bcanalysis.palette.engine import EXTRACTOR_VERSION

if TYPE_CHECKING:
    from bcanalysis.store import Corpus


@dataclass
class PaletteSummary:
    """What a palettes run did: palettes stored, covers that failed to decode, pixels and time."""

    done: int = 0
    failed: int = 0
    seconds: float = 0.0
    reasons: Counter = field(default_factory=Counter)

    def report(self) -> str:
        rate = self.done / self.seconds if self.seconds else 0.0
        out = f"palettes: {self.done} extracted, {self.failed} covers failed ({self.seconds:.1f} s, {rate:.0f}/s)"
        return "\n".join([out, *(f"  failed: {n} × {r}" for r, n in self.reasons.most_common())])


def extract_palettes(
    corpus: Corpus,
    *,
    workers: int | None = None,
    executor: cf.Executor | None = None,
    number_of_colors: int = 40,
    batch: int = 256,
    progress: bool = True,
) -> PaletteSummary:
    """Extract palettes for every good cover without one, `batch` covers per transaction; resumable."""
    from tqdm.auto import tqdm

    todo = corpus.covers_without_palette()
    summary = PaletteSummary()
    start = time.monotonic()
    own = None
    if executor is None and len(todo) > 16 and (workers or os.cpu_count() or 1) > 1:
        own = executor = cf.ProcessPoolExecutor(max_workers=workers or os.cpu_count())
    try:
        with tqdm(total=len(todo), unit="cover", desc="palettes", disable=not progress) as bar:
            for i in range(0, len(todo), batch):
                chunk = todo[i : i + batch]
                results = extract_many([str(p) for _, p in chunk], number_of_colors, executor, progress=False,
                                       workers=workers)
                good = [(aid, r.colors) for (aid, _), r in zip(chunk, results, strict=True) if r.ok]
                bad = [(aid, f"palette extraction failed: {r.error}") for (aid, _), r in
                       zip(chunk, results, strict=True) if not r.ok]
                corpus.save_palettes(good, EXTRACTOR_VERSION)
                if bad:
                    corpus.mark_cover_failed(bad)
                summary.done += len(good)
                summary.failed += len(bad)
                summary.reasons.update(r.split(":", 2)[1].strip() for _, r in bad)
                bar.update(len(chunk))
    finally:
        if own is not None:
            own.shutdown(cancel_futures=True)
    summary.seconds = time.monotonic() - start
    return summary
