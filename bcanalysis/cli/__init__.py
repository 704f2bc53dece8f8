"""The `bcanalysis` command: one subcommand per pipeline step, each a thin layer over the package.

Modules by group: `corpus` (scrape, import), `palettes` (palettes, extract), `sweep`, `report`, `demo` (demo-server,
demo), and `common` (argument types, the corpus, Dask, and the errors every command ends with).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from bcanalysis import __version__
from bcanalysis.cli import common, corpus, demo, palettes, report, sweep
from bcanalysis.cli.common import CommandError, CommandFailed

#: Each adds one subcommand, in the order `--help` lists them: the pipeline's.
SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    corpus.add_scrape,
    corpus.add_import,
    palettes.add_palettes,
    palettes.add_extract,
    sweep.add_sweep,
    report.add_report,
    demo.add_demo_server,
    demo.add_demo,
]
#: Exit status when Bandcamp refuses the discover API (2 is bad arguments, 1 other failures).
EXIT_REFUSED = corpus.EXIT_REFUSED

__all__ = ["EXIT_REFUSED", "SUBCOMMANDS", "CommandError", "CommandFailed", "build_parser", "common", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = common.Parser(
        prog="bcanalysis",
        description="Colour topics of Bandcamp album covers: scrape, palettes, quantise, LDA, reports.",
    )
    parser.add_argument("--version", action="version", version=f"bcanalysis {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def _failure_message(exc: Exception) -> str | None:
    """What to tell the user about a failure of the run itself (exit 1): the corpus (full disk, damaged file) or
    the file system (a path that cannot be written); None for anything else."""
    store = sys.modules.get("bcanalysis.store")  # not imported means it cannot have raised
    if store is not None and isinstance(exc, store.CorpusError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or exc}: {exc.filename}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except CommandError as exc:
        print(f"bcanalysis: error: {exc}", file=sys.stderr)
        return 2
    except CommandFailed as exc:
        print(f"bcanalysis: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bcanalysis: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`bcanalysis extract … | head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # failures the user can act on end in a message; anything else is a bug: traceback
        message = _failure_message(exc)
        if message is None:
            raise
        print(f"bcanalysis: error: {message}", file=sys.stderr)
        return 1
