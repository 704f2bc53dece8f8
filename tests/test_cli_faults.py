"""Issue 10's list of bad input, driven through the `bcanalysis` command: every case ends in one message on stderr
(`bcanalysis: error: …`, one line), exit 2 for bad arguments and 1 for failures, never a traceback,
and creates nothing it should not. (The full disk, a damaged database and a read-only corpus are driven through the
command in test_corpus_faults.py; a killed palettes worker in test_palettes_job.py.)"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from _hostile import HostileServer, discover_item, json_reply
from PIL import Image

from bcanalysis.cli import build_parser, main
from bcanalysis.cli.common import Bounded
from bcanalysis.store import Corpus, Cover

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bcanalysis", *args], capture_output=True, text=True, cwd=REPO, timeout=timeout
    )


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory) -> Path:
    """A small corpus with palettes, for the commands that read one."""
    path = tmp_path_factory.mktemp("faults") / "c.sqlite"
    with Corpus(path) as corpus:
        for i in range(30):
            album = {
                "url": f"https://s{i}.bandcamp.com/album/a{i}",
                "store": f"s{i}",
                "album": f"a{i}",
                "title": f"A{i}",
                "artist": "X",
                "tags": ["ambient" if i % 2 else "metal"],
            }
            album_id = corpus.add_album(album, Cover("missing", "-"))
            colors = [
                SimpleNamespace(rgb=((i * 9 + k * 31) % 256, (k * 17) % 256, (i * 5) % 256), proportion=1 / 40)
                for k in range(40)
            ]
            corpus.save_palettes([(album_id, colors)], "test/1")
    return path


SCRAPE = [
    "scrape",
    "--db",
    "{tmp}/s.sqlite",
    "--tag",
    "ambient",
    "--albums-per-tag",
    "1",
    "--base-url",
    "http://127.0.0.1:9",
]

CASES = {
    # name: (argv, exit code, text the message must hold)
    "challenge-wait -1": ([*SCRAPE, "--challenge-wait", "-1"], 2, "--challenge-wait"),
    "challenge-wait nan": ([*SCRAPE, "--challenge-wait", "nan"], 2, "--challenge-wait"),
    "backoff -1": ([*SCRAPE, "--backoff", "-1"], 2, "--backoff"),
    "backoff nan": ([*SCRAPE, "--backoff", "nan"], 2, "--backoff"),
    "a 300-character db name": (["palettes", "--db", "{tmp}/" + "x" * 300 + ".sqlite"], 2, "File name too long"),
    "sweep --out /proc/x": (
        ["sweep", "--db", "{db}", "--out", "/proc/x", "--bits", "9", "--min-n", "1", "--max-n", "2"],
        2,
        "/proc/x",
    ),
    "sweep --seed -1": (["sweep", "--db", "{db}", "--out", "{tmp}/o", "--seed", "-1"], 2, "--seed"),
    "report -p x {(1, 2): 3}": (["report", "-p", "x", "{(1, 2): 3}", "--out", "{tmp}/r"], 2, "x"),
    "report -p import 5": (["report", "-p", "import", "5", "--out", "{tmp}/r"], 2, "import"),
    "report -p db /nonexistent": (
        ["report", "-p", "db", "{tmp}/nowhere/x.sqlite", "--only", "02", "--out", "{tmp}/r"],
        2,
        "no corpus at",
    ),
    "palettes on a 0-byte file": (["palettes", "--db", "{tmp}/empty.sqlite"], 2, "empty file"),
    "palettes --max-pixels 0": (["palettes", "--db", "{db}", "--max-pixels", "0"], 2, "--max-pixels"),
    "extract on a FIFO": (["extract", "{tmp}/fifo.jpg"], 2, "fifo.jpg"),
    # issue 20: numbers past what the command can use, refused by their flag's bounds before anything runs
    "palettes --max-pixels 1e999": (["palettes", "--db", "{db}", "--max-pixels", "1e999"], 2, "--max-pixels"),
    "scrape --rate 1e-320": ([*SCRAPE, "--rate", "1e-320"], 2, "--rate"),
    "scrape --albums-per-tag 99999999999999999999": (
        [*SCRAPE[:-3], "99999999999999999999", *SCRAPE[-2:]],
        2,
        "--albums-per-tag",
    ),
    "demo-server --port 99999": (["demo-server", "--port", "99999"], 2, "--port"),
    "report --source corpus -p db [1]": (
        ["report", "--source", "corpus", "-p", "db", "[1]", "--out", "{tmp}/r"],
        2,
        "parameter db must be a path",
    ),
    # the two more the fuzz found: a seed numpy refuses, a backoff time.sleep cannot take
    "demo-server --seed -1": (["demo-server", "--port", "0", "--seed", "-1"], 2, "--seed"),
    "scrape --backoff 1e300": ([*SCRAPE, "--backoff", "1e300"], 2, "--backoff"),
    "sweep --max-n 99999999999999999999": (
        ["sweep", "--db", "{db}", "--out", "{tmp}/o", "--bits", "9", "--max-n", "99999999999999999999"],
        2,
        "--max-n",
    ),
    "demo --albums-per-tag 99999999999999999999": (
        ["demo", "--out", "{tmp}/d", "--albums-per-tag", "99999999999999999999"],
        2,
        "--albums-per-tag",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.slow
def test_bad_input_ends_in_a_message_never_a_traceback(name, corpus_db, tmp_path):
    argv, code, needle = CASES[name]
    (tmp_path / "empty.sqlite").touch()
    os.mkfifo(tmp_path / "fifo.jpg")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = _cli(*(a.replace("{tmp}", str(tmp_path)).replace("{db}", str(corpus_db)) for a in argv))
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == code, (result.returncode, result.stderr)
    assert needle in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()  # one error line, last (after any `skipped` lines)
    assert [line for line in lines if "error" in line] == lines[-1:] and lines[-1].startswith("bcanalysis: error:"), (
        result.stderr
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing created: no corpus, no folder, no report
    assert (tmp_path / "empty.sqlite").stat().st_size == 0


# === Issue 20: the Dask scheduler and the sweep's model cache under hostile input ================================
#
# A scheduler address whose peer accepts the TCP connection and never answers hung past 330 s despite
# `--connect-timeout 3`; `ws://` to a plain HTTP server ended in a traceback. A FIFO as a cache entry hung the sweep;
# an entry copied under another key was used without a word. Each must end in one line, exit 1 (or a warning and a
# refit), with nothing lost and a rerun that goes on.


@contextlib.contextmanager
def _silent_peer():
    """A TCP server on 127.0.0.1 that accepts every connection and never sends a byte: its address."""
    server = socket.create_server(("127.0.0.1", 0))
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


@contextlib.contextmanager
def _http_server():
    """A plain HTTP server on 127.0.0.1 (no websocket upgrade): its ws:// address."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _palettes_stored(db: Path) -> int:
    with Corpus(db) as corpus:
        return int(corpus.albums()["colorgram"].notna().sum())


