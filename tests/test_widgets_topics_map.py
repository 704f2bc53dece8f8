"""The pyLDAvis-style explorer (`widgets.explore_topics_map`) without a browser: the live ipywidgets box driven
through its widget objects, the arithmetic against `IntertopicMap`'s own, and a hostile label kept as text in the
offline HTML. The browser half (click, λ, colour from file://, network off) is in test_browser.py."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import pytest
from _planted import planted_albums

from bcanalysis import prepare, topics, widgets
from bcanalysis.colorspace import to_words
from bcanalysis.widgets.topicsmap import N_SWATCHES, USES_AT, TopicsMap, parse_colour

XSS = "</script><img src=x onerror=alert(1)><script>alert(2)</script>"
K = 4


@pytest.fixture(scope="module")
def the_map() -> prepare.IntertopicMap:
    planted = topics.planted_palettes(160, K, random_state=5)
    model = topics.ColorTopics(n_topics=K, random_state=0).fit(planted.palettes)
    albums = planted_albums(planted, cover_file=lambda i: None)
    return prepare.intertopic_map(model, albums)


def _ranked(the_map, k: int, lam: float) -> list[str]:
    return to_words(the_map.term_colors[the_map.top_terms(k, lam, N_SWATCHES)])


def _users(the_map, word: str) -> dict[int, float]:
    words = np.array(to_words(the_map.term_colors))
    hit = (words == word) & (the_map.term_p >= USES_AT)
    return {int(k): float(p) for k, p in zip(the_map.term_topic[hit], the_map.term_p[hit], strict=True)}


def test_live_topic_lambda_and_colour(the_map) -> None:
    box = widgets.explore_topics_map(the_map, live=True)
    swatches = lambda: [b.description for b in box.swatches.children]  # noqa: E731
    assert swatches() == _ranked(the_map, 0, box.lam.value)
    box.topic.value = 2  # another topic: its colours, its bubble ringed
    assert swatches() == _ranked(the_map, 2, box.lam.value) != _ranked(the_map, 0, box.lam.value)
    lam = next(x for x in np.linspace(0, 1, 101) if _ranked(the_map, 2, x) != _ranked(the_map, 2, box.lam.value))
    box.lam.value = float(lam)
    assert swatches() == _ranked(the_map, 2, float(lam))
    first = swatches()[0]
    box.swatches.children[0].click()  # a swatch searches its colour
    assert box.colour.value == first and box.uses == _users(the_map, first) and box.uses
    svg = box.children[1].children[0].value
    used = set(re.findall(r'data-topic="(\d+)" data-uses="1"', svg))
    assert used == {str(k) for k in _users(the_map, first)}
    box.colour.value = "zz"  # not a colour: nothing ringed, no error
    assert box.uses == {}


def test_short_words_at_the_model_depth(the_map) -> None:
    explorer = TopicsMap(the_map)
    word = next(w for w in explorer.words if w[::2] == w[1::2])  # 12-bit words double each digit
    assert parse_colour(word[::2]) == parse_colour("#" + word) and explorer.nearest(word[::2]) == word
    assert explorer.uses(word[::2]) == _users(the_map, word)
    with pytest.raises(ValueError, match="not a hex colour"):
        parse_colour("cc66")


def test_hostile_label_stays_text_in_the_offline_html(the_map) -> None:
    labels = [XSS if k == 1 else lab for k, lab in zip(the_map.topics, the_map.labels, strict=True)]
    hostile = replace(the_map, table=the_map.table.assign(label=labels))
    page = widgets.explore_topics_map(hostile, topic=1, live=False)._repr_html_()
    assert "<img src=x" not in page and page.count("</script>") == 2  # the JSON block and the script, nothing else
    data = json.loads(re.search(r'<script type="application/json">(.*?)</script>', page, re.S).group(1))
    assert data["topics"][1]["label"] == XSS  # the data carries it intact, as text the script writes with textContent
    assert "&lt;/script&gt;&lt;img src=x" in page  # the caption and the bubble's title: escaped


def test_a_map_without_terms_is_refused(the_map) -> None:
    bare = prepare.intertopic_map(None, table=the_map.table)
    with pytest.raises(ValueError, match="no relevance terms"):
        widgets.explore_topics_map(bare, live=False)
