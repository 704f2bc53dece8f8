"""A polite Bandcamp client: rate-limited HTTP with retries, the discover API, album pages and covers.

Politeness: at most `rate` requests a second (default 1), a User-Agent naming the project, timeouts on every
request, urllib3 retries with exponential backoff and jitter on connection errors, timeouts and 5xx, and 429
answers honoured for as long as their Retry-After says (Bandcamp answers 429 after ~20 quick requests from one
address). Album pages are parsed from ld+json first, then data-tralbum, `a.tag` anchors and og: meta.
"""

from __future__ import annotations

import email.utils
import html
import io
import ipaddress
import json
import random
import re
import threading
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from PIL import Image
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from bcanalysis import __version__

DEFAULT_BASE_URL = "https://bandcamp.com"
DISCOVER_PATH = "/api/discover/1/discover_web"
USER_AGENT = f"bcanalysis/{__version__} (cover-colour research scraper; python-requests/{requests.__version__})"
#: Bandcamp image size codes accepted by `--size` (10 = 1200 px, 5 and 16 = 700, 2 = 350, 0 = original upload).
SIZE_CODES = (0, 2, 3, 4, 5, 7, 8, 9, 10, 16)
_TAG_NAME = re.compile(r"^[a-z0-9][a-z0-9&'.+-]*$")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_IMAGE_CODE = re.compile(r"_\d+(\.\w+)$")


class BandcampError(Exception):
    """Something Bandcamp (or the demo server) answered that is not what we asked for."""


class ApiError(BandcampError):
    """The discover API answered an error object (HTTP 200 with `__api_special__`) or malformed JSON."""


class ChallengePage(BandcampError):
    """An HTTP 200 page with no album data: a browser challenge (or not an album page). Worth retrying later."""


class HttpError(BandcampError):
    """A final non-2xx answer after retries; `.status` holds the code."""

    def __init__(self, status: int, url: str):
        super().__init__(f"HTTP {status} for {url}")
        self.status = status
        self.url = url


class RateLimited(HttpError):
    """429 with a Retry-After longer than we are willing to wait, or 429 too many times in a row."""


def check_tag(tag: str) -> str:
    """Return `tag` if it looks like a normalised Bandcamp tag name ('hip-hop-rap'), else raise ValueError."""
    if not _TAG_NAME.match(tag):
        suggestion = re.sub(r"[^a-z0-9&'.+]+", "-", tag.lower()).strip("-")
        hint = f"; did you mean {suggestion!r}?" if suggestion and _TAG_NAME.match(suggestion) else ""
        raise ValueError(f"tag {tag!r} is not a normalised Bandcamp tag name (lowercase, hyphens for spaces){hint}")
    return tag


