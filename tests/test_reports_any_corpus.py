"""`bcanalysis report --source corpus` on the corpora a user makes, each imported with `bcanalysis import` from real
photographs (the ones scikit-learn and scikit-image ship): every notebook runs and writes its report, and where a
corpus cannot answer a question (no release dates, one year, one genre, no genres, no places, a year with too few
albums) the report says why in one line and goes on. The reports describe that run, never the demo catalogue, and
tags that are TeX to matplotlib ("$$", "$x^$") are drawn as text.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from _photos import real_photos
from bs4 import BeautifulSoup
from PIL import Image

pytestmark = pytest.mark.slow  # every test reads notebooks run under papermill: make test-fast leaves this module out

REPO = Path(__file__).resolve().parents[1]
#: A small grid, so each corpus's six notebooks run in well under a minute; the notebooks' defaults behave the same.
PARAMETERS = {
    "bits": 12,
    "n_topics": 4,
    "sweep_bits": [9, 12],
    "sweep_n": [2, 3, 4],
    "n_boot": 20,
    "n_similar": 4,
    "space_bits": [12],
    "space_restarts": 2,
}
FINAL = "05_final_12bit_4topics"
PAGES = ["01_scrape", "02_colorgram", "03_quantize", "04_lda_sweep", FINAL, "06_beyond"]
#: Words a report on another corpus must not say: the demo catalogue, its planted structure, Bandcamp's ways.
DEMO_WORDS = [
    r"\bdemo\b",
    "planted",
    "Bandcamp",
    "discover API",
    "ambient",
    "no-trend control",
    "second control",
    "Scrape",
    "scraper",
    r"\bDRIFT\b",
]
#: The demo's ten tags: the index of another corpus must not list them.
DEMO_TAGS = [
    "chill",
    "electronic",
    "alternative",
    "hip-hop-rap",
    "pop",
    "rock",
    "experimental",
    "ambient",
    "metal",
    "punk",
]


def _photos() -> list[Image.Image]:
    """Eleven colour photographs, then crops of the first ones: as many distinct pictures as asked for."""
    photos = real_photos()
    crops = [p.crop((0, 0, p.width // 2, p.height // 2)) for p in photos]
    return photos + crops


def _import(root: Path, rows: list[dict]) -> Path:
    """Write one photograph per row (and the rows as meta.csv unless they only name files), then `bcanalysis import`
    them into root/corpus.sqlite."""
    covers = root / "covers"
    covers.mkdir(parents=True)
    for row, photo in zip(rows, _photos(), strict=False):
        photo.resize((160, 160)).save(covers / row["file"], quality=90)
    meta = []
    if any(len(row) > 1 for row in rows):
        pd.DataFrame(rows).to_csv(covers / "meta.csv", index=False)
        meta = ["--meta", str(covers / "meta.csv")]
    db = root / "corpus.sqlite"
    done = _cli("import", str(covers), "--db", str(db), *meta, "--no-progress")
    assert done.returncode == 0 and f"{len(rows)} added" in done.stdout, done.stdout + done.stderr
    return db


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bcanalysis", *args], capture_output=True, text=True, cwd=REPO, timeout=900
    )


def _fourteen() -> list[dict]:
    """The issue's corpus: 14 photographs with dates (one a year) and tags — here tags that are TeX to matplotlib —
    and places."""
    return [
        {
            "file": f"p{i:02d}.jpg",
            "title": f"Photo {i}",
            "artist": "Lens",
            "tags": "$$" if i % 2 else "$x^$",
            "date": f"{2000 + i}-06-01",
            "location": "Oslo, Norway" if i < 7 else "Lagos",
        }
        for i in range(14)
    ]


CORPORA = {
    "fourteen-dated-tex-tags": _fourteen,
    "ten-one-genre-no-dates-no-places": lambda: [{"file": f"p{i:02d}.jpg", "genre": "folk"} for i in range(10)],
    "ten-no-tags-one-year": lambda: [{"file": f"p{i:02d}.jpg", "date": f"2020-0{1 + i % 9}-15"} for i in range(10)],
}


@pytest.fixture(scope="module", params=list(CORPORA))
def run(request, tmp_path_factory) -> tuple[str, Path, subprocess.CompletedProcess]:
    root = tmp_path_factory.mktemp(request.param)
    db = _import(root, CORPORA[request.param]())
    argv = ["report", "--source", "corpus", "--out", str(root / "reports"), "-p", "db", str(db)]
    for name, value in PARAMETERS.items():
        argv += ["-p", name, repr(value)]
    return request.param, root / "reports", _cli(*argv)


def _reader_text(page: Path) -> str:
    """What a reader of the report reads: its title, Markdown and outputs (not the code)."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    parts = [soup.title.get_text() if soup.title else ""]
    parts += [c.get_text(" ", strip=True) for c in soup.select(".jp-MarkdownCell, .jp-OutputArea")]
    return " ".join(parts)


def _output(reports: Path, page: str, code: str) -> str:
    """The text output of the cell of `page` whose code starts with `code`."""
    nb = nbformat.read(str(reports / f"{page}.ipynb"), as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith(code))
    return " ".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.outputs)


