"""Reports: run the numbered notebooks with papermill, export each to HTML with nbconvert, write an index.

`run_report` executes `notebooks/NN_*.ipynb` in order, injecting parameters, keeps every executed notebook beside
its HTML in the output folder, and writes `index.html` (links, parameters, corpus size, package versions, git
commit, time per notebook; `bcanalysis.report.index_page`). Bad parameters (not plain literals; names no notebook of
the run takes, values of the wrong type or range: `bcanalysis.report.params`) and a missing corpus are refused with
`ReportError` before anything runs; a failing notebook stops the run with `NotebookFailed` naming the notebook and the
cell; the reports already made stay, and the failed notebook is exported too so its traceback can be read. Each page
follows its run: cells tagged for another source are left out, and a notebook's metadata names its page and title
from the run's values. The kernel runs over Unix sockets (no TCP ports, no transport warning) and the HTML
(`bcanalysis.report.html`) loads nothing from elsewhere.
"""

from __future__ import annotations

import ast
import keyword
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bcanalysis.defaults import (
    BANDCAMP_ALBUMS_PER_TAG,
    BANDCAMP_CACHE,
    BANDCAMP_DB,
    DEMO_CACHE,
    DEMO_DB,
    DEMO_REPORT_ALBUMS_PER_TAG,
    NOTEBOOKS_DIR,
    PROJ_ROOT,
    SWEEP_BITS,
    SWEEP_N,
)
from bcanalysis.report.html import CODE_MODES, to_html
from bcanalysis.report.index_page import IndexRun, index_data, write_index

KERNEL_NAME = "bcanalysis"
KERNEL_DISPLAY_NAME = "Python (bcanalysis)"

#: Parameters injected for each source unless the caller overrides them. Paths are relative to the project root.
SOURCE_DEFAULTS: dict[str, dict[str, Any]] = {
    "demo": {"db": DEMO_DB, "cache_dir": DEMO_CACHE, "albums_per_tag": DEMO_REPORT_ALBUMS_PER_TAG},
    "bandcamp": {
        "db": BANDCAMP_DB,
        "cache_dir": BANDCAMP_CACHE,
        "albums_per_tag": BANDCAMP_ALBUMS_PER_TAG,
        "sweep_n": list(SWEEP_N),
        "sweep_bits": list(SWEEP_BITS),
    },
    "corpus": {},  # a corpus you made (`bcanalysis import`, or a scrape): -p db PATH; the cache goes beside it
}
#: Parameters that name files or folders: given relative to the caller's working directory, injected absolute.
PATH_PARAMETERS = ("db", "cache_dir")


class ReportError(RuntimeError):
    """A report run that could not start or finish: the message names the bad value, or the notebook and cell."""


class NotebookFailed(ReportError):
    """A notebook raised while running: the message names the notebook and the cell (a failure, not bad input)."""


@dataclass
class NotebookRun:
    """One executed notebook: where its outputs went, how long it took, and whether it failed."""

    name: str
    ipynb: Path
    html: Path | None = None
    seconds: float = 0.0
    error: str | None = None


@dataclass
class Report:
    """The result of `run_report`: the index path, the runs in order, and the parameters injected."""

    index: Path
    runs: list[NotebookRun] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)  # the notebooks' own parameter values


# --- choosing notebooks and parameters ------------------------------------------------------------------------


