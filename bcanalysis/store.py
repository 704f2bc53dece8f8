"""The corpus: one SQLite file of albums, their tags, covers, palettes and scrape progress.

Covers are JPEG files in a folder beside the database (`<name>-covers/a<art_id>_<size>.jpg`), written before the
row that points at them, so the database never names a cover that is not there. Every write that finishes an album
is one transaction, so a process killed at any instant leaves a valid corpus that a rerun can continue.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

import pandas as pd

from bcanalysis.facts import genre_name

#: The schema this code writes; `MIGRATIONS[v]` brings a database from version v - 1 to v.
SCHEMA_VERSION = 3

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE albums (
        id           INTEGER PRIMARY KEY,
        url          TEXT NOT NULL UNIQUE,      -- canonical https://<store>.bandcamp.com/album/<slug>
        store        TEXT NOT NULL,             -- the subdomain
        album        TEXT NOT NULL,             -- the slug
        title        TEXT NOT NULL,
        artist       TEXT NOT NULL,
        art_id       INTEGER,
        release_date TEXT,                      -- ISO 8601 date
        item_id      INTEGER UNIQUE,            -- the discover item it was first fetched for
        item_url     TEXT,
        cover_status TEXT NOT NULL CHECK (cover_status IN ('ok', 'missing', 'failed')),
        cover_reason TEXT,
        cover_file   TEXT,                      -- relative to the database's folder
        cover_size   INTEGER,                   -- Bandcamp size code it was fetched at
        cover_width  INTEGER,
        cover_height INTEGER,
        scraped_at   TEXT NOT NULL
    );
    CREATE TABLE album_tags (                   -- the album page's own tags, in page order
        album_id INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        tag      TEXT NOT NULL,
        PRIMARY KEY (album_id, position)
    );
    CREATE INDEX album_tags_tag ON album_tags(tag);
    CREATE TABLE listings (                     -- discover results: which tag each album was found under
        tag          TEXT NOT NULL,
        item_id      INTEGER NOT NULL,
        item_url     TEXT NOT NULL,
        position     INTEGER NOT NULL,          -- rank in that tag's results
        title        TEXT,
        band_name    TEXT,
        release_date TEXT,
        status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
        attempts     INTEGER NOT NULL DEFAULT 0,
        reason       TEXT,
        album_id     INTEGER REFERENCES albums(id) ON DELETE SET NULL,
        seen_at      TEXT NOT NULL,
        PRIMARY KEY (tag, item_id)
    );
    CREATE INDEX listings_status ON listings(status);
    CREATE INDEX listings_album ON listings(album_id);
    CREATE TABLE scrape_progress (              -- per tag: where discover paging stopped
        tag        TEXT PRIMARY KEY,
        cursor     TEXT,                        -- JSON of the API's next cursor
        items_seen INTEGER NOT NULL DEFAULT 0,
        pages      INTEGER NOT NULL DEFAULT 0,
        exhausted  INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE palettes (
        album_id          INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
        rank              INTEGER NOT NULL,
        r INTEGER NOT NULL, g INTEGER NOT NULL, b INTEGER NOT NULL,
        proportion        REAL NOT NULL,
        extractor_version TEXT NOT NULL,
        PRIMARY KEY (album_id, rank)
    );
    """,
    # 2: albums stored from their discover result alone (label, place, Bandcamp genre, album or track), album
    # pages optional (page_status), and listings that keep the discover data an album is built from.
    2: """
    ALTER TABLE albums ADD COLUMN label TEXT;
    ALTER TABLE albums ADD COLUMN location TEXT;                -- "Oslo, Norway": band_location or the page's place
    ALTER TABLE albums ADD COLUMN genre_id INTEGER;             -- Bandcamp's band_genre_id
    ALTER TABLE albums ADD COLUMN item_type TEXT;               -- 'a' album, 't' track
    ALTER TABLE albums ADD COLUMN page_status TEXT;             -- NULL: page not fetched; 'ok'; 'failed'
    ALTER TABLE albums ADD COLUMN page_reason TEXT;
    ALTER TABLE albums ADD COLUMN page_attempts INTEGER NOT NULL DEFAULT 0;
    UPDATE albums SET page_status = 'ok', item_type = CASE WHEN url LIKE '%/track/%' THEN 't' ELSE 'a' END;
    ALTER TABLE listings ADD COLUMN url TEXT;                   -- canonical URL (NULL: listed by schema 1)
    ALTER TABLE listings ADD COLUMN store TEXT;
    ALTER TABLE listings ADD COLUMN album TEXT;
    ALTER TABLE listings ADD COLUMN artist TEXT;
    ALTER TABLE listings ADD COLUMN label TEXT;
    ALTER TABLE listings ADD COLUMN location TEXT;
    ALTER TABLE listings ADD COLUMN genre_id INTEGER;
    ALTER TABLE listings ADD COLUMN item_type TEXT;
    ALTER TABLE listings ADD COLUMN art_id INTEGER;
    CREATE INDEX listings_url ON listings(url)
    """,
    3: """
    ALTER TABLE albums ADD COLUMN genre TEXT;                   -- an imported album's genre (scraped: genre_id)
    ALTER TABLE albums ADD COLUMN content_hash TEXT;            -- SHA-256 of an imported cover: one picture, one album
    ALTER TABLE albums ADD COLUMN source_file TEXT;             -- the imported file, relative to its folder
    ALTER TABLE albums ADD COLUMN extra TEXT;                   -- JSON object: a metadata row's own columns
    CREATE UNIQUE INDEX albums_content_hash ON albums(content_hash);
    CREATE TABLE import_problems (                              -- what the last import of a folder could not use
        folder  TEXT NOT NULL,
        file    TEXT NOT NULL,
        reason  TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (folder, file)
    )
    """,
}

