"""Scrape and palette throughput against the local demo server, and covers as files vs SQLite BLOBs.

    .venv/bin/python benchmarks/bench_scrape.py [--albums-per-tag 30] [--rate 50] [--cover-px 1200]
    .venv/bin/python benchmarks/bench_scrape.py --only modes [--latency-ms 100] [--rate 20] [--cover-rate 20]

0. modes: discover-only against --album-pages, side by side, for a 1,000-album scrape (100 per tag) of a demo
   server answering every request after `--latency-ms` (both "hosts" are that server): site requests per album
   and albums per minute, each mode in a fresh corpus, as a user runs it (two subprocesses).
1. albums/minute: `bcanalysis scrape --rate R` (a subprocess, as a user runs it) against `bcanalysis demo-server`
   (another subprocess), every tag, a fresh corpus.
2. palettes: `extract_palettes` on that corpus with 1 and with all workers: covers/s and megapixels/s.
3. covers as files vs BLOBs: the same covers written one transaction per album (as the scraper does) as files
   beside the database vs BLOBs inside it, read back, and the palettes pass over each; plus the database size.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bcanalysis.palette import extract_many, extract_palettes
from bcanalysis.store import Corpus


def _serve(albums_per_tag: int, cover_px: int, latency_ms: float = 0) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bcanalysis",
            "demo-server",
            "--port",
            "0",
            "--albums-per-tag",
            str(albums_per_tag),
            "--cover-px",
            str(cover_px),
            "--latency",
            str(latency_ms),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    return proc, line.split(" on ", 1)[1].split()[0]


def _timed_scrape(
    db: Path, serve: tuple, rate: float, cover_rate: float, extra: tuple[str, ...] = ()
) -> tuple[str, int, float]:
    """`bcanalysis scrape` of every demo tag from a fresh demo server (`serve`: `_serve`'s arguments) as a
    subprocess: (its output, albums stored, seconds with process start)."""
    from bcanalysis.demo.catalogue import TAGS

    albums_per_tag = serve[0]
    proc, url = _serve(*serve)
    try:
        cmd = [
            sys.executable,
            "-m",
            "bcanalysis",
            "scrape",
            "--db",
            str(db),
            "--base-url",
            url,
            "--rate",
            str(rate),
            "--cover-rate",
            str(cover_rate),
            "--albums-per-tag",
            str(albums_per_tag),
            "--no-progress",
            *extra,
        ]
        cmd += [a for t in TAGS for a in ("--tag", t)]
        start = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        seconds = time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait()
    with Corpus(db) as corpus:
        return out, corpus.counts()["albums"], seconds


def bench_modes(workdir: Path, albums_per_tag: int, rate: float, cover_rate: float, latency_ms: float) -> None:
    """Discover-only vs --album-pages on the same catalogue and latency: site requests per album, albums/minute."""
    import re

    from bcanalysis.demo.catalogue import TAGS

    rows = []
    for mode, extra in (("discover-only (default)", ()), ("--album-pages", ("--album-pages",))):
        db = workdir / f"{'pages' if extra else 'discover'}.sqlite"
        out, n, seconds = _timed_scrape(db, (albums_per_tag, 300, latency_ms), rate, cover_rate, extra)
        site, image = map(int, re.search(r"\((\d+) site \+ (\d+) image requests", out).groups())
        rows.append((mode, n, site, image, seconds))
    print(
        f"{albums_per_tag * len(TAGS)}-album demo scrape (10 tags × {albums_per_tag}), {latency_ms:g} ms latency on "
        f"every answer, --rate {rate:g} --cover-rate {cover_rate:g} (process start included)"
    )
    print("| mode | albums | site requests | site requests per album | image requests | time | albums per minute |")
    print("|---|---|---|---|---|---|---|")
    for mode, n, site, image, seconds in rows:
        print(f"| {mode} | {n:,} | {site:,} | {site / n:.3f} | {image:,} | {seconds:.1f} s | {n / seconds * 60:,.0f} |")
    discover_only = 25_000 / 50 / 3600 + 25_000 / 5.0 / 3600  # ~50 albums per discover page, covers at 5/s
    hours = [discover_only, discover_only + 25_000 / 1.0 / 3600]  # plus one album page a second
    print(
        f"at the defaults (--rate 1, --cover-rate 5), 25,000 albums take ~{hours[0]:.1f} h discover-only "
        f"(covers bound) and ~{hours[1]:.1f} h with --album-pages (one page a second), if the pages are served"
    )


def bench_scrape(db: Path, albums_per_tag: int, rate: float, cover_px: int) -> float:
    out, n, seconds = _timed_scrape(db, (albums_per_tag, cover_px), rate, rate)
    print(out.strip())
    print(
        f"scrape: {n} albums in {seconds:.1f} s (process start included) = {n / seconds * 60:.0f} albums/min "
        f"at --rate {rate:g}, covers {cover_px} px"
    )
    return n / seconds * 60


def bench_palettes(db: Path) -> None:
    for workers in (1, os.cpu_count() or 1):
        with Corpus(db) as corpus:
            with corpus.transaction() as con:
                con.execute("DELETE FROM palette_arrays")
            sizes = corpus.query("SELECT cover_width, cover_height FROM albums WHERE cover_status = 'ok'")
            px = sum(w * h for w, h in sizes)
            result = extract_palettes(corpus, n_jobs=workers, progress=False)
        print(
            f"palettes, {workers} worker(s): {result.done} covers in {result.seconds:.2f} s = "
            f"{result.done / result.seconds:.0f} covers/s, {px / result.seconds / 1e6:.0f} Mpx/s "
            "(pool start included)"
        )


def bench_files_vs_blobs(db: Path, workdir: Path) -> None:
    with Corpus(db) as corpus:
        covers = [p for _, p in corpus.covers_without_palette()] or [
            corpus.cover_path(f) for (f,) in corpus.query("SELECT cover_file FROM albums WHERE cover_status='ok'")
        ]
    data = [p.read_bytes() for p in covers]
    total_mb = sum(map(len, data)) / 1e6

    files_db = sqlite3.connect(workdir / "files.sqlite", isolation_level=None)
    files_db.execute("PRAGMA journal_mode=WAL")
    files_db.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, cover_file TEXT)")
    (workdir / "covers").mkdir()
    start = time.perf_counter()
    for i, blob in enumerate(data):
        path = workdir / "covers" / f"{i}.jpg"
        tmp = path.with_suffix(".part")
        tmp.write_bytes(blob)
        os.replace(tmp, path)
        files_db.execute("BEGIN IMMEDIATE")
        files_db.execute("INSERT INTO a VALUES (?, ?)", (i, str(path)))
        files_db.execute("COMMIT")
    t_files = time.perf_counter() - start

    blob_db = sqlite3.connect(workdir / "blobs.sqlite", isolation_level=None)
    blob_db.execute("PRAGMA journal_mode=WAL")
    blob_db.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, cover BLOB)")
    start = time.perf_counter()
    for i, blob in enumerate(data):
        blob_db.execute("BEGIN IMMEDIATE")
        blob_db.execute("INSERT INTO a VALUES (?, ?)", (i, blob))
        blob_db.execute("COMMIT")
    t_blobs = time.perf_counter() - start
    blob_db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    start = time.perf_counter()
    paths = [p for (p,) in files_db.execute("SELECT cover_file FROM a ORDER BY id")]
    extract_many(paths, 40, progress=False)
    t_pal_files = time.perf_counter() - start
    start = time.perf_counter()
    blobs = [b for (b,) in blob_db.execute("SELECT cover FROM a ORDER BY id")]
    extract_many(blobs, 40, progress=False)
    t_pal_blobs = time.perf_counter() - start
    print(f"covers: {len(data)} JPEGs, {total_mb:.1f} MB")
    print(f"  write, one transaction per album: files {t_files:.2f} s, BLOBs {t_blobs:.2f} s")
    print(
        f"  palettes over all ({os.cpu_count()} workers): from files {t_pal_files:.2f} s, "
        f"from BLOBs {t_pal_blobs:.2f} s"
    )
    print(
        f"  database size: with files {os.path.getsize(workdir / 'files.sqlite') / 1e6:.2f} MB, "
        f"with BLOBs {os.path.getsize(workdir / 'blobs.sqlite') / 1e6:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--albums-per-tag", type=int, default=30)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--cover-px", type=int, default=1200)
    parser.add_argument("--only", choices=("modes", "throughput"), default=None)
    parser.add_argument("--cover-rate", type=float, default=20)
    parser.add_argument("--latency-ms", type=float, default=100)
    args = parser.parse_args()
    if args.only != "throughput":
        with tempfile.TemporaryDirectory() as tmp:
            per_tag = 100 if args.only == "modes" else args.albums_per_tag
            bench_modes(Path(tmp), per_tag, args.rate if args.only == "modes" else 20, args.cover_rate, args.latency_ms)
    if args.only == "modes":
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "corpus.sqlite"
        bench_scrape(db, args.albums_per_tag, args.rate, args.cover_px)
        bench_files_vs_blobs(db, Path(tmp))
        bench_palettes(db)


if __name__ == "__main__":
    main()
