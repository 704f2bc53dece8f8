"""`bcanalysis import` under hostile input: file names that are not UTF-8, metadata tables with bad rows, tables
that are devices, FIFOs or huge, a url that is another picture's content URN, unreadable folders, links out of the
folder, two imports at once, killed imports and a full disk.

Every case runs the real command on a real SQLite file and checks what a user sees — the exit status, one line (or
a reported skip), never a traceback — and what is stored: albums counted in the file before and after, and a rerun
that goes on.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from _hostile import held_child
from PIL import Image

from bcanalysis import defaults
from bcanalysis.store import Corpus

REPO = Path(__file__).resolve().parents[1]
#: Address space a child import may use: the hostile tables below must not need more (without the caps they did).
CHILD_MEMORY = 3 << 30


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))


def _cli(*args: str | os.PathLike, timeout: float = 120, wrap: list[str] | None = None) -> subprocess.CompletedProcess:
    """`bcanalysis ARGS…` in a fresh interpreter with bounded memory (and under `wrap`, e.g. setpriv)."""
    argv = [*(wrap or []), sys.executable, "-m", "bcanalysis", *map(os.fsdecode, args)]
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        errors="backslashreplace",
        cwd=REPO,
        timeout=timeout,
        preexec_fn=_limit_memory,
    )


def _import(images: Path, db: Path, *extra: str | os.PathLike, **kw) -> subprocess.CompletedProcess:
    return _cli("import", images, "--db", db, "--no-progress", *extra, **kw)


def _albums(db: Path) -> int:
    """Albums in the corpus file, read with plain sqlite3 (0 when there is no file yet)."""
    if not db.exists():
        return 0
    with sqlite3.connect(db) as con:
        return con.execute("SELECT COUNT(*) FROM albums").fetchone()[0]


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute(sql).fetchall()


def _ran(result: subprocess.CompletedProcess) -> None:
    """The import ran to its end: exit 0, no traceback."""
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 0, (result.returncode, result.stderr[-3000:])


def _refused(result: subprocess.CompletedProcess, code: int, *needles: str) -> None:
    """One line `bcanalysis: error: …` naming `needles`, exit `code`, no traceback."""
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bcanalysis: error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def _picture(i: int) -> Image.Image:
    """A small picture of its own for each i (so each is a distinct album)."""
    pixels = np.random.default_rng(i).integers(0, 256, (12, 12, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def _pictures(folder: Path, names: list[str | bytes], start: int = 0) -> dict[str | bytes, str]:
    """Save one distinct PNG per name (bytes names are written as such); {name: sha256 of its bytes}."""
    folder.mkdir(parents=True, exist_ok=True)
    digests = {}
    for i, name in enumerate(names, start):
        buf = io.BytesIO()
        _picture(i).save(buf, "PNG")
        path = os.path.join(os.fsencode(folder), name) if isinstance(name, bytes) else folder / name
        with open(path, "wb") as f:
            f.write(buf.getvalue())
        digests[name] = hashlib.sha256(buf.getvalue()).hexdigest()
    return digests


def _import_problems(db: Path) -> dict[str, str]:
    with Corpus(db) as corpus:
        failures = corpus.failures()
    imports = failures[failures["source"] == "import"]
    return dict(zip(imports["file"], imports["reason"], strict=True))


# --- file names ---------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_file_name_that_is_not_utf8_is_imported_beside_the_good_ones(tmp_path):
    images = tmp_path / "covers"
    latin1 = b"latin1-\xe9\xff.png"
    digests = _pictures(images, ["a-cover.png", "b-cover.png", latin1, "m-cover.png", "z-cover.png"])
    meta = tmp_path / "meta.csv"
    meta.write_bytes(b"file,title\n" + latin1 + b",Caf\xe9 Latin\nz-cover.png,Last\n")  # a table from a latin-1 tool
    db = tmp_path / "c.sqlite"
    first = _import(images, db, "--meta", meta)
    _ran(first)
    assert _albums(db) == 5
    stored = dict(_rows(db, "SELECT content_hash, source_file FROM albums"))
    assert stored[digests[latin1]] == "latin1-\\xe9\\xff.png"  # the bytes that are not UTF-8, as \xNN escapes
    assert "latin1-\\xe9\\xff.png" in first.stdout
    titles = dict(_rows(db, "SELECT source_file, title FROM albums"))
    assert titles["z-cover.png"] == "Last"
    assert titles["latin1-\\xe9\\xff.png"] == "latin1-\\xe9\\xff"  # its title is not UTF-8 either: dropped
    assert "meta.csv line 2" in first.stdout and "not UTF-8" in first.stdout
    again = _import(images, db, "--meta", meta)
    _ran(again)
    assert "0 added, 0 updated, 5 unchanged" in again.stdout and _albums(db) == 5


# --- metadata tables with bad rows --------------------------------------------------------------------------------


@pytest.mark.slow
def test_bad_rows_of_a_csv_table_are_reported_and_every_image_imported(tmp_path):
    images = tmp_path / "covers"
    _pictures(images, [f"c{i}.png" for i in range(6)])
    long_notes = "x" * (200 * 1024)  # over csv's own 128 KiB field limit, and over ours
    table = [
        b"file,title,notes",
        b"c0.png,Zero,fine",
        b"c1\x00.png,One,a NUL in the file name",  # names no file
        b"c2.png,Tw\xff\xfeo,bad UTF-8 in the title",  # the title goes, the row stays
        f"c3.png,Three,{long_notes}".encode(),  # the notes go, the row stays
        b'c4.png,"Four, quoted",fine',
    ]
    meta = tmp_path / "meta.csv"
    meta.write_bytes(b"\n".join(table) + b"\n")
    db = tmp_path / "c.sqlite"
    result = _import(images, db, "--meta", meta)
    _ran(result)
    assert _albums(db) == 6
    titles = dict(_rows(db, "SELECT source_file, title FROM albums"))
    assert titles == {
        "c0.png": "Zero",
        "c1.png": "c1",
        "c2.png": "c2",
        "c3.png": "Three",
        "c4.png": "Four, quoted",
        "c5.png": "c5",
    }
    extra = dict(_rows(db, "SELECT source_file, extra FROM albums"))
    assert extra["c3.png"] is None and json.loads(extra["c0.png"]) == {"notes": "fine"}
    out = result.stdout
    assert "meta.csv line 3" in out and "NUL" in out
    assert "meta.csv line 4" in out and "title" in out and "not UTF-8" in out
    assert "meta.csv line 5" in out and "notes" in out and "longer than" in out
    problems = _import_problems(db)
    assert any(k.startswith("meta.csv line 3") for k in problems)
    _ran(rerun := _import(images, db, "--meta", meta))
    assert "0 added, 0 updated, 6 unchanged" in rerun.stdout


def _nested(depth: int) -> list:
    value: list = [1]
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.slow
def test_bad_lines_of_a_json_lines_table_are_reported_and_every_image_imported(tmp_path):
    images = tmp_path / "covers"
    _pictures(images, [f"j{i}.png" for i in range(7)])
    lines = [
        json.dumps({"file": "j0.png", "title": "Zero", "tags": ["a", "b"]}),
        '{"file": "j1.png", "deep": ' + "[" * 100_000 + "]" * 100_000 + "}",  # nested past any recursion limit
        json.dumps({"file": "j2.png", "title": "Two", "shape": _nested(defaults.META_MAX_DEPTH + 5)}),
        '{"file": "j3.png", "title": "Th\\ud800ree"}',  # a lone surrogate: no text SQLite can store
        '{"file": "j4.png", "title": "Four", "rank": ' + "9" * 5000 + "}",  # an integer Python will not read
        '{"file": "j5\\u0000.png", "title": "Five"}',
        "not json at all",
        json.dumps({"file": "j6.png", "title": "Six"}),
    ]
    meta = tmp_path / "meta.jsonl"
    meta.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "c.sqlite"
    result = _import(images, db, "--meta", meta)
    _ran(result)
    assert _albums(db) == 7
    titles = dict(_rows(db, "SELECT source_file, title FROM albums"))
    assert titles == {
        "j0.png": "Zero",
        "j1.png": "j1",
        "j2.png": "Two",
        "j3.png": "j3",
        "j4.png": "Four",
        "j5.png": "j5",
        "j6.png": "Six",
    }
    extra = dict(_rows(db, "SELECT source_file, extra FROM albums"))
    assert extra["j2.png"] is None  # 'shape' nested deeper than the limit: dropped, the row kept
    assert json.loads(extra["j4.png"]) == {"rank": "9" * 5000}  # kept as its digits
    out = result.stdout
    for line in (2, 3, 4, 6, 7):
        assert f"meta.jsonl line {line}" in out, (line, out)
    assert "nested" in out and "NUL" in out


@pytest.mark.slow
def test_a_table_that_is_a_json_document_not_json_lines_is_refused_whole(tmp_path):
    images = tmp_path / "covers"
    _pictures(images, ["a.png"])
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps([{"file": "a.png", "title": "A"}]))
    db = tmp_path / "c.sqlite"
    _refused(_import(images, db, "--meta", meta), 2, "meta.json", "JSON lines")
    assert _albums(db) == 0


# --- tables that never end --------------------------------------------------------------------------------------


@pytest.fixture
def corpus_of_three(tmp_path) -> tuple[Path, Path]:
    """A folder of three pictures, already imported: what a refused table must leave as it was."""
    images = tmp_path / "covers"
    _pictures(images, ["a.png", "b.png", "c.png"])
    db = tmp_path / "c.sqlite"
    _ran(_import(images, db))
    return images, db


@pytest.mark.parametrize("kind", ["dev-zero-link", "fifo", "folder"])
@pytest.mark.slow
def test_a_table_that_is_not_a_regular_file_is_refused_in_one_line(kind, corpus_of_three, tmp_path):
    images, db = corpus_of_three
    meta = tmp_path / "meta.csv"
    if kind == "dev-zero-link":
        meta.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(meta)
    else:
        meta.mkdir()
    what = {"dev-zero-link": "a character device", "fifo": "a FIFO", "folder": "a folder"}[kind]
    _refused(_import(images, db, "--meta", meta, timeout=60), 2, str(meta), what, "not a regular file")
    assert _albums(db) == 3


@pytest.mark.slow
def test_a_table_over_the_size_limit_is_refused_before_it_is_read(corpus_of_three, tmp_path):
    images, db = corpus_of_three
    meta = tmp_path / "meta.csv"
    with open(meta, "wb") as f:  # one 1.5 GB line (sparse: no disk is filled)
        f.write(b"file,title\na.png,")
        f.truncate(1_500_000_000)
    result = _import(images, db, "--meta", meta, timeout=60)
    _refused(result, 2, str(meta), "over the limit", "META_MAX_BYTES")
    assert _albums(db) == 3


@pytest.mark.slow
def test_a_line_over_the_line_limit_costs_that_row_only(tmp_path):
    images = tmp_path / "covers"
    _pictures(images, ["a.png", "b.png", "c.png"])
    meta = tmp_path / "meta.csv"
    huge = b"b.png," + b"y" * (defaults.META_MAX_LINE * 3) + b"\n"
    meta.write_bytes(b"file,title\na.png,Alpha\n" + huge + b"c.png,Gamma\n")
    db = tmp_path / "c.sqlite"
    result = _import(images, db, "--meta", meta)
    _ran(result)
    assert dict(_rows(db, "SELECT source_file, title FROM albums")) == {
        "a.png": "Alpha",
        "b.png": "b",
        "c.png": "Gamma",
    }
    assert "meta.csv line 3" in result.stdout and "longer than" in result.stdout


def test_the_table_limits_are_stated_in_defaults():
    assert 0 < defaults.META_MAX_FIELD < defaults.META_MAX_LINE < defaults.META_MAX_BYTES
    assert defaults.META_MAX_DEPTH >= 2


# --- urls -------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_url_that_is_another_pictures_content_urn_costs_that_value_only(tmp_path):
    images = tmp_path / "covers"
    names = [f"p{i:02d}.png" for i in range(60)]
    digests = _pictures(images, names)
    meta = tmp_path / "meta.csv"
    with open(meta, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["file", "title", "url"])
        w.writerow(["p00.png", "Zero", f"urn:sha256:{digests['p30.png']}"])  # the urn p30 will be stored under
        w.writerow(["p01.png", "One", f"urn:sha256:{digests['p01.png']}"])  # its own: fine
        w.writerow(["p02.png", "Two", "https://example.org/two"])
        w.writerow(["p03.png", "Three", "https://example.org/two"])  # the same url again
    db = tmp_path / "c.sqlite"
    result = _import(images, db, "--meta", meta)
    _ran(result)
    assert _albums(db) == 60
    urls = dict(_rows(db, "SELECT source_file, url FROM albums"))
    assert urls["p30.png"] == f"urn:sha256:{digests['p30.png']}"
    assert urls["p00.png"] == f"urn:sha256:{digests['p00.png']}"  # not the other picture's
    assert urls["p02.png"] == "https://example.org/two" and urls["p03.png"] == f"urn:sha256:{digests['p03.png']}"
    assert "p00.png" in result.stdout and "another picture" in result.stdout
    assert "p03.png" in result.stdout and "belongs to another album" in result.stdout
    _ran(rerun := _import(images, db, "--meta", meta))
    assert "0 added, 0 updated, 60 unchanged" in rerun.stdout


@pytest.mark.slow
def test_an_older_import_that_stored_another_pictures_urn_does_not_stop_the_next(tmp_path):
    """A corpus made before the rule: p05 holds p00's content URN as its url, and p00 (read first) is new."""
    images = tmp_path / "covers"
    digests = _pictures(images, [f"p{i:02d}.png" for i in range(8)])
    db = tmp_path / "c.sqlite"
    _ran(_import(images, db))
    with sqlite3.connect(db) as con:
        con.execute("DELETE FROM albums WHERE source_file = 'p00.png'")
        con.execute("UPDATE albums SET url = ? WHERE source_file = 'p05.png'", (f"urn:sha256:{digests['p00.png']}",))
    result = _import(images, db)
    _ran(result)
    _ran(again := _import(images, db))
    assert _albums(db) == 8, (result.stdout, again.stdout)
    urls = dict(_rows(db, "SELECT source_file, url FROM albums"))
    assert urls == {f"p{i:02d}.png": f"urn:sha256:{digests[f'p{i:02d}.png']}" for i in range(8)}


