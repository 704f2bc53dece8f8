"""Palettes in the corpus: which covers still need one, storing them a batch per transaction, and covers whose
extraction failed (kept apart from covers that failed to download, so they can be tried again)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


class PalettesMixin:
    """`Corpus` methods for palettes."""

    def covers_without_palette(self) -> list[tuple[int, Path]]:
        """(album id, cover path) of every album with a good cover and no palette yet."""
        rows = self._db.execute(
            "SELECT id, cover_file FROM albums WHERE cover_status = 'ok'"
            " AND NOT EXISTS (SELECT 1 FROM palettes p WHERE p.album_id = albums.id) ORDER BY id"
        ).fetchall()
        return [(r["id"], self.cover_path(r["cover_file"])) for r in rows]

    def save_palettes(self, palettes: Iterable[tuple[int, Sequence[Any]]], extractor_version: str) -> int:
        """Store palettes [(album id, colours with .rgb and .proportion)] in one transaction; returns the count."""
        n = 0
        with self.transaction() as db:
            for album_id, colors in palettes:
                db.execute("DELETE FROM palettes WHERE album_id = ?", (album_id,))
                db.executemany(
                    "INSERT INTO palettes (album_id, rank, r, g, b, proportion, extractor_version)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(album_id, i, *map(int, c.rgb), float(c.proportion), extractor_version)
                     for i, c in enumerate(colors)],
                )
                n += 1
        return n

    def mark_cover_failed(self, failures: Iterable[tuple[int, str]]) -> None:
        """Record covers that could not be read [(album id, reason)] as failed, in one transaction."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE albums SET cover_status = 'failed', cover_reason = ? WHERE id = ?",
                [(reason, album_id) for album_id, reason in failures],
            )

    #: How the reason of a cover that failed palette extraction (not download) begins.
    PALETTE_FAILED = "palette extraction failed"

    def mark_palette_failed(self, failures: Iterable[tuple[int, str]]) -> None:
        """Record covers whose palette extraction failed [(album id, reason)]: cover_status 'failed', the reason
        prefixed with PALETTE_FAILED so that `reset_palette_failures` finds them again."""
        self.mark_cover_failed([(album_id, f"{self.PALETTE_FAILED}: {reason}") for album_id, reason in failures])

    def reset_palette_failures(self) -> int:
        """Give every cover whose palette extraction failed another try (status back to 'ok'); returns how many.

        Covers that failed to download are left alone: they have no file to read."""
        with self.transaction() as db:
            cur = db.execute(
                "UPDATE albums SET cover_status = 'ok', cover_reason = NULL WHERE cover_status = 'failed'"
                " AND cover_file IS NOT NULL AND substr(cover_reason, 1, ?) = ?",
                (len(self.PALETTE_FAILED), self.PALETTE_FAILED),
            )
        return cur.rowcount
