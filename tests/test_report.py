"""`bcanalysis report` machinery on small throwaway notebooks: real papermill runs, real nbconvert HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from bcanalysis import cli, report

XSS = "<img src=x onerror=alert(1)>"


def _notebook(path: Path, *cells, parameters: str = "x = 1\nname = 'plain'") -> Path:
    params = new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[new_markdown_cell("# A test notebook"), params, *cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def notebooks(tmp_path: Path) -> Path:
    d = tmp_path / "notebooks"
    d.mkdir()
    _notebook(d / "01_first.ipynb", new_code_cell("print('x is', x * 2)"))  # parameters: x, name
    _notebook(
        d / "02_second.ipynb",
        new_code_cell("import matplotlib.pyplot as plt\nplotted_line = plt.plot([1, x])"),
        new_code_cell("import pandas as pd\npd.DataFrame({'title': [name]})"),
    )
    return d


def test_the_index_is_written_from_plain_data(tmp_path: Path) -> None:
    """`write_index` takes what the page shows (no `Report`, no corpus, no git): every value on it, escaped."""
    from datetime import datetime, timezone

    from bcanalysis.report.index_page import IndexPage, IndexRun, write_index

    page = IndexPage(
        runs=[
            IndexRun("01_first", "01_first.html", "01_first.ipynb", 2.5, size=1_500_000),
            IndexRun(XSS, None, None, 0.25, error=f"cell 3: {XSS}"),
        ],
        parameters={"source": "corpus", "x": XSS, "albums_per_tag": 5},
        defaults={"x": 1, "name": "plain"},
        corpus="12 albums · 12 covers · 12 palettes",
        genres=f"rock 7 · {XSS} 5",
        commit="abc123+dirty",
        started=datetime(2026, 8, 14, 9, 30, tzinfo=timezone.utc),
        versions={"numpy": "2.0", "python": "3.12"},
    )
    text = write_index(page, tmp_path / "index.html").read_text(encoding="utf-8")
    assert '<a href="01_first.html">01_first</a>' in text and '<a href="01_first.ipynb">.ipynb</a>' in text
    assert "1.5 MB" in text and "2.8 s in" in text and "2026-08-14 09:30 UTC" in text
    assert XSS not in text and text.count("&lt;img src=x onerror=alert(1)&gt;") == 4  # run, error, parameter, genre
    assert "abc123+dirty" in text and "numpy 2.0 · python 3.12" in text and "12 albums" in text
    assert "albums_per_tag" not in text  # a corpus run scrapes nothing: scraping parameters left out
    assert '<th>name</th><td><code>&quot;plain&quot;</code></td><td class="meta">notebook default' in text


@pytest.mark.slow
def test_report_runs_in_order_injects_parameters_and_writes_index(notebooks: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    rep = report.run_report(parameters={"x": 21, "name": XSS}, out=out, notebooks_dir=notebooks, log=None)
    assert [r.name for r in rep.runs] == ["01_first", "02_second"]
    for stem in ("01_first", "02_second"):
        assert (out / f"{stem}.html").stat().st_size > 1000
        assert (out / f"{stem}.ipynb").exists()
    first = (out / "01_first.html").read_text()
    assert "x is 42" in first
    second = (out / "02_second.html").read_text()
    assert "data:image/png;base64," in second  # the figure is embedded, viewable offline
    for page in (first, second):  # and nothing is fetched from elsewhere (the lab template loads require.js, MathJax)
        assert not re.search(r"<script[^>]*\ssrc=|<link[^>]*\shref=\"?https?:|import\(\"https?:", page)
    # untrusted text from data stays text: escaped in the table, never a live tag, in every file we wrote
    assert "&lt;img src=x onerror=alert(1)&gt;" in second
    index = (out / "index.html").read_text()
    for page in (first, second, index):
        assert XSS not in page
    assert '<a href="01_first.html">01_first</a>' in index and '<a href="02_second.html">' in index
    assert "&lt;img src=x onerror=alert(1)&gt;" in index  # the parameter, escaped
    assert "papermill" in index and "nbconvert" in index and "git commit" in index
    assert '<th>x</th><td><code>21</code></td><td class="meta">injected' in index
    assert "notebook default" not in index  # every parameter of the notebook was injected here
    executed = nbformat.read(str(out / "01_first.ipynb"), as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "x = 21" in injected[0].source and "live = False" in injected[0].source


@pytest.mark.slow
def test_failing_notebook_names_notebook_and_cell_and_keeps_earlier_reports(notebooks: Path, tmp_path: Path) -> None:
    _notebook(notebooks / "02_second.ipynb", new_code_cell("y = 1"), new_code_cell("raise ValueError('bad corpus')"))
    _notebook(notebooks / "03_third.ipynb", new_code_cell("print('never')"))
    out = tmp_path / "reports"
    with pytest.raises(report.ReportError) as info:
        report.run_report(out=out, notebooks_dir=notebooks, log=None)
    message = str(info.value)
    assert "02_second.ipynb" in message and "cell" in message and "ValueError: bad corpus" in message
    assert (out / "01_first.html").exists()
    assert (out / "02_second.html").exists()  # the failed notebook's traceback is readable
    assert not (out / "03_third.html").exists()
    index = (out / "index.html").read_text()
    assert "failed" in index and "bad corpus" in index and "03_third" not in index
    assert '<th>name</th><td><code>&quot;plain&quot;</code></td><td class="meta">notebook default' in index


@pytest.mark.slow
def test_cli_report_only_and_code_modes(notebooks: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "r"
    argv = ["report", "--notebooks", str(notebooks), "--out", str(out), "--only", "02", "-p", "x", "5", "--code"]
    assert cli.main([*argv, "none"]) == 0
    assert not (out / "01_first.html").exists()
    page = (out / "02_second.html").read_text()
    assert "plotted_line" not in page and "bc-code-toggle" not in page
    assert cli.main([*argv, "folded"]) == 0
    page = (out / "02_second.html").read_text()
    assert "plotted_line" in page and "bc-code-hidden" in page and "bc-code-toggle" in page
    assert "reports written" in capsys.readouterr().out


@pytest.mark.slow
def test_cli_report_errors_are_clean(notebooks: Path, tmp_path: Path, capsys) -> None:
    assert cli.main(["report", "--notebooks", str(notebooks), "--out", str(tmp_path), "--only", "09"]) == 2
    assert "no notebook matches 09" in capsys.readouterr().err
    (notebooks / "01_first.ipynb").write_text(json.dumps(json.loads((notebooks / "01_first.ipynb").read_text())))
    _notebook(notebooks / "01_first.ipynb", new_code_cell("1 / 0"))
    assert cli.main(["report", "--notebooks", str(notebooks), "--out", str(tmp_path)]) == 1  # a failure, not bad input
    err = capsys.readouterr().err
    assert "bcanalysis: error: 01_first.ipynb failed at cell" in err and "ZeroDivisionError" in err


def test_parameters_literals_paths_and_sources(tmp_path: Path) -> None:
    assert report.parse_value("15") == 15 and report.parse_value("[9, 12]") == [9, 12]
    assert report.parse_value("rock") == "rock" and report.parse_value("true") is True
    params = report.build_parameters("demo", {"db": "x/c.sqlite", "bits": 9}, base=tmp_path)
    assert params["db"] == str(tmp_path / "x" / "c.sqlite") and params["bits"] == 9 and params["live"] is False
    assert Path(report.build_parameters("bandcamp")["db"]).is_absolute()
    with pytest.raises(report.ReportError, match="unknown source 'web'"):
        report.build_parameters("web")
    with pytest.raises(report.ReportError, match="not a Python identifier"):
        report.build_parameters("demo", {"1x": 2})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("import", "5", "'import' is a Python keyword"),
        ("class", "1", "'class' is a Python keyword"),
        ("x-y", "1", "'x-y' is not a Python identifier"),
        ("x", "{(1, 2): 3}", "x = {(1, 2): 3} is not a plain literal: the dict key (1, 2) is a tuple"),
        ("x", "(9, 12)", "is a tuple (write a list"),
        ("x", "{1, 2}", "is a set"),
        ("x", "1e999", "inf is not a finite number"),
        ("x", "[1, b'raw']", "b'raw' is a bytes"),
        ("x", "1j", "1j is a complex"),
    ],
)
def test_cli_refuses_bad_parameters_before_running_anything(
    notebooks: Path, tmp_path: Path, capsys, name: str, value: str, message: str
) -> None:
    out = tmp_path / "never"
    code = cli.main(["report", "--notebooks", str(notebooks), "--out", str(out), "-p", name, value])
    err = capsys.readouterr().err
    assert code == 2 and "bcanalysis: error: parameter " in err and message in err, err
    assert "Traceback" not in err and not out.exists()  # nothing ran: not even the output folder was made


def test_plain_literals_pass_the_check() -> None:
    report.check_parameters(
        {
            "a": 1,
            "b": -2.5,
            "c": "x",
            "d": None,
            "e": True,
            "f": [1, [2, "3"]],
            "g": {"k": [1, {"n": None}]},
            "match": 1,
        }
    )  # a soft keyword is a fine name
    with pytest.raises(report.ReportError, match="nested more than 20"):
        deep: list = [0]
        for _ in range(25):
            deep = [deep]
        report.check_parameters({"deep": deep})


@pytest.mark.slow
def test_missing_corpus_is_refused_not_created(notebooks: Path, tmp_path: Path, capsys) -> None:
    _notebook(notebooks / "01_first.ipynb", new_code_cell("print(db)"), parameters="db = 'corpus.sqlite'")
    db = tmp_path / "nonexistent" / "x.sqlite"
    argv = ["report", "--notebooks", str(notebooks), "--out", str(tmp_path / "r"), "-p", "db", str(db)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert f"bcanalysis: error: no corpus at {db}" in err and "bcanalysis scrape --db" in err
    assert not db.parent.exists() and not (tmp_path / "r").exists()
    # a run whose scraping notebook fills the corpus may start without one (here the "scrape" only prints)
    _notebook(notebooks / "00_scrape.ipynb", new_code_cell("print('scraping into', db)"), parameters="db = 'c'")
    assert cli.main([*argv, "--only", "00", "--only", "01"]) == 0
    assert "run 00_scrape first" not in capsys.readouterr().err
    assert cli.main([*argv, "--only", "01"]) == 2
    assert "run 00_scrape first (bcanalysis report --only 00" in capsys.readouterr().err
    assert not db.parent.exists()


@pytest.mark.slow
def test_no_kernel_transport_warning_in_the_output(notebooks: Path, tmp_path: Path, capfd) -> None:
    """The kernel's stderr is the command's stderr: ipykernel warns there about unencrypted TCP unless it is not
    on TCP at all."""
    argv = ["report", "--notebooks", str(notebooks), "--out", str(tmp_path / "r"), "--only", "01", "-p", "x", "5"]
    assert cli.main(argv) == 0
    captured = capfd.readouterr()
    assert "[report] 01_first.ipynb: ok" in captured.err  # stderr was captured at the file-descriptor level
    assert "without encryption" not in captured.err + captured.out
    executed = nbformat.read(str(tmp_path / "r" / "01_first.ipynb"), as_version=4)
    assert "x is 10" in str(executed.cells)


# --- parameters checked against the notebooks, before anything runs ------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-p", "nbits", "12"], "unknown parameter 'nbits' (did you mean bits?)"),
        (["-p", "bits", "13"], "parameter bits must be a total colour depth, a multiple of 3 from 3 to 24"),
        (["-p", "bits", "[12]"], "parameter bits must be a total colour depth"),
        (
            ["-p", "n_topics", "eighteen"],
            "parameter n_topics must be a whole number of topics, at least 1, got 'eighteen'",
        ),
        (["-p", "n_topics", "0"], "parameter n_topics must be a whole number of topics, at least 1, got 0"),
        (["-p", "n_topics", "True"], "parameter n_topics must be a whole number"),
        (["-p", "sweep_n", "[2, 2, 3]"], "parameter sweep_n must be a list of distinct topic counts"),
        (["-p", "sweep_bits", "[9, 13]"], "parameter sweep_bits must be a list of distinct colour depths"),
        (["-p", "tags", "rock"], "parameter tags must be a list of distinct genre tags, got 'rock'"),
        (["-p", "db", "[1]"], "parameter db must be a path to the corpus file (a string), got [1]"),
        (["-p", "random_state", "-1"], "parameter random_state must be a seed"),
        (["-p", "DB", "x.sqlite"], "unknown parameter 'DB' (did you mean db?)"),
        (["-p", "\U0001d521\U0001d51f", "[1]"], "parameter db must be a path"),  # 𝔡𝔟 is db to Python: checked as db
        (["-p", "source", "corpus"], "parameter source is set by bcanalysis report: choose it with --source"),
        (["-p", "live", "True"], "parameter live is set by bcanalysis report"),
        (
            ["--only", "04", "-p", "n_boot", "50"],
            "parameter n_boot is taken only by 06_beyond, which this run leaves out (add --only 06",
        ),
    ],
)
def test_the_project_notebooks_parameters_are_checked_before_anything_runs(tmp_path: Path, capsys, argv, message):
    """Against the real notebooks: a typo, a wrong type or a value out of range is refused with exit 2 and one line
    naming it (and the closest known name), before notebook 01 would scrape anything — nothing is created."""
    out, db = tmp_path / "reports", tmp_path / "corpus.sqlite"
    code = cli.main(["report", "--source", "demo", "--out", str(out), "-p", "cache_dir", str(tmp_path / "c"), *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("bcanalysis: error: ") and message in err and err.count("\n") == 1, err
    assert not out.exists() and not db.exists() and not (tmp_path / "c").exists()


def test_names_known_to_the_notebooks_and_plain_values_pass(notebooks: Path) -> None:
    from bcanalysis.report.params import check_against_notebooks

    takes = {"05_final": {"bits": 12, "n_topics": 18, "db": "x", "tags": ["a"], "query_album": 0, "ratio": 0.5}}
    check_against_notebooks(
        {
            "bits": 21,
            "n_topics": 1,
            "db": "y.sqlite",
            "tags": ["rock", "$$"],
            "query_album": "https://x.bandcamp.com/album/y",
            "ratio": 2,
        },
        takes,
    )
    with pytest.raises(ValueError, match="parameter ratio must be a number, got 'half'"):
        check_against_notebooks({"ratio": "half"}, takes)  # a notebook's own parameter: typed by its default


def test_a_typo_on_throwaway_notebooks_runs_nothing(notebooks: Path, tmp_path: Path, capsys) -> None:
    """The notebooks take x and name: `-p nme …` ran both notebooks with the defaults and exited 0 before."""
    out = tmp_path / "never"
    assert cli.main(["report", "--notebooks", str(notebooks), "--out", str(out), "-p", "nme", "'a'"]) == 2
    assert "unknown parameter 'nme' (did you mean name?): the notebooks take name, x" in capsys.readouterr().err
    assert cli.main(["report", "--notebooks", str(notebooks), "--out", str(out), "-p", "x", "'two'"]) == 2
    assert "parameter x must be a whole number, got 'two'" in capsys.readouterr().err
    assert not out.exists()


# --- pages that describe their own run ------------------------------------------------------------------------------


@pytest.mark.slow
def test_page_names_titles_and_prose_follow_the_run(tmp_path: Path) -> None:
    """A notebook names its report page and title from the run's parameters (metadata `bcanalysis.report` and
    `bcanalysis.title`), and cells tagged `source:NAME` are only in the reports of that source."""
    d = tmp_path / "nbs"
    d.mkdir()
    demo_only = new_markdown_cell("On the demo catalogue: PLANTED-DEMO-PROSE")
    demo_only.metadata["tags"] = ["source:demo"]
    corpus_only = new_markdown_cell("A corpus you made: CORPUS-PROSE")
    corpus_only.metadata["tags"] = ["source:corpus"]
    path = _notebook(
        d / "05_final.ipynb",
        demo_only,
        corpus_only,
        new_markdown_cell("EVERY-RUN-PROSE"),
        parameters="bits = 12\nn_topics = 18\ndb = 'x'",
    )
    nb = nbformat.read(str(path), as_version=4)
    nb.metadata["bcanalysis"] = {
        "report": "05_final_{bits}bit_{n_topics}topics",
        "title": "5 · Final model, {bits}-bit colours, {n_topics} topics: {source_title}",
    }
    nbformat.write(nb, str(path))
    db = tmp_path / "c.sqlite"
    from bcanalysis.store import Corpus

    Corpus(db).close()
    out = tmp_path / "r"
    rep = report.run_report(
        source="corpus", parameters={"db": str(db), "bits": 9, "n_topics": 6}, out=out, notebooks_dir=d, log=None
    )
    assert [r.name for r in rep.runs] == ["05_final_9bit_6topics"]
    page = (out / "05_final_9bit_6topics.html").read_text(encoding="utf-8")
    assert (out / "05_final_9bit_6topics.ipynb").exists() and not (out / "05_final_12bit_18topics.html").exists()
    assert "<title>5 · Final model, 9-bit colours, 6 topics: your own corpus</title>" in page
    assert "CORPUS-PROSE" in page and "EVERY-RUN-PROSE" in page and "PLANTED-DEMO-PROSE" not in page
    assert 'href="05_final_9bit_6topics.html"' in (out / "index.html").read_text(encoding="utf-8")
    assert "PLANTED-DEMO-PROSE" in path.read_text(encoding="utf-8")  # the notebook itself keeps every cell
