"""The one reader of metadata tables (CSV, TSV, JSON lines): bounded, row by row, trusting nothing.

The file must be a regular file no bigger than `META_MAX_BYTES` — a device, a FIFO or a folder is refused before a
byte is read, so nothing waits for ever or reads without end. Inside it every row stands alone: a line longer than
`META_MAX_LINE` (read past, never held) or a row that does not parse costs that row; a value with a NUL, bytes that
are not UTF-8, more than `META_MAX_FIELD` characters or JSON nested deeper than `META_MAX_DEPTH` costs that value
(in the `file` column, the row: a `file` that is not UTF-8 names a file by its bytes). Each is reported with its
line number through `report(line, reason, row_skipped)`.
"""

from __future__ import annotations

import csv
import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from bcanalysis.defaults import META_MAX_BYTES, META_MAX_DEPTH, META_MAX_FIELD, META_MAX_LINE
from bcanalysis.importer.fields import has_surrogates
from bcanalysis.importer.summary import ImportInputError
from bcanalysis.palette.engine import file_kind

SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
#: report(line number, reason, row_skipped): what a row could not give.
Report = Callable[[int, str, bool], None]
_BOM = b"\xef\xbb\xbf"
_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")  # old Mac line ends: split after a CR not followed by LF


def read_metadata(path: str | os.PathLike, report: Report | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) of each usable row of a CSV/TSV or JSON-lines table; what a row cannot give goes to
    `report`. Raises ImportInputError when the file itself is unusable (not a regular file, too big, no 'file'
    column, not JSON lines, not one row readable)."""
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ImportInputError(f"metadata file {path} must end in .csv, .tsv, .jsonl or .ndjson, got {path.suffix!r}")
    problems: list[tuple[int, str]] = []

    def note(line: int, reason: str, skipped: bool) -> None:
        if skipped:
            problems.append((line, reason))
        if report is not None:
            report(line, reason, skipped)

    good = 0
    with _open_table(path) as handle:
        lines = _lines(handle, path)
        rows = (
            _csv_rows(lines, path, "\t" if kind == "tsv" else ",", note)
            if kind != "jsonl"
            else _json_rows(lines, path, note)
        )
        for number, row in rows:
            clean = _clean(row, number, note)
            if clean is not None:
                good += 1
                yield number, clean
    if not good and problems:
        line, reason = problems[0]
        raise ImportInputError(f"no row of the metadata file {path} can be read (line {line}: {reason})")


# --- the file and its lines ---------------------------------------------------------------------------------------


@contextmanager
def _open_table(path: Path) -> Iterator[BinaryIO]:
    """The table opened for reading, if it is a regular file within the size limit (checked on the open file, so
    a FIFO is never waited on and a link to /dev/zero never read)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ImportInputError(f"cannot read the metadata file {path}: {exc.strerror or exc}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ImportInputError(
                f"the metadata file {path} is {file_kind(info.st_mode)}, not a regular file: give the table itself"
            )
        if info.st_size > META_MAX_BYTES:
            raise ImportInputError(
                f"the metadata file {path} is {_size(info.st_size)}, over the limit of "
                f"{_size(META_MAX_BYTES)} for a table (bcanalysis.defaults.META_MAX_BYTES)"
            )
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as handle:
        yield handle


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


def _lines(handle: BinaryIO, path: Path) -> Iterator[tuple[int, str | None]]:
    """(line number, text with its line end) of each line; None for a line over META_MAX_LINE, which is read past
    in bounded pieces and never held. Bytes that are not UTF-8 arrive as surrogate escapes."""
    total, number = 0, 0
    while line := handle.readline(META_MAX_LINE + 1):
        total += len(line)
        if len(line) > META_MAX_LINE:  # no line end within the limit
            while line and not line.endswith(b"\n") and total <= META_MAX_BYTES:
                line = handle.readline(2**20)
                total += len(line)
            text = None
        else:
            if number == 0 and line.startswith(_BOM):
                line = line[len(_BOM) :]
            text = line.decode("utf-8", "surrogateescape")
        if total > META_MAX_BYTES:  # it grew while being read
            raise ImportInputError(
                f"the metadata file {path} grew past the limit of {_size(META_MAX_BYTES)} for a "
                "table while it was read (bcanalysis.defaults.META_MAX_BYTES)"
            )
        if text is not None and "\r" in text[:-2]:
            for piece in _LONE_CR.split(line):
                number += 1
                yield number, piece.decode("utf-8", "surrogateescape")
            continue
        number += 1
        yield number, text


def _too_long() -> str:
    return f"the line is longer than {_size(META_MAX_LINE)} (bcanalysis.defaults.META_MAX_LINE): row skipped"


# --- rows -----------------------------------------------------------------------------------------------------


class _Feed:
    """The lines a csv reader pulls, remembering where the record being read began and whether it pulled a line
    too long to read (given to csv as an empty line, so the numbering goes on)."""

    def __init__(self, lines: Iterator[tuple[int, str | None]]):
        self.lines, self.first, self.long = lines, 0, False

    def __iter__(self) -> Iterator[str]:
        for number, text in self.lines:
            self.first = self.first or number
            if text is None:
                self.long = True
            yield "\n" if text is None else text

    def start(self) -> None:
        self.first, self.long = 0, False


