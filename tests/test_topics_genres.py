"""Topics ↔ genres from an albums DataFrame shaped like `Corpus.albums()`; XKCD colour names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import XKCD_COLORS, to_rgb

from bcanalysis import album_table, analysis, topics
from bcanalysis.colornames import color_name, color_names


@pytest.fixture(scope="module")
def planted() -> topics.PlantedPalettes:
    return topics.planted_palettes(800, 4, random_state=5)


@pytest.fixture(scope="module")
def albums(planted) -> pd.DataFrame:
    """Albums whose tag follows their dominant planted topic ('rock' ⇔ topic 0), plus rows without a palette."""
    n = len(planted.palettes)
    dominant = planted.mixtures.argmax(axis=1)
    df = pd.DataFrame(
        {
            "url": [f"https://s{i}.bandcamp.com/album/a{i}" for i in range(n)],
            "title": [f"album {i}" for i in range(n)],
            "artist": [f"artist {i}" for i in range(n)],
            "tags": [["rock", "all"] if d == 0 else ["pop", "all"] for d in dominant],
            "art_id": np.arange(n),
            "cover_status": "ok",
            "colorgram": [[tuple(int(v) for v in c[:3]) for c in p] for p in planted.palettes],
            "proportions": [list(p[:, 3]) for p in planted.palettes],
        }
    )
    missing = pd.DataFrame(
        {
            "url": ["https://x.bandcamp.com/album/none", "https://y.bandcamp.com/album/empty"],
            "title": ["none", "empty"],
            "artist": ["x", "y"],
            "tags": [["rock"], ["rock"]],
            "art_id": [-1, -2],
            "cover_status": ["missing", "failed"],
            "colorgram": [None, []],
            "proportions": [None, None],
        }
    )
    out = pd.concat([missing.iloc[:1], df.iloc[:400], missing.iloc[1:], df.iloc[400:]], ignore_index=True)
    return out.set_index(pd.Index(np.arange(len(out)) * 10 + 7))  # not a RangeIndex: alignment must be by label


@pytest.fixture(scope="module")
def model(planted) -> topics.ColorTopics:
    return topics.ColorTopics(n_topics=4, random_state=0).fit(planted.palettes)


def _topic_of_planted(model, planted, k: int) -> int:
    rows, cols, _ = topics.match_topics(
        planted.topics, topics.metrics.align_to_colors(model.components_, model.colors_, planted.colors)
    )
    return int(dict(zip(rows, cols, strict=True))[k])


def test_topic_weights_skip_albums_without_palette(albums, model, planted):
    w = analysis.topic_weights(model, albums)
    assert len(w) == len(planted.palettes)
    assert albums.index[0] not in w.index and albums.index[401] not in w.index
    assert np.allclose(w.to_numpy(), model.transform(planted.palettes))


def test_tag_topic_table_finds_the_planted_link(albums, model, planted):
    table = analysis.tag_topic_table(model, albums)
    assert "permutation" in table.attrs["method"]
    k = _topic_of_planted(model, planted, 0)
    rock = table[(table["tag"] == "rock")].set_index("topic")
    assert rock.loc[k, "lift"] > 2 and rock.loc[k, "significant"]
    assert rock.loc[k, "n_albums"] == (planted.mixtures.argmax(axis=1) == 0).sum()  # palette-less rows skipped
    everyone = table[table["tag"] == "all"]
    assert np.allclose(everyone["lift"], 1) and everyone["p_value"].isna().all()  # a tag on every album
    theta = model.transform(planted.palettes)
    is_rock = planted.mixtures.argmax(axis=1) == 0
    assert rock.loc[k, "mean_weight"] == pytest.approx(theta[is_rock, k].mean())
    assert rock.loc[k, "lift"] == pytest.approx(theta[is_rock, k].mean() / theta[:, k].mean())


def test_z_test_matches_the_permutation_distribution(albums, model):
    """The analytic variance equals the spread of the mean over random relabellings of the albums."""
    table = analysis.tag_topic_table(model, albums)
    row = table[(table["tag"] == "rock") & (table["topic"] == 1)].iloc[0]
    theta = analysis.topic_weights(model, albums)[1].to_numpy()
    rng = np.random.default_rng(0)
    m = int(row["n_albums"])
    means = np.array([theta[rng.choice(len(theta), m, replace=False)].mean() for _ in range(4000)])
    z_perm = (row["mean_weight"] - means.mean()) / means.std()
    assert row["z"] == pytest.approx(z_perm, rel=0.05)


def test_min_albums_filters_rare_tags(albums, model):
    extra = albums.copy()
    extra.loc[extra.index[5], "tags"] = ["rock", "all", "rare"]
    assert "rare" not in set(analysis.tag_topic_table(model, extra)["tag"])
    assert "rare" in set(analysis.tag_topic_table(model, extra, min_albums=1)["tag"])


def test_exemplars_are_the_heaviest_albums(albums, model):
    ex = analysis.exemplars(model, albums, 2, n=5)
    w = analysis.topic_weights(model, albums)[2]
    assert list(ex.index) == list(w.sort_values(ascending=False, kind="stable").index[:5])
    assert np.allclose(ex["weight"], w.loc[ex.index]) and {"url", "title", "artist"} <= set(ex)
    with pytest.raises(ValueError, match="got 9"):
        analysis.exemplars(model, albums, 9)


def test_albums_without_any_palette_are_refused(albums, model):
    with pytest.raises(ValueError, match="no album"):
        analysis.tag_topic_table(model, albums.assign(colorgram=None))


def test_xkcd_colours_name_themselves():
    names = sorted(XKCD_COLORS)[::20]
    rgb = np.array([np.round(np.array(to_rgb(XKCD_COLORS[n])) * 255) for n in names])
    got = color_names(rgb)
    same_hex = {n: [m for m in XKCD_COLORS if XKCD_COLORS[m] == XKCD_COLORS[n]] for n in names}
    assert all("xkcd:" + g in same_hex[n] for g, n in zip(got, names, strict=True))
    assert color_name((255, 255, 255)) == "white" and color_name((2, 147, 134)) == "teal"


def test_topic_labels_read_as_names(model):
    labels = model.topic_labels()
    assert len(labels) == 4 and all(" · " in s for s in labels)


def test_tag_column_is_found_under_then_page_tags_never_the_place():
    df = pd.DataFrame(
        {
            "found_under": [["ambient"], ["rock", "pop"], [], ["metal"]],
            "tags": [["ambient", "drone", "Oslo"], [], ["doom", "metal", "berlin"], ["metal", "sludge"]],
            "location": ["Oslo, Norway", "Berlin, Germany", "Berlin", None],
        }
    )
    assert album_table.tag_column(df).tolist() == [
        ["ambient", "drone"],
        ["rock", "pop"],
        ["doom", "metal"],
        ["metal", "sludge"],
    ]
    no_places = df.drop(columns="location")  # a corpus without `location` knows no places: tags stay as they are
    assert album_table.tag_column(no_places).tolist()[0] == ["ambient", "drone", "Oslo"]
    assert album_table.tag_column(df.drop(columns="found_under")).tolist()[1] == []  # page tags alone
    assert album_table.places(df).tolist() == ["Oslo", "Berlin", "Berlin", None]
    assert album_table.places(no_places).tolist() == [None] * 4
    with pytest.raises(ValueError, match="found_under' or 'tags'"):
        album_table.tag_column(df[["location"]])


@pytest.fixture(scope="module")
def placed(albums, planted) -> pd.DataFrame:
    """The albums with a place: albums of planted topic 1 are from Oslo (spelt three ways), the rest from Berlin;
    the place is also left among some page tags, as Bandcamp lists it."""
    out = albums.copy()
    has = out["colorgram"].map(lambda c: c is not None and len(c) > 0).to_numpy()
    dominant = np.full(len(out), -1)
    dominant[has] = planted.mixtures.argmax(axis=1)
    spellings = ["Oslo, Norway", "oslo", "Oslo"]
    out["location"] = [
        spellings[i % 3] if d == 1 else ("Berlin, Germany" if d >= 0 else None) for i, d in enumerate(dominant)
    ]
    out["tags"] = [[*t, "Oslo"] if d == 1 else t for t, d in zip(out["tags"], dominant, strict=True)]
    return out


def test_place_table_is_apart_from_the_genre_table(placed, model, planted):
    genres = analysis.tag_topic_table(model, placed)
    assert set(genres["tag"]) == {"rock", "pop", "all"}  # "Oslo" stays out of the genres, though among the tags
    by_place = analysis.place_topic_table(model, placed)
    assert set(by_place["place"]) == {"Oslo", "Berlin"} and by_place.attrs["group"] == "place"
    k = _topic_of_planted(model, planted, 1)
    oslo = by_place[by_place["place"] == "Oslo"].set_index("topic")
    theta = model.transform(planted.palettes)
    is_oslo = planted.mixtures.argmax(axis=1) == 1
    assert oslo.loc[k, "n_albums"] == is_oslo.sum()
    assert oslo.loc[k, "mean_weight"] == pytest.approx(theta[is_oslo, k].mean())
    assert oslo.loc[k, "lift"] > 2 and oslo.loc[k, "significant"]
    assert analysis.place_topic_table(model, placed.drop(columns="location")).empty  # no places known


def test_exemplars_reuse_given_weights(albums, model):
    w = analysis.topic_weights(model, albums)
    assert (
        analysis.exemplars(model, albums, 1, 4, weights=w).index.tolist()
        == analysis.exemplars(model, albums, 1, 4).index.tolist()
    )
    with pytest.raises(ValueError, match="pass topic_weights"):
        analysis.exemplars(model, albums, 1, 4, weights=w.iloc[:10])


# --- the test and its precision -----------------------------------------------------------------------------------


def _exact_pvalue(theta: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Two-sided p of a group's mean topic weights under its exact permutation distribution: every subset of as
    many albums, enumerated."""
    from itertools import combinations

    n, m = len(theta), len(members)
    mu, obs = theta.mean(axis=0), theta[members].mean(axis=0)
    null = np.array([theta[list(c)].mean(axis=0) for c in combinations(range(n), m)])
    return (np.abs(null - mu) >= np.abs(obs - mu) - 1e-12).mean(axis=0)


