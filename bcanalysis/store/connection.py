"""Opening the corpus file safely (a folder refused before SQLite sees it, a missing or empty one where a corpus
must exist;
WAL, foreign keys, a busy timeout; read-only without writing even an index) and every SQLite failure turned into
a `CorpusError` whose message names the file and what to do."""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

import pandas as pd

from bcanalysis.defaults import CORPUS_UPGRADE_WAIT


class CorpusError(Exception):
    """The corpus file cannot be opened or used: unwritable path, not a corpus, a newer schema, a full disk or a
    damaged file. The message names the file and what to do."""


def explain(path: Path, exc: Exception) -> str:
    """A user's sentence for a SQLite failure on the corpus at `path`: what happened and what to do."""
    text = str(exc)
    low = text.lower()
    if "disk is full" in low or "disk i/o error" in low:
        return (
            f"cannot write the corpus {path}: the disk is full or failing ({text}); free some space and rerun "
            "the same command: everything stored before this write is kept"
        )
    if "malformed" in low or "not a database" in low or "corrupt" in low:
        return (
            f"the corpus {path} is damaged ({text}); restore it from a copy, or salvage what is readable with "
            f"`sqlite3 {path} .recover | sqlite3 recovered.sqlite`"
        )
    if "readonly" in low or "read-only" in low:
        return f"cannot write the corpus {path}: the file or its folder is read-only ({text})"
    if "locked" in low or "busy" in low:
        return f"the corpus {path} is locked by another process ({text}); wait for it to finish and rerun"
    return f"the corpus {path}: {text}"


def sqlite_failures() -> tuple[type[Exception], ...]:
    """What SQLite (or pandas reading through it) raises when the file fails."""
    return (sqlite3.DatabaseError, pd.errors.DatabaseError)


def guard(method: Callable) -> Callable:
    """`method` with SQLite failures (disk full, damaged file, read-only) raised as a CorpusError naming the file."""

    @functools.wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite_failures() as exc:
            raise CorpusError(explain(self.path, exc)) from exc

    return guarded


def guard_public_methods(cls: type) -> type:
    """Guard every public method of `cls` and of the classes it is made of, so no caller ever sees a raw sqlite3
    error from the corpus."""
    names = {
        name
        for klass in cls.__mro__[:-1]
        for name, value in vars(klass).items()
        if callable(value) and not name.startswith("_") and name != "transaction"
    }
    for name in sorted(names):
        setattr(cls, name, guard(getattr(cls, name)))
    return cls


def check_path(path: Path, *, must_exist: bool) -> None:
    """Refuse what cannot be a corpus before SQLite sees it: a folder, an unusable name, a missing (or empty) file
    where one must exist. An empty file is a new corpus (a run killed as it created the file leaves one)."""
    try:
        is_dir, exists = path.is_dir(), path.exists()
        empty = exists and path.stat().st_size == 0 and not _has_journal(path)
    except OSError as exc:  # e.g. a file name longer than the file system allows
        raise CorpusError(f"cannot use {path} as a corpus: {exc.strerror or exc}") from exc
    if is_dir:
        raise CorpusError(f"cannot use {path} as a corpus: it is a folder")
    if must_exist and (not exists or empty):
        what = " (an empty file: a run that creates a corpus was stopped as it began)" if empty else ""
        raise CorpusError(f"no corpus at {path}{what} (make one with `bcanalysis scrape --db {path} …`)")


def _has_journal(path: Path) -> bool:
    """Whether SQLite left a write-ahead log or rollback journal with content beside `path` (a corpus whose
    writes are not yet in the file itself)."""
    for suffix in ("-wal", "-journal"):
        journal = path.with_name(path.name + suffix)
        if journal.is_file() and journal.stat().st_size > 0:
            return True
    return False


def connect_readonly(path: Path) -> sqlite3.Connection:
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


def _wal(db: sqlite3.Connection) -> str:
    """Switch to WAL; tried again while another process holds the file (SQLite answers "locked" at once here, without
    its busy timeout, e.g. while another process creates the same corpus)."""
    deadline = time.monotonic() + CORPUS_UPGRADE_WAIT
    while True:
        try:
            return db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def connect(path: Path) -> sqlite3.Connection:
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
        mode = _wal(db)
    except sqlite3.DatabaseError as exc:  # a damaged file gets the cure; a file that is not SQLite, its name
        damaged = "malformed" in str(exc).lower()
        raise CorpusError(explain(path, exc) if damaged else f"cannot open the corpus {path}: {exc}") from exc
    if mode.lower() != "wal":
        db.close()
        raise CorpusError(f"cannot open the corpus {path} in WAL mode (got {mode}); is the folder writable?")
    db.execute("PRAGMA synchronous = NORMAL")
    return db
