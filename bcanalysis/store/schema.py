"""The corpus schema: the version this code writes and the migrations that bring an older file up to it, all in one
exclusive transaction (one process upgrades, the others wait and find it done); a file from a newer bcanalysis,
with an impossible version, or a SQLite file that is not a corpus, is refused."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bcanalysis.defaults import CORPUS_UPGRADE_WAIT
from bcanalysis.store.connection import CorpusError, explain
from bcanalysis.store.records import now

#: The schema this code writes; `MIGRATIONS[v]` brings a database from version v - 1 to v (SQL, or a function of
#: the connection for a step SQL cannot do alone, returning what it left out as [(album id, reason)]).
SCHEMA_VERSION = 5

MIGRATIONS: dict[int, str | Callable[[sqlite3.Connection], Any]] = {
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

#: Palettes an upgrade found damaged and left out (schema 4 on; made by step 4, or by step 5 for a corpus an older
#: bcanalysis upgraded to 4): the reason and the rows as they were, until `palettes` extracts them again.
PALETTE_PROBLEMS_TABLE = """
CREATE TABLE IF NOT EXISTS palette_problems (
    album_id  INTEGER UNIQUE,               -- no foreign key: the album itself may be what is missing
    reason    TEXT NOT NULL,
    old_rows  TEXT NOT NULL,                -- JSON: the damaged palette's rows as they were stored
    seen_at   TEXT NOT NULL
)"""


def pack_palettes(db: sqlite3.Connection) -> list[tuple[Any, str]]:
    """Schema 3 → 4: the long `palettes` table (a row per colour) becomes `palette_arrays` (a row per album). A
    damaged palette (a channel outside 0..255, a proportion that is not a number, no album) is left out and kept
    in `palette_problems` with the reason; returns those [(album id, reason)]."""
    db.execute(PALETTE_TABLE)
    db.execute(PALETTE_PROBLEMS_TABLE)
    rows = db.execute(
        "SELECT p.album_id, p.r, p.g, p.b, p.proportion, p.extractor_version, a.id IS NOT NULL"
        " FROM palettes p LEFT JOIN albums a ON a.id = p.album_id ORDER BY p.album_id, p.rank"
    )
    skipped: list[tuple[Any, str]] = []
    marker = object()  # before the first row (an album id may be anything in a damaged file, even NULL)
    album, colours, known = marker, [], True

    def flush() -> None:
        if album is marker:
            return
        reason = f"its album (id {album!r}) is not in the corpus" if not known else palette_damage(colours)
        if reason is None:
            db.execute(
                "INSERT INTO palette_arrays VALUES (?, ?, ?, ?, ?)",
                (
                    album,
                    len(colours),
                    np.asarray([c[:3] for c in colours], np.uint8).tobytes(),
                    np.asarray([c[3] for c in colours], "<f8").tobytes(),
                    colours[-1][4],
                ),
            )
            return
        db.execute(
            "INSERT OR REPLACE INTO palette_problems VALUES (?, ?, ?, ?)",
            (album if type(album) is int else None, reason, json.dumps(colours, default=repr), now()),
        )
        skipped.append((album, reason))

    for album_id, r, g, b, p, v, exists in rows:  # streamed: a large corpus never sits in memory as rows
        if album is marker or album_id != album:
            flush()
            album, colours, known = album_id, [], bool(exists)
        colours.append((r, g, b, p, v))
    flush()
    db.execute("DROP TABLE palettes")
    return skipped


def palette_damage(colours: list[tuple]) -> str | None:
    """Why an old palette's rows [(r, g, b, proportion, extractor_version)] cannot be packed, or None if whole."""
    for rank, (*rgb, p, v) in enumerate(colours):
        for name, c in zip("rgb", rgb, strict=True):
            if type(c) is not int or not 0 <= c <= 255:
                return f"colour {rank} has {name} = {c!r}, not a channel value 0..255"
        if type(p) not in (int, float) or not 0 <= p <= 1:  # NaN fails the comparison too
            return f"colour {rank} has proportion {p!r}, not a number 0..1"
        if not isinstance(v, str):
            return f"colour {rank} has extractor version {v!r}, not text"
    return None


MIGRATIONS[4] = pack_palettes
# 5: the discover band_id (the store selling the album: the artist's or the label's) kept with albums and listings;
# palette_problems for a corpus an older bcanalysis upgraded to 4.
MIGRATIONS[5] = f"""
ALTER TABLE albums ADD COLUMN band_id INTEGER;                  -- discover band_id: the store that sells it
ALTER TABLE listings ADD COLUMN band_id INTEGER;
{PALETTE_PROBLEMS_TABLE}
"""

