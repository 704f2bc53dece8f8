"""Past one machine's comfort: load, vectorise and sweep 10k, 100k (and, with --million, 1M) planted palettes.

For each size a corpus file is written (planted palettes drawn chunk by chunk from 18 planted topics, 12 bit), then
three stages each run in a fresh process so each reports its own time and peak memory (the largest sum of PSS —
resident memory with shared pages divided among their sharers — over the stage's process and its worker processes,
sampled every 0.2 s):

1. load    — `Corpus(path, readonly=True).palette_arrays()`: every palette as arrays
2. vectorise — `topics.vectorize(arrays, 12)`: the 12-bit document-term matrix (after the load)
3. sweep   — `topics.sweep(arrays, bits=(12,), n_topics=range(1, 20))`: 19 topic counts × 2 restarts (after the load)

The reference, measured in the same run for the sizes it can afford (--reference-max, default 100k): loading the
palettes the way `albums()` hands them to people, as a list of (r, g, b) tuples per album. Printed: seconds and
peak memory per stage, the growth factor per 10× more palettes, the recovery of the planted topics by the sweep's
model at n = 18, and the ratio of the reference load to the array load.

    .venv/bin/python benchmarks/bench_scale.py                # 10k and 100k (what `make bench` runs)
    .venv/bin/python benchmarks/bench_scale.py --million      # and 1M (about half an hour or more on 2 cores)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_TOPICS = 18
CHUNK = 50_000


def build(path: Path, n: int, random_state: int = 0) -> float:
    """A corpus of `n` albums with planted palettes, written in chunks (bounded memory); returns seconds."""
    from bcanalysis.store import Corpus, PaletteArrays
    from bcanalysis.topics.planted import color_grid, draw_palettes, planted_palettes

    start = time.perf_counter()
    truth = planted_palettes(1, N_TOPICS, random_state=random_state)  # the topics; its one palette is not used
    np.save(path.with_suffix(".topics.npy"), truth.topics)
    rng = np.random.default_rng(random_state + 1)
    grid = color_grid(12)
    with Corpus(path) as corpus:
        for lo in range(0, n, CHUNK):
            hi = min(n, lo + CHUNK)
            mixtures = rng.dirichlet(np.full(N_TOPICS, 0.1), hi - lo)
            rgb, props = draw_palettes(rng, truth.topics, grid, mixtures, 40, 12)
            ids = np.arange(lo + 1, hi + 1)
            with corpus.transaction() as db:
                db.executemany(
                    "INSERT INTO albums (id, url, store, album, title, artist, cover_status, scraped_at)"
                    " VALUES (?, ?, 'planted', ?, ?, '', 'missing', '2026-01-01')",
                    [(int(i), f"planted:{i}", str(i), f"planted {i}") for i in ids],
                )
            offsets = np.arange(0, (hi - lo) * 40 + 1, 40)
            corpus.save_palette_arrays(PaletteArrays(ids, offsets, rgb.reshape(-1, 3), props.ravel()), "planted")
    return time.perf_counter() - start


def _peak_mb() -> float:
    """This process's own peak RSS in MB (the parent adds its workers' by sampling the process tree)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _tree_mb(proc) -> float:
    """Memory of a process and all its descendants (the sweep's worker processes), in MB: the sum of their
    proportional set sizes (PSS), so pages they share — the memory-mapped training matrix — count once."""
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_full_info().pss
        except psutil.Error:  # a worker that just ended
            pass
    return total / 2**20


def stage(name: str, path: str, n_jobs: int) -> dict:
    """Run one stage in this process (called in a fresh subprocess) and return its numbers."""
    from bcanalysis import album_table, topics
    from bcanalysis.store import Corpus

    out: dict = {"stage": name}
    t0 = time.perf_counter()
    with Corpus(path, readonly=True) as corpus:
        if name == "reference":
            albums = corpus.albums()
            _, palettes = album_table.album_palettes(albums)
            out["seconds"] = time.perf_counter() - t0
            out["palettes"] = len(palettes)
            out["peak_mb"] = _peak_mb()
            return out
        arrays = corpus.palette_arrays()
    out["load_seconds"] = time.perf_counter() - t0
    out["palettes"] = len(arrays)
    if name == "load":
        out["peak_mb"] = _peak_mb()
        return out
    if name == "vectorise":
        t1 = time.perf_counter()
        dt = topics.vectorize(arrays, 12)
        out["seconds"] = time.perf_counter() - t1
        out["vocabulary"] = int(dt.counts.shape[1])
        out["peak_mb"] = _peak_mb()
        return out
    t1 = time.perf_counter()
    result = topics.sweep(
        arrays, bits=(12,), n_topics=range(1, 20), random_state=0, cache_dir=None, n_jobs=n_jobs, progress=False
    )
    out["seconds"] = time.perf_counter() - t1
    from bcanalysis.topics.planted import color_grid

    truth = np.load(Path(path).with_suffix(".topics.npy"))
    out["recovery_18"] = float(topics.recovery(truth, color_grid(12), result.model(12, N_TOPICS)))
    out["recommended"] = int(result.recommend().iloc[0]["n_topics"])
    out["peak_mb"] = _peak_mb()
    return out


