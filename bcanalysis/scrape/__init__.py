"""The scrape job: discover albums by tag, store each from its discover result with its cover, and (opt-in) read
album pages for their full tag lists (the palettes job is `bcanalysis.palette.extract_palettes`).

Discover-only is the default: one site request per 60 results, covers from the image host on their own budget.
Resumable by construction: discover pages are stored with their cursor, each album is stored (its listings marked
done) in one transaction after its cover is on disk, covers already on disk are reused, and album pages are read
for stored albums only, so a rerun after a crash fetches only what was not yet stored.

Modules: `job` (`scrape`), `listing` (discover paging), `covers` (fetching and storing covers and albums), `pages`
(album pages), `summary` (`ScrapeSummary` and the errors that stop a run).
"""

from bcanalysis.scrape.covers import fetch_cover, refetch_missing_covers, store_albums
from bcanalysis.scrape.job import scrape
from bcanalysis.scrape.listing import discover
from bcanalysis.scrape.pages import read_pages
from bcanalysis.scrape.summary import ScrapeAborted, ScrapeSummary, UnknownTag

__all__ = [
    "ScrapeAborted",
    "ScrapeSummary",
    "UnknownTag",
    "discover",
    "fetch_cover",
    "read_pages",
    "refetch_missing_covers",
    "scrape",
    "store_albums",
]
