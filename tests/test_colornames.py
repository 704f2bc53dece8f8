"""Topic names: the XKCD names of the colours that set a topic apart (relevance, as pyLDAvis ranks words), checked on
a hand-made model and on topics fitted to real photographs (the ones scikit-learn and scikit-image ship)."""

from __future__ import annotations

import numpy as np
import pytest
from _photos import real_photos

from bcanalysis import topics
from bcanalysis.colornames import color_name, color_names, topic_colors, topic_names

GREY, TEAL, RED, WHITE = (128, 128, 128), (2, 147, 134), (230, 20, 30), (255, 255, 255)


def test_a_grey_every_topic_wears_does_not_name_them():
    """Both topics are mostly the same grey; what tells them apart is a little teal or red. The old names (heaviest
    colours first) called both "grey · …"; relevance puts the colour each wears more than the other first."""
    colors = np.array([TEAL, GREY, RED, WHITE], np.uint8)  # any order: names are looked up per colour
    components = np.array([[0.20, 0.70, 0.02, 0.08], [0.02, 0.70, 0.20, 0.08]])
    names = topic_names(components, colors, n=3)
    assert [n[0] for n in names] == [color_name(TEAL), color_name(RED)]
    assert all(color_name(GREY) in n for n in names)  # still named: it is most of each topic, just not first
    assert (topic_colors(components, colors) == [TEAL, RED]).all()  # the colour a chart paints each topic in


def test_a_speck_does_not_name_a_topic():
    """Below 1% of a topic, a colour no other topic has does not name it (lift alone would pick it)."""
    colors = np.array([GREY, TEAL, RED], np.uint8)
    components = np.array([[0.995, 0.005, 0.0], [0.5, 0.0, 0.5]])
    assert topic_names(components, colors, n=2)[0] == [color_name(GREY)]


def _real_photo_palettes() -> list:
    from bcanalysis.palette import extract

    palettes = []
    for photo in real_photos():
        w, h = photo.size
        for x, y in [(0, 0), (w // 2, 0), (0, h // 2), (w // 2, h // 2)]:
            crop = photo.crop((x, y, x + w // 2, y + h // 2)).resize((120, 120))
            palettes.append([(*c.rgb, c.proportion) for c in extract(crop, 40)])
    return palettes


@pytest.mark.parametrize("n_topics", [6, 10])
@pytest.mark.slow
def test_names_of_topics_fitted_to_real_photographs_tell_them_apart(n_topics):
    """44 crops of real photographs: their topics share greys. Each topic's first name is its own, and across all
    labels at least 90% of the names are different (the names by weight repeated greys: 25 of 30 at ten topics)."""
    model = topics.ColorTopics(bits=12, n_topics=n_topics, random_state=0).fit(_real_photo_palettes())
    labels = [label.split(" · ") for label in model.topic_labels()]
    firsts = [names[0] for names in labels]
    assert len(set(firsts)) == n_topics, f"two topics share a first name: {labels}"
    everything = [name for names in labels for name in names]
    assert len(set(everything)) >= 0.9 * len(everything), f"names repeat across topics: {labels}"
    for k, names in enumerate(labels):  # every name is a colour the topic really wears
        worn = set(color_names(model.top_colors(k, 200)))
        assert set(names) <= worn, (k, names)