def test_permutation_pvalues_match_the_exact_permutation_distribution():
    """Small skewed groups, where the normal approximation is poor: the Monte Carlo p against the enumerated one
    (within four Monte Carlo standard errors), for a group drawn directly and one drawn as its complement."""
    import scipy.sparse as sp
    from scipy.stats import norm

    from bcanalysis.analysis.genres import permutation_pvalues

    rng = np.random.default_rng(7)
    theta = rng.dirichlet([0.2, 0.2, 0.2], size=14)
    groups = [np.array([0, 3, 5]), np.setdiff1d(np.arange(14), [1, 2, 9])]  # 3 albums; 11 (drawn as 3 outside)
    inc = sp.csr_matrix(np.array([np.isin(np.arange(14), g) for g in groups], dtype=float))
    means = (inc @ theta) / np.asarray(inc.sum(axis=1))
    b = 40_000
    got = permutation_pvalues(theta, inc, means, b, 0)
    for g, members in enumerate(groups):
        exact = _exact_pvalue(theta, members)
        assert np.all(np.abs(got[g] - exact) <= 4 * np.sqrt(exact * (1 - exact) / b) + 1 / b), (got[g], exact)
    # the normal approximation misses the exact p of these groups by far more than the Monte Carlo error
    n, m = 14, 3
    se = np.sqrt(theta.var(axis=0) / m * (n - m) / (n - 1))
    normal = 2 * norm.sf(np.abs(means[0] - theta.mean(axis=0)) / se)
    assert np.max(np.abs(normal - _exact_pvalue(theta, groups[0]))) > 0.02