COVER_STATUSES = ("ok", "missing", "failed")
#: Discover data a listing keeps (beside tag, item_id, item_url, position): what an album is built from.
_LISTING_DATA = ("url", "store", "album", "title", "artist", "band_name", "label", "location", "genre_id",
                 "item_type", "release_date", "art_id")


class CorpusError(Exception):
    """The corpus file cannot be opened or used: unwritable path, not a corpus, a newer schema, a full disk or a
    damaged file. The message names the file and what to do."""


def _explain(path: Path, exc: Exception) -> str:
    """A user's sentence for a SQLite failure on the corpus at `path`: what happened and what to do."""
    text = str(exc)
    low = text.lower()
    if "disk is full" in low or "disk i/o error" in low:
        return (f"cannot write the corpus {path}: the disk is full or failing ({text}); free some space and rerun "
                "the same command: everything stored before this write is kept")
    if "malformed" in low or "not a database" in low or "corrupt" in low:
        return (f"the corpus {path} is damaged ({text}); restore it from a copy, or salvage what is readable with "
                f"`sqlite3 {path} .recover | sqlite3 recovered.sqlite`")
    if "readonly" in low or "read-only" in low:
        return f"cannot write the corpus {path}: the file or its folder is read-only ({text})"
    if "locked" in low or "busy" in low:
        return f"the corpus {path} is locked by another process ({text}); wait for it to finish and rerun"
    return f"the corpus {path}: {text}"


def _sqlite_failures() -> tuple[type[Exception], ...]:
    return (sqlite3.DatabaseError, pd.errors.DatabaseError)


