"""Reading what Bandcamp answers without trusting it: discover results, album pages, album URLs and text.

Every field is type-checked where it is read; a wrong one raises `BadField` naming it, so one hostile album fails
alone. Integers must fit SQLite (1 ≤ n < 2**63) before anything is written. Album URLs become keys only after NFC
normalisation and lower-casing, and only in Bandcamp's own shapes, so an answer cannot steer the scraper to another
host. Page parsing is a single linear scan (no regular expression that can backtrack over the page).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import ipaddress
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bcanalysis.facts import GENRES, genre_name  # noqa: F401 - re-exported: the parser's vocabulary

#: The largest integer SQLite stores (signed 64 bit); ids above it are refused before anything is written.
SQLITE_MAX_INT = 2**63 - 1

_TAG_NAME = re.compile(r"^[a-z0-9][a-z0-9&'.+-]*$")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}  # same length, so indices stay aligned
_KINDS = {"album": "a", "track": "t"}


class BandcampError(Exception):
    """Something Bandcamp (or the demo server) answered that is not what we asked for."""


class BadField(BandcampError):
    """A field of an answer has the wrong type or an impossible value; the message names the field."""


class ChallengePage(BandcampError):
    """A browser-challenge page ('Client Challenge', scripts under /_fs-ch-): the site refuses this client."""


class BadPage(BandcampError):
    """An HTML page that is not a challenge but holds no usable album data."""


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


def _kind(value: Any) -> str:
    return "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else type(value).__name__


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def text_field(obj: dict, name: str, where: str, *, required: bool = True) -> str | None:
    """obj[name] as clean text; None if absent/null and not required; BadField naming `where`.name otherwise."""
    value = obj.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        what = "missing" if value is None else f"{_kind(value)}, not a string"
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
        raise BadField(f"{what} is {'missing' if value is None else _kind(value) + ', not an integer'}")
    if not 1 <= value <= SQLITE_MAX_INT:
        raise BadField(f"{what} {_show(value)} is outside 1..2**63-1 (what SQLite can store)")
    return value


def parse_date(text: Any, what: str) -> str | None:
    """A Bandcamp date as ISO 'YYYY-MM-DD': '2026-08-14 04:00:52 UTC' or '17 Jul 2020 00:00:00 GMT'; None for None."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise BadField(f"{what} is {_kind(text)}, not a string")
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
    raise BadField(f"{what} {_show(text)} is not a date")


# --- album URLs ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlbumRef:
    """An album (or track) by its keys: canonical URL https://<store>.bandcamp.com/<kind>/<slug>, store, slug."""

    url: str
    store: str
    slug: str
    item_type: str  # "a" album, "t" track

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


def _key(text: str, what: str) -> str:
    """A store or slug as a key: NFC, lower-cased, only letters, digits, '-' and '_' (no dots, slashes, '%')."""
    key = unicodedata.normalize("NFC", text).lower()
    if not key or len(key) > 300 or not all(c.isalnum() or c in "-_" for c in key):
        raise BadField(f"{what} {_show(text)} is not a Bandcamp store or slug")
    return key


