"""What an import run did, and the two ways it ends early: unusable input (`ImportInputError`, before anything is
stored) and a failure while storing (`ImportStopped`, e.g. a full disk: what was stored before stays)."""

from __future__ import annotations

from dataclasses import dataclass, field


class ImportInputError(ValueError):
    """The import cannot start: the folder or the metadata file is unusable (the message says why)."""


class ImportStopped(RuntimeError):
    """The import stopped part-way, e.g. the disk is full; every picture stored before it is kept."""


@dataclass
class Problem:
    """One thing the import could not use: the file (or metadata row) and why."""

    file: str
    reason: str


@dataclass
class ImportSummary:
    """What an import run did: albums added / updated / unchanged, duplicates, and every problem with its reason."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (file, the file it duplicates)
    failed: list[Problem] = field(default_factory=list)  # images that are not usable covers
    not_read: list[Problem] = field(default_factory=list)  # folders, links and files the walk could not or may not read
    bad_rows: list[Problem] = field(default_factory=list)  # metadata rows that could not be read at all
    rows_without_file: list[Problem] = field(default_factory=list)  # metadata rows naming no usable image
    images_without_row: list[str] = field(default_factory=list)
    bad_values: list[Problem] = field(default_factory=list)  # a field ignored (e.g. an unreadable date)
    names_not_utf8: list[str] = field(default_factory=list)  # file names shown and stored with \xNN escapes
    parts_removed: int = 0  # unfinished cover copies of interrupted imports, removed
    stored_meanwhile: int = 0  # new pictures another import running at the same time stored first

    def problems(self) -> list[Problem]:
        """Everything this run could not use, for `Corpus.failures()`: images, folders and links, rows."""
        return self.failed + self.not_read + self.bad_rows + self.rows_without_file

    def report(self, limit: int = 10) -> str:
        """A few human lines for the end of a run; long lists are cut to `limit` examples."""
        lines = [
            f"albums: {self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.failed)} images failed, {len(self.duplicates)} duplicates"
        ]
        if self.stored_meanwhile:
            lines.append(
                f"{self.stored_meanwhile} new pictures were stored first by another import running at the "
                "same time (counted as updated or unchanged)"
            )
        if self.parts_removed:
            lines.append(f"removed {self.parts_removed} unfinished cover copies left by interrupted imports")

        def section(title: str, items: list[str]) -> None:
            if items:
                lines.append(f"{title} ({len(items)}):")
                lines.extend(f"  {item}" for item in items[:limit])
                if len(items) > limit:
                    lines.append(f"  … and {len(items) - limit} more")

        section("failed images", [f"{p.file}: {p.reason}" for p in self.failed])
        section("not read", [f"{p.file}: {p.reason}" for p in self.not_read])
        section("duplicates (one album each)", [f"{a} is the same picture as {b}" for a, b in self.duplicates])
        section("file names that are not UTF-8 (kept, their other bytes written \\xNN)", self.names_not_utf8)
        section("metadata rows not read", [f"{p.file}: {p.reason}" for p in self.bad_rows])
        section("metadata rows without an image", [f"{p.file}: {p.reason}" for p in self.rows_without_file])
        section("images without a metadata row (title from the file name)", self.images_without_row)
        section("values ignored", [f"{p.file}: {p.reason}" for p in self.bad_values])
        return "\n".join(lines)
