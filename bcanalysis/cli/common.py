"""What every subcommand shares: argument types that name a bad value, the corpus opened or refused with a
message, a Dask client, and the two ways a command ends early — `CommandError` (bad arguments: exit 2) and
`CommandFailed` (the run itself failed: exit 1). `main` turns both into `bcanalysis: error: …`, never a traceback."""

from __future__ import annotations

import argparse
import decimal
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from bcanalysis.defaults import MAX_PIXELS


class CommandError(Exception):
    """A user-facing failure: printed as `bcanalysis: error: …` with exit code 2, no traceback."""


class CommandFailed(Exception):
    """A failure while running (not a bad argument): `bcanalysis: error: …`, exit status 1."""


def subcommand(
    sub: argparse._SubParsersAction,
    name: str,
    run: Any,
    *,
    help: str,  # noqa: A002 - argparse's word
    description: str,
) -> argparse.ArgumentParser:
    """Add the subcommand `name`, whose `run(args)` does the work; returns its parser, for its arguments."""
    p = sub.add_parser(name, help=help, description=description)
    p.set_defaults(run=run)
    return p


def add_db(p: argparse.ArgumentParser, help: str = "corpus file") -> None:  # noqa: A002
    """--db PATH: the corpus."""
    p.add_argument("--db", required=True, help=help)


def add_workers(p: argparse.ArgumentParser, what: str = "processes") -> None:
    """--workers N: processes (the API's n_jobs), every core by default."""
    add_number(p, "--workers", default=None, help=f"{what} (default: all cores)")


def add_no_progress(p: argparse.ArgumentParser, what: str = "bar") -> None:
    """--no-progress: quiet runs (scripts, logs)."""
    p.add_argument("--no-progress", action="store_true", help=f"no progress {what}")


class Parser(argparse.ArgumentParser):
    """argparse, with a bad argument reported in one line (`bcanalysis: error: argument --rate: …`), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"bcanalysis: error: {message} (see {self.prog} --help)\n")


_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,6})?")


@dataclass(frozen=True)
class Bounded:
    """The argparse type of a numeric flag: a whole number (`kind` int) or a finite one (float) from `low` to `high`
    inclusive, in plain ASCII digits; `suffixes` may scale it (50M). Anything else is refused with the range, so no
    command ever gets a number it cannot use (an interval that overflows, an id SQLite cannot store, a bad port)."""

    kind: type
    low: int | float
    high: int | float
    suffixes: tuple[tuple[str, int], ...] = ()

    def __call__(self, text: str) -> int | float:
        body, scale = text, 1
        for suffix, factor in self.suffixes:
            if text[-1:] == suffix:
                body, scale = text[:-1], factor
        pattern = _INTEGER if self.kind is int and not self.suffixes else _DECIMAL
        try:
            value = decimal.Decimal(body) if pattern.fullmatch(body) else None
            value = value * scale if value is not None and scale != 1 else value
        except decimal.DecimalException:  # too large to scale: out of range
            value = None
        low, high = decimal.Decimal(str(self.low)), decimal.Decimal(str(self.high))  # as typed: 0.0001, not the float
        if value is None or not low <= value <= high or (self.kind is int and value != value.to_integral()):
            raise argparse.ArgumentTypeError(f"must be {self.describe()}, got {text!r}")
        return self.kind(value)

    def describe(self) -> str:
        """'a whole number from 1 to 10000000', as error messages and the reference say it."""
        what = "a whole number" if self.kind is int else "a number"
        scaled = "".join(f", or 2.5{s} for {int(2.5 * f)}" for s, f in self.suffixes[:1])
        return f"{what} from {_plain(self.low)} to {_plain(self.high)}{scaled}"


def _plain(x: float) -> str:
    """A bound as typed on a command line: 10000000, 0.0001."""
    return str(x) if isinstance(x, int) else f"{x:g}"


def _politeness_bounds(field: str) -> Bounded:
    """The bounds of a flag that sets a `Politeness` field: that field's declared range, so the two cannot differ."""
    from bcanalysis.bandcamp.politeness import Politeness

    interval = Politeness.CONSTRAINTS[field]
    assert interval.closed == "both" and interval.low is not None and interval.high is not None, field
    return Bounded(interval.kind, interval.low, interval.high)