def album_ref(url: Any, what: str = "item_url", *, local: bool = False) -> AlbumRef:
    """The album keys of a Bandcamp album or track URL, or BadField.

    Accepted: http(s)://<store>.bandcamp.com/(album|track)/<slug>[/][?…]; with `local`, also the demo server's
    http://<loopback>[:port]/s/<store>/(album|track)/<slug>. Store and slug are NFC-normalised and lower-cased, so
    'café', 'cafe\\u0301' and 'CAFÉ' are one key."""
    if not isinstance(url, str):
        raise BadField(f"{what} is {'missing' if url is None else _kind(url) + ', not a string'}")
    if len(url) > 2000:
        raise BadField(f"{what} is {len(url)} characters long")
    try:
        parts = urlsplit(unicodedata.normalize("NFC", url.strip()))
        host = (parts.hostname or "").lower()
    except ValueError as exc:
        raise BadField(f"{what} {_show(url)} is not a URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or parts.username is not None or parts.password is not None:
        raise BadField(f"{what} {_show(url)} is not an http(s) Bandcamp URL")
    segments = [s for s in parts.path.split("/") if s]
    if host.endswith(".bandcamp.com") and host.count(".") == 2 and len(segments) == 2:
        store = host[: -len(".bandcamp.com")]
    elif local and is_loopback(host) and len(segments) == 4 and segments[0] == "s":
        store, segments = segments[1], segments[2:]
    else:
        raise BadField(f"{what} {_show(url)} is not a Bandcamp album URL (https://<store>.bandcamp.com/album/<slug>)")
    if segments[0] not in _KINDS:
        raise BadField(f"{what} {_show(url)} is neither an album nor a track URL")
    store, slug = _key(store, f"{what} store"), _key(segments[1], f"{what} slug")
    return AlbumRef(f"https://{store}.bandcamp.com/{segments[0]}/{slug}", store, slug, _KINDS[segments[0]])


# --- discover results ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiscoverItem:
    """One discover result, checked: everything the corpus stores about an album without its page."""

    item_id: int
    item_type: str  # "a" album, "t" track
    url: str  # canonical, no query
    store: str
    album: str  # the slug
    title: str
    artist: str  # album_artist, else band_name
    band_name: str
    label: str | None
    location: str | None
    genre_id: int | None
    release_date: str | None  # ISO date
    art_id: int | None
    item_url: str  # as listed (query dropped), for provenance

    @property
    def genre(self) -> str | None:
        return genre_name(self.genre_id)

    def as_listing(self) -> dict[str, Any]:
        """The columns a listing row stores."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class BadItem(BandcampError):
    """A discover result that cannot be used; `.item_id` if it had a usable one, `.missing` the absent fields."""

    def __init__(self, message: str, item_id: int | None = None, missing: tuple[str, ...] = (),
                 item_url: str | None = None):  # fmt: skip
        super().__init__(message)
        self.item_id = item_id
        self.missing = missing
        self.item_url = item_url


#: Fields every usable discover result has (the scraper reads them; their absence on a whole page is schema drift).
REQUIRED_ITEM_FIELDS = ("item_id", "item_url", "title", "band_name")


def parse_discover_item(item: Any, *, local: bool = False) -> DiscoverItem:
    """Check one discover result and return what the corpus keeps, or raise BadItem naming the bad field."""
    if not isinstance(item, dict):
        raise BadItem(f"discover result is {_kind(item)}, not an object")
    missing = tuple(f for f in REQUIRED_ITEM_FIELDS if item.get(f) is None)
    try:
        item_id = int_field(item, "item_id", "discover result")
    except BadField as exc:
        raise BadItem(str(exc), None, missing) from exc
    try:
        ref = album_ref(item.get("item_url"), "discover result item_url", local=local)
        item_type = item.get("item_type", ref.item_type)
        if item_type not in ("a", "t"):
            raise BadField(f"discover result item_type {_show(item_type)} is neither 'a' nor 't'")
        band_name = text_field(item, "band_name", "discover result")
        artist = text_field(item, "album_artist", "discover result", required=False) or band_name
        image = item.get("primary_image")
        if image is not None and not isinstance(image, dict):
            raise BadField(f"discover result primary_image is {_kind(image)}, not an object")
        art_id = int_field(image, "image_id", "discover result primary_image", required=False) if image else None
        return DiscoverItem(
            item_id=item_id,
            item_type=item_type,
            url=ref.url,
            store=ref.store,
            album=ref.slug,
            title=text_field(item, "title", "discover result"),
            artist=artist,
            band_name=band_name,
            label=text_field(item, "label_name", "discover result", required=False) or None,
            location=text_field(item, "band_location", "discover result", required=False) or None,
            genre_id=int_field(item, "band_genre_id", "discover result", required=False),
            release_date=parse_date(item.get("release_date"), "discover result release_date"),
            art_id=art_id,
            item_url=item["item_url"].split("?", 1)[0].split("#", 1)[0],
        )
    except BadField as exc:
        raw_url = item.get("item_url")
        raise BadItem(str(exc), item_id, missing, raw_url[:500] if isinstance(raw_url, str) else None) from exc


# --- album pages --------------------------------------------------------------------------------------------------


def is_challenge(text: str) -> bool:
    """True for Bandcamp's browser-challenge page (HTTP 200, '<title>Client Challenge</title>', /_fs-ch- scripts)."""
    head = text[:20000]
    return "/_fs-ch-" in head or "<title>client challenge</title>" in head.translate(_ASCII_LOWER)


def _attrs(inner: str) -> tuple[str, dict[str, str]]:
    """Tag name and attributes of a start tag's inside ('a class="tag" href=x'); linear in its length."""
    n, i = len(inner), 0
    while i < n and not (inner[i].isspace() or inner[i] in "/>"):
        i += 1
    name, attrs = inner[:i].translate(_ASCII_LOWER), {}
    while i < n:
        while i < n and (inner[i].isspace() or inner[i] == "/"):
            i += 1
        start = i
        while i < n and not (inner[i].isspace() or inner[i] in "=/"):
            i += 1
        key = inner[start:i].translate(_ASCII_LOWER)
        while i < n and inner[i].isspace():
            i += 1
        value = ""
        if i < n and inner[i] == "=":
            i += 1
            while i < n and inner[i].isspace():
                i += 1
            if i < n and inner[i] in "\"'":
                end = inner.find(inner[i], i + 1)
                end = n if end < 0 else end
                value, i = inner[i + 1 : end], end + 1
            else:
                start = i
                while i < n and not inner[i].isspace():
                    i += 1
                value = inner[start:i]
        if key:
            attrs.setdefault(key, html.unescape(value))
        elif i == start:
            i += 1
    return name, attrs


def _strip_tags(fragment: str) -> str:
    """The text of an HTML fragment (tags dropped); linear."""
    out, pos = [], 0
    while (lt := fragment.find("<", pos)) >= 0:
        gt = fragment.find(">", lt + 1)
        if gt < 0:
            break
        out.append(fragment[pos:lt])
        pos = gt + 1
    out.append(fragment[pos:])
    return "".join(out)


@dataclass
class _Page:
    ldjson: list[str]
    tralbum: str | None
    tags: list[str]
    meta: dict[str, str]
    canonical: str | None
    missing_art: bool
    title_h2: str | None


def scan_page(page: str) -> _Page:
    """One left-to-right pass collecting what the album parser reads; every character is visited a bounded number
    of times (an unclosed '<a ' costs one search, then the scan jumps past it), so 60 kB of '<a ' is instant."""
    low = page.translate(_ASCII_LOWER)
    out = _Page([], None, [], {}, None, False, None)
    n, pos = len(page), 0
    while (lt := page.find("<", pos)) >= 0:
        if page.startswith("<!--", lt):
            end = page.find("-->", lt + 4)
            pos = n if end < 0 else end + 3
            continue
        gt = page.find(">", lt + 1)
        if gt < 0:
            break
        name, a = _attrs(page[lt + 1 : gt])
        pos = gt + 1
        if name == "script":
            close = low.find("</script", pos)
            body = page[pos : n if close < 0 else close]
            if a.get("type", "").lower() == "application/ld+json":
                out.ldjson.append(body)
            if "data-tralbum" in a and out.tralbum is None:
                out.tralbum = a["data-tralbum"]
            pos = n if close < 0 else close
        elif name in ("a", "h2") and ("tag" in a.get("class", "").split() if name == "a" else
                                       "trackTitle" in a.get("class", "").split()):  # fmt: skip
            close = low.find(f"</{name}", pos)
            text = clean(_strip_tags(page[pos : n if close < 0 else close]))
            if name == "a":
                out.tags.append(text)
            elif out.title_h2 is None:
                out.title_h2 = text
            pos = n if close < 0 else close
        elif name == "meta" and (a.get("property") or a.get("name")):
            out.meta.setdefault(a.get("property") or a.get("name"), a.get("content", ""))
        elif name == "link" and a.get("rel", "").lower() == "canonical" and out.canonical is None:
            out.canonical = a.get("href")
        if a.get("id") == "missing-tralbum-art":
            out.missing_art = True
    return out


def _json(text: str, what: str) -> Any:
    """Parsed JSON, or BadField (bad syntax, or nesting too deep for the parser)."""
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise BadField(f"{what} is nested too deeply to read") from exc
    except ValueError as exc:
        raise BadField(f"{what} is not valid JSON: {exc}") from exc


def _ld_album(blocks: list[str]) -> dict[str, Any] | None:
    """The first MusicAlbum (or MusicRecording) object among the ld+json blocks; unreadable blocks are skipped."""
    for block in blocks:
        try:
            data = _json(block, "ld+json block")
        except BadField:
            continue
        for obj in data if isinstance(data, list) else [data]:
            kind = obj.get("@type") if isinstance(obj, dict) else None
            kinds = kind if isinstance(kind, list) else [kind]
            if "MusicAlbum" in kinds or "MusicRecording" in kinds:
                return obj
    return None


def _obj(parent: dict, name: str, where: str) -> dict:
    value = parent.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadField(f"{where} {name} is {_kind(value)}, not an object")
    return value


def _art_id_from_url(url: str | None) -> int | None:
    m = re.search(r"/img/a(\d{1,25})_\d{1,3}\.", url or "")
    return check_int(int(m[1]), "art id in the image URL") if m else None


def page_tags(keywords: list[str], places: list[str | None]) -> tuple[list[str], str | None]:
    """(tags, place): the trailing keyword is dropped as the place if it names one of `places` ('Oslo' for 'Oslo,
    Norway'); the rest are lower-cased and de-duplicated in page order ('Techno', 'techno' → 'techno')."""
    names = {p.strip().casefold() for place in places if place for p in [place, *place.split(",")] if p.strip()}
    raw = [k for k in keywords if k]
    place = raw.pop() if raw and raw[-1].casefold() in names else None
    return list(dict.fromkeys(k.lower() for k in raw)), place


def parse_album_page(text: str, url: str | None = None, *, location: str | None = None) -> dict[str, Any]:
    """The album fields of a Bandcamp album page: url, store, album, title, artist, art_id, release_date, tags,
    location, image_url (None without art).

    `tags` are lower-cased, de-duplicated, in page order, without the place, which goes to `location` (the
    publisher's foundingLocation, else the dropped place; `location` is the discover answer's place, used to
    recognise it). Raises ChallengePage for a challenge, BadPage without album data, BadField for a wrong field."""
    if is_challenge(text):
        raise ChallengePage(f"a 'Client Challenge' page instead of the album at {url or '?'}")
    page = scan_page(text)
    ld = _ld_album(page.ldjson) or {}
    tralbum = _json(page.tralbum, "data-tralbum") if page.tralbum else {}
    if not isinstance(tralbum, dict):
        raise BadField(f"data-tralbum is {_kind(tralbum)}, not an object")
    if not ld and not tralbum:
        raise BadPage(f"no album data (ld+json or data-tralbum) in the page at {url or '?'}")
    current = _obj(tralbum, "current", "data-tralbum")
    canonical = ld.get("@id") or tralbum.get("url") or page.canonical or url
    ref = album_ref(canonical, "album page @id") if isinstance(canonical, str) and ".bandcamp.com" in canonical \
        else None  # fmt: skip
    image = None if page.missing_art else ld.get("image") or page.meta.get("og:image") or None
    if isinstance(image, list):
        image = image[0] if image else None
    if image is not None and not isinstance(image, str):
        raise BadField(f"ld+json image is {_kind(image)}, not a URL string")
    props = ld.get("additionalProperty") or []
    if not isinstance(props, list):
        raise BadField(f"ld+json additionalProperty is {_kind(props)}, not a list")
    art = [p.get("value") for p in props if isinstance(p, dict) and p.get("name") == "art_id"]
    og_title = page.meta.get("og:title", "")
    title = (text_field(ld, "name", "ld+json", required=False) or text_field(current, "title", "data-tralbum current",
             required=False) or page.title_h2 or clean(og_title.split(", by ")[0]))  # fmt: skip
    by = _obj(ld, "byArtist", "ld+json")
    artist = (text_field(by, "name", "ld+json byArtist", required=False)
              or text_field(tralbum, "artist", "data-tralbum", required=False)
              or clean(og_title.rpartition(", by ")[2]))  # fmt: skip
    keywords = ld.get("keywords")
    if isinstance(keywords, str):
        keywords = keywords.split(",")
    if keywords is not None and not (isinstance(keywords, list) and all(isinstance(k, str) for k in keywords)):
        raise BadField(f"ld+json keywords is {_kind(keywords)}, not a list of strings")
    founded = _obj(_obj(ld, "publisher", "ld+json"), "foundingLocation", "ld+json publisher")
    home = text_field(founded, "name", "ld+json publisher foundingLocation", required=False) or None
    tags, place = page_tags([clean_json_text(k) for k in keywords] if keywords else page.tags, [home, location])
    date = ld.get("datePublished") if ld.get("datePublished") is not None else current.get("release_date")
    return {
        "url": ref.url if ref else None,
        "store": ref.store if ref else None,
        "album": ref.slug if ref else None,
        "title": title,
        "artist": artist,
        "art_id": None if image is None else (
            check_int(art[0], "ld+json art_id") if art else
            check_int(tralbum["art_id"], "data-tralbum art_id") if tralbum.get("art_id") is not None else
            _art_id_from_url(image)),  # fmt: skip
        "release_date": parse_date(date, "album page datePublished"),
        "tags": tags,
        "location": home or place,
        "image_url": image,
    }
