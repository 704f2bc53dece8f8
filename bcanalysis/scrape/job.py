"""`scrape`: discover albums by tag, store each from its discover result with its cover, and (opt-in) read album
pages; safe to rerun after any interruption."""

from __future__ import annotations

import math
import time

from bcanalysis.bandcamp import DEFAULT_BASE_URL, SIZE_CODES, Client, check_tag
from bcanalysis.defaults import COVER_CONNECTIONS, COVER_RATE, COVER_SIZE, SITE_RATE
from bcanalysis.scrape.covers import refetch_missing_covers, store_albums
from bcanalysis.scrape.listing import discover
from bcanalysis.scrape.pages import read_pages
from bcanalysis.scrape.summary import ScrapeSummary
from bcanalysis.store import Corpus, CorpusError
from bcanalysis.store.unfinished import remove_unfinished


def _finite(value: float, name: str, *, minimum: float = 0.0, strict: bool = False) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and (value > minimum if strict else
                                                                           value >= minimum)):  # fmt: skip
        raise ValueError(f"{name} must be a finite number {'>' if strict else '>='} {minimum:g}, got {value}")


def scrape(
    corpus: Corpus,
    tags: list[str],
    limit: int,
    *,
    client: Client | None = None,
    base_url: str = DEFAULT_BASE_URL,
    image_base_url: str | None = None,
    rate: float = SITE_RATE,
    cover_rate: float = COVER_RATE,
    cover_connections: int = COVER_CONNECTIONS,
    size: int = COVER_SIZE,
    page_size: int = 60,
    include_tracks: bool = False,
    album_pages: bool = False,
    max_refusals: int = 5,
    challenge_tries: int = 3,
    challenge_wait: float = 30.0,
    retry_failed: bool = False,
    progress: bool = True,
) -> ScrapeSummary:
    """Scrape the first `limit` albums under each tag into `corpus`; safe to rerun, it continues where it stopped.

    Each album is stored from its discover result with its cover from the image host; with `album_pages` its page
    is read too, for the full tag list, until the site refuses `max_refusals` pages in a row. Raises Refused if the
    discover API refuses (nothing stored is lost), UnknownTag, SchemaDrift or ScrapeAborted."""
    for tag in tags:
        check_tag(tag)
    if not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive number of albums per tag, got {limit}")
    if size not in SIZE_CODES:
        raise ValueError(f"size must be a Bandcamp image size code, one of {SIZE_CODES}, got {size}")
    _finite(challenge_wait, "challenge_wait")
    for name, value in (("max_refusals", max_refusals), ("challenge_tries", challenge_tries),
                        ("page_size", page_size), ("cover_connections", cover_connections)):  # fmt: skip
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value}")
    make_covers_dir(corpus)
    own = client is None
    client = client or Client(base_url, image_base_url=image_base_url, rate=rate, cover_rate=cover_rate,
                              cover_connections=cover_connections)  # fmt: skip
    summary = ScrapeSummary()
    summary.parts_removed = remove_unfinished(corpus.covers_dir)  # left by killed runs; a live run's are kept
    start = time.monotonic()
    try:
        if retry_failed:
            corpus.reset_failed(tags)
        summary.known_failures = corpus.failed_item_ids(tags)
        refetch_missing_covers(corpus, client, summary, progress=progress)
        for tag in tags:
            discover(corpus, client, tag, limit, page_size=page_size, include_tracks=include_tracks, summary=summary)
            summary.listed[tag] = min(limit, (corpus.progress(tag) or {}).get("items_seen", 0))
        store_albums(corpus, client, tags, limit, size, summary, progress=progress)
        if album_pages:
            read_pages(corpus, client, tags, limit, summary, max_refusals=max_refusals,
                       challenge_tries=challenge_tries, challenge_wait=challenge_wait, progress=progress)  # fmt: skip
    finally:
        summary.requests, summary.image_requests = client.sent["site"], client.sent["image"]
        summary.seconds = time.monotonic() - start
        if own:
            client.close()
    return summary


def make_covers_dir(corpus: Corpus) -> None:
    try:
        corpus.covers_dir.mkdir(exist_ok=True)
    except OSError as exc:
        raise CorpusError(f"cannot create the covers folder {corpus.covers_dir}: {exc.strerror or exc}") from exc
