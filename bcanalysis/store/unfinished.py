"""Unfinished cover files in the covers folder, shared by every writer of covers (scrape, import).

A cover is written to `<name>.<pid>.<random>.part` under an exclusive lock held until it is renamed into place; the
lock dies with its process, however it dies (SIGKILL, a full disk, a power cut). `remove_unfinished`, run when a
scrape or an import starts, removes the unfinished files nobody holds and leaves those of a run still writing.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

try:  # POSIX; elsewhere an open file cannot be removed, which protects a live copy as well
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

PART = ".part"


@contextmanager
def unfinished(
    target: Path, on_error: Callable[[OSError], BaseException] | None = None
) -> Iterator[tuple[str, BinaryIO]]:
    """(path, unbuffered file) of a new unfinished copy of `target`, locked while it is written; removed if writing
    fails. The caller renames it onto `target` inside the block (under the lock, so no cleaner removes it first).
    A failure to create it is `on_error(exc)` when given (the caller's own error), else the OSError itself."""
    try:
        while True:
            part = os.path.join(target.parent, f"{target.name}.{os.getpid()}.{secrets.token_hex(4)}{PART}")
            try:
                fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
            except FileExistsError:
                continue
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # waits only if a cleaner has it, which then removes it
            if os.fstat(fd).st_nlink:
                break
            os.close(fd)  # a cleaner removed it before we held it: make another
    except OSError as exc:
        if on_error is None:
            raise
        raise on_error(exc) from exc
    try:
        with os.fdopen(fd, "wb", buffering=0) as out:
            yield part, out
    except BaseException:
        with suppress(OSError):
            os.unlink(part)
        raise


def remove_unfinished(folder: Path) -> int:
    """Remove the unfinished cover files (`….part`) in `folder` that no running scrape or import holds; how many
    were removed. A folder that is not there has none."""
    removed = 0
    try:
        candidates = [p for p in folder.iterdir() if p.name.endswith(PART)]
    except (FileNotFoundError, NotADirectoryError):
        return 0
    for path in candidates:
        if fcntl is None:  # pragma: no cover - Windows: a file open in a running writer cannot be removed
            with suppress(OSError):
                os.unlink(path)
                removed += 1
            continue
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if held: a writer is writing it now
            os.unlink(path)
            removed += 1
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed
