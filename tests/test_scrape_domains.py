"""Albums on their store's own domain, and redirects that cannot steer or stop a scrape, against real servers on
loopback addresses (127.0.0.1, the name 'localhost', and 127.0.0.2 as a second machine): custom-domain albums stored
and their pages read only from that domain, one URL parser for the allow-list and the request, malformed Location
headers failing one album or cover."""

from __future__ import annotations

import dataclasses
import io
import json
import time

import pytest
import requests
from _hostile import HostileServer, discover_item, json_reply
from PIL import Image

from bcanalysis.bandcamp import Client, ForeignHost, Politeness, ResponseError, album_ref
from bcanalysis.demo import DemoServer
from bcanalysis.scrape import scrape
from bcanalysis.store import Corpus

#: Fast rates for a server on 127.0.0.1, and a short wait before a refused page is tried again.
QUICK = Politeness(rate=500, cover_rate=500, challenge_wait=0.05)
FAST = {"politeness": QUICK, "progress": False}


def _settle(server: DemoServer) -> list:
    n = -1
    while n != len(server.requests):
        n = len(server.requests)
        time.sleep(0.1)
    return server.requests


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 200, 30)).save(out, "JPEG")
    return out.getvalue()


# --- 1. albums on their store's own domain ----------------------------------------------------------------------


@pytest.mark.slow
def test_own_domain_albums_are_stored_by_item_id_with_their_item_url(tmp_path):
    with DemoServer(albums_per_tag=40, max_cover_px=32, custom_host="localhost") as server:
        own = [a for a in server.listings["rock"] if server.on_own_domain(a)]
        assert own, "the demo plays some albums on their store's own domain"
        with Corpus(tmp_path / "c.sqlite") as corpus:
            summary = scrape(corpus, ["rock"], 40, base_url=server.url, **FAST)
            df = corpus.albums().set_index("item_id")
            truth = list(dict.fromkeys(server.listings["rock"]))[:40]
            assert set(df.index) == {a.item_id for a in truth} and summary.new_failures == 0  # before: own ones failed
            for a in own:
                row = df.loc[a.item_id]
                assert row["url"] == f"http://localhost:{server.port}/album/{a.slug}" and row["store"] == "localhost"
                assert row["item_url"] == row["url"]  # as listed, less ?from=discover_page
                assert (row["title"], row["artist"], row["art_id"], row["cover_status"]) == (
                    a.title,
                    a.artist,
                    a.art_id,
                    "ok",
                )
            assert all("?" not in u for u in df["item_url"])
        assert not [r for r in _settle(server) if (r.host or "").startswith("localhost")]  # no page: discover-only
    with DemoServer(albums_per_tag=40, max_cover_px=32, custom_host="localhost") as again:  # another port
        with Corpus(tmp_path / "c.sqlite") as corpus:
            summary = scrape(corpus, ["rock"], 40, base_url=again.url, **FAST)
            assert summary.new == 0 and len(corpus.albums()) == len(truth)  # one album per item id, whatever its URL


def test_own_domain_pages_come_only_from_that_domain_and_only_with_album_pages(tmp_path):
    with DemoServer(albums_per_tag=40, max_cover_px=32, custom_host="localhost") as server:
        own = {a.slug: a for a in dict.fromkeys(server.listings["metal"]) if server.on_own_domain(a)}
        assert own
        client = Client(server.url, politeness=QUICK)
        with Corpus(tmp_path / "c.sqlite") as corpus:
            summary = scrape(corpus, ["metal"], 40, client=client, album_pages=True, progress=False)
            df = corpus.albums().set_index("item_id")
            assert summary.pages["ok"] == len(df) and (df["page_status"] == "ok").all()
            for a in own.values():
                assert df.loc[a.item_id, "tags"] == a.page_tags
        requests = _settle(server)
        from_own = [r for r in requests if r.host == f"localhost:{server.port}"]
        assert sorted(r.path for r in from_own) == sorted(f"/album/{slug}" for slug in own)  # each once, from there
        assert all(r.host == f"127.0.0.1:{server.port}" for r in requests if r not in from_own)
        assert client.sent["site"] == len([r for r in requests if not r.path.startswith("/img/")])  # one limiter
        # the allow-list grew for those pages only: the same host is refused for anything else
        with pytest.raises(ForeignHost):
            client.fetch("site", "GET", f"http://localhost:{server.port}/album/{next(iter(own))}")
        ref = album_ref(f"http://localhost:{server.port}/album/{next(iter(own))}", local=True)
        assert client.album(ref)["title"] == next(iter(own.values())).title


def test_own_domain_pages_are_refused_like_any_page(tmp_path):
    with DemoServer(albums_per_tag=20, max_cover_px=32, custom_host="localhost", challenge_pages=True) as server:
        with Corpus(tmp_path / "c.sqlite") as corpus:
            summary = scrape(
                corpus,
                ["punk"],
                20,
                base_url=server.url,
                album_pages=True,
                politeness=dataclasses.replace(QUICK, max_refusals=3),
                progress=False,
            )
            assert summary.page_stop and "refused 3 album pages in a row" in summary.page_stop
            assert len(corpus.albums()) == len(list(dict.fromkeys(server.listings["punk"]))[:20])  # all kept


@pytest.mark.slow
def test_an_own_domain_page_cannot_redirect_to_another_host():
    jpeg = _jpeg()
    with HostileServer(lambda *_: (200, {}, b"<html>second machine</html>"), host="127.0.0.2") as other:

        def site(method, path, body):
            if path.startswith("/album/"):  # the store's own domain (asked for as 'localhost')
                return 302, {"Location": f"{other.url}/album/x"}, b""
            return 200, {"Content-Type": "image/jpeg"}, jpeg

        with HostileServer(site) as server:
            client = Client(server.url, politeness=QUICK)
            ref = album_ref(f"http://localhost:{server.port}/album/x", local=True)
            with pytest.raises(ForeignHost, match="127.0.0.2"):
                client.album(ref)
            assert len(server.log) == 1
        assert other.log == []


