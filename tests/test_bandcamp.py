"""The Bandcamp client: album-page parsing (real ld+json blocks, fallbacks, entities) and polite HTTP."""

from __future__ import annotations

import html
import json
import time

import pytest

from bcanalysis import bandcamp
from bcanalysis.bandcamp import (
    ApiError,
    ChallengePage,
    Client,
    RateLimiter,
    check_tag,
    cover_url,
    parse_album_page,
    retry_after_seconds,
)
from bcanalysis.demo import DemoServer, album_page, catalogue
from bcanalysis.demo.server import CHALLENGE_PAGE


def _page(ld: dict | None = None, *, tralbum: dict | None = None, body: str = "", head: str = "") -> str:
    """A minimal album page around an ld+json block and/or a data-tralbum attribute."""
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'>", head]
    if ld is not None:
        parts.append(f'<script type="application/ld+json">{json.dumps(ld)}</script>')
    if tralbum is not None:
        parts.append(f'<script data-tralbum="{html.escape(json.dumps(tralbum))}"></script>')
    parts += ["</head><body>", body, "</body></html>"]
    return "".join(parts)


def _reference_blocks(shared_reference):
    folder = shared_reference / "bandcamp-ldjson"
    if not folder.is_dir():
        pytest.skip(f"no bandcamp-ldjson reference blocks in {folder}")
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}


def test_real_ldjson_blocks_parse_to_their_canonical_fields(shared_reference):
    blocks = _reference_blocks(shared_reference)
    assert len(blocks) == 20
    for name, ld in blocks.items():
        got = parse_album_page(_page(ld), url="https://example.invalid/")
        assert got["url"] == ld["@id"], name
        assert got["store"] == ld["@id"].split("//")[1].split(".")[0], name
        assert got["album"] == ld["@id"].rstrip("/").rsplit("/", 1)[1], name
        assert got["artist"] == " ".join(ld["byArtist"]["name"].split()), name
        assert got["title"] == " ".join(ld["name"].split()), name
        assert got["image_url"] == ld["image"], name
        assert f"/img/a{got['art_id']:010d}_10.jpg" in ld["image"], name  # ids are zero-padded in URLs
        assert len(got["release_date"]) == 10, name
        lowered = [t.lower() for t in got["tags"]]
        assert len(lowered) == len(set(lowered)), name  # 'Techno' and 'techno' kept once
        assert {k.lower() for k in ld["keywords"]} == set(lowered), name


def test_a_real_block_keeps_first_spelling_of_case_duplicates_and_iso_dates(shared_reference):
    ld = _reference_blocks(shared_reference)["hex002"]
    got = parse_album_page(_page(ld))
    assert got["tags"] == ["Electronic", "Techno", "Barcelona"]
    assert got["release_date"] == "2019-10-04"
    assert got["store"] == "hexbarcelona" and got["art_id"] == 3115894657


def test_entities_and_zero_width_spaces_are_cleaned_from_titles_and_artists():
    ld = {
        "@type": "MusicAlbum",
        "@id": "https://x.bandcamp.com/album/rock-roll",
        "name": "Rock &amp; Roll\u200b \u200bPart&#39;s",
        "byArtist": {"name": "The\u200b &quot;Band&quot;"},
        "image": "https://f4.bcbits.com/img/a0000000123_10.jpg",
    }
    got = parse_album_page(_page(ld))
    assert got["title"] == "Rock & Roll Part's"
    assert got["artist"] == 'The "Band"'
    assert got["art_id"] == 123


def test_without_ldjson_the_tralbum_tags_and_og_meta_are_used():
    tralbum = {"art_id": 77, "artist": "Zed &amp; Co", "current": {"title": "Low\u200bTide",
               "release_date": "01 Feb 2019 00:00:00 GMT"}, "url": "https://zed.bandcamp.com/album/low-tide"}
    body = '<div class="tralbum-tags"><a class="tag" href="#">dub</a><a class="tag" href="#">Dub</a>' \
           '<a class="tag" href="#">Bristol &amp; Bath</a></div>'
    head = '<meta property="og:image" content="https://f4.bcbits.com/img/a0000000077_10.jpg">'
    got = parse_album_page(_page(tralbum=tralbum, body=body, head=head))
    assert got == {
        "url": "https://zed.bandcamp.com/album/low-tide",
        "store": "zed",
        "album": "low-tide",
        "title": "LowTide",
        "artist": "Zed & Co",
        "art_id": 77,
        "release_date": "2019-02-01",
        "tags": ["dub", "Bristol & Bath"],
        "image_url": "https://f4.bcbits.com/img/a0000000077_10.jpg",
    }


