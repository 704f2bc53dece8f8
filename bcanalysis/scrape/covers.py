"""Covers: fetched from the image host over a few connections, written atomically beside the corpus (a killed
process leaves no half cover; its locked unfinished file is removed by the next run), reused when already on disk,
and each album stored with its cover outcome."""

from __future__ import annotations

import concurrent.futures as cf
import os
from collections.abc import Iterable, Iterator
from typing import Any

import requests

from bcanalysis.bandcamp import SIZE_CODES, Client, ForeignHost, HttpError, ResponseError, check_image
from bcanalysis.scrape.summary import ScrapeAborted, ScrapeSummary, reason_kind
from bcanalysis.store import Corpus, Cover
from bcanalysis.store.unfinished import unfinished


def fetch_cover(corpus: Corpus, client: Client, art_id: int | None, size: int) -> tuple[Cover, bool]:
    """The cover saved beside the corpus (reused if already there and whole), or why there is none; the flag is
    True when the image host could not be reached at all."""
    if art_id is None:
        return Cover("missing", "no cover art in the discover result"), False
    path = corpus.cover_file(art_id, size)
    max_pixels = client.politeness.max_pixels
    if path.exists():
        try:
            width, height = check_image(path.read_bytes(), max_pixels)
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
    from bcanalysis.palette import ImageTooLarge  # numpy: not for `bcanalysis --help`

    try:
        width, height = check_image(data, max_pixels)
    except ImageTooLarge as exc:  # decodes, but over the one pixel budget of everything that reads covers
        return Cover("failed", f"cover refused ({url}): {exc}"), False
    except Exception as exc:  # noqa: BLE001 - PIL raises OSError, SyntaxError, ValueError … for bad bytes
        return Cover("failed", f"cover does not decode ({len(data)} bytes from {url}): {exc}"), False
    # A locked unfinished file, unique per writer, renamed under its lock: a killed process leaves no cover file or a
    # whole one, and the unfinished file it leaves is removed when the next scrape or import starts.
    try:
        with unfinished(path) as (part, out):
            view = memoryview(data)
            while view:  # unbuffered: a full disk shows here (and the unfinished file goes), not at close
                view = view[out.write(view) :]
            os.replace(part, path)
    except OSError as exc:  # a full disk, a read-only folder: the run stops with one line naming the cover
        if exc.filename is not None:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), os.fspath(path)) from exc
    return Cover("ok", file=path, size=size, width=width, height=height), False


def fetch_covers(
    corpus: Corpus, client: Client, jobs: Iterable[tuple[Any, int | None, int]]
) -> Iterator[tuple[Any, Cover]]:
    """(job, cover) for each (job, art_id, size), fetched over the politeness's `cover_connections`, in order of
    completion; ScrapeAborted after its `max_connection_failures` in a row (covers already yielded are kept)."""
    jobs, failures = iter(jobs), 0
    connections, most = client.politeness.cover_connections, client.politeness.max_connection_failures
    window = 4 * connections
    with cf.ThreadPoolExecutor(connections, thread_name_prefix="bcanalysis-cover") as pool:
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
                    if failures >= most:
                        raise ScrapeAborted(
                            f"the image host {client.image_base_url} stopped answering ({most} connection failures "
                            f"in a row; last: {cover.reason}); rerun the same command to resume"
                        )
                    yield job, cover
        finally:
            for future in running:
                future.cancel()


def refetch_missing_covers(corpus: Corpus, client: Client, summary: ScrapeSummary, *, progress: bool = True) -> None:
    """Fetch again, from its art id at its stored size, every 'ok' cover whose file is no longer on disk."""
    rows = corpus.covers_missing_on_disk()
    jobs = [
        (r["id"], r["art_id"], r["cover_size"])
        for r in rows
        if r["art_id"] is not None and r["cover_size"] in SIZE_CODES
    ]
    for r in rows:
        if r["art_id"] is None or r["cover_size"] not in SIZE_CODES:
            corpus.set_cover(r["id"], Cover("failed", "cover file missing on disk and no art id to fetch it again"))
            summary.refetched["failed"] += 1
    with progress_bar(len(jobs), "covers again", progress) as bar:
        for album_id, cover in fetch_covers(corpus, client, jobs):
            corpus.set_cover(album_id, cover)
            summary.refetched[cover.status] += 1
            bar.update(1)


def progress_bar(total: int, desc: str, progress: bool, unit: str = "album"):
    """A tqdm bar, silent when `progress` is off or there is nothing to do."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=unit, desc=desc, disable=not progress or not total)


def _album(row: Any) -> dict[str, Any]:
    """An album as stored from its listing's discover data (no page tags yet)."""
    keys = (
        "url",
        "store",
        "album",
        "title",
        "artist",
        "art_id",
        "release_date",
        "item_id",
        "band_id",
        "item_url",
        "label",
        "location",
        "genre_id",
        "item_type",
    )
    return {**{k: row[k] for k in keys}, "tags": None, "page_status": None}


def store_albums(
    corpus: Corpus,
    client: Client,
    tags: list[str],
    albums_per_tag: int,
    size: int,
    summary: ScrapeSummary,
    *,
    progress: bool = True,
) -> None:
    """Store every pending listing's album from its discover data, with its cover from the image host. An album is
    one album by its discover item id, or by its canonical URL (spellings of one URL are one album)."""
    groups: dict[str, list[Any]] = {}
    for row in corpus.pending(tags, albums_per_tag):
        if row["url"] is None:  # listed by schema 1 and not found again in the discover results
            reason = "listed by an older bcanalysis and no longer in the discover results"
            corpus.fail_listing(row["tag"], row["item_id"], reason, final=True)
            summary.add_failure(row["item_id"], reason)
            continue
        groups.setdefault(row["url"], []).append(row)
    jobs = []
    for rows in groups.values():
        keys = [(r["tag"], r["item_id"]) for r in rows]
        album_id = corpus.album_id_for(item_id=rows[0]["item_id"], url=rows[0]["url"])
        if album_id is not None:  # listed under another tag (or another run) before: provenance only, no fetch
            for tag, item_id in keys:
                corpus.link_listing(tag, item_id, album_id)
            summary.already_had += len(keys)
        else:
            jobs.append(((rows[0], keys), rows[0]["art_id"], size))
    with progress_bar(len(jobs), "albums", progress) as bar:
        for (row, keys), cover in fetch_covers(corpus, client, jobs):
            problems = row["reason"]  # fields its discover result could not read (see record_listings)
            if problems:
                for problem in problems.split("; "):
                    summary.partial[reason_kind(problem)] += 1
                art = next((p for p in problems.split("; ") if "primary_image" in p), None)
                if art and cover.status == "missing" and row["art_id"] is None:
                    cover = Cover("missing", f"the cover art id could not be read: {art}")
            corpus.add_album(_album(row), cover, listings=keys)
            summary.new += 1
            summary.already_had += len(keys) - 1
            summary.covers[cover.status] += 1
            bar.update(1)
            bar.set_postfix(new=summary.new, had=summary.already_had)
