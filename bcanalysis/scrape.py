"""The scrape job: discover albums by tag, store each from its discover result with its cover, and (opt-in) read
album pages for their full tag lists (the palettes job is `bcanalysis.palette.extract_palettes`).

Discover-only is the default: one site request per 60 results, covers from the image host on their own budget.
Resumable by construction: discover pages are stored with their cursor, each album is stored (its listings marked
done) in one transaction after its cover is on disk, covers already on disk are reused, and album pages are read
for stored albums only, so a rerun after a crash fetches only what was not yet stored.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import os
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

from bcanalysis.bandcamp import (
    DEFAULT_BASE_URL,
    SIZE_CODES,
    AlbumRef,
    ApiError,
    BadField,
    BadPage,
    BandcampError,
    ChallengePage,
    Client,
    DiscoverPage,
    ForeignHost,
    HttpError,
    RateLimited,
    Refused,
    ResponseError,
    StaleCursor,
    check_image,
    check_tag,
)
from bcanalysis.defaults import COVER_CONNECTIONS, COVER_RATE, COVER_SIZE, SITE_RATE
from bcanalysis.store import Corpus, CorpusError, Cover


class UnknownTag(BandcampError):
    """The discover API lists nothing at all under a tag."""


class ScrapeAborted(BandcampError):
    """The source stopped answering (repeated connection failures); rerun the same command to resume."""


@dataclass
class ScrapeSummary:
    """What a scrape run did: albums new / already had / failed (with reasons), covers, pages, requests, notes."""

    listed: dict[str, int] = field(default_factory=dict)
    new: int = 0
    already_had: int = 0
    failed: Counter = field(default_factory=Counter)
    covers: Counter = field(default_factory=Counter)
    refetched: Counter = field(default_factory=Counter)  # covers missing on disk, fetched again: status → count
    skipped_tracks: int = 0
    unusable: Counter = field(default_factory=Counter)  # discover results without a usable item id: reason → count
    pages: Counter = field(default_factory=Counter)  # album pages read: 'ok' or why not → count
    page_stop: str | None = None  # why the page phase stopped early, if it did
    notes: list[str] = field(default_factory=list)
    discover_errors: list[str] = field(default_factory=list)
    requests: int = 0  # site requests (discover API, album pages), retries and redirects included
    image_requests: int = 0
    seconds: float = 0.0

    def report(self) -> str:
        """A few human lines for the end of a run."""
        rate = self.new / self.seconds * 60 if self.seconds else 0.0
        lines = [
            f"albums: {self.new} new, {self.already_had} already had, {sum(self.failed.values())} failed"
            f"  ({self.requests} site + {self.image_requests} image requests in {self.seconds:.1f} s,"
            f" {rate:.0f} new albums/min)",
            "listed: " + ", ".join(f"{t} {n}" for t, n in self.listed.items()),
        ]
        if self.skipped_tracks:
            lines.append(f"skipped {self.skipped_tracks} single tracks (--include-tracks keeps them)")
        if self.covers:
            lines.append("covers of new albums: " + ", ".join(f"{k} {v}" for k, v in sorted(self.covers.items())))
        if self.refetched:
            lines.append("covers missing on disk, fetched again: "
                         + ", ".join(f"{k} {v}" for k, v in sorted(self.refetched.items())))  # fmt: skip
        if self.pages:
            lines.append("album pages: " + ", ".join(f"{k} {v}" for k, v in self.pages.most_common()))
        lines += [f"  failed: {n} × {reason}" for reason, n in self.failed.most_common()]
        lines += [f"  unusable discover results: {n} × {reason}" for reason, n in self.unusable.most_common()]
        lines += [f"  discover: {e}" for e in self.discover_errors]
        lines += [f"  note: {n}" for n in self.notes]
        if self.page_stop:
            lines.append(f"  album pages stopped: {self.page_stop}")
        return "\n".join(lines)


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
    _make_covers_dir(corpus)
    own = client is None
    client = client or Client(base_url, image_base_url=image_base_url, rate=rate, cover_rate=cover_rate,
                              cover_connections=cover_connections)  # fmt: skip
    summary = ScrapeSummary()
    start = time.monotonic()
    try:
        if retry_failed:
            corpus.reset_failed(tags)
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


def _make_covers_dir(corpus: Corpus) -> None:
    try:
        corpus.covers_dir.mkdir(exist_ok=True)
    except OSError as exc:
        raise CorpusError(f"cannot create the covers folder {corpus.covers_dir}: {exc.strerror or exc}") from exc


# --- discover -----------------------------------------------------------------------------------------------------


def discover(
    corpus: Corpus, client: Client, tag: str, limit: int, *, page_size: int = 60, include_tracks: bool = False,
    tries: int = 4, summary: ScrapeSummary | None = None,
) -> None:  # fmt: skip
    """Page the discover API for `tag` until `limit` listings are stored or the results end, from the saved cursor.

    A stale cursor restarts the listing once from the first page (items already listed are skipped); a cursor
    that repeats without new items ends the tag with a note. An API error or malformed JSON is retried, then
    noted in `summary`. Raises UnknownTag if the very first page lists nothing, Refused and SchemaDrift."""
    summary = summary if summary is not None else ScrapeSummary()
    state = corpus.progress(tag)
    refresh = corpus.unlisted_data(tag, limit) > 0  # listings of schema 1 lack the discover data albums need
    if state is not None and state["items_seen"] >= limit and not refresh:
        return
    # A listing that ended short of `limit` on an earlier run may have grown since (new releases, a larger demo
    # catalogue): page it once more from the start. Listings are stored once, so old items are not duplicated.
    from_start = state is None or refresh or state["exhausted"] or state["cursor"] is None
    cursor = "*" if from_start else state["cursor"]
    seen = (state or {}).get("items_seen", 0)
    allowed_dry = (math.ceil(seen / max(1, page_size // 2)) if from_start else 0) + 2
    restarted, visited, dry = False, set(), 0
    while True:
        try:
            page = _discover_page(client, tag, cursor, page_size, include_tracks, tries, summary)
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
                summary.unusable[_reason_kind(str(bad))] += 1
            else:
                failed.append((bad.item_id, bad.item_url or "", str(bad)))
                summary.failed[_reason_kind(str(bad))] += 1
        ended = page.cursor is None or page.raw_count == 0
        added = corpus.record_listings(tag, page.items, page.cursor, exhausted=ended, failed=failed)
        seen = corpus.progress(tag)["items_seen"]
        if seen >= limit or ended:
            return
        if added == 0 and (page.cursor == cursor or page.cursor in visited):
            summary.notes.append(f"{tag}: the discover API repeated a cursor without new results; the listing "
                                 f"ends at {seen} for this run")  # fmt: skip
            return
        dry = 0 if added else dry + 1
        if dry > allowed_dry:
            summary.notes.append(f"{tag}: {dry} discover pages in a row brought nothing new; the listing ends at "
                                 f"{seen} for this run")  # fmt: skip
            return
        visited.add(cursor)
        cursor = page.cursor


def _discover_page(client: Client, tag: str, cursor: str, page_size: int, include_tracks: bool, tries: int,
                   summary: ScrapeSummary) -> DiscoverPage | None:  # fmt: skip
    """One discover page, an API error or malformed JSON retried with backoff; None (noted) after `tries`."""
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
            time.sleep(client.backoff * 2**attempt)
    return None


def _reason_kind(reason: str) -> str:
    """A failure reason without the quoted values in it, so like failures count together in the summary."""
    out, quote = [], None
    for ch in reason[:300]:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
            out.append("…")
        else:
            out.append(ch)
    return "".join(out)


# --- covers -------------------------------------------------------------------------------------------------------


def fetch_cover(corpus: Corpus, client: Client, art_id: int | None, size: int) -> tuple[Cover, bool]:
    """The cover saved beside the corpus (reused if already there and whole), or why there is none; the flag is
    True when the image host could not be reached at all."""
    if art_id is None:
        return Cover("missing", "no cover art in the discover result"), False
    path = corpus.cover_file(art_id, size)
    if path.exists():
        try:
            width, height = check_image(path.read_bytes())
            return Cover("ok", file=path, size=size, width=width, height=height), False
        except Exception:  # noqa: BLE001 - a damaged leftover is fetched again
            pass
    url = client.cover_url(art_id, size)
    try:
        data = client.cover(art_id, size)
    except HttpError as exc:
        return Cover("missing" if exc.status in (404, 410) else "failed", f"cover HTTP {exc.status} at {url}"), False
    except (ForeignHost, ResponseError) as exc:
        return Cover("failed", f"cover not fetched: {exc}"), False
    except requests.RequestException as exc:
        return Cover("failed", f"cover download failed: {type(exc).__name__}: {exc}"), True
    try:
        width, height = check_image(data)
    except Exception as exc:  # noqa: BLE001 - PIL raises OSError, SyntaxError, ValueError … for bad bytes
        return Cover("failed", f"cover does not decode ({len(data)} bytes from {url}): {exc}"), False
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")  # unique per writer
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)  # atomic: a killed process leaves either no file or a whole one
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return Cover("ok", file=path, size=size, width=width, height=height), False


def _covers(corpus: Corpus, client: Client, jobs: Iterable[tuple[Any, int | None, int]]) -> Iterator[tuple[Any, Cover]]:
    """(job, cover) for each (job, art_id, size), fetched over `client.cover_connections` connections, in order
    of completion; ScrapeAborted after 5 connection failures in a row (covers already yielded are kept)."""
    jobs, failures = iter(jobs), 0
    window = 4 * client.cover_connections
    with cf.ThreadPoolExecutor(client.cover_connections, thread_name_prefix="bcanalysis-cover") as pool:
        running: dict[cf.Future, Any] = {}
        try:
            while True:
                for job, art_id, size in jobs:
                    running[pool.submit(fetch_cover, corpus, client, art_id, size)] = job
                    if len(running) >= window:
                        break
                if not running:
                    return
                done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    job = running.pop(future)
                    cover, unreachable = future.result()
                    failures = failures + 1 if unreachable else 0
                    if failures >= 5:
                        raise ScrapeAborted(
                            f"the image host {client.image_base_url} stopped answering (5 connection failures in a "
                            f"row; last: {cover.reason}); rerun the same command to resume"
                        )
                    yield job, cover
        finally:
            for future in running:
                future.cancel()


def refetch_missing_covers(corpus: Corpus, client: Client, summary: ScrapeSummary, *, progress: bool = True) -> None:
    """Fetch again, from its art id at its stored size, every 'ok' cover whose file is no longer on disk."""
    rows = corpus.covers_missing_on_disk()
    jobs = [(r["id"], r["art_id"], r["cover_size"]) for r in rows if r["art_id"] is not None and r["cover_size"]
            in SIZE_CODES]  # fmt: skip
    for r in rows:
        if r["art_id"] is None or r["cover_size"] not in SIZE_CODES:
            corpus.set_cover(r["id"], Cover("failed", "cover file missing on disk and no art id to fetch it again"))
            summary.refetched["failed"] += 1
    with _bar(len(jobs), "covers again", progress) as bar:
        for album_id, cover in _covers(corpus, client, jobs):
            corpus.set_cover(album_id, cover)
            summary.refetched[cover.status] += 1
            bar.update(1)


def _bar(total: int, desc: str, progress: bool, unit: str = "album"):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=unit, desc=desc, disable=not progress or not total)


def _album(row: Any) -> dict[str, Any]:
    """An album as stored from its listing's discover data (no page tags yet)."""
    keys = ("url", "store", "album", "title", "artist", "art_id", "release_date", "item_id", "item_url", "label",
            "location", "genre_id", "item_type")  # fmt: skip
    return {**{k: row[k] for k in keys}, "tags": None, "page_status": None}


