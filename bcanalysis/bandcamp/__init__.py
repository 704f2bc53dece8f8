"""Bandcamp, politely and without trust: the HTTP client (`Client`: two rate limiters, the discover API, album
pages, cover images) and the readers of what it answers.

Modules: `client` (Client, check_image), `http` (rate limiters, Retry-After, capped reads), `discover` (discover
results and pages, labels), `album_page` (challenge pages, album pages, places), `fields` (text, integers, dates,
tags, album URLs on bandcamp.com or a store's own domain, the one URL reader of requests), `errors` (every
exception a `BandcampError`). Everything is importable from `bcanalysis.bandcamp` as before.
"""

from bcanalysis.bandcamp.album_page import country_of, is_challenge, page_tags, parse_album_page, place_names, scan_page
from bcanalysis.bandcamp.client import (
    COVER_CAP,
    DEFAULT_BASE_URL,
    DEFAULT_IMAGE_BASE_URL,
    MAX_COVER_PIXELS,
    MAX_REDIRECTS,
    PAGE_CAP,
    PROJECT_URL,
    SIZE_CODES,
    USER_AGENT,
    Client,
    check_image,
)
from bcanalysis.bandcamp.discover import (
    REQUIRED_ITEM_FIELDS,
    DiscoverItem,
    DiscoverPage,
    label_of,
    parse_discover_item,
    read_discover_page,
)
from bcanalysis.bandcamp.errors import (
    ApiError,
    BadField,
    BadItem,
    BadPage,
    BandcampError,
    ChallengePage,
    ForeignHost,
    HttpError,
    RateLimited,
    Refused,
    ResponseError,
    SchemaDrift,
    StaleCursor,
)
from bcanalysis.bandcamp.fields import (
    SQLITE_MAX_INT,
    AlbumRef,
    Target,
    album_ref,
    check_int,
    check_tag,
    clean,
    clean_json_text,
    int_field,
    is_domain_name,
    is_loopback,
    parse_date,
    request_target,
    text_field,
    without_tracking,
)
from bcanalysis.bandcamp.http import Answer, RateLimiter, retry_after_seconds
from bcanalysis.facts import DISCOVER_PATH, GENRES, genre_name

__all__ = [
    "COVER_CAP", "DEFAULT_BASE_URL", "DEFAULT_IMAGE_BASE_URL", "DISCOVER_PATH", "GENRES", "MAX_COVER_PIXELS",
    "MAX_REDIRECTS", "PAGE_CAP", "PROJECT_URL", "REQUIRED_ITEM_FIELDS", "SIZE_CODES", "SQLITE_MAX_INT", "USER_AGENT",
    "AlbumRef", "Answer", "ApiError", "BadField", "BadItem", "BadPage", "BandcampError", "ChallengePage", "Client",
    "DiscoverItem", "DiscoverPage", "ForeignHost", "HttpError", "RateLimited", "RateLimiter", "Refused",
    "ResponseError", "SchemaDrift", "StaleCursor", "Target", "album_ref", "check_image", "check_int", "check_tag",
    "clean", "clean_json_text", "country_of", "genre_name", "int_field", "is_challenge", "is_domain_name",
    "is_loopback", "label_of", "page_tags", "parse_album_page", "parse_date", "parse_discover_item", "place_names",
    "read_discover_page", "request_target", "retry_after_seconds", "scan_page", "text_field", "without_tracking",
]
