"""Reading the corpus as tables: `albums()` (one row per album, the analysis's columns first), palettes in long
form, failures, counts and an overview; and exports to CSV (safe to open in a spreadsheet) and Parquet."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bcanalysis.defaults import OWN_COLUMNS_MAX
from bcanalysis.facts import genre_name
from bcanalysis.store.schema import COVER_STATUSES


class TablesMixin:
    """`Corpus` methods that read it as tables and export it."""

    def albums(self, *, palettes: bool = True) -> pd.DataFrame:
        """One row per album: the analysis's columns (title, artist, tags, album, url, store, colorgram) and more.

        `tags` are the album page's tags (lower-cased, without the place; empty when no page was read);
        `found_under` the discover tags it was listed under; `location` its place ('Oslo, Norway'), `genre` its
        Bandcamp genre (the tag slug of `genre_id`), `label` (the label whose store sells it, else empty), `store`
        (the bandcamp.com subdomain or the store's own domain), `item_type` ('a' album, 't' track); `colorgram` a
        list of (r, g, b) in colorgram order (None without a palette) and `proportions` the matching fractions;
        `band_id` the discover band id of the store that sells it. Own columns of an imported metadata table come
        back as columns (`extra_<name>` where a name is taken), or, past `defaults.OWN_COLUMNS_MAX` of them, as one
        column `extra` of dicts, with a warning.
        """
        df = pd.read_sql_query(
            "SELECT id, url, store, album, title, artist, art_id, release_date, location, genre, genre_id, label,"
            " item_type, item_id, band_id, item_url, cover_status, cover_reason, cover_file, cover_size, cover_width,"
            " cover_height, page_status, page_reason, scraped_at, content_hash, source_file, extra"
            " FROM albums ORDER BY id",
            self._db,
        )
        df["art_id"] = df["art_id"].astype("Int64")
        df["genre_id"] = df["genre_id"].astype("Int64")
        df["band_id"] = df["band_id"].astype("Int64")
        df["genre"] = [
            g if isinstance(g, str) else genre_name(i)
            for g, i in zip(df["genre"], df["genre_id"].tolist(), strict=True)
        ]
        df["release_date"] = pd.to_datetime(df["release_date"], errors="coerce")
        df["tags"] = self._lists(df["id"], "SELECT album_id, tag FROM album_tags ORDER BY album_id, position")
        df["found_under"] = self._lists(
            df["id"], "SELECT album_id, tag FROM listings WHERE album_id IS NOT NULL ORDER BY album_id, position, tag"
        )
        if palettes:
            df["colorgram"], df["proportions"], df["extractor_version"] = self._palette_columns(df["id"])
        df = _with_extra_columns(df)  # last, so an own column never takes the name of one of ours
        front = ["title", "artist", "tags", "album", "url", "store"]
        front += ["colorgram", "proportions"] if palettes else []
        return df[front + [c for c in df.columns if c not in front]].set_index("id")

    def _lists(self, ids: pd.Series, sql: str) -> list[list[str]]:
        grouped: dict[int, list[str]] = {}
        for album_id, value in self._db.execute(sql):
            grouped.setdefault(album_id, []).append(value)
        return [grouped.get(i, []) for i in ids]

    def _palette_columns(self, ids: pd.Series) -> tuple[list, list, list]:
        arrays = self.palette_arrays()
        versions = dict(self._db.execute("SELECT album_id, extractor_version FROM palette_arrays"))
        at = {int(a): i for i, a in enumerate(arrays.album_ids)}
        rgb, props, o = arrays.rgb.tolist(), arrays.proportions.tolist(), arrays.offsets
        colors = [None if (i := at.get(a)) is None else [tuple(c) for c in rgb[o[i] : o[i + 1]]] for a in ids]
        fractions = [None if (i := at.get(a)) is None else props[o[i] : o[i + 1]] for a in ids]
        return colors, fractions, [versions.get(a) for a in ids]

    def palette_table(self) -> pd.DataFrame:
        """All palette colours in long form: album_id, rank, r, g, b, proportion, extractor_version."""
        arrays = self.palette_arrays()
        versions = dict(self._db.execute("SELECT album_id, extractor_version FROM palette_arrays"))
        album = np.repeat(arrays.album_ids, arrays.lengths)
        return pd.DataFrame(
            {
                "album_id": album,
                "rank": np.arange(len(album)) - np.repeat(arrays.offsets[:-1], arrays.lengths),
                "r": arrays.rgb[:, 0].astype(np.int64),
                "g": arrays.rgb[:, 1].astype(np.int64),
                "b": arrays.rgb[:, 2].astype(np.int64),
                "proportion": arrays.proportions,
                "extractor_version": [versions[a] for a in album.tolist()],
            }
        )

    def failures(self) -> pd.DataFrame:
        """What could not be used, with the reason: discover listings that failed for good (`source` 'discover':
        tag, item_id, item_url, attempts), files an import could not use (`source` 'import': folder, file) and
        palettes an upgrade of an older corpus left out as damaged (`source` 'palette': album_id; `bcanalysis
        palettes` extracts them again)."""
        return pd.read_sql_query(
            "SELECT 'discover' AS source, tag, item_id, item_url, NULL AS folder, NULL AS file, NULL AS album_id,"
            " attempts, reason FROM listings WHERE status = 'failed'"
            " UNION ALL SELECT 'import', NULL, NULL, NULL, folder, file, NULL, NULL, reason FROM import_problems"
            " UNION ALL SELECT 'palette', NULL, NULL, NULL, NULL, NULL, album_id, NULL, reason FROM palette_problems"
            " ORDER BY source, tag, folder, file, album_id",
            self._db,
        ).astype({"item_id": "Int64", "album_id": "Int64", "attempts": "Int64"})

    def counts(self) -> dict[str, int]:
        """Headline numbers: albums, each cover status, palettes, listings pending/done/failed."""
        q = self._db.execute
        out = {"albums": q("SELECT COUNT(*) FROM albums").fetchone()[0]}
        for status in COVER_STATUSES:
            out[f"cover_{status}"] = q("SELECT COUNT(*) FROM albums WHERE cover_status = ?", (status,)).fetchone()[0]
        out["palettes"] = q("SELECT COUNT(*) FROM palette_arrays WHERE n > 0").fetchone()[0]
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
        return pd.Series(
            {
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
            },
            dtype=object,
            name=self.path.name,
        )

    # --- export ---------------------------------------------------------------------------------------------

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write `albums()` as CSV; list columns become JSON text (tags, colorgram, proportions, and `extra`).

        Safe to open in a spreadsheet: a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return
        (a formula to Excel, LibreOffice and Google Sheets) is written with a leading `'`. `to_parquet` keeps the
        raw text. Lines end in CRLF (RFC 4180), so a field holding a lone CR is quoted instead of splitting a row."""
        path = Path(path)
        _spreadsheet_safe(_flat(self.albums())).to_csv(path, lineterminator="\r\n")
        return path

    def to_parquet(self, path: str | os.PathLike) -> Path:
        """Write `albums()` as Parquet (needs pyarrow); list columns stay lists (`extra`, own columns past
        `OWN_COLUMNS_MAX`, is JSON text)."""
        path = Path(path)
        df = self.albums()
        df["colorgram"] = [None if c is None else [list(t) for t in c] for c in df["colorgram"]]
        if "extra" in df:  # own columns past OWN_COLUMNS_MAX: JSON text, not a struct of thousands of fields
            df["extra"] = [None if v is None else json.dumps(v, ensure_ascii=False) for v in df["extra"]]
        df.to_parquet(path)
        return path


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    """Lists as JSON text, for flat file formats."""
    out = df.copy()
    for col in ("tags", "found_under", "colorgram", "proportions", "extra"):
        if col in out:
            out[col] = [None if v is None else json.dumps(v, ensure_ascii=False) for v in out[col]]
    return out


def _with_extra_columns(df: pd.DataFrame) -> pd.DataFrame:
    """The `extra` JSON of imported albums as columns of their own, built in one pass (a name that clashes gets an
    `extra_` prefix); past `OWN_COLUMNS_MAX` names, one column `extra` of dicts instead, with a warning."""
    parsed, unreadable = [], []
    for album_id, text in zip(df["id"].tolist(), df.pop("extra"), strict=True):
        own = _own_columns(text)
        if own is None:
            unreadable.append(album_id)
        parsed.append(own or {})
    if unreadable:
        warnings.warn(
            f"{len(unreadable)} album{'s' * (len(unreadable) != 1)} of the corpus have own columns that "
            f"are not a JSON object (album ids {unreadable[:5]}{' …' if len(unreadable) > 5 else ''}): "
            "left out of albums()",
            stacklevel=4,
        )
    names = list(dict.fromkeys(k for d in parsed for k in d))
    if not names:
        return df
    if len(names) > OWN_COLUMNS_MAX:
        warnings.warn(
            f"the corpus has {len(names)} own metadata columns, more than the {OWN_COLUMNS_MAX} albums() "
            "spreads into columns: they are in one column `extra`, a dict per album (spread them with "
            "pandas.DataFrame(list(albums['extra']), index=albums.index))",
            stacklevel=4,
        )
        df["extra"] = [d or None for d in parsed]
        return df
    taken = set(df.columns)
    columns = {}
    for name in names:
        column = name
        while column in taken:
            column = f"extra_{column}"
        taken.add(column)
        columns[column] = [d.get(name) for d in parsed]
    own = pd.DataFrame(columns, index=df.index, dtype=object)
    return pd.concat([df, own], axis=1)


def _own_columns(text: Any) -> dict[str, Any] | None:
    """One album's own columns from its `extra` text: {} when it has none, None when the text is not a JSON object
    (a damaged or hand-edited corpus)."""
    if not isinstance(text, str):
        return {} if pd.api.types.is_scalar(text) and pd.isna(text) else None
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


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
