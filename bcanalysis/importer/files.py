"""The files of an import: finding the images under a folder (one rule for links), reading them safely, and
copying them into the corpus's covers folder so that an interrupted copy is never taken for a cover.

**Links.** A link is followed when it leads to a file or folder inside the imported folder; one that leads out of
it is not, and is reported, unless `follow_links` (then every link is followed, and a folder reached twice is read
once, so a link loop ends). A metadata row obeys the same rule: it only gives fields to an image the walk found.

**Unfinished copies.** A cover is written to `<name>.<pid>.<random>.part` under an exclusive lock held until it is
renamed into place; the lock dies with its process, however it dies. The next import (or scrape) removes the
unfinished copies nobody holds (killed runs, a full disk) and leaves those of a run still going
(`bcanalysis.store.unfinished`, shared with the scraper).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from bcanalysis.importer.fields import as_text, has_surrogates, match_key
from bcanalysis.palette import IMAGE_SUFFIXES, NotARegularFile, check_pixels
from bcanalysis.palette.engine import file_kind
from bcanalysis.store.unfinished import unfinished


class CoverWriteError(OSError):
    """A cover could not be written into the corpus's covers folder (a full disk, a read-only folder)."""


# --- finding images ---------------------------------------------------------------------------------------------


def inside(path: str, root: str) -> bool:
    """True if the real path `path` is `root` or under it (both real paths)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def find_pictures(
    folder: Path, *, follow_links: bool = False, skipped: Callable[[str, str], None] | None = None
) -> list[tuple[Path, str]]:
    """(path, name) of every image file under `folder`, by name (relative, as text: see `match_key`). What it
    cannot or may not read — a folder without permission, a link out of the folder, a FIFO named .jpg — goes to
    `skipped(name, why)`."""
    skip = skipped or (lambda name, why: None)
    root = os.path.realpath(folder)
    seen = {_identity(os.stat(folder))}
    stack, found = [(os.fspath(folder), "")], []
    while stack:
        path, prefix = stack.pop()
        try:
            with os.scandir(path) as it:
                entries = list(it)
        except OSError as exc:
            skip(
                match_key(prefix, os_name=True) or ".",
                f"cannot read the folder ({exc.strerror or exc}): its images were not imported",
            )
            continue
        for entry in entries:
            relative = prefix + entry.name
            image = os.path.splitext(entry.name)[1].lower() in IMAGE_SUFFIXES
            try:
                info = entry.stat()  # follows a link
            except OSError as exc:
                if image or entry.is_symlink():
                    skip(match_key(relative, os_name=True), f"cannot read ({exc.strerror or exc})")
                continue
            folder_entry = stat.S_ISDIR(info.st_mode)
            if not (image or folder_entry):
                continue
            if entry.is_symlink() and not follow_links:
                target = os.path.realpath(entry.path)
                if not inside(target, root):
                    skip(
                        match_key(relative, os_name=True),
                        f"a link to {as_text(target, os_name=True)}, out of the "
                        "folder: not followed (--follow-links follows links out of the folder)",
                    )
                    continue
            if folder_entry:
                if _identity(info) not in seen:  # a folder reached again through a link is read once
                    seen.add(_identity(info))
                    stack.append((entry.path, relative + "/"))
            elif stat.S_ISREG(info.st_mode):
                found.append((Path(entry.path), match_key(relative, os_name=True)))
            else:
                skip(match_key(relative, os_name=True), f"not a regular file ({file_kind(info.st_mode)})")
    return sorted(found, key=lambda item: item[1])


def _identity(info: os.stat_result) -> tuple[int, int]:
    return info.st_dev, info.st_ino


def real_names(pictures: list[tuple[Path, str]]) -> dict[str, str]:
    """{real path: name} of found images, so a row naming a picture through a link finds it."""
    return {os.path.realpath(path): name for path, name in pictures}


def escapes(name: str) -> bool:
    """True if a relative name leaves its folder by itself: absolute, or '..' past the top."""
    if name.startswith("/") or (name[:1].isalpha() and name[1:3] == ":/"):  # /abs, or C:/ from Windows
        return True
    depth = 0
    for part in name.split("/"):
        depth += -1 if part == ".." else 0 if part in ("", ".") else 1
        if depth < 0:
            return True
    return False


def is_storable(path: Path) -> bool:
    """True if a path can be stored as text in the corpus (its name is UTF-8)."""
    return not has_surrogates(os.fspath(path))


# --- reading images ---------------------------------------------------------------------------------------------


@contextmanager
def open_regular(path: Path) -> Iterator[BinaryIO]:
    """`path` opened for reading if it is a regular file (checked on the open file: a FIFO is never waited on)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(f"not a regular file ({file_kind(mode)})")
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as handle:
        yield handle


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes, hex: the album's identity, so one picture is one album whatever its name."""
    digest = hashlib.sha256()
    with open_regular(path) as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_cover(path: Path, max_pixels: int | None) -> tuple[int, int]:
    """(width, height) of an image that decodes fully (its first frame) within the pixel budget; raises if not."""
    with open_regular(path) as f, Image.open(f) as image:
        width, height = image.size
        check_pixels(width, height, max_pixels, "not decoded; raise the budget with --max-pixels")
        image.seek(0)
        image.load()
    return width, height


# --- storing covers ---------------------------------------------------------------------------------------------


def store_cover(source: Path, digest: str, covers_dir: Path, link: bool) -> Path:
    """The cover under its content-hash name in the corpus's covers folder: a copy, or a hard link with `link`
    (the original path itself when a hard link cannot be made, e.g. across file systems, and its name is UTF-8).
    CoverWriteError if the covers folder cannot take it; OSError if the source cannot be read."""
    target = covers_dir / f"h{digest[:32]}{source.suffix.lower()}"
    if target.exists():
        return target
    if link:
        try:
            os.link(source, target)
            return target
        except FileExistsError:  # another import linked it first
            return target
        except OSError:
            if is_storable(source.resolve()):
                return source.resolve()
    with (
        open_regular(source) as src,
        unfinished(target, on_error=lambda exc: CoverWriteError(exc.errno, exc.strerror, os.fspath(target))) as (
            part,
            out,
        ),
    ):
        while block := src.read(1 << 20):
            view = memoryview(block)
            try:
                while view:  # unbuffered: a full disk shows here, not later when the file is closed
                    view = view[out.write(view) :]
            except OSError as exc:
                raise CoverWriteError(exc.errno, exc.strerror, os.fspath(target)) from exc
        try:
            os.replace(part, target)  # atomic, and under the lock: nobody removes a finished copy
        except OSError as exc:
            raise CoverWriteError(exc.errno, exc.strerror, os.fspath(target)) from exc
    return target
