"""`import_images`: a folder of images (and a metadata table) into a corpus, one album per distinct picture.

The order of a run: remove the unfinished copies interrupted imports left; read the whole table (a bad file stops
the run before anything is stored, a bad row or value is reported); walk the folder; match rows to the images found;
hash every image; then store each new picture in its own transaction and bring known ones up to date. Two imports
into one corpus at once both finish, each picture stored once.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from bcanalysis.importer.fields import URN_PREFIX, album_fields, as_text, has_surrogates, match_key, slug, text
from bcanalysis.importer.files import (
    CoverWriteError,
    check_cover,
    content_hash,
    escapes,
    find_pictures,
    inside,
    real_names,
    store_cover,
)
from bcanalysis.importer.summary import ImportInputError, ImportStopped, ImportSummary, Problem
from bcanalysis.importer.table import read_metadata
from bcanalysis.palette import DEFAULT_MAX_PIXELS, check_max_pixels
from bcanalysis.palette.engine import file_kind
from bcanalysis.store import Corpus, Cover
from bcanalysis.store.unfinished import remove_unfinished

#: A metadata row: where it was read ('meta.csv line 3'), the name it gives, and its values.
Row = tuple[str, str, dict[str, Any]]


def import_images(
    corpus: Corpus,
    folder: str | os.PathLike,
    meta: str | os.PathLike | None = None,
    *,
    link: bool = False,
    follow_links: bool = False,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    progress: bool = True,
) -> ImportSummary:
    """Import every image under `folder` (recursively) into `corpus`, one album per distinct picture.

    Resumable and idempotent: a rerun adds only new pictures and updates the fields of albums whose metadata
    changed. Links out of the folder are followed only with `follow_links`. Bad images, folders and links not
    read, unreadable metadata rows, rows naming no image and images without a row are reported in the summary
    (all but the last also in `corpus.failures()`). ImportInputError if the folder or table is unusable (nothing
    stored); ImportStopped if the covers folder cannot take a cover (what was stored stays)."""
    from tqdm.auto import tqdm

    folder = Path(folder)
    if not folder.is_dir():
        raise ImportInputError(f"no folder of images at {folder}")
    try:
        os.scandir(folder).close()
    except OSError as exc:
        raise ImportInputError(f"cannot read the folder of images {folder}: {exc.strerror or exc}") from exc
    max_pixels = check_max_pixels(max_pixels)
    summary = ImportSummary()
    rows = _read_rows(meta, summary)
    corpus.covers_dir.mkdir(exist_ok=True)
    summary.parts_removed = remove_unfinished(corpus.covers_dir)
    found = find_pictures(
        folder, follow_links=follow_links, skipped=lambda name, why: summary.not_read.append(Problem(name, why))
    )
    summary.names_not_utf8 = [name for path, name in found if has_surrogates(os.fspath(path.relative_to(folder)))]
    by_name = _match_rows(rows, found, folder, follow_links, summary)
    known = corpus.imported_hashes()
    pictures = _distinct_pictures(found, by_name, summary)
    for digest, (path, name) in tqdm(pictures.items(), unit="image", desc="import", disable=not progress):
        row = by_name.get(name, ("", {}))[1]
        _import_one(corpus, path, name, digest, row, known, link, max_pixels, summary)
    summary.images_without_row = [name for _, name in pictures.values() if name not in by_name] if rows else []
    where = as_text(os.fspath(folder.resolve()), os_name=True)
    corpus.record_import_problems(where, [(p.file, p.reason) for p in summary.problems()])
    return summary


# --- metadata rows ----------------------------------------------------------------------------------------------


def _read_rows(meta: str | os.PathLike | None, summary: ImportSummary) -> list[Row]:
    """Every usable row of the table with the name it gives; rows and values it cannot use go to the summary."""
    if meta is None:
        return []
    table = as_text(os.fsdecode(Path(meta).name), os_name=True)

    def report(line: int, reason: str, row_skipped: bool) -> None:
        (summary.bad_rows if row_skipped else summary.bad_values).append(Problem(f"{table} line {line}", reason))

    rows = []
    for number, row in read_metadata(meta, report):
        where = f"{table} line {number}"
        name = text(row.get("file"))
        if name is None:
            summary.rows_without_file.append(Problem(where, "the 'file' column is empty"))
            continue
        rows.append((where, name, row))
    return rows


def _match_rows(
    rows: list[Row], found: list[tuple[Path, str]], folder: Path, follow_links: bool, summary: ImportSummary
) -> dict[str, tuple[str, dict]]:
    """{image name: (where, row)}: each row given to the image it names — by name, or through a link to the same
    file — under the walk's own rule for links; a row that names no image found is reported with why."""
    names = {name for _, name in found}
    by_name: dict[str, tuple[str, dict]] = {}
    later: list[Row] = []
    for where, name, row in rows:
        key = match_key(name)
        if key in names:
            if key in by_name:
                summary.bad_values.append(Problem(f"{where}: {key}", "listed again; the later row wins"))
            by_name[key] = (where, row)
        else:
            later.append((where, name, row))
    if not later:
        return by_name
    root, reals = os.path.realpath(folder), real_names(found)
    for where, name, row in later:
        key = match_key(name)
        label = f"{where}: {key}"
        if escapes(key):
            summary.rows_without_file.append(Problem(label, f"outside {folder}: a row names a file under the folder"))
            continue
        path = os.path.join(folder, name.replace("\\", "/").strip())
        try:
            mode, real = os.stat(path).st_mode, os.path.realpath(path)
        except FileNotFoundError:
            summary.rows_without_file.append(Problem(label, "no such image in the folder"))
            continue
        except (OSError, ValueError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            summary.rows_without_file.append(Problem(label, f"cannot be looked up ({why})"))
            continue
        if real in reals and reals[real] not in by_name:  # the same file as an image found under another name
            by_name[reals[real]] = (where, row)
        elif real in reals:
            summary.bad_values.append(
                Problem(label, f"the same file as {reals[real]}, which has a row of its own; not used")
            )
        elif not inside(real, root) and not follow_links:
            summary.rows_without_file.append(
                Problem(
                    label,
                    "leads out of the folder through a link: not followed "
                    "(--follow-links follows links out of the folder)",
                )
            )
        elif not stat.S_ISREG(mode):
            summary.rows_without_file.append(Problem(label, f"not an image file ({file_kind(mode)})"))
        else:
            summary.rows_without_file.append(Problem(label, "not an image file we import"))
    return by_name


# --- pictures ---------------------------------------------------------------------------------------------------


def _distinct_pictures(
    found: list[tuple[Path, str]], by_name: dict[str, tuple[str, dict]], summary: ImportSummary
) -> dict[str, tuple[Path, str]]:
    """{content hash: (path, name)}, one file per distinct picture: of byte-identical files the first with a
    metadata row (else the first by name) stands for the album; the others are reported as duplicates."""
    groups: dict[str, list[tuple[Path, str]]] = {}
    for path, name in found:
        try:
            groups.setdefault(content_hash(path), []).append((path, name))
        except OSError as exc:
            summary.failed.append(Problem(name, f"cannot read: {exc.strerror or exc}"))
    pictures = {}
    for digest, files in groups.items():
        chosen = next((f for f in files if f[1] in by_name), files[0])
        pictures[digest] = chosen
        summary.duplicates += [(name, chosen[1]) for _, name in files if name != chosen[1]]
    return pictures


def _import_one(
    corpus: Corpus,
    path: Path,
    name: str,
    digest: str,
    row: dict,
    known: dict[str, int],
    link: bool,
    max_pixels: int | None,
    summary: ImportSummary,
) -> None:
    """Check, store and record one picture (its outcome goes into `summary`); a known one only gets its fields."""
    fields = album_fields(row, name, summary)
    fields.update(content_hash=digest, source_file=name, album=slug(Path(name).stem))
    asked = fields["url"]
    if asked and asked.lower().startswith(URN_PREFIX) and asked != URN_PREFIX + digest:
        summary.bad_values.append(Problem(name, f"url {asked} is the content URN of another picture; not used"))
        fields["url"] = asked = None
    added = False
    if digest not in known:
        try:
            width, height = check_cover(path, max_pixels)
            stored = store_cover(path, digest, corpus.covers_dir, link)
        except CoverWriteError as exc:
            raise ImportStopped(
                f"cannot write the cover of {name} into {corpus.covers_dir}: {exc.strerror or exc}; make room and "
                f"rerun the same command: the {summary.added} pictures imported before it are kept"
            ) from exc
        except Exception as exc:  # noqa: BLE001 - PIL raises OSError, SyntaxError, ValueError … for bad files
            summary.failed.append(Problem(name, f"not a usable image: {type(exc).__name__}: {exc}"))
            return
        known[digest], added, url = corpus.add_imported(fields, Cover("ok", file=stored, width=width, height=height))
        summary.added += added
        summary.stored_meanwhile += not added
    if not added:  # known, or stored a moment ago by another import running beside this one
        changed, url = corpus.update_imported(known[digest], fields)
        summary.updated += changed
        summary.unchanged += not changed
    if asked and url != asked:
        summary.bad_values.append(Problem(name, f"url {asked} belongs to another album; not used"))
