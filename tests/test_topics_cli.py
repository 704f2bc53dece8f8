"""`bcanalysis sweep`: from a corpus's albums to the metrics table, the recommendation and the figures."""

from __future__ import annotations

import contextlib
import socket

import pandas as pd
import pytest

from bcanalysis import cli, topics


def _albums(n: int = 300) -> pd.DataFrame:
    planted = topics.planted_palettes(n, 3, random_state=4)
    return pd.DataFrame({
        "url": [f"https://s.bandcamp.com/album/{i}" for i in range(n)],
        "title": [f"t{i}" for i in range(n)],
        "artist": [f"a{i}" for i in range(n)],
        "tags": [[f"tag{d}"] for d in planted.mixtures.argmax(axis=1)],
        "colorgram": [[tuple(int(v) for v in c[:3]) for c in p] for p in planted.palettes],
        "proportions": [list(p[:, 3]) for p in planted.palettes],
    })


class _FakeCorpus(contextlib.AbstractContextManager):
    def __init__(self, albums: pd.DataFrame):
        self._albums = albums

    def albums(self) -> pd.DataFrame:
        return self._albums

    def __exit__(self, *exc) -> None:
        return None


def test_sweep_command_writes_table_recommendation_and_figures(tmp_path, monkeypatch, capsys):
    db = tmp_path / "corpus.sqlite"
    db.write_bytes(b"")
    monkeypatch.setattr(cli.common, "open_corpus", lambda path, **kw: _FakeCorpus(_albums()))
    out = tmp_path / "out"
    code = cli.main(["sweep", "--db", str(db), "--out", str(out), "--bits", "12", "--max-n", "4", "--workers", "1",
                     "--no-progress"])
    assert code == 0
    table = pd.read_csv(out / "sweep.csv")
    assert list(table["n_topics"]) == [1, 2, 3, 4]
    rec = pd.read_csv(out / "recommend.csv")
    assert rec.loc[0, "n_topics"] == 3
    for name in ("sweep.png", "topics-12bit.png", "tag-topics-12bit.png", "tag-topics-12bit.csv"):
        assert (out / name).stat().st_size > 0, name
    assert "12 bit: n=3" in capsys.readouterr().out
    assert len(list((out / "models").glob("*.json"))) == 8  # the cache: 4 n × 2 seeds


def test_sweep_command_errors_are_user_errors(tmp_path, monkeypatch, capsys):
    assert cli.main(["sweep", "--db", str(tmp_path / "nope.sqlite"), "--out", str(tmp_path)]) == 2
    assert "no corpus" in capsys.readouterr().err
    db = tmp_path / "corpus.sqlite"
    db.write_bytes(b"")
    monkeypatch.setattr(cli.common, "open_corpus", lambda path, **kw: _FakeCorpus(_albums().assign(colorgram=None)))
    assert cli.main(["sweep", "--db", str(db), "--out", str(tmp_path / "o")]) == 2
    assert "no album" in capsys.readouterr().err
    monkeypatch.setattr(cli.common, "open_corpus", lambda path, **kw: _FakeCorpus(_albums(50)))
    assert cli.main(["sweep", "--db", str(db), "--out", str(tmp_path / "o"), "--bits", "10"]) == 2
    assert "got 10" in capsys.readouterr().err


def _sweep_args(tmp_path, *extra: str) -> list[str]:
    db = tmp_path / "corpus.sqlite"
    db.write_bytes(b"")
    return ["sweep", "--db", str(db), "--out", str(tmp_path / "out"), "--bits", "9", "--max-n", "3", "--workers",
            "1", "--no-progress", *extra]


def test_sweep_refuses_a_negative_seed_naming_the_flag(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(_sweep_args(tmp_path, "--seed", "-1"))
    assert info.value.code == 2
    assert "--seed" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--out", "--cache-dir"])
def test_sweep_says_so_when_it_cannot_write(tmp_path, monkeypatch, capsys, flag):
    monkeypatch.setattr(cli.common, "open_corpus", lambda path, **kw: _FakeCorpus(_albums(60)))
    args = _sweep_args(tmp_path) + [flag, "/proc/bcanalysis-test"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("bcanalysis: error: ") and f"{flag} /proc/bcanalysis-test" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("exc", "text"), [
    (OSError(28, "No space left on device"), "No space left on device"),
    (RuntimeError("fit bits=9 n_topics=3 seed=1 failed on the executor"), "failed on the executor"),
    (MemoryError(), "MemoryError"),
])
def test_sweep_failures_are_messages_with_exit_status_1(tmp_path, monkeypatch, capsys, exc, text):
    monkeypatch.setattr(cli.common, "open_corpus", lambda path, **kw: _FakeCorpus(_albums(60)))

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(topics, "sweep", fail)
    assert cli.main(_sweep_args(tmp_path)) == 1
    err = capsys.readouterr().err
    assert err.startswith("bcanalysis: error: ") and text in err


def test_sweep_bad_options_are_argument_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli.common, "open_corpus", lambda path, **kw: _FakeCorpus(_albums(60)))
    assert cli.main(_sweep_args(tmp_path, "--weighting", "bm25")) == 2
    assert "bm25" in capsys.readouterr().err
    assert cli.main(_sweep_args(tmp_path, "--scheduler", "nonsense::")) == 2
    assert "--scheduler nonsense::" in capsys.readouterr().err


def test_sweep_says_when_the_scheduler_cannot_be_reached(tmp_path, monkeypatch, capsys):
    pytest.importorskip("distributed")
    monkeypatch.setattr(cli.common, "open_corpus", lambda path, **kw: _FakeCorpus(_albums(60)))
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert cli.main(_sweep_args(tmp_path, "--scheduler", f"tcp://127.0.0.1:{port}", "--connect-timeout", "1")) == 1
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in capsys.readouterr().err
