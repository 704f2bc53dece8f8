"""Reading one value of what Bandcamp answers without trusting it: text, integers that fit SQLite, dates, tag
names, and album URLs (keys only after NFC normalisation and lower-casing, and only in Bandcamp's own shapes, so an
answer cannot steer the scraper to another host). A wrong value raises `BadField` naming it."""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from urllib3.util import parse_url

from bcanalysis.bandcamp.errors import BadField

#: The largest integer SQLite stores (signed 64 bit); ids above it are refused before anything is written.
SQLITE_MAX_INT = 2**63 - 1

_TAG_NAME = re.compile(r"^[a-z0-9][a-z0-9&'.+-]*$")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}  # same length, so indices stay aligned
_KINDS = {"album": "a", "track": "t"}


def check_tag(tag: str) -> str:
    """Return `tag` if it looks like a normalised Bandcamp tag name ('hip-hop-rap'), else raise ValueError."""
    if not _TAG_NAME.match(tag):
        suggestion = re.sub(r"[^a-z0-9&'.+]+", "-", tag.lower()).strip("-")
        hint = f"; did you mean {suggestion!r}?" if suggestion and _TAG_NAME.match(suggestion) else ""
        raise ValueError(f"tag {tag!r} is not a normalised Bandcamp tag name (lowercase, hyphens for spaces){hint}")
    return tag


# --- text ---------------------------------------------------------------------------------------------------------


def clean_json_text(value: str) -> str:
    """A string from JSON as Bandcamp meant it: entities decoded, zero-width characters removed, ends trimmed.

    Inner whitespace is kept (a real title reads 'Parallel Universe  - Nearly 20 Years', with two spaces)."""
    return html.unescape(value).translate(_ZERO_WIDTH).strip()


def clean(text: str | None) -> str:
    """Text from an HTML text node: entities decoded, zero-width characters removed, whitespace collapsed."""
    if text is None:
        return ""
    return " ".join(html.unescape(text).translate(_ZERO_WIDTH).split())


def kind_of(value: Any) -> str:
    return "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else type(value).__name__


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def text_field(obj: dict, name: str, where: str, *, required: bool = True) -> str | None:
    """obj[name] as clean text; None if absent/null and not required; BadField naming `where`.name otherwise."""
    value = obj.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        what = "missing" if value is None else f"{kind_of(value)}, not a string"
        raise BadField(f"{where} {name} is {what}")
    return clean_json_text(value)


def int_field(obj: dict, name: str, where: str, *, required: bool = True) -> int | None:
    """obj[name] as a positive integer that fits SQLite; None if absent/null and not required; else BadField."""
    return check_int(obj.get(name), f"{where} {name}", required=required)


def check_int(value: Any, what: str, *, required: bool = True) -> int | None:
    """`value` if it is an int in 1..2**63-1 (what SQLite stores), None if None and not required, else BadField."""
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadField(f"{what} is {'missing' if value is None else kind_of(value) + ', not an integer'}")
    if not 1 <= value <= SQLITE_MAX_INT:
        raise BadField(f"{what} {shown(value)} is outside 1..2**63-1 (what SQLite can store)")
    return value


def parse_date(text: Any, what: str) -> str | None:
    """A Bandcamp date as ISO 'YYYY-MM-DD': '2026-08-14 04:00:52 UTC' or '17 Jul 2020 00:00:00 GMT'; None for None."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise BadField(f"{what} is {kind_of(text)}, not a string")
    value = text.strip()
    if m := re.match(r"(\d{4})-(\d{2})-(\d{2})(?:$|[ T])", value[:11]):
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            pass
    elif len(value) <= 64:
        try:
            return email.utils.parsedate_to_datetime(value).date().isoformat()
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    raise BadField(f"{what} {shown(text)} is not a date")


# --- URLs -----------------------------------------------------------------------------------------------------

#: A host name as DNS spells it (ASCII after IDNA): dot-separated labels of letters, digits and inner hyphens.
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"


@dataclass(frozen=True)
class Target:
    """A URL read once, strictly: scheme, lower-cased ASCII host, port, and the URL rebuilt from exactly those parts
    (what a request is sent to, so the host a check approves is the host the request reaches)."""

    scheme: str
    host: str
    port: int | None
    url: str

    @property
    def origin(self) -> tuple[str, int | None]:
        return self.host, self.port


def _ascii_host(host: str) -> str:
    """A host name in ASCII (IDNA for Unicode names), or ValueError."""
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"host {host!r} is not a valid international domain name") from exc


def request_target(url: str) -> Target:
    """Read `url` into the one `Target` that both the allow-list check and the request use; ValueError for
    anything malformed or ambiguous (a backslash, user info, spaces or control characters, a port out of range,
    a broken IPv6 literal), which parsers would read differently."""
    if not isinstance(url, str) or not url or len(url) > 4096:
        raise ValueError("not a URL string of at most 4096 characters")
    if "\\" in url or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise ValueError("it holds a backslash, a space or a control character, which parsers read differently")
    parts = urlsplit(url)  # ValueError for a broken IPv6 literal
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"scheme {parts.scheme!r} is not http(s)")
    if "@" in parts.netloc:
        raise ValueError("it has user info ('@' before the host)")
    port = parts.port  # ValueError for a port out of range or not a number
    host = _ascii_host((parts.hostname or "").lower())
    if not host:
        raise ValueError("it has no host")
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    rebuilt = urlunsplit(
        (scheme, netloc, quote(parts.path or "/", safe=_PATH_SAFE), quote(parts.query, safe=_PATH_SAFE + "?"), "")
    )
    seen = parse_url(rebuilt)  # the parser requests itself uses must read the same host and port
    if (seen.host or "").strip("[]").lower() != host or seen.port != port:
        raise ValueError("its host reads differently to the HTTP library")
    return Target(scheme, host, port, rebuilt)


@dataclass(frozen=True)
class AlbumRef:
    """An album (or track) by its keys: canonical URL, store, slug; `host` is set (host[:port]) when the store lives
    on its own domain rather than <store>.bandcamp.com, and its page can only be read from there."""

    url: str
    store: str
    slug: str
    item_type: str  # "a" album, "t" track
    host: str | None = None

    @property
    def kind(self) -> str:
        return "album" if self.item_type == "a" else "track"


def is_loopback(host: str | None) -> bool:
    """True for localhost and loopback IP addresses (this machine)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def is_domain_name(host: str) -> bool:
    """True for a public DNS name (two labels or more, not an IP address, not localhost): a store's own domain."""
    try:
        ipaddress.ip_address(host)
        return False
    except ValueError:
        pass
    labels = host.split(".")
    return (
        len(host) <= 253
        and len(labels) >= 2
        and all(_DNS_LABEL.match(lb) for lb in labels)
        and not labels[-1].isdigit()
        and labels[-1] != "localhost"
    )