def _guard(method: Callable) -> Callable:
    """`method` with SQLite failures (disk full, damaged file, read-only) raised as a CorpusError naming the file."""

    @functools.wraps(method)
    def guarded(self: Corpus, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except _sqlite_failures() as exc:
            raise CorpusError(_explain(self.path, exc)) from exc

    return guarded


def _guard_public_methods(cls: type) -> type:
    """Guard every public method of `cls`, so no caller ever sees a raw sqlite3 error from the corpus."""
    for name, value in list(vars(cls).items()):
        if callable(value) and not name.startswith("_") and name != "transaction":
            setattr(cls, name, _guard(value))
    return cls


@dataclass(frozen=True)
class Cover:
    """What became of an album's cover: status, the reason if not ok, and the saved file if ok."""

    status: str
    reason: str | None = None
    file: Path | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None


def now() -> str:
    """The current UTC time as ISO 8601 text, seconds precision: the corpus's timestamp format."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@_guard_public_methods
class Corpus:
    """A SQLite corpus of Bandcamp albums; opens `path`, creating it (and its covers folder) if needed.

    `readonly=True` opens an existing corpus without ever writing to it (for analysis of a shared or read-only
    file); `create=False` refuses a missing file instead of creating one. SQLite failures (a full disk, a damaged
    file) surface as `CorpusError` naming the file.

    >>> corpus = Corpus("data/corpus.sqlite")   # doctest: +SKIP
    >>> corpus.albums()                          # one row per album, the analysis's columns and more
    """

    def __init__(self, path: str | os.PathLike, *, create: bool = True, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        _check_path(self.path, must_exist=readonly or not create)
        self.covers_dir = self.path.with_name(self.path.stem + "-covers")
        self._db = _connect_readonly(self.path) if readonly else _connect(self.path)
        try:
            if readonly and _schema_version(self._db, self.path) < SCHEMA_VERSION:
                self._db.close()  # an older corpus is upgraded once (the upgrade adds columns, it changes no data)
                if not (os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)):
                    raise CorpusError(
                        f"{self.path} was written by an older bcanalysis and must be upgraded once, but it is "
                        "read-only: run any bcanalysis command on a writable copy of it, e.g. `bcanalysis palettes "
                        "--db COPY`")
                self.readonly, self._db = False, _connect(self.path)
            _migrate(self._db, self.path)
        except BaseException:
            self._db.close()
            raise

    # --- lifecycle ------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._db.close()

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Corpus({str(self.path)!r})"

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT), rolled back if the block raises; SQLite failures
        (a full disk, a damaged file) become a CorpusError naming the file."""
        if self.readonly:
            raise CorpusError(f"the corpus {self.path} was opened read-only; open it with Corpus(path) to change it")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:  # SQLite may already have rolled back (e.g. after SQLITE_FULL)
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except _sqlite_failures() as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise CorpusError(_explain(self.path, exc)) from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only SQL query, for notebooks and tests."""
        return self._db.execute(sql, params).fetchall()

    # --- discover listings and progress ---------------------------------------------------------------------

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
        self, tag: str, items: Iterable[Any], cursor: Any, exhausted: bool,
        failed: Iterable[tuple[int, str, str]] = (),
    ) -> int:  # fmt: skip
        """Store one discover page for `tag` and the cursor after it, in one transaction; returns new listings.

        `items` are checked discover results (`DiscoverItem`, or dicts with at least item_id and item_url); an item
        already listed is not listed again, but a listing from schema 1 gets its discover data filled in. `failed`
        are (item_id, item_url, reason) of results that could not be used: listed as failed, with the reason."""
        stamp = now()
        with self.transaction() as db:
            (seen,) = db.execute("SELECT COUNT(*) FROM listings WHERE tag = ?", (tag,)).fetchone()
            added = 0
            for item in items:
                row = item.as_listing() if hasattr(item, "as_listing") else dict(item)
                values = [row.get(c) for c in _LISTING_DATA]
                key = (tag, row["item_id"])
                if db.execute("SELECT 1 FROM listings WHERE tag = ? AND item_id = ?", key).fetchone():
                    db.execute(  # a schema-1 listing still pending: give it the discover data it lacks
                        f"UPDATE listings SET {', '.join(f'{c} = ?' for c in _LISTING_DATA)}"
                        " WHERE tag = ? AND item_id = ? AND url IS NULL AND status = 'pending'",
                        (*values, *key),
                    )
                    continue
                db.execute(
                    f"INSERT INTO listings (tag, item_id, item_url, position, seen_at, {', '.join(_LISTING_DATA)})"
                    f" VALUES (?, ?, ?, ?, ?, {', '.join('?' * len(_LISTING_DATA))})",
                    (*key, row["item_url"], seen + added, stamp, *values),
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

    def unlisted_data(self, tag: str, limit: int) -> int:
        """Pending listings of `tag` within its first `limit` that have no discover data (listed by schema 1)."""
        return self._db.execute(
            "SELECT COUNT(*) FROM listings WHERE tag = ? AND position < ? AND status = 'pending' AND url IS NULL",
            (tag, limit),
        ).fetchone()[0]

    def listings(self, tags: Sequence[str] | None = None, status: str | None = None, limit: int | None = None):
        """Discover listings (optionally of some tags / one status), each tag's first `limit` by rank."""
        sql = "SELECT * FROM listings WHERE 1"
        params: list[Any] = []
        if tags is not None:
            sql += f" AND tag IN ({','.join('?' * len(tags))})"
            params += list(tags)
        if limit is not None:
            sql += " AND position < ?"
            params.append(limit)
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
            db.execute("UPDATE listings SET attempts = attempts + 1, reason = ? WHERE tag = ? AND item_id = ?",
                       (reason, *key))
            (attempts,) = db.execute("SELECT attempts FROM listings WHERE tag = ? AND item_id = ?", key).fetchone()
            final = final or (max_attempts is not None and attempts >= max_attempts)
            if final:
                db.execute("UPDATE listings SET status = 'failed' WHERE tag = ? AND item_id = ?", key)
        return final

    # --- albums ---------------------------------------------------------------------------------------------

    def add_album(
        self, album: dict[str, Any], cover: Cover, *, listing: tuple[str, int] | None = None,
        listings: Iterable[tuple[str, int]] = (),
    ) -> int:  # fmt: skip
        """Store an album, its page tags (if any) and cover outcome, and finish its listings: one transaction.

        An album whose canonical URL is already stored is not duplicated: the listings are linked to it instead.
        """
        done = [listing, *listings] if listing is not None else list(listings)
        with self.transaction() as db:
            row = db.execute("SELECT id FROM albums WHERE url = ?", (album["url"],)).fetchone()
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
            " label, location, genre_id, item_type, page_status)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                album["url"], album["store"], album["album"], album["title"], album["artist"], album.get("art_id"),
                album.get("release_date"), item_id, album.get("item_url"), cover.status, cover.reason,
                self._relative(cover.file), cover.size, cover.width, cover.height, now(), album.get("label"),
                album.get("location"), album.get("genre_id"), album.get("item_type"), page_status,
            ),
        )
        album_id = cur.lastrowid
        db.executemany(
            "INSERT INTO album_tags (album_id, position, tag) VALUES (?, ?, ?)",
            [(album_id, i, t) for i, t in enumerate(tags or [])],
        )
        return album_id

    def pending(self, tags: Sequence[str], limit: int) -> list[sqlite3.Row]:
        """Pending listings (with their discover data) among each tag's first `limit`, in rank order."""
        return self.listings(tags, status="pending", limit=limit)

    def albums_without_page(self, tags: Sequence[str], limit: int) -> list[sqlite3.Row]:
        """Albums listed among the first `limit` of `tags` whose page was never read: id, url, store, album,
        item_type, location, page_attempts; tag by tag in the order given, each in listing rank order."""
        out, seen = [], set()
        for tag in tags:
            for row in self._db.execute(
                "SELECT a.id, a.url, a.store, a.album, a.item_type, a.location, a.page_attempts FROM albums a"
                " JOIN listings l ON l.album_id = a.id WHERE l.tag = ? AND l.position < ? AND a.page_status IS NULL"
                " ORDER BY l.position",
                (tag, limit),
            ):
                if row["id"] not in seen:
                    seen.add(row["id"])
                    out.append(row)
        return out

    def set_page(self, album_id: int, tags: Sequence[str], location: str | None) -> None:
        """Store an album page's tags (replacing any) and its place if the album had none: one transaction."""
        with self.transaction() as db:
            db.execute("DELETE FROM album_tags WHERE album_id = ?", (album_id,))
            db.executemany("INSERT INTO album_tags (album_id, position, tag) VALUES (?, ?, ?)",
                           [(album_id, i, t) for i, t in enumerate(tags)])  # fmt: skip
            db.execute(
                "UPDATE albums SET page_status = 'ok', page_reason = NULL, page_attempts = page_attempts + 1,"
                " location = COALESCE(location, ?) WHERE id = ?",
                (location, album_id),
            )

    def fail_page(self, album_id: int, reason: str, *, final: bool = False, max_attempts: int | None = None) -> bool:
        """Count a failed attempt at an album page; it fails for good if `final` or at `max_attempts`. True if so."""
        with self.transaction() as db:
            db.execute("UPDATE albums SET page_attempts = page_attempts + 1, page_reason = ? WHERE id = ?",
                       (reason, album_id))  # fmt: skip
            (attempts,) = db.execute("SELECT page_attempts FROM albums WHERE id = ?", (album_id,)).fetchone()
            final = final or (max_attempts is not None and attempts >= max_attempts)
            if final:
                db.execute("UPDATE albums SET page_status = 'failed' WHERE id = ?", (album_id,))
        return final

    def reset_failed(self, tags: Sequence[str]) -> None:
        """Listings and album pages of `tags` that failed for good become pending again (`--retry-failed`)."""
        marks = ",".join("?" * len(tags))
        with self.transaction() as db:
            db.execute(f"UPDATE listings SET status = 'pending', attempts = 0 WHERE status = 'failed' AND url IS NOT"
                       f" NULL AND tag IN ({marks})", tags)  # fmt: skip
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
                (cover.status, cover.reason, self._relative(cover.file), cover.size, cover.width, cover.height,
                 album_id),
            )  # fmt: skip

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

    def add_imported(self, fields: dict[str, Any], cover: Cover) -> int:
        """Store one imported picture as an album (see `bcanalysis.importer`): one transaction, returns its id."""
        digest = fields["content_hash"]
        album = {
            "url": fields.get("url") or f"urn:sha256:{digest}",
            "store": "",
            "album": fields["album"],
            "title": fields["title"],
            "artist": fields["artist"],
            "release_date": fields.get("release_date"),
            "location": fields.get("location"),
            "tags": fields.get("tags") or [],
            "page_status": None,
        }
        with self.transaction() as db:
            album_id = self._insert_album(db, album, cover)
            db.execute(
                "UPDATE albums SET genre = ?, content_hash = ?, source_file = ?, extra = ? WHERE id = ?",
                (fields.get("genre"), digest, fields.get("source_file"), _extra_json(fields), album_id),
            )
        return album_id

    def update_imported(self, album_id: int, fields: dict[str, Any]) -> bool:
        """Bring an imported album's fields up to date with its metadata row; True if anything changed."""
        row = self._db.execute(
            "SELECT url, title, artist, release_date, location, genre, source_file, extra, content_hash"
            " FROM albums WHERE id = ?", (album_id,)
        ).fetchone()  # fmt: skip
        tags = [t for (t,) in self._db.execute(
            "SELECT tag FROM album_tags WHERE album_id = ? ORDER BY position", (album_id,))]  # fmt: skip
        new = {
            "url": fields.get("url") or f"urn:sha256:{row['content_hash']}",
            "title": fields["title"], "artist": fields["artist"], "release_date": fields.get("release_date"),
            "location": fields.get("location"), "genre": fields.get("genre"),
            "source_file": fields.get("source_file"), "extra": _extra_json(fields),
        }  # fmt: skip
        if all(row[k] == v for k, v in new.items()) and tags == list(fields.get("tags") or []):
            return False
        with self.transaction() as db:
            db.execute(
                "UPDATE albums SET " + ", ".join(f"{k} = ?" for k in new) + " WHERE id = ?",
                (*new.values(), album_id),
            )
            db.execute("DELETE FROM album_tags WHERE album_id = ?", (album_id,))
            db.executemany(
                "INSERT INTO album_tags (album_id, position, tag) VALUES (?, ?, ?)",
                [(album_id, i, t) for i, t in enumerate(fields.get("tags") or [])],
            )
        return True

    def record_import_problems(self, folder: str, problems: Iterable[tuple[str, str]]) -> None:
        """Replace what the last import of `folder` could not use with this run's [(file, reason)]."""
        stamp = now()
        with self.transaction() as db:
            db.execute("DELETE FROM import_problems WHERE folder = ?", (folder,))
            db.executemany(
                "INSERT OR REPLACE INTO import_problems (folder, file, reason, seen_at) VALUES (?, ?, ?, ?)",
                [(folder, file, reason, stamp) for file, reason in problems],
            )

    # --- palettes -------------------------------------------------------------------------------------------

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

    # --- reading --------------------------------------------------------------------------------------------

    def albums(self, *, palettes: bool = True) -> pd.DataFrame:
        """One row per album: the analysis's columns (title, artist, tags, album, url, store, colorgram) and more.

        `tags` are the album page's tags (lower-cased, without the place; empty when no page was read);
        `found_under` the discover tags it was listed under; `location` its place ('Oslo, Norway'), `genre` its
        Bandcamp genre (the tag slug of `genre_id`), `label`, `item_type` ('a' album, 't' track); `colorgram` a
        list of (r, g, b) in colorgram order (None without a palette) and `proportions` the matching fractions.
        """
        df = pd.read_sql_query(
            "SELECT id, url, store, album, title, artist, art_id, release_date, location, genre, genre_id, label,"
            " item_type, item_id, item_url, cover_status, cover_reason, cover_file, cover_size, cover_width,"
            " cover_height, page_status, page_reason, scraped_at, content_hash, source_file, extra"
            " FROM albums ORDER BY id",
            self._db,
        )
        df["art_id"] = df["art_id"].astype("Int64")
        df["genre_id"] = df["genre_id"].astype("Int64")
        df["genre"] = [g if isinstance(g, str) else genre_name(i) for g, i in zip(df["genre"], df["genre_id"].tolist(),
                                                                                strict=True)]
        df = _with_extra_columns(df)
        df["release_date"] = pd.to_datetime(df["release_date"], errors="coerce")
        df["tags"] = self._lists(df["id"], "SELECT album_id, tag FROM album_tags ORDER BY album_id, position")
        df["found_under"] = self._lists(
            df["id"], "SELECT album_id, tag FROM listings WHERE album_id IS NOT NULL ORDER BY album_id, position, tag"
        )
        if palettes:
            df["colorgram"], df["proportions"], df["extractor_version"] = self._palette_columns(df["id"])
        front = ["title", "artist", "tags", "album", "url", "store"]
        front += ["colorgram", "proportions"] if palettes else []
        return df[front + [c for c in df.columns if c not in front]].set_index("id")

    def _lists(self, ids: pd.Series, sql: str) -> list[list[str]]:
        grouped: dict[int, list[str]] = {}
        for album_id, value in self._db.execute(sql):
            grouped.setdefault(album_id, []).append(value)
        return [grouped.get(i, []) for i in ids]

    def _palette_columns(self, ids: pd.Series) -> tuple[list, list, list]:
        rows = self._db.execute(
            "SELECT album_id, r, g, b, proportion, extractor_version FROM palettes ORDER BY album_id, rank"
        ).fetchall()
        colors: dict[int, list] = {}
        props: dict[int, list] = {}
        versions: dict[int, str] = {}
        for album_id, r, g, b, p, v in rows:
            colors.setdefault(album_id, []).append((r, g, b))
            props.setdefault(album_id, []).append(p)
            versions[album_id] = v
        return ([colors.get(i) for i in ids], [props.get(i) for i in ids], [versions.get(i) for i in ids])

    def palette_table(self) -> pd.DataFrame:
        """All palette colours in long form: album_id, rank, r, g, b, proportion, extractor_version."""
        return pd.read_sql_query("SELECT * FROM palettes ORDER BY album_id, rank", self._db)

    def failures(self) -> pd.DataFrame:
        """What could not be used, with the reason: discover listings that failed for good (`source` 'discover':
        tag, item_id, item_url, attempts) and files an import could not use (`source` 'import': folder, file)."""
        return pd.read_sql_query(
            "SELECT 'discover' AS source, tag, item_id, item_url, NULL AS folder, NULL AS file, attempts, reason"
            " FROM listings WHERE status = 'failed'"
            " UNION ALL SELECT 'import', NULL, NULL, NULL, folder, file, NULL, reason FROM import_problems"
            " ORDER BY source, tag, folder, file",
            self._db,
        ).astype({"item_id": "Int64", "attempts": "Int64"})

    def counts(self) -> dict[str, int]:
        """Headline numbers: albums, each cover status, palettes, listings pending/done/failed."""
        q = self._db.execute
        out = {"albums": q("SELECT COUNT(*) FROM albums").fetchone()[0]}
        for status in COVER_STATUSES:
            out[f"cover_{status}"] = q("SELECT COUNT(*) FROM albums WHERE cover_status = ?", (status,)).fetchone()[0]
        out["palettes"] = q("SELECT COUNT(DISTINCT album_id) FROM palettes").fetchone()[0]
        for status in ("pending", "done", "failed"):
            out[f"listings_{status}"] = q("SELECT COUNT(*) FROM listings WHERE status = ?", (status,)).fetchone()[0]
        return out

    def overview(self) -> pd.Series:
        """What the corpus holds at a glance: albums, covers by status, palettes, distinct tags, genres and places,
        and the span of release dates (for a corpus made before, e.g. by `bcanalysis import`)."""
        q = self._db.execute
        counts = self.counts()
        first, last = q("SELECT MIN(release_date), MAX(release_date) FROM albums").fetchone()
        genres = q("SELECT COUNT(DISTINCT COALESCE(genre, genre_id)) FROM albums").fetchone()[0]
        return pd.Series({
            "albums": counts["albums"],
            "covers ok": counts["cover_ok"],
            "covers missing": counts["cover_missing"],
            "covers failed": counts["cover_failed"],
            "palettes": counts["palettes"],
            "distinct tags": q("SELECT COUNT(DISTINCT tag) FROM album_tags").fetchone()[0],
            "genres": genres,
            "places": q("SELECT COUNT(DISTINCT location) FROM albums").fetchone()[0],
            "first release": first,
            "last release": last,
        }, dtype=object, name=self.path.name)  # fmt: skip

    # --- export ---------------------------------------------------------------------------------------------

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write `albums()` as CSV; list columns become JSON text (tags, colorgram, proportions).

        Safe to open in a spreadsheet: a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return
        (a formula to Excel, LibreOffice and Google Sheets) is written with a leading `'`. `to_parquet` keeps the
        raw text. Lines end in CRLF (RFC 4180), so a field holding a lone CR is quoted instead of splitting a row."""
        path = Path(path)
        _spreadsheet_safe(_flat(self.albums())).to_csv(path, lineterminator="\r\n")
        return path

    def to_parquet(self, path: str | os.PathLike) -> Path:
        """Write `albums()` as Parquet (needs pyarrow); list columns stay lists."""
        path = Path(path)
        df = self.albums()
        df["colorgram"] = [None if c is None else [list(t) for t in c] for c in df["colorgram"]]
        df.to_parquet(path)
        return path


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    """Lists as JSON text, for flat file formats."""
    out = df.copy()
    for col in ("tags", "found_under", "colorgram", "proportions"):
        if col in out:
            out[col] = [None if v is None else json.dumps(v) for v in out[col]]
    return out


def _extra_json(fields: dict[str, Any]) -> str | None:
    """An imported row's own columns as JSON text (None when it has none)."""
    extra = fields.get("extra") or {}
    return json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None


