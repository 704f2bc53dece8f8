"""Every notebook under papermill on a small demo corpus, through `bcanalysis report`, as `make demo` runs them.

The corpus is scraped from the demo server first and one album is renamed to an HTML payload (title, artist and a
tag): it must show as text, never as markup, in every report.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from bcanalysis import cli
from bcanalysis.bandcamp import Politeness
from bcanalysis.demo import DemoServer
from bcanalysis.scrape import scrape
from bcanalysis.store import Corpus

pytestmark = pytest.mark.slow  # every test reads notebooks run under papermill: make test-fast leaves this module out

XSS = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
TAGS = ["rock", "pop", "metal", "ambient"]
#: The report pages, 05 named after the run's model (12 bit, 4 topics).
NOTEBOOKS = ["01_scrape", "02_colorgram", "03_quantize", "04_lda_sweep", "05_final_12bit_4topics", "06_beyond"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report-run")
    db = root / "corpus.sqlite"
    with Corpus(db) as corpus, DemoServer(albums_per_tag=8, max_cover_px=300) as server:
        scrape(corpus, TAGS, 8, base_url=server.url, politeness=Politeness(rate=500), progress=False)
        with corpus.transaction() as con:
            first = con.execute("SELECT MIN(id) FROM albums").fetchone()[0]
            con.execute("UPDATE albums SET title = ?, artist = ? WHERE id = ?", (XSS, XSS, first))
            con.execute("INSERT INTO album_tags (album_id, position, tag) VALUES (?, 99, ?)", (first, XSS))
    out = root / "reports"
    params = {
        "db": str(db),
        "cache_dir": str(root / "cache"),
        "tags": TAGS,
        "albums_per_tag": 8,
        "bits": 12,
        "n_topics": 4,
        "sweep_bits": [9, 12],
        "sweep_n": [2, 3, 4, 5],
        "n_boot": 30,
        "n_similar": 4,
        "space_bits": [12],
        "space_restarts": 2,
    }
    argv = ["report", "--source", "demo", "--out", str(out)]
    for name, value in params.items():
        argv += ["-p", name, repr(value)]
    assert cli.main(argv) == 0
    return out


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_its_report_has_figures_and_no_errors(reports: Path, name: str) -> None:
    executed = nbformat.read(str(reports / f"{name}.ipynb"), as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{name}: {errors[0].ename}: {errors[0].evalue}"
    page = (reports / f"{name}.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page, f"{name}: no figure in the report"
    assert "Traceback (most recent call last)" not in page
    stderr = [
        o.text[:200]
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "stream" and o.name == "stderr"
    ]
    assert not stderr, f"{name}: warnings or errors on stderr: {stderr}"
    assert XSS not in page, f"{name}: scraped text reached the report as markup"


def test_untrusted_titles_show_as_text(reports: Path) -> None:
    for page in [*reports.glob("*.html")]:
        assert XSS not in page.read_text(encoding="utf-8"), page.name
    assert ESCAPED in (reports / "01_scrape.html").read_text(encoding="utf-8")
    assert ESCAPED in (reports / "02_colorgram.html").read_text(encoding="utf-8")


def test_index_links_every_report(reports: Path) -> None:
    index = (reports / "index.html").read_text(encoding="utf-8")
    for name in NOTEBOOKS:
        assert f'href="{name}.html"' in index and f'href="{name}.ipynb"' in index
    assert "albums" in index and "git commit" in index and "failed" not in index