def _key(text: str, what: str) -> str:
    """A store or slug as a key: NFC, lower-cased, only letters, digits, '-' and '_' (no dots, slashes, '%')."""
    key = unicodedata.normalize("NFC", text).lower()
    if not key or len(key) > 300 or not all(c.isalnum() or c in "-_" for c in key):
        raise BadField(f"{what} {shown(text)} is not a Bandcamp store or slug")
    return key


def _own_domain(target: Target, local: bool) -> bool:
    """Whether a store may live on this host: a public DNS name on the real site (no port), loopback or a DNS name
    with a local base URL (the demo server plays custom domains on a second loopback name)."""
    if target.host == "bandcamp.com" or target.host.endswith(".bandcamp.com"):
        return False
    if local:
        return is_loopback(target.host) or is_domain_name(target.host)
    return target.port is None and is_domain_name(target.host)


def album_ref(url: Any, what: str = "item_url", *, local: bool = False) -> AlbumRef:
    """The album keys of a Bandcamp album or track URL, or BadField.

    Accepted: http(s)://<store>.bandcamp.com/(album|track)/<slug>[/][?…]; a store's own domain,
    https://<domain>/(album|track)/<slug> (kept as the album's URL, its domain as the store); with `local`, also the
    demo server's http://<loopback>[:port]/s/<store>/(album|track)/<slug> and a loopback host as a custom domain.
    Store and slug are NFC-normalised and lower-cased, so 'café', 'cafe\\u0301' and 'CAFÉ' are one key."""
    if not isinstance(url, str):
        raise BadField(f"{what} is {'missing' if url is None else kind_of(url) + ', not a string'}")
    if len(url) > 2000:
        raise BadField(f"{what} is {len(url)} characters long")
    text = unicodedata.normalize("NFC", url.strip())
    try:
        parts = urlsplit(text)
        target = request_target(text)
    except ValueError as exc:
        raise BadField(f"{what} {shown(url)} is not a usable http(s) URL: {exc}") from exc
    segments = [s for s in parts.path.split("/") if s]
    host = (parts.hostname or "").lower()
    own = None
    if host.endswith(".bandcamp.com") and host.count(".") == 2 and len(segments) == 2:
        store = host[: -len(".bandcamp.com")]
    elif local and is_loopback(host) and len(segments) == 4 and segments[0] == "s":
        store, segments = segments[1], segments[2:]
    elif len(segments) == 2 and _own_domain(target, local):
        own = target.host + (f":{target.port}" if target.port is not None else "")
        store = target.host
    else:
        raise BadField(
            f"{what} {shown(url)} is not a Bandcamp album URL (https://<store>.bandcamp.com/album/<slug>, "
            "or /album/<slug> on a store's own domain)"
        )
    if segments[0] not in _KINDS:
        raise BadField(f"{what} {shown(url)} is neither an album nor a track URL")
    slug = _key(segments[1], f"{what} slug")
    if own is not None:
        return AlbumRef(f"{target.scheme}://{own}/{segments[0]}/{slug}", store, slug, _KINDS[segments[0]], own)
    store = _key(store, f"{what} store")
    return AlbumRef(f"https://{store}.bandcamp.com/{segments[0]}/{slug}", store, slug, _KINDS[segments[0]])


def without_tracking(url: str) -> str:
    """A listed URL as given, less its fragment and Bandcamp's tracking parameter (`?from=discover_page`)."""
    base, _, fragmentless = url.partition("#")[0].partition("?")
    kept = [p for p in fragmentless.split("&") if p and not p.startswith("from=")]
    return base + ("?" + "&".join(kept) if kept else "")
