"""The album table's contract: what the analysis reads from `Corpus.albums()`'s DataFrame, one rule each.

An album's genre tags (`tag_column`: the tags it was found under, then its page tags, never its place), its main
genre (`primary_tags`), its place (`places`: Bandcamp lists it among the tags; the corpus keeps it in `location`),
whether it has a palette (`has_palette`, `with_palette`) and its palette as an array (`album_palettes`). Every
table, trend, comparison, figure and notebook goes through these, so a corpus read one way is read that way
everywhere.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "album_palettes",
    "has_palette",
    "places",
    "primary_tags",
    "tag_column",
    "with_palette",
]


def has_palette(value: Any) -> bool:
    """Whether one `colorgram` cell holds a palette: THE rule (None, NaN and an empty list hold none)."""
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and len(value) > 0


def _as_list(value: Any) -> list:
    """A list cell as a list of str; anything else (None, NaN) as []."""
    return [str(v) for v in value] if isinstance(value, (list, tuple, set, np.ndarray)) else []


def _city(location: Any) -> str | None:
    """'Oslo, Norway' → 'Oslo'; a bare place keyword stays as it is; None or '' → None."""
    if not isinstance(location, str) or not location.strip():
        return None
    return location.split(",")[0].strip() or None


def places(albums: pd.DataFrame) -> pd.Series:
    """Each album's place, or None: the city part of its `location` ("Oslo, Norway" → "Oslo"), matched without
    regard to case and spelt as most albums spell it. A DataFrame without `location` knows no places (all None)."""
    if "location" not in albums:
        return pd.Series([None] * len(albums), index=albums.index, dtype=object)
    city = [_city(v) for v in albums["location"]]
    counts = Counter(c for c in city if c)
    spelling: dict[str, str] = {}
    for name, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0])):  # most albums' spelling first
        spelling.setdefault(name.casefold(), name)
    return pd.Series([spelling[c.casefold()] if c else None for c in city], index=albums.index, dtype=object)


def tag_column(albums: pd.DataFrame) -> pd.Series:
    """Each album's genre tags, as a list: THE rule every genre ↔ topic table, trend and comparison uses.

    The discover tags the album was found under (`found_under`, the genres the scrape asked for), then its page tags
    (`tags`) not among them, when there are any; never its place (`location`, also dropped from the tags of a corpus
    that still lists it there). Order is kept, so the first tag is the album's main genre.
    """
    if "found_under" not in albums and "tags" not in albums:
        raise ValueError("albums DataFrame needs a 'found_under' or 'tags' column to know each album's genres")
    found = albums["found_under"].map(_as_list) if "found_under" in albums else None
    page = albums["tags"].map(_as_list) if "tags" in albums else None
    if "location" in albums:
        where = albums["location"].map(
            lambda v: {v.casefold().strip(), (_city(v) or "").casefold()} if isinstance(v, str) else set()
        )
    else:
        where = pd.Series([set()] * len(albums), index=albums.index)
    out = []
    for i in range(len(albums)):
        tags = [*(found.iloc[i] if found is not None else []), *(page.iloc[i] if page is not None else [])]
        out.append([t for t in dict.fromkeys(tags) if t.casefold().strip() not in where.iloc[i]])
    return pd.Series(out, index=albums.index, dtype=object, name="genres")


def primary_tags(albums: pd.DataFrame) -> pd.Series:
    """Each album's main genre: the first of its `tag_column` tags (the first discover tag it was found under, else
    its first page tag; never a place), None if it has none."""
    return tag_column(albums).map(lambda t: t[0] if t else None)


def album_palettes(albums: pd.DataFrame) -> tuple[pd.Index, list[np.ndarray]]:
    """The index of albums that have a palette and their palettes as (r, g, b[, proportion]) arrays, aligned."""
    rows = albums.loc[with_palette(albums)]
    props = rows["proportions"] if "proportions" in rows else pd.Series(None, index=rows.index, dtype=object)
    palettes = []
    for colors, p in zip(rows["colorgram"], props, strict=True):
        rgb = np.asarray([tuple(c)[:3] for c in colors], dtype=np.float64)
        if has_palette(p) and len(p) == len(rgb):
            rgb = np.column_stack([rgb, np.asarray(p, dtype=np.float64)])
        palettes.append(rgb)
    return rows.index, palettes


def with_palette(albums: pd.DataFrame) -> np.ndarray:
    """A boolean mask over `albums`: which rows have a palette (`has_palette` on the `colorgram` column)."""
    if "colorgram" not in albums:
        raise ValueError("albums DataFrame needs a 'colorgram' column (list of (r, g, b) per album, or None)")
    return albums["colorgram"].map(has_palette).to_numpy(dtype=bool)
