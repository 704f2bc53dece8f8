"""Filling a corpus: `bcanalysis scrape` (albums by tag from Bandcamp, or a server in its shapes) and `bcanalysis
import` (a folder of your own covers)."""

from __future__ import annotations

import argparse
import sys

from bcanalysis.cli import common
from bcanalysis.cli.common import CommandError, CommandFailed
from bcanalysis.defaults import COVER_SIZE


def add_scrape(sub: argparse._SubParsersAction) -> None:
    from bcanalysis.bandcamp import DEFAULT_BASE_URL, DEFAULT_IMAGE_BASE_URL, POLITENESS, SIZE_CODES

    p = common.subcommand(
        sub,
        "scrape",
        _run_scrape,
        help="scrape albums by tag from Bandcamp (or the demo server) into a corpus",
        description="Page the discover API for each tag and store every album from its discover result, with its "
        "cover from the image host (no album page is fetched unless --album-pages). Polite (--rate site requests "
        "and --cover-rate image requests a second, the flags of its bcanalysis.bandcamp.Politeness) and resumable: "
        "rerun the same command after any interruption. Exit status 3 if Bandcamp refuses the discover API.",
    )
    common.add_db(p, "corpus file (created if missing)")
    p.add_argument("--tag", action="append", required=True, help="normalised tag, e.g. hip-hop-rap (repeatable)")
    common.add_number(p, "--albums-per-tag", required=True, help="albums to scrape per tag (fewer if a tag has fewer)")
    p.add_argument("--base-url", default=DEFAULT_BASE_URL, help=f"the site (default {DEFAULT_BASE_URL})")
    p.add_argument(
        "--image-base-url",
        default=None,
        help=f"the image host (default {DEFAULT_IMAGE_BASE_URL}; with a local --base-url, that server)",
    )
    common.add_number(
        p, "--rate", default=POLITENESS.rate, help=f"max site requests a second (default {POLITENESS.rate:g})"
    )
    common.add_number(
        p,
        "--cover-rate",
        default=POLITENESS.cover_rate,
        help=f"max image-host requests a second (default {POLITENESS.cover_rate:g})",
    )
    common.add_number(
        p,
        "--cover-connections",
        default=POLITENESS.cover_connections,
        help=f"parallel connections to the image host (default {POLITENESS.cover_connections})",
    )
    common.add_number(
        p,
        "--size",
        choices=SIZE_CODES,
        default=COVER_SIZE,
        metavar="CODE",
        help="cover size code: 10 = 1200 px (default), 5 = 700, 2 = 350, 7 = 150, 0 = original",
    )
    p.add_argument("--include-tracks", action="store_true", help="keep single tracks too (default: albums only)")
    p.add_argument(
        "--album-pages",
        action="store_true",
        help="also read each album page for its full tag list (often refused by Bandcamp)",
    )
    common.add_number(
        p,
        "--max-refusals",
        default=POLITENESS.max_refusals,
        metavar="N",
        help=f"stop the album-page phase after N refused pages in a row (default {POLITENESS.max_refusals})",
    )
    p.add_argument("--retry-failed", action="store_true", help="try listings and pages that failed before again")
    common.add_number(
        p,
        "--challenge-wait",
        default=POLITENESS.challenge_wait,
        metavar="S",
        help=f"seconds before a refused album page is tried again (default {POLITENESS.challenge_wait:g})",
    )
    common.add_number(
        p,
        "--backoff",
        default=POLITENESS.backoff,
        metavar="S",
        help=f"base of the exponential backoff between retries (default {POLITENESS.backoff:g} s)",
    )
    common.add_number(p, "--page-size", default=60, help=argparse.SUPPRESS)
    common.add_no_progress(p)


#: Exit status when Bandcamp refuses the discover API (2 is bad arguments, 1 other failures).
EXIT_REFUSED = 3


def _run_scrape(args: argparse.Namespace) -> int:
    from bcanalysis.bandcamp import BandcampError, Client, Politeness, Refused, check_tag
    from bcanalysis.scrape import UnknownTag, scrape
    from bcanalysis.store import CorpusError

    try:
        tags = list(dict.fromkeys(check_tag(t) for t in args.tag))
        politeness = Politeness(
            rate=args.rate,
            cover_rate=args.cover_rate,
            cover_connections=args.cover_connections,
            max_refusals=args.max_refusals,
            challenge_wait=args.challenge_wait,
            backoff=args.backoff,
        )
        client = Client(args.base_url, image_base_url=args.image_base_url, politeness=politeness)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    with common.open_corpus(args.db) as corpus:
        try:
            summary = scrape(
                corpus,
                tags,
                args.albums_per_tag,
                client=client,
                size=args.size,
                page_size=args.page_size,
                include_tracks=args.include_tracks,
                album_pages=args.album_pages,
                retry_failed=args.retry_failed,
                progress=not args.no_progress,
            )
        except (UnknownTag, CorpusError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        except Refused as exc:
            print(
                f"bcanalysis: error: Bandcamp refused: {exc}.\n  Everything stored so far is kept; run the same "
                "command later to resume. bcanalysis does not impersonate a browser or work around challenges: "
                "if this persists, the site is refusing automated clients from this address for now (see the "
                "README, 'Against the real site').",
                file=sys.stderr,
            )
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


def add_import(sub: argparse._SubParsersAction) -> None:
    p = common.subcommand(
        sub,
        "import",
        _run_import,
        help="import a folder of cover images (and a metadata table) as a corpus",
        description="Make every image under IMAGES_DIR (recursively: JPEG, PNG, WebP, GIF first frame, TIFF, …) an "
        "album of the corpus, one album per distinct picture. --meta names a CSV/TSV or JSON-lines table with a "
        "`file` column (relative to IMAGES_DIR) and any of title, artist, tags (';'-separated), date, url, "
        "location, genre; other columns are kept as extra fields. Rerunning adds only new pictures and updates "
        "changed metadata. Folders, links and rows that cannot be used are reported and skipped; exit status 2 if "
        "IMAGES_DIR or the table is unusable (nothing stored), 1 if the corpus or its covers folder cannot be "
        "written (what was stored stays).",
    )
    p.add_argument("images", metavar="IMAGES_DIR", help="folder of cover images")
    common.add_db(p, "corpus file (created if missing)")
    p.add_argument("--meta", default=None, metavar="FILE", help="metadata table: .csv, .tsv, .jsonl or .ndjson")
    p.add_argument(
        "--link",
        action="store_true",
        help="hard-link covers into the corpus (or refer to the originals) instead of copying them",
    )
    p.add_argument(
        "--follow-links",
        action="store_true",
        help="follow symbolic links that lead out of IMAGES_DIR too (default: only links inside it; "
        "those out of it are reported)",
    )
    common.add_max_pixels(p)
    common.add_no_progress(p)


def _run_import(args: argparse.Namespace) -> int:
    from bcanalysis.importer import ImportInputError, ImportStopped, import_images

    with common.open_corpus(args.db) as corpus:
        try:
            summary = import_images(
                corpus,
                args.images,
                args.meta,
                link=args.link,
                follow_links=args.follow_links,
                max_pixels=args.max_pixels,
                progress=not args.no_progress,
            )
        except ImportInputError as exc:
            raise CommandError(str(exc)) from exc
        except ImportStopped as exc:
            raise CommandFailed(str(exc)) from exc
    print(summary.report())
    print(f"next: bcanalysis palettes --db {args.db}")
    return 0
