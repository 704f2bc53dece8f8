"""`Corpus.albums()` on imported albums with thousands of own metadata columns (issue 20: 60 albums with 3k own
columns took 5.9 s, 6k 38 s, 12k 209 s: quadratic).

For each column count: a corpus of 60 albums whose `extra` JSON holds that many own columns, in a temporary folder;
the time of `albums(palettes=False)` as it is (past `OWN_COLUMNS_MAX` names: one `extra` column of dicts) and with
the cap lifted (every own column a column of its own), and the reference measured in the same run: parsing the
stored JSON texts alone, the least albums() must do. Printed: seconds (fastest of --repeat) and each ÷ reference;
linear work keeps the ratios flat as the columns grow.

    .venv/bin/python benchmarks/bench_own_columns.py --columns 3000 6000 12000
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
import warnings
from pathlib import Path

from bcanalysis.store import Corpus, Cover, tables

ALBUMS = 60


def corpus(path: Path, columns: int) -> list[str]:
    """60 albums with `columns` own columns each; returns the stored JSON texts."""
    with Corpus(path) as c:
        for i in range(ALBUMS):
            c.add_album(
                {"url": f"urn:x:{i}", "store": "", "album": f"a{i}", "title": f"T{i}", "artist": "A", "tags": []},
                Cover("missing", "-"),
            )
    texts = [json.dumps({f"column {k}": f"{i}:{k}" for k in range(columns)}) for i in range(ALBUMS)]
    db = sqlite3.connect(path)
    db.executemany("UPDATE albums SET extra = ? WHERE id = ?", [(t, i + 1) for i, t in enumerate(texts)])
    db.commit()
    db.close()
    return texts


def best(fn, repeat: int) -> float:
    out = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, nargs="+", default=[3000, 6000, 12000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the warning past the cap is the point, not news
    cap = tables.OWN_COLUMNS_MAX
    print(f"{ALBUMS} albums; OWN_COLUMNS_MAX = {cap}; seconds (fastest of {args.repeat}) and ÷ reference")
    print(f"{'columns':>8} {'reference':>10} {'albums()':>9} {'÷ ref':>6} {'spread':>8} {'÷ ref':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.columns:
            texts = corpus(Path(tmp) / f"c{n}.sqlite", n)
            ref = best(lambda texts=texts: [json.loads(t) for t in texts], args.repeat)
            with Corpus(Path(tmp) / f"c{n}.sqlite") as c:
                capped = best(lambda c=c: c.albums(palettes=False), args.repeat)
                tables.OWN_COLUMNS_MAX = 10**9
                spread = best(lambda c=c: c.albums(palettes=False), args.repeat)
                assert c.albums(palettes=False).shape[1] > n  # every own column a column
                tables.OWN_COLUMNS_MAX = cap
            print(f"{n:>8} {ref:>10.3f} {capped:>9.3f} {capped / ref:>6.1f} {spread:>8.3f} {spread / ref:>6.1f}")


if __name__ == "__main__":
    main()