def find_notebooks(notebooks_dir: Path = NOTEBOOKS_DIR, only: Iterable[str] | None = None) -> list[Path]:
    """The numbered notebooks (`NN_name.ipynb`) in order; `only` keeps those whose name starts with a given prefix."""
    found = sorted(p for p in Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb") if p.is_file())
    if not found:
        raise ReportError(f"no numbered notebooks (NN_name.ipynb) in {notebooks_dir}")
    if only:
        wanted = [str(o) for o in only]
        picked = [p for p in found if any(p.stem.startswith(w) or p.name == w for w in wanted)]
        missing = [w for w in wanted if not any(p.stem.startswith(w) or p.name == w for p in found)]
        if missing:
            names = ", ".join(p.stem for p in found)
            raise ReportError(f"no notebook matches {', '.join(missing)} (have: {names})")
        found = picked
    return found


def notebook_defaults(path: Path) -> dict[str, Any]:
    """The plain-literal assignments of a notebook's `parameters` cell (what runs when nothing is injected)."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    out: dict[str, Any] = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign):
                    try:
                        value = ast.literal_eval(node.value)
                    except ValueError:
                        continue
                    out.update({t.id: value for t in node.targets if isinstance(t, ast.Name)})
    return out


def parse_value(text: str) -> Any:
    """A `-p NAME VALUE` value: a Python/JSON literal if it parses as one (50, [12, 15], None), else the string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        lowered = text.strip().lower()
        if lowered in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[lowered]
        return text


def _not_plain(value: Any, depth: int = 0) -> str | None:
    """Why `value` is not a plain literal (number, string, boolean, None, list or str-keyed dict of those), or None."""
    if depth > 20:
        return "it is nested more than 20 levels deep"
    if value is None or isinstance(value, (bool, str)):
        return None
    if isinstance(value, int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value!r} is not a finite number"
    if isinstance(value, list):
        return next((why for v in value if (why := _not_plain(v, depth + 1))), None)
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                return f"the dict key {k!r} is a {type(k).__name__}, not a string"
            if why := _not_plain(v, depth + 1):
                return why
        return None
    hint = " (write a list: [...])" if isinstance(value, (tuple, set, frozenset)) else ""
    return f"{value!r} is a {type(value).__name__}{hint}"


def check_parameters(parameters: Mapping[str, Any]) -> None:
    """Refuse, before anything runs, a name that is not a Python identifier (or is a keyword) and a value that is
    not a plain literal: papermill writes each as `NAME = VALUE` into the notebook, and the index as JSON."""
    from bcanalysis.report.params import python_name

    for name, value in parameters.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ReportError(f"parameter name {name!r} is not a Python identifier")
        if keyword.iskeyword(python_name(name)):  # `𝔦𝔣` is `if` to Python
            raise ReportError(f"parameter name {name!r} is a Python keyword")
        if why := _not_plain(value):
            raise ReportError(
                f"parameter {name} = {value!r} is not a plain literal: {why}; use numbers, strings, True/False, "
                "None, and lists or dicts (string keys) of those"
            )


def check_names_and_values(
    overrides: Mapping[str, Any], takes: Mapping[str, Mapping[str, Any]], notebooks_dir: Path = NOTEBOOKS_DIR
) -> None:
    """Refuse, before anything runs, an override no notebook of the run takes (with the closest name it does take,
    and which other notebook takes it) or whose value has the wrong type or range (`bcanalysis.report.params`)."""
    from bcanalysis.report.params import ParameterError, check_against_notebooks

    if not overrides or not any(takes.values()):
        return  # notebooks without a parameters cell take whatever papermill injects
    others = {nb.stem: notebook_defaults(nb) for nb in find_notebooks(notebooks_dir) if nb.stem not in takes}
    try:
        check_against_notebooks(overrides, takes, others)
    except ParameterError as exc:
        raise ReportError(str(exc)) from None


def injected(params: Mapping[str, Any], takes: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters one notebook gets: those its parameters cell has, plus `source` and `live` (every notebook
    of the run sees which source and mode it runs in); all of them for a notebook without a parameters cell."""
    if not takes:
        return dict(params)
    return {k: v for k, v in params.items() if k in takes or k in ("source", "live")}


def build_parameters(source: str, overrides: Mapping[str, Any] | None = None, base: Path | None = None) -> dict:
    """The parameters to inject: the source's defaults, then `overrides`; path parameters made absolute."""
    if source not in SOURCE_DEFAULTS:
        raise ReportError(f"unknown source {source!r}: use one of {', '.join(SOURCE_DEFAULTS)}")
    params: dict[str, Any] = {"source": source, **SOURCE_DEFAULTS[source]}
    for name in PATH_PARAMETERS:  # defaults are relative to the project root
        if name in params and params[name] is not None:
            params[name] = str((PROJ_ROOT / params[name]).resolve())
    from bcanalysis.report.params import ParameterError, check_value, python_names

    base = Path.cwd() if base is None else Path(base)
    overrides = python_names(overrides or {})
    check_parameters(overrides)
    for name, value in overrides.items():
        if name in PATH_PARAMETERS:
            try:
                check_value(name, value)  # a path, whatever notebooks take it (one without a parameters cell too)
            except ParameterError as exc:
                raise ReportError(str(exc)) from None
            value = str((base / Path(value).expanduser()).resolve())
        params[name] = value
    if source == "corpus":
        if "db" not in params:
            raise ReportError("--source corpus reports on a corpus you made: name it with -p db PATH")
        db = Path(params["db"])
        params.setdefault("cache_dir", str(db.with_name(db.stem + "-cache")))
    params["live"] = False  # no browser in a papermill run: draw static figures
    return params


# --- the kernel -----------------------------------------------------------------------------------------------


def ensure_kernel(name: str = KERNEL_NAME, display_name: str = KERNEL_DISPLAY_NAME) -> str:
    """Register this interpreter as the Jupyter kernel `name` (in sys.prefix) unless it already is; return the name.

    Falls back to `python3` (the interpreter running this) if sys.prefix is not writable.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
        if spec.argv and Path(spec.argv[0]).resolve() == Path(sys.executable).resolve():
            return name
    except NoSuchKernel:
        pass
    try:
        from ipykernel.kernelspec import install

        install(kernel_name=name, display_name=display_name, prefix=sys.prefix)
        return name
    except OSError:
        return "python3"


# --- running and exporting ------------------------------------------------------------------------------------


def scrapes(notebook: Path) -> bool:
    """Whether a notebook fills the corpus (`NN_scrape.ipynb`): the only one allowed to create the `db` file."""
    return notebook.stem.split("_", 1)[-1] == "scrape"


def check_corpus(db: Any, notebooks: Sequence[Path], *, may_scrape: bool = True) -> None:
    """Refuse a `db` that does not exist unless a notebook in the run scrapes into it (nothing else may create it;
    with `may_scrape` False, as for the "corpus" source, nothing does).

    Only notebooks whose parameters cell has `db` read the corpus; a run of others needs none.
    """
    if not may_scrape and db is not None and not Path(str(db)).exists():
        raise ReportError(f"no corpus at {db}: make one first, e.g. bcanalysis import --db {db} FOLDER")
    if db is None or Path(str(db)).exists() or (may_scrape and any(scrapes(nb) for nb in notebooks)):
        return
    if not any("db" in notebook_defaults(nb) for nb in notebooks):
        return
    first = next((nb for nb in find_notebooks(notebooks[0].parent) if scrapes(nb)), None) if notebooks else None
    how = f"run {first.stem} first (bcanalysis report --only {first.stem[:2]} -p db …) or " if first else ""
    raise ReportError(f"no corpus at {db}: {how}fill one with bcanalysis scrape --db {db} …")


def _kernel_manager_class(socket_dir: str) -> type | None:
    """A kernel manager that talks to its kernel over Unix sockets in `socket_dir` (not TCP on localhost), so the
    kernel has no unencrypted TCP ports and says nothing about them; None (papermill's default) on Windows."""
    if os.name == "nt":
        return None
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kw: Any) -> None:
            kw.setdefault("transport", "ipc")
            kw.setdefault("ip", os.path.join(socket_dir, "kernel"))
            super().__init__(**kw)

    return IPCKernelManager


def execute(
    src: Path, dst: Path, parameters: Mapping[str, Any], *, kernel: str, cwd: Path, notebook: Any = None
) -> None:
    """Run one notebook with papermill (`notebook`, a node read from `src`, if given; else the file `src`), writing
    the executed copy to `dst`; raises NotebookFailed naming the cell."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    with tempfile.TemporaryDirectory(prefix="bcanalysis-kernel-") as sockets:
        manager = _kernel_manager_class(sockets)
        extra = {} if manager is None else {"kernel_manager_class": manager}
        try:
            pm.execute_notebook(
                str(src) if notebook is None else notebook,
                str(dst),
                parameters=dict(parameters),
                kernel_name=kernel,
                cwd=str(cwd),
                progress_bar=False,
                log_output=False,
                report_mode=False,
                **extra,
            )
        except PapermillExecutionError as exc:
            cell = f"cell {exc.cell_index}" + (f" (In [{exc.exec_count}])" if exc.exec_count else "")
            source = " ".join(str(exc.source).strip().splitlines()[:2])[:160]
            raise NotebookFailed(f"{src.name} failed at {cell}: {exc.ename}: {exc.evalue}\n  code: {source}") from exc


def run_report(
    *,
    source: str = "demo",
    parameters: Mapping[str, Any] | None = None,
    out: str | os.PathLike = "reports",
    only: Iterable[str] | None = None,
    notebooks_dir: str | os.PathLike = NOTEBOOKS_DIR,
    code: str = "show",
    log: Callable[[str], None] | None = print,
) -> Report:
    """Execute the notebooks in order, export each to HTML in `out`, and write `out/index.html`.

    Raises ReportError before running anything for a bad parameter name or value, or a `db` with no corpus that no
    notebook in the run scrapes into; NotebookFailed naming the notebook and cell if one fails (the index then
    records the failure and the notebooks before it keep their reports).
    """
    import nbformat

    from bcanalysis.report.params import for_source, page_stem, page_title, python_names

    if code not in CODE_MODES:
        raise ReportError(f"code must be one of {', '.join(CODE_MODES)}, got {code!r}")
    say = log or (lambda _msg: None)
    parameters = python_names(parameters or {})  # `𝔡𝔟` is `db` to Python: checked as `db`
    check_parameters(parameters)
    notebooks_dir = Path(notebooks_dir).resolve()
    notebooks = find_notebooks(notebooks_dir, only)
    takes = {nb.stem: notebook_defaults(nb) for nb in notebooks}
    check_names_and_values(parameters, takes, notebooks_dir)  # bad names and values: refused before anything runs
    params = build_parameters(source, parameters)
    check_corpus(params.get("db"), notebooks, may_scrape=source != "corpus")
    out_dir = Path(out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    kernel = ensure_kernel()
    report = Report(index=out_dir / "index.html", parameters=params, defaults=notebook_defaults(notebooks[0]))
    started = datetime.now(timezone.utc)
    failure: NotebookFailed | None = None
    for nb in notebooks:
        node = for_source(nbformat.read(str(nb), as_version=4), source)  # only the prose of this run's source
        values = {**takes[nb.stem], **params}
        stem = page_stem(node, nb.stem, values)  # 05_final_{bits}bit_{n_topics}topics: the run's own numbers
        run = NotebookRun(name=stem, ipynb=out_dir / f"{stem}.ipynb")
        report.runs.append(run)
        say(f"[report] running {nb.name} …")
        t0 = time.perf_counter()
        try:
            execute(nb, run.ipynb, injected(params, takes[nb.stem]), kernel=kernel, cwd=notebooks_dir, notebook=node)
        except NotebookFailed as exc:
            run.error = str(exc)
            failure = exc
        run.seconds = time.perf_counter() - t0
        if run.ipynb.exists():
            run.html = to_html(run.ipynb, out_dir / f"{stem}.html", code=code, title=page_title(node, values))
        say(f"[report] {nb.name}: {'FAILED' if run.error else 'ok'} in {run.seconds:.1f} s → {run.html}")
        write_report_index(report, started)
        if failure:
            raise NotebookFailed(f"{failure}\n  reports so far: {report.index}") from failure
    write_report_index(report, started)
    return report


def write_report_index(report: Report, started: datetime) -> Path:
    """The run's index page (`index_page.write_index`), from the report's runs and parameters as plain data."""
    runs = [
        IndexRun(
            r.name,
            r.html.name if r.html else None,
            r.ipynb.name if r.ipynb.exists() else None,
            r.seconds,
            r.error,
            r.html.stat().st_size if r.html and r.html.exists() else None,
        )
        for r in report.runs
    ]
    return write_index(index_data(runs, report.parameters, report.defaults, started=started), report.index)
