"""Bandcamp, politely and without trust: how we treat the site (`Politeness`: rates, connections, timeouts,
retries, caps, who we are), the HTTP client (`Client`: two rate limiters, the discover API, album pages, cover
images) and the readers of what it answers.

Modules: `politeness` (Politeness), `client` (Client, check_image), `http` (rate limiters, Retry-After, capped
reads), `discover` (discover results and pages, labels), `album_page` (challenge pages, album pages, places),
`fields` (text, integers, dates, tags, album URLs on bandcamp.com or a store's own domain, the one URL reader of
requests), `errors` (every exception a `BandcampError`). Everything is importable from `bcanalysis.bandcamp`.
"""

from bcanalysis.bandcamp.album_page import country_of, is_challenge, page_tags, parse_album_page, place_names, scan_page
from bcanalysis.bandcamp.client import DEFAULT_BASE_URL, DEFAULT_IMAGE_BASE_URL, SIZE_CODES, Client, check_image
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
from bcanalysis.bandcamp.politeness import (
    DEMO_POLITENESS,
    POLITENESS,
    PROJECT_URL,
    USER_AGENT,
    Politeness,
    check_user_agent,
)
from bcanalysis.facts import DISCOVER_PATH, GENRES, genre_name

__all__ = [
    "DEFAULT_BASE_URL", "DEFAULT_IMAGE_BASE_URL", "DEMO_POLITENESS", "DISCOVER_PATH", "GENRES", "POLITENESS",
    "PROJECT_URL", "REQUIRED_ITEM_FIELDS", "SIZE_CODES", "SQLITE_MAX_INT", "USER_AGENT",
    "AlbumRef", "Answer", "ApiError", "BadField", "BadItem", "BadPage", "BandcampError", "ChallengePage", "Client",
    "DiscoverItem", "DiscoverPage", "ForeignHost", "HttpError", "Politeness", "RateLimited", "RateLimiter", "Refused",
    "ResponseError", "SchemaDrift", "StaleCursor", "Target", "album_ref", "check_image", "check_int", "check_tag",
    "check_user_agent",
    "clean", "clean_json_text", "country_of", "genre_name", "int_field", "is_challenge", "is_domain_name",
    "is_loopback", "label_of", "page_tags", "parse_album_page", "parse_date", "parse_discover_item", "place_names",
    "read_discover_page", "request_target", "retry_after_seconds", "scan_page", "text_field", "without_tracking",
]