def _one_error_line(result: subprocess.CompletedProcess, code: int, needle: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bcanalysis: error: ") and needle in lines[0], result.stderr


@pytest.mark.parametrize("peer", ["silent tcp", "ws to http"])
@pytest.mark.parametrize("command", ["palettes", "sweep"])
@pytest.mark.slow
def test_a_scheduler_that_never_answers_or_speaks_http_is_one_line(command, peer, corpus_db, tmp_path):
    pytest.importorskip("distributed")
    before = _palettes_stored(corpus_db)
    argv = {
        "palettes": ["palettes", "--db", str(corpus_db), "--no-progress"],
        "sweep": [
            "sweep",
            "--db",
            str(corpus_db),
            "--out",
            str(tmp_path / "out"),
            "--bits",
            "9",
            "--min-n",
            "2",
            "--max-n",
            "2",
            "--no-progress",
        ],
    }[command]
    with _silent_peer() if peer == "silent tcp" else _http_server() as address:
        result = _cli(*argv, "--scheduler", address, "--connect-timeout", "3", timeout=60)  # it hung past 330 s
    _one_error_line(result, 1, f"cannot reach the Dask scheduler at {address}")
    if peer == "silent tcp":
        assert "within 3 s" in result.stderr
    assert _palettes_stored(corpus_db) == before  # nothing done, nothing lost
    assert not (tmp_path / "out" / "sweep.csv").exists()


def _sweep(db: Path, tmp: Path, cache: Path, *, max_n: int = 3) -> subprocess.CompletedProcess:
    return _cli(
        "sweep",
        "--db",
        str(db),
        "--out",
        str(tmp / "out"),
        "--cache-dir",
        str(cache),
        "--bits",
        "9",
        "--min-n",
        "2",
        "--max-n",
        str(max_n),
        "--workers",
        "1",
        "--seed",
        "0",
        "--no-progress",
        timeout=120,
    )


def _entries(cache: Path) -> dict[str, bool]:
    """Cache entries by name: True for a regular file."""
    return {p.name: p.is_file() for p in sorted(cache.iterdir()) if not p.name.startswith(".")}


def _warnings(result: subprocess.CompletedProcess) -> list[str]:
    assert "Traceback" not in result.stderr and result.returncode == 0, result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("bcanalysis: warning:")]


