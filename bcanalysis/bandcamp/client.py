"""A polite, untrusting Bandcamp client: two rate limiters, the discover API, album pages and cover images.

Politeness (one `Politeness`, checked when made): at most `rate` site requests a second (default 1) and
`cover_rate` image requests a second (default 5, over `cover_connections` parallel connections), a User-Agent naming
the project, its version and its URL, and 429 answers honoured for as long as their Retry-After says. Every retry
and every redirect goes through the same limiter. We never impersonate a browser and never work around a challenge:
a refusal is reported, not retried.

Distrust: only the site host (`base_url`'s host; `*.bandcamp.com` for the real site) and the image host are ever
fetched, redirects included (at most `max_redirects`, 5) — and, for the page of an album whose store lives on its
own domain, that one domain, for that one album. Every URL is read once (`fields.request_target`) and the request
goes to the URL rebuilt from what the check approved, so no URL can pass the check as one host and reach another; a
malformed redirect fails that one request. Every response has a total deadline and a size cap (`page_cap` 5 MB,
`cover_cap` 20 MB) that counts decompressed bytes, so a trickling body, a 2 GB cover or a gzip bomb costs nothing.
"""

from __future__ import annotations

import io
import json
import random
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import quote, urljoin

import requests
from PIL import Image
from requests.adapters import HTTPAdapter

from bcanalysis.bandcamp.album_page import is_challenge, parse_album_page
from bcanalysis.bandcamp.discover import DiscoverPage, read_discover_page
from bcanalysis.bandcamp.errors import (
    ApiError,
    ForeignHost,
    HttpError,
    RateLimited,
    Refused,
    ResponseError,
    StaleCursor,
)
from bcanalysis.bandcamp.fields import AlbumRef, Target, is_loopback, request_target
from bcanalysis.bandcamp.http import Answer, RateLimiter, netloc, read_body, retry_after_seconds
from bcanalysis.bandcamp.politeness import POLITENESS, Politeness
from bcanalysis.defaults import MAX_PIXELS
from bcanalysis.facts import BANDCAMP_URL, DISCOVER_PATH, IMAGE_SIZES

DEFAULT_BASE_URL = BANDCAMP_URL
DEFAULT_IMAGE_BASE_URL = "https://f4.bcbits.com"
#: Bandcamp image size codes accepted by `--size` (`facts.IMAGE_SIZES`: 10 = 1200 px, 7 = 150, 0 = the original).
SIZE_CODES = tuple(sorted(IMAGE_SIZES))
_REDIRECTS = (301, 302, 303, 307, 308)
_RETRY_STATUS = (500, 502, 503, 504)


def discover_body(tag: str, cursor: str = "*", size: int = 60) -> dict[str, Any]:
    """The JSON body `Client.discover` posts for one page of `tag` (cursor "*": the first page): one definition, so
    tests of the demo server send exactly what the client sends (tests/test_bandcamp.py pins it field by field)."""
    return {
        "tag_norm_names": [tag],
        "slice": "top",
        "size": size,
        "include_result_types": ["a"],
        "category_id": 0,
        "geoname_id": 0,
        "time_facet_id": None,
        "cursor": cursor,
    }


