"""Your own covers: import a folder of images, with an optional metadata table, as a corpus.

Every image under the folder (JPEG, PNG, WebP, GIF's first frame, TIFF, …) becomes one album, keyed by the SHA-256
of its bytes, so the same picture twice is one album and a rerun adds only what is new. A metadata table (CSV or
JSON lines, one row per image, a `file` column relative to the folder) gives titles, artists, tags, dates, places,
genres and any fields of your own. Nothing about the images or the table is trusted: a bad image or a bad row is
reported and recorded with its reason, never fatal.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from PIL import Image

from bcanalysis.palette import DEFAULT_MAX_PIXELS, ImageTooLarge, check_max_pixels, find_images
from bcanalysis.store import Corpus, Cover

#: Metadata columns with a meaning; any other column is kept as an extra field of the album.
KNOWN_COLUMNS = ("file", "title", "artist", "tags", "date", "url", "location", "genre")
META_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
_YEAR = re.compile(r"^\d{4}$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ImportInputError(ValueError):
    """The import cannot start: the folder or the metadata file is unusable (the message says why)."""


@dataclass
class Problem:
    """One thing the import could not use: the file (or metadata row) and why."""

    file: str
    reason: str


@dataclass
class ImportSummary:
    """What an import run did: albums added / updated / unchanged, duplicates, and every problem with its reason."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (file, the file it duplicates)
    failed: list[Problem] = field(default_factory=list)  # images that are not usable covers
    rows_without_file: list[Problem] = field(default_factory=list)  # metadata rows naming no usable image
    images_without_row: list[str] = field(default_factory=list)
    bad_values: list[Problem] = field(default_factory=list)  # a field ignored (e.g. an unreadable date)

    def report(self, limit: int = 10) -> str:
        """A few human lines for the end of a run; long lists are cut to `limit` examples."""
        lines = [f"albums: {self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
                 f"{len(self.failed)} images failed, {len(self.duplicates)} duplicates"]

        def section(title: str, items: list[str]) -> None:
            if items:
                lines.append(f"{title} ({len(items)}):")
                lines.extend(f"  {item}" for item in items[:limit])
                if len(items) > limit:
                    lines.append(f"  … and {len(items) - limit} more")

        section("failed images", [f"{p.file}: {p.reason}" for p in self.failed])
        section("duplicates (one album each)", [f"{a} is the same picture as {b}" for a, b in self.duplicates])
        section("metadata rows without an image", [f"{p.file}: {p.reason}" for p in self.rows_without_file])
        section("images without a metadata row (title from the file name)", self.images_without_row)
        section("values ignored", [f"{p.file}: {p.reason}" for p in self.bad_values])
        return "\n".join(lines)


# --- metadata ---------------------------------------------------------------------------------------------------


def _key(relative: str) -> str:
    """The form a relative path is matched in: '/' separators, NFC, no leading './'."""
    text = unicodedata.normalize("NFC", relative.replace("\\", "/")).strip()
    while text.startswith("./"):
        text = text[2:]
    return text


def read_metadata(path: str | os.PathLike) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) of a CSV/TSV or JSON-lines metadata file; raises ImportInputError naming what is wrong."""
    path = Path(path)
    kind = META_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ImportInputError(f"metadata file {path} must end in .csv, .tsv, .jsonl or .ndjson, got {path.suffix!r}")
    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ImportInputError(f"cannot read the metadata file {path}: {exc.strerror or exc}") from exc
    with handle:
        if kind in ("csv", "tsv"):
            reader = csv.DictReader(handle, delimiter="\t" if kind == "tsv" else ",")
            if not reader.fieldnames or "file" not in [f.strip() for f in reader.fieldnames]:
                raise ImportInputError(f"metadata file {path} needs a 'file' column; its columns are "
                                   f"{reader.fieldnames or 'none'}")
            for row in reader:
                yield reader.line_num, {(k or "").strip(): v for k, v in row.items() if k is not None}
        else:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    raise ImportInputError(f"{path} line {number} is not JSON: {exc}") from exc
                if not isinstance(row, dict):
                    raise ImportInputError(f"{path} line {number} is a JSON {type(row).__name__}, not an object")
                yield number, row


def _text(value: Any) -> str | None:
    """A metadata value as stripped text, or None when empty."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    text = text.strip()
    return text or None


