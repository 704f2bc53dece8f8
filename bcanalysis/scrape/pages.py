"""Album pages (opt-in): each stored album's page read for its full tag list and place; refusals counted, tried
again later, and after enough in a row the phase stops for this run, saying so."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

import requests

from bcanalysis.bandcamp import (
    AlbumRef,
    BadField,
    BadPage,
    ChallengePage,
    Client,
    ForeignHost,
    HttpError,
    RateLimited,
    Refused,
    ResponseError,
    album_ref,
)
from bcanalysis.scrape.covers import progress_bar
from bcanalysis.scrape.summary import ScrapeAborted, ScrapeSummary, reason_kind
from bcanalysis.store import Corpus


def read_pages(
    corpus: Corpus,
    client: Client,
    tags: list[str],
    albums_per_tag: int,
    summary: ScrapeSummary,
    *,
    progress: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Read the album page of every stored album (of these tags) not read yet, for its full tag list and place
    (an album on its store's own domain from that domain only, through the same limiter, caps and refusal count).

    As the client's politeness says: a refused page (challenge or 403) is tried again after `challenge_wait`
    seconds, `challenge_tries` times in all; `max_refusals` refusals in a row stop the phase for this run with
    `summary.page_stop` saying so, and `max_connection_failures` in a row stop the run (ScrapeAborted)."""
    polite = client.politeness
    max_refusals, challenge_tries, most = polite.max_refusals, polite.challenge_tries, polite.max_connection_failures
    rows = corpus.albums_without_page(tags, albums_per_tag)
    queue, later = deque(rows), deque()
    refusals = connection_failures = 0
    with progress_bar(len(rows), "album pages", progress, unit="page") as bar:
        while queue or later:
            if not queue:
                sleep(polite.challenge_wait)
                queue, later = later, deque()
            row = queue.popleft()
            ref = _ref(row, client)
            try:
                page = client.album(ref, location=row["location"])
            except (ChallengePage, Refused) as exc:
                refusals += 1
                if refusals >= max_refusals:
                    corpus.fail_page(row["id"], str(exc))
                    summary.page_stop = _page_stop_message(max_refusals, exc, len(rows) - summary.pages["ok"])
                    summary.pages["not read (page phase stopped)"] += len(queue) + len(later) + 1
                    return
                if corpus.fail_page(row["id"], str(exc), max_attempts=challenge_tries):
                    _count_page(summary, bar, f"refused {challenge_tries} times")
                else:
                    later.append(row)
                continue
            except RateLimited as exc:
                corpus.fail_page(row["id"], str(exc))
                _count_page(summary, bar, "rate limited beyond Retry-After patience (left for a rerun)")
            except HttpError as exc:
                corpus.fail_page(row["id"], str(exc), final=True)
                _count_page(summary, bar, f"HTTP {exc.status}")
            except (BadField, BadPage, ForeignHost, ResponseError) as exc:
                corpus.fail_page(row["id"], str(exc), final=True)
                _count_page(summary, bar, reason_kind(str(exc)))
            except requests.RequestException as exc:
                corpus.fail_page(row["id"], f"{type(exc).__name__}: {exc}")
                connection_failures += 1
                if connection_failures >= most:
                    raise ScrapeAborted(
                        f"{client.base_url} stopped answering ({most} connection failures in a row; "
                        f"last: {exc}); rerun the same command to resume"
                    ) from exc
                _count_page(summary, bar, f"connection: {type(exc).__name__} (left for a rerun)")
                continue
            else:
                corpus.set_page(row["id"], page["tags"], page["location"])
                _count_page(summary, bar, "ok")
            refusals = connection_failures = 0


def _ref(row: Any, client: Client) -> AlbumRef:
    """The stored album's keys, read again from its URL so an album on its store's own domain keeps that domain
    (the one host its page may come from)."""
    try:
        return album_ref(row["url"], "stored album url", local=client.local)
    except BadField:
        return AlbumRef(row["url"], row["store"], row["album"], row["item_type"] or "a")


def _count_page(summary: ScrapeSummary, bar: Any, outcome: str) -> None:
    summary.pages[outcome] += 1
    bar.update(1)


def _page_stop_message(max_refusals: int, last: Exception, unread: int) -> str:
    return (
        f"Bandcamp refused {max_refusals} album pages in a row (last: {last}). The album-page phase stops for this "
        f"run; every album and cover from the discover API is kept, and {unread} albums have no page tags yet. "
        "bcanalysis does not impersonate a browser or work around challenges: try --album-pages again in a few "
        "hours (it resumes where it stopped), or leave it out; the analysis needs only the discover data."
    )
