"""Two small demo corpora run through `bcanalysis report` (notebooks 03-06), built once per test process.

"drift-ambient" is the demo catalogue as `make demo` serves it (ambient covers darken over the years); "drift-pop"
is another draw of the catalogue (another seed) whose planted drift is moved to pop (bright covers that darken, where
metal's dark covers would hardly change), so the notebooks' verdicts come out differently. Small on purpose (4 genres
× 40 albums, a sweep of 2 depths × 5 topic counts): the two runs take a bit over a minute on 2 cores. Used by
test_notebooks_findings.py and test_browser.py.
"""

from __future__ import annotations

import atexit
import importlib
import shutil
import tempfile
from functools import cache
from pathlib import Path

TAGS = ["ambient", "metal", "pop", "rock"]
ALBUMS_PER_TAG = 40
CORPORA = {
    "drift-ambient": {"seed": 0, "drift": {"ambient": ("midnight", 0.7)}},
    "drift-pop": {"seed": 5, "drift": {"pop": ("midnight", 0.8)}},
}
PARAMETERS = {
    "tags": TAGS,
    "albums_per_tag": ALBUMS_PER_TAG,
    "bits": 12,
    "n_topics": 5,
    "sweep_bits": [9, 12],
    "sweep_n": [2, 3, 4, 5, 6],
    "n_boot": 30,
    "n_similar": 5,
    "space_bits": [9, 12],
    "space_restarts": 2,
    "random_state": 0,
}
NOTEBOOKS = ["03", "04", "05", "06"]


def _corpus(db: Path, seed: int, drift: dict) -> None:
    """Scrape the demo server into `db` (with `drift` planted in the catalogue it serves) and extract palettes."""
    from bcanalysis.bandcamp import Politeness
    from bcanalysis.demo import DemoServer
    from bcanalysis.palette import extract_palettes
    from bcanalysis.scrape import scrape
    from bcanalysis.store import Corpus

    catalogue = importlib.import_module("bcanalysis.demo.catalogue")
    saved = dict(catalogue.DRIFT)
    catalogue.DRIFT.clear()
    catalogue.DRIFT.update(drift)
    catalogue.catalogue.cache_clear()
    try:
        server = DemoServer(albums_per_tag=ALBUMS_PER_TAG, random_state=seed, max_cover_px=200)
        with Corpus(db) as corpus, server:
            scrape(corpus, TAGS, ALBUMS_PER_TAG, base_url=server.url, politeness=Politeness(rate=500), progress=False)
            extract_palettes(corpus, n_jobs=1, progress=False)
    finally:
        catalogue.DRIFT.clear()
        catalogue.DRIFT.update(saved)
        catalogue.catalogue.cache_clear()  # nothing drawn with the moved drift stays cached


@cache
def demo_reports(name: str) -> Path:
    """The report folder of corpus `name` (see CORPORA): HTML and executed notebooks 03-06, plus `corpus.sqlite`."""
    from bcanalysis import cli

    root = Path(tempfile.mkdtemp(prefix=f"bcanalysis-{name}-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    spec = CORPORA[name]
    _corpus(root / "corpus.sqlite", spec["seed"], spec["drift"])
    params = {**PARAMETERS, "db": str(root / "corpus.sqlite"), "cache_dir": str(root / "cache")}
    argv = ["report", "--source", "demo", "--out", str(root / "reports")]
    for key, value in params.items():
        argv += ["-p", key, repr(value)]
    for prefix in NOTEBOOKS:
        argv += ["--only", prefix]
    if cli.main(argv) != 0:
        raise RuntimeError(f"bcanalysis report failed on the {name} corpus (see the log above)")
    return root / "reports"
