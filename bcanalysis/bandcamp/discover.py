"""Discover results: each one checked into a `DiscoverItem` (everything the corpus keeps about an album without its
page), a whole answer into a `DiscoverPage`; an answer from which nothing parses is schema drift, never "no more
albums"."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bcanalysis.bandcamp.errors import BadField, BadItem, SchemaDrift
from bcanalysis.bandcamp.fields import (
    album_ref,
    int_field,
    kind_of,
    parse_date,
    shown,
    text_field,
    without_tracking,
)
from bcanalysis.facts import genre_name


@dataclass(frozen=True)
class DiscoverItem:
    """One discover result, checked: everything the corpus stores about an album without its page.

    Only `item_id` and `item_url` (the album's identity and where it lives) are indispensable; any other field that
    cannot be read is left empty and named in `problems`, so one bad field costs that field, not the album."""

    item_id: int
    item_type: str  # "a" album, "t" track
    url: str  # canonical, no query: https://<store>.bandcamp.com/album/<slug>, or on the store's own domain
    store: str  # the bandcamp.com subdomain, or the store's own domain
    album: str  # the slug
    title: str
    artist: str  # album_artist, else band_name
    band_name: str  # the store's name: the artist's, or the label's when the album is sold from the label's store
    label: str | None  # band_name when album_artist names someone else (the album is sold from a label's store)
    location: str | None
    genre_id: int | None
    release_date: str | None  # ISO date
    art_id: int | None
    item_url: str  # as listed, less the tracking query (?from=discover_page), for provenance
    band_id: int | None = None
    problems: tuple[str, ...] = ()  # fields that could not be read, each naming the field and why

    @property
    def genre(self) -> str | None:
        return genre_name(self.genre_id)

    @property
    def art_problem(self) -> str | None:
        """Why the art id could not be read, if that was the problem."""
        return next((p for p in self.problems if "primary_image" in p), None)

    def as_listing(self) -> dict[str, Any]:
        """The columns a listing row stores."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


#: Fields every usable discover result has (the scraper reads them; their absence on a whole page is schema drift).
REQUIRED_ITEM_FIELDS = ("item_id", "item_url", "title", "band_name")


def label_of(artist: str | None, band_name: str | None) -> str | None:
    """The label selling an album: its store's name (`band_name`) when `album_artist` names someone else."""
    if not artist or not band_name:
        return None
    return band_name if artist.casefold() != band_name.casefold() else None


class _Reader:
    """Reads optional fields of one result, collecting what cannot be read instead of failing the album."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def __call__(self, read: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return read(*args, **kwargs)
        except BadField as exc:
            self.problems.append(str(exc))
            return None


def _art_id(item: dict) -> int | None:
    image = item.get("primary_image")
    if image is None:
        return None
    if not isinstance(image, dict):
        raise BadField(f"discover result primary_image is {kind_of(image)}, not an object")
    return int_field(image, "image_id", "discover result primary_image", required=False)


def parse_discover_item(item: Any, *, local: bool = False) -> DiscoverItem:
    """Check one discover result and return what the corpus keeps; BadItem only when its identity (item_id) or
    where it lives (item_url) cannot be read. Any other unreadable field is left empty and named in `problems`."""
    if not isinstance(item, dict):
        raise BadItem(f"discover result is {kind_of(item)}, not an object")
    missing = tuple(f for f in REQUIRED_ITEM_FIELDS if item.get(f) is None)
    try:
        item_id = int_field(item, "item_id", "discover result")
    except BadField as exc:
        raise BadItem(str(exc), None, missing) from exc
    try:
        ref = album_ref(item.get("item_url"), "discover result item_url", local=local)
    except BadField as exc:
        raw_url = item.get("item_url")
        raise BadItem(str(exc), item_id, missing, raw_url[:500] if isinstance(raw_url, str) else None) from exc
    read = _Reader()
    item_type = item.get("item_type", ref.item_type)
    if item_type not in ("a", "t"):
        read.problems.append(
            f"discover result item_type {shown(item_type)} is neither 'a' nor 't' (read from the URL instead)"
        )
        item_type = ref.item_type
    band_name = read(text_field, item, "band_name", "discover result") or ""
    album_artist = read(text_field, item, "album_artist", "discover result", required=False)
    return DiscoverItem(
        item_id=item_id,
        item_type=item_type,
        url=ref.url,
        store=ref.store,
        album=ref.slug,
        title=read(text_field, item, "title", "discover result") or "",
        artist=album_artist or band_name,
        band_name=band_name,
        label=label_of(album_artist, band_name),
        location=read(text_field, item, "band_location", "discover result", required=False) or None,
        genre_id=read(int_field, item, "band_genre_id", "discover result", required=False),
        release_date=read(parse_date, item.get("release_date"), "discover result release_date"),
        art_id=read(_art_id, item),
        item_url=without_tracking(item["item_url"].strip())[:2000],
        band_id=read(int_field, item, "band_id", "discover result", required=False),
        problems=tuple(read.problems),
    )


@dataclass
class DiscoverPage:
    """One discover page, checked: usable items, rejected results, skipped tracks, the next cursor, the total."""

    items: list[DiscoverItem]
    cursor: str | None
    result_count: int | None
    rejected: list[BadItem] = field(default_factory=list)
    skipped_tracks: int = 0
    other_types: int = 0
    raw_count: int = 0


def read_discover_page(data: Any, tag: str, *, local: bool = False, include_tracks: bool = False) -> DiscoverPage:
    """Check a parsed discover answer: every result, the cursor, the total. SchemaDrift if results are there but
    none can be read (naming the fields that were missing), never a silent 'no more albums'."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        shape = type(data).__name__ if not isinstance(data, dict) else f"keys {sorted(map(str, data))[:8]}"
        raise SchemaDrift(
            f"the discover answer for tag {tag!r} has no 'results' list ({shape}): Bandcamp may have "
            "changed its API; bcanalysis needs an update"
        )
    cursor = data.get("cursor")
    if cursor is not None and not (isinstance(cursor, str) and 0 < len(cursor) <= 4096):
        raise SchemaDrift(f"the discover answer for tag {tag!r} has a cursor that is not a short string")
    total = data.get("result_count")
    page = DiscoverPage([], cursor, total if isinstance(total, int) and not isinstance(total, bool) else None)
    page.raw_count = len(data["results"])
    for raw in data["results"]:
        if isinstance(raw, dict) and raw.get("result_type", "a") != "a":
            page.other_types += 1
            continue
        if isinstance(raw, dict) and raw.get("item_type") == "t" and not include_tracks:
            page.skipped_tracks += 1
            continue
        try:
            page.items.append(parse_discover_item(raw, local=local))
        except BadItem as exc:
            page.rejected.append(exc)
    if page.raw_count and not page.items and len(page.rejected) == page.raw_count:
        missing = Counter(f for r in page.rejected for f in r.missing)
        named = ", ".join(f"{f} ({n} of {page.raw_count})" for f, n in missing.most_common()) or "none missing"
        raise SchemaDrift(
            f"the discover answer for tag {tag!r} has {page.raw_count} results but none could be read "
            f"(missing fields: {named}; first problem: {page.rejected[0]}). Bandcamp may have changed "
            "its API: bcanalysis needs an update. Nothing from this page was stored."
        )
    _check_shared_problem(page, tag)
    return page


def _check_shared_problem(page: DiscoverPage, tag: str) -> None:
    """SchemaDrift when one field is unreadable in every result of a page (of two or more): a renamed or retyped
    field, not one bad album."""
    if len(page.items) < 2 or page.rejected:
        return
    fields = [{_field_of(p) for p in item.problems} for item in page.items]
    shared = set.intersection(*fields) - {None}
    if shared:
        first = next(p for p in page.items[0].problems if _field_of(p) in shared)
        raise SchemaDrift(
            f"the discover answer for tag {tag!r} has {len(page.items)} results and the field "
            f"{sorted(shared)[0]!r} could not be read in any of them ({first}). Bandcamp may have "
            "changed its API: bcanalysis needs an update. Nothing from this page was stored."
        )


def _field_of(problem: str) -> str | None:
    """The field a problem message names ('discover result primary_image …' → 'primary_image')."""
    words = problem.split()
    return words[2] if len(words) > 2 and words[:2] == ["discover", "result"] else None
