"""Names and values of an import: a file name as text (bytes that are not UTF-8 written `\\xNN`), the form names
are matched in, and the album fields of a metadata row (tags, dates, the title from the file name)."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

from bcanalysis.importer.summary import ImportSummary, Problem

#: Metadata columns with a meaning; any other column is kept as an extra field of the album.
KNOWN_COLUMNS = ("file", "title", "artist", "tags", "date", "url", "location", "genre")
#: The URL an imported picture is stored under when its row gives none (and that no row may give another picture).
URN_PREFIX = "urn:sha256:"
_YEAR = re.compile(r"^\d{4}$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogates(text: str) -> bool:
    """True if `text` holds what no UTF-8 can: bytes a decoder escaped (U+DC80–U+DCFF) or a lone surrogate."""
    return _SURROGATE.search(text) is not None


def as_text(name: str, *, os_name: bool = False) -> str:
    """A name as text SQLite and a terminal can hold: bytes that are not UTF-8 (escaped by the OS, or by the table
    reader) written as `\\xNN`, the rest unchanged. ValueError for a lone surrogate no bytes stand behind."""
    if not has_surrogates(name):
        return name
    try:
        raw = os.fsencode(name) if os_name else name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        raise ValueError("is not valid Unicode text (a lone surrogate)") from exc
    return raw.decode("utf-8", "backslashreplace")


def match_key(relative: str, *, os_name: bool = False) -> str:
    """The form a relative path is matched in: '/' separators, NFC, no leading './', bytes that are not UTF-8
    written `\\xNN` (so a table that names a file by its bytes finds it)."""
    text = as_text(relative.replace("\\", "/"), os_name=os_name)
    text = unicodedata.normalize("NFC", text).strip()
    while text.startswith("./"):
        text = text[2:]
    return text


def text(value: Any) -> str | None:
    """A metadata value as stripped text, or None when empty."""
    if value is None:
        return None
    out = value if isinstance(value, str) else json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    out = out.strip()
    return out or None


def parse_tags(value: Any) -> list[str]:
    """Tags from 'a; b; c' (or a JSON list): stripped, lower-cased, de-duplicated, in the order given."""
    items = value if isinstance(value, list) else (text(value) or "").split(";")
    tags = [" ".join(str(t).split()).lower() for t in items if str(t).strip()]
    return list(dict.fromkeys(tags))


def parse_date(value: Any) -> str | None:
    """An ISO date ('2020-07-17'), a year ('1999' → '1999-01-01') or year-month as ISO text; ValueError if not."""
    out = text(value)
    if out is None:
        return None
    if _YEAR.match(out):
        return f"{out}-01-01"
    if m := _YEAR_MONTH.match(out):
        return date(int(m[1]), int(m[2]), 1).isoformat()
    return date.fromisoformat(out[:10]).isoformat()


def album_fields(row: dict[str, Any], file: str, summary: ImportSummary) -> dict[str, Any]:
    """The album fields of one metadata row: title defaults to the file name; the genre leads the tags (genre
    tables read tags); unknown columns go to `extra`. A value that cannot be used goes to `summary.bad_values`."""
    try:
        release = parse_date(row.get("date"))
    except ValueError:
        summary.bad_values.append(Problem(file, f"date {row.get('date')!r} is neither an ISO date nor a year"))
        release = None
    extra = {k: v for k, v in row.items() if k and k not in KNOWN_COLUMNS and v not in (None, "")}
    genre = text(row.get("genre"))
    return {
        "title": text(row.get("title")) or Path(file).stem,
        "artist": text(row.get("artist")) or "",
        "tags": parse_tags([genre, *parse_tags(row.get("tags"))] if genre else row.get("tags")),
        "release_date": release,
        "url": text(row.get("url")),
        "location": text(row.get("location")),
        "genre": genre,
        "extra": extra,
    }


def slug(name: str) -> str:
    """A URL-style name for an album from its file name: 'My Cover (2).JPG' → 'my-cover-2'."""
    words = re.findall(r"\w+", unicodedata.normalize("NFC", name).lower())
    return "-".join(words) or "untitled"