# --- folders and links --------------------------------------------------------------------------------------------


def _without_permission_override() -> list[str]:
    """A prefix that runs a command without the power to read what its permissions forbid: nothing for a user;
    for root, setpriv dropping CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (root reads a chmod-000 folder otherwise)."""
    if os.geteuid() != 0:
        return []
    wrap = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]
    if shutil.which("setpriv") and subprocess.run([*wrap, "true"], capture_output=True).returncode == 0:
        return wrap
    pytest.skip("running as root without setpriv: cannot make a folder unreadable to the import")


@pytest.mark.slow
def test_an_unreadable_subfolder_is_reported_and_read_on_a_rerun(tmp_path):
    images = tmp_path / "covers"
    _pictures(images, ["a.png", "b.png"])
    _pictures(images / "locked", ["c.png", "d.png"], start=10)
    wrap = _without_permission_override()
    db = tmp_path / "c.sqlite"
    (images / "locked").chmod(0)
    try:
        result = _import(images, db, wrap=wrap)
    finally:
        (images / "locked").chmod(0o755)
    _ran(result)
    assert _albums(db) == 2
    assert "locked" in result.stdout and "cannot read" in result.stdout and "Permission denied" in result.stdout
    assert any(k.startswith("locked") for k in _import_problems(db))
    _ran(again := _import(images, db, wrap=wrap))
    assert "2 added" in again.stdout and _albums(db) == 4
    assert not any(k.startswith("locked") for k in _import_problems(db))