#: The scrape flags that set a field of its `Politeness` (`bcanalysis.bandcamp.Politeness`), by flag.
POLITENESS_FLAGS = {
    "--rate": "rate",
    "--cover-rate": "cover_rate",
    "--cover-connections": "cover_connections",
    "--max-refusals": "max_refusals",
    "--challenge-wait": "challenge_wait",
    "--backoff": "backoff",
}

#: Every numeric flag of every subcommand and the numbers it takes, in one place: enough for any real use, and
#: nothing the command cannot use (sleeps and intervals that overflow, ints past SQLite's, ports past 65535). A flag
#: whose range differs by subcommand has a key "COMMAND --flag" for that subcommand.
FLAG_BOUNDS: dict[str, Bounded] = {
    # scrape: the politeness flags (rates a second, waits in seconds) take their ranges from Politeness
    "--albums-per-tag": Bounded(int, 1, 10_000_000),
    **{flag: _politeness_bounds(field) for flag, field in POLITENESS_FLAGS.items()},
    "--size": Bounded(int, 0, 16),  # and one of Bandcamp's size codes (its choices)
    "--page-size": Bounded(int, 1, 1_000),
    # palettes, extract, import
    "--max-pixels": Bounded(int, 1, 10_000_000_000, suffixes=(("M", 1_000_000), ("m", 1_000_000))),
    "--workers": Bounded(int, 1, 1_024),
    "--connect-timeout": Bounded(float, 0.1, 3_600),
    "--colors": Bounded(int, 0, 1_000),
    # sweep
    "--bits": Bounded(int, 3, 24),  # and a multiple of 3
    "--min-n": Bounded(int, 1, 1_000),
    "--max-n": Bounded(int, 1, 1_000),
    "--seed": Bounded(int, 0, 2**32 - 1),  # what numpy and tomotopy take
    # demo-server, demo
    "--port": Bounded(int, 0, 65_535),
    "demo-server --albums-per-tag": Bounded(int, 1, 10_000),  # ten tags of 10,000: 100,000 albums in 10 s, 200 MB
    "demo --albums-per-tag": Bounded(int, 1, 10_000),
    "--cover-px": Bounded(int, 1, 10_000),
    "--latency": Bounded(float, 0, 60_000),  # milliseconds
}


def add_number(p: argparse.ArgumentParser, flag: str, **kw: Any) -> None:
    """A numeric flag, its type and range from `FLAG_BOUNDS` (this subcommand's own, if it has one; the range
    appended to its help, unless `choices` narrow it further)."""
    command = p.prog.rpartition(" ")[2]
    bounds = FLAG_BOUNDS.get(f"{command} {flag}") or FLAG_BOUNDS[flag]
    if kw.get("help") not in (None, argparse.SUPPRESS) and "choices" not in kw:
        kw["help"] += f" [{_plain(bounds.low)}–{_plain(bounds.high)}]"
    p.add_argument(flag, type=bounds, **kw)


def add_max_pixels(p: argparse.ArgumentParser) -> None:
    """--max-pixels N (or 50M): the pixel budget of the palette step."""
    add_number(
        p,
        "--max-pixels",
        default=MAX_PIXELS,
        metavar="N",
        help=f"refuse images with more pixels than this before decoding them (default "
        f"{MAX_PIXELS // 1_000_000}M, the scraper's limit too; a 1200 px cover is 1.44M)",
    )


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
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help=f"run {what} on a Dask cluster: the address of its scheduler, e.g. tcp://10.0.0.5:8786 "
        "(needs dask[distributed])",
    )
    add_number(
        p,
        "--connect-timeout",
        default=10.0,
        metavar="S",
        help="seconds to wait for the --scheduler to answer (default 10)",
    )


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
        raise CommandFailed(
            f"cannot reach the Dask scheduler at {address} {within} (it accepted the connection but did not answer)"
        )
    if isinstance(exc, (ValueError, TypeError)):
        raise CommandError(f"--scheduler {address}: {exc}") from exc
    if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: not ours to rename
        raise exc
    detail = " ".join(str(exc).split())[:200] or "no detail"
    when = f" {within}" if isinstance(exc, (OSError, TimeoutError)) else ""  # a timeout, not a wrong answer
    raise CommandFailed(f"cannot reach the Dask scheduler at {address}{when} ({type(exc).__name__}: {detail})") from exc
