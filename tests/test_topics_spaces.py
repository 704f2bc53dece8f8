"""Perceptual colour bins in the topic pipeline: fit/transform/save keep the space, and compare_spaces measures
each binning with scikit-learn's own cross-validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

from bcanalysis import plots
from bcanalysis.analysis import compare_spaces
from bcanalysis.analysis.spaces import tag_accuracy
from bcanalysis.quantize import palette_to_document
from bcanalysis.topics import ColorTopics, planted_palettes, vectorize


@pytest.fixture(scope="module")
def planted():
    p = planted_palettes(400, 4, alpha=0.05, random_state=9)
    albums = pd.DataFrame(
        {
            "colorgram": [x[:, :3].astype(int).tolist() for x in p.palettes],
            "proportions": [x[:, 3].tolist() for x in p.palettes],
            "tags": [[f"t{t}"] for t in p.mixtures.argmax(axis=1)],
        }
    )
    return p, albums


@pytest.mark.parametrize("space", ["hls", "oklab"])
def test_vocabulary_is_the_quantised_words_of_that_space(planted, space):
    p, _ = planted
    doc_term = vectorize(p.palettes, 12, space=space)
    words = sorted({w for pal in p.palettes for w in palette_to_document(pal, 12, space).split()})
    assert doc_term.vocabulary == words
    assert doc_term.fingerprint() != vectorize(p.palettes, 12).fingerprint()


def test_fit_transform_and_save_keep_the_space(planted, tmp_path):
    p, _ = planted
    model = ColorTopics(bits=9, n_topics=4, random_state=0, space="oklab").fit(p.palettes)
    assert model.space == "oklab" and "space='oklab'" in repr(model)
    assert model.doc_term(p.palettes[:5]).space == "oklab"
    loaded = ColorTopics.load(model.save(tmp_path / "m"))
    assert loaded.space == "oklab"
    assert np.allclose(loaded.transform(p.palettes[:20]), model.transform(p.palettes[:20]))
    with pytest.raises(ValueError, match="'lab'"):
        ColorTopics(bits=9, n_topics=4, space="lab").fit(p.palettes)


def test_tag_accuracy_is_scikit_learns_cross_validation():
    rng = np.random.default_rng(0)
    tags = np.repeat(["a", "b", "c"], 30)
    mixtures = rng.dirichlet(np.ones(4), 90)
    mixtures[tags == "a", 0] += 2
    mixtures /= mixtures.sum(axis=1, keepdims=True)
    expected = cross_val_score(
        LogisticRegression(max_iter=2000), np.log(mixtures), tags, cv=StratifiedKFold(5, shuffle=True, random_state=0)
    ).mean()
    assert tag_accuracy(mixtures, tags) == pytest.approx(expected)


@pytest.mark.slow
def test_compare_spaces_table_and_figure(planted):
    _, albums = planted
    table = compare_spaces(albums, bits=(9, 12), n_topics=4, random_state=0)
    assert list(zip(table["space"], table["bits"], strict=True)) == [
        ("rgb", 9),
        ("rgb", 12),
        ("hls", 9),
        ("hls", 12),
        ("oklab", 9),
        ("oklab", 12),
    ]
    assert (table["vocabulary"] > 0).all() and table["stability"].between(0, 1).all()
    assert table.attrs["chance"] == pytest.approx(1 / albums["tags"].map(tuple).nunique())
    # Planted topics are well separated: every binning tells the dominant topic apart far above chance.
    assert (table["tag_accuracy"] > 2 * table.attrs["chance"]).all()
    fig = plots.space_comparison(table)
    assert len(fig.axes) == 4 and len(fig.axes[0].lines) == 3
    with pytest.raises(ValueError, match="missing columns"):
        plots.space_comparison(table.drop(columns="stability"))
    untagged = compare_spaces(albums.assign(tags=[[]] * len(albums)), bits=(12,), n_topics=4, random_state=0)
    assert untagged["tag_accuracy"].isna().all() and untagged["stability"].between(0, 1).all()  # fitted all the same
    assert "no album with a genre tag" in untagged.attrs["note"]
    one = compare_spaces(albums.assign(tags=[["rock"]] * len(albums)), bits=(12,), n_topics=4, random_state=0)
    assert one["tag_accuracy"].isna().all() and "1 genre (rock: " in one.attrs["note"]
    assert isinstance(plots.space_comparison(untagged), Figure)
    with pytest.raises(ValueError, match="got 1"):
        compare_spaces(albums.head(1))