def store_albums(corpus: Corpus, client: Client, tags: list[str], limit: int, size: int, summary: ScrapeSummary,
                 *, progress: bool = True) -> None:  # fmt: skip
    """Store every pending listing's album from its discover data, with its cover from the image host."""
    groups: dict[str, list[Any]] = {}
    for row in corpus.pending(tags, limit):
        if row["url"] is None:  # listed by schema 1 and not found again in the discover results
            reason = "listed by an older bcanalysis and no longer in the discover results"
            corpus.fail_listing(row["tag"], row["item_id"], reason, final=True)
            summary.failed[reason] += 1
            continue
        groups.setdefault(row["url"], []).append(row)
    jobs = []
    for url, rows in groups.items():
        keys = [(r["tag"], r["item_id"]) for r in rows]
        album_id = corpus.album_id_for(url=url)
        if album_id is not None:  # listed under another tag before: provenance only, nothing fetched
            for tag, item_id in keys:
                corpus.link_listing(tag, item_id, album_id)
            summary.already_had += len(keys)
        else:
            jobs.append(((rows[0], keys), rows[0]["art_id"], size))
    with _bar(len(jobs), "albums", progress) as bar:
        for (row, keys), cover in _covers(corpus, client, jobs):
            corpus.add_album(_album(row), cover, listings=keys)
            summary.new += 1
            summary.already_had += len(keys) - 1
            summary.covers[cover.status] += 1
            bar.update(1)
            bar.set_postfix(new=summary.new, had=summary.already_had)