class RateLimiter:
    """At most `rate` calls a second, evenly spaced, across threads; `pause(s)` holds everyone back."""

    def __init__(self, rate: float):
        if not rate > 0:
            raise ValueError(f"rate must be > 0 requests a second, got {rate}")
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until the next request may go."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)

    def pause(self, seconds: float) -> None:
        """No request for `seconds` from now (after a 429)."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)


def retry_after_seconds(value: str | None, default: float) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); `default` if absent or bad."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


@dataclass
class DiscoverPage:
    """One page of discover results: album items, the cursor for the next page (None at the end), the total."""

    items: list[dict[str, Any]]
    cursor: Any
    result_count: int | None


class Client:
    """HTTP to Bandcamp (or a server in its shapes at `base_url`) with rate limit, retries and Retry-After."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        rate: float = 1.0,
        timeout: tuple[float, float] = (10.0, 30.0),
        retries: int = 4,
        backoff: float = 1.0,
        max_retry_after: float = 600.0,
        max_429: int = 5,
        user_agent: str = USER_AGENT,
    ):
        self.base_url = base_url.rstrip("/")
        self.limiter = RateLimiter(rate)
        self.timeout = timeout
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.max_429 = max_429
        self.requests_sent = 0
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=None,  # the discover POST is a read: safe to repeat
            backoff_factor=backoff,
            backoff_jitter=backoff / 2,
            backoff_max=60,
            respect_retry_after_header=False,  # 429 is handled below, through the rate limiter
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One request through the rate limiter; a 429 waits out its Retry-After (up to `max_429` times)."""
        kwargs.setdefault("timeout", self.timeout)
        for attempt in range(self.max_429 + 1):
            self.limiter.wait()
            self.requests_sent += 1
            response = self.session.request(method, url, **kwargs)
            if response.status_code != 429:
                return response
            default = self.backoff * 2**attempt * (1 + random.random() / 2)
            delay = retry_after_seconds(response.headers.get("Retry-After"), default)
            if delay > self.max_retry_after or attempt == self.max_429:
                raise RateLimited(429, url)
            self.limiter.pause(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def discover(self, tag: str, cursor: Any = None, size: int = 60) -> DiscoverPage:
        """One page of albums under `tag` from the discover API; raises ApiError on an error object or bad JSON."""
        body: dict[str, Any] = {
            "tag_norm_names": [tag],
            "size": size,
            "slice": "top",
            "include_result_types": ["a"],
        }
        if cursor is not None:
            body["cursor"] = cursor
        url = self.base_url + DISCOVER_PATH
        response = self.request("POST", url, json=body)
        if response.status_code != 200:
            raise HttpError(response.status_code, url)
        try:
            data = response.json()
        except ValueError as exc:
            raise ApiError(f"malformed JSON from the discover API for tag {tag!r}: {exc}") from exc
        if not isinstance(data, dict):
            raise ApiError(f"unexpected discover answer for tag {tag!r}: {type(data).__name__}")
        if data.get("__api_special__") == "exception":
            detail = f"{data.get('error_type')} {data.get('error_message') or ''}".strip()
            raise ApiError(f"discover API error for tag {tag!r}: {detail}")
        items = [i for i in data.get("results") or [] if i.get("result_type", "a") == "a" and _has_ids(i)]
        return DiscoverPage(items, data.get("cursor"), data.get("result_count"))

    def get(self, url: str) -> requests.Response:
        """GET through the limiter; raises HttpError for a final non-2xx answer."""
        response = self.request("GET", url)
        if not response.ok:
            raise HttpError(response.status_code, url)
        return response

    def album(self, url: str) -> dict[str, Any]:
        """Fetch and parse an album page; raises ChallengePage if it holds no album data."""
        response = self.get(rebase_local(url, self.base_url))
        return parse_album_page(response.text, response.url)

    def cover(self, image_url: str, size: int) -> tuple[bytes, tuple[int, int]]:
        """The cover at size code `size`, checked to decode fully; returns (JPEG bytes, (width, height))."""
        data = self.get(cover_url(image_url, size)).content
        return data, check_image(data)


def _has_ids(item: dict[str, Any]) -> bool:
    return isinstance(item.get("item_id"), int) and isinstance(item.get("item_url"), str)


def cover_url(image_url: str, size: int) -> str:
    """The image URL at another size code: '…/img/a123_10.jpg' → '…/img/a123_2.jpg'."""
    if size not in SIZE_CODES:
        raise ValueError(f"size must be a Bandcamp image size code, one of {SIZE_CODES}, got {size}")
    return _IMAGE_CODE.sub(rf"_{size}\1", image_url, count=1)


def check_image(data: bytes) -> tuple[int, int]:
    """Decode the image fully (a truncated JPEG raises OSError); returns its (width, height)."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size


# --- album pages ------------------------------------------------------------------------------------------------


