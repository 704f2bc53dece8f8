"""Album pages: the challenge page told apart, then one linear scan collecting ld+json, data-tralbum, tag anchors
and meta tags (no regular expression that can backtrack over the page), and the album's fields read from them."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

from bcanalysis.bandcamp.errors import BadField, BadPage, ChallengePage
from bcanalysis.bandcamp.fields import (
    ASCII_LOWER,
    album_ref,
    check_int,
    clean,
    clean_json_text,
    kind_of,
    parse_date,
    text_field,
)


def is_challenge(text: str) -> bool:
    """True for Bandcamp's browser-challenge page (HTTP 200, '<title>Client Challenge</title>', /_fs-ch- scripts)."""
    head = text[:20000]
    return "/_fs-ch-" in head or "<title>client challenge</title>" in head.translate(ASCII_LOWER)


def _attrs(inner: str) -> tuple[str, dict[str, str]]:
    """Tag name and attributes of a start tag's inside ('a class="tag" href=x'); linear in its length."""
    n, i = len(inner), 0
    while i < n and not (inner[i].isspace() or inner[i] in "/>"):
        i += 1
    name, attrs = inner[:i].translate(ASCII_LOWER), {}
    while i < n:
        while i < n and (inner[i].isspace() or inner[i] == "/"):
            i += 1
        start = i
        while i < n and not (inner[i].isspace() or inner[i] in "=/"):
            i += 1
        key = inner[start:i].translate(ASCII_LOWER)
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
    low = page.translate(ASCII_LOWER)
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
        raise BadField(f"{where} {name} is {kind_of(value)}, not an object")
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
        raise BadField(f"data-tralbum is {kind_of(tralbum)}, not an object")
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
        raise BadField(f"ld+json image is {kind_of(image)}, not a URL string")
    props = ld.get("additionalProperty") or []
    if not isinstance(props, list):
        raise BadField(f"ld+json additionalProperty is {kind_of(props)}, not a list")
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
        raise BadField(f"ld+json keywords is {kind_of(keywords)}, not a list of strings")
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
