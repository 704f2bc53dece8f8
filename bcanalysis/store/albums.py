"""Albums in the corpus: storing one (from its discover data, an album page or an imported picture) with its cover
outcome and tags in one transaction, reading album pages into it, and where its cover file lives."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from bcanalysis.store.records import Cover, now
from bcanalysis.store.schema import COVER_STATUSES


class AlbumsMixin:
    """`Corpus` methods for albums, album pages, covers and imported pictures."""

    def add_album(
        self,
        album: dict[str, Any],
        cover: Cover,
        *,
        listing: tuple[str, int] | None = None,
        listings: Iterable[tuple[str, int]] = (),
    ) -> int:
        """Store an album, its page tags (if any) and cover outcome, and finish its listings: one transaction.

        An album already stored (the same discover item id, or the same canonical URL) is not duplicated: the
        listings are linked to it instead.
        """
        done = [listing, *listings] if listing is not None else list(listings)
        with self.transaction() as db:
            row = (
                album.get("item_id") is not None
                and db.execute("SELECT id FROM albums WHERE item_id = ?", (album["item_id"],)).fetchone()
            ) or db.execute("SELECT id FROM albums WHERE url = ?", (album["url"],)).fetchone()
            album_id = row[0] if row is not None else self._insert_album(db, album, cover)
            db.executemany(
                "UPDATE listings SET status = 'done', album_id = ?, reason = NULL WHERE tag = ? AND item_id = ?",
                [(album_id, *key) for key in done],
            )
        return album_id

    def _insert_album(self, db: sqlite3.Connection, album: dict[str, Any], cover: Cover) -> int:
        if cover.status not in COVER_STATUSES:
            raise ValueError(f"cover status must be one of {COVER_STATUSES}, got {cover.status!r}")
        item_id = album.get("item_id")
        if item_id is not None and db.execute("SELECT 1 FROM albums WHERE item_id = ?", (item_id,)).fetchone():
            item_id = None  # the same discover item resolved to a second canonical URL: keep the first claim
        tags = album.get("tags")
        page_status = album.get("page_status", "ok" if tags is not None else None)
        cur = db.execute(
            "INSERT INTO albums (url, store, album, title, artist, art_id, release_date, item_id, item_url,"
            " cover_status, cover_reason, cover_file, cover_size, cover_width, cover_height, scraped_at,"
            " label, location, genre_id, item_type, page_status, band_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                album["url"],
                album["store"],
                album["album"],
                album["title"],
                album["artist"],
                album.get("art_id"),
                album.get("release_date"),
                item_id,
                album.get("item_url"),
                cover.status,
                cover.reason,
                self._relative(cover.file),
                cover.size,
                cover.width,
                cover.height,
                now(),
                album.get("label"),
                album.get("location"),
                album.get("genre_id"),
                album.get("item_type"),
                page_status,
                album.get("band_id"),
            ),
        )
        album_id = cur.lastrowid
        db.executemany(
            "INSERT INTO album_tags (album_id, position, tag) VALUES (?, ?, ?)",
            [(album_id, i, t) for i, t in enumerate(tags or [])],
        )
        return album_id

    def albums_without_page(self, tags: Sequence[str], albums_per_tag: int) -> list[sqlite3.Row]:
        """Albums listed among the first `albums_per_tag` of `tags` whose page was never read: id, url, store, album,
        item_type, location, page_attempts; tag by tag in the order given, each in listing rank order."""
        out, seen = [], set()
        for tag in tags:
            for row in self._db.execute(
                "SELECT a.id, a.url, a.store, a.album, a.item_type, a.location, a.page_attempts FROM albums a"
                " JOIN listings l ON l.album_id = a.id WHERE l.tag = ? AND l.position < ? AND a.page_status IS NULL"
                " ORDER BY l.position",
                (tag, albums_per_tag),
            ):
                if row["id"] not in seen:
                    seen.add(row["id"])
                    out.append(row)
        return out

    def set_page(self, album_id: int, tags: Sequence[str], location: str | None) -> None:
        """Store an album page's tags (replacing any) and its place if the album had none: one transaction."""
        with self.transaction() as db:
            db.execute("DELETE FROM album_tags WHERE album_id = ?", (album_id,))
            db.executemany(
                "INSERT INTO album_tags (album_id, position, tag) VALUES (?, ?, ?)",
                [(album_id, i, t) for i, t in enumerate(tags)],
            )
            db.execute(
                "UPDATE albums SET page_status = 'ok', page_reason = NULL, page_attempts = page_attempts + 1,"
                " location = COALESCE(location, ?) WHERE id = ?",
                (location, album_id),
            )

    def fail_page(self, album_id: int, reason: str, *, final: bool = False, max_attempts: int | None = None) -> bool:
        """Count a failed attempt at an album page; it fails for good if `final` or at `max_attempts`. True if so."""
        with self.transaction() as db:
            db.execute(
                "UPDATE albums SET page_attempts = page_attempts + 1, page_reason = ? WHERE id = ?", (reason, album_id)
            )
            (attempts,) = db.execute("SELECT page_attempts FROM albums WHERE id = ?", (album_id,)).fetchone()
            final = final or (max_attempts is not None and attempts >= max_attempts)
            if final:
                db.execute("UPDATE albums SET page_status = 'failed' WHERE id = ?", (album_id,))
        return final

    def reset_failed(self, tags: Sequence[str]) -> None:
        """Listings and album pages of `tags` that failed for good become pending again (`--retry-failed`)."""
        marks = ",".join("?" * len(tags))
        with self.transaction() as db:
            db.execute(
                "UPDATE listings SET status = 'pending', attempts = 0, reason = NULL WHERE status = 'failed'"
                f" AND url IS NOT NULL AND tag IN ({marks})",
                tags,
            )
            db.execute(
                "UPDATE albums SET page_status = NULL, page_attempts = 0 WHERE page_status = 'failed' AND id IN"
                f" (SELECT album_id FROM listings WHERE tag IN ({marks}))",
                tags,
            )

    def covers_missing_on_disk(self) -> list[sqlite3.Row]:
        """Albums whose cover is 'ok' but whose file is gone: id, art_id, cover_size, cover_file."""
        rows = self._db.execute(
            "SELECT id, art_id, cover_size, cover_file FROM albums WHERE cover_status = 'ok' ORDER BY id"
        ).fetchall()
        return [r for r in rows if r["cover_file"] is None or not self.cover_path(r["cover_file"]).is_file()]

    def set_cover(self, album_id: int, cover: Cover) -> None:
        """Record a (re)fetched cover's outcome for an album already stored."""
        if cover.status not in COVER_STATUSES:
            raise ValueError(f"cover status must be one of {COVER_STATUSES}, got {cover.status!r}")
        with self.transaction() as db:
            db.execute(
                "UPDATE albums SET cover_status = ?, cover_reason = ?, cover_file = ?, cover_size = ?,"
                " cover_width = ?, cover_height = ? WHERE id = ?",
                (
                    cover.status,
                    cover.reason,
                    self._relative(cover.file),
                    cover.size,
                    cover.width,
                    cover.height,
                    album_id,
                ),
            )

    def _relative(self, file: Path | None) -> str | None:
        if file is None:
            return None
        return os.path.relpath(Path(file).resolve(), self.path.resolve().parent)

    def cover_file(self, art_id: int | str, size: int) -> Path:
        """Where the cover with `art_id` at size code `size` lives (or would live) on disk, named as on Bandcamp."""
        name = f"a{art_id:010d}" if isinstance(art_id, int) else str(art_id)  # Bandcamp pads art ids to 10 digits
        return self.covers_dir / f"{name}_{size}.jpg"

    def cover_path(self, relative: str | None) -> Path | None:
        """The absolute path of a stored `cover_file` value."""
        return None if relative is None else self.path.resolve().parent / relative

    def cover_paths(self, albums: pd.DataFrame) -> list[Path | None]:
        """The cover file of each row of an `albums()` frame, None where it has none."""
        return [self.cover_path(f) if isinstance(f, str) else None for f in albums.get("cover_file", [])]

    # --- imported covers ------------------------------------------------------------------------------------

    def imported_hashes(self) -> dict[str, int]:
        """{content hash: album id} of every imported album: what an import run already has."""
        rows = self._db.execute("SELECT content_hash, id FROM albums WHERE content_hash IS NOT NULL").fetchall()
        return {h: i for h, i in rows}

    def add_imported(self, fields: dict[str, Any], cover: Cover) -> tuple[int, bool, str]:
        """Store one imported picture as an album (see `bcanalysis.importer`): one transaction. Returns (album id,
        whether it was added, the url stored). A picture already stored (by another import running at the same
        time) is not added again; a url another album holds is not taken (the album gets its content URN)."""
        digest = fields["content_hash"]
        with self.transaction() as db:
            row = db.execute("SELECT id, url FROM albums WHERE content_hash = ?", (digest,)).fetchone()
            if row is not None:
                return row["id"], False, row["url"]
            url = _free_url(db, fields.get("url"), digest, None)
            album = {
                "url": url,
                "store": "",
                "album": fields["album"],
                "title": fields["title"],
                "artist": fields["artist"],
                "release_date": fields.get("release_date"),
                "location": fields.get("location"),
                "tags": fields.get("tags") or [],
                "page_status": None,
            }
            album_id = self._insert_album(db, album, cover)
            db.execute(
                "UPDATE albums SET genre = ?, content_hash = ?, source_file = ?, extra = ? WHERE id = ?",
                (fields.get("genre"), digest, fields.get("source_file"), _extra_json(fields), album_id),
            )
        return album_id, True, url

    def update_imported(self, album_id: int, fields: dict[str, Any]) -> tuple[bool, str]:
        """Bring an imported album's fields up to date with its metadata row: (whether anything changed, the url
        stored). A url another album holds is not taken (the album keeps or gets its content URN)."""
        row = self._db.execute(
            "SELECT url, title, artist, release_date, location, genre, source_file, extra, content_hash"
            " FROM albums WHERE id = ?",
            (album_id,),
        ).fetchone()
        tags = [
            t
            for (t,) in self._db.execute("SELECT tag FROM album_tags WHERE album_id = ? ORDER BY position", (album_id,))
        ]
        new = {
            "url": fields.get("url") or _urn(row["content_hash"]),
            "title": fields["title"],
            "artist": fields["artist"],
            "release_date": fields.get("release_date"),
            "location": fields.get("location"),
            "genre": fields.get("genre"),
            "source_file": fields.get("source_file"),
            "extra": _extra_json(fields),
        }
        if all(row[k] == v for k, v in new.items()) and tags == list(fields.get("tags") or []):
            return False, row["url"]
        with self.transaction() as db:
            new["url"] = _free_url(db, fields.get("url"), row["content_hash"], album_id)
            changed = any(row[k] != v for k, v in new.items()) or tags != list(fields.get("tags") or [])
            if changed:
                db.execute(
                    "UPDATE albums SET " + ", ".join(f"{k} = ?" for k in new) + " WHERE id = ?",
                    (*new.values(), album_id),
                )
                db.execute("DELETE FROM album_tags WHERE album_id = ?", (album_id,))
                db.executemany(
                    "INSERT INTO album_tags (album_id, position, tag) VALUES (?, ?, ?)",
                    [(album_id, i, t) for i, t in enumerate(fields.get("tags") or [])],
                )
        return changed, new["url"]

    def record_import_problems(self, folder: str, problems: Iterable[tuple[str, str]]) -> None:
        """Replace what the last import of `folder` could not use with this run's [(file, reason)]."""
        stamp = now()
        with self.transaction() as db:
            db.execute("DELETE FROM import_problems WHERE folder = ?", (folder,))
            db.executemany(
                "INSERT OR REPLACE INTO import_problems (folder, file, reason, seen_at) VALUES (?, ?, ?, ?)",
                [(folder, file, reason, stamp) for file, reason in problems],
            )


def _urn(digest: str) -> str:
    """An imported picture's own URL: its content URN."""
    return f"urn:sha256:{digest}"


def _free_url(db: sqlite3.Connection, asked: str | None, digest: str, album_id: int | None) -> str:
    """The url an imported album (`album_id`, None when new) may hold, inside the writing transaction: `asked` if
    no other album holds it, else its content URN. An imported album that holds this URN as its own url (written
    by a bcanalysis that did not refuse another picture's URN) is given back its own URN first."""
    owner = db.execute("SELECT id FROM albums WHERE url = ?", (asked,)).fetchone() if asked else None
    if asked and (owner is None or owner["id"] == album_id):
        return asked
    urn = _urn(digest)
    holder = db.execute("SELECT id, content_hash FROM albums WHERE url = ?", (urn,)).fetchone()
    if holder is not None and holder["id"] != album_id and holder["content_hash"] not in (None, digest):
        db.execute("UPDATE albums SET url = ? WHERE id = ?", (_urn(holder["content_hash"]), holder["id"]))
    return urn


def _extra_json(fields: dict[str, Any]) -> str | None:
    """An imported row's own columns as JSON text (None when it has none)."""
    extra = fields.get("extra") or {}
    return json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None