# --- 6. redirects cannot steer or stop it -----------------------------------------------------------------------


@pytest.mark.slow
def test_one_parser_decides_the_check_and_the_connection():
    # The allow-list read `http://127.0.0.2:P\@127.0.0.1:Q/…` as host 127.0.0.1 (urllib.parse) while the HTTP library
    # connected to 127.0.0.2 (it ends the host at the backslash): a redirect reached another machine.
    with HostileServer(lambda *_: (200, {}, b"secret of the second machine"), host="127.0.0.2") as other:

        def site(method, path, body):
            return 302, {"Location": f"http://127.0.0.2:{other.port}\\@127.0.0.1:{server.port}{path}x"}, b""

        with HostileServer(site) as server:
            client = Client(server.url, politeness=QUICK)
            with pytest.raises((ForeignHost, ResponseError)):
                client.cover(12345, 10)
            with pytest.raises((ForeignHost, ResponseError)):
                client.fetch("site", "GET", server.url + "/s/store/album/x")
            assert not client.allowed("site", f"http://127.0.0.2:{other.port}\\@127.0.0.1:{server.port}/x")
        assert other.log == []  # nothing reached 127.0.0.2


def test_the_request_goes_exactly_where_the_check_looked():
    seen = []
    with HostileServer(lambda m, path, b: seen.append(path) or (200, {}, b"ok")) as server:
        client = Client(server.url, politeness=Politeness(rate=500))
        for url in (f"{server.url}/s/café/album/crème?x=1#frag", f"{server.url.upper()}/s/x/album/y"):
            assert client.fetch("site", "GET", url).status == 200
        for url in (f"http://user@{server.url[7:]}/x", f"{server.url}/a b", f"http://127.0.0.1:{server.port}:1/x"):
            with pytest.raises(ForeignHost):
                client.fetch("site", "GET", url)
    assert seen == ["/s/caf%C3%A9/album/cr%C3%A8me?x=1", "/s/x/album/y"]


def _album_site(bad_cover: int, bad_page: str, location: str) -> HostileServer:
    """A fake Bandcamp of three albums whose cover `bad_cover` and page `bad_page` redirect to `location`."""
    jpeg = _jpeg()
    items = [discover_item(i) for i in (1, 2, 3)]

    def answer(method, path, body):
        if method == "POST":
            return json_reply({"results": items, "cursor": None, "result_count": 3})
        if path == f"/img/a{1000 + bad_cover:010d}_10.jpg" or path == bad_page:
            return 302, {"Location": location}, b""
        if path.startswith("/img/"):
            return 200, {"Content-Type": "image/jpeg"}, jpeg
        if path.startswith("/s/"):
            ld = {
                "@type": "MusicAlbum",
                "name": "T",
                "keywords": ["Ambient", "drone", "Oslo"],
                "byArtist": {"name": "B"},
            }
            return 200, {}, f'<script type="application/ld+json">{json.dumps(ld)}</script>'.encode()
        return 404, {}, b""

    return HostileServer(answer)


@pytest.mark.parametrize("location", ["http://127.0.0.1:99999/x", "http://[::1/x", "http://[::1]:99999/x"])
def test_a_malformed_location_fails_that_album_or_cover_only_and_a_rerun_goes_past_it(tmp_path, location):
    with _album_site(bad_cover=2, bad_page="/s/s3/album/t3", location=location) as server:
        with Corpus(tmp_path / "c.sqlite") as corpus:
            summary = scrape(corpus, ["rock"], 10, base_url=server.url, album_pages=True, **FAST)  # before: a crash
            df = corpus.albums().set_index("item_id")
            assert sorted(df.index) == [1, 2, 3] and df.loc[2, "cover_status"] == "failed"
            assert "malformed redirect" in df.loc[2, "cover_reason"] and location[:12] in df.loc[2, "cover_reason"]
            assert (df.loc[[1, 3], "cover_status"] == "ok").all()
            assert df.loc[3, "page_status"] == "failed" and "malformed redirect" in df.loc[3, "page_reason"]
            assert (df.loc[[1, 2], "page_status"] == "ok").all() and df.loc[1, "tags"] == ["ambient", "drone"]
            assert summary.pages["ok"] == 2
            before = [p for m, p, _, _ in server.log if m == "GET"]
            again = scrape(corpus, ["rock"], 10, base_url=server.url, album_pages=True, **FAST)
            assert again.new == 0 and not again.pages  # the rerun goes on, past both
            assert [p for m, p, _, _ in server.log if m == "GET"] == before  # no cover or page asked again


def test_the_demo_plays_own_domains_only_on_another_name_of_this_machine():
    for bad in ("127.0.0.1", "10.0.0.5", "example.com"):
        with pytest.raises(ValueError, match="custom_host"):
            DemoServer(albums_per_tag=2, custom_host=bad)
    with DemoServer(albums_per_tag=30, custom_host="localhost") as server:
        a = next(a for a in server.albums if server.on_own_domain(a))
        own = requests.get(f"http://localhost:{server.port}/album/{a.slug}", timeout=5)
        assert own.status_code == 200 and f"http://localhost:{server.port}/album/{a.slug}" in own.text
        assert requests.get(f"{server.url}/album/{a.slug}", timeout=5).status_code == 404  # not for 127.0.0.1
