"""The scrape's bookkeeping in the corpus: discover listings (which tag each album was found under, its discover
data, status and attempts) and where paging stopped for each tag, so a rerun continues."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from bcanalysis.store.records import now

#: Discover data a listing keeps (beside tag, item_id, item_url, position): what an album is built from.
LISTING_DATA = (
    "url",
    "store",
    "album",
    "title",
    "artist",
    "band_name",
    "label",
    "location",
    "genre_id",
    "item_type",
    "release_date",
    "art_id",
    "band_id",
)


class ListingsMixin:
    """`Corpus` methods for discover listings and paging progress (they use its connection and transactions)."""

    def progress(self, tag: str) -> dict[str, Any] | None:
        """Where discover paging for `tag` stopped: cursor, items_seen, pages, exhausted; None if never started."""
        row = self._db.execute("SELECT * FROM scrape_progress WHERE tag = ?", (tag,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["cursor"] = json.loads(out["cursor"]) if out["cursor"] is not None else None
        out["exhausted"] = bool(out["exhausted"])
        return out

    def record_listings(
        self,
        tag: str,
        items: Iterable[Any],
        cursor: Any,
        exhausted: bool,
        failed: Iterable[tuple[int, str, str]] = (),
    ) -> int:
        """Store one discover page for `tag` and the cursor after it, in one transaction; returns new listings.

        `items` are checked discover results (`DiscoverItem`, or dicts with at least item_id and item_url); an item
        already listed is not listed again, but a listing from schema 1 gets its discover data filled in; the
        fields an item could not read (`problems`) wait in its `reason` until its album is stored. `failed` are
        (item_id, item_url, reason) of results that could not be used: listed as failed, with the reason."""
        stamp = now()
        with self.transaction() as db:
            (seen,) = db.execute("SELECT COUNT(*) FROM listings WHERE tag = ?", (tag,)).fetchone()
            added = 0
            for item in items:
                row = item.as_listing() if hasattr(item, "as_listing") else dict(item)
                values = [row.get(c) for c in LISTING_DATA]
                key = (tag, row["item_id"])
                if db.execute("SELECT 1 FROM listings WHERE tag = ? AND item_id = ?", key).fetchone():
                    db.execute(  # a schema-1 listing still pending: give it the discover data it lacks
                        f"UPDATE listings SET {', '.join(f'{c} = ?' for c in LISTING_DATA)}"
                        " WHERE tag = ? AND item_id = ? AND url IS NULL AND status = 'pending'",
                        (*values, *key),
                    )
                    if row.get("band_id") is not None:  # listed before schema 5 kept band ids: fill them in
                        db.execute(
                            "UPDATE listings SET band_id = ? WHERE tag = ? AND item_id = ? AND band_id IS NULL",
                            (row["band_id"], *key),
                        )
                        db.execute(
                            "UPDATE albums SET band_id = ? WHERE item_id = ? AND band_id IS NULL",
                            (row["band_id"], row["item_id"]),
                        )
                    continue
                problems = "; ".join(row.get("problems") or ()) or None  # unreadable fields, until the album is stored
                db.execute(
                    f"INSERT INTO listings (tag, item_id, item_url, position, seen_at, reason,"
                    f" {', '.join(LISTING_DATA)}) VALUES (?, ?, ?, ?, ?, ?, {', '.join('?' * len(LISTING_DATA))})",
                    (*key, row["item_url"], seen + added, stamp, problems, *values),
                )
                added += 1
            for item_id, item_url, reason in failed:
                cur = db.execute(
                    "INSERT OR IGNORE INTO listings (tag, item_id, item_url, position, seen_at, status, reason,"
                    " attempts) VALUES (?, ?, ?, ?, ?, 'failed', ?, 1)",
                    (tag, item_id, item_url, seen + added, stamp, reason),
                )
                added += cur.rowcount
            db.execute(
                "INSERT INTO scrape_progress (tag, cursor, items_seen, pages, exhausted, updated_at)"
                " VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT(tag) DO UPDATE SET cursor = excluded.cursor,"
                " items_seen = excluded.items_seen, pages = pages + 1, exhausted = excluded.exhausted,"
                " updated_at = excluded.updated_at",
                (tag, json.dumps(cursor) if cursor is not None else None, seen + added, int(exhausted), stamp),
            )
        return added

    def set_cursor(self, tag: str, cursor: Any, exhausted: bool = False) -> None:
        """Replace the stored discover cursor of `tag` (None: start again from the first page)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE scrape_progress SET cursor = ?, exhausted = ?, updated_at = ? WHERE tag = ?",
                (json.dumps(cursor) if cursor is not None else None, int(exhausted), now(), tag),
            )

    def unlisted_data(self, tag: str, albums_per_tag: int) -> int:
        """Pending listings of `tag` within its first `albums_per_tag` that have no discover data (listed by schema
        1)."""
        return self._db.execute(
            "SELECT COUNT(*) FROM listings WHERE tag = ? AND position < ? AND status = 'pending' AND url IS NULL",
            (tag, albums_per_tag),
        ).fetchone()[0]

    def listings(self, tags: Sequence[str] | None = None, status: str | None = None, albums_per_tag: int | None = None):
        """Discover listings (optionally of some tags / one status), each tag's first `albums_per_tag` by rank."""
        sql = "SELECT * FROM listings WHERE 1"
        params: list[Any] = []
        if tags is not None:
            sql += f" AND tag IN ({','.join('?' * len(tags))})"
            params += list(tags)
        if albums_per_tag is not None:
            sql += " AND position < ?"
            params.append(albums_per_tag)
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        return self._db.execute(sql + " ORDER BY position, tag", params).fetchall()

    def album_id_for(self, *, item_id: int | None = None, url: str | None = None) -> int | None:
        """The id of the stored album with this discover item id or canonical URL, or None."""
        if item_id is not None:
            row = self._db.execute("SELECT id FROM albums WHERE item_id = ?", (item_id,)).fetchone()
            if row is not None:
                return row[0]
            row = self._db.execute(
                "SELECT album_id FROM listings WHERE item_id = ? AND album_id IS NOT NULL", (item_id,)
            ).fetchone()
            if row is not None:
                return row[0]
        if url is not None:
            row = self._db.execute("SELECT id FROM albums WHERE url = ?", (url,)).fetchone()
            if row is not None:
                return row[0]
        return None

    def link_listing(self, tag: str, item_id: int, album_id: int) -> None:
        """Mark a listing done as another sighting of an album already stored (provenance, no fetch)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE listings SET status = 'done', album_id = ?, reason = NULL WHERE tag = ? AND item_id = ?",
                (album_id, tag, item_id),
            )

    def fail_listing(
        self, tag: str, item_id: int, reason: str, *, final: bool = False, max_attempts: int | None = None
    ) -> bool:
        """Count a failed attempt at a listing; it fails for good if `final` or at `max_attempts`. True if so."""
        with self.transaction() as db:
            key = (tag, item_id)
            db.execute(
                "UPDATE listings SET attempts = attempts + 1, reason = ? WHERE tag = ? AND item_id = ?", (reason, *key)
            )
            (attempts,) = db.execute("SELECT attempts FROM listings WHERE tag = ? AND item_id = ?", key).fetchone()
            final = final or (max_attempts is not None and attempts >= max_attempts)
            if final:
                db.execute("UPDATE listings SET status = 'failed' WHERE tag = ? AND item_id = ?", key)
        return final

    def failed_item_ids(self, tags: Sequence[str]) -> set[int]:
        """Discover item ids listed as failed under any of `tags`: the failures a new run already knows about."""
        marks = ",".join("?" * len(tags))
        rows = self._db.execute(
            f"SELECT DISTINCT item_id FROM listings WHERE status = 'failed' AND tag IN ({marks})", list(tags)
        )
        return {item_id for (item_id,) in rows}

    def pending(self, tags: Sequence[str], albums_per_tag: int) -> list[sqlite3.Row]:
        """Pending listings (with their discover data) among each tag's first `albums_per_tag`, in rank order."""
        return self.listings(tags, status="pending", albums_per_tag=albums_per_tag)
