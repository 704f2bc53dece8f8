"""The corpus schema: the version this code writes and the migrations that bring an older file up to it, one
transaction each; a file from a newer bcanalysis, or a SQLite file that is not a corpus, is refused."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bcanalysis.store.connection import CorpusError, explain

#: The schema this code writes; `MIGRATIONS[v]` brings a database from version v - 1 to v (SQL, or a function of
#: the connection for a step SQL cannot do alone).
SCHEMA_VERSION = 4

MIGRATIONS: dict[int, str | Callable[[sqlite3.Connection], None]] = {
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
    # 4: pack_palettes (below)
}

#: One row per album's palette, packed, so a million palettes load as arrays in seconds (schema 4 on).
PALETTE_TABLE = """
CREATE TABLE palette_arrays (
    album_id          INTEGER PRIMARY KEY REFERENCES albums(id) ON DELETE CASCADE,
    n                 INTEGER NOT NULL,     -- colours, in colorgram order
    rgb               BLOB NOT NULL,        -- n × (r, g, b) bytes
    proportions       BLOB NOT NULL,        -- n little-endian float64
    extractor_version TEXT NOT NULL
)"""


def pack_palettes(db: sqlite3.Connection) -> None:
    """Schema 3 → 4: the long `palettes` table (a row per colour) becomes `palette_arrays` (a row per album)."""
    db.execute(PALETTE_TABLE)
    rows = db.execute(
        "SELECT album_id, r, g, b, proportion, extractor_version FROM palettes ORDER BY album_id, rank")
    album, colours, props, version = None, [], [], None

    def flush() -> None:
        if album is not None:
            db.execute("INSERT INTO palette_arrays VALUES (?, ?, ?, ?, ?)",
                       (album, len(colours), np.asarray(colours, np.uint8).tobytes(),
                        np.asarray(props, "<f8").tobytes(), version))  # fmt: skip

    for album_id, r, g, b, p, v in rows:  # streamed: a large corpus never sits in memory as rows
        if album_id != album:
            flush()
            album, colours, props = album_id, [], []
        colours.append((r, g, b))
        props.append(p)
        version = v
    flush()
    db.execute("DROP TABLE palettes")


MIGRATIONS[4] = pack_palettes

#: Cover outcomes the albums table accepts.
COVER_STATUSES = ("ok", "missing", "failed")


def schema_version(db: sqlite3.Connection, path: Path) -> int:
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise CorpusError(explain(path, exc)) from exc


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to SCHEMA_VERSION, one migration per transaction; refuse a newer schema."""
    version = schema_version(db, path)
    if version > SCHEMA_VERSION:
        raise CorpusError(
            f"{path} has corpus schema version {version}, but this bcanalysis reads up to version "
            f"{SCHEMA_VERSION}: it was written by a newer bcanalysis; upgrade bcanalysis to use it"
        )
    if version == 0 and has_foreign_tables(db):
        raise CorpusError(f"{path} is a SQLite database but not a bcanalysis corpus (it has other tables)")
    for target in range(version + 1, SCHEMA_VERSION + 1):
        try:
            db.execute("BEGIN IMMEDIATE")
            step = MIGRATIONS[target]
            for statement in [] if callable(step) else statements(step):
                db.execute(statement)
            if callable(step):
                step(db)
            db.execute(f"PRAGMA user_version = {target}")
            db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise CorpusError(f"cannot write the corpus {path}: {exc}") from exc


def has_foreign_tables(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0


def statements(script: str) -> list[str]:
    """Split a migration script into statements (no semicolons inside our DDL strings)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