#: Cover outcomes the albums table accepts.
COVER_STATUSES = ("ok", "missing", "failed")


@dataclass(frozen=True)
class Upgrade:
    """What opening an older corpus did: the schema it had and now has, and palettes left out as damaged."""

    path: Path
    from_version: int
    to_version: int
    skipped: tuple[tuple[Any, str], ...] = ()

    def __str__(self) -> str:
        text = f"upgraded the corpus {self.path} from schema {self.from_version} to {self.to_version}"
        if not self.skipped:
            return text
        shown = "; ".join(f"album {a}: {reason}" for a, reason in self.skipped[:3])
        more = f"; and {len(self.skipped) - 3} more" if len(self.skipped) > 3 else ""
        return (
            f"{text}; {len(self.skipped)} damaged palette{'s' * (len(self.skipped) != 1)} left out ({shown}"
            f"{more}): `bcanalysis palettes --db {self.path}` extracts them again from their covers, "
            "Corpus.failures() lists them"
        )


class UpgradeWarning(UserWarning):
    """Opening an older corpus left damaged palettes out (they are extracted again by `bcanalysis palettes`)."""


def schema_version(db: sqlite3.Connection, path: Path) -> int:
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise CorpusError(explain(path, exc)) from exc


def check_version(version: int, path: Path) -> int:
    """`version` if this bcanalysis can read or upgrade it; a CorpusError for a newer or an impossible one."""
    if version > SCHEMA_VERSION:
        raise CorpusError(
            f"{path} has corpus schema version {version}, but this bcanalysis reads up to version "
            f"{SCHEMA_VERSION}: it was written by a newer bcanalysis; upgrade bcanalysis to use it"
        )
    if version < 0:
        raise CorpusError(
            f"{path} has corpus schema version {version}, which no bcanalysis writes: the file is damaged or was "
            "changed by another program; restore it from a copy"
        )
    return version


def migrate(db: sqlite3.Connection, path: Path) -> Upgrade | None:
    """Bring the schema up to SCHEMA_VERSION in one exclusive transaction; refuse a newer or impossible schema.

    The version is read again once the lock is held, so of several processes opening (or creating) one file at
    once, one upgrades it and the others wait for it (up to `CORPUS_UPGRADE_WAIT` seconds) and find it done.
    Returns what an upgrade of an existing corpus did (None for a new one or one already up to date)."""
    if check_version(schema_version(db, path), path) == SCHEMA_VERSION:
        return None  # the usual case: no lock taken
    (wait,) = db.execute("PRAGMA busy_timeout").fetchone()
    try:
        db.execute(f"PRAGMA busy_timeout = {int(CORPUS_UPGRADE_WAIT * 1000)}")
        db.execute("BEGIN EXCLUSIVE")
        db.execute(f"PRAGMA busy_timeout = {wait}")
    except sqlite3.DatabaseError as exc:
        db.execute(f"PRAGMA busy_timeout = {wait}")
        raise CorpusError(explain(path, exc)) from exc
    version = None
    try:
        version = check_version(schema_version(db, path), path)
        if version == 0 and has_foreign_tables(db):
            raise CorpusError(f"{path} is a SQLite database but not a bcanalysis corpus (it has other tables)")
        skipped: list[tuple[Any, str]] = []
        for target in range(version + 1, SCHEMA_VERSION + 1):
            step = MIGRATIONS[target]
            if callable(step):
                skipped += step(db) or []
            else:
                for statement in statements(step):
                    db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException as exc:
        if db.in_transaction:
            db.execute("ROLLBACK")
        if isinstance(exc, CorpusError) or not isinstance(exc, Exception):
            raise
        text = (
            explain(path, exc)
            if isinstance(exc, sqlite3.DatabaseError)
            else (f"cannot upgrade the corpus {path} ({type(exc).__name__}: {exc})")
        )
        if version:
            text += f"; the upgrade from schema {version} to {SCHEMA_VERSION} was rolled back, the file is as it was"
        raise CorpusError(text) from exc
    if not version or version == SCHEMA_VERSION:
        return None
    return Upgrade(path, version, SCHEMA_VERSION, tuple(skipped))


def has_foreign_tables(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0


def statements(script: str) -> list[str]:
    """Split a migration script into statements (no semicolons inside our DDL strings)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
