"""`Corpus`: the SQLite file, opened (and upgraded) safely, with one write transaction at a time; its methods
come by concern from `listings`, `albums`, `palettes` and `tables`, every public one guarded so SQLite failures
surface as `CorpusError` naming the file."""

from __future__ import annotations

import os
import sqlite3
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bcanalysis.store import schema
from bcanalysis.store.albums import AlbumsMixin
from bcanalysis.store.connection import (
    CorpusError,
    check_path,
    connect,
    connect_readonly,
    explain,
    guard_public_methods,
    sqlite_failures,
)
from bcanalysis.store.listings import ListingsMixin
from bcanalysis.store.palettes import PalettesMixin
from bcanalysis.store.tables import TablesMixin


@guard_public_methods
class Corpus(ListingsMixin, AlbumsMixin, PalettesMixin, TablesMixin):
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
        check_path(self.path, must_exist=readonly or not create)
        self.covers_dir = self.path.with_name(self.path.stem + "-covers")
        self._db = connect_readonly(self.path) if readonly else connect(self.path)
        #: What opening did to an older corpus (`schema.Upgrade`: versions, damaged palettes left out), or None.
        self.upgrade: schema.Upgrade | None = None
        try:
            version = schema.check_version(schema.schema_version(self._db, self.path), self.path)
            if readonly and version < schema.SCHEMA_VERSION:
                self._db.close()  # an older corpus is upgraded once (the upgrade keeps every value)
                if not (os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)):
                    raise CorpusError(
                        f"{self.path} was written by an older bcanalysis and must be upgraded once, but it is "
                        "read-only: run any bcanalysis command on a writable copy of it, e.g. `bcanalysis palettes "
                        "--db COPY`"
                    )
                self.readonly, self._db = False, connect(self.path)
            self.upgrade = schema.migrate(self._db, self.path)
        except BaseException:
            self._db.close()
            raise
        if self.upgrade is not None and self.upgrade.skipped:
            warnings.warn(str(self.upgrade), schema.UpgradeWarning, stacklevel=2)

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
        except sqlite_failures() as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise CorpusError(explain(self.path, exc)) from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only SQL query, for notebooks and tests."""
        return self._db.execute(sql, params).fetchall()