def parse_tags(value: Any) -> list[str]:
    """Tags from 'a; b; c' (or a JSON list): stripped, lower-cased, de-duplicated, in the order given."""
    items = value if isinstance(value, list) else (_text(value) or "").split(";")
    tags = [" ".join(str(t).split()).lower() for t in items if str(t).strip()]
    return list(dict.fromkeys(tags))


def parse_date(value: Any) -> str | None:
    """An ISO date ('2020-07-17'), a year ('1999' → '1999-01-01') or year-month as ISO text; ValueError if not."""
    text = _text(value)
    if text is None:
        return None
    if _YEAR.match(text):
        return f"{text}-01-01"
    if m := _YEAR_MONTH.match(text):
        return date(int(m[1]), int(m[2]), 1).isoformat()
    return date.fromisoformat(text[:10]).isoformat()


def album_fields(row: dict[str, Any], file: str, summary: ImportSummary) -> dict[str, Any]:
    """The album fields of one metadata row: title defaults to the file name; the genre leads the tags (genre
    tables read tags); unknown columns go to `extra`."""
    try:
        release = parse_date(row.get("date"))
    except ValueError:
        summary.bad_values.append(Problem(file, f"date {row.get('date')!r} is neither an ISO date nor a year"))
        release = None
    extra = {k: v for k, v in row.items() if k and k not in KNOWN_COLUMNS and v not in (None, "")}
    genre = _text(row.get("genre"))
    return {
        "title": _text(row.get("title")) or Path(file).stem,
        "artist": _text(row.get("artist")) or "",
        "tags": parse_tags([genre, *parse_tags(row.get("tags"))] if genre else row.get("tags")),
        "release_date": release,
        "url": _text(row.get("url")),
        "location": _text(row.get("location")),
        "genre": genre,
        "extra": extra,
    }


def _metadata_by_file(
    meta: str | os.PathLike | None, folder: Path, summary: ImportSummary
) -> dict[str, tuple[str, dict]]:
    """Metadata rows by the normalised relative path they name, each with where it was read ('meta.csv line 3')."""
    rows: dict[str, tuple[str, dict]] = {}
    if meta is None:
        return rows
    root = folder.resolve()
    for number, row in read_metadata(meta):
        name = _text(row.get("file"))
        where = f"{Path(meta).name} line {number}"
        if name is None:
            summary.rows_without_file.append(Problem(where, "the 'file' column is empty"))
            continue
        key = _key(name)
        target = (folder / key).resolve()
        if not target.is_relative_to(root):
            summary.rows_without_file.append(Problem(f"{where}: {name}", f"outside {folder}"))
            continue
        if key in rows:
            summary.bad_values.append(Problem(f"{where}: {name}", "listed again; the later row wins"))
        rows[key] = (where, row)
    return rows


# --- images -----------------------------------------------------------------------------------------------------


def slug(text: str) -> str:
    """A URL-style name for an album from its file name: 'My Cover (2).JPG' → 'my-cover-2'."""
    words = re.findall(r"\w+", unicodedata.normalize("NFC", text).lower())
    return "-".join(words) or "untitled"


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes, hex: the album's identity, so one picture is one album whatever its name."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_cover(path: Path, max_pixels: int | None) -> tuple[int, int]:
    """(width, height) of an image that decodes fully (its first frame) within the pixel budget; raises if not."""
    with Image.open(path) as image:
        width, height = image.size
        if max_pixels is not None and width * height > max_pixels:
            raise ImageTooLarge(f"{width}×{height} = {width * height / 1e6:.0f} Mpx is over the pixel budget "
                             f"of {max_pixels / 1e6:g} Mpx (raise it with --max-pixels)")
        image.seek(0)
        image.load()
    return width, height


def _store_cover(source: Path, digest: str, covers_dir: Path, link: bool) -> Path:
    """The cover under its content-hash name in the corpus's covers folder: a copy, or a hard link with `link`
    (the original path itself when a hard link cannot be made, e.g. across file systems)."""
    target = covers_dir / f"h{digest[:32]}{source.suffix.lower()}"
    if target.exists():
        return target
    if link:
        try:
            os.link(source, target)
            return target
        except OSError:
            return source.resolve()
    tmp = target.with_name(f"{target.name}.{os.getpid()}.part")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)  # atomic: a killed import leaves no half-copied cover under the final name
    return target