def test_p_and_q_values_are_floored_at_the_resolution_of_the_test(albums, model, planted):
    table = analysis.tag_topic_table(model, albums, n_permutations=999)
    floor = table.attrs["p_floor"]
    assert floor == pytest.approx(1 / 1000) and "999 random draws" in table.attrs["method"]
    tested = table.dropna(subset=["p_value"])
    assert (tested["p_value"] >= floor).all() and (tested["q_value"] >= floor).all()
    k = _topic_of_planted(model, planted, 0)
    rock = table[(table["tag"] == "rock") & (table["topic"] == k)].iloc[0]
    assert rock["p_value"] == floor and rock["significant"] and rock["test"] == "permutation"
    again = analysis.tag_topic_table(model, albums, n_permutations=999)
    assert np.array_equal(again["p_value"].to_numpy(), table["p_value"].to_numpy(), equal_nan=True)  # seeded
    with pytest.raises(ValueError, match="n_permutations"):
        analysis.tag_topic_table(model, albums, n_permutations=0)


@pytest.mark.slow
def test_large_groups_use_the_normal_approximation_floored_too():
    big = topics.planted_palettes(2200, 3, random_state=9)
    dominant = big.mixtures.argmax(axis=1)
    albums = pd.DataFrame(
        {
            "colorgram": [[tuple(int(v) for v in c[:3]) for c in p] for p in big.palettes],
            "tags": [["big"] if i < 1100 else ["rest"] for i in range(len(dominant))],
        }
    )
    albums.loc[dominant == 0, "tags"] = albums.loc[dominant == 0, "tags"].map(lambda t: [*t, "zero"])
    model = topics.ColorTopics(bits=9, n_topics=3, random_state=0).fit(big.palettes)
    table = analysis.tag_topic_table(model, albums, n_permutations=199)
    kinds = table.groupby("tag")["test"].first()
    assert kinds["big"] == "normal" and kinds["rest"] == "normal"
    assert (table["p_value"].dropna() >= 1 / 200).all()
    zero = table[table["tag"] == "zero"]
    assert zero["p_value"].min() == pytest.approx(1 / 200)  # the planted link: at the floor, not 1e-300


def test_q_values_print_on_the_side_of_the_rule():
    from bcanalysis.analysis.genres import q_text

    assert q_text(0.04996) == "= 0.04996" and q_text(0.05004) == "= 0.05" and q_text(0.012) == "= 0.012"
    assert q_text(0.00036, at_floor=True) == "≤ 0.00036" and q_text(1e-7) == "< 0.0001"
    assert q_text(float("nan")) == "n/a" and q_text(0.0096, 0.01) == "= 0.0096" and q_text(0.00996, 0.01) == "= 0.00996"
