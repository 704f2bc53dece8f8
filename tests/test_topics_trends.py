"""Colour over time: the planted darkening of ambient covers is found, nothing is found where nothing was planted,
bootstrap bands agree with scipy's bootstrap, and statistics agree with scikit-image's CIELAB."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
from scipy.stats import bootstrap
from skimage.color import rgb2lab

from bcanalysis.analysis import topic_weights
from bcanalysis.analysis.trends import ALL, palette_stats, trend_test, trends
from bcanalysis.topics import ColorTopics

# The module itself: the name bcanalysis.demo.catalogue is taken by the function.
demo_catalogue = importlib.import_module("bcanalysis.demo.catalogue")


def albums_frame(albums) -> pd.DataFrame:
    """The albums DataFrame a corpus would give (the place kept apart from the page tags, in `location`), with each
    cover's planted (true) palette."""
    return pd.DataFrame(
        {
            "url": [a.url for a in albums],
            "tags": [[t for t in a.tags if t not in demo_catalogue.PLACES] for a in albums],
            "location": [next(t for t in a.tags if t in demo_catalogue.PLACES) for a in albums],
            "found_under": [list(a.listed_under) for a in albums],
            "release_date": pd.to_datetime([a.release_date for a in albums]),
            "colorgram": [[c for c, _ in a.palette()] for a in albums],
            "proportions": [[w for _, w in a.palette()] for a in albums],
        }
    )


@pytest.fixture(scope="module")
def drifting():
    return albums_frame(demo_catalogue.catalogue(60, 1))


def test_planted_darkening_is_found_and_only_there(drifting):
    assert demo_catalogue.DRIFT == {"ambient": ("midnight", 0.7)}
    table = trend_test(drifting, "lightness")
    assert table.loc["ambient", "significant"] and table.loc["ambient", "hi"] < 0
    # groups are genre tags (found under, then page tags: sub-genres too), never places
    assert set(demo_catalogue.TAGS) <= set(table.index) and not set(demo_catalogue.PLACES) & set(table.index)
    assert table.loc[["dark ambient", "soundscape"], "significant"].all()  # page tags of ambient albums drift too
    control = table.loc[[t for t in demo_catalogue.TAGS if t != "ambient"]]
    assert not control["significant"].any(), control  # the nine other main genres: the no-trend control
    assert table.attrs["variable"] == "lightness"
    dark = trend_test(drifting, "near_black")
    assert dark.loc["ambient", "significant"] and dark.loc["ambient", "lo"] > 0


def test_places_are_groups_of_their_own(drifting):
    by_place = trend_test(drifting, "lightness", group="place")
    assert set(by_place.index) == {*demo_catalogue.PLACES, ALL}
    placed = drifting.assign(tags=[[*t, p] for t, p in zip(drifting["tags"], drifting["location"], strict=True)])
    by_tag = trend_test(placed, "lightness")  # the place still among the page tags: `location` keeps it out
    assert set(demo_catalogue.PLACES) & set(by_tag.index) == set() and "ambient" in by_tag.index
    unknown = trend_test(placed.drop(columns="location"), "lightness")  # no `location`: no places known
    assert set(demo_catalogue.PLACES) <= set(unknown.index)


def test_no_trend_where_none_was_planted(monkeypatch):
    monkeypatch.setattr(demo_catalogue, "DRIFT", {})
    flat = albums_frame(demo_catalogue.draw_catalogue(60, 1))
    for variable in ("lightness", "saturation", "near_black", "near_white"):
        table = trend_test(flat, variable, group="found_under")  # the ten main genres (a column as the grouping)
        assert len(table) == 11 and not table["significant"].any(), (variable, table)


def test_bands_agree_with_scipy_bootstrap_and_means_with_pandas(drifting):
    table = trends(None, drifting, n_boot=4000, random_state=3)
    stats = palette_stats(drifting).assign(year=drifting["release_date"].dt.year)
    means = stats.groupby("year")["lightness"].mean()
    overall = table[(table["group"] == ALL) & (table["variable"] == "lightness")].set_index("period")
    assert overall["mean"].to_numpy() == pytest.approx(means.loc[overall.index].to_numpy())
    assert (overall["lo"] <= overall["mean"]).all() and (overall["mean"] <= overall["hi"]).all()
    year = int(overall.index[0])
    sample = stats.loc[stats["year"] == year, "lightness"].to_numpy()
    ci = bootstrap((sample,), np.mean, n_resamples=4000, method="percentile", random_state=3).confidence_interval
    width = ci.high - ci.low
    assert overall.loc[year, "lo"] == pytest.approx(ci.low, abs=0.1 * width)
    assert overall.loc[year, "hi"] == pytest.approx(ci.high, abs=0.1 * width)
    genres = {t for tags in drifting["found_under"] + drifting["tags"] for t in tags}  # found under + page tags
    assert set(table["group"]) == {ALL, *genres} and not set(demo_catalogue.PLACES) & genres


def test_topic_prevalence_per_year(drifting):
    model = ColorTopics(bits=12, n_topics=6, random_state=0).fit(drifting["colorgram"].tolist())
    table = trends(model, drifting, group=None, n_boot=50)
    weights = topic_weights(model, drifting).assign(year=drifting["release_date"].dt.year)
    expected = weights.groupby("year")[list(range(6))].mean()
    got = table[table["variable"].isin(range(6))].pivot(index="period", columns="variable", values="mean")
    assert got.to_numpy() == pytest.approx(expected.loc[got.index, got.columns].to_numpy())
    assert got.sum(axis=1).to_numpy() == pytest.approx(1.0)


def test_palette_stats_against_scikit_image():
    albums = pd.DataFrame(
        {"colorgram": [[(0, 0, 0), (255, 255, 255)], [(200, 30, 30)], None], "proportions": [[0.25, 0.75], [1.0], None]}
    )
    got = palette_stats(albums)
    assert list(got.index) == [0, 1]
    white_l = rgb2lab(np.array([[[1.0, 1.0, 1.0]]]))[0, 0, 0]
    assert got.loc[0, "lightness"] == pytest.approx(0.75 * white_l, abs=1e-3)
    assert got.loc[0, "near_black"] == pytest.approx(0.25) and got.loc[0, "near_white"] == pytest.approx(0.75)
    assert got.loc[1, "lightness"] == pytest.approx(rgb2lab(np.array([[[200, 30, 30]]]) / 255)[0, 0, 0], abs=1e-3)


def test_bad_input_names_the_problem(drifting):
    with pytest.raises(ValueError, match="release_date"):
        trends(None, drifting.drop(columns="release_date"))
    with pytest.raises(ValueError, match="'hue'"):
        trend_test(drifting, "hue")
    with pytest.raises(ValueError, match="'genre'"):
        trends(None, drifting, group="genre")
