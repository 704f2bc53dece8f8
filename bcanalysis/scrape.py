"""The scrape and palette jobs: discover albums by tag, fetch pages and covers into the corpus, extract palettes.

Resumable by construction: discover pages are stored with their cursor, each album is stored (with its listing
marked done) in one transaction, and covers already on disk are reused, so a rerun after a crash fetches only
what was not yet stored.
"""

from __future__ import annotations

import os
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import requests

from bcanalysis.bandcamp import (
    DEFAULT_BASE_URL,
    SIZE_CODES,
    ApiError,
    BandcampError,
    ChallengePage,
    Client,
    HttpError,
    RateLimited,
    check_image,
    check_tag,
    cover_url,
    split_album_url,
)
from bcanalysis.store import Corpus, CorpusError, Cover


class UnknownTag(BandcampError):
    """The discover API lists no albums at all under a tag."""


class ScrapeAborted(BandcampError):
    """The source stopped answering (repeated connection failures); rerun the same command to resume."""


@dataclass
class ScrapeSummary:
    """What a scrape run did: albums new / already had / failed (with reasons), covers by status, requests."""

    listed: dict[str, int] = field(default_factory=dict)
    new: int = 0
    already_had: int = 0
    failed: Counter = field(default_factory=Counter)
    covers: Counter = field(default_factory=Counter)
    discover_errors: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    def report(self) -> str:
        """A few human lines for the end of a run."""
        rate = self.new / self.seconds * 60 if self.seconds else 0.0
        lines = [
            f"albums: {self.new} new, {self.already_had} already had, {sum(self.failed.values())} failed"
            f"  ({self.requests} requests in {self.seconds:.1f} s, {rate:.0f} new albums/min)",
            "listed: " + ", ".join(f"{t} {n}" for t, n in self.listed.items()),
        ]
        if self.covers:
            lines.append("covers of new albums: " + ", ".join(f"{k} {v}" for k, v in sorted(self.covers.items())))
        lines += [f"  failed: {n} × {reason}" for reason, n in self.failed.most_common()]
        lines += [f"  discover: {e}" for e in self.discover_errors]
        return "\n".join(lines)


def scrape(
    corpus: Corpus,
    tags: list[str],
    limit: int,
    *,
    client: Client | None = None,
    base_url: str = DEFAULT_BASE_URL,
    rate: float = 1.0,
    size: int = 10,
    page_size: int = 60,
    challenge_tries: int = 3,
    challenge_wait: float = 30.0,
    retry_failed: bool = False,
    progress: bool = True,
) -> ScrapeSummary:
    """Scrape the first `limit` albums under each tag into `corpus`; safe to rerun, it continues where it stopped."""
    for tag in tags:
        check_tag(tag)
    if limit < 1:
        raise ValueError(f"limit must be a positive number of albums per tag, got {limit}")
    if size not in SIZE_CODES:
        raise ValueError(f"size must be a Bandcamp image size code, one of {SIZE_CODES}, got {size}")
    _make_covers_dir(corpus)
    own = client is None
    client = client or Client(base_url, rate=rate)
    summary = ScrapeSummary()
    start = time.monotonic()
    try:
        if retry_failed:
            _reset_failed(corpus, tags)
        for tag in tags:
            discover(corpus, client, tag, limit, page_size=page_size, summary=summary)
            summary.listed[tag] = min(limit, (corpus.progress(tag) or {}).get("items_seen", 0))
        todo = corpus.listings(tags, status="pending", limit=limit)
        _fetch_all(corpus, client, todo, size, summary, challenge_tries, challenge_wait, progress)
    finally:
        summary.requests = client.requests_sent
        summary.seconds = time.monotonic() - start
        if own:
            client.close()
    return summary


def _make_covers_dir(corpus: Corpus) -> None:
    try:
        corpus.covers_dir.mkdir(exist_ok=True)
    except OSError as exc:
        raise CorpusError(f"cannot create the covers folder {corpus.covers_dir}: {exc.strerror or exc}") from exc


def _reset_failed(corpus: Corpus, tags: list[str]) -> None:
    with corpus.transaction() as db:
        db.execute(
            f"UPDATE listings SET status = 'pending', attempts = 0 WHERE status = 'failed'"
            f" AND tag IN ({','.join('?' * len(tags))})",
            tags,
        )


def discover(
    corpus: Corpus, client: Client, tag: str, limit: int, *, page_size: int = 60, tries: int = 4,
    summary: ScrapeSummary | None = None,
) -> None:
    """Page the discover API for `tag` until `limit` listings are stored or the results end, from the saved cursor.

    An API error object or malformed JSON is retried with backoff, then recorded in `summary` (not raised).
    Raises UnknownTag if the very first page lists nothing.
    """
    # A listing that ended short of `limit` on an earlier run may have grown since (new releases, a larger demo
    # catalogue): page it once more from the start. Listings are stored once, so old items are not duplicated.
    repaged = corpus.progress(tag) is None
    while True:
        state = corpus.progress(tag)
        if state is not None and state["items_seen"] >= limit:
            return
        if state is not None and state["exhausted"]:
            if repaged:
                return
            repaged = True
            state = {**state, "cursor": None}
        cursor = None if state is None else state["cursor"]
        for attempt in range(tries):
            try:
                page = client.discover(tag, cursor, size=page_size)
                break
            except (ApiError, HttpError, requests.RequestException) as exc:
                if attempt == tries - 1:
                    if summary is not None:
                        summary.discover_errors.append(f"{tag}: gave up after {tries} tries: {exc}")
                    return
                time.sleep(client.backoff * 2**attempt)
        if state is None and not page.items and page.cursor is None:
            raise UnknownTag(f"no albums under tag {tag!r} at {client.base_url} (is it spelt as on Bandcamp?)")
        corpus.record_listings(tag, page.items, page.cursor, exhausted=page.cursor is None or not page.items)