def run_stage(name: str, path: Path, n_jobs: int) -> dict:
    """One stage in a fresh process; its peak memory is the largest of its own peak RSS and the sum of PSS over it
    and its workers, sampled every 0.2 s (ru_maxrss alone misses worker processes still alive at the end)."""
    import psutil

    cmd = [sys.executable, __file__, "--stage", name, "--db", str(path), "--n-jobs", str(n_jobs)]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        proc, tree_peak = psutil.Process(child.pid), 0.0
        while child.poll() is None:
            tree_peak = max(tree_peak, _tree_mb(proc))
            time.sleep(0.2)
        out.seek(0), err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"stage {name} on {path} failed:\n{err.read()[-3000:]}")
        row = json.loads(out.read().strip().splitlines()[-1])
    row["peak_mb"] = max(row["peak_mb"], tree_peak)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--million", action="store_true", help="also 1,000,000 palettes")
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="palette counts (default 10k 100k [1M])")
    parser.add_argument("--reference-max", type=int, default=100_000, help="largest size the reference loads")
    parser.add_argument("--no-sweep", action="store_true", help="load and vectorise only")
    parser.add_argument("--n-jobs", type=int, default=None, help="sweep processes (default: all cores)")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(stage(args.stage, args.db, args.n_jobs)))
        return
    sizes = args.sizes or [10_000, 100_000, *([1_000_000] if args.million else [])]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for n in sizes:
            path = Path(tmp) / f"planted-{n}.sqlite"
            built = build(path, n)
            row = {"n": n, "build_s": built, "db_mb": path.stat().st_size / 2**20}
            row["load"] = run_stage("load", path, args.n_jobs or -1)
            row["vectorise"] = run_stage("vectorise", path, args.n_jobs or -1)
            if n <= args.reference_max:
                row["reference"] = run_stage("reference", path, args.n_jobs or -1)
            if not args.no_sweep:
                row["sweep"] = run_stage("sweep", path, args.n_jobs or -1)
            rows.append(row)
            print(json.dumps(row), flush=True)
    report(rows)


def _cell(row: dict, key: str, field: str, fmt: str, unit: str = "") -> str:
    return f"{format(row[key][field], fmt)}{unit}" if key in row else "—"


def report(rows: list[dict]) -> None:
    """The table for benchmarks/README.md, and the growth factor per 10× more palettes."""
    print(
        "\n| palettes | corpus file | load | load peak memory | vectorise 12 bit | sweep 12 bit, n = 1..19 |"
        " sweep peak memory, workers too | recovery at n = 18 | reference load (`albums()` lists)"
        " | reference ÷ load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = f"{r['reference']['seconds'] / r['load']['load_seconds']:.0f}×" if "reference" in r else "—"
        reference = (
            f"{r['reference']['seconds']:.1f} s, {r['reference']['peak_mb']:.0f} MB" if "reference" in r else "—"
        )
        print(
            f"| {r['n']:,} | {r['db_mb']:.0f} MB | {r['load']['load_seconds']:.2f} s | {r['load']['peak_mb']:.0f} MB"
            f" | {r['vectorise']['seconds']:.2f} s | {_cell(r, 'sweep', 'seconds', '.0f', ' s')}"
            f" | {_cell(r, 'sweep', 'peak_mb', '.0f', ' MB')} | {_cell(r, 'sweep', 'recovery_18', '.3f')}"
            f" | {reference} | {ratio} |"
        )
    for a, b in zip(rows, rows[1:], strict=False):
        if b["n"] == 10 * a["n"]:

            def grow(key: str, field: str, a: dict = a, b: dict = b) -> str:
                return f"{b[key][field] / a[key][field]:.1f}×" if key in a and key in b else "—"

            print(
                f"growth {a['n']:,} → {b['n']:,} palettes: load {grow('load', 'load_seconds')}, vectorise "
                f"{grow('vectorise', 'seconds')}, sweep {grow('sweep', 'seconds')}, sweep peak memory "
                f"{grow('sweep', 'peak_mb')}"
            )


if __name__ == "__main__":
    main()