# --- album pages --------------------------------------------------------------------------------------------------


def read_pages(
    corpus: Corpus, client: Client, tags: list[str], limit: int, summary: ScrapeSummary, *, max_refusals: int = 5,
    challenge_tries: int = 3, challenge_wait: float = 30.0, progress: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> None:  # fmt: skip
    """Read the album page of every stored album (of these tags) not read yet, for its full tag list and place.

    A refused page (challenge or 403) is tried again after `challenge_wait` seconds, `challenge_tries` times in
    all; `max_refusals` refusals in a row stop the phase for this run with `summary.page_stop` saying so."""
    rows = corpus.albums_without_page(tags, limit)
    queue, later = deque(rows), deque()
    refusals = connection_failures = 0
    with _bar(len(rows), "album pages", progress, unit="page") as bar:
        while queue or later:
            if not queue:
                sleep(challenge_wait)
                queue, later = later, deque()
            row = queue.popleft()
            ref = AlbumRef(row["url"], row["store"], row["album"], row["item_type"] or "a")
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
                _count_page(summary, bar, _reason_kind(str(exc)))
            except requests.RequestException as exc:
                corpus.fail_page(row["id"], f"{type(exc).__name__}: {exc}")
                connection_failures += 1
                if connection_failures >= 5:
                    raise ScrapeAborted(f"{client.base_url} stopped answering (5 connection failures in a row; "
                                        f"last: {exc}); rerun the same command to resume") from exc  # fmt: skip
                _count_page(summary, bar, f"connection: {type(exc).__name__} (left for a rerun)")
                continue
            else:
                corpus.set_page(row["id"], page["tags"], page["location"])
                _count_page(summary, bar, "ok")
            refusals = connection_failures = 0


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
