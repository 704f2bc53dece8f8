"""One `Politeness` says how the client and the scrape treat a site: checked once when made (a bad value is one error
naming the field and the value), the command line's flags build it within its own ranges, and each knob reaches what
a server on 127.0.0.1 sees — pacing, User-Agent, connections, refusal limits, caps."""

from __future__ import annotations

import dataclasses
import inspect
import io
import threading
import time

import pytest
from _hostile import HostileServer, discover_item, json_reply
from PIL import Image

from bcanalysis import bandcamp
from bcanalysis.bandcamp import POLITENESS, Client, Politeness
from bcanalysis.cli import main
from bcanalysis.cli.common import FLAG_BOUNDS, POLITENESS_FLAGS
from bcanalysis.demo import DemoServer
from bcanalysis.scrape import scrape
from bcanalysis.store import Corpus

#: Fast for a server on 127.0.0.1; each test changes the knob it watches.
QUICK = Politeness(rate=500, cover_rate=500, challenge_wait=0.01, backoff=0)
UA = "bcanalysis/test (+https://example.org/politeness; a test of the politeness object)"


def _settle(server: DemoServer) -> list:
    """Every request the server has logged, once it has logged all it answered (it logs just after writing)."""
    n = -1
    while n != len(server.requests):
        n = len(server.requests)
        time.sleep(0.1)
    return server.requests


def _gaps(times: list[float]) -> list[float]:
    times = sorted(times)
    return [b - a for a, b in zip(times, times[1:], strict=False)]


# --- checked once, when made ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("rate", 0, ValueError),
        ("rate", float("nan"), ValueError),
        ("rate", "1", TypeError),
        ("cover_rate", 1e-320, ValueError),
        ("cover_connections", 0, ValueError),
        ("cover_connections", True, TypeError),
        ("cover_connections", 2.5, TypeError),
        ("backoff", -1, ValueError),
        ("backoff", 1e300, ValueError),
        ("challenge_wait", float("inf"), ValueError),
        ("max_refusals", 0, ValueError),
        ("retries", 11, ValueError),
        ("deadline", 0, ValueError),
        ("connect_timeout", -1.0, ValueError),
        ("max_pixels", 0, ValueError),
        ("page_cap", None, TypeError),
        ("user_agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0", ValueError),
        ("user_agent", "bcanalysis/1\r\nX-Injected: 1", ValueError),
        ("user_agent", 7, TypeError),
    ],
)
def test_a_bad_value_is_one_error_naming_the_field_and_the_value(field, value, error):
    with pytest.raises(error) as caught:
        Politeness(**{field: value})
    message = str(caught.value)
    assert message.startswith(f"{field} must be") and repr(value) in message and len(message.splitlines()) == 1