def _csv_rows(
    lines: Iterator[tuple[int, str | None]], path: Path, delimiter: str, note: Report
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, {column: value}) of each CSV record after the header; a record csv cannot read is reported."""
    feed = _Feed(lines)
    reader = csv.reader(feed, delimiter=delimiter)
    header = None
    while header is None:
        feed.start()
        try:
            record = _next_record(reader)
        except StopIteration:
            raise ImportInputError(f"metadata file {path} is empty: it needs a header with a 'file' column") from None
        except csv.Error as exc:
            raise ImportInputError(f"the header of the metadata file {path} is not CSV: {exc}") from exc
        if feed.long:
            raise ImportInputError(f"the header of the metadata file {path} is longer than {_size(META_MAX_LINE)}")
        if record:
            header = [_column(name.strip(), feed.first, note) for name in record]
    if "file" not in header:
        raise ImportInputError(f"metadata file {path} needs a 'file' column; its columns are {header}")
    while True:
        feed.start()
        try:
            record = _next_record(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            note(feed.first, f"not CSV ({exc}): row skipped", True)
            continue
        if feed.long:
            note(feed.first, _too_long(), True)
        elif sum(map(len, record)) > META_MAX_LINE:
            note(feed.first, f"the row is longer than {_size(META_MAX_LINE)}: row skipped", True)
        elif record:
            yield feed.first, {name: value for name, value in zip(header, record, strict=False) if name}


def _column(name: str, line: int, note: Report) -> str:
    """A header's column name, or '' (its values dropped, said once) when it is no name we can store."""
    why = _bad_text(name, "column name")
    if why is not None:
        note(line, f"a {why}: that column dropped", False)
        return ""
    return name


def _next_record(reader: Any) -> list[str]:
    """The next csv record, with csv's field limit at a row's (csv's own default, 128 KiB, would raise mid-table)."""
    before = csv.field_size_limit(META_MAX_LINE)
    try:
        return next(reader)
    finally:
        csv.field_size_limit(before)


def _json_rows(
    lines: Iterator[tuple[int, str | None]], path: Path, note: Report
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, object) of each JSON-lines row; a file whose first value is not an object is not JSON lines."""
    objects = 0
    for number, line in lines:
        if line is None:
            note(number, _too_long(), True)
            continue
        if not line.strip():
            continue
        try:
            row = json.loads(line, parse_int=_int)
        except RecursionError:
            note(number, "the JSON is nested too deeply to read: row skipped", True)
            continue
        except ValueError as exc:
            note(number, f"not JSON ({exc}): row skipped", True)
            continue
        if not isinstance(row, dict):
            if not objects:
                raise ImportInputError(
                    f"the metadata file {path} is not JSON lines: line {number} is a JSON {type(row).__name__}, not "
                    'an object (one object a line: {"file": "a.jpg", "title": "…"})'
                )
            note(number, f"a JSON {type(row).__name__}, not an object: row skipped", True)
            continue
        objects += 1
        yield number, row


def _int(digits: str) -> int | str:
    """A JSON integer, or its digits as text when Python refuses to read so many."""
    try:
        return int(digits)
    except ValueError:
        return digits


# --- values ---------------------------------------------------------------------------------------------------


def _clean(row: dict[Any, Any], number: int, note: Report) -> dict[str, Any] | None:
    """The row with every value it can keep; None (reported) if its `file` value is unusable."""
    clean: dict[str, Any] = {}
    for key, value in row.items():
        name = key.strip() if isinstance(key, str) else str(key)
        why = _bad_text(name, "column name")
        if why is not None:
            note(number, f"a {why}: that column dropped", False)
            continue
        why = _bad_value(value)
        if name == "file" and why is not None and not _only_undecoded(value):
            note(number, f"the 'file' value {why}: row skipped", True)
            return None
        if name != "file" and why is not None:
            note(number, f"{name}: the value {why}: dropped", False)
            continue
        clean[name] = value
    return clean


def _bad_text(value: str, what: str = "") -> str | None:
    """Why a text cannot be stored, or None."""
    label = f"{what} that " if what else ""
    if "\x00" in value:
        return f"{label}has a NUL character"
    if has_surrogates(value):
        return f"{label}is not UTF-8 text"
    if len(value) > META_MAX_FIELD:
        return f"{label}is longer than {META_MAX_FIELD:,} characters (bcanalysis.defaults.META_MAX_FIELD)"
    return None


def _only_undecoded(value: Any) -> bool:
    """True for a `file` value whose only fault is bytes that are not UTF-8: it names a file by those bytes."""
    if not isinstance(value, str) or "\x00" in value or len(value) > META_MAX_FIELD:
        return False
    return all(0xDC80 <= ord(c) <= 0xDCFF for c in re.findall("[\ud800-\udfff]", value))


def _bad_value(value: Any) -> str | None:
    """Why a value (text, number, or JSON list/object) cannot be kept, or None: walked without recursion, so no
    nesting is too deep to judge."""
    size, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > META_MAX_DEPTH:
            return f"is nested deeper than {META_MAX_DEPTH} levels (bcanalysis.defaults.META_MAX_DEPTH)"
        if isinstance(item, str):
            why = _bad_text(item)
            if why is not None:
                return why
            size += len(item)
        elif isinstance(item, dict):
            keys = [k for k in item if isinstance(k, str)]
            stack += [(k, depth) for k in keys] + [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list):
            stack += [(v, depth + 1) for v in item]
        else:
            size += 8
        if size > META_MAX_FIELD:
            return f"is longer than {META_MAX_FIELD:,} characters (bcanalysis.defaults.META_MAX_FIELD)"
    return None