def test_missing_art_gives_no_image_and_challenges_raise():
    album = catalogue(3, 0)[0]
    got = parse_album_page(album_page(album, "http://127.0.0.1:1", art=False))
    assert got["image_url"] is None and got["art_id"] is None and got["title"] == album.title
    with pytest.raises(ChallengePage, match="no album data"):
        parse_album_page(CHALLENGE_PAGE, "https://x.bandcamp.com/album/y")
    with pytest.raises(ChallengePage):
        parse_album_page("<html><body><p>{not json}</p></body></html>")


def test_demo_pages_parse_back_to_the_catalogue_truth():
    albums = catalogue(10, 0)
    tricky = [a for a in albums if a.zero_width_title or any(c in a.title for c in "&\"<")]
    assert any(a.zero_width_title for a in tricky) and any("&" in a.title for a in tricky)
    for album in tricky:
        for ldjson in (True, False):
            got = parse_album_page(album_page(album, "http://127.0.0.1:9", ldjson=ldjson))
            assert got["title"] == album.title and got["artist"] == album.artist
            assert got["url"] == album.url and got["tags"] == list(album.tags)
            assert got["release_date"] == album.release_date.isoformat() and got["art_id"] == album.art_id


def test_small_helpers_validate_and_name_bad_values():
    assert cover_url("https://f4.bcbits.com/img/a123_10.jpg", 2) == "https://f4.bcbits.com/img/a123_2.jpg"
    with pytest.raises(ValueError, match="got 11"):
        cover_url("https://f4.bcbits.com/img/a123_10.jpg", 11)
    assert check_tag("hip-hop-rap") == "hip-hop-rap"
    with pytest.raises(ValueError, match="'Hip Hop'.*did you mean 'hip-hop'"):
        check_tag("Hip Hop")
    assert retry_after_seconds("7", 1.0) == 7.0
    assert retry_after_seconds(None, 1.5) == 1.5 and retry_after_seconds("soon", 2.0) == 2.0
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 <= retry_after_seconds(future, 1.0) <= 31
    with pytest.raises(ValueError, match="got 0"):
        RateLimiter(0)


def test_rate_limiter_spaces_requests():
    limiter = RateLimiter(50)
    start = time.monotonic()
    for _ in range(11):
        limiter.wait()
    assert 0.19 <= time.monotonic() - start < 0.6


def _client(server: DemoServer, **kwargs) -> Client:
    return Client(server.url, rate=kwargs.pop("rate", 200), backoff=kwargs.pop("backoff", 0.01), **kwargs)


def test_client_sends_its_user_agent_and_pages_discover_with_a_cursor():
    with DemoServer(albums_per_tag=12) as server:
        client = _client(server)
        first = client.discover("rock", size=5)
        second = client.discover("rock", first.cursor, size=5)
        assert len(first.items) == 5 and first.cursor and first.result_count == len(server.listings["rock"])
        assert {i["item_id"] for i in first.items}.isdisjoint(i["item_id"] for i in second.items)
        item = first.items[0]
        assert item["item_url"].endswith("?from=discover_page") and item["primary_image"]["image_id"]
        assert client.discover("no-such-tag").items == []
    assert all(r.user_agent == bandcamp.USER_AGENT for r in server.requests)
    assert bandcamp.USER_AGENT.startswith("bcanalysis/")
    assert [r.tag for r in server.requests] == ["rock", "rock", "no-such-tag"]


def test_client_waits_out_429_retry_after_and_retries_503():
    with DemoServer(albums_per_tag=12, faults=True) as server:
        client = _client(server)
        by_kind = {kind: next(a for a in server.albums if server.fault_plan.get(a.item_id) == kind)
                   for kind in ("rate_limit", "unavailable")}
        for album in by_kind.values():
            assert client.album(f"{server.url}/s/{album.store}/album/{album.slug}")["title"] == album.title
    pages = [r for r in server.requests if r.path.startswith("/s/")]
    assert [r.status for r in pages] == [429, 200, 503, 503, 200]
    assert pages[1].time - pages[0].time >= 0.95  # Retry-After: 1 honoured
    assert client.requests_sent == 3  # the 503 retries happen inside urllib3's Retry


def test_client_reports_api_error_objects_and_malformed_json():
    with DemoServer(albums_per_tag=5, faults=True) as server:
        client = _client(server)
        with pytest.raises(ApiError, match="discover API error for tag 'chill'"):
            client.discover("chill")  # tag index 0: an __api_special__ error object first
        assert client.discover("chill").items
        with pytest.raises(ApiError, match="malformed JSON"):
            client.discover("electronic")  # tag index 1: truncated JSON first
        assert client.discover("electronic").items
