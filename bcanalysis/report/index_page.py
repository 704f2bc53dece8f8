"""The reports' index page: links to each report, the parameters, corpus size, package versions, git commit and the
time per notebook. `index_data` gathers what the page shows as plain data (`IndexPage`), `write_index` writes it;
`bcanalysis.report.run_report` does both after every notebook. This module imports nothing of `report.run`.

Every value is HTML-escaped: parameters and corpus text may come from users or scraped pages.
"""

from __future__ import annotations

import html
import json
import platform
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from bcanalysis.defaults import PROJ_ROOT

#: Distributions whose versions the index lists.
VERSIONED = (
    "bcanalysis",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "matplotlib",
    "pillow",
    "tomotopy",
    "papermill",
    "nbconvert",
    "ipykernel",
    "ipywidgets",
)


def package_versions(names: Sequence[str] = VERSIONED) -> dict[str, str]:
    """Installed versions of `names` (and Python); 'not installed' for those missing."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit(root: Path = PROJ_ROOT) -> str:
    """The commit the code ran at (with "+dirty" if tracked files changed), or "unknown" outside git."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return sha + ("+dirty" if dirty else "")


def corpus_size(db: Any) -> str:
    """Albums, covers and palettes in the corpus at `db`, as a short sentence; '—' if it cannot be read."""
    if not db or not Path(str(db)).exists():
        return "—"
    try:
        from bcanalysis.store import Corpus

        with Corpus(str(db), create=False) as corpus:
            n = corpus.counts()
    except Exception as exc:  # noqa: BLE001 - the index must still be written
        return f"unreadable ({type(exc).__name__})"
    return f"{n['albums']:,} albums · {n['cover_ok']:,} covers · {n['palettes']:,} palettes"


def corpus_genres(db: Any, most: int = 10) -> str:
    """The corpus's most common genre tags with their album counts ("rock 12 · jazz 9 · …"), as the genre tables
    read them (`album_table.tag_column`); "none" without tags, "—" if the corpus cannot be read."""
    if not db or not Path(str(db)).exists():
        return "—"
    try:
        from bcanalysis.album_table import tag_column
        from bcanalysis.store import Corpus

        with Corpus(str(db), create=False, readonly=True) as corpus:
            counts = tag_column(corpus.albums(palettes=False)).explode().dropna().value_counts()
    except Exception:  # noqa: BLE001 - the index must still be written
        return "—"
    if counts.empty:
        return "none"
    shown = " · ".join(f"{tag} {n:,}" for tag, n in counts.head(most).items())
    return shown + (f" · and {len(counts) - most:,} more" if len(counts) > most else "")


#: Parameters that only steer scraping (notebook 01): left out of the index of a run that scrapes nothing.
SCRAPE_ONLY = ("tags", "albums_per_tag")
#: How the index names each source.
SOURCE_WORDS = {
    "demo": "the offline demo catalogue (synthetic covers, served on 127.0.0.1)",
    "bandcamp": "albums scraped from Bandcamp by genre tag",
    "corpus": "a corpus you made",
}


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


@dataclass(frozen=True)
class IndexRun:
    """One notebook's row on the index: its page and executed notebook (file names beside the index, or None), its
    time, its error (None when it ran), the page's size in bytes."""

    name: str
    html: str | None
    ipynb: str | None
    seconds: float
    error: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class IndexPage:
    """Everything the index shows, as plain data: the runs, the parameters injected and the notebooks' own values,
    the source, the corpus's size and genres, package versions, the git commit and when the run started."""

    runs: list[IndexRun]
    parameters: dict[str, Any]
    defaults: dict[str, Any]
    corpus: str
    genres: str
    commit: str
    started: datetime
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return str(self.parameters.get("source", ""))


def index_data(
    runs: Sequence[IndexRun],
    parameters: Mapping[str, Any],
    defaults: Mapping[str, Any],
    *,
    started: datetime | None = None,
) -> IndexPage:
    """The index's data for these runs: the corpus read at `parameters["db"]`, versions and commit looked up now."""
    db = parameters.get("db")
    return IndexPage(
        list(runs),
        dict(parameters),
        dict(defaults),
        corpus_size(db),
        corpus_genres(db),
        git_commit(),
        started or datetime.now(timezone.utc),
        package_versions(),
    )


def write_index(page: IndexPage, path: Path) -> Path:
    """Write the index page at `path`: links to each report, the parameters, corpus size, versions, commit, timings.

    Every value is HTML-escaped: parameters and corpus text may come from users or scraped pages.
    """
    rows = []
    for run in page.runs:
        link = f'<a href="{_e(run.html)}">{_e(run.name)}</a>' if run.html else _e(run.name)
        nb = f'<a href="{_e(run.ipynb)}">.ipynb</a>' if run.ipynb else ""
        status = f'<span class="bad">failed</span><pre>{_e(run.error)}</pre>' if run.error else "ok"
        size = f"{run.size / 1e6:.1f} MB" if run.size is not None else ""
        cells = (link, nb, status, f"{run.seconds:.1f} s", size)
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    effective = {**page.defaults, **page.parameters}
    if page.source == "corpus":
        effective = {k: v for k, v in effective.items() if k not in SCRAPE_ONLY}
    params = "".join(
        f"<tr><th>{_e(k)}</th><td><code>{_e(json.dumps(v, default=str))}</code></td>"
        f'<td class="meta">{"injected" if k in page.parameters else "notebook default"}</td></tr>'
        for k, v in effective.items()
    )
    versions = " · ".join(f"{_e(k)} {_e(v)}" for k, v in page.versions.items())
    total = sum(r.seconds for r in page.runs)
    when = page.started.strftime("%Y-%m-%d %H:%M UTC")
    html_page = _INDEX.format(
        rows="\n".join(rows),
        params=params,
        versions=versions,
        total=f"{total:.1f}",
        corpus=_e(page.corpus),
        commit=_e(page.commit),
        when=_e(when),
        source=_e(page.source),
        source_words=_e(SOURCE_WORDS.get(page.source, page.source)),
        genres=_e(page.genres),
    )
    path = Path(path)
    path.write_text(html_page, encoding="utf-8")
    return path


_INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>bcanalysis reports</title>
<style>
 body {{ font: 15px/1.5 system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; color: #222; }}
 table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
 td, th {{ border-bottom: 1px solid #ddd; padding: 4px 12px 4px 0; text-align: left; vertical-align: top; }}
 code, pre {{ font-size: 13px; }} pre {{ white-space: pre-wrap; margin: 0; }} .bad {{ color: #b00; font-weight: bold; }}
 .meta {{ color: #555; }}
</style></head><body>
<h1>bcanalysis — colour topics of album covers</h1>
<p class="meta">Source <b>{source}</b>: {source_words} · corpus: {corpus} · run started {when} · {total} s in
notebooks</p>
<p class="meta">Genre tags in the corpus (albums): {genres}</p>
<h2>Reports</h2>
<table><tr><th>notebook</th><th>executed</th><th>status</th><th>time</th><th>size</th></tr>
{rows}
</table>
<h2>Parameters</h2>
<table>{params}</table>
<h2>Environment</h2>
<p class="meta">git commit <code>{commit}</code></p>
<p class="meta">{versions}</p>
</body></html>
"""
