"""`bcanalysis sweep`: colour topics for a grid of bit depths × topic counts over a corpus, the metrics table, the
recommended count, and figures."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from bcanalysis.cli import common
from bcanalysis.cli.common import CommandError, CommandFailed
from bcanalysis.defaults import RANDOM_STATE, SPACES, SWEEP_BITS, SWEEP_N


def add_sweep(sub: argparse._SubParsersAction) -> None:
    p = common.subcommand(
        sub,
        "sweep",
        _run_sweep,
        help="fit colour topics for a grid of bit depths × topic counts and recommend n",
        description="Fit LDA colour topics to every palette in a corpus for each --bits and n in --min-n..--max-n "
        "(two seeds each), write the metrics table, the recommendation, a topic grid per depth and the tag × "
        "topic table of the recommended models. Fitted models are cached in --cache-dir.",
    )
    common.add_db(p)
    p.add_argument("--out", required=True, help="folder for sweep.csv, recommend.csv and figures")
    common.add_number(
        p,
        "--bits",
        action="append",
        choices=range(3, 25, 3),
        metavar="BITS",
        help=f"colour depth (repeatable; default {', '.join(map(str, SWEEP_BITS))})",
    )
    common.add_number(p, "--min-n", default=min(SWEEP_N), help=f"fewest topics (default {min(SWEEP_N)})")
    common.add_number(p, "--max-n", default=max(SWEEP_N), help=f"most topics (default {max(SWEEP_N)})")
    p.add_argument("--space", choices=SPACES, default="rgb", help="colour space of the bins (default rgb)")
    p.add_argument("--weighting", default=None, help="count, proportion or tfidf (default: count)")
    p.add_argument("--engine", default=None, help="tomotopy or sklearn (default: tomotopy)")
    common.add_number(p, "--seed", default=RANDOM_STATE, help=f"random seed (default {RANDOM_STATE})")
    p.add_argument("--cache-dir", default=None, help="model cache (default: <out>/models)")
    common.add_workers(p)
    common.add_scheduler(p, "the fits")
    common.add_no_progress(p)


def _run_sweep(args: argparse.Namespace) -> int:
    """The sweep, every failure of the run a CommandFailed (exit 1, a message) and never a traceback."""
    try:
        return _sweep(args)
    except (BrokenPipeError, CommandError, CommandFailed, KeyboardInterrupt):
        raise  # the reader went away, bad arguments, failures already worded: main() ends each its way
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise CommandFailed(f"sweep failed: {exc.strerror or exc}{where}") from exc
    except Exception as exc:  # noqa: BLE001 - a message, never a traceback
        raise CommandFailed(f"sweep failed ({type(exc).__name__}: {exc})") from exc


@contextmanager
def _cache_warnings_as_lines() -> Iterator[None]:
    """Each cache entry the sweep could not use as one `bcanalysis: warning: …` line on stderr, as it happens."""
    import sys
    import warnings

    from bcanalysis.topics.selection import CacheWarning

    with warnings.catch_warnings():
        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001 - warnings' signature
            if issubclass(category, CacheWarning):
                print(f"bcanalysis: warning: {' '.join(str(message).split())}", file=sys.stderr)
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        warnings.simplefilter("always", CacheWarning)
        yield


def _sweep(args: argparse.Namespace) -> int:
    """Fit, then write the table, the recommendation and the figures of each recommended model."""
    from bcanalysis import analysis, plots, prepare, topics

    if args.min_n > args.max_n:
        raise CommandError(f"--min-n {args.min_n} is more than --max-n {args.max_n}")
    out = common.writable_folder(args.out, "--out")
    cache = common.writable_folder(args.cache_dir, "--cache-dir") if args.cache_dir else out / "models"
    with common.open_corpus(args.db, existing=True, readonly=True) as corpus:
        # Palettes as arrays, albums without palette lists: a million palettes load in seconds. A damaged corpus
        # raises CorpusError: main() ends it in a message, exit 1.
        palettes, albums = corpus.palette_arrays(), corpus.albums(palettes=False)
    if not len(palettes):
        raise CommandError(f"no album in {args.db} has a palette (run `bcanalysis palettes --db {args.db}` first)")
    kw = {k: v for k, v in (("weighting", args.weighting), ("engine", args.engine)) if v is not None}
    client = common.dask_client(args.scheduler, args.connect_timeout) if args.scheduler else None
    try:
        with _cache_warnings_as_lines():
            result = topics.sweep(
                palettes,
                bits=tuple(args.bits or SWEEP_BITS),
                n_topics=range(args.min_n, args.max_n + 1),
                random_state=args.seed,
                cache_dir=cache,
                n_jobs=args.workers,
                progress=not args.no_progress,
                executor=client,
                space=args.space,
                **kw,
            )
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
        plots.topic_grid(prepare.topic_grid(model)).savefig(out / f"topics-{row['bits']}bit.png", dpi=120)
        table = analysis.tag_topic_table(model, albums, min_albums=1, palettes=palettes)
        table.to_csv(out / f"tag-topics-{row['bits']}bit.csv", index=False)
        if len(table):
            plots.tag_topic_heatmap(table).savefig(out / f"tag-topics-{row['bits']}bit.png", dpi=120)
        print(row["reason"])
    print(f"wrote {out}/sweep.csv, recommend.csv and figures for {len(palettes)} palettes")
    return 0
