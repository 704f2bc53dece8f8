"""The SQLite corpus: schema and migrations, one-transaction album writes, the albums() DataFrame, exports."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from bcanalysis import store
from bcanalysis.store import Corpus, CorpusError, Cover


def _album(slug: str = "first-light", **extra) -> dict:
    base = {
        "url": f"https://somestore.bandcamp.com/album/{slug}",
        "store": "somestore",
        "album": slug,
        "title": "First Light",
        "artist": "Some Store",
        "art_id": 1234567890,
        "release_date": "2020-07-17",
        "tags": ["ambient", "drone", "Oslo"],
        "item_id": 42,
        "item_url": f"https://somestore.bandcamp.com/album/{slug}?from=discover_page",
    }
    return {**base, **extra}


def _colors(*rows):
    return [SimpleNamespace(rgb=(r, g, b), proportion=p) for r, g, b, p in rows]


def test_corpus_is_exported_and_creates_a_wal_sqlite_file_with_the_schema_version(tmp_path):
    path = tmp_path / "sub" / "corpus.sqlite"
    with Corpus(path) as corpus:
        assert corpus.counts()["albums"] == 0
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"albums", "album_tags", "listings", "scrape_progress", "palette_arrays"} <= tables


def test_albums_dataframe_has_the_analysis_columns_with_lists_and_palettes(tmp_path):
    with Corpus(tmp_path / "c.sqlite") as corpus:
        corpus.record_listings("ambient", [{"item_id": 42, "item_url": "u42"}], cursor="abc", exhausted=False)
        cover = Cover("ok", file=corpus.cover_file(1234567890, 10), size=10, width=600, height=600)
        album_id = corpus.add_album(_album(), cover, listing=("ambient", 42))
        corpus.add_album(_album("no-art", item_id=43, art_id=None), Cover("missing", "the page has no cover art"))
        corpus.save_palettes([(album_id, _colors((10, 20, 30, 0.75), (200, 100, 50, 0.25)))], "test/1")
        df = corpus.albums()
    assert list(df.columns[:8]) == ["title", "artist", "tags", "album", "url", "store", "colorgram", "proportions"]
    first, second = df.iloc[0], df.iloc[1]
    assert first["tags"] == ["ambient", "drone", "Oslo"]
    assert first["found_under"] == ["ambient"]
    assert first["colorgram"] == [(10, 20, 30), (200, 100, 50)]
    assert first["proportions"] == [0.75, 0.25]
    assert first["extractor_version"] == "test/1"
    assert first["cover_status"] == "ok" and first["cover_file"] == "c-covers/a1234567890_10.jpg"
    assert first["release_date"] == pd.Timestamp("2020-07-17")
    assert first["art_id"] == 1234567890
    assert second["colorgram"] is None and second["cover_status"] == "missing"
    assert second["cover_reason"] == "the page has no cover art" and pd.isna(second["art_id"])


def test_an_album_seen_twice_is_stored_once_with_both_listings(tmp_path):
    with Corpus(tmp_path / "c.sqlite") as corpus:
        corpus.record_listings("ambient", [{"item_id": 42, "item_url": "u"}], None, True)
        corpus.record_listings("chill", [{"item_id": 42, "item_url": "u"}], None, True)
        first = corpus.add_album(_album(), Cover("missing", "x"), listing=("ambient", 42))
        assert corpus.album_id_for(item_id=42) == first
        second = corpus.add_album(_album(), Cover("missing", "x"), listing=("chill", 42))
        assert second == first
        df = corpus.albums()
        assert len(df) == 1 and df.iloc[0]["found_under"] == ["ambient", "chill"]
        assert corpus.counts()["listings_done"] == 2


def test_a_failing_album_write_leaves_nothing_behind(tmp_path):
    with Corpus(tmp_path / "c.sqlite") as corpus:
        corpus.record_listings("ambient", [{"item_id": 42, "item_url": "u"}], None, True)
        with pytest.raises(ValueError, match="cover status"):
            corpus.add_album(_album(), Cover("weird"), listing=("ambient", 42))
        assert corpus.counts()["albums"] == 0
        assert corpus.query("SELECT COUNT(*) FROM album_tags")[0][0] == 0
        assert corpus.listings(status="pending")[0]["item_id"] == 42


def test_listings_keep_rank_cursor_and_ignore_duplicates(tmp_path):
    with Corpus(tmp_path / "c.sqlite") as corpus:
        items = [{"item_id": i, "item_url": f"u{i}"} for i in (5, 6, 5, 7)]
        assert corpus.record_listings("rock", items, {"opaque": [1, 2]}, False) == 3
        assert corpus.record_listings("rock", [{"item_id": 8, "item_url": "u8"}], None, True) == 1
        assert [r["item_id"] for r in corpus.listings(["rock"])] == [5, 6, 7, 8]
        assert [r["item_id"] for r in corpus.listings(["rock"], albums_per_tag=2)] == [5, 6]
        state = corpus.progress("rock")
        assert state["items_seen"] == 4 and state["pages"] == 2 and state["exhausted"] and state["cursor"] is None
        assert corpus.progress("pop") is None


def test_fail_listing_counts_attempts_and_fails_for_good_at_the_limit(tmp_path):
    with Corpus(tmp_path / "c.sqlite") as corpus:
        corpus.record_listings("rock", [{"item_id": 5, "item_url": "u5"}], None, True)
        assert not corpus.fail_listing("rock", 5, "challenge", max_attempts=2)
        assert corpus.fail_listing("rock", 5, "challenge", max_attempts=2)
        failures = corpus.failures()
        assert failures.to_dict("records") == [
            {
                "source": "discover",
                "tag": "rock",
                "item_id": 5,
                "item_url": "u5",
                "folder": None,
                "file": None,
                "album_id": None,
                "attempts": 2,
                "reason": "challenge",
            }
        ]


def test_exports_round_trip(tmp_path):
    with Corpus(tmp_path / "c.sqlite") as corpus:
        album_id = corpus.add_album(_album(), Cover("missing", "x"))
        corpus.save_palettes([(album_id, _colors((1, 2, 3, 1.0)))], "v")
        csv = pd.read_csv(corpus.to_csv(tmp_path / "albums.csv"))
        assert json.loads(csv.loc[0, "tags"]) == ["ambient", "drone", "Oslo"]
        assert json.loads(csv.loc[0, "colorgram"]) == [[1, 2, 3]]
        pq = pd.read_parquet(corpus.to_parquet(tmp_path / "albums.parquet"))
        assert list(pq.loc[pq.index[0], "tags"]) == ["ambient", "drone", "Oslo"]


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "c.sqlite"
    Corpus(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    v = store.SCHEMA_VERSION
    with pytest.raises(CorpusError, match=rf"schema version {v + 1}.*reads up to version {v}.*upgrade bcanalysis"):
        Corpus(path)


def test_other_sqlite_files_and_unwritable_paths_are_refused(tmp_path):
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    with pytest.raises(CorpusError, match="not a bcanalysis corpus"):
        Corpus(other)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(CorpusError, match="a-file"):
        Corpus(blocker / "c.sqlite")
    with pytest.raises(CorpusError, match="it is a folder"):
        Corpus(tmp_path)


def test_migrations_run_in_order_and_keep_data(tmp_path, monkeypatch):
    path = tmp_path / "c.sqlite"
    with Corpus(path) as corpus:
        corpus.add_album(_album(), Cover("missing", "x"))
    after = store.SCHEMA_VERSION + 1
    monkeypatch.setattr(store.schema, "SCHEMA_VERSION", after)
    migration = "ALTER TABLE albums ADD COLUMN mood TEXT; CREATE INDEX a_m ON albums(mood)"
    monkeypatch.setitem(store.MIGRATIONS, after, migration)
    with Corpus(path) as corpus:
        assert corpus.query("PRAGMA user_version")[0][0] == after
        assert corpus.query("SELECT title, mood FROM albums")[0][:] == ("First Light", None)


def _v1_corpus(path):
    """A corpus as bcanalysis wrote it before schema 2: the v1 DDL, an album from its page, a pending listing."""
    db = sqlite3.connect(path)
    for statement in store.schema.statements(store.MIGRATIONS[1]):
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO albums (url, store, album, title, artist, art_id, release_date, item_id, item_url, cover_status,"
        " cover_file, cover_size, scraped_at) VALUES ('https://old.bandcamp.com/album/first', 'old', 'first', 'First',"
        " 'Old', 1234567890, '2020-07-17', 41, 'u41', 'ok', 'c-covers/a1234567890_10.jpg', 10, '2024-01-01')"
    )
    db.executemany("INSERT INTO album_tags VALUES (1, ?, ?)", [(0, "ambient"), (1, "Oslo")])
    db.executemany(
        "INSERT INTO listings (tag, item_id, item_url, position, title, band_name, status, album_id, seen_at)"
        " VALUES (?, ?, ?, ?, 'T', 'B', ?, ?, '2024-01-01')",
        [("ambient", 41, "u41", 0, "done", 1), ("ambient", 42, "http://127.0.0.1:9/s/x/album/y", 1, "pending", None)],
    )
    db.execute("INSERT INTO scrape_progress VALUES ('ambient', NULL, 2, 1, 1, '2024-01-01')")
    db.commit()
    db.close()


def test_a_schema_1_corpus_opens_migrates_and_keeps_working(tmp_path):
    path = tmp_path / "c.sqlite"
    _v1_corpus(path)
    with Corpus(path) as corpus:
        assert corpus.query("PRAGMA user_version")[0][0] == store.SCHEMA_VERSION
        df = corpus.albums()
        row = df.iloc[0]
        assert (row["title"], row["tags"], row["found_under"], row["art_id"]) == (
            "First",
            ["ambient", "Oslo"],
            ["ambient"],
            1234567890,
        )
        assert row["page_status"] == "ok" and row["item_type"] == "a"  # schema-1 albums came from their pages
        assert pd.isna(row["location"]) and row["genre"] is None and pd.isna(row["label"])
        assert corpus.unlisted_data("ambient", 10) == 1  # the pending listing needs its discover data again
        corpus.record_listings(
            "ambient",
            [
                {
                    "item_id": 42,
                    "item_url": "https://x.bandcamp.com/album/y",
                    "url": "https://x.bandcamp.com/album/y",
                    "store": "x",
                    "album": "y",
                    "title": "Y",
                    "artist": "X",
                    "art_id": 7,
                }
            ],
            None,
            True,
        )
        assert corpus.unlisted_data("ambient", 10) == 0
        assert [r["url"] for r in corpus.pending(["ambient"], 10)] == ["https://x.bandcamp.com/album/y"]
        assert corpus.progress("ambient")["items_seen"] == 2  # filled in, not listed twice


def test_an_upgrade_that_fails_part_way_leaves_the_old_corpus_as_it_was(tmp_path):
    path = tmp_path / "c.sqlite"
    _v1_corpus(path)
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE albums ADD COLUMN genre TEXT")  # a hand-made column: step 3 cannot add it again
    db.commit()
    db.close()
    before = sqlite3.connect(path).execute("SELECT * FROM albums").fetchall()
    with pytest.raises(CorpusError, match=r"duplicate column name: genre.*from schema 1 to \d+ was rolled back"):
        Corpus(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1  # not half-way at 2: every step or none
    assert db.execute("SELECT * FROM albums").fetchall() == before
    assert "label" not in {r[1] for r in db.execute("PRAGMA table_info(albums)")}  # step 2 rolled back too
    db.close()


def test_discover_only_albums_have_place_genre_label_and_no_page_tags(tmp_path):
    from bcanalysis.bandcamp import parse_discover_item

    item = parse_discover_item(
        {
            "item_id": 7,
            "item_type": "a",
            "title": "T",
            "band_name": "L",
            "album_artist": "B",
            "band_location": "Oslo, Norway",
            "band_genre_id": 18,
            "primary_image": {"image_id": 99},
            "item_url": "https://b.bandcamp.com/album/t?from=discover_page",
            "release_date": "2021-03-04 00:00:00 UTC",
        }
    )
    with Corpus(tmp_path / "c.sqlite") as corpus:
        corpus.record_listings("metal", [item], "next", False, failed=[(8, "https://evil/", "item_url is bad")])
        row = corpus.pending(["metal"], 10)[0]
        assert (row["art_id"], row["genre_id"], row["location"]) == (99, 18, "Oslo, Norway")
        album = {
            k: row[k]
            for k in (
                "url",
                "store",
                "album",
                "title",
                "artist",
                "art_id",
                "release_date",
                "item_id",
                "item_url",
                "label",
                "location",
                "genre_id",
                "item_type",
            )
        }
        album_id = corpus.add_album(album, Cover("missing", "no art"), listings=[("metal", 7)])
        df = corpus.albums()
        assert df.loc[album_id, "tags"] == [] and df.loc[album_id, "found_under"] == ["metal"]
        assert (df.loc[album_id, "genre"], df.loc[album_id, "genre_id"]) == ("metal", 18)
        assert df.loc[album_id, "label"] == "L" and df.loc[album_id, "item_type"] == "a"  # sold from label L's store
        assert df.loc[album_id, "artist"] == "B"
        assert pd.isna(df.loc[album_id, "page_status"])
        assert corpus.failures()[["tag", "item_id", "item_url", "attempts", "reason"]].to_dict("records") == [
            {"tag": "metal", "item_id": 8, "item_url": "https://evil/", "attempts": 1, "reason": "item_url is bad"}
        ]
        assert [r["id"] for r in corpus.albums_without_page(["metal"], 10)] == [album_id]
        corpus.set_page(album_id, ["metal", "doom"], "Bergen, Norway")
        df = corpus.albums()
        assert df.loc[album_id, "tags"] == ["metal", "doom"] and df.loc[album_id, "location"] == "Oslo, Norway"
        assert corpus.albums_without_page(["metal"], 10) == []


def test_covers_missing_on_disk_are_found(tmp_path):
    with Corpus(tmp_path / "c.sqlite") as corpus:
        corpus.covers_dir.mkdir()
        here, gone = corpus.cover_file(1, 10), corpus.cover_file(2, 10)
        here.write_bytes(b"x")
        corpus.add_album(_album("a", item_id=1, art_id=1), Cover("ok", file=here, size=10))
        corpus.add_album(_album("b", item_id=2, art_id=2), Cover("ok", file=gone, size=10))
        assert [(r["art_id"], r["cover_size"]) for r in corpus.covers_missing_on_disk()] == [(2, 10)]


def _v3_corpus_with_palettes(path, palettes):
    """A corpus as bcanalysis wrote it before schema 4: the long palettes table, a row per colour."""
    db = sqlite3.connect(path)
    for version in (1, 2, 3):
        for statement in store.schema.statements(store.MIGRATIONS[version]):
            db.execute(statement)
    db.execute("PRAGMA user_version = 3")
    for album_id, colours in palettes.items():
        db.execute(
            "INSERT INTO albums (id, url, store, album, title, artist, cover_status, scraped_at) VALUES"
            " (?, ?, 's', 'a', 't', 'x', 'missing', '2020-01-01')",
            (album_id, f"u{album_id}"),
        )
        db.executemany(
            "INSERT INTO palettes VALUES (?, ?, ?, ?, ?, ?, 'colorgram/1')",
            [(album_id, rank, *c) for rank, c in enumerate(colours)],
        )
    db.commit()
    db.close()


def test_schema_4_packs_the_long_palettes_of_an_older_corpus_and_keeps_every_value(tmp_path):
    path = tmp_path / "v3.sqlite"
    palettes = {
        1: [(10, 20, 30, 0.5), (255, 0, 128, 0.3), (0, 0, 0, 0.2)],
        2: [(1, 2, 3, 1.0)],
        7: [(200, 100, 50, 0.123456789012345), (9, 9, 9, 0.876543210987655)],
    }
    _v3_corpus_with_palettes(path, palettes)
    with Corpus(path) as corpus:
        assert corpus.query("PRAGMA user_version")[0][0] == store.SCHEMA_VERSION
        assert not corpus.query("SELECT 1 FROM sqlite_master WHERE name = 'palettes'")  # one home for palettes
        table = corpus.palette_table()
        df = corpus.albums()
    expected = [(a, rank, *c) for a, cs in palettes.items() for rank, c in enumerate(cs)]
    got = [tuple(r) for r in table[["album_id", "rank", "r", "g", "b", "proportion"]].itertuples(index=False)]
    assert got == expected  # exact, float64 proportions included
    assert df.loc[7, "colorgram"] == [(200, 100, 50), (9, 9, 9)]
    assert df.loc[7, "proportions"] == [0.123456789012345, 0.876543210987655]
    assert set(table["extractor_version"]) == {"colorgram/1"}


def test_palette_arrays_are_the_palettes_of_albums_as_arrays(tmp_path):
    with Corpus(tmp_path / "c.sqlite") as corpus:
        ids = [corpus.add_album(_album(f"a{i}", item_id=100 + i), Cover("missing", "-")) for i in range(5)]
        rng = np.random.default_rng(3)
        stored = {}
        for album_id in ids[:4]:  # the last album has no palette
            n = int(rng.integers(1, 41))
            rows = [(*map(int, rng.integers(0, 256, 3)), float(p)) for p in rng.dirichlet(np.ones(n))]
            corpus.save_palettes([(album_id, _colors(*rows))], "test/1")
            stored[album_id] = rows
        arrays = corpus.palette_arrays()
        df = corpus.albums()
    assert list(arrays.album_ids) == ids[:4] and len(arrays) == 4
    for i, album_id in enumerate(ids[:4]):
        assert (
            [tuple(c) for c in arrays.rgb[arrays.offsets[i] : arrays.offsets[i + 1]].tolist()]
            == df.loc[album_id, "colorgram"]
            == [r[:3] for r in stored[album_id]]
        )
        assert arrays.proportions[arrays.offsets[i] : arrays.offsets[i + 1]].tolist() == [
            r[3] for r in stored[album_id]
        ]
        assert arrays[i].tolist() == [list(map(float, r)) for r in stored[album_id]]
    found, subset = arrays.aligned([ids[4], ids[2], ids[0], 999])
    assert list(found) == [ids[2], ids[0]]
    assert subset[0].tolist() == arrays[2].tolist() and subset[1].tolist() == arrays[0].tolist()
    assert df.loc[ids[4], "colorgram"] is None


def _own_columns_corpus(path, own: list[dict | str | None]) -> None:
    """Albums whose `extra` holds these own columns (JSON objects), or raw text, as stored in the real file."""
    with Corpus(path) as corpus:
        for i in range(len(own)):
            corpus.add_album(_album(f"a{i}", item_id=100 + i), Cover("missing", "-"))
    db = sqlite3.connect(path)
    db.executemany(
        "UPDATE albums SET extra = ? WHERE id = ?",
        [(e if e is None or isinstance(e, str) else json.dumps(e), i + 1) for i, e in enumerate(own)],
    )
    db.commit()
    db.close()


def test_own_columns_come_back_as_columns_with_their_values_and_names_of_ours_kept(tmp_path):
    own = [
        {"catalog": "OL-001", "label": "Own Label", "extra_label": "x", "colorgram": "mine", "nested": {"a": [1]}},
        None,
        {"catalog": "OL-003", "pressing": 500},
    ]
    _own_columns_corpus(tmp_path / "c.sqlite", own)
    with Corpus(tmp_path / "c.sqlite") as corpus:
        df = corpus.albums()
    assert df["catalog"].tolist() == ["OL-001", None, "OL-003"]
    assert df["pressing"].tolist() == [None, None, 500] and df["nested"].tolist() == [{"a": [1]}, None, None]
    assert df["extra_label"].tolist() == ["Own Label", None, None]  # `label` is ours: the own one is prefixed
    assert df["extra_extra_label"].tolist() == ["x", None, None]  # and a prefixed name already taken, again
    assert df["extra_colorgram"].tolist() == ["mine", None, None] and df["colorgram"].isna().all()
    assert "extra" not in df.columns and df.columns.is_unique


def test_own_columns_past_the_cap_are_one_column_of_dicts_with_a_warning(tmp_path):
    from bcanalysis.defaults import OWN_COLUMNS_MAX

    own = [{f"c{k}": k * i for k in range(OWN_COLUMNS_MAX + 1)} for i in range(3)]
    own[1] = {"only": "this"}
    _own_columns_corpus(tmp_path / "c.sqlite", own)
    with Corpus(tmp_path / "c.sqlite") as corpus:
        with pytest.warns(UserWarning, match=rf"{OWN_COLUMNS_MAX + 2} own metadata columns.*one column `extra`"):
            df = corpus.albums()
        assert df["extra"].tolist() == own  # every value, as stored
        assert len(df.columns) < 50
        with pytest.warns(UserWarning, match="one column `extra`"):
            csv = pd.read_csv(corpus.to_csv(tmp_path / "albums.csv"))
        assert [json.loads(v) for v in csv["extra"]] == own


def test_own_columns_that_are_not_a_json_object_are_left_out_with_a_warning(tmp_path):
    _own_columns_corpus(tmp_path / "c.sqlite", [{"catalog": "A"}, "{not json", "[1, 2]", "[" * 100_000])
    with Corpus(tmp_path / "c.sqlite") as corpus:
        with pytest.warns(UserWarning, match=r"3 albums .* not a JSON object \(album ids \[2, 3, 4\]\)"):
            df = corpus.albums()
    assert df["catalog"].tolist() == ["A", None, None, None] and len(df) == 4


def _column_writes(monkeypatch) -> list[str]:
    """Record every column added to a DataFrame one at a time (`df[name] = …`, `df.insert`): the column-by-column
    build whose copies made albums() quadratic in the number of own columns."""
    writes: list[str] = []
    setitem, insert = pd.DataFrame.__setitem__, pd.DataFrame.insert

    def counting_setitem(self, key, value):
        writes.append(str(key))
        return setitem(self, key, value)

    def counting_insert(self, loc, column, *args, **kwargs):
        writes.append(str(column))
        return insert(self, loc, column, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "__setitem__", counting_setitem)
    monkeypatch.setattr(pd.DataFrame, "insert", counting_insert)
    return writes


def test_albums_builds_own_columns_in_one_pass_whatever_their_number(tmp_path, monkeypatch):
    """Linear in own columns, counted rather than timed: albums() adds as many columns one at a time for 2,000 own
    columns as for 20 (the old build added each own column on its own: 5.9 s at 3k columns, 209 s at 12k)."""
    from bcanalysis.store import tables

    monkeypatch.setattr(tables, "OWN_COLUMNS_MAX", 10**6)  # the spreading itself, not the cap, is counted
    writes = _column_writes(monkeypatch)
    added = {}
    for n in (20, 2000):
        own = [{f"field {k}": f"{i}:{k}" for k in range(n)} for i in range(60)]
        path = tmp_path / f"c{n}.sqlite"
        _own_columns_corpus(path, own)
        with Corpus(path) as corpus:
            writes.clear()
            df = corpus.albums(palettes=False)
            added[n] = len(writes)
        assert df[[f"field {k}" for k in range(n)]].to_numpy().tolist() == [list(r.values()) for r in own]
    assert added[2000] == added[20], added


# --- band_id (schema 5) -------------------------------------------------------------------------------------------


def _v4_corpus(path):
    """A corpus as bcanalysis wrote it at schema 4, with the real old DDL: one album from discover, its listing."""
    db = sqlite3.connect(path)
    for version in (1, 2, 3):
        for statement in store.schema.statements(store.MIGRATIONS[version]):
            db.execute(statement)
    db.execute(store.schema.PALETTE_TABLE)
    db.execute("DROP TABLE palettes")
    db.execute("PRAGMA user_version = 4")
    db.execute(
        "INSERT INTO albums (id, url, store, album, title, artist, item_id, item_url, cover_status, scraped_at,"
        " label, location, genre_id, item_type) VALUES (1, 'https://b.bandcamp.com/album/t', 'b', 't', 'T', 'B',"
        " 7, 'https://b.bandcamp.com/album/t', 'missing', '2025-01-01', NULL, 'Oslo, Norway', 18, 'a')"
    )
    db.execute(
        "INSERT INTO listings (tag, item_id, item_url, position, title, band_name, status, album_id, seen_at,"
        " url, store, album, artist, item_type) VALUES ('metal', 7, 'https://b.bandcamp.com/album/t', 0, 'T',"
        " 'B', 'done', 1, '2025-01-01', 'https://b.bandcamp.com/album/t', 'b', 't', 'B', 'a')"
    )
    db.execute(
        "INSERT INTO palette_arrays VALUES (1, 1, ?, ?, 'colorgram/1')",
        (bytes([1, 2, 3]), np.asarray([1.0], "<f8").tobytes()),
    )
    db.commit()
    db.close()


def test_a_schema_4_corpus_gains_band_ids_and_a_discover_result_seen_again_fills_them_in(tmp_path):
    from bcanalysis.bandcamp import parse_discover_item

    path = tmp_path / "v4.sqlite"
    _v4_corpus(path)
    with Corpus(path) as corpus:
        assert corpus.query("PRAGMA user_version")[0][0] == store.SCHEMA_VERSION
        df = corpus.albums()
        assert df.loc[1, "title"] == "T" and df.loc[1, "colorgram"] == [(1, 2, 3)]  # kept
        assert df.loc[1, "location"] == "Oslo, Norway" and df.loc[1, "found_under"] == ["metal"]
        assert pd.isna(df.loc[1, "band_id"]) and str(df["band_id"].dtype) == "Int64"  # not known before schema 5
        item = parse_discover_item(
            {
                "item_id": 7,
                "item_type": "a",
                "title": "T",
                "band_name": "B",
                "band_id": 3_774_983_561,
                "item_url": "https://b.bandcamp.com/album/t?from=discover_page",
                "release_date": "2021-03-04 00:00:00 UTC",
            }
        )
        assert corpus.record_listings("metal", [item], None, True) == 0  # listed already: not twice
        assert corpus.albums().loc[1, "band_id"] == 3_774_983_561
        assert [r["band_id"] for r in corpus.listings(["metal"])] == [3_774_983_561]


@pytest.mark.slow
def test_a_scrape_stores_each_albums_band_id_from_its_discover_result(tmp_path):
    from bcanalysis.demo import DemoServer

    path = tmp_path / "c.sqlite"
    with DemoServer(albums_per_tag=30, max_cover_px=32, custom_host="localhost") as server:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "bcanalysis",
                "scrape",
                "--db",
                str(path),
                "--base-url",
                server.url,
                "--tag",
                "rock",
                "--tag",
                "metal",
                "--albums-per-tag",
                "30",
                "--rate",
                "500",
                "--cover-rate",
                "500",
                "--no-progress",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        albums = [a for t in ("rock", "metal") for a in server.listings[t]]
        sent = {a.item_id: server.item(a)["band_id"] for a in albums}  # what the discover answers said
        own_domain = {a.item_id for a in albums if server.on_own_domain(a)}
    with Corpus(path) as corpus:
        df = corpus.albums(palettes=False)
        listed = {r["item_id"]: r["band_id"] for r in corpus.listings()}
    assert len(df) >= 50 and df["band_id"].notna().all()
    assert dict(zip(df["item_id"].tolist(), df["band_id"].tolist(), strict=True)) == {i: sent[i] for i in df["item_id"]}
    assert all(listed[i] == sent[i] for i in listed)
    assert own_domain & set(df["item_id"])  # albums on their store's own domain have theirs too
    db = sqlite3.connect(path)
    assert db.execute("SELECT COUNT(*) FROM albums WHERE band_id IS NOT NULL").fetchone()[0] == len(df)
    db.close()
