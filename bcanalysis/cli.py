"""The `bcanalysis` command: one subcommand per pipeline step, each a thin layer over the package."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable, Sequence

from bcanalysis import __version__


class CommandError(Exception):
    """A user-facing failure: printed as `bcanalysis: error: …` with exit code 2, no traceback."""


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _nonnegative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


# --- extract --------------------------------------------------------------------------------------------------


def _add_extract(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "extract",
        help="colorgram palettes of image files or folders",
        description="Extract colorgram.py-identical palettes from images (files, or folders searched recursively).",
    )
    p.add_argument("paths", nargs="+", metavar="IMAGE_OR_DIR")
    p.add_argument("--colors", type=_nonnegative_int, default=40, help="colours per palette (default 40)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_const", const="json", dest="format", help="JSON output")
    fmt.add_argument("--csv", action="store_const", const="csv", dest="format", help="CSV output, one colour a row")
    p.add_argument("--workers", type=_positive_int, default=None, help="processes (default: all cores)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_extract, format="text")


def _run_extract(args: argparse.Namespace) -> int:
    from bcanalysis.palette import extract_many, find_images

    try:
        paths = find_images(args.paths)
    except FileNotFoundError as exc:
        raise CommandError(str(exc)) from exc
    if not paths:
        raise CommandError(f"no image files found in {' '.join(args.paths)}")
    results = extract_many(paths, args.colors, progress=not args.no_progress, workers=args.workers)
    out = sys.stdout
    if args.format == "json":
        json.dump([_extraction_json(r) for r in results], out, indent=1)
        out.write("\n")
    elif args.format == "csv":
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["source", "rank", "r", "g", "b", "hex", "proportion", "error"])
        for r in results:
            for rank, c in enumerate(r.colors or []):
                w.writerow([r.source, rank, *c.rgb, c.hex, repr(c.proportion), ""])
            if not r.ok:
                w.writerow([r.source, "", "", "", "", "", "", r.error])
    else:
        for r in results:
            if r.ok:
                out.write(f"{r.source}\t" + " ".join(f"#{c.hex}:{c.proportion:.1%}" for c in r.colors) + "\n")
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"bcanalysis: cannot read {r.source}: {r.error}", file=sys.stderr)
    return 1 if failed else 0


def _extraction_json(r) -> dict:
    colors = [
        {"rgb": list(c.rgb), "hex": c.hex, "proportion": c.proportion, "hsl": list(c.hsl)} for c in r.colors or []
    ]
    return {"source": r.source, "colors": colors, "error": r.error}


# --- the parser -----------------------------------------------------------------------------------------------

#: Each adds one subcommand; later steps of the pipeline append theirs here.
SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_extract]


# --- report ---------------------------------------------------------------------------------------------------


def _add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="run the notebooks with papermill and export HTML reports",
        description="Execute notebooks/NN_*.ipynb in order with papermill (injecting parameters), export each to "
        "HTML with nbconvert, keep the executed .ipynb beside it, and write OUT/index.html.",
    )
    p.add_argument("--source", choices=("demo", "bandcamp"), default="demo", help="data source (default demo)")
    p.add_argument(
        "-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
        help="inject a parameter; VALUE is a Python literal if it parses as one (-p bits 15 -p tags \"['rock']\")",
    )  # fmt: skip
    p.add_argument("--out", default="reports", help="output folder (default reports/)")
    p.add_argument("--only", action="append", metavar="PREFIX", help="run only notebooks named PREFIX… (repeatable)")
    p.add_argument(
        "--code", choices=("show", "folded", "none"), default="show",
        help="code cells in the HTML: shown with a hide button (default), folded until shown, or left out",
    )  # fmt: skip
    p.add_argument("--notebooks", default=None, help="folder of notebooks (default: the project's notebooks/)")
    p.set_defaults(run=_run_report)


def _run_report(args: argparse.Namespace) -> int:
    from bcanalysis.report import NOTEBOOKS_DIR, ReportError, parse_value, run_report

    overrides = {name: parse_value(value) for name, value in args.parameter}
    try:
        report = run_report(
            source=args.source, parameters=overrides, out=args.out, only=args.only, code=args.code,
            notebooks_dir=args.notebooks or NOTEBOOKS_DIR, log=lambda msg: print(msg, file=sys.stderr),
        )  # fmt: skip
    except ReportError as exc:
        raise CommandError(str(exc)) from exc
    print(f"reports written: {report.index}")
    return 0


SUBCOMMANDS.append(_add_report)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bcanalysis",
        description="Colour topics of Bandcamp album covers: scrape, palettes, quantise, LDA, reports.",
    )
    parser.add_argument("--version", action="version", version=f"bcanalysis {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


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
    except KeyboardInterrupt:
        print("bcanalysis: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