class _Page(HTMLParser):
    """Collects what the album parser needs from a page in one pass of the stdlib HTML parser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ldjson: list[str] = []
        self.tralbum: str | None = None
        self.tags: list[str] = []
        self.meta: dict[str, str] = {}
        self.canonical: str | None = None
        self.missing_art = False
        self.title_h2: str | None = None
        self._in: str | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "script" and a.get("type") == "application/ld+json":
            self._start("ldjson")
        elif tag == "script" and "data-tralbum" in a:
            self.tralbum = a["data-tralbum"]
        elif tag == "a" and "tag" in classes:
            self._start("tag")
        elif tag == "h2" and "trackTitle" in classes:
            self._start("h2")
        elif tag == "meta" and (a.get("property") or a.get("name")):
            self.meta.setdefault(a.get("property") or a.get("name"), a.get("content", ""))
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical = a.get("href")
        elif a.get("id") == "missing-tralbum-art":
            self.missing_art = True

    def _start(self, what: str) -> None:
        self._in, self._buf = what, []

    def handle_data(self, data: str) -> None:
        if self._in:
            self._buf.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._in is None or tag not in ("script", "a", "h2"):
            return
        text = "".join(self._buf)
        if self._in == "ldjson":
            self.ldjson.append(text)
        elif self._in == "tag":
            self.tags.append(clean(text))
        elif self._in == "h2":
            self.title_h2 = clean(text)
        self._in = None


def clean(text: str | None) -> str:
    """Decode HTML entities, drop zero-width characters and collapse whitespace."""
    if text is None:
        return ""
    return " ".join(html.unescape(text).translate(_ZERO_WIDTH).split())


def _ld_album(blocks: list[str]) -> dict[str, Any] | None:
    """The first MusicAlbum (or MusicRecording) object among the ld+json blocks."""
    for block in blocks:
        try:
            data = json.loads(block)
        except ValueError:
            continue
        for obj in data if isinstance(data, list) else [data]:
            kind = obj.get("@type") if isinstance(obj, dict) else None
            kinds = kind if isinstance(kind, list) else [kind]
            if "MusicAlbum" in kinds or "MusicRecording" in kinds:
                return obj
    return None


def _art_id(*candidates: Any) -> int | None:
    """The first art id found: an int, or one parsed from a '…/img/a<art_id>_<code>.jpg' URL."""
    for c in candidates:
        if isinstance(c, int) and c > 0:
            return c
        if isinstance(c, str) and (m := re.search(r"/img/a(\d+)_\d+\.", c)):
            return int(m[1])
    return None


def _date(text: Any) -> str | None:
    """A Bandcamp date ('17 Jul 2020 00:00:00 GMT') as ISO 'YYYY-MM-DD', else None."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return email.utils.parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError):
        m = re.match(r"(\d{4}-\d{2}-\d{2})", text.strip())
        return m[1] if m else None


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def rebase_local(url: str, base_url: str) -> str:
    """`url` moved onto `base_url`'s host and port when both are on this machine.

    A local (demo) server gets a new port every run, so listings stored by an earlier run must follow it; URLs of
    a real site are never touched."""
    old, new = urlsplit(url), urlsplit(base_url)
    if old.netloc != new.netloc and _is_loopback(old.hostname) and _is_loopback(new.hostname):
        return urlunsplit((new.scheme, new.netloc, old.path, old.query, old.fragment))
    return url


def split_album_url(url: str) -> tuple[str, str, str]:
    """(canonical https URL without query, store subdomain, slug) of an album or track URL."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    store = host.split(".")[0] if host.endswith(".bandcamp.com") else host
    slug = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return urlunsplit(("https", parts.netloc, parts.path.rstrip("/"), "", "")), store, slug


def parse_album_page(text: str, url: str | None = None) -> dict[str, Any]:
    """The album fields of a Bandcamp album page: url, store, album, title, artist, art_id, release_date, tags,
    image_url (None when the album has no art). Raises ChallengePage if the page holds no album data."""
    page = _Page()
    page.feed(text)
    page.close()
    ld = _ld_album(page.ldjson) or {}
    try:
        tralbum = json.loads(page.tralbum) if page.tralbum else {}
    except ValueError:
        tralbum = {}
    if not ld and not tralbum:
        raise ChallengePage(f"no album data (ld+json or data-tralbum) in the page at {url or '?'}")
    current = tralbum.get("current") or {}
    canonical = ld.get("@id") or tralbum.get("url") or page.canonical or url
    if not canonical:
        raise ChallengePage(f"no canonical URL in the page at {url or '?'}")
    canonical, store, slug = split_album_url(canonical)
    image = None if page.missing_art else ld.get("image") or page.meta.get("og:image") or None
    if isinstance(image, list):
        image = image[0] if image else None
    props = {p.get("name"): p.get("value") for p in ld.get("additionalProperty") or [] if isinstance(p, dict)}
    og_title = page.meta.get("og:title", "")
    title = clean(ld.get("name") or current.get("title") or page.title_h2 or og_title.split(", by ")[0])
    artist = clean((ld.get("byArtist") or {}).get("name") or tralbum.get("artist") or og_title.rpartition(", by ")[2])
    keywords = ld.get("keywords")
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.split(",")]
    tags = [clean(k) for k in keywords or []] or page.tags
    unique = {t.lower(): t for t in reversed(tags) if t}  # case-insensitive, first spelling wins
    return {
        "url": canonical,
        "store": store,
        "album": slug,
        "title": title,
        "artist": artist,
        "art_id": None if image is None else _art_id(props.get("art_id"), tralbum.get("art_id"), image),
        "release_date": _date(ld.get("datePublished") or current.get("release_date")),
        "tags": [unique[k] for k in dict.fromkeys(t.lower() for t in tags if t)],
        "image_url": image,
    }
