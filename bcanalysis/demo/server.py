"""A local HTTP server in Bandcamp's shapes: the discover API, album pages and cover images, with optional faults.

    POST /api/discover/1/discover_web        JSON in, JSON out, opaque cursors (as bandcamp.com)
    GET  /s/<store>/album/<slug>             album page: ld+json, data-tralbum, a.tag anchors, og: meta
    GET  /img/a<art_id>_<code>.jpg           cover JPEG at Bandcamp size code <code> (10 = 1200 px, 7 = 150 px)
    GET  /album/<slug> on Host <custom_host> an album page of a store on its own domain (with `custom_host`)

Discover results are real-shaped: `item_url` is https://<store>.bandcamp.com/album/<slug>?from=discover_page,
single tracks are mixed in, places and genre ids are set, a label shows only as it does on Bandcamp (an album sold
from a label's store has the label as `band_name` and the artist as `album_artist`; no `label_name`), and cursors
are opaque tokens that go stale when the server restarts (an unknown cursor answers HTTP 500 with `{}`, as Bandcamp
does). With `custom_host` (a second name for this machine, e.g. "localhost" beside 127.0.0.1), one album in
thirteen lives on its store's own domain: its `item_url` and `band_url` are http://<custom_host>:<port>/…, and its
page is served only to requests for that host. Real album pages live on
`<store>.bandcamp.com`; a local server has one host, so they live under /s/<store>/ here, and covers under /img/ on
the same port. Every request is logged (`DemoServer.requests`, optionally a JSON-lines file) so tests can prove
what was fetched.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bcanalysis.bandcamp.fields import is_loopback
from bcanalysis.defaults import ALBUMS_PER_TAG, RANDOM_STATE
from bcanalysis.demo.catalogue import TAGS, Album, catalogue, listing, tracks
from bcanalysis.demo.covers import cover_jpeg
from bcanalysis.demo.pages import CHALLENGE_PAGE, album_page, shown_title
from bcanalysis.facts import DISCOVER_PATH, IMAGE_SIZES

#: Album-level faults of `--faults`, given to the albums at listing positions 1, 2, … of every tag, in this order.
ALBUM_FAULTS = (
    "rate_limit",  # first page request and first cover request: 429 with Retry-After: 1
    "unavailable",  # first two page requests and first two cover requests: 503
    "challenge_once",  # first page request: a browser-challenge page (HTTP 200, no album data)
    "challenge_always",  # every page request: a challenge page
    "truncated_cover",  # the cover JPEG is cut short
    "missing_art",  # no cover art: the discover result has no primary_image, the page #missing-tralbum-art
    "cover_404",  # the cover URL 404s
    "duplicate_listing",  # the discover results list it twice
)
#: Discover-level faults: the first request for each tag's first page answers an API error object (even tag
#: index) or malformed JSON (odd tag index); the retry succeeds.
RETRY_AFTER_SECONDS = 1

_COVER = re.compile(r"^/img/a(\d+)_(\d+)\.jpg$")
_PAGE = re.compile(r"^/s/([a-z0-9]+)/(album|track)/([a-z0-9-]+)$")
_OWN_PAGE = re.compile(r"^/(album|track)/([a-z0-9-]+)$")


@dataclass(frozen=True)
class LoggedRequest:
    """One request the server answered: when, method, path (with query), status, User-Agent, discover tag, body."""

    time: float
    method: str
    path: str
    status: int
    user_agent: str | None = None
    tag: str | None = None
    body: str | None = None
    host: str | None = None  # the Host header: which of the server's names was asked


class DemoServer:
    """The demo catalogue served on 127.0.0.1 (port 0 = any free port), in a background thread or in the foreground.

    >>> with DemoServer(albums_per_tag=10) as server:    # doctest: +SKIP
    ...     scrape(corpus, ["rock"], 5, base_url=server.url)
    """

    def __init__(
        self,
        albums_per_tag: int = ALBUMS_PER_TAG,
        random_state: int = RANDOM_STATE,
        *,
        port: int = 0,
        faults: bool = False,
        max_cover_px: int | None = None,
        log_path: str | Path | None = None,
        latency: float = 0.0,
        challenge_pages: bool = False,
        custom_host: str | None = None,
    ):
        if custom_host is not None and (custom_host == "127.0.0.1" or not is_loopback(custom_host)):
            raise ValueError(
                f"custom_host must be another name of this machine than 127.0.0.1 (e.g. 'localhost'), "
                f"got {custom_host!r}"
            )
        self.custom_host = custom_host
        self.albums = catalogue(albums_per_tag, random_state)
        self.tracks = tracks(self.albums)
        self.faults = faults
        self.challenge_pages = challenge_pages
        self.max_cover_px = max_cover_px
        self.latency = latency
        self.requests: list[LoggedRequest] = []
        self._log_file = open(log_path, "a", encoding="utf-8") if log_path else None  # noqa: SIM115
        self._lock = threading.Lock()
        self._hits: Counter = Counter()
        self._secret = secrets.token_hex(4)  # cursors of another server run are unknown here: stale
        everything = [*self.albums, *self.tracks.values()]
        self._by_art = {a.art_id: a for a in everything}
        self._by_page = {(a.store, a.kind, a.slug): a for a in everything}
        #: Albums on their store's own domain (with `custom_host`), by slug: the first of each slug, so one path is
        #: one album on the one simulated domain.
        self.own_domain: dict[str, Album] = {}
        if custom_host is not None:
            for a in self.albums:
                if a.own_domain:
                    self.own_domain.setdefault(a.slug, a)
        self.listings = {tag: listing(self.albums, tag) for tag in TAGS}
        self.fault_plan: dict[int, str] = self._plan() if faults else {}
        if faults:
            for tag, albums in self.listings.items():
                dup = [a for a in albums if self.fault_plan.get(a.item_id) == "duplicate_listing"]
                for a in dup:  # listed again three places later, so paging sees it twice
                    albums.insert(albums.index(a) + 4, a)
                self.listings[tag] = albums
        #: What discover serves per tag: the albums with a single track after one album in six.
        self.results = {
            tag: [x for a in albums for x in ([a, self.tracks[a.item_id]] if a.item_id in self.tracks else [a])]
            for tag, albums in self.listings.items()
        }
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    def _plan(self) -> dict[int, str]:
        """item_id → album-level fault: the albums at positions 1..8 of each tag's listing, in ALBUM_FAULTS order."""
        plan: dict[int, str] = {}
        for tag in TAGS:
            primary = [a for a in self.listings[tag] if a.tag == tag and a.item_id not in plan]
            for album, kind in zip(primary[1:], ALBUM_FAULTS, strict=False):
                plan[album.item_id] = kind
        return plan

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """The base URL to pass as `--base-url`."""
        return f"http://127.0.0.1:{self.port}"

    def on_own_domain(self, album: Album) -> bool:
        """Whether this server lists `album` on its store's own domain."""
        return self.custom_host is not None and self.own_domain.get(album.slug) is album

    def store_url(self, album: Album) -> str:
        """Where the album's store lives: <store>.bandcamp.com, or http://<custom_host>:<port> on its own domain."""
        if self.on_own_domain(album):
            return f"http://{self.custom_host}:{self.port}"
        return f"https://{album.store}.bandcamp.com"

    def start(self) -> DemoServer:
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="bcanalysis-demo", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        self._httpd.serve_forever()

    def stop(self) -> None:
        """Stop serving and release the port and the log file."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log(self, entry: LoggedRequest) -> None:
        """Record one answered request (thread-safe); the file gets one JSON object a line, flushed."""
        with self._lock:
            self.requests.append(entry)
            if self._log_file is not None:
                self._log_file.write(json.dumps(entry.__dict__) + "\n")
                self._log_file.flush()

    def hit(self, key: Any) -> int:
        """How many times `key` was requested, this one included (drives the first-time-only faults)."""
        with self._lock:
            self._hits[key] += 1
            return self._hits[key]

    # --- answers: (status, content type, body, extra headers) ------------------------------------------------

    def cursor(self, tag: str, offset: int) -> str:
        """An opaque cursor for `offset` in `tag`'s results, valid for this server run only."""
        return base64.urlsafe_b64encode(f"{self._secret}:{tag}:{offset}".encode()).decode().rstrip("=")

    def offset(self, tag: str, cursor: Any) -> int | None:
        """The offset a cursor stands for; 0 for '*' (or none); None if it is not one of this run's cursors."""
        if cursor in (None, "*"):
            return 0
        try:
            text = base64.urlsafe_b64decode(str(cursor) + "=" * (-len(str(cursor)) % 4)).decode()
            secret, cursor_tag, offset = text.split(":")
            return int(offset) if secret == self._secret and cursor_tag == tag else None
        except (ValueError, UnicodeDecodeError):
            return None

    # --- answers: (status, content type, body, extra headers) ------------------------------------------------

    def discover(self, body: bytes) -> tuple[int, str, bytes, dict]:
        """The discover API: JSON request in, one page of results and the next cursor out."""
        try:
            request = json.loads(body)
            tags = request["tag_norm_names"]
            size = int(request.get("size", 60))
        except (ValueError, KeyError, TypeError):
            return _json({"__api_special__": "exception", "error_type": "BadRequest", "error_message": "bad body"})
        tag = tags[0] if isinstance(tags, list) and tags and isinstance(tags[0], str) else None
        if tag not in self.listings:
            return _json({"results": [], "cursor": None, "result_count": 0, "batch_result_count": 0})
        offset = self.offset(tag, request.get("cursor"))
        if offset is None:  # a stale or invalid cursor, as Bandcamp answers it
            return 500, "application/json", b"{}", {}
        if self.faults and offset == 0 and self.hit(("discover", tag)) == 1:
            if TAGS.index(tag) % 2 == 0:
                return _json({"__api_special__": "exception", "error_type": "ServiceUnavailable"})
            return 200, "application/json", b'{"results": [{"result_type": "a", "item_id": 12', {}
        results = self.results[tag]
        page = results[offset : offset + max(1, min(size, 120))]
        nxt = offset + len(page)
        return _json(
            {
                "results": [self.item(a) for a in page],
                "cursor": self.cursor(tag, nxt) if nxt < len(results) else None,
                "result_count": len(results),
                "batch_result_count": len(page),
                "discover_spec_id": 1,
            }
        )

    def item(self, a: Album) -> dict[str, Any]:
        """One discover result in the fields and formats of 2026."""
        store_url = self.store_url(a)
        art = None if self.fault_plan.get(a.item_id) == "missing_art" else {"image_id": a.art_id, "is_art": True}
        return {
            "result_type": "a",
            "item_id": a.item_id,
            "item_type": a.item_type,
            "title": shown_title(a),
            "band_id": a.item_id % 10**9 + 7,
            "band_name": a.label if a.on_label_page else a.artist,
            "album_artist": a.artist if a.on_label_page else None,
            "band_url": f"{store_url}?from=discover_page",
            "band_location": a.location,
            "band_genre_id": a.genre_id,
            "band_image": {"image_id": a.art_id % 10**8, "is_art": False},
            "release_date": a.release_date.strftime("%Y-%m-%d 04:00:52 UTC"),
            "primary_image": art,
            "item_url": f"{store_url}/{a.kind}/{a.slug}?from=discover_page",
            "featured_track": {"id": a.item_id + 2, "title": a.title.split()[0], "duration": 200.5},
            "price": {"amount": 7.0, "currency": "USD", "is_money": True},
            "track_count": 1 if a.item_type == "t" else 8,
        }

    def own_page(self, host: str | None, kind: str, slug: str) -> tuple[int, str, bytes, dict]:
        """An album page on its store's own domain: only when asked for under `custom_host`."""
        album = self.own_domain.get(slug) if kind == "album" else None
        name = (host or "").rsplit(":", 1)[0].strip("[]").lower()
        if self.custom_host is None or name != self.custom_host or album is None:
            return 404, "text/html; charset=utf-8", b"<html><body>Sorry, that something isn't here.</body></html>", {}
        return self.page(album.store, album.kind, album.slug)

    def page(self, store: str, kind: str, slug: str) -> tuple[int, str, bytes, dict]:
        """An album page, or a fault in its place."""
        album = self._by_page.get((store, kind, slug))
        if album is None:
            return 404, "text/html; charset=utf-8", b"<html><body>Sorry, that something isn't here.</body></html>", {}
        if self.challenge_pages:
            return 200, "text/html; charset=utf-8", CHALLENGE_PAGE.encode(), {}
        fault = self.fault_plan.get(album.item_id)
        if fault:
            n = self.hit(("page", album.item_id))
            if answer := self._transient(fault, n):
                return answer
            if fault == "challenge_always" or (fault == "challenge_once" and n == 1):
                return 200, "text/html; charset=utf-8", CHALLENGE_PAGE.encode(), {}
        own = f"{self.store_url(album)}/{album.kind}/{album.slug}" if self.on_own_domain(album) else None
        text = album_page(album, self.url, art=fault != "missing_art", page_url=own)
        return 200, "text/html; charset=utf-8", text.encode(), {}

    @staticmethod
    def _transient(fault: str, n: int) -> tuple[int, str, bytes, dict] | None:
        if fault == "rate_limit" and n == 1:
            return (
                429,
                "text/html",
                b"<html><body>Too many requests</body></html>",
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        if fault == "unavailable" and n <= 2:
            return 503, "text/html", b"<html><body>Service unavailable</body></html>", {}
        return None

    def cover(self, art_id: int, code: int) -> tuple[int, str, bytes, dict]:
        """A cover JPEG at a Bandcamp size code (pixels capped at `max_cover_px`), or 404."""
        album = self._by_art.get(art_id)
        fault = self.fault_plan.get(album.item_id) if album is not None else None
        if album is None or code not in IMAGE_SIZES or fault in ("missing_art", "cover_404"):
            return 404, "text/html", b"<html><body>Not found</body></html>", {}
        if fault and (answer := self._transient(fault, self.hit(("cover", album.item_id)))):
            return answer
        px = IMAGE_SIZES[code] if self.max_cover_px is None else min(IMAGE_SIZES[code], self.max_cover_px)
        data = cover_jpeg(album, px)
        if fault == "truncated_cover":
            data = data[: len(data) // 2]
        return 200, "image/jpeg", data, {}


def _json(obj: Any) -> tuple[int, str, bytes, dict]:
    return 200, "application/json", json.dumps(obj).encode(), {}


def _handler(server: DemoServer) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one DemoServer."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "bcanalysis-demo"
        disable_nagle_algorithm = True  # header and body go out in two writes: no 40 ms delayed-ACK stall

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path.split("?", 1)[0]
            if m := _COVER.match(path):
                self._answer(*server.cover(int(m[1]), int(m[2])))
            elif m := _PAGE.match(path):
                self._answer(*server.page(m[1], m[2], m[3]))
            elif m := _OWN_PAGE.match(path):
                self._answer(*server.own_page(self.headers.get("Host"), m[1], m[2]))
            elif path == "/":
                self._answer(200, "text/html; charset=utf-8", _index(server).encode(), {})
            else:
                self._answer(404, "text/html", b"<html><body>Not found</body></html>", {})

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.split("?", 1)[0] != DISCOVER_PATH:
                self._answer(404, "text/html", b"<html><body>Not found</body></html>", {})
                return
            try:
                tag = (json.loads(body).get("tag_norm_names") or [None])[0]
                tag = tag if isinstance(tag, str) else None
            except (ValueError, AttributeError, TypeError, KeyError, IndexError):
                tag = None
            self._answer(*server.discover(body), tag=tag, request_body=body.decode("utf-8", "replace"))

        def _answer(
            self,
            status: int,
            ctype: str,
            body: bytes,
            headers: dict,
            tag: str | None = None,
            request_body: str | None = None,
        ) -> None:
            if server.latency:
                time.sleep(server.latency)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            server.log(
                LoggedRequest(
                    time.time(),
                    self.command,
                    self.path,
                    status,
                    self.headers.get("User-Agent"),
                    tag,
                    request_body,
                    self.headers.get("Host"),
                )
            )

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr logging
            pass

    return Handler


def _index(server: DemoServer) -> str:
    rows = "".join(f"<li>{t}: {len(server.listings[t])} albums</li>" for t in TAGS)
    return f"<html><body><h1>bcanalysis demo catalogue</h1><ul>{rows}</ul></body></html>"
