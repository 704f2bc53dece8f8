"""The palettes job under faults: killed workers, missing and damaged covers, a huge PNG, a Dask cluster.

Covers are real JPEG files in a real SQLite corpus; palettes are compared with `palette.extract` (which
test_palette.py checks equal to colorgram.py on both kernels) and, for a few covers, with colorgram.py itself.
"""

from __future__ import annotations

import concurrent.futures as cf
import io
import json
import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import time
import warnings
import zlib
from pathlib import Path

import colorgram
import psutil
import pytest
from PIL import Image
from skimage import data as skdata

from bcanalysis import palette
from bcanalysis.palette import WorkerPool, extract_many, extract_palettes
from bcanalysis.store import Corpus, Cover

REPO = Path(__file__).resolve().parents[1]
PHOTOS = [skdata.astronaut(), skdata.coffee(), skdata.chelsea(), skdata.rocket()]


def _cover_files(folder: Path, n: int, px: int) -> list[Path]:
    """`n` distinct real JPEG covers of `px` × `px` (rotated photographs)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(n):
        path = folder / f"a{i:010d}_10.jpg"
        Image.fromarray(PHOTOS[i % len(PHOTOS)]).rotate(11 * i).resize((px, px)).save(path, quality=90)
        files.append(path)
    return files


def _add_albums(corpus: Corpus, files: list[Path], n_albums: int, start: int = 0) -> None:
    """`n_albums` albums with good covers, taking the files in turn (several albums may share a cover file)."""
    for i in range(start, start + n_albums):
        slug = f"album-{i}"
        album = {
            "url": f"https://somestore.bandcamp.com/album/{slug}",
            "store": "somestore",
            "album": slug,
            "title": f"Album {i}",
            "artist": "Some Store",
            "art_id": i,
            "tags": ["ambient"],
            "item_id": i,
        }
        path = files[i % len(files)]
        with warnings.catch_warnings():  # the huge PNG: only its header is read
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
        corpus.add_album(album, Cover("ok", file=path, size=10, width=width, height=height))


def _corpus(tmp_path: Path, n_albums: int, n_files: int = 12, px: int = 300) -> tuple[Path, list[Path]]:
    db = tmp_path / "c.sqlite"
    with Corpus(db) as corpus:
        files = _cover_files(corpus.covers_dir, n_files, px)
        _add_albums(corpus, files, n_albums)
    return db, files


def _stored(db: Path) -> dict[int, tuple[str, str | None, list[tuple]]]:
    """album id → (cover_status, cover_reason, [(r, g, b, proportion), …])."""
    with Corpus(db) as corpus:
        rows = corpus.query("SELECT id, cover_status, cover_reason FROM albums ORDER BY id")
        colours = corpus.palette_table()
    out = {r["id"]: (r["cover_status"], r["cover_reason"], []) for r in rows}
    for album_id, r, g, b, p in colours[["album_id", "r", "g", "b", "proportion"]].itertuples(index=False):
        out[album_id][2].append((r, g, b, p))
    return out


def _expected(files: list[Path]) -> dict[str, list[tuple]]:
    return {str(f): [(*c.rgb, c.proportion) for c in palette.extract(f, 40)] for f in files}


def _cover_of(db: Path) -> dict[int, str]:
    with Corpus(db) as corpus:
        return {
            r["id"]: str(corpus.cover_path(r["cover_file"])) for r in corpus.query("SELECT id, cover_file FROM albums")
        }


def _sql(db: Path, statement: str, params: tuple = ()) -> None:
    """A change made behind the corpus's back, as another program would."""
    con = sqlite3.connect(db)
    with con:
        con.execute(statement, params)
    con.close()


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bcanalysis", *args], capture_output=True, text=True, cwd=REPO, timeout=timeout
    )


# --- a worker killed mid-run ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_to_one_worker_mid_run_loses_no_palette(tmp_path):
    """The OOM killer's way: SIGKILL to one `palettes` worker while it works. Every cover still ends with its exact
    palette, none is marked failed, and the summary says what happened."""
    db, files = _corpus(tmp_path, n_albums=2500, n_files=24, px=600)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bcanalysis", "palettes", "--db", str(db), "--workers", "2", "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    parent, victim = psutil.Process(proc.pid), None
    deadline = time.monotonic() + 120
    while victim is None and proc.poll() is None and time.monotonic() < deadline:
        for child in parent.children():
            try:
                cpu = child.cpu_times()
            except psutil.Error:
                continue
            if cpu.user + cpu.system > 0.5:  # a worker well into its covers
                victim = child
                break
        time.sleep(0.01)
    assert victim is not None, "no worker ever got to work"
    victim.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "2500 extracted, 0 covers failed" in out and "worker processes died 1 time(s)" in out, out
    with Corpus(db) as corpus:
        assert corpus.query("SELECT COUNT(*) FROM albums WHERE cover_status != 'ok'")[0][0] == 0
        assert corpus.query("SELECT COUNT(*) FROM palette_arrays")[0][0] > 0
    expected, cover_of = _expected(files), _cover_of(db)
    for album_id, (status, reason, colours) in _stored(db).items():
        assert status == "ok" and reason is None
        assert colours == expected[cover_of[album_id]], album_id
    for f in files[:2]:  # and palette.extract is colorgram.py's palette
        assert expected[str(f)] == [(*c.rgb, c.proportion) for c in colorgram.extract(str(f), 40)]