def import_images(
    corpus: Corpus,
    folder: str | os.PathLike,
    meta: str | os.PathLike | None = None,
    *,
    link: bool = False,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    progress: bool = True,
) -> ImportSummary:
    """Import every image under `folder` (recursively) into `corpus`, one album per distinct picture.

    Resumable and idempotent: a rerun adds only new pictures and updates the fields of albums whose metadata
    changed. Bad images, metadata rows naming no image and images without a row are reported in the summary (bad
    images and unmatched rows are also recorded in `corpus.failures()`)."""
    from tqdm.auto import tqdm

    folder = Path(folder)
    if not folder.is_dir():
        raise ImportInputError(f"no folder of images at {folder}")
    max_pixels = check_max_pixels(max_pixels)
    summary = ImportSummary()
    rows = _metadata_by_file(meta, folder, summary)
    images = find_images([folder])  # image suffixes only, regular files only
    corpus.covers_dir.mkdir(exist_ok=True)
    known = corpus.imported_hashes()
    pictures = _distinct_pictures(folder, images, rows, summary)
    for digest, (path, relative) in tqdm(pictures.items(), unit="image", desc="import", disable=not progress):
        row = rows.get(relative, ("", {}))[1]
        _import_one(corpus, path, relative, digest, row, known, link, max_pixels, summary)
    found = {relative for _, relative in pictures.values()} | {r for r, _ in summary.duplicates}
    for key, (where, _) in rows.items():
        if key not in found:
            reason = "no such image in the folder" if not (folder / key).exists() else "not an image file we import"
            summary.rows_without_file.append(Problem(f"{where}: {key}", reason))
    summary.images_without_row = [r for _, r in pictures.values() if r not in rows] if rows else []
    problems = summary.failed + summary.rows_without_file
    corpus.record_import_problems(str(folder.resolve()), [(p.file, p.reason) for p in problems])
    return summary


def _distinct_pictures(
    folder: Path, images: list[Path], rows: dict[str, tuple[str, dict]], summary: ImportSummary
) -> dict[str, tuple[Path, str]]:
    """{content hash: (path, relative name)}, one file per distinct picture: of byte-identical files the first
    with a metadata row (else the first by name) stands for the album; the others are reported as duplicates."""
    groups: dict[str, list[tuple[Path, str]]] = {}
    for path in images:
        relative = _key(path.relative_to(folder).as_posix())
        try:
            groups.setdefault(content_hash(path), []).append((path, relative))
        except OSError as exc:
            summary.failed.append(Problem(relative, f"cannot read: {exc.strerror or exc}"))
    pictures = {}
    for digest, files in groups.items():
        chosen = next((f for f in files if f[1] in rows), files[0])
        pictures[digest] = chosen
        summary.duplicates += [(relative, chosen[1]) for _, relative in files if relative != chosen[1]]
    return pictures


def _import_one(
    corpus: Corpus, path: Path, relative: str, digest: str, row: dict, known: dict[str, int],
    link: bool, max_pixels: int | None, summary: ImportSummary,
) -> None:
    """Check, store and record one picture (its outcome goes into `summary`); a known one only gets its fields."""
    fields = album_fields(row, relative, summary)
    fields.update(content_hash=digest, source_file=relative, album=slug(Path(relative).stem))
    owner = corpus.album_id_for(url=fields["url"]) if fields["url"] else None
    if owner is not None and owner != known.get(digest):
        summary.bad_values.append(Problem(relative, f"url {fields['url']} belongs to another album; not used"))
        fields["url"] = None
    if digest in known:
        changed = corpus.update_imported(known[digest], fields)
        summary.updated += changed
        summary.unchanged += not changed
        return
    try:
        width, height = check_cover(path, max_pixels)
    except Exception as exc:  # noqa: BLE001 - PIL raises OSError, SyntaxError, ValueError … for bad files
        summary.failed.append(Problem(relative, f"not a usable image: {type(exc).__name__}: {exc}"))
        return
    stored = _store_cover(path, digest, corpus.covers_dir, link)
    corpus.add_imported(fields, Cover("ok", file=stored, width=width, height=height))
    summary.added += 1
