"""What can go wrong talking to Bandcamp, as exceptions: every one a `BandcampError`, its message naming the field,
the URL or the answer."""

from __future__ import annotations


class BandcampError(Exception):
    """Something Bandcamp (or the demo server) answered that is not what we asked for."""


class BadField(BandcampError):
    """A field of an answer has the wrong type or an impossible value; the message names the field."""


class BadItem(BandcampError):
    """A discover result that cannot be used; `.item_id` if it had a usable one, `.missing` the absent fields."""

    def __init__(
        self, message: str, item_id: int | None = None, missing: tuple[str, ...] = (), item_url: str | None = None
    ):
        super().__init__(message)
        self.item_id = item_id
        self.missing = missing
        self.item_url = item_url


class ChallengePage(BandcampError):
    """A browser-challenge page ('Client Challenge', scripts under /_fs-ch-): the site refuses this client."""


class BadPage(BandcampError):
    """An HTML page that is not a challenge but holds no usable album data."""


class ApiError(BandcampError):
    """The discover API answered an error object (HTTP 200 with `__api_special__`) or malformed JSON."""


class Refused(BandcampError):
    """The site refuses this client: HTTP 403, a challenge page, or an answer that is not what an API answers."""


class StaleCursor(BandcampError):
    """The discover API rejected a stored cursor (HTTP 500 with `{}`, or an error object)."""


class SchemaDrift(BandcampError):
    """A discover answer from which nothing parses: Bandcamp changed its API and bcanalysis needs an update."""


class ForeignHost(BandcampError):
    """A URL (or a redirect) pointing somewhere other than the site host or the image host: not fetched."""


class ResponseError(BandcampError):
    """A response too large, too slow, in an unknown encoding, or redirecting too often."""


class HttpError(BandcampError):
    """A final non-2xx answer after retries; `.status` holds the code."""

    def __init__(self, status: int, url: str):
        super().__init__(f"HTTP {status} for {url}")
        self.status = status
        self.url = url


class RateLimited(HttpError):
    """429 with a Retry-After longer than we are willing to wait, or 429 too many times in a row."""
