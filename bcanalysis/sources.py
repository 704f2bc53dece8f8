"""Where notebook 01 gets its albums: the offline demo server, the real site, or a corpus made before.

from bcanalysis.sources import open_source
source = open_source("demo", albums_per_tag=30)    # starts the demo server on 127.0.0.1
scrape(corpus, tags, 30, base_url=source.base_url, politeness=source.politeness)
source.close()                                      # stops it
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bcanalysis.defaults import ALBUMS_PER_TAG, DEMO_COVER_PX
from bcanalysis.facts import BANDCAMP_URL

__all__ = [
    "SOURCES",
    "Source",
    "open_source",
    "tag_table",
]

if TYPE_CHECKING:  # a corpus made before needs no HTTP: bandcamp is imported only for a source that scrapes
    from bcanalysis.bandcamp import Politeness

#: The sources `open_source` knows (and `bcanalysis report --source` offers).
SOURCES = ("demo", "bandcamp", "corpus")


@dataclass
class Source:
    """A base URL, how to treat it (a `bandcamp.Politeness`), and a server to stop (demo only); neither for a
    corpus that is already made (`"corpus"`: notebook 01 only describes it)."""

    name: str
    base_url: str | None
    politeness: Politeness | None = None
    server: Any = None

    @property
    def scrapes(self) -> bool:
        """Whether notebook 01 fills the corpus from this source (False: the corpus is already made)."""
        return self.base_url is not None

    def describe(self) -> str:
        """What this source is, in one line (a report shows it under its notebook's first cell)."""
        if self.name == "demo":
            return (
                f"Source: the offline demo server at {self.base_url}, a synthetic Bandcamp-shaped catalogue "
                f"(nothing leaves this machine)"
            )
        if self.name == "bandcamp":
            return (
                f"Source: Bandcamp at {self.base_url}, {self.politeness.rate:g} site request a second and "
                f"{self.politeness.cover_rate:g} cover requests a second"
            )
        return "Source: a corpus made before (bcanalysis import, or an earlier scrape): nothing is fetched"

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.describe())}</p>"

    def close(self) -> None:
        """Stop the demo server, if one was started."""
        if self.server is not None:
            self.server.stop()
            self.server = None

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_source(source: str, albums_per_tag: int = ALBUMS_PER_TAG, *, max_cover_px: int = DEMO_COVER_PX) -> Source:
    """`"demo"`: start the offline demo server on 127.0.0.1 (`DEMO_POLITENESS`: fast rates); `"bandcamp"`: the real
    site (`POLITENESS`: its polite rates); `"corpus"`: nothing to fetch, the corpus was made before (`bcanalysis
    import`)."""
    if source == "demo":
        from bcanalysis.bandcamp import DEMO_POLITENESS
        from bcanalysis.demo.server import DemoServer

        server = DemoServer(albums_per_tag=albums_per_tag, max_cover_px=max_cover_px).start()
        return Source("demo", server.url, DEMO_POLITENESS, server)
    if source == "bandcamp":
        from bcanalysis.bandcamp import POLITENESS

        return Source("bandcamp", BANDCAMP_URL, POLITENESS)
    if source == "corpus":
        return Source("corpus", None)
    raise ValueError(f"source must be one of {', '.join(map(repr, SOURCES))}, got {source!r}")


def tag_table(albums: Any) -> Any:
    """Albums per genre tag (the tags an album was found under, then its own: `album_table.tag_column`) by cover status,
    largest first; a `Note` saying so when no album has a tag."""
    from bcanalysis.album_table import tag_column
    from bcanalysis.notes import Note

    tagged = albums.assign(genre_tag=tag_column(albums)).explode("genre_tag").dropna(subset=["genre_tag"])
    if tagged.empty:
        return Note(
            f"None of the {len(albums):,} albums has a genre tag (no found_under, tags or genre): the genre "
            "tables of notebooks 05 and 06 will have nothing to compare."
        )
    table = tagged.groupby("genre_tag")["cover_status"].value_counts().unstack(fill_value=0)
    return table.loc[table.sum(axis=1).sort_values(ascending=False, kind="stable").index]