def _with_extra_columns(df: pd.DataFrame) -> pd.DataFrame:
    """The `extra` JSON of imported albums as columns of their own (a name that clashes gets an `extra_` prefix)."""
    parsed = [json.loads(e) if isinstance(e, str) else {} for e in df.pop("extra")]
    names = list(dict.fromkeys(k for d in parsed for k in d))
    for name in names:
        column = name if name not in df.columns else f"extra_{name}"
        df[column] = [d.get(name) for d in parsed]
    return df


#: What a spreadsheet reads as the start of a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula, prefixed with `'` so they stay text."""
    def defuse(values: Iterable[Any]) -> list[Any]:
        return [f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in values]

    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            out[col] = defuse(out[col])
    return out


def _check_path(path: Path, *, must_exist: bool) -> None:
    """Refuse what cannot be a corpus before SQLite sees it: a folder, an unusable name, an empty file, a missing
    file where one must exist."""
    try:
        is_dir, exists = path.is_dir(), path.exists()
        size = path.stat().st_size if exists else None
    except OSError as exc:  # e.g. a file name longer than the file system allows
        raise CorpusError(f"cannot use {path} as a corpus: {exc.strerror or exc}") from exc
    if is_dir:
        raise CorpusError(f"cannot use {path} as a corpus: it is a folder")
    if must_exist and not exists:
        raise CorpusError(f"no corpus at {path} (make one with `bcanalysis scrape --db {path} …`)")
    if size == 0:
        raise CorpusError(f"{path} is an empty file, not a corpus: remove it, or give another --db path")


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """Open an existing corpus read-only: nothing is written, not even the WAL index when the folder is read-only."""
    uri = "file:" + pathname2url(str(path.resolve()))
    last: Exception | None = None
    for query in ("?mode=ro", "?mode=ro&immutable=1"):  # immutable: a read-only folder where no -shm can be made
        try:
            db = sqlite3.connect(uri + query, uri=True, isolation_level=None, timeout=30)
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            last = exc
            continue
        db.row_factory = sqlite3.Row
        return db
    raise CorpusError(f"cannot open the corpus {path} read-only: {last}")