class KillsItsWorker(io.RawIOBase):
    """An 'image' whose reading kills the process reading it (a stand-in for a cover that crashes its decoder)."""

    def __init__(self):
        self.parent = os.getpid()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if os.getpid() != self.parent:
            os.kill(os.getpid(), signal.SIGKILL)
        raise OSError("read in the parent process")


@pytest.mark.parametrize("given", [None, "process pool"])
def test_a_cover_that_kills_its_worker_is_the_only_one_failed(tmp_path, given):
    """Its batch and every batch in flight are retried one cover at a time: the killer kills a worker again and is
    the one reported, with the reason; every other input gets its exact palette."""
    files = _cover_files(tmp_path, 10, 200)
    items = [*files[:5], KillsItsWorker(), *files[5:], *files]
    executor = cf.ProcessPoolExecutor(2) if given else None
    try:
        with WorkerPool(executor, n_jobs=2) as pool:
            results = extract_many(items, 40, pool, progress=False, chunksize=2)
    finally:
        if executor is not None:
            executor.shutdown()
    assert pool.deaths == 2 and pool.retried >= 2  # once among others, once alone
    assert results[5].error.startswith("WorkerDied: the worker process died while extracting this image alone")
    expected = _expected(files)
    for item, result in zip(items, results, strict=True):
        if item is not items[5]:
            assert result.ok and [(*c.rgb, c.proportion) for c in result.colors] == expected[str(item)]


@pytest.mark.slow
def test_on_dask_a_cover_that_kills_its_workers_is_the_only_one_failed(tmp_path):
    """Dask reschedules a task whose worker died, then gives up with KilledWorker: its inputs are retried alone (as
    new tasks, not the remembered failure), so only the killer fails."""
    distributed = pytest.importorskip("distributed")
    import dask

    class LocalKiller(KillsItsWorker):  # defined here, so dask ships the class by value to its spawned workers
        pass

    files = _cover_files(tmp_path, 6, 100)
    items = [*files[:3], LocalKiller(), *files[3:]]
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            with WorkerPool(client) as pool:
                results = extract_many(
                    [str(f) if isinstance(f, Path) else f for f in items], 40, pool, progress=False, chunksize=2
                )
    assert [r.ok for r in results] == [True, True, True, False, True, True, True]
    assert results[3].error.startswith("WorkerDied:") and "KilledWorker" in results[3].error
    expected = _expected(files)
    assert all([(*c.rgb, c.proportion) for c in r.colors] == expected[r.source] for r in results if r.ok)


# --- missing, damaged and retried covers ---------------------------------------------------------------------


