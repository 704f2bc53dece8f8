"""`scrape`: discover albums by tag, store each from its discover result with its cover, and (opt-in) read album
pages; safe to rerun after any interruption."""

from __future__ import annotations

import time

from bcanalysis.bandcamp import DEFAULT_BASE_URL, POLITENESS, SIZE_CODES, Client, Politeness, check_tag
from bcanalysis.checks import check_scalar
from bcanalysis.defaults import COVER_SIZE
from bcanalysis.scrape.covers import refetch_missing_covers, store_albums
from bcanalysis.scrape.listing import discover
from bcanalysis.scrape.pages import read_pages
from bcanalysis.scrape.summary import ScrapeSummary
from bcanalysis.store import Corpus, CorpusError
from bcanalysis.store.unfinished import remove_unfinished


def scrape(
    corpus: Corpus,
    tags: list[str],
    albums_per_tag: int,
    *,
    base_url: str | None = None,
    image_base_url: str | None = None,
    politeness: Politeness | None = None,
    client: Client | None = None,
    size: int = COVER_SIZE,
    page_size: int = 60,
    include_tracks: bool = False,
    album_pages: bool = False,
    retry_failed: bool = False,
    progress: bool = True,
) -> ScrapeSummary:
    """Scrape the first `albums_per_tag` albums under each tag into `corpus`; safe to rerun, it continues where it
    stopped.

    What to scrape: `tags`, `albums_per_tag`, the cover `size` code, `page_size` results a discover request,
    single tracks too (`include_tracks`), album pages (`album_pages`: each stored album's page read for its full
    tag list), failures tried again (`retry_failed`). Where: `base_url` (default bandcamp.com) and
    `image_base_url`, at `politeness` (rates, retries, refusal limits, caps: default `POLITENESS`) — or an open
    `client`, which brings all three. Raises Refused if the discover API refuses (nothing stored is lost),
    UnknownTag, SchemaDrift or ScrapeAborted."""
    for tag in tags:
        check_tag(tag)
    check_scalar(albums_per_tag, "albums_per_tag", int, low=1)
    check_scalar(page_size, "page_size", int, low=1)
    if size not in SIZE_CODES:
        raise ValueError(f"size must be a Bandcamp image size code, one of {SIZE_CODES}, got {size}")
    if client is not None and (base_url, image_base_url, politeness) != (None, None, None):
        raise ValueError("scrape takes a client or a base_url, image_base_url and politeness, not both")
    make_covers_dir(corpus)
    own = client is None
    if own:
        client = Client(
            base_url or DEFAULT_BASE_URL,
            image_base_url=image_base_url,
            politeness=POLITENESS if politeness is None else politeness,
        )
    summary = ScrapeSummary()
    summary.parts_removed = remove_unfinished(corpus.covers_dir)  # left by killed runs; a live run's are kept
    start = time.monotonic()
    try:
        if retry_failed:
            corpus.reset_failed(tags)
        summary.known_failures = corpus.failed_item_ids(tags)
        refetch_missing_covers(corpus, client, summary, progress=progress)
        for tag in tags:
            discover(
                corpus, client, tag, albums_per_tag, page_size=page_size, include_tracks=include_tracks, summary=summary
            )
            summary.listed[tag] = min(albums_per_tag, (corpus.progress(tag) or {}).get("items_seen", 0))
        store_albums(corpus, client, tags, albums_per_tag, size, summary, progress=progress)
        if album_pages:
            read_pages(corpus, client, tags, albums_per_tag, summary, progress=progress)
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