def _schema_version(db: sqlite3.Connection, path: Path) -> int:
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise CorpusError(_explain(path, exc)) from exc


def _connect(path: Path) -> sqlite3.Connection:
    """Open the SQLite file in autocommit mode with WAL, foreign keys and a busy timeout; errors name the path."""
    if not path.parent.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CorpusError(f"cannot create the folder for the corpus {path}: {exc.strerror or exc}") from exc
    try:
        db = sqlite3.connect(path, isolation_level=None, timeout=30)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA busy_timeout = 30000")
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise CorpusError(f"cannot open the corpus {path}: {exc}") from exc
    if mode.lower() != "wal":
        db.close()
        raise CorpusError(f"cannot open the corpus {path} in WAL mode (got {mode}); is the folder writable?")
    db.execute("PRAGMA synchronous = NORMAL")
    return db


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to SCHEMA_VERSION, one migration per transaction; refuse a newer schema."""
    version = _schema_version(db, path)
    if version > SCHEMA_VERSION:
        raise CorpusError(
            f"{path} has corpus schema version {version}, but this bcanalysis reads up to version "
            f"{SCHEMA_VERSION}: it was written by a newer bcanalysis; upgrade bcanalysis to use it"
        )
    if version == 0 and _has_foreign_tables(db):
        raise CorpusError(f"{path} is a SQLite database but not a bcanalysis corpus (it has other tables)")
    for target in range(version + 1, SCHEMA_VERSION + 1):
        try:
            db.execute("BEGIN IMMEDIATE")
            for statement in _statements(MIGRATIONS[target]):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {target}")
            db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise CorpusError(f"cannot write the corpus {path}: {exc}") from exc


def _has_foreign_tables(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (no semicolons inside our DDL strings)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]