@pytest.fixture
def linked(tmp_path) -> tuple[Path, Path, Path]:
    """covers/ with a.png, a link to a picture outside it, a link to a folder outside it, and a link inside; a
    table naming the outside picture through its link; outside/ beside it."""
    images, outside = tmp_path / "covers", tmp_path / "outside"
    _pictures(images, ["a.png", "b.png"])
    _pictures(outside, ["o.png"], start=20)
    _pictures(outside / "more", ["m.png"], start=21)
    (images / "out.png").symlink_to(outside / "o.png")
    (images / "outdir").symlink_to(outside / "more")
    (images / "in.png").symlink_to(images / "b.png")
    meta = tmp_path / "meta.csv"
    meta.write_text(
        "file,title\na.png,Alpha\nout.png,Outer\noutdir/m.png,More\nin.png,Inner\n../outside/o.png,Escape\n"
    )
    return images, outside, meta


@pytest.mark.slow
def test_links_out_of_the_folder_are_refused_the_same_way_walked_or_named(linked, tmp_path):
    images, outside, meta = linked
    db = tmp_path / "c.sqlite"
    result = _import(images, db, "--meta", meta)
    _ran(result)
    titles = dict(_rows(db, "SELECT source_file, title FROM albums"))
    assert titles == {"a.png": "Alpha", "in.png": "Inner"}  # in.png leads to b.png, inside: followed
    problems = _import_problems(db)
    walked = [k for k in problems if k in ("out.png", "outdir")]
    named = [k for k in problems if k.endswith(": out.png") or k.endswith(": outdir/m.png")]
    assert len(walked) == 2 and len(named) == 2, problems
    assert all("--follow-links" in problems[k] for k in walked + named), problems
    assert "outside" in problems["meta.csv line 6: ../outside/o.png"]


