"""Album pages: the challenge page told apart, then one linear scan collecting ld+json, data-tralbum, tag anchors
and meta tags (no regular expression that can backtrack over the page), and the album's fields read from them."""

from __future__ import annotations

import csv
import functools
import html
import importlib.util
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
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
        elif name in ("a", "h2") and (
            "tag" in a.get("class", "").split() if name == "a" else "trackTitle" in a.get("class", "").split()
        ):
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


@functools.lru_cache(maxsize=1)
def _countries() -> list[tuple[str, re.Pattern, frozenset[str]]]:
    """(ISO3, name pattern, names) of every country, from country_converter's ISO 3166 table (its short and
    official names, and the pattern it recognises other spellings by: 'UK', 'U.K.', 'Britain', 'USA', 'US').

    The table is read as text, without importing the package (its loader needs pandas, a second of start-up, and
    reads Namibia's code 'NA' as a missing value under pandas 3)."""
    spec = importlib.util.find_spec("country_converter")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("country_converter is not installed: pip install country_converter")
    table = Path(next(iter(spec.submodule_search_locations))) / "country_data.tsv"
    with table.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [
        (
            row["ISO3"],
            re.compile(row["regex"], re.IGNORECASE),
            frozenset(n.casefold() for n in (row["name_short"], row["name_official"]) if n),
        )
        for row in rows
        if row.get("ISO3") and row.get("regex")
    ]


@functools.lru_cache(maxsize=4096)
def country_of(name: str) -> str | None:
    """The ISO 3166 alpha-3 code of the country `name` spells ('UK', 'United Kingdom', 'USA', 'Japan'), or None.
    The whole name must match: 'New England' and 'UK garage' are not the United Kingdom."""
    text = " ".join(name.split()).casefold()
    if not text:
        return None
    for iso2, pattern, names in _countries():
        if text in names or pattern.fullmatch(text):
            return iso2
    return None


def _fold(name: str) -> str:
    """A name as places are compared: spaces collapsed, case and accents dropped ('Québec' and 'Quebec' alike)."""
    text = unicodedata.normalize("NFKD", " ".join(name.split()).casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


@functools.lru_cache(maxsize=1)
def _subdivisions() -> dict[str, frozenset[str]]:
    """Folded name → ISO 3166 alpha-3 codes of the countries with a first-level subdivision of that name ('oregon'
    → USA, 'quebec' → CAN, 'georgia' → USA): ISO 3166-2 as pycountry ships it (Debian's iso-codes)."""
    import pycountry  # imported here: its database is read once, when a place first needs it

    found: dict[str, set[str]] = {}
    for sub in pycountry.subdivisions:
        if sub.parent_code is None:
            country = pycountry.countries.get(alpha_2=sub.country_code)
            if country is not None:
                found.setdefault(_fold(sub.name), set()).add(country.alpha_3)
    return {name: frozenset(codes) for name, codes in found.items()}


def region_countries(name: str) -> frozenset[str]:
    """The countries (ISO alpha-3) that `name` names: itself if a country, and those with a state, province or
    other first-level subdivision of that name ('Oregon' → USA); empty for anything else."""
    country = country_of(name)
    return _subdivisions().get(_fold(name), frozenset()) | ({country} if country else set())


def place_names(places: list[str | None]) -> tuple[set[str], set[str]]:
    """(names, countries): every spelling of these places as keywords hold them — the whole place ('Oslo, Norway'),
    each part ('Oslo', 'Norway'), folded — and the ISO codes of their countries, whose every spelling counts: a
    country among the parts, or the one a state or province at the end names ('Portland, Oregon' → USA)."""
    names, countries = set(), set()
    for place in places:
        if not place or not place.strip():
            continue
        parts = [p.strip() for p in place.split(",") if p.strip()]
        names |= {_fold(place), *(_fold(p) for p in parts)}
        countries |= {c for p in parts if (c := country_of(p))} | region_countries(parts[-1])
    return names, countries


def page_tags(keywords: list[str], places: list[str | None]) -> tuple[list[str], str | None]:
    """(tags, place): every keyword that names one of `places` — wherever it stands, however spelled ('Oslo' for
    'Oslo, Norway'; 'United Kingdom' for 'UK'; 'Glasgow, United Kingdom'; 'United States' for 'Portland, Oregon')
    — is dropped, and the last one dropped is the place (one written as in `places` before one spelled otherwise);
    the rest are lower-cased and de-duplicated in page order ('Techno', 'techno' → 'techno').

    With no place known (no foundingLocation, band_location ""), a last keyword naming a country is the place:
    Bandcamp puts the place last, and no genre is spelled as a country (a state alone is left: 'Western' and
    'Balkan' are first-level subdivisions too)."""
    texts = [" ".join(k.split()) for k in keywords if k and k.strip()]
    known = [p for p in places if p and p.strip()]
    if not known and texts and country_of(texts[-1]):
        known = [texts[-1]]
    names, countries = place_names(known)
    # the most specific name wins as the place: the whole place or its city, then another part, then another spelling
    specific = {_fold(p) for place in known for p in (place, place.split(",")[0])}
    tags, found = [], {}
    for text in texts:
        folded = _fold(text)
        if names and _names_place(text, names, countries):
            found[2 if folded in specific else 1 if folded in names else 0] = text
        else:
            tags.append(text.lower())
    return list(dict.fromkeys(tags)), found[max(found)] if found else None


def _names_place(keyword: str, names: set[str], countries: set[str]) -> bool:
    """Whether a keyword is one of the place names, a country among them spelled another way, or 'city, country'
    with both parts such names."""
    if _fold(keyword) in names or (countries and country_of(keyword) in countries):
        return True
    parts = [p.strip() for p in keyword.split(",")]
    return len(parts) > 1 and all(p and _names_place(p, names, countries) for p in parts)


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
    ref = (
        album_ref(canonical, "album page @id") if isinstance(canonical, str) and ".bandcamp.com" in canonical else None
    )
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
    title = (
        text_field(ld, "name", "ld+json", required=False)
        or text_field(current, "title", "data-tralbum current", required=False)
        or page.title_h2
        or clean(og_title.split(", by ")[0])
    )
    by = _obj(ld, "byArtist", "ld+json")
    artist = (
        text_field(by, "name", "ld+json byArtist", required=False)
        or text_field(tralbum, "artist", "data-tralbum", required=False)
        or clean(og_title.rpartition(", by ")[2])
    )
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
        "art_id": None
        if image is None
        else (
            check_int(art[0], "ld+json art_id")
            if art
            else check_int(tralbum["art_id"], "data-tralbum art_id")
            if tralbum.get("art_id") is not None
            else _art_id_from_url(image)
        ),
        "release_date": parse_date(date, "album page datePublished"),
        "tags": tags,
        "location": home or place,
        "image_url": image,
    }
