"""The corpus: one SQLite file of albums, their tags, covers, palettes and scrape progress.

Covers are JPEG files in a folder beside the database (`<name>-covers/a<art_id>_<size>.jpg`), written before the
row that points at them, so the database never names a cover that is not there. Every write that finishes an album
is one transaction, so a process killed at any instant leaves a valid corpus that a rerun can continue.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

#: The schema this code writes; `MIGRATIONS[v]` brings a database from version v - 1 to v.
SCHEMA_VERSION = 1

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
}

COVER_STATUSES = ("ok", "missing", "failed")


class CorpusError(Exception):
    """The corpus file cannot be opened or used: unwritable path, not a corpus, or a newer schema."""


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


class Corpus:
    """A SQLite corpus of Bandcamp albums; opens `path`, creating it (and its covers folder) if needed.

    >>> corpus = Corpus("data/corpus.sqlite")   # doctest: +SKIP
    >>> corpus.albums()                          # one row per album, the analysis's columns and more
    """

    def __init__(self, path: str | os.PathLike, *, create: bool = True):
        self.path = Path(path)
        if not create and not self.path.exists():
            raise CorpusError(f"no corpus at {self.path}")
        self.covers_dir = self.path.with_name(self.path.stem + "-covers")
        self._db = _connect(self.path)
        try:
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
        """One write transaction (BEGIN IMMEDIATE … COMMIT), rolled back if the block raises."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

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

    def record_listings(self, tag: str, items: Iterable[dict[str, Any]], cursor: Any, exhausted: bool) -> int:
        """Store one discover page for `tag` and the cursor after it, in one transaction; returns new listings."""
        stamp = now()
        with self.transaction() as db:
            (seen,) = db.execute("SELECT COUNT(*) FROM listings WHERE tag = ?", (tag,)).fetchone()
            added = 0
            for item in items:
                cur = db.execute(
                    "INSERT OR IGNORE INTO listings (tag, item_id, item_url, position, title, band_name, release_date,"
                    " seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (tag, item["item_id"], item["item_url"], seen + added, item.get("title"),
                     item.get("band_name"), item.get("release_date"), stamp),
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

    def add_album(self, album: dict[str, Any], cover: Cover, *, listing: tuple[str, int] | None = None) -> int:
        """Store a scraped album, its page tags and cover outcome, and finish its listing: one transaction.

        An album whose canonical URL is already stored is not duplicated: the listing is linked to it instead.
        """
        with self.transaction() as db:
            row = db.execute("SELECT id FROM albums WHERE url = ?", (album["url"],)).fetchone()
            if row is not None:
                album_id = row[0]
            else:
                album_id = self._insert_album(db, album, cover)
            if listing is not None:
                db.execute(
                    "UPDATE listings SET status = 'done', album_id = ?, reason = NULL WHERE tag = ? AND item_id = ?",
                    (album_id, *listing),
                )
        return album_id

    def _insert_album(self, db: sqlite3.Connection, album: dict[str, Any], cover: Cover) -> int:
        if cover.status not in COVER_STATUSES:
            raise ValueError(f"cover status must be one of {COVER_STATUSES}, got {cover.status!r}")
        item_id = album.get("item_id")
        if item_id is not None and db.execute("SELECT 1 FROM albums WHERE item_id = ?", (item_id,)).fetchone():
            item_id = None  # the same discover item resolved to a second canonical URL: keep the first claim
        cur = db.execute(
            "INSERT INTO albums (url, store, album, title, artist, art_id, release_date, item_id, item_url,"
            " cover_status, cover_reason, cover_file, cover_size, cover_width, cover_height, scraped_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                album["url"], album["store"], album["album"], album["title"], album["artist"], album.get("art_id"),
                album.get("release_date"), item_id, album.get("item_url"), cover.status, cover.reason,
                self._relative(cover.file), cover.size, cover.width, cover.height, now(),
            ),
        )
        album_id = cur.lastrowid
        db.executemany(
            "INSERT INTO album_tags (album_id, position, tag) VALUES (?, ?, ?)",
            [(album_id, i, t) for i, t in enumerate(album.get("tags") or [])],
        )
        return album_id

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

        `tags` are the page's tags; `found_under` the discover tags it was listed under; `colorgram` a list of
        (r, g, b) in colorgram order (None without a palette) and `proportions` the matching fractions.
        """
        df = pd.read_sql_query(
            "SELECT id, url, store, album, title, artist, art_id, release_date, item_id, item_url, cover_status,"
            " cover_reason, cover_file, cover_size, cover_width, cover_height, scraped_at FROM albums ORDER BY id",
            self._db,
        )
        df["art_id"] = df["art_id"].astype("Int64")
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
        """Discover listings that failed for good, with the reason and number of attempts."""
        return pd.read_sql_query(
            "SELECT tag, item_id, item_url, attempts, reason FROM listings WHERE status = 'failed' ORDER BY tag",
            self._db,
        )

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

    # --- export ---------------------------------------------------------------------------------------------

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write `albums()` as CSV; list columns become JSON text (tags, colorgram, proportions)."""
        path = Path(path)
        _flat(self.albums()).to_csv(path)
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


def _connect(path: Path) -> sqlite3.Connection:
    """Open the SQLite file in autocommit mode with WAL, foreign keys and a busy timeout; errors name the path."""
    if path.is_dir():
        raise CorpusError(f"cannot use {path} as a corpus: it is a folder")
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
    (version,) = db.execute("PRAGMA user_version").fetchone()
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

