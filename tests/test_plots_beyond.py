"""The figures beyond the analysis: topic shares over time, statistic lines with bands, the intertopic map, similar
covers and the colour-space comparison. Each draws what its table holds; bad input names the problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _planted import planted_albums
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from bcanalysis import analysis, plots, prepare, topics

K = 4


@pytest.fixture(scope="module")
def planted() -> topics.PlantedPalettes:
    return topics.planted_palettes(240, K, random_state=2)


@pytest.fixture(scope="module")
def model(planted) -> topics.ColorTopics:
    return topics.ColorTopics(n_topics=K, random_state=0).fit(planted.palettes)


@pytest.fixture(scope="module")
def albums(planted) -> pd.DataFrame:
    years = np.random.default_rng(0).integers(2012, 2018, len(planted.palettes))
    return planted_albums(planted, release_date=pd.to_datetime([f"{y}-06-01" for y in years]))


@pytest.fixture(scope="module")
def table(model, albums) -> pd.DataFrame:
    return analysis.trends(model, albums, n_boot=30)


@pytest.mark.slow
def test_topic_trends_stacks_one_area_per_topic_in_its_colour(table, model):
    fig = plots.topic_trends(table, model)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    areas = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(areas) == K
    for k, area in enumerate(areas):  # each band in its topic's own colour, the one its name starts with
        assert np.allclose(area.get_facecolor()[0][:3], model.topic_colors()[k] / 255)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"{k}: {model.topic_label(k)}" for k in range(K)]
    assert ax.get_xlim() == (2012, 2017) and ax.get_ylim() == (0, 1)
    one_tag = plots.topic_trends(table, model, group="tag0")
    assert "tag0" in one_tag.axes[0].get_title()


def _contrast(a: np.ndarray, b: np.ndarray) -> float:
    """WCAG contrast ratio of two 0..1 sRGB colours (1: the same, 21: black on white)."""

    def lum(c):
        c = np.asarray(c, dtype=float)[:3]
        return float(np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4) @ [0.2126, 0.7152, 0.0722])

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_topic_band_shows_on_white():
    """Topics whose colours are white or near white (a photograph's sky, a blank sleeve) still show as bands: the
    issue saw white vanish when each band was painted in its heaviest colour with white edges."""
    colors = np.array([[0, 0, 0], [200, 30, 30], [250, 250, 250], [255, 255, 255]], np.uint8)  # vocabulary order
    components = np.array(
        [[0.02, 0.02, 0.06, 0.90], [0.02, 0.02, 0.90, 0.06], [0.90, 0.04, 0.03, 0.03], [0.04, 0.90, 0.03, 0.03]]
    )
    model = topics.ColorTopics.from_topics(
        components, colors, bits=12, weighting="count", engine="tomotopy", doc_topic_prior=0.5
    )
    rows = [("(all)", year, k, 0.25, 0.2, 0.3, 10) for year in (2001, 2002, 2003) for k in range(4)]
    table = pd.DataFrame(rows, columns=["group", "period", "variable", "mean", "lo", "hi", "n_albums"])
    fig = plots.topic_trends(table, model)
    white = np.ones(3)
    bands = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    assert len(bands) == 4
    for k, band in enumerate(bands):
        face = band.get_facecolor()[0]
        edge, width = band.get_edgecolor()[0], band.get_linewidth()[0]
        outlined = width >= 0.5 and _contrast(edge, white) >= 3
        assert _contrast(face, white) >= 1.5 or outlined, f"band {k} ({model.topic_label(k)}) vanishes on white"


def test_topic_trends_needs_topic_rows(table, albums):
    with pytest.raises(ValueError, match="no topic rows for group 'nope'"):
        plots.topic_trends(table, group="nope")
    with pytest.raises(ValueError, match="pass a model"):
        plots.topic_trends(analysis.trends(None, albums, n_boot=10))


def test_stat_trends_draws_a_line_and_band_per_group_and_highlights(table):
    groups = sorted(set(table["group"]))
    fig = plots.stat_trends(table, "lightness", highlight=["tag1"])
    ax = fig.axes[0]
    assert len(ax.lines) == len(groups) == K + 1  # (all) + one per tag
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == len(groups)
    widths = {line.get_label(): line.get_linewidth() for line in ax.lines}
    assert widths["tag1"] > max(w for g, w in widths.items() if g != "tag1")
    rows = table[(table["variable"] == "lightness") & (table["group"] == "tag1")].sort_values("period")
    tag1 = next(line for line in ax.lines if line.get_label() == "tag1")
    assert np.allclose(tag1.get_ydata(), rows["mean"])
    two = plots.stat_trends(table, "near_black", groups=["(all)", "tag0"]).axes[0]
    assert [line.get_label() for line in two.lines] == ["(all)", "tag0"] and "near" in two.get_ylabel()


def test_stat_trends_names_unknown_statistics_and_groups(table):
    with pytest.raises(ValueError, match="'darkness'"):
        plots.stat_trends(table, "darkness")
    with pytest.raises(ValueError, match=r"groups \['jazz'\]"):
        plots.stat_trends(table, groups=["(all)", "jazz"])


def test_intertopic_map_draws_one_pie_per_topic_and_rings_the_selected(model, albums):
    m = analysis.intertopic_map(model, albums)
    fig = plots.intertopic_map(prepare.intertopic_map(model, table=m), selected=2)
    ax, legend = fig.axes[:2]
    order = list(m.sort_values("prevalence", ascending=False).index)  # big pies first, small ones on top
    n_colors = {k: len(m.loc[k, "colors"]) for k in m.index}
    assert len(ax.patches) == sum(n_colors.values())  # every wedge of every pie
    first_wedge = {k: sum(n_colors[j] for j in order[: order.index(k)]) for k in m.index}
    assert sorted(t.get_text() for t in ax.texts if t.get_text()) == sorted(str(k) for k in m.index)  # numbered
    assert [t.get_text().split("  (")[0] for t in legend.texts] == [f"{k}: {m.loc[k, 'label']}" for k in m.index]
    ringed = {i for i, p in enumerate(ax.patches) if p.get_linewidth() > 1}
    assert ringed == set(range(first_wedge[2], first_wedge[2] + n_colors[2]))
    wedge = ax.patches[first_wedge[0]]
    assert np.allclose(wedge.get_facecolor()[:3], np.array(list(bytes.fromhex(m.loc[0, "colors"][0]))) / 255)
    for k in m.index:  # every pie drawn at the radius and centre the map's data carries
        assert ax.patches[first_wedge[k]].r == pytest.approx(m.loc[k, "radius"])
        assert ax.patches[first_wedge[k]].center == pytest.approx((m.loc[k, "x"], m.loc[k, "y"]))


def _crowded_map(n: int = 14) -> pd.DataFrame:
    """An intertopic table whose bubbles sit almost on top of each other (topics that share most colours do)."""
    rng = np.random.default_rng(3)
    xy = np.vstack([[0.0, 0.0], [0.4, 0.3], rng.normal(0, 0.01, (n - 2, 2))])
    prevalence = rng.dirichlet(np.ones(n))
    return pd.DataFrame(
        {
            "x": xy[:, 0],
            "y": xy[:, 1],
            "prevalence": prevalence,
            "radius": analysis.intertopic.bubble_radii(xy[:, 0], xy[:, 1], prevalence),
            "label": [f"colour {k}" for k in range(n)],
            "colors": [["cc6633", "ffffff"]] * n,
            "weights": [[0.6, 0.4]] * n,
        },
        index=pd.Index(range(n), name="topic"),
    )


def test_intertopic_map_numbers_never_collide():
    """Measured on the rendered figure: no two topic numbers' boxes overlap, every number is inside the map, and a
    number moved off its bubble has a line back to it (the issue: overlapping bubbles, unreadable numbers)."""
    table = _crowded_map()
    fig = plots.intertopic_map(prepare.intertopic_map(None, table=table), selected=3)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    ax = fig.axes[0]
    texts = [t for t in ax.texts if t.get_text()]  # ax.pie adds an empty label per wedge
    numbers = {t.get_text(): t.get_window_extent(canvas.get_renderer()) for t in texts}
    assert sorted(numbers, key=int) == [str(k) for k in table.index]
    boxes = list(numbers.items())
    for i, (a, box_a) in enumerate(boxes):
        assert ax.get_window_extent().contains(*box_a.p0) and ax.get_window_extent().contains(*box_a.p1), a
        for b, box_b in boxes[i + 1 :]:
            assert not box_a.overlaps(box_b), f"topic numbers {a} and {b} overlap"
    moved = [t for t in texts if not np.allclose(t.get_position(), table.loc[int(t.get_text()), ["x", "y"]])]
    assert moved and len(ax.lines) == len(moved)  # crowded: some numbers moved, each with its leader line
    assert next(t for t in texts if t.get_text() == "3").get_fontweight() == "bold"  # the selected topic


def test_intertopic_map_bad_input(model, albums):
    m = analysis.intertopic_map(model, albums)
    with pytest.raises(ValueError, match="no topics"):
        prepare.intertopic_map(model, table=m.iloc[:0])
    with pytest.raises(ValueError, match=r"missing columns \['prevalence'\]"):
        prepare.intertopic_map(model, table=m.drop(columns="prevalence"))
    with pytest.raises(ValueError, match="selected topic 9"):
        plots.intertopic_map(prepare.intertopic_map(model, table=m), selected=9)


def test_similar_covers_one_row_for_the_query_and_each_neighbour(model, albums):
    url = albums["url"].iloc[0]
    near = analysis.similar(model, albums, url, n=5)
    fig = plots.similar_covers(albums.iloc[0], near)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 6 and labels[0].startswith("query: a0")
    assert labels[1].startswith(f"{near['distance'].iloc[0]:.3f}")
    assert list(near["distance"]) == sorted(near["distance"])
    with pytest.raises(ValueError, match=r"missing \['distance'\]"):
        plots.similar_covers(albums.iloc[0], albums.iloc[1:3])


def test_space_comparison_one_line_per_space_in_four_panels():
    table = pd.DataFrame(
        [
            {
                "space": s,
                "bits": b,
                "vocabulary": b * 10,
                "coherence_npmi": 0.1 * i,
                "diversity": 0.5,
                "stability": 0.9,
                "tag_accuracy": 0.4,
                "fit_seconds": 0.1,
            }
            for i, s in enumerate(("rgb", "hls", "oklab"))
            for b in (9, 12)
        ]
    )
    table.attrs["chance"] = 0.25
    fig = plots.space_comparison(table)
    assert len(fig.axes) == 4
    assert [len(ax.lines) for ax in fig.axes] == [3, 3, 4, 3]  # + the chance line on tag accuracy
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["rgb", "hls", "oklab"]
    with pytest.raises(ValueError, match="stability"):
        plots.space_comparison(table.drop(columns="stability"))


def test_stat_trends_keeps_to_the_largest_groups_and_the_highlighted(table):
    sizes = table[table["variable"] == "lightness"].groupby("group")["n_albums"].sum()
    smallest = sizes.drop("(all)").idxmin()
    ax = plots.stat_trends(table, "lightness", max_groups=3).axes[0]
    shown = [line.get_label() for line in ax.lines]
    assert len(shown) == 3 and "(all)" in shown and smallest not in shown
    assert shown == sorted(["(all)", *sizes.drop("(all)").sort_values(ascending=False).index[:2]])
    ax = plots.stat_trends(table, "lightness", max_groups=2, highlight=[smallest]).axes[0]
    assert sorted(line.get_label() for line in ax.lines) == sorted(["(all)", smallest])
