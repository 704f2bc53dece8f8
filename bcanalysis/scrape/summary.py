"""What a scrape run did (`ScrapeSummary`), and the two ways it stops short of its work."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bcanalysis.bandcamp import BandcampError


def reason_kind(reason: str) -> str:
    """A failure reason without the quoted values in it, so like failures count together in the summary."""
    out, quote = [], None
    for ch in reason[:300]:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
            out.append("…")
        else:
            out.append(ch)
    return "".join(out)


class UnknownTag(BandcampError):
    """The discover API lists nothing at all under a tag."""


class ScrapeAborted(BandcampError):
    """The source stopped answering (repeated connection failures); rerun the same command to resume."""


@dataclass
class ScrapeSummary:
    """What a scrape run did: albums new / already had / failed (with reasons), covers, pages, requests, notes."""

    listed: dict[str, int] = field(default_factory=dict)
    new: int = 0
    already_had: int = 0
    failed: Counter = field(default_factory=Counter)  # albums that failed for the first time this run: reason → count
    known_failures: set = field(default_factory=set)  # item ids listed as failed before this run (these tags)
    failed_ids: set = field(default_factory=set)  # item ids that failed this run, each counted once
    partial: Counter = field(default_factory=Counter)  # new albums stored with a field unreadable: reason → count
    covers: Counter = field(default_factory=Counter)
    refetched: Counter = field(default_factory=Counter)  # covers missing on disk, fetched again: status → count
    skipped_tracks: int = 0
    parts_removed: int = 0  # unfinished cover files of killed runs removed at the start
    unusable: Counter = field(default_factory=Counter)  # discover results without a usable item id: reason → count
    pages: Counter = field(default_factory=Counter)  # album pages read: 'ok' or why not → count
    page_stop: str | None = None  # why the page phase stopped early, if it did
    notes: list[str] = field(default_factory=list)
    discover_errors: list[str] = field(default_factory=list)
    requests: int = 0  # site requests (discover API, album pages), retries and redirects included
    image_requests: int = 0
    seconds: float = 0.0

    def add_failure(self, item_id: int, reason: str) -> bool:
        """Count an album that could not be used, once per run however often it is listed, and only if no earlier
        run had already failed it; True if it counted as a new failure."""
        if item_id in self.failed_ids:
            return False
        self.failed_ids.add(item_id)
        if item_id in self.known_failures:
            return False
        self.failed[reason_kind(reason)] += 1
        return True

    @property
    def new_failures(self) -> int:
        """Albums that failed for the first time in this run."""
        return sum(self.failed.values())

    def report(self) -> str:
        """A few human lines for the end of a run."""
        rate = self.new / self.seconds * 60 if self.seconds else 0.0
        known = len(self.known_failures)
        lines = [
            f"albums: {self.new} new, {self.already_had} already had, {self.new_failures} failed"
            f"  ({self.requests} site + {self.image_requests} image requests in {self.seconds:.1f} s,"
            f" {rate:.0f} new albums/min)",
            "listed: " + ", ".join(f"{t} {n}" for t, n in self.listed.items()),
        ]
        if self.skipped_tracks:
            lines.append(f"skipped {self.skipped_tracks} single tracks (--include-tracks keeps them)")
        if self.covers:
            lines.append("covers of new albums: " + ", ".join(f"{k} {v}" for k, v in sorted(self.covers.items())))
        if self.parts_removed:
            lines.append(f"removed {self.parts_removed} unfinished cover files left by interrupted runs")
        if self.refetched:
            lines.append(
                "covers missing on disk, fetched again: "
                + ", ".join(f"{k} {v}" for k, v in sorted(self.refetched.items()))
            )
        if self.pages:
            lines.append("album pages: " + ", ".join(f"{k} {v}" for k, v in self.pages.most_common()))
        if self.new_failures or known:
            lines.append(
                f"failures: {self.new_failures} new this run, {known} known from earlier runs"
                + (" (--retry-failed tries them again)" if known else "")
            )
        lines += [f"  failed: {n} × {reason}" for reason, n in self.failed.most_common()]
        lines += [f"  stored with an unreadable field: {n} × {reason}" for reason, n in self.partial.most_common()]
        lines += [f"  unusable discover results: {n} × {reason}" for reason, n in self.unusable.most_common()]
        lines += [f"  discover: {e}" for e in self.discover_errors]
        lines += [f"  note: {n}" for n in self.notes]
        if self.page_stop:
            lines.append(f"  album pages stopped: {self.page_stop}")
        return "\n".join(lines)
