"""`bcanalysis extract` (palettes of image files or folders) and `bcanalysis palettes` (every cover of a corpus)."""

from __future__ import annotations

import argparse
import csv
import json
import sys

from bcanalysis.cli import common
from bcanalysis.cli.common import CommandError
from bcanalysis.defaults import N_COLORS


def add_extract(sub: argparse._SubParsersAction) -> None:
    p = common.subcommand(
        sub,
        "extract",
        _run_extract,
        help="colorgram palettes of image files or folders",
        description="Extract colorgram.py-identical palettes from images (files, or folders searched recursively).",
    )
    p.add_argument("paths", nargs="+", metavar="IMAGE_OR_DIR")
    common.add_number(p, "--colors", default=N_COLORS, help=f"colours per palette (default {N_COLORS})")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_const", const="json", dest="format", help="JSON output")
    fmt.add_argument("--csv", action="store_const", const="csv", dest="format", help="CSV output, one colour a row")
    common.add_workers(p)
    common.add_max_pixels(p)
    common.add_no_progress(p)
    p.set_defaults(format="text")


def _run_extract(args: argparse.Namespace) -> int:
    from bcanalysis.palette import extract_many, find_images

    def skipped(path, why: str) -> None:
        print(f"bcanalysis: skipped {path}: {why}", file=sys.stderr)

    try:
        paths = find_images(args.paths, skipped=skipped)
    except FileNotFoundError as exc:
        raise CommandError(str(exc)) from exc
    except OSError as exc:
        raise CommandError(f"cannot read {exc.filename or ' '.join(args.paths)}: {exc.strerror or exc}") from exc
    if not paths:
        raise CommandError(f"no image files found in {' '.join(args.paths)}")
    results = extract_many(
        paths, args.colors, progress=not args.no_progress, n_jobs=args.workers, max_pixels=args.max_pixels
    )
    try:
        _write_extractions(results, args.format, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        raise  # the reader went away: main() stops quietly
    except OSError as exc:
        print(f"bcanalysis: error: cannot write the palettes: {exc.strerror or exc}", file=sys.stderr)
        return 1
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"bcanalysis: cannot read {r.source}: {r.error}", file=sys.stderr)
    return 1 if failed else 0


def _write_extractions(results: list, fmt: str, out) -> None:
    """The palettes as JSON, CSV (one colour a row) or text (one image a line)."""
    if fmt == "json":
        json.dump([_extraction_json(r) for r in results], out, indent=1)
        out.write("\n")
    elif fmt == "csv":
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


def _extraction_json(r) -> dict:
    colors = [
        {"rgb": list(c.rgb), "hex": c.hex, "proportion": c.proportion, "hsl": list(c.hsl)} for c in r.colors or []
    ]
    return {"source": r.source, "colors": colors, "error": r.error}


def add_palettes(sub: argparse._SubParsersAction) -> None:
    p = common.subcommand(
        sub,
        "palettes",
        _run_palettes,
        help="extract 40-colour palettes for every cover in a corpus that has none",
        description="Extract colorgram palettes (40 colours) for every album with a good cover and no palette; "
        "resumable; covers that fail to decode (or are over --max-pixels) are marked failed, cover files missing "
        "on disk are skipped for the next scrape to fetch again. A worker process that dies loses nothing: the "
        "covers it held are extracted again one at a time.",
    )
    common.add_db(p)
    common.add_workers(p)
    common.add_max_pixels(p)
    p.add_argument(
        "--retry-failed",
        action="store_true",
        help="first give covers whose palette extraction failed before another try",
    )
    common.add_scheduler(p, "the extraction (covers are sent to the workers as bytes)")
    common.add_no_progress(p)


def _run_palettes(args: argparse.Namespace) -> int:
    import sqlite3

    from bcanalysis.palette import extract_palettes
    from bcanalysis.store import CorpusError

    with common.open_corpus(args.db, existing=True) as corpus:
        client = common.dask_client(args.scheduler, args.connect_timeout) if args.scheduler else None
        try:
            summary = extract_palettes(
                corpus,
                n_jobs=args.workers,
                executor=client,
                progress=not args.no_progress,
                max_pixels=args.max_pixels,
                retry_failed=args.retry_failed,
            )
        except (CorpusError, sqlite3.Error, OSError) as exc:
            print(
                f"bcanalysis: error: palettes stopped: {exc} (palettes stored so far are kept; rerun to continue)",
                file=sys.stderr,
            )
            return 1
        finally:
            if client is not None:
                client.close()
    print(summary.report())
    return 0
