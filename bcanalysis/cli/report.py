"""`bcanalysis report`: the notebooks run with papermill and exported as HTML reports."""

from __future__ import annotations

import argparse
import sys

from bcanalysis.cli import common
from bcanalysis.cli.common import CommandError


def add_report(sub: argparse._SubParsersAction) -> None:
    from bcanalysis.sources import SOURCES

    p = common.subcommand(
        sub,
        "report",
        _run_report,
        help="run the notebooks with papermill and export HTML reports",
        description="Execute notebooks/NN_*.ipynb in order with papermill (injecting parameters), export each to "
        "HTML with nbconvert, keep the executed .ipynb beside it, and write OUT/index.html.",
    )
    p.add_argument(
        "--source",
        choices=SOURCES,
        default="demo",
        help="data source (default demo); corpus: a corpus you made, named with -p db PATH",
    )
    p.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="inject a parameter (NAME a Python identifier); VALUE is a plain literal if it parses as one: number, "
        "string, True/False, None, list or dict (-p bits 15 -p tags \"['rock']\"), else taken as a string",
    )
    p.add_argument("--out", default="reports", help="output folder (default reports/)")
    p.add_argument("--only", action="append", metavar="PREFIX", help="run only notebooks named PREFIX… (repeatable)")
    p.add_argument(
        "--code",
        choices=("show", "folded", "none"),
        default="show",
        help="code cells in the HTML: shown with a hide button (default), folded until shown, or left out",
    )
    p.add_argument("--notebooks", default=None, help="folder of notebooks (default: the project's notebooks/)")


def _run_report(args: argparse.Namespace) -> int:
    from bcanalysis.defaults import NOTEBOOKS_DIR
    from bcanalysis.report import NotebookFailed, ReportError, check_parameters, parse_value, run_report
    from bcanalysis.report.params import python_name

    overrides = {python_name(name): parse_value(value) for name, value in args.parameter}  # -p 𝔡𝔟 is -p db
    try:
        check_parameters(overrides)  # bad names or values: refused before anything runs (exit 2)
        report = run_report(
            source=args.source,
            parameters=overrides,
            out=args.out,
            only=args.only,
            code=args.code,
            notebooks_dir=args.notebooks or NOTEBOOKS_DIR,
            log=lambda msg: print(msg, file=sys.stderr),
        )
    except NotebookFailed as exc:  # a notebook ran and failed: a failure (exit 1), not a bad argument
        print(f"bcanalysis: error: {exc}", file=sys.stderr)
        return 1
    except ReportError as exc:
        raise CommandError(str(exc)) from exc
    print(f"reports written: {report.index}")
    return 0
