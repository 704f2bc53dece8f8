"""HTTP without trust: rate limiters shared across threads, Retry-After read, and answers read whole within a size
cap (decompressed bytes counted) and a total deadline."""

from __future__ import annotations

import email.utils
import threading
import time
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from bcanalysis.bandcamp.errors import ResponseError


class RateLimiter:
    """At most `rate` calls a second, evenly spaced, across threads; `pause(s)` holds everyone back."""

    def __init__(self, rate: float):
        if not rate > 0 or rate == float("inf"):
            raise ValueError(f"rate must be a finite number > 0 of requests a second, got {rate}")
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


def retry_after_seconds(value: str | None, default: float, *, now: float | None = None) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date, counted from `now`, a Unix time:
    the current time unless given); `default` if absent or bad."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value[:8])
    try:
        when = email.utils.parsedate_to_datetime(value[:64])
    except (TypeError, ValueError, IndexError, OverflowError):
        return default
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass
class Answer:
    """A response read whole within its caps: status, headers, body bytes and the URL that answered."""

    status: int
    headers: Any
    body: bytes
    url: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def read_body(response: requests.Response, cap: int, deadline_at: float, url: str) -> bytes:
    """The body, decompressed by us so the cap counts decompressed bytes; ResponseError past the cap or deadline."""
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > cap:
        raise ResponseError(f"answer of {int(length):,} bytes is over the {cap:,}-byte cap ({url})")
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("", "identity"):
        decoder = None
    elif encoding in ("gzip", "x-gzip", "deflate"):
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS)
    else:
        raise ResponseError(f"answer in an encoding we did not ask for ({encoding[:30]!r}) from {url}")
    out = bytearray()
    while True:
        if time.monotonic() > deadline_at:
            raise ResponseError(f"answer from {url} took longer than its deadline ({len(out):,} bytes so far)")
        chunk = response.raw.read1(65536, decode_content=False)
        if not chunk:
            break
        while chunk and decoder is not None:
            try:
                out += decoder.decompress(chunk, cap + 1 - len(out))
            except zlib.error as exc:
                raise ResponseError(f"answer from {url} does not decompress: {exc}") from exc
            chunk = decoder.unconsumed_tail if len(out) <= cap else b""
        if decoder is None:
            out += chunk
        if len(out) > cap:
            raise ResponseError(f"answer from {url} is over the {cap:,}-byte cap (decompressed)")
    return bytes(out)


def netloc(url: str) -> tuple[str, str, int | None]:
    """(scheme, lower-cased host, port) of a URL."""
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port
