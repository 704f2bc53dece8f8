"""What every subcommand shares: argument types that name a bad value, the corpus opened or refused with a
message, a Dask client, and the two ways a command ends early — `CommandError` (bad arguments: exit 2) and
`CommandFailed` (the run itself failed: exit 1). `main` turns both into `bcanalysis: error: …`, never a traceback."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from bcanalysis.defaults import MAX_PIXELS


class CommandError(Exception):
    """A user-facing failure: printed as `bcanalysis: error: …` with exit code 2, no traceback."""


class CommandFailed(Exception):
    """A failure while running (not a bad argument): `bcanalysis: error: …`, exit status 1."""


def subcommand(sub: argparse._SubParsersAction, name: str, run: Any, *, help: str,  # noqa: A002 - argparse's word
               description: str) -> argparse.ArgumentParser:
    """Add the subcommand `name`, whose `run(args)` does the work; returns its parser, for its arguments."""
    p = sub.add_parser(name, help=help, description=description)
    p.set_defaults(run=run)
    return p


def add_db(p: argparse.ArgumentParser, help: str = "corpus file") -> None:  # noqa: A002
    """--db PATH: the corpus."""
    p.add_argument("--db", required=True, help=help)


def add_workers(p: argparse.ArgumentParser, what: str = "processes") -> None:
    """--workers N: processes (the API's n_jobs), every core by default."""
    p.add_argument("--workers", type=positive_int, default=None, help=f"{what} (default: all cores)")


def add_no_progress(p: argparse.ArgumentParser, what: str = "bar") -> None:
    """--no-progress: quiet runs (scripts, logs)."""
    p.add_argument("--no-progress", action="store_true", help=f"no progress {what}")


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def nonnegative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def positive_float(text: str) -> float:
    value = number(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def nonnegative_float(text: str) -> float:
    value = number(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def pixel_budget(text: str) -> int:
    """--max-pixels: a positive number of pixels, plain (50000000) or in megapixels (50M, 2.5M)."""
    number, scale = (text[:-1], 1_000_000) if text[-1:] in ("M", "m") else (text, 1)
    try:
        value = float(number) * scale
    except ValueError:
        value = float("nan")
    if not (value >= 1 and value == int(value) and value < 2**62):
        raise argparse.ArgumentTypeError(f"must be a positive number of pixels, e.g. 50000000 or 50M; got {text!r}")
    return int(value)


def add_max_pixels(p: argparse.ArgumentParser) -> None:
    """--max-pixels N (or 50M): the pixel budget of the palette step."""
    p.add_argument("--max-pixels", type=pixel_budget, default=MAX_PIXELS, metavar="N",
                   help=f"refuse images with more pixels than this before decoding them (default "
                   f"{MAX_PIXELS // 1_000_000}M; a 1200 px cover is 1.44M)")


def open_corpus(path: str, *, existing: bool = False, readonly: bool = False) -> Any:
    """The corpus at `path` (which must already exist if `existing`; opened without writing if `readonly`), or a
    CommandError naming the path and what is wrong with it. What upgrading an older corpus left out is one line on
    stderr."""
    import sys
    import warnings

    from bcanalysis.store import Corpus, CorpusError, UpgradeWarning

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UpgradeWarning)
            corpus = Corpus(path, create=not existing, readonly=readonly)
    except CorpusError as exc:
        raise CommandError(str(exc)) from exc
    for warning in caught:
        if issubclass(warning.category, UpgradeWarning):
            print(f"bcanalysis: warning: {warning.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return corpus


def writable_folder(path: str, flag: str) -> Path:
    """`path` as a folder we can write in (created if missing), or a CommandError naming the flag."""
    import tempfile

    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise CommandError(f"{flag} {path}: cannot write there ({exc.strerror or exc})") from exc
    return folder


def add_scheduler(p: argparse.ArgumentParser, what: str) -> None:
    """--scheduler ADDRESS and --connect-timeout S: run `what` on a running Dask cluster."""
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help=f"run {what} on a Dask cluster: the address of its scheduler, e.g. tcp://10.0.0.5:8786 "
                   "(needs dask[distributed])")
    p.add_argument("--connect-timeout", type=positive_float, default=10.0, metavar="S",
                   help="seconds to wait for the --scheduler to answer (default 10)")


def dask_client(address: str, timeout: float) -> Any:
    """A dask.distributed Client connected to `address`: a malformed address is a CommandError (exit 2); a scheduler
    that does not answer within `timeout` seconds — refused, silent after the TCP accept, or not speaking Dask (an
    HTTP server behind ws://) — a CommandFailed (exit 1). The whole attempt (connect, handshake, identity) runs in a
    daemon thread under one deadline, because distributed bounds the connect but not the handshake read."""
    import threading

    try:
        import distributed
    except ImportError as exc:
        raise CommandError(f"--scheduler needs dask.distributed: pip install 'bcanalysis[dask]' ({exc})") from exc
    outcome: dict[str, Any] = {}
    lock = threading.Lock()

    def connect() -> None:
        try:
            client = distributed.Client(address, timeout=f"{timeout}s")
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, which names it
            with lock:
                outcome["error"] = exc
            return
        with lock:
            late = outcome.get("gave_up", False)
            if not late:
                outcome["client"] = client
        if late:  # the caller stopped waiting: this client is nobody's
            client.close()

    thread = threading.Thread(target=connect, name="bcanalysis-dask-connect", daemon=True)
    thread.start()
    thread.join(timeout + 1.0)  # distributed's own timeout first, so its message wins when it has one
    with lock:  # decide once: a client that arrives after this is closed by its thread
        outcome.setdefault("gave_up", "client" not in outcome and "error" not in outcome)
        client, exc = outcome.get("client"), outcome.get("error")
    if client is not None:
        return client
    within = f"within {timeout:g} s"
    if exc is None:
        raise CommandFailed(f"cannot reach the Dask scheduler at {address} {within} (it accepted the connection "
                            "but did not answer)")
    if isinstance(exc, (ValueError, TypeError)):
        raise CommandError(f"--scheduler {address}: {exc}") from exc
    if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: not ours to rename
        raise exc
    detail = " ".join(str(exc).split())[:200] or "no detail"
    when = f" {within}" if isinstance(exc, (OSError, TimeoutError)) else ""  # a timeout, not a wrong answer
    raise CommandFailed(f"cannot reach the Dask scheduler at {address}{when} ({type(exc).__name__}: {detail})"
                        ) from exc