@pytest.mark.slow
def test_a_missing_cover_file_is_skipped_and_counted_not_failed(tmp_path):
    db, files = _corpus(tmp_path, n_albums=30)
    files[3].unlink()  # albums 3, 15 and 27 share it
    proc = _cli("palettes", "--db", str(db), "--workers", "2", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert "27 extracted, 0 covers failed" in proc.stdout
    assert "missing: 3 cover file(s) are not on disk: skipped, not failed" in proc.stdout
    assert f"`bcanalysis scrape --db {db} …`" in proc.stdout and "fetches them again" in proc.stdout
    stored = _stored(db)
    assert {i for i, (status, _, colours) in stored.items() if not colours} == {4, 16, 28}  # ids start at 1
    assert all(status == "ok" for status, _, _ in stored.values())  # the next scrape's cue: ok, file missing
    again = _cli("palettes", "--db", str(db), "--no-progress")
    assert "0 extracted" in again.stdout and "missing: 3 cover file(s)" in again.stdout


@pytest.mark.slow
def test_retry_failed_gives_failed_extractions_another_try(tmp_path):
    db, files = _corpus(tmp_path, n_albums=4, n_files=4)
    good = files[1].read_bytes()
    files[1].write_bytes(good[:300])  # truncated: cannot be decoded
    with Corpus(db) as corpus:  # a cover that failed to download (no file) must stay failed
        _add_albums(corpus, files, 1, start=4)
    _sql(
        db,
        "UPDATE albums SET cover_status = 'failed', cover_file = NULL, cover_reason = ? WHERE id = 5",
        ("cover HTTP 500 at https://f4.bcbits.com/img/a5_10.jpg",),
    )
    first = _cli("palettes", "--db", str(db), "--no-progress")
    assert "3 extracted, 1 covers failed" in first.stdout and "failed: 1 × OSError" in first.stdout, first.stdout
    status, reason, _ = _stored(db)[2]
    assert status == "failed" and reason.startswith("palette extraction failed: OSError"), reason
    files[1].write_bytes(good)  # repaired
    assert "0 extracted" in _cli("palettes", "--db", str(db), "--no-progress").stdout  # failed stays failed …
    retried = _cli("palettes", "--db", str(db), "--retry-failed", "--no-progress")  # … until asked
    assert retried.returncode == 0 and "1 extracted, 0 covers failed" in retried.stdout
    assert "retried: 1 covers that had failed before" in retried.stdout
    stored = _stored(db)
    assert stored[2][:2] == ("ok", None) and stored[2][2] == _expected([files[1]])[str(files[1])]
    assert stored[5][:2] == ("failed", "cover HTTP 500 at https://f4.bcbits.com/img/a5_10.jpg")


# --- bounded memory ------------------------------------------------------------------------------------------


def _huge_png(path: Path, width: int, height: int) -> None:
    """A real, valid width × height RGB PNG of one colour, written a row at a time: ~0.5 MB on disk at 13000²."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = b"\0" + bytes((30, 60, 90)) * width
    parts = [compressor.compress(row) for _ in range(height)] + [compressor.flush()]
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )


PEAK_RSS = """
import json, resource, sys
from bcanalysis.cli import main
code = main(sys.argv[1:])
peak = {who: resource.getrusage(getattr(resource, who)).ru_maxrss / 1024 for who in ("RUSAGE_SELF", "RUSAGE_CHILDREN")}
print(json.dumps({"code": code, **peak}))
"""


def _palettes_peak_rss(db: Path, *extra: str) -> tuple[dict, str]:
    """Run `bcanalysis palettes` in a fresh process; its exit code, its own peak RSS and its workers' (MB)."""
    proc = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, "palettes", "--db", str(db), "--workers", "2", "--no-progress", *extra],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    *lines, last = proc.stdout.strip().splitlines()
    return json.loads(last), "\n".join(lines) + proc.stderr


@pytest.mark.slow
def test_a_13000px_png_is_refused_before_decoding_and_workers_stay_small(tmp_path):
    db, files = _corpus(tmp_path, n_albums=40, n_files=8, px=1200)
    big = files[0].with_name("huge.png")
    _huge_png(big, 13000, 13000)
    assert big.stat().st_size < 1_000_000
    with Corpus(db) as corpus:
        _add_albums(corpus, [big], 1, start=40)
    peak, out = _palettes_peak_rss(db)
    assert peak["code"] == 0 and "40 extracted, 1 covers failed" in out and "ImageTooLarge" in out, out
    assert "Traceback" not in out and "DecompressionBombWarning" not in out
    status, reason, colours = _stored(db)[41]
    assert status == "failed" and colours == []
    assert "13000×13000 = 169.0 Mpx is over the pixel budget of 50 Mpx (not decoded" in reason
    assert peak["RUSAGE_CHILDREN"] < 300, peak  # the largest worker, high-water mark
    print(f"peak RSS: palettes process {peak['RUSAGE_SELF']:.0f} MB, largest worker {peak['RUSAGE_CHILDREN']:.0f} MB")

    # The control: with the budget raised past the image, the same job decodes it, and a worker's peak shows it.
    _sql(db, "DELETE FROM palette_arrays")
    peak, out = _palettes_peak_rss(db, "--retry-failed", "--max-pixels", "170M")
    assert peak["code"] == 0 and "41 extracted, 0 covers failed" in out, out
    assert peak["RUSAGE_CHILDREN"] > 600, peak
    print(f"with the budget lifted: largest worker {peak['RUSAGE_CHILDREN']:.0f} MB")


# --- a Dask cluster ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_palettes_on_a_dask_scheduler_equal_a_local_run(tmp_path):
    distributed = pytest.importorskip("distributed")
    db, files = _corpus(tmp_path / "cluster", n_albums=40, n_files=10)
    local = tmp_path / "local" / "c.sqlite"
    local.parent.mkdir()
    shutil.copy(db, local)
    (local.parent / "c-covers").symlink_to(db.parent / "c-covers")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_cluster = _cli("palettes", "--db", str(db), "--scheduler", cluster.scheduler_address, "--no-progress")
    assert on_cluster.returncode == 0, on_cluster.stderr
    assert "40 extracted, 0 covers failed" in on_cluster.stdout
    here = _cli("palettes", "--db", str(local), "--workers", "2", "--no-progress")
    assert here.returncode == 0 and "40 extracted" in here.stdout
    with Corpus(db) as a, Corpus(local) as b:
        cluster_table, local_table = a.palette_table(), b.palette_table()
    assert len(cluster_table) > 40 * 10 and cluster_table.equals(local_table)
    expected, cover_of = _expected(files), _cover_of(db)
    assert all(colours == expected[cover_of[i]] for i, (_, _, colours) in _stored(db).items())