def test_one_object_holds_every_knob():
    polite = Politeness(cover_connections=2)
    assert Politeness(cover_connections=2) == polite and hash(polite) == hash(Politeness(cover_connections=2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        polite.rate = 99  # type: ignore[misc]
    with pytest.raises(ValueError, match="rate must be between"):
        dataclasses.replace(polite, rate=0)  # a changed copy is checked again
    knobs = {f.name for f in dataclasses.fields(Politeness)}
    assert set(Politeness.CONSTRAINTS) == knobs - {"user_agent"}
    client = Client(politeness=polite)
    assert client.politeness is polite and not knobs & set(vars(client))  # no copy of a knob beside it
    assert not knobs & set(inspect.signature(scrape).parameters)
    assert not knobs & set(inspect.signature(Client).parameters)
    with pytest.raises(TypeError, match="politeness must be a bcanalysis.bandcamp.Politeness"):
        Client(politeness={"rate": 1})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not both"):
        scrape(None, ["rock"], 1, client=client, politeness=QUICK)  # type: ignore[arg-type]


# --- the command line builds it, within its ranges --------------------------------------------------------------


def test_the_scrape_flags_take_their_ranges_from_the_politeness():
    for flag, field in POLITENESS_FLAGS.items():
        bounds, declared = FLAG_BOUNDS[flag], Politeness.CONSTRAINTS[field]
        assert (bounds.kind, bounds.low, bounds.high) == (declared.kind, declared.low, declared.high), flag
        for value in (bounds.low, bounds.high):  # every number a flag takes makes a Politeness
            assert getattr(Politeness(**{field: bounds(str(value))}), field) == value


def test_every_politeness_flag_reaches_the_client(tmp_path, monkeypatch):
    made = []

    class Recording(Client):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(bandcamp, "Client", Recording)
    flags = {
        "--rate": "400",
        "--cover-rate": "300",
        "--cover-connections": "3",
        "--max-refusals": "7",
        "--challenge-wait": "0.5",
        "--backoff": "0.25",
    }
    assert set(flags) == set(POLITENESS_FLAGS)
    with DemoServer(albums_per_tag=2, max_cover_px=32) as server:
        argv = [
            "scrape",
            "--db",
            str(tmp_path / "c.sqlite"),
            "--tag",
            "rock",
            "--albums-per-tag",
            "2",
            "--base-url",
            server.url,
            "--no-progress",
            *[x for pair in flags.items() for x in pair],
        ]
        assert main(argv) == 0
    (client,) = made
    for flag, field in POLITENESS_FLAGS.items():
        assert getattr(client.politeness, field) == FLAG_BOUNDS[flag](flags[flag]), flag
    assert (
        dataclasses.replace(client.politeness, **{f: getattr(POLITENESS, f) for f in POLITENESS_FLAGS.values()})
        == POLITENESS
    )  # the knobs no flag sets keep their defaults


# --- what the server sees ---------------------------------------------------------------------------------------


def test_rates_and_user_agent_are_the_politeness_s(tmp_path):
    # slower than the defaults (1 and 5 a second) and unlike each other: site requests 1.25 s apart, covers 0.4 s
    slow = Politeness(rate=0.8, cover_rate=2.5, user_agent=UA)
    with DemoServer(albums_per_tag=3, max_cover_px=32) as server:
        with Corpus(tmp_path / "c.sqlite") as corpus:
            summary = scrape(corpus, ["rock", "metal"], 2, base_url=server.url, politeness=slow, progress=False)
        requests = _settle(server)
    site = [r.time for r in requests if not r.path.startswith("/img/")]
    covers = [r.time for r in requests if r.path.startswith("/img/")]
    assert len(site) == 2 and len(covers) == summary.new >= 3
    slack = 0.05  # the server logs a request once answered
    assert min(_gaps(site)) >= 1 / slow.rate - slack and min(_gaps(covers)) >= 1 / slow.cover_rate - slack
    assert {r.user_agent for r in requests} == {UA}


def _site(hold: float, inflight: list[int]) -> HostileServer:
    """Discover: six albums; covers: answered after `hold` seconds, the most answered at once kept in inflight[1]."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 30, 200)).save(out, "JPEG")
    lock, jpeg = threading.Lock(), out.getvalue()
    results = [discover_item(i, band_location=None) for i in range(1, 7)]

    def answer(method, path, body):
        if method == "POST":
            return json_reply({"results": results, "cursor": None})
        with lock:
            inflight[0] += 1
            inflight[1] = max(inflight)
        time.sleep(hold)
        with lock:
            inflight[0] -= 1
        return 200, {"Content-Type": "image/jpeg"}, jpeg

    return HostileServer(answer)


@pytest.mark.parametrize("connections", [1, 3])
def test_cover_connections_are_the_politeness_s(tmp_path, connections):
    inflight = [0, 0]  # now, most
    with _site(0.5, inflight) as server, Corpus(tmp_path / "c.sqlite") as corpus:
        polite = dataclasses.replace(QUICK, cover_connections=connections)
        assert scrape(corpus, ["rock"], 6, base_url=server.url, politeness=polite, progress=False).new == 6
    assert inflight[1] == connections


def test_refusal_limits_are_the_politeness_s(tmp_path):
    with DemoServer(albums_per_tag=6, max_cover_px=32, challenge_pages=True) as server:
        with Corpus(tmp_path / "a.sqlite") as corpus:
            polite = dataclasses.replace(QUICK, max_refusals=4)
            stopped = scrape(
                corpus, ["punk"], 6, base_url=server.url, politeness=polite, album_pages=True, progress=False
            )
        pages = [r for r in _settle(server) if "/album/" in r.path]
        assert len(pages) == 4 and "refused 4 album pages in a row" in stopped.page_stop
        with Corpus(tmp_path / "b.sqlite") as corpus:
            polite = dataclasses.replace(QUICK, max_refusals=100, challenge_tries=2)
            tried = scrape(
                corpus, ["punk"], 3, base_url=server.url, politeness=polite, album_pages=True, progress=False
            )
        pages = [r for r in _settle(server) if "/album/" in r.path][4:]
        assert len(pages) == 2 * 3 and tried.pages["refused 2 times"] == 3 and tried.page_stop is None


def test_caps_and_tries_are_the_politeness_s(tmp_path):
    with DemoServer(albums_per_tag=3, max_cover_px=64) as server:
        for name, polite, reason in [
            ("pixels", dataclasses.replace(QUICK, max_pixels=64 * 64 - 1), "pixel budget"),
            ("bytes", dataclasses.replace(QUICK, cover_cap=100), "over the 100-byte cap"),
        ]:
            with Corpus(tmp_path / f"{name}.sqlite") as corpus:
                summary = scrape(corpus, ["rock"], 3, base_url=server.url, politeness=polite, progress=False)
                reasons = corpus.albums()["cover_reason"]
            assert summary.covers == {"failed": 3} and all(reason in r for r in reasons), (name, list(reasons))
        before = len(_settle(server))
        with Corpus(tmp_path / "page.sqlite") as corpus:
            polite = dataclasses.replace(QUICK, page_cap=50, discover_tries=2)
            summary = scrape(corpus, ["rock"], 3, base_url=server.url, politeness=polite, progress=False)
        posts = [r for r in _settle(server)[before:] if r.method == "POST"]
    assert len(posts) == 2 and summary.new == 0
    assert "gave up after 2 tries" in summary.discover_errors[0] and "50-byte cap" in summary.discover_errors[0]
