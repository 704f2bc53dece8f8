"""What a scrape does with results it cannot fully read, against a server on 127.0.0.1: one unreadable field costs
that field (the album is stored, its cover missing with the reason), a page where nothing (or one field nowhere) can
be read stops loudly, and failures are counted once per run however often a restarted tag lists them, new apart
from those known from earlier runs."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from _hostile import HostileServer, discover_item, json_reply
from PIL import Image

from bcanalysis.bandcamp import Politeness, SchemaDrift
from bcanalysis.cli import main
from bcanalysis.scrape import scrape
from bcanalysis.store import Corpus

#: Fast rates for a server on 127.0.0.1, and a short wait before a refused page is tried again.
QUICK = Politeness(rate=500, cover_rate=500, challenge_wait=0.05)
FAST = {"politeness": QUICK, "progress": False}


def _item(i: int, **change) -> dict:
    return discover_item(i, **{"release_date": "2026-08-03 00:00:00 UTC", **change})


def _site(pages: dict) -> HostileServer:
    """A fake Bandcamp: `pages` maps a request cursor to a discover answer; unknown cursors are stale (500 `{}`)."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "JPEG")
    jpeg = out.getvalue()

    def answer(method, path, body):
        if method == "POST":
            reply = pages.get(json.loads(body)["cursor"])
            return json_reply(reply) if reply is not None else (500, {"Content-Type": "application/json"}, b"{}")
        if path.startswith("/img/"):
            return 200, {"Content-Type": "image/jpeg"}, jpeg
        return 404, {}, b""

    return HostileServer(answer)


# --- 4. one unreadable field sinks one album, not the page --------------------------------------------------------


def test_an_unreadable_art_id_costs_the_cover_not_the_album(tmp_path):
    results = [_item(1), _item(2, primary_image={"image_id": "1002"}), _item(3, release_date="soon"), _item(4)]
    with _site({"*": {"results": results, "cursor": None}}) as server:
        with Corpus(tmp_path / "c.sqlite") as corpus:
            summary = scrape(corpus, ["rock"], 10, base_url=server.url, **FAST)
            df = corpus.albums().set_index("item_id")
            assert sorted(df.index) == [1, 2, 3, 4] and summary.new == 4  # before: 2 and 3 were lost
            assert (df.loc[2, "title"], df.loc[2, "artist"], df.loc[2, "location"]) == ("T2", "B2", "Oslo, Norway")
            assert df.loc[2, "cover_status"] == "missing" and "image_id" in df.loc[2, "cover_reason"]
            assert "not an integer" in df.loc[2, "cover_reason"]
            assert df.loc[3, "cover_status"] == "ok" and pd.isna(df.loc[3, "release_date"])
            assert corpus.failures().empty
            assert sum(summary.partial.values()) == 2 and "unreadable field" in summary.report()
    assert "/img/a0000001002_10.jpg" not in [p for _, p, _, _ in server.log]


@pytest.mark.parametrize("change", [{"item_id": "x"}, {"primary_image": "555"}, {"band_genre_id": "10"}])
def test_a_page_where_nothing_or_one_field_nowhere_can_be_read_stops_loudly(tmp_path, change):
    results = [{**_item(i), **change} for i in range(1, 7)]
    with _site({"*": {"results": results, "cursor": "next"}}) as server:
        with Corpus(tmp_path / "c.sqlite") as corpus:
            field = next(iter(change))
            with pytest.raises(SchemaDrift, match=field):
                scrape(corpus, ["rock"], 10, base_url=server.url, **FAST)
            assert corpus.albums().empty and corpus.progress("rock") is None  # nothing from that page stored


# --- 5. failures counted honestly ---------------------------------------------------------------------------------


def _failing_site() -> HostileServer:
    """Two albums that cannot be stored (no usable URL) among three good ones; the cursor after the first page is
    stale, so the tag restarts once and lists the same results again."""
    results = [
        _item(1),
        _item(2, item_url="ftp://x/y"),
        _item(3),
        _item(4, item_url="https://x.bandcamp.com/z"),
        _item(5),
    ]
    return _site({"*": {"results": results, "cursor": "gone"}})


@pytest.mark.slow
def test_a_failure_counts_once_per_run_however_often_a_restart_lists_it(tmp_path, capsys):
    with _failing_site() as server:
        with Corpus(tmp_path / "c.sqlite") as corpus:
            summary = scrape(corpus, ["rock"], 10, base_url=server.url, **FAST)
            posts = [p for m, p, _, _ in server.log if m == "POST"]
            assert len(posts) >= 3  # first page, stale cursor, first page again (a restart), …
            assert any("listed again from the first page" in n for n in summary.notes)
            assert sum(summary.failed.values()) == 2  # before: 4, each failure counted again by the restart
            assert summary.failed_ids == {2, 4} and summary.new_failures == 2
            assert sorted(corpus.failures()["item_id"]) == [2, 4] and summary.new == 3
        code = main(
            [
                "scrape",
                "--db",
                str(tmp_path / "c.sqlite"),
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
            ]
        )
        out = capsys.readouterr().out
        assert code == 0
        assert "albums: 0 new, 0 already had, 0 failed" in out  # the rerun adds no failure …
        assert "failures: 0 new this run, 2 known from earlier runs (--retry-failed tries them again)" in out


@pytest.mark.slow
def test_a_rerun_tells_new_failures_from_known_ones(tmp_path):
    first = {"*": {"results": [_item(1), _item(2, item_url="ftp://x/y")], "cursor": None}}
    with _site(first) as server, Corpus(tmp_path / "c.sqlite") as corpus:
        one = scrape(corpus, ["rock"], 10, base_url=server.url, **FAST)
        assert (one.new_failures, len(one.known_failures)) == (1, 0)
    grown = {
        "*": {"results": [_item(1), _item(2, item_url="ftp://x/y"), _item(3, item_url="gopher://z")], "cursor": None}
    }
    with _site(grown) as server, Corpus(tmp_path / "c.sqlite") as corpus:
        two = scrape(corpus, ["rock"], 10, base_url=server.url, **FAST)
        assert (two.new_failures, two.known_failures) == (1, {2})  # item 3 is new, item 2 was known
        assert "failures: 1 new this run, 1 known from earlier runs" in two.report()
