"""Reports: the numbered notebooks run with papermill and exported to HTML, an index page, and the findings the
notebooks print.

    from bcanalysis import report
    report.run_report("demo", out_dir="reports")        # every notebook, then reports/index.html
    from bcanalysis.report import findings                # the verdicts a notebook prints, computed from its tables

`run` runs the notebooks, `params` checks `-p` against them, `html` exports a page, `index_page` writes the index,
`findings` words each conclusion from the run's own tables.
"""

from bcanalysis.report import findings
from bcanalysis.report.run import (
    KERNEL_DISPLAY_NAME,
    KERNEL_NAME,
    PATH_PARAMETERS,
    SOURCE_DEFAULTS,
    NotebookFailed,
    NotebookRun,
    Report,
    ReportError,
    build_parameters,
    check_corpus,
    check_parameters,
    ensure_kernel,
    execute,
    find_notebooks,
    notebook_defaults,
    parse_value,
    run_report,
)

__all__ = [
    "KERNEL_DISPLAY_NAME",
    "KERNEL_NAME",
    "PATH_PARAMETERS",
    "SOURCE_DEFAULTS",
    "NotebookFailed",
    "NotebookRun",
    "Report",
    "ReportError",
    "build_parameters",
    "check_corpus",
    "check_parameters",
    "ensure_kernel",
    "execute",
    "find_notebooks",
    "findings",
    "notebook_defaults",
    "parse_value",
    "run_report",
]
