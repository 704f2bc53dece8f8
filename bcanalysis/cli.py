"""The `bcanalysis` command: one subcommand per pipeline step, each a thin layer over the package."""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
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
    _add_max_pixels(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_extract, format="text")


def _pixel_budget(text: str) -> int:
    """--max-pixels: a positive number of pixels, plain (50000000) or in megapixels (50M, 2.5M)."""
    number, scale = (text[:-1], 1_000_000) if text[-1:] in ("M", "m") else (text, 1)
    try:
        value = float(number) * scale
    except ValueError:
        value = float("nan")
    if not (value >= 1 and value == int(value) and value < 2**62):
        raise argparse.ArgumentTypeError(f"must be a positive number of pixels, e.g. 50000000 or 50M; got {text!r}")
    return int(value)


def _add_max_pixels(p: argparse.ArgumentParser) -> None:
    from bcanalysis.palette import DEFAULT_MAX_PIXELS

    p.add_argument("--max-pixels", type=_pixel_budget, default=DEFAULT_MAX_PIXELS, metavar="N",
                   help=f"refuse images with more pixels than this before decoding them (default "
                   f"{DEFAULT_MAX_PIXELS // 1_000_000}M; a 1200 px cover is 1.44M)")


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
    results = extract_many(paths, args.colors, progress=not args.no_progress, workers=args.workers,
                           max_pixels=args.max_pixels)  # fmt: skip
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
    p.add_argument("--source", choices=("demo", "bandcamp", "corpus"), default="demo",
                   help="data source (default demo); corpus: a corpus you made, named with -p db PATH")
    p.add_argument(
        "-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
        help="inject a parameter (NAME a Python identifier); VALUE is a plain literal if it parses as one: number, "
        "string, True/False, None, list or dict (-p bits 15 -p tags \"['rock']\"), else taken as a string",
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
    from bcanalysis.report import NOTEBOOKS_DIR, NotebookFailed, ReportError, check_parameters, parse_value, run_report

    overrides = {name: parse_value(value) for name, value in args.parameter}
    try:
        check_parameters(overrides)  # bad names or values: refused before anything runs (exit 2)
        report = run_report(
            source=args.source, parameters=overrides, out=args.out, only=args.only, code=args.code,
            notebooks_dir=args.notebooks or NOTEBOOKS_DIR, log=lambda msg: print(msg, file=sys.stderr),
        )  # fmt: skip
    except NotebookFailed as exc:  # a notebook ran and failed: a failure (exit 1), not a bad argument
        print(f"bcanalysis: error: {exc}", file=sys.stderr)
        return 1
    except ReportError as exc:
        raise CommandError(str(exc)) from exc
    print(f"reports written: {report.index}")
    return 0


SUBCOMMANDS.append(_add_report)


# --- scrape, palettes, demo-server, demo (the corpus and its sources) --------------------------------------------


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = _number(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _nonnegative_float(text: str) -> float:
    value = _number(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _open_corpus(path: str, *, existing: bool = False, readonly: bool = False):
    """The corpus at `path` (which must already exist if `existing`; opened without writing if `readonly`), or a
    CommandError naming the path and what is wrong with it."""
    from bcanalysis.store import Corpus, CorpusError

    try:
        return Corpus(path, create=not existing, readonly=readonly)
    except CorpusError as exc:
        raise CommandError(str(exc)) from exc


def _add_scrape(sub: argparse._SubParsersAction) -> None:
    from bcanalysis.bandcamp import DEFAULT_BASE_URL, DEFAULT_IMAGE_BASE_URL, SIZE_CODES

    p = sub.add_parser(
        "scrape",
        help="scrape albums by tag from Bandcamp (or the demo server) into a corpus",
        description="Page the discover API for each tag and store every album from its discover result, with its "
        "cover from the image host (no album page is fetched unless --album-pages). Polite (--rate site requests "
        "and --cover-rate image requests a second) and resumable: rerun the same command after any interruption. "
        "Exit status 3 if Bandcamp refuses the discover API.",
    )
    p.add_argument("--db", required=True, help="corpus file (created if missing)")
    p.add_argument("--tag", action="append", required=True, help="normalised tag, e.g. hip-hop-rap (repeatable)")
    p.add_argument("--limit", type=_positive_int, required=True, help="albums per tag")
    p.add_argument("--base-url", default=DEFAULT_BASE_URL, help=f"the site (default {DEFAULT_BASE_URL})")
    p.add_argument("--image-base-url", default=None,
                   help=f"the image host (default {DEFAULT_IMAGE_BASE_URL}; with a local --base-url, that server)")
    p.add_argument("--rate", type=_positive_float, default=1.0, help="max site requests a second (default 1)")
    p.add_argument("--cover-rate", type=_positive_float, default=5.0,
                   help="max image-host requests a second (default 5)")
    p.add_argument("--cover-connections", type=_positive_int, default=4,
                   help="parallel connections to the image host (default 4)")
    p.add_argument("--size", type=int, choices=SIZE_CODES, default=10, metavar="CODE",
                   help="cover size code: 10 = 1200 px (default), 5 = 700, 2 = 350, 7 = 150, 0 = original")
    p.add_argument("--include-tracks", action="store_true", help="keep single tracks too (default: albums only)")
    p.add_argument("--album-pages", action="store_true",
                   help="also read each album page for its full tag list (often refused by Bandcamp)")
    p.add_argument("--max-refusals", type=_positive_int, default=5, metavar="N",
                   help="stop the album-page phase after N refused pages in a row (default 5)")
    p.add_argument("--retry-failed", action="store_true", help="try listings and pages that failed before again")
    p.add_argument("--challenge-wait", type=_nonnegative_float, default=30.0, metavar="S",
                   help="seconds before a refused album page is tried again (default 30)")
    p.add_argument("--backoff", type=_nonnegative_float, default=1.0, metavar="S",
                   help="base of the exponential backoff between retries (default 1 s)")
    p.add_argument("--page-size", type=_positive_int, default=60, help=argparse.SUPPRESS)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_scrape)


#: Exit status when Bandcamp refuses the discover API (2 is bad arguments, 1 other failures).
EXIT_REFUSED = 3


def _run_scrape(args: argparse.Namespace) -> int:
    from bcanalysis.bandcamp import BandcampError, Client, Refused, check_tag
    from bcanalysis.scrape import UnknownTag, scrape
    from bcanalysis.store import CorpusError

    try:
        tags = list(dict.fromkeys(check_tag(t) for t in args.tag))
        client = Client(args.base_url, image_base_url=args.image_base_url, rate=args.rate,
                        cover_rate=args.cover_rate, cover_connections=args.cover_connections, backoff=args.backoff)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    with _open_corpus(args.db) as corpus:
        try:
            summary = scrape(
                corpus, tags, args.limit, client=client, size=args.size, page_size=args.page_size,
                include_tracks=args.include_tracks, album_pages=args.album_pages, max_refusals=args.max_refusals,
                challenge_wait=args.challenge_wait, retry_failed=args.retry_failed, progress=not args.no_progress,
            )  # fmt: skip
        except (UnknownTag, CorpusError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        except Refused as exc:
            print(f"bcanalysis: error: Bandcamp refused: {exc}.\n  Everything stored so far is kept; run the same "
                  "command later to resume. bcanalysis does not impersonate a browser or work around challenges: "
                  "if this persists, the site is refusing automated clients from this address for now (see the "
                  "README, 'What to expect against the real site').", file=sys.stderr)  # fmt: skip
            return EXIT_REFUSED
        except BandcampError as exc:
            print(f"bcanalysis: scrape stopped: {exc}", file=sys.stderr)
            return 1
        finally:
            client.close()
    print(summary.report())
    if summary.page_stop:
        print(f"bcanalysis: album pages: {summary.page_stop}", file=sys.stderr)
    return 0


def _add_palettes(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "palettes",
        help="extract 40-colour palettes for every cover in a corpus that has none",
        description="Extract colorgram palettes (40 colours) for every album with a good cover and no palette; "
        "resumable; covers that fail to decode (or are over --max-pixels) are marked failed, cover files missing "
        "on disk are skipped for the next scrape to fetch again. A worker process that dies loses nothing: the "
        "covers it held are extracted again one at a time.",
    )
    p.add_argument("--db", required=True, help="corpus file")
    p.add_argument("--workers", type=_positive_int, default=None, help="processes (default: all cores)")
    _add_max_pixels(p)
    p.add_argument("--retry-failed", action="store_true",
                   help="first give covers whose palette extraction failed before another try")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run on a Dask cluster: the address of its scheduler, e.g. tcp://10.0.0.5:8786 "
                   "(needs dask[distributed]; covers are sent to the workers as bytes)")
    p.add_argument("--connect-timeout", type=_positive_float, default=10.0, metavar="S",
                   help="seconds to wait for the --scheduler to answer (default 10)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_palettes)


def _run_palettes(args: argparse.Namespace) -> int:
    import sqlite3

    from bcanalysis.palette import extract_palettes
    from bcanalysis.store import CorpusError

    with _open_corpus(args.db, existing=True) as corpus:
        client = _dask_client(args.scheduler, args.connect_timeout) if args.scheduler else None
        try:
            summary = extract_palettes(corpus, workers=args.workers, executor=client, progress=not args.no_progress,
                                       max_pixels=args.max_pixels, retry_failed=args.retry_failed)  # fmt: skip
        except (CorpusError, sqlite3.Error, OSError) as exc:
            print(f"bcanalysis: error: palettes stopped: {exc} (palettes stored so far are kept; rerun to continue)",
                  file=sys.stderr)  # fmt: skip
            return 1
        finally:
            if client is not None:
                client.close()
    print(summary.report())
    return 0


def _add_demo_server(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo-server",
        help="serve the synthetic demo catalogue on 127.0.0.1 in Bandcamp's shapes",
        description="Serve the deterministic demo catalogue (discover API, album pages, covers at any size code) "
        "on 127.0.0.1 until interrupted; scrape it with `bcanalysis scrape --base-url http://127.0.0.1:PORT`.",
    )
    p.add_argument("--port", type=_nonnegative_int, default=8765, help="port (default 8765; 0 = any free port)")
    p.add_argument("--albums-per-tag", type=_positive_int, default=30, help="albums per tag (default 30)")
    p.add_argument("--seed", type=int, default=0, help="catalogue seed (default 0)")
    p.add_argument("--faults", action="store_true",
                   help="inject 429s, 503s, challenge pages for album pages, truncated JPEGs, missing art, a cover "
                   "that 404s and a duplicate listing")
    p.add_argument("--cover-px", type=_positive_int, default=None,
                   help="cap cover edge length in pixels (default: Bandcamp's sizes, 1200 px for code 10)")
    p.add_argument("--challenge-pages", action="store_true",
                   help="answer every album page with a 'Client Challenge' page, as Bandcamp often does")
    p.add_argument("--latency", type=_nonnegative_float, default=0.0, metavar="MS",
                   help="simulated latency added to every answer, in milliseconds (default 0)")
    p.add_argument("--log", default=None, help="append every request to this JSON-lines file")
    p.set_defaults(run=_run_demo_server)


def _run_demo_server(args: argparse.Namespace) -> int:
    from bcanalysis.demo.server import DemoServer

    try:
        server = DemoServer(args.albums_per_tag, args.seed, port=args.port, faults=args.faults,
                            max_cover_px=args.cover_px, log_path=args.log, latency=args.latency / 1000,
                            challenge_pages=args.challenge_pages)
    except OSError as exc:
        raise CommandError(f"cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}") from exc
    print(f"serving {len(server.albums)} demo albums on {server.url}  (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.stop()
    return 0


def _add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="scrape and palettes offline: demo server → scrape → palettes → summary and figure",
        description="Start the demo server, scrape it into OUT/corpus.sqlite, extract palettes, print a summary, "
        "save OUT/palettes_by_tag.png and stop the server. Rerunning continues the same corpus.",
    )
    p.add_argument("--out", default="data/demo", help="output folder (default data/demo)")
    p.add_argument("--albums-per-tag", type=_positive_int, default=30, help="albums per tag (default 30)")
    p.add_argument("--seed", type=int, default=0, help="catalogue seed (default 0)")
    p.add_argument("--cover-px", type=_positive_int, default=600,
                   help="cover edge length served for size code 10 (default 600; Bandcamp's is 1200)")
    p.add_argument("--workers", type=_positive_int, default=None, help="palette processes (default: all cores)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(run=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from bcanalysis.demo.job import run_demo
    from bcanalysis.store import CorpusError

    try:
        run_demo(args.out, albums_per_tag=args.albums_per_tag, seed=args.seed, max_cover_px=args.cover_px,
                 workers=args.workers, progress=not args.no_progress)
    except (CorpusError, OSError) as exc:
        raise CommandError(str(exc)) from exc
    return 0


SUBCOMMANDS += [_add_scrape, _add_palettes, _add_demo_server, _add_demo]


# --- import (your own covers) ----------------------------------------------------------------------------------


def _add_import(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import a folder of cover images (and a metadata table) as a corpus",
        description="Make every image under IMAGES_DIR (recursively: JPEG, PNG, WebP, GIF first frame, TIFF, …) an "
        "album of the corpus, one album per distinct picture. --meta names a CSV/TSV or JSON-lines table with a "
        "`file` column (relative to IMAGES_DIR) and any of title, artist, tags (';'-separated), date, url, "
        "location, genre; other columns are kept as extra fields. Rerunning adds only new pictures and updates "
        "changed metadata.",
    )
    p.add_argument("images", metavar="IMAGES_DIR", help="folder of cover images")
    p.add_argument("--db", required=True, help="corpus file (created if missing)")
    p.add_argument("--meta", default=None, metavar="FILE", help="metadata table: .csv, .tsv, .jsonl or .ndjson")
    p.add_argument("--link", action="store_true",
                   help="hard-link covers into the corpus (or refer to the originals) instead of copying them")
    _add_max_pixels(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_import)


def _run_import(args: argparse.Namespace) -> int:
    from bcanalysis.importer import ImportInputError, import_images

    with _open_corpus(args.db) as corpus:
        try:
            summary = import_images(corpus, args.images, args.meta, link=args.link, max_pixels=args.max_pixels,
                                    progress=not args.no_progress)
        except ImportInputError as exc:
            raise CommandError(str(exc)) from exc
    print(summary.report())
    print(f"next: bcanalysis palettes --db {args.db}")
    return 0


SUBCOMMANDS.append(_add_import)


# --- sweep (colour topics over a corpus) ---------------------------------------------------------------------


def _add_sweep(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="fit colour topics for a grid of bit depths × topic counts and recommend n",
        description="Fit LDA colour topics to every palette in a corpus for each --bits and n in --min-n..--max-n "
        "(two seeds each), write the metrics table, the recommendation, a topic grid per depth and the tag × "
        "topic table of the recommended models. Fitted models are cached in --cache-dir.",
    )
    p.add_argument("--db", required=True, help="corpus file")
    p.add_argument("--out", required=True, help="folder for sweep.csv, recommend.csv and figures")
    p.add_argument("--bits", type=int, action="append", help="colour depth (repeatable; default 9, 12 and 15)")
    p.add_argument("--min-n", type=_positive_int, default=1, help="fewest topics (default 1)")
    p.add_argument("--max-n", type=_positive_int, default=19, help="most topics (default 19)")
    p.add_argument("--weighting", default=None, help="count, proportion or tfidf (default: count)")
    p.add_argument("--engine", default=None, help="tomotopy or sklearn (default: tomotopy)")
    p.add_argument("--seed", type=_nonnegative_int, default=0, help="random seed, >= 0 (default 0)")
    p.add_argument("--cache-dir", default=None, help="model cache (default: <out>/models)")
    p.add_argument("--workers", type=_positive_int, default=None, help="processes (default: all cores)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the fits on a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (needs dask.distributed)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_sweep)


def _writable_folder(path, flag: str):
    """`path` as a folder we can write in (created if missing), or a CommandError naming the flag."""
    import tempfile
    from pathlib import Path

    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise CommandError(f"{flag} {path}: cannot write there ({exc.strerror or exc})") from exc
    return folder


#: How long `sweep --scheduler` waits for the scheduler to answer.
SCHEDULER_TIMEOUT = "10s"


def _dask_client(address: str, timeout: float | str = SCHEDULER_TIMEOUT):
    """A dask.distributed Client connected to `address`: a CommandError (exit 2) for an address that is not one,
    a _Failure (exit 1) for a scheduler that does not answer within `timeout`."""
    try:
        import distributed
    except ImportError as exc:
        raise CommandError("--scheduler needs dask.distributed: pip install 'bcanalysis[dask]'") from exc
    try:
        return distributed.Client(address, timeout=timeout)
    except ValueError as exc:
        raise CommandError(f"--scheduler {address}: {exc}") from exc
    except (OSError, TimeoutError) as exc:
        raise _Failure(f"cannot reach the Dask scheduler at {address} ({type(exc).__name__}: {exc})") from exc


class _Failure(Exception):
    """A failure while running (not a bad argument): `bcanalysis: error: …`, exit status 1."""


def _run_sweep(args: argparse.Namespace) -> int:
    try:
        return _sweep(args)
    except _Failure as exc:
        print(f"bcanalysis: error: {exc}", file=sys.stderr)
    except BrokenPipeError:  # the reader went away: main stops quietly
        raise
    except OSError as exc:
        print(f"bcanalysis: error: sweep failed: {exc.strerror or exc}"
              f"{f' ({exc.filename})' if exc.filename else ''}", file=sys.stderr)
    except (CommandError, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - the brief: a message, never a traceback
        print(f"bcanalysis: error: sweep failed ({type(exc).__name__}: {exc})", file=sys.stderr)
    return 1


def _sweep(args: argparse.Namespace) -> int:

    from bcanalysis import plots, topics

    if args.min_n > args.max_n:
        raise CommandError(f"--min-n {args.min_n} is more than --max-n {args.max_n}")
    out = _writable_folder(args.out, "--out")
    cache = _writable_folder(args.cache_dir, "--cache-dir") if args.cache_dir else out / "models"
    with _open_corpus(args.db, existing=True, readonly=True) as corpus:
        albums = corpus.albums()  # a damaged corpus raises CorpusError: main() ends it in a message, exit 1
    _, palettes = topics.album_palettes(albums)
    if not palettes:
        raise CommandError(f"no album in {args.db} has a palette (run `bcanalysis palettes --db {args.db}` first)")
    kw = {k: v for k, v in (("weighting", args.weighting), ("engine", args.engine)) if v is not None}
    client = _dask_client(args.scheduler) if args.scheduler else None
    try:
        result = topics.sweep(palettes, bits=tuple(args.bits or (9, 12, 15)), n_topics=range(args.min_n,
                              args.max_n + 1), random_state=args.seed, cache_dir=cache, n_jobs=args.workers,
                              progress=not args.no_progress, executor=client, **kw)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        if client is not None:
            client.close()
    result.table.to_csv(out / "sweep.csv", index=False)
    rec = result.recommend()
    rec.to_csv(out / "recommend.csv", index=False)
    plots.sweep_curves(result).savefig(out / "sweep.png", dpi=120)
    for _, row in rec.iterrows():
        model = result.model(row["bits"], row["n_topics"])
        plots.topic_grid(model).savefig(out / f"topics-{row['bits']}bit.png", dpi=120)
        table = topics.tag_topic_table(model, albums, min_albums=1)
        table.to_csv(out / f"tag-topics-{row['bits']}bit.csv", index=False)
        if len(table):
            plots.tag_topic_heatmap(table).savefig(out / f"tag-topics-{row['bits']}bit.png", dpi=120)
        print(row["reason"])
    print(f"wrote {out}/sweep.csv, recommend.csv and figures for {len(palettes)} palettes")
    return 0


SUBCOMMANDS.append(_add_sweep)


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
    except _Failure as exc:
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