@pytest.mark.slow
def test_follow_links_follows_them_the_same_way_walked_or_named(linked, tmp_path):
    images, outside, meta = linked
    db = tmp_path / "c.sqlite"
    result = _import(images, db, "--meta", meta, "--follow-links")
    _ran(result)
    titles = dict(_rows(db, "SELECT source_file, title FROM albums"))
    assert titles == {"a.png": "Alpha", "in.png": "Inner", "out.png": "Outer", "outdir/m.png": "More"}
    assert list(_import_problems(db)) == ["meta.csv line 6: ../outside/o.png"]  # a name outside stays outside


@pytest.mark.slow
def test_a_link_loop_ends(tmp_path):
    images = tmp_path / "covers"
    _pictures(images / "a", ["x.png"])
    (images / "a" / "loop").symlink_to(images)
    db = tmp_path / "c.sqlite"
    _ran(_import(images, db, "--follow-links", timeout=60))
    assert _albums(db) == 1


# --- two imports at once ----------------------------------------------------------------------------------------


def _wait_for(condition, seconds: float = 60) -> None:
    """Poll `condition` until it holds or `seconds` pass (a bound, not a measurement)."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.slow
def test_two_imports_at_once_both_finish_and_store_each_picture_once(tmp_path):
    n = 150
    images = tmp_path / "covers"
    digests = _pictures(images, [f"p{i:03d}.png" for i in range(n)])
    meta = tmp_path / "meta.csv"
    meta.write_text("file,title,url\n" + "".join(f"p{i:03d}.png,T{i},https://example.org/{i}\n" for i in range(n)))
    db = tmp_path / "c.sqlite"
    Corpus(db).close()  # the corpus exists; creating one at once from two processes is the store's own test
    argv = [
        sys.executable,
        "-m",
        "bcanalysis",
        "import",
        str(images),
        "--db",
        str(db),
        "--meta",
        str(meta),
        "--no-progress",
    ]
    first = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    _wait_for(lambda: _albums(db) > 0 or first.poll() is not None)
    os.kill(first.pid, signal.SIGSTOP)  # paused mid-run (a paused writer only makes the other wait: busy timeout)
    try:
        paused_at = _albums(db)
        second = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        _wait_for(lambda: _albums(db) > paused_at or second.poll() is not None, 10)  # the second is storing
    finally:
        os.kill(first.pid, signal.SIGCONT)
    outs = [p.communicate(timeout=300) for p in (first, second)]
    for p, (_, err) in zip((first, second), outs, strict=True):
        assert p.returncode == 0 and "Traceback" not in err, err[-3000:]
    assert _albums(db) == n
    assert sorted(h for (h,) in _rows(db, "SELECT content_hash FROM albums")) == sorted(digests.values())
    added = [int(out.split(" added")[0].rsplit(" ", 1)[-1]) for out, _ in outs]
    assert sum(added) == n, [o for o, _ in outs]
    assert any("stored first by another import" in out for out, _ in outs), outs  # the two did meet
    covers = sorted(p.name for p in (tmp_path / "c-covers").iterdir())
    assert len(covers) == n and not [c for c in covers if c.endswith(".part")]
    assert dict(_rows(db, "SELECT source_file, title FROM albums"))["p042.png"] == "T42"


# --- killed imports and a full disk ------------------------------------------------------------------------------

#: A child import held up just before it renames a finished copy to its final name (the cover's whole bytes are
#: in its unfinished copy): killed there (`kill`), or waiting there for its stdin to close (`wait`).
_HELD_IMPORT = textwrap.dedent("""
    import os, signal, sys
    from bcanalysis.importer import import_images
    from bcanalysis.store import Corpus

    how, images, db = sys.argv[1:]
    real = os.replace

    def held(src, dst, *args, **kw):
        print("holding", flush=True)
        if how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        sys.stdin.read()
        real(src, dst, *args, **kw)

    os.replace = held
    with Corpus(db) as corpus:
        summary = import_images(corpus, images, progress=False)
    print(summary.added)
