"""Palettes in the corpus: which covers still need one, storing them a batch per transaction, reading them all
as arrays (`PaletteArrays`: a million palettes in seconds, no Python object per colour), and covers whose
extraction failed (kept apart from covers that failed to download, so they can be tried again)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class PaletteArrays(Sequence):
    """Many palettes as flat arrays: palette i is `rgb[offsets[i]:offsets[i + 1]]` (uint8 r, g, b in colorgram
    order) with `proportions` (float64) alike, for album `album_ids[i]`.

    A sequence of palettes too (`arrays[i]` is an (n, 4) array of r, g, b, proportion), so it goes wherever a list
    of palettes goes; `ColorTopics.fit`, `topics.sweep` and `model.transform` read the arrays directly."""

    album_ids: np.ndarray
    offsets: np.ndarray
    rgb: np.ndarray
    proportions: np.ndarray

    def __len__(self) -> int:
        return len(self.album_ids)

    def __getitem__(self, i: int) -> np.ndarray:  # type: ignore[override]
        if not -len(self) <= i < len(self):
            raise IndexError(f"palette {i} of {len(self)}")
        a, b = self.offsets[i], self.offsets[i + 1]
        return np.column_stack([self.rgb[a:b].astype(np.float64), self.proportions[a:b]])

    def __iter__(self) -> Iterator[np.ndarray]:
        return (self[i] for i in range(len(self)))

    @property
    def lengths(self) -> np.ndarray:
        """Colours in each palette."""
        return np.diff(self.offsets)

    def take(self, positions: np.ndarray) -> PaletteArrays:
        """The palettes at these positions, in this order."""
        positions = np.asarray(positions, dtype=np.int64)
        lengths = self.lengths[positions]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        flat = np.repeat(self.offsets[positions] - offsets[:-1], lengths) + np.arange(offsets[-1])
        return PaletteArrays(self.album_ids[positions], offsets, self.rgb[flat], self.proportions[flat])

    def aligned(self, album_ids: Iterable[int]) -> tuple[np.ndarray, PaletteArrays]:
        """(the given album ids that have a palette, in the given order; their palettes)."""
        wanted = np.asarray(list(album_ids), dtype=np.int64)
        if not len(self):
            return wanted[:0], self
        order = np.argsort(self.album_ids, kind="stable")
        ids = self.album_ids[order]
        at = np.clip(np.searchsorted(ids, wanted), 0, len(self) - 1)
        found = ids[at] == wanted
        return wanted[found], self.take(order[at[found]])


class PalettesMixin:
    """`Corpus` methods for palettes."""

    def covers_without_palette(self) -> list[tuple[int, Path]]:
        """(album id, cover path) of every album with a good cover and no palette yet."""
        rows = self._db.execute(
            "SELECT id, cover_file FROM albums WHERE cover_status = 'ok'"
            " AND NOT EXISTS (SELECT 1 FROM palette_arrays p WHERE p.album_id = albums.id) ORDER BY id"
        ).fetchall()
        return [(r["id"], self.cover_path(r["cover_file"])) for r in rows]

    def save_palettes(self, palettes: Iterable[tuple[int, Sequence[Any]]], extractor_version: str) -> int:
        """Store palettes [(album id, colours with .rgb and .proportion)] in one transaction (a palette stored
        again replaces the old one, and one an upgrade left out as damaged is no longer a problem); returns the
        count."""
        rows = []
        for album_id, colors in palettes:
            rgb = np.asarray([tuple(map(int, c.rgb)) for c in colors], dtype=np.int64).reshape(-1, 3)
            if ((rgb < 0) | (rgb > 255)).any():
                raise ValueError(f"palette of album {album_id}: colour channels must be 0..255")
            props = np.asarray([float(c.proportion) for c in colors], dtype="<f8")
            rows.append((album_id, len(rgb), rgb.astype(np.uint8).tobytes(), props.tobytes(), extractor_version))
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO palette_arrays VALUES (?, ?, ?, ?, ?)", rows)
            db.executemany("DELETE FROM palette_problems WHERE album_id = ?", [(r[0],) for r in rows])
        return len(rows)

    def save_palette_arrays(self, arrays: PaletteArrays, extractor_version: str) -> int:
        """Store many palettes at once from arrays (a bulk load, e.g. of planted palettes); returns the count."""
        rgb, props = np.ascontiguousarray(arrays.rgb, np.uint8), np.ascontiguousarray(arrays.proportions, "<f8")
        o = arrays.offsets
        rows = (
            (
                int(a),
                int(o[i + 1] - o[i]),
                rgb[o[i] : o[i + 1]].tobytes(),
                props[o[i] : o[i + 1]].tobytes(),
                extractor_version,
            )
            for i, a in enumerate(arrays.album_ids)
        )
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO palette_arrays VALUES (?, ?, ?, ?, ?)", rows)
            db.executemany("DELETE FROM palette_problems WHERE album_id = ?", [(int(a),) for a in arrays.album_ids])
        return len(arrays)

    def palette_arrays(self, *, batch: int = 100_000) -> PaletteArrays:
        """Every stored palette as arrays, by album id: the fast way into `ColorTopics.fit` and `topics.sweep` (a
        million palettes in seconds and a few hundred MB; `albums()` builds a Python tuple per colour)."""
        albums, colours = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(n), 0) FROM palette_arrays WHERE n > 0"
        ).fetchone()
        ids, offsets = np.empty(albums, np.int64), np.zeros(albums + 1, np.int64)
        rgb, props = np.empty((colours, 3), np.uint8), np.empty(colours, np.float64)
        cur = self._db.execute("SELECT album_id, n, rgb, proportions FROM palette_arrays WHERE n > 0 ORDER BY album_id")
        i = at = 0
        while chunk := cur.fetchmany(batch):  # filled in place, a chunk at a time: memory is the arrays themselves
            a, n, c, p = zip(*chunk, strict=True)
            k, m = len(a), int(sum(n))
            if i + k > albums or at + m > colours:
                raise RuntimeError("the corpus changed while its palettes were read; read them again")
            ids[i : i + k] = a
            offsets[i + 1 : i + k + 1] = at + np.cumsum(n)
            rgb[at : at + m] = np.frombuffer(b"".join(c), np.uint8).reshape(-1, 3)
            props[at : at + m] = np.frombuffer(b"".join(p), "<f8")
            i, at = i + k, at + m
        return PaletteArrays(ids[:i], offsets[: i + 1], rgb[:at], props[:at])

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