def test_every_notebook_writes_its_report(run) -> None:
    name, reports, result = run
    assert result.returncode == 0, f"{name}: {result.stderr[-2500:]}"
    assert sorted(p.stem for p in reports.glob("*.html")) == sorted([*PAGES, "index"])
    for page in PAGES:
        nb = nbformat.read(str(reports / f"{page}.ipynb"), as_version=4)
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert not errors, f"{name} {page}: {errors[0].ename}: {errors[0].evalue}"
        stderr = [
            o.text[:300]
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.outputs
            if o.output_type == "stream" and o.name == "stderr"
        ]
        assert not stderr, f"{name} {page}: warnings on stderr: {stderr}"


#: What each corpus cannot answer, and the line that says why: (page, the cell's code, the words of the line).
WHY = {
    "fourteen-dated-tex-tags": [
        (
            "06_beyond",
            "trend = analysis.trends",
            "Colour topics over time is not drawn: no year has 3 or more albums "
            "with a palette: 14 albums over 14 years.",
        ),
        ("06_beyond", 'plots.stat_trends(trend, "lightness"', "Lightness over time is not drawn: no year has 3"),
        (
            "06_beyond",
            "findings.drift_verdict(test)",
            "No genre can be tested for a drift: no genre has 10 or more dated albums.",
        ),
    ],
    "ten-one-genre-no-dates-no-places": [
        (
            "06_beyond",
            "trend = analysis.trends",
            "Colour topics over time is not drawn: none of the 10 albums with a palette has a release date.",
        ),
        ("06_beyond", "findings.drift_verdict(test)", "none of the 10 albums with a palette has a release date"),
        ("06_beyond", "findings.strongest_links(place_lift)", "No album in this corpus has a known place"),
        ("06_beyond", "plots.tag_topic_heatmap(place_lift)", "No place × topic heatmap: no album in this corpus has"),
        (
            "06_beyond",
            "findings.space_verdict(spaces)",
            "tag accuracy needs two genres with two or more albums each; this corpus has 1 genre (folk: 10)",
        ),
    ],
    "ten-no-tags-one-year": [
        ("01_scrape", "sources.tag_table(albums)", "None of the 10 albums has a genre tag"),
        (
            "06_beyond",
            "trend = analysis.trends",
            "Colour topics over time is not drawn: only 2020 has 3 or more albums",
        ),
        ("06_beyond", "findings.drift_verdict(test)", "every dated album is from 2020"),
        ("06_beyond", "findings.space_verdict(spaces)", "this corpus has no album with a genre tag"),
        (FINAL, "findings.strongest_links(lift)", "No genre is on enough albums to test"),
    ],
}


def test_what_a_corpus_cannot_answer_is_said_in_one_line(run) -> None:
    name, reports, result = run
    assert result.returncode == 0, result.stderr[-2500:]
    for page, code, words in WHY[name]:
        said = _output(reports, page, code)
        assert words in said, f"{name} {page} `{code}`: {said[:400]}"
        assert said.strip().count("\n") == 0, f"one line, not {said!r}"


def test_the_reports_describe_this_corpus_not_the_demo(run) -> None:
    name, reports, result = run
    assert result.returncode == 0, result.stderr[-2500:]
    for page in PAGES:
        text = _reader_text(reports / f"{page}.html")
        said = [w for w in DEMO_WORDS if re.search(w, text)]
        assert not said, f"{name} {page} says {said}: " + "; ".join(
            text[max(0, m.start() - 60) : m.end() + 60] for w in said for m in [re.search(w, text)]
        )
    titles = {
        page: BeautifulSoup((reports / f"{page}.html").read_text(encoding="utf-8"), "html.parser").title.text
        for page in PAGES
    }
    assert all(title.endswith(": your own corpus") for title in titles.values()), titles
    assert titles[FINAL].startswith("5 · The final model, 12-bit colours and 4 topics")
    assert "12-bit colours, 4 topics" in _reader_text(reports / f"{FINAL}.html")  # the heading under the title
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "Bandcamp covers" not in index and "a corpus you made" in index
    assert not [t for t in DEMO_TAGS if re.search(rf"\b{re.escape(t)}\b", index)], "the demo's tags in the index"


def test_tags_that_are_tex_to_matplotlib_are_drawn_as_text(run) -> None:
    """A genre "$x^$" killed report 05 (matplotlib read it as TeX in the heatmap); "$$" vanished."""
    name, reports, result = run
    if name != "fourteen-dated-tex-tags":
        pytest.skip("only this corpus has such tags")
    assert result.returncode == 0, result.stderr[-2500:]
    nb = nbformat.read(str(reports / f"{FINAL}.ipynb"), as_version=4)
    heatmap = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("plots.tag_topic_heatmap"))
    assert any("image/png" in o.get("data", {}) for o in heatmap.outputs), "the genre heatmap was drawn"
    page = (reports / f"{FINAL}.html").read_text(encoding="utf-8")
    assert "$x^$" in page and "$$" in page  # in the lift table beside it, as text
    assert "$x^$ 7" in (reports / "index.html").read_text(encoding="utf-8")