@pytest.mark.parametrize(
    ("address", "code", "says"),
    [
        ("tcp://127.0.0.1:9", 1, "cannot reach the Dask scheduler at tcp://127.0.0.1:9"),  # does not answer: a failure
        ("no-port-here", 2, "--scheduler no-port-here: missing port"),  # not an address: a bad argument
    ],
)
@pytest.mark.slow
def test_an_unreachable_scheduler_is_a_clear_message(tmp_path, address, code, says):
    db, _ = _corpus(tmp_path, n_albums=2, n_files=2)
    proc = _cli("palettes", "--db", str(db), "--scheduler", address, "--connect-timeout", "1", "--no-progress")
    assert proc.returncode == code and "Traceback" not in proc.stderr
    assert f"bcanalysis: error: {says}" in proc.stderr
    assert _stored(db)[1][2] == []  # nothing done, nothing marked


# --- arguments -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["0", "-3", "lots", "2.5", "M", "nan"])
def test_bad_max_pixels_is_a_clear_message(tmp_path, bad):
    proc = _cli("palettes", "--db", str(tmp_path / "c.sqlite"), f"--max-pixels={bad}")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--max-pixels" in proc.stderr and repr(bad) in proc.stderr


@pytest.mark.slow
def test_max_pixels_in_megapixels(tmp_path):
    db, files = _corpus(tmp_path, n_albums=3, n_files=3, px=300)
    proc = _cli("palettes", "--db", str(db), "--max-pixels", "0.05M", "--no-progress")  # 300² = 0.09 Mpx
    assert "0 extracted, 3 covers failed" in proc.stdout and "failed: 3 × ImageTooLarge" in proc.stdout
    proc = _cli("palettes", "--db", str(db), "--max-pixels", "90000", "--retry-failed", "--no-progress")
    assert "3 extracted, 0 covers failed" in proc.stdout


def test_extract_palettes_checks_its_arguments(tmp_path):
    db, _ = _corpus(tmp_path, n_albums=1, n_files=1)
    with Corpus(db) as corpus:
        for kwargs, match in [
            ({"max_pixels": 0}, "max_pixels"),
            ({"batch": 0}, "batch"),
            ({"number_of_colors": -1}, "-1"),
        ]:
            with pytest.raises(ValueError, match=match):
                extract_palettes(corpus, progress=False, **kwargs)
        assert corpus.counts()["palettes"] == 0


@pytest.mark.slow
def test_a_cover_path_that_is_not_a_file_is_failed_not_waited_on(tmp_path):
    db, files = _corpus(tmp_path, n_albums=2, n_files=2)
    files[1].unlink()
    os.mkfifo(files[1])
    proc = _cli("palettes", "--db", str(db), "--no-progress", timeout=60)
    assert "1 extracted, 1 covers failed" in proc.stdout and "NotARegularFile" in proc.stdout
    assert "is not a regular file (a FIFO)" in _stored(db)[2][1]


def test_a_database_error_mid_run_is_a_message_and_keeps_what_was_stored(tmp_path, monkeypatch, capsys):
    """SQLite refusing a write (here: 'database or disk is full' on the second batch) ends the run with one error
    line and exit 1; the batch stored before it stays, and a rerun finishes the job."""
    from bcanalysis.cli import main

    db, files = _corpus(tmp_path, n_albums=300, n_files=6, px=64)  # two batches: 256 + 44
    real_save, calls = Corpus.save_palettes, []

    def full_after_one(self, palettes, version):
        calls.append(1)
        if len(calls) > 1:
            raise sqlite3.OperationalError("database or disk is full")
        return real_save(self, palettes, version)

    monkeypatch.setattr(Corpus, "save_palettes", full_after_one)
    code = main(["palettes", "--db", str(db), "--workers", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert err.strip() == (
        "bcanalysis: error: palettes stopped: database or disk is full (palettes stored so far are "
        "kept; rerun to continue)"
    )
    assert sum(bool(colours) for _, _, colours in _stored(db).values()) == 256
    monkeypatch.setattr(Corpus, "save_palettes", real_save)
    assert main(["palettes", "--db", str(db), "--workers", "1", "--no-progress"]) == 0
    assert "44 extracted, 0 covers failed" in capsys.readouterr().out
    expected, cover_of = _expected(files), _cover_of(db)
    assert all(colours == expected[cover_of[i]] for i, (_, _, colours) in _stored(db).items())