def _cached_cells(tmp: Path) -> dict[int, bool]:
    table = pd.read_csv(tmp / "out" / "sweep.csv")
    return dict(zip(table["n_topics"], table["cached"], strict=True))


@pytest.fixture(scope="module")
def swept(corpus_db, tmp_path_factory) -> Path:
    """A model cache filled by one sweep (bits 9, n 2..3, two seeds each: four entries)."""
    tmp = tmp_path_factory.mktemp("swept")
    result = _sweep(corpus_db, tmp, tmp / "cache")
    assert result.returncode == 0, result.stderr
    return tmp / "cache"


@pytest.mark.slow
def test_a_fifo_as_a_cache_entry_is_skipped_with_a_warning_and_refitted(corpus_db, swept, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(swept, cache)
    victim = sorted(cache.glob("b9-k3-*.json"))[0]
    victim.unlink()
    os.mkfifo(victim)  # reading it waited for a writer forever
    before = _entries(cache)
    result = _sweep(corpus_db, tmp_path, cache)
    warned = _warnings(result)
    assert len(warned) == 1 and victim.name in warned[0] and "not a regular file" in warned[0], result.stderr
    assert _cached_cells(tmp_path) == {2: True, 3: False}  # the other entries were used
    after = _entries(cache)
    assert set(after) == set(before) and all(after.values())  # the FIFO replaced by the refitted model
    assert _warnings(_sweep(corpus_db, tmp_path, cache)) == [] and _cached_cells(tmp_path) == {2: True, 3: True}


@pytest.mark.parametrize("how", ["copied under another key", "written before entries named their key"])
@pytest.mark.slow
def test_a_cache_entry_not_of_its_key_warns_and_is_refitted(how, corpus_db, swept, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(swept, cache)
    victim = sorted(cache.glob("b9-k3-*.json"))[0]
    own = json.loads(victim.read_text())
    if how == "copied under another key":  # the n=2 model, copied (both files) under an n=3 key
        other = sorted(cache.glob("b9-k2-*.json"))[0]
        shutil.copy(other, victim)
        shutil.copy(other.with_suffix(".npz"), victim.with_suffix(".npz"))
        says = [f"of key {other.stem}", f"not {victim.stem}"]
    else:
        meta = json.loads(victim.read_text())
        meta["meta"].pop("cache_key", None)  # as an older bcanalysis wrote it
        victim.write_text(json.dumps(meta))
        says = ["names no key"]
    before = _entries(cache)
    result = _sweep(corpus_db, tmp_path, cache)
    warned = _warnings(result)
    assert len(warned) == 1 and victim.name in warned[0] and all(s in warned[0] for s in says), result.stderr
    assert _cached_cells(tmp_path) == {2: True, 3: False}  # refitted, not used
    assert _entries(cache) == before
    again = json.loads(victim.read_text())  # replaced by the model of its own key
    assert again["meta"]["cache_key"] == victim.stem and again["arrays"] == own["arrays"]
    assert _warnings(_sweep(corpus_db, tmp_path, cache)) == [] and _cached_cells(tmp_path) == {2: True, 3: True}


# --- issue 20: names that fold, and one pixel limit ---------------------------------------------------------------

FOLDED = {  # name: the same name in other Unicode letters that NFKC folds to it (Python reads both as one variable)
    "db": "𝔡𝔟",
    "bits": "𝔟𝔦𝔱𝔰",
}


@pytest.mark.parametrize(
    ("name", "value", "source"),
    [("db", "[1]", "demo"), ("db", "[1]", "corpus"), ("db", "{tmp}/nowhere.sqlite", "corpus"), ("bits", "13", "demo")],
)
@pytest.mark.slow
def test_a_name_that_folds_gets_the_checks_of_its_plain_spelling(name, value, source, tmp_path):
    """`-p 𝔡𝔟 V` is `db = V` in the notebook (identifiers are NFKC-normalised), so it is refused as `-p db V` is."""
    value = value.replace("{tmp}", str(tmp_path))
    plain, folded = (
        _cli("report", "--source", source, "-p", n, value, "--out", str(tmp_path / "r")) for n in (name, FOLDED[name])
    )
    for run in (plain, folded):
        assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
        assert len(run.stderr.strip().splitlines()) == 1 and run.stderr.startswith("bcanalysis: error:"), run.stderr
    assert folded.stderr == plain.stderr
    assert not (tmp_path / "r").exists()


def _jpeg(size: tuple[int, int], mode: str = "L") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 90).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.slow
def test_one_pixel_limit_a_cover_over_it_is_refused_when_scraped_as_palettes_would(tmp_path):
    """A 55 Mpx cover (over MAX_PIXELS, under the scraper's old 64 Mpx cap) is refused when scraped, with the
    reason palettes would give, instead of being stored for palettes to refuse; the cover beside it is stored."""
    from bcanalysis import palette
    from bcanalysis.defaults import MAX_PIXELS

    width, height = 7500, 7334  # 55.0 Mpx
    assert MAX_PIXELS < width * height < 64_000_000
    big, small = _jpeg((width, height)), _jpeg((8, 8), "RGB")
    items = [discover_item(i, band_location=None) for i in (1, 2)]

    def answer(method, path, body):
        if method == "POST":
            return json_reply({"results": items, "cursor": None})
        if path.startswith("/img/a0000001001_"):
            return 200, {"Content-Type": "image/jpeg"}, big
        return 200, {"Content-Type": "image/jpeg"}, small

    db = tmp_path / "c.sqlite"
    with HostileServer(answer) as server:
        run = _cli(
            "scrape",
            "--db",
            str(db),
            "--tag",
            "rock",
            "--albums-per-tag",
            "10",
            "--base-url",
            server.url,
            "--rate",
            "500",
            "--cover-rate",
            "500",
            "--no-progress",
        )
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    with pytest.raises(palette.ImageTooLarge) as refused:
        palette.extract(big, 40)
    why = str(refused.value).split(" (")[0]  # '7500×7334 = 55.0 Mpx is over the pixel budget of 50 Mpx'
    with Corpus(db) as corpus:
        albums = corpus.albums().set_index("item_id")
    assert albums.loc[1, "cover_status"] == "failed" and why in albums.loc[1, "cover_reason"], albums.loc[1]
    assert albums.loc[2, "cover_status"] == "ok"
    assert not list((tmp_path / "c-covers").rglob("*1001*")) and list((tmp_path / "c-covers").rglob("*1002*"))
    palettes = _cli("palettes", "--db", str(db), "--no-progress")
    assert palettes.returncode == 0 and "1 extracted, 0 covers failed" in palettes.stdout, palettes.stdout


# --- issue 20: every numeric flag of every subcommand, fuzzed -----------------------------------------------------

#: Numbers no flag should crash on: overflowing floats, tiny ones whose inverse overflows, ints past int64,
#: non-numbers, and digits that are not ASCII (int('٣') is 3 in Python).
HOSTILE = [
    "1e999",
    "-1e999",
    "-1",
    "0",
    "nan",
    "inf",
    "-inf",
    "1e-320",
    "1e300",
    "99999999999999999999",
    "9223372036854775808",
    "",
    "x",
    "٣",
    "1_000",
    "0x10",
    " 1",
    "2.5",
    "-0",
]


def _numeric_flags() -> list[tuple[str, str, argparse.Action, list[str]]]:
    """(command, flag, action, argv that parses apart from the flag) for every flag of every subcommand that takes
    a value other than text: read from the parser, so a flag added later is fuzzed without editing this test."""
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    out = []
    for command, parser in sub.choices.items():
        base = []
        for action in parser._actions:  # the required arguments, each with a value it takes
            if action.option_strings and not action.required:
                continue
            if isinstance(action.type, Bounded):
                value = str(action.type.low)
            else:
                value = str(next(iter(action.choices))) if action.choices else "x"
            base += [*action.option_strings[-1:], value] if action.option_strings else [value]
        for action in parser._actions:
            if action.option_strings and action.type not in (None, str):
                out.append((command, action.option_strings[-1], action, base))
    return out


def test_every_numeric_flag_declares_its_bounds():
    flags = _numeric_flags()
    assert len(flags) >= 25 and {c for c, *_ in flags} >= {"scrape", "palettes", "sweep", "demo-server", "demo"}
    undeclared = [f"{command} {flag}" for command, flag, action, _ in flags if not isinstance(action.type, Bounded)]
    assert not undeclared, f"numeric flags without bounds in cli.common.FLAG_BOUNDS: {undeclared}"


def _refuses(bounds: Bounded, text: str) -> bool:
    try:
        bounds(text)
    except argparse.ArgumentTypeError:
        return True
    return False


@pytest.mark.parametrize(("command", "flag", "action", "base"), _numeric_flags(), ids=lambda x: str(x)[:20])
def test_fuzz_every_numeric_flag(command, flag, action, base, capsys):
    """Each hostile number is either refused while parsing — exit 2, one `bcanalysis: error:` line naming the flag,
    the value and the range — or taken as a number inside the flag's bounds; never a traceback."""
    bounds = action.type
    for text in [*HOSTILE, str(bounds.low), str(bounds.high), f"{bounds.high}1"]:
        argv = [command, *base, f"{flag}={text}"]
        if _refuses(bounds, text) or (action.choices and bounds(text) not in action.choices):
            with pytest.raises(SystemExit) as stop:
                main(argv)
            err = capsys.readouterr().err
            assert stop.value.code == 2 and len(err.strip().splitlines()) == 1, (text, err)
            assert err.startswith(f"bcanalysis: error: argument {flag}: "), (text, err)
            assert repr(text) in err or f"invalid choice: {bounds(text)}" in err, (text, err)
        else:
            value = getattr(build_parser().parse_args(argv), action.dest)
            value = value[-1] if isinstance(value, list) else value
            assert type(value) is bounds.kind and bounds.low <= value <= bounds.high, (text, value)
    assert _refuses(bounds, "1e999") and _refuses(bounds, "nan") and _refuses(bounds, "99999999999999999999")


@pytest.mark.parametrize("command", ["scrape", "palettes", "extract", "sweep", "demo-server", "demo", "import"])
@pytest.mark.slow
def test_fuzz_through_the_real_command(command, tmp_path):
    """A sample of the fuzz through `python -m bcanalysis` itself: each command's numeric flags, two values each."""
    for _, flag, _, base in (f for f in _numeric_flags() if f[0] == command):
        for text in ("1e999", "99999999999999999999"):
            run = _cli(
                command,
                *[a.replace("x", str(tmp_path / "x")) if a == "x" else a for a in base],
                f"{flag}={text}",
                timeout=60,
            )
            assert run.returncode == 2 and "Traceback" not in run.stderr, (flag, text, run.stderr)
            assert run.stderr.startswith(f"bcanalysis: error: argument {flag}: must be "), run.stderr
            assert len(run.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())  # refused before anything was created


def test_the_reference_lists_every_flag_with_its_bounds():
    """docs/reference.md's table of ranges is the one in `FLAG_BOUNDS`."""
    from bcanalysis.cli.common import FLAG_BOUNDS

    lines = (REPO / "docs" / "reference.md").read_text(encoding="utf-8").splitlines()
    shown = {flag for _, flag, action, _ in _numeric_flags() if action.help != argparse.SUPPRESS}
    for key, bounds in FLAG_BOUNDS.items():
        command, _, flag = key.rpartition(" ")  # "demo --albums-per-tag": that subcommand's own range
        if flag not in shown:  # a hidden flag (--page-size, for tests)
            continue
        span = f"{bounds.low:g} … {bounds.high:g}" if bounds.kind is float else f"{bounds.low} … {bounds.high}"
        assert any(f"`{flag}`" in line and span in line and command in line for line in lines), (
            f"docs/reference.md: {key} {span}"
        )


def test_every_flag_takes_its_own_ends_as_typed():
    """`--rate 0.0001` and `--connect-timeout 0.1` were refused: the typed decimal was compared with the float."""
    from bcanalysis.cli.common import FLAG_BOUNDS

    for key, bounds in FLAG_BOUNDS.items():
        typed = [str(x) if isinstance(x, int) else f"{x:g}" for x in (bounds.low, bounds.high)]
        assert [bounds(text) for text in typed] == [bounds.low, bounds.high], key