""")


@pytest.mark.slow
def test_unfinished_copies_of_killed_imports_are_removed_and_a_live_ones_kept(tmp_path):
    killed_images, live_images = tmp_path / "killed", tmp_path / "live"
    _pictures(killed_images, ["k0.png", "k1.png"])
    _pictures(live_images, ["l0.png"], start=10)
    db = tmp_path / "c.sqlite"
    Corpus(db).close()
    covers = tmp_path / "c-covers"
    live = held_child(_HELD_IMPORT, "wait", live_images, db)  # an import copying a cover right now
    try:
        held = [p.name for p in covers.glob("*.part")]
        killed = held_child(_HELD_IMPORT, "kill", killed_images, db)  # and one killed in the middle of a copy
        killed.wait(timeout=60)
        assert killed.returncode == -signal.SIGKILL
        stale = sorted({p.name for p in covers.glob("*.part")} - set(held))
        assert len(held) == 1 and len(stale) == 1
        result = _import(killed_images, db)
        _ran(result)
        assert [p.name for p in covers.glob("*.part")] == held  # the live copy is not touched
        assert "removed 1 unfinished" in result.stdout
        assert _albums(db) == 2
    finally:
        out, err = live.communicate("", timeout=60)
    assert live.returncode == 0 and out.split()[-1] == "1", err
    assert _albums(db) == 3 and not list(covers.glob("*.part"))
    assert len(list(covers.iterdir())) == 3


def _user_namespace_mounts() -> bool:
    probe = "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d && umount $d"
    return (
        bool(shutil.which("unshare"))
        and subprocess.run(["unshare", "-rm", "sh", "-c", probe], capture_output=True).returncode == 0
    )


@pytest.mark.slow
def test_a_full_disk_ends_in_one_line_leaves_no_unfinished_copy_and_a_rerun_goes_on(tmp_path):
    if not _user_namespace_mounts():
        pytest.skip("cannot mount a small tmpfs here (no user namespaces): no full disk to fill")
    images = tmp_path / "covers"
    images.mkdir()
    for i in range(6):  # noise does not compress: ~190 KB a cover
        pixels = np.random.default_rng(i).integers(0, 256, (256, 256, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(images / f"n{i}.png")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    db = mnt / "c.sqlite"
    count = (
        f"{sys.executable} -c \"import sqlite3; print('albums', sqlite3.connect('{db}')"
        ".execute('SELECT COUNT(*) FROM albums').fetchone()[0])\""
    )
    cli = f"{sys.executable} -m bcanalysis import {images} --db {db} --no-progress"
    script = (
        f"mount -t tmpfs -o size=640k tmpfs {mnt} && {cli} > {tmp_path}/first.out 2> {tmp_path}/first.err; "
        f"echo code $?; {count}; ls -a {mnt}/c-covers; "
        f"mount -o remount,size=8m {mnt} && {cli} > {tmp_path}/second.out 2> {tmp_path}/second.err; "
        f"echo code $?; {count}"
    )
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=300, cwd=REPO
    )
    out = result.stdout
    first_err = (tmp_path / "first.err").read_text()
    assert "Traceback" not in first_err, first_err
    lines = first_err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bcanalysis: error: "), first_err
    assert "space" in lines[0] or "disk is full" in lines[0], lines[0]
    first, second = out.split("code ")[1:]
    assert first.startswith("1"), out
    stored_first = int(first.split("albums ")[1].split()[0])
    assert 0 < stored_first < 6, out
    assert ".part" not in first, out
    assert second.startswith("0") and "albums 6" in second, (out, (tmp_path / "second.err").read_text())
    assert f"{6 - stored_first} added" in (tmp_path / "second.out").read_text()
