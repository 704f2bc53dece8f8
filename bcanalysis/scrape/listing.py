"""Discover: page the discover API for a tag from the stored cursor until enough albums are listed, storing each
page with its cursor, so a rerun continues where paging stopped."""

from __future__ import annotations

import math
import time

import requests

from bcanalysis.bandcamp import (
    ApiError,
    Client,
    DiscoverPage,
    ForeignHost,
    HttpError,
    RateLimited,
    ResponseError,
    StaleCursor,
)
from bcanalysis.scrape.summary import ScrapeSummary, UnknownTag, reason_kind
from bcanalysis.store import Corpus


def discover(
    corpus: Corpus,
    client: Client,
    tag: str,
    albums_per_tag: int,
    *,
    page_size: int = 60,
    include_tracks: bool = False,
    summary: ScrapeSummary | None = None,
) -> None:
    """Page the discover API for `tag` until `albums_per_tag` listings are stored or the results end, from the saved
    cursor.

    A stale cursor restarts the listing once from the first page (items already listed are skipped); a cursor
    that repeats without new items ends the tag with a note. An API error or malformed JSON is tried again (the
    client's `politeness.discover_tries` in all), then noted in `summary`. Raises UnknownTag if the very first page
    lists nothing, Refused and SchemaDrift."""
    summary = summary if summary is not None else ScrapeSummary()
    state = corpus.progress(tag)
    refresh = corpus.unlisted_data(tag, albums_per_tag) > 0  # listings of schema 1 lack the discover data albums need
    if state is not None and state["items_seen"] >= albums_per_tag and not refresh:
        return
    # A listing that ended short of `albums_per_tag` on an earlier run may have grown since (new releases, a larger demo
    # catalogue): page it once more from the start. Listings are stored once, so old items are not duplicated.
    from_start = state is None or refresh or state["exhausted"] or state["cursor"] is None
    cursor = "*" if from_start else state["cursor"]
    seen = (state or {}).get("items_seen", 0)
    allowed_dry = (math.ceil(seen / max(1, page_size // 2)) if from_start else 0) + 2
    restarted, visited, dry = False, set(), 0
    while True:
        try:
            page = _discover_page(client, tag, cursor, page_size, include_tracks, summary)
        except StaleCursor as exc:
            if restarted:
                summary.notes.append(f"{tag}: {exc} again after a restart; the listing stops here for this run")
                return
            restarted, cursor = True, "*"
            allowed_dry = math.ceil(seen / max(1, page_size // 2)) + 2
            summary.notes.append(f"{tag}: {exc}; listed again from the first page (items already listed skipped)")
            continue
        if page is None:
            return
        if state is None and cursor == "*" and page.raw_count == 0 and page.cursor is None:
            raise UnknownTag(f"no albums under tag {tag!r} at {client.base_url} (is it spelt as on Bandcamp?)")
        summary.skipped_tracks += page.skipped_tracks
        failed = []
        for bad in page.rejected:
            if bad.item_id is None:
                summary.unusable[reason_kind(str(bad))] += 1
            else:
                failed.append((bad.item_id, bad.item_url or "", str(bad)))
                summary.add_failure(bad.item_id, str(bad))  # once per run, however often a restart lists it
        ended = page.cursor is None or page.raw_count == 0
        added = corpus.record_listings(tag, page.items, page.cursor, exhausted=ended, failed=failed)
        seen = corpus.progress(tag)["items_seen"]
        if seen >= albums_per_tag or ended:
            return
        if added == 0 and (page.cursor == cursor or page.cursor in visited):
            summary.notes.append(
                f"{tag}: the discover API repeated a cursor without new results; the listing "
                f"ends at {seen} for this run"
            )
            return
        dry = 0 if added else dry + 1
        if dry > allowed_dry:
            summary.notes.append(
                f"{tag}: {dry} discover pages in a row brought nothing new; the listing ends at {seen} for this run"
            )
            return
        visited.add(cursor)
        cursor = page.cursor


def _discover_page(
    client: Client, tag: str, cursor: str, page_size: int, include_tracks: bool, summary: ScrapeSummary
) -> DiscoverPage | None:
    """One discover page, an API error or malformed JSON retried with backoff; None (noted) after the politeness's
    `discover_tries`."""
    tries, backoff = client.politeness.discover_tries, client.politeness.backoff
    for attempt in range(tries):
        try:
            return client.discover(tag, cursor, size=page_size, include_tracks=include_tracks)
        except RateLimited as exc:
            summary.discover_errors.append(f"{tag}: {exc} (left for a rerun)")
            return None
        except (ApiError, HttpError, ResponseError, ForeignHost, requests.RequestException) as exc:
            if attempt == tries - 1:
                summary.discover_errors.append(f"{tag}: gave up after {tries} tries: {exc}")
                return None
            time.sleep(backoff * 2**attempt)
    return None
