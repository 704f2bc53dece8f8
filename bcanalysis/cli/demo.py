"""`bcanalysis demo-server` (the synthetic catalogue served on 127.0.0.1 in Bandcamp's shapes) and `bcanalysis
demo` (its scrape-and-palettes job on its own)."""

from __future__ import annotations

import argparse

from bcanalysis.cli import common
from bcanalysis.cli.common import CommandError
from bcanalysis.defaults import ALBUMS_PER_TAG, DEMO_COVER_PX, RANDOM_STATE


def add_demo_server(sub: argparse._SubParsersAction) -> None:
    p = common.subcommand(
        sub,
        "demo-server",
        _run_demo_server,
        help="serve the synthetic demo catalogue on 127.0.0.1 in Bandcamp's shapes",
        description="Serve the deterministic demo catalogue (discover API, album pages, covers at any size code) "
        "on 127.0.0.1 until interrupted; scrape it with `bcanalysis scrape --base-url http://127.0.0.1:PORT`.",
    )
    common.add_number(p, "--port", default=8765, help="port (default 8765; 0 = any free port)")
    common.add_number(p, "--albums-per-tag", default=ALBUMS_PER_TAG, help=f"albums per tag (default {ALBUMS_PER_TAG})")
    common.add_number(p, "--seed", default=RANDOM_STATE, help=f"catalogue seed (default {RANDOM_STATE})")
    p.add_argument(
        "--faults",
        action="store_true",
        help="inject 429s, 503s, challenge pages for album pages, truncated JPEGs, missing art, a cover "
        "that 404s and a duplicate listing",
    )
    common.add_number(
        p,
        "--cover-px",
        default=None,
        help="cap cover edge length in pixels (default: Bandcamp's sizes, 1200 px for code 10)",
    )
    p.add_argument(
        "--challenge-pages",
        action="store_true",
        help="answer every album page with a 'Client Challenge' page, as Bandcamp often does",
    )
    common.add_number(
        p,
        "--latency",
        default=0.0,
        metavar="MS",
        help="simulated latency added to every answer, in milliseconds (default 0)",
    )
    p.add_argument(
        "--custom-domains",
        action="store_true",
        help="put one album in thirteen on its store's own domain, played by the name 'localhost' "
        "(Bandcamp serves such albums like any other; their pages are read from that domain only)",
    )
    p.add_argument("--log", default=None, help="append every request to this JSON-lines file")


def _run_demo_server(args: argparse.Namespace) -> int:
    from bcanalysis.demo.server import DemoServer

    try:
        server = DemoServer(
            args.albums_per_tag,
            args.seed,
            port=args.port,
            faults=args.faults,
            max_cover_px=args.cover_px,
            log_path=args.log,
            latency=args.latency / 1000,
            challenge_pages=args.challenge_pages,
            custom_host="localhost" if args.custom_domains else None,
        )
    except OSError as exc:
        raise CommandError(f"cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}") from exc
    print(f"serving {len(server.albums)} demo albums on {server.url}  (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.stop()
    return 0


def add_demo(sub: argparse._SubParsersAction) -> None:
    p = common.subcommand(
        sub,
        "demo",
        _run_demo,
        help="scrape and palettes offline: demo server → scrape → palettes → summary and figure",
        description="Start the demo server, scrape it into OUT/corpus.sqlite, extract palettes, print a summary, "
        "save OUT/palettes_by_tag.png and stop the server. Rerunning continues the same corpus.",
    )
    p.add_argument("--out", default="data/demo", help="output folder (default data/demo)")
    common.add_number(p, "--albums-per-tag", default=ALBUMS_PER_TAG, help=f"albums per tag (default {ALBUMS_PER_TAG})")
    common.add_number(p, "--seed", default=RANDOM_STATE, help=f"catalogue seed (default {RANDOM_STATE})")
    common.add_number(
        p,
        "--cover-px",
        default=DEMO_COVER_PX,
        help=f"cover edge length served for size code 10 (default {DEMO_COVER_PX}; Bandcamp's is 1200)",
    )
    common.add_workers(p, "palette processes")
    common.add_no_progress(p, "bars")


def _run_demo(args: argparse.Namespace) -> int:
    from bcanalysis.demo.job import run_demo
    from bcanalysis.store import CorpusError

    try:
        run_demo(
            args.out,
            albums_per_tag=args.albums_per_tag,
            random_state=args.seed,
            max_cover_px=args.cover_px,
            n_jobs=args.workers,
            progress=not args.no_progress,
        )
    except (CorpusError, OSError) as exc:
        raise CommandError(str(exc)) from exc
    return 0
