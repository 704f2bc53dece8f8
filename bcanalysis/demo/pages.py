"""Album pages as Bandcamp serves them, for the offline demo server: ld+json (the place last among the keywords, a
capitalised twin of the genre now and then), data-tralbum, tag anchors, og: meta; and the challenge page Bandcamp
answers programs with instead."""

from __future__ import annotations

import html
import json
from typing import Any

from bcanalysis.demo.catalogue import Album

CHALLENGE_PAGE = """<!DOCTYPE html>
<html><head><title>Client Challenge</title><meta name="robots" content="noindex"></head>
<body><noscript>JavaScript is disabled in your browser. Please enable JavaScript to proceed.</noscript>
<div id="challenge-container"></div><script src="/_fs-ch-1T1wmsGaOgGaSxcX/script.js"></script></body></html>
"""


def bandcamp_date(d) -> str:
    """A date as album pages write it: '17 Jul 2020 00:00:00 GMT'."""
    return d.strftime("%d %b %Y 00:00:00 GMT")


def shown_title(album: Album) -> str:
    """The title as served: some carry a zero-width space, as real ones do."""
    return album.title.replace(" ", " \u200b", 1) if album.zero_width_title else album.title


def keywords(album: Album) -> list[str]:
    """The page's keywords as Bandcamp writes them: a capitalised twin of the genre now and then, the place last,
    and for one album in four the country in full ("United Kingdom" where the location says "UK") mid-list and
    again at the very end."""
    words = list(album.tags)
    if album.item_id % 3 == 0:
        words = [album.tag.title(), *words]
    if album.item_id % 4 == 1 and album.country_name:
        genres, city = words[:-1], words[-1]
        middle = (len(genres) + 1) // 2
        words = [*genres[:middle], album.country_name, *genres[middle:], city, album.country_name]
    return words


def album_page(
    album: Album,
    base_url: str,
    *,
    art: bool = True,
    ldjson: bool = True,
    image_url: str | None = None,
    page_url: str | None = None,
) -> str:
    """The album's page as Bandcamp serves it (art=False: no cover art; ldjson=False: no ld+json block; page_url:
    where it lives when not on <store>.bandcamp.com, i.e. on its store's own domain)."""
    title = shown_title(album)
    url = page_url or album.url
    store_url = url.rsplit("/", 2)[0] if page_url else f"https://{album.store}.bandcamp.com"
    image = image_url or f"{base_url}/img/a{album.art_id:010d}_10.jpg"
    publisher = album.label if album.on_label_page else album.artist
    ld: dict[str, Any] = {
        "@context": "https://schema.org",
        "@id": url,
        "@type": "MusicAlbum" if album.item_type == "a" else "MusicRecording",
        "name": title,
        "byArtist": {"@type": "MusicGroup", "name": album.artist, "@id": store_url},
        "publisher": {
            "@type": "MusicGroup",
            "name": publisher,
            "@id": store_url,
            "foundingLocation": {"@type": "Place", "name": album.location},
        },
        "datePublished": bandcamp_date(album.release_date),
        "keywords": keywords(album),
        "additionalProperty": [{"@type": "PropertyValue", "name": "art_id", "value": album.art_id}],
    }
    if art:
        ld["image"] = image
    tralbum = {
        "id": album.item_id,
        "item_type": album.kind,
        "art_id": album.art_id if art else None,
        "artist": album.artist,
        "current": {"title": title, "release_date": bandcamp_date(album.release_date), "art_id": album.art_id},
        "url": url,
    }
    tags = "".join(
        f'<a class="tag" href="https://bandcamp.com/discover/{html.escape(t.lower())}">{html.escape(t)}</a>'
        for t in keywords(album)
    )
    art_html = (
        f'<div id="tralbumArt"><a class="popupImage" href="{image}"><img src="{image}" alt="{html.escape(title)}">'
        "</a></div>"
        if art
        else '<div id="missing-tralbum-art"></div>'
    )
    ld_html = (
        f'<script type="application/ld+json">\n{json.dumps(ld, ensure_ascii=False, indent=2)}\n</script>\n'
        if ldjson
        else ""
    )
    og_image = f'<meta property="og:image" content="{image}">\n' if art else ""
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)} | {html.escape(album.artist)}</title>\n"
        f'<link rel="canonical" href="{url}">\n'
        f'<meta property="og:title" content="{html.escape(title)}, by {html.escape(album.artist)}">\n'
        f"{og_image}{ld_html}"
        f'<script data-tralbum="{html.escape(json.dumps(tralbum))}" data-band="{{}}"></script>\n'
        "</head>\n<body>\n"
        f'<div id="name-section"><h2 class="trackTitle">{html.escape(title)}</h2>'
        f'<h3>by <span><a href="{store_url}">{html.escape(album.artist)}</a></span></h3></div>\n'
        f"{art_html}\n"
        f'<div class="tralbumData tralbum-tags tralbum-tags-nu">tags: {tags}</div>\n'
        "</body>\n</html>\n"
    )
