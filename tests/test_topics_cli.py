"""`bcanalysis sweep`: from a corpus's albums to the metrics table, the recommendation and the figures."""

from __future__ import annotations

import socket
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from bcanalysis import cli, topics
from bcanalysis.store import Corpus, Cover


def _corpus(path: Path, n: int = 300, *, palettes: bool = True) -> Path:
    """A real corpus of `n` albums with planted palettes, each tagged by its dominant planted topic."""
    planted = topics.planted_palettes(n, 3, random_state=4)
    with Corpus(path) as corpus:
        for i, (pal, mix) in enumerate(zip(planted.palettes, planted.mixtures, strict=True)):
            album = {
                "url": f"https://s.bandcamp.com/album/{i}",
                "store": "s",
                "album": str(i),
                "title": f"t{i}",
                "artist": f"a{i}",
                "tags": [f"tag{mix.argmax()}"],
            }
            album_id = corpus.add_album(album, Cover("missing", "-"))
            if palettes:
                colours = [SimpleNamespace(rgb=tuple(int(v) for v in c[:3]), proportion=float(c[3])) for c in pal]
                corpus.save_palettes([(album_id, colours)], "test/1")
    return path


@pytest.mark.slow
def test_sweep_command_writes_table_recommendation_and_figures(tmp_path, monkeypatch, capsys):
    db = _corpus(tmp_path / "corpus.sqlite")
    out = tmp_path / "out"
    code = cli.main(
        ["sweep", "--db", str(db), "--out", str(out), "--bits", "12", "--max-n", "4", "--workers", "1", "--no-progress"]
    )
    assert code == 0
    table = pd.read_csv(out / "sweep.csv")
    assert list(table["n_topics"]) == [1, 2, 3, 4]
    rec = pd.read_csv(out / "recommend.csv")
    assert rec.loc[0, "n_topics"] == 3
    for name in ("sweep.png", "topics-12bit.png", "tag-topics-12bit.png", "tag-topics-12bit.csv"):
        assert (out / name).stat().st_size > 0, name
    assert "12 bit: n = 3. " in capsys.readouterr().out
    assert len(list((out / "models").glob("*.json"))) == 8  # the cache: 4 n × 2 seeds


def test_sweep_command_errors_are_user_errors(tmp_path, monkeypatch, capsys):
    assert cli.main(["sweep", "--db", str(tmp_path / "nope.sqlite"), "--out", str(tmp_path)]) == 2
    assert "no corpus" in capsys.readouterr().err
    bare = _corpus(tmp_path / "bare.sqlite", 20, palettes=False)
    assert cli.main(["sweep", "--db", str(bare), "--out", str(tmp_path / "o")]) == 2
    assert "no album" in capsys.readouterr().err
    db = _corpus(tmp_path / "corpus.sqlite", 50)
    with pytest.raises(SystemExit) as stop:  # refused by its choices while parsing, before the corpus is read
        cli.main(["sweep", "--db", str(db), "--out", str(tmp_path / "o"), "--bits", "10"])
    assert stop.value.code == 2 and "--bits: invalid choice: 10" in capsys.readouterr().err


def _sweep_args(tmp_path, *extra: str) -> list[str]:
    db = tmp_path / "corpus.sqlite"
    if not db.exists():
        _corpus(db, 60)
    return [
        "sweep",
        "--db",
        str(db),
        "--out",
        str(tmp_path / "out"),
        "--bits",
        "9",
        "--max-n",
        "3",
        "--workers",
        "1",
        "--no-progress",
        *extra,
    ]


def test_sweep_refuses_a_negative_seed_naming_the_flag(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(_sweep_args(tmp_path, "--seed", "-1"))
    assert info.value.code == 2
    assert "--seed" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--out", "--cache-dir"])
def test_sweep_says_so_when_it_cannot_write(tmp_path, monkeypatch, capsys, flag):
    args = _sweep_args(tmp_path) + [flag, "/proc/bcanalysis-test"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("bcanalysis: error: ") and f"{flag} /proc/bcanalysis-test" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        (OSError(28, "No space left on device"), "No space left on device"),
        (RuntimeError("fit bits=9 n_topics=3 seed=1 failed on the executor"), "failed on the executor"),
        (MemoryError(), "MemoryError"),
    ],
)
def test_sweep_failures_are_messages_with_exit_status_1(tmp_path, monkeypatch, capsys, exc, text):

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(topics, "sweep", fail)
    assert cli.main(_sweep_args(tmp_path)) == 1
    err = capsys.readouterr().err
    assert err.startswith("bcanalysis: error: ") and text in err


def test_sweep_bad_options_are_argument_errors(tmp_path, monkeypatch, capsys):
    assert cli.main(_sweep_args(tmp_path, "--weighting", "bm25")) == 2
    assert "bm25" in capsys.readouterr().err
    assert cli.main(_sweep_args(tmp_path, "--scheduler", "nonsense::")) == 2
    assert "--scheduler nonsense::" in capsys.readouterr().err


@pytest.mark.slow
def test_sweep_says_when_the_scheduler_cannot_be_reached(tmp_path, monkeypatch, capsys):
    pytest.importorskip("distributed")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert cli.main(_sweep_args(tmp_path, "--scheduler", f"tcp://127.0.0.1:{port}", "--connect-timeout", "1")) == 1
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in capsys.readouterr().err