def _fetch_all(
    corpus: Corpus, client: Client, todo: list, size: int, summary: ScrapeSummary,
    challenge_tries: int, challenge_wait: float, progress: bool,
) -> None:
    """Fetch every pending listing; challenged ones go round again after `challenge_wait` seconds."""
    from tqdm.auto import tqdm

    queue, later = deque(todo), deque()
    connection_failures = 0
    with tqdm(total=len(todo), unit="album", desc="scrape", disable=not progress) as bar:
        while queue or later:
            if not queue:
                time.sleep(challenge_wait)
                queue, later = later, deque()
            row = queue.popleft()
            outcome, cover = fetch_listing(corpus, client, row, size, challenge_tries)
            connection_failures = connection_failures + 1 if outcome.startswith("connection") else 0
            if connection_failures >= 5:
                raise ScrapeAborted(
                    f"{client.base_url} stopped answering (5 connection failures in a row; last: {outcome}); "
                    "rerun the same command to resume"
                )
            if outcome == "retry":
                later.append(row)
                continue
            if outcome == "new":
                summary.new += 1
                summary.covers[cover] += 1
            elif outcome == "had":
                summary.already_had += 1
            else:
                summary.failed[outcome] += 1
            bar.update(1)
            bar.set_postfix(new=summary.new, had=summary.already_had, failed=sum(summary.failed.values()))


def fetch_listing(
    corpus: Corpus, client: Client, row: Any, size: int, challenge_tries: int = 3
) -> tuple[str, str | None]:
    """Fetch, parse and store one discover listing.

    Returns (outcome, cover status): outcome is 'new', 'had', 'retry' or the reason it failed."""
    tag, item_id, item_url = row["tag"], row["item_id"], row["item_url"]
    album_id = corpus.album_id_for(item_id=item_id, url=split_album_url(item_url)[0])
    if album_id is not None:
        corpus.link_listing(tag, item_id, album_id)
        return "had", None
    try:
        album = client.album(item_url)
    except ChallengePage:
        if not corpus.fail_listing(tag, item_id, "challenge page (no album data)", max_attempts=challenge_tries):
            return "retry", None
        return f"challenge page (no album data) {challenge_tries} times", None
    except RateLimited as exc:
        corpus.fail_listing(tag, item_id, str(exc))
        return "rate limited beyond Retry-After patience (left pending for a rerun)", None
    except HttpError as exc:
        corpus.fail_listing(tag, item_id, str(exc), final=True)
        return f"album page HTTP {exc.status}", None
    except requests.RequestException as exc:
        corpus.fail_listing(tag, item_id, f"{type(exc).__name__}: {exc}")
        return f"connection: {type(exc).__name__}", None
    album_id = corpus.album_id_for(url=album["url"])
    if album_id is not None:  # another listing already brought this album in under another item
        corpus.link_listing(tag, item_id, album_id)
        return "had", None
    cover = fetch_cover(corpus, client, album, size, item_id)
    album.update(item_id=item_id, item_url=item_url)
    corpus.add_album(album, cover, listing=(tag, item_id))
    return "new", cover.status


def fetch_cover(corpus: Corpus, client: Client, album: dict[str, Any], size: int, item_id: int) -> Cover:
    """The album's cover saved beside the corpus (reused if already there and whole), or why there is none."""
    image_url = album.get("image_url")
    if not image_url:
        return Cover("missing", "the album page has no cover art")
    path = corpus.cover_file(album.get("art_id") or f"i{item_id}", size)
    if path.exists():
        try:
            width, height = check_image(path.read_bytes())
            return Cover("ok", file=path, size=size, width=width, height=height)
        except Exception:  # noqa: BLE001 - a damaged leftover is fetched again
            pass
    url = cover_url(image_url, size)
    try:
        data = client.get(url).content
    except HttpError as exc:
        status = "missing" if exc.status in (404, 410) else "failed"
        return Cover(status, f"cover HTTP {exc.status} at {url}")
    except requests.RequestException as exc:
        return Cover("failed", f"cover download failed: {type(exc).__name__}: {exc}")
    try:
        width, height = check_image(data)
    except Exception as exc:  # noqa: BLE001 - PIL raises OSError, SyntaxError, ValueError … for bad bytes
        return Cover("failed", f"cover does not decode ({len(data)} bytes from {url}): {exc}")
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # atomic: a killed process leaves either no file or a whole one
    return Cover("ok", file=path, size=size, width=width, height=height)