class Client:
    """HTTP to Bandcamp (or a server in its shapes at `base_url`): two limiters, retries, caps, a host allow-list,
    every one of them as `politeness` says (the defaults: toward bandcamp.com).

    With a local `base_url` (the demo server) album pages come from `<base_url>/s/<store>/album/<slug>` and covers
    from `image_base_url`, which then defaults to `base_url`; nothing leaves the machine."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        image_base_url: str | None = None,
        politeness: Politeness = POLITENESS,
    ):
        if not isinstance(politeness, Politeness):
            raise TypeError(f"politeness must be a bcanalysis.bandcamp.Politeness, got {type(politeness).__name__}")
        self.base_url = base_url.rstrip("/")
        scheme, host, _ = netloc(self.base_url)
        if scheme not in ("http", "https") or not host:
            raise ValueError(f"base URL must be an http(s) URL, got {base_url!r}")
        self.local = is_loopback(host)
        self.real = host == "bandcamp.com" or host.endswith(".bandcamp.com")
        self.image_base_url = (image_base_url or (self.base_url if self.local else DEFAULT_IMAGE_BASE_URL)).rstrip("/")
        if netloc(self.image_base_url)[0] not in ("http", "https") or not netloc(self.image_base_url)[1]:
            raise ValueError(f"image base URL must be an http(s) URL, got {image_base_url!r}")
        self.politeness = politeness
        self.limiters = {"site": RateLimiter(politeness.rate), "image": RateLimiter(politeness.cover_rate)}
        self.sent: Counter = Counter()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []

    # --- plumbing ---------------------------------------------------------------------------------------------

    @property
    def requests_sent(self) -> int:
        """Site requests sent so far (retries and redirects included)."""
        return self.sent["site"]

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = _HandFollowed()
            session.headers.update({"User-Agent": self.politeness.user_agent, "Accept-Encoding": "gzip, deflate"})
            adapter = HTTPAdapter(max_retries=0, pool_maxsize=max(4, self.politeness.cover_connections))
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.trust_env = False  # no proxies or .netrc from the environment: we talk to the hosts we name
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def allowed(self, role: str, url: str, *, also: str | None = None) -> bool:
        """True if `url` is on the host this role may fetch: the site (and *.bandcamp.com) or the image host, or
        `also` (an album's own domain, host[:port], for that album's page only)."""
        try:
            target = request_target(url)
        except ValueError:
            return False
        return self._allowed(role, target, also)

    def _allowed(self, role: str, target: Target, also: str | None) -> bool:
        if role == "image":
            return target.origin == netloc(self.image_base_url)[1:]
        if target.origin == netloc(self.base_url)[1:]:
            return True
        if also is not None and target.origin == _origin(also) and (not self.local or is_loopback(target.host)):
            return True
        return (
            self.real
            and target.port is None
            and (target.host == "bandcamp.com" or target.host.endswith(".bandcamp.com"))
        )

    def fetch(
        self,
        role: str,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        cap: int | None = None,
        retry_500: bool = True,
        also: str | None = None,
    ) -> Answer:
        """One answer from an allowed host, within `cap` bytes (default: the page cap): redirects followed by hand
        (≤ `max_redirects`, each checked and rate-limited),
        connection errors and 5xx retried with backoff, 429 waited out; raises ForeignHost, ResponseError (also for
        a malformed redirect), RateLimited or requests' exceptions after the last retry. `also` admits one more
        host (an album's own domain) for this request and its redirects."""
        redirected_from, most = None, self.politeness.max_redirects
        cap = self.politeness.page_cap if cap is None else cap
        for _ in range(most + 1):
            try:
                target = request_target(url)
            except ValueError as exc:
                if redirected_from is None:
                    raise ForeignHost(f"{url[:200]!r} is not a usable URL ({exc}): not fetched") from exc
                raise ResponseError(
                    f"malformed redirect from {redirected_from[:200]} to {url[:200]!r}: {exc}; not followed"
                ) from exc
            if not self._allowed(role, target, also):
                raise ForeignHost(
                    f"{target.url[:200]} is not on the {'image' if role == 'image' else 'site'} host "
                    f"(refused to fetch {target.host!r})"
                )
            answer = self._send(role, method, target.url, json_body, cap, retry_500)
            location = answer.headers.get("Location") if answer.status in _REDIRECTS else None
            if not location:
                return answer
            redirected_from = target.url
            try:
                url = urljoin(target.url, location)
            except ValueError as exc:
                raise ResponseError(
                    f"malformed redirect from {target.url[:200]} to {location[:200]!r}: {exc}; not followed"
                ) from exc
            if answer.status == 303 or (answer.status in (301, 302) and method == "POST"):
                method, json_body = "GET", None
        raise ResponseError(f"more than {most} redirects from {url[:200]}")

    def _send(self, role: str, method: str, url: str, json_body: Any, cap: int, retry_500: bool) -> Answer:
        limiter, polite = self.limiters[role], self.politeness
        failures = throttled = 0
        while True:
            limiter.wait()
            with self._lock:
                self.sent[role] += 1
            try:
                response = self._session().request(
                    method, url, json=json_body, timeout=polite.timeout, allow_redirects=False, stream=True
                )
                try:
                    status = response.status_code
                    body = (
                        b""
                        if status == 429
                        else read_body(
                            response,
                            cap if status < 400 else min(cap, 1 << 20),
                            time.monotonic() + polite.deadline,
                            url,
                        )
                    )
                finally:
                    response.close()
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError):
                failures += 1
                if failures > polite.retries:
                    raise
                time.sleep(polite.backoff * 2 ** (failures - 1) * (1 + random.random() / 2))
                continue
            if status == 429:
                default = polite.backoff * 2**throttled * (1 + random.random() / 2)
                delay = retry_after_seconds(response.headers.get("Retry-After"), default)
                throttled += 1
                if delay > polite.max_retry_after or throttled > polite.max_429:
                    raise RateLimited(429, url)
                limiter.pause(delay)
                continue
            if status in _RETRY_STATUS and (retry_500 or status != 500) and failures < polite.retries:
                failures += 1
                time.sleep(polite.backoff * 2 ** (failures - 1) * (1 + random.random() / 2))
                continue
            return Answer(status, response.headers, body, url)

    # --- the discover API -------------------------------------------------------------------------------------

    def discover(
        self, tag: str, cursor: str | None = "*", size: int = 60, *, include_tracks: bool = False
    ) -> DiscoverPage:
        """One discover page for `tag`, with every result checked.

        Raises Refused (403, challenge page, not JSON), StaleCursor (500 or error object on a stored cursor),
        ApiError (error object or malformed JSON on the first page) and SchemaDrift (results but none readable)."""
        cursor = cursor or "*"
        body = discover_body(tag, cursor, size)
        url = self.base_url + DISCOVER_PATH
        answer = self.fetch("site", "POST", url, json_body=body, retry_500=cursor == "*")
        head = answer.body[:2000].lstrip()
        if answer.status == 403 or is_challenge(answer.text[:20000]):
            what = "HTTP 403" if answer.status == 403 else "a 'Client Challenge' page"
            raise Refused(f"the discover API answered {what} for tag {tag!r}")
        if answer.status == 500 and cursor != "*":
            raise StaleCursor(f"the discover API rejected the stored cursor for tag {tag!r} (HTTP 500)")
        if answer.status != 200:
            raise HttpError(answer.status, url)
        if not head.startswith((b"{", b"[")):
            raise Refused(
                f"the discover API answered HTTP 200 that is not JSON for tag {tag!r}: "
                f"{head[:60].decode('utf-8', 'replace')!r}"
            )
        try:
            data = json.loads(answer.body)
        except RecursionError as exc:
            raise ApiError(f"discover answer for tag {tag!r} is nested too deeply to read") from exc
        except ValueError as exc:
            raise ApiError(f"malformed JSON from the discover API for tag {tag!r}: {exc}") from exc
        if isinstance(data, dict) and data.get("__api_special__") == "exception":
            detail = f"{data.get('error_type')} {data.get('error_message') or ''}"[:200].strip()
            if cursor != "*":
                raise StaleCursor(f"the discover API rejected the stored cursor for tag {tag!r}: {detail}")
            raise ApiError(f"discover API error for tag {tag!r}: {detail}")
        return read_discover_page(data, tag, local=self.local, include_tracks=include_tracks)

    # --- album pages and covers -------------------------------------------------------------------------------

    def page_url(self, ref: AlbumRef) -> str:
        """Where an album page is fetched: on its store's own domain if it has one, else its canonical URL on
        Bandcamp (`<base>/s/<store>/album/<slug>` locally)."""
        if self.real or ref.host is not None:
            return ref.url
        return f"{self.base_url}/s/{quote(ref.store)}/{ref.kind}/{quote(ref.slug)}"

    def album(self, ref: AlbumRef, *, location: str | None = None) -> dict[str, Any]:
        """Fetch and parse an album page (from the album's own domain, and only from there, if it has one);
        Refused on 403, ChallengePage on a challenge, HttpError otherwise."""
        url = self.page_url(ref)
        answer = self.fetch("site", "GET", url, also=ref.host)
        if answer.status == 403:
            raise Refused(f"HTTP 403 for the album page {url}")
        if not 200 <= answer.status < 300:
            raise HttpError(answer.status, url)
        return parse_album_page(answer.text, url, location=location)

    def cover_url(self, art_id: int, size: int) -> str:
        """The image host's URL of a cover: <image base>/img/a<art_id, 10 digits>_<size code>.jpg."""
        if size not in SIZE_CODES:
            raise ValueError(f"size must be a Bandcamp image size code, one of {SIZE_CODES}, got {size}")
        return f"{self.image_base_url}/img/a{art_id:010d}_{size}.jpg"

    def cover(self, art_id: int, size: int) -> bytes:
        """The cover's bytes at size code `size` from the image host (check them with `check_image`)."""
        url = self.cover_url(art_id, size)
        answer = self.fetch("image", "GET", url, cap=self.politeness.cover_cap)
        if not 200 <= answer.status < 300:
            raise HttpError(answer.status, url)
        return answer.body


class _HandFollowed(requests.Session):
    """A session that never reads a Location itself: `Client.fetch` follows redirects by hand, each checked.
    (requests parses the Location of every redirect answer even with allow_redirects=False, to offer
    `Response.next`, and a malformed one — `http://[::1/` — raised from inside it.)"""

    def resolve_redirects(self, *args: Any, **kwargs: Any):  # noqa: ARG002 - requests' signature
        return iter(())


def _origin(host_port: str) -> tuple[str, int | None]:
    """('host', port) of 'host[:port]' as `request_target` spells them."""
    target = request_target(f"http://{host_port}/")
    return target.origin


def check_image(data: bytes, max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """Decode the image fully (a truncated JPEG raises OSError); returns its (width, height). Images over
    `max_pixels` (a politeness's cap) are refused before decoding (ImageTooLarge, a ValueError), as palettes would
    refuse them."""
    from bcanalysis.palette import check_pixels  # numpy: not for `bcanalysis --help`

    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        check_pixels(width, height, max_pixels, "not stored: palettes refuse it too")
        image.load()
        return width, height
