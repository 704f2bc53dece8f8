"""Verdicts: each decision rule applied to tables built to fall on either side of it, and to real results, with the
outcome and every number in the sentence checked against the table."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from bcanalysis import analysis, topics
from bcanalysis.analysis.trends import ALL, trend_test
from bcanalysis.report import findings

demo_catalogue = importlib.import_module("bcanalysis.demo.catalogue")


def spaces_table(values: dict[str, tuple[float, float, float]], bits=(9, 12)) -> pd.DataFrame:
    """A compare_spaces-shaped table whose per-space means are `values` (coherence, stability, tag accuracy)."""
    rows = []
    for space, (coh, stab, acc) in values.items():
        for i, b in enumerate(bits):
            d = 0.01 * (1 if i else -1)  # per-depth values straddle the mean
            rows.append(
                {
                    "space": space,
                    "bits": b,
                    "vocabulary": 100 * b,
                    "coherence_npmi": coh + d,
                    "diversity": 0.9,
                    "stability": stab - d,
                    "tag_accuracy": acc + d,
                    "fit_seconds": 1.0,
                }
            )
    return pd.DataFrame(rows)


def test_rgb_stays_unless_a_space_leads_on_all_three() -> None:
    table = spaces_table({"rgb": (0.14, 0.61, 0.836), "hls": (0.10, 0.50, 0.80), "oklab": (0.22, 0.59, 0.842)})
    v = findings.space_verdict(table)
    assert v.outcome == "rgb" and v.text.startswith("RGB stays the default")
    assert (
        "OKLab is ahead on coherence (0.220 against 0.140) and tag accuracy (0.842 against 0.836) but not "
        "ahead on stability (0.590 against 0.610)" in v.text
    )
    assert "HLS is not ahead on coherence (0.100 against 0.140)" in v.text and "means over 9, 12 bit" in v.text
    assert "all three" in v.rule and str(v).startswith("Colour space: RGB stays")


def test_a_space_ahead_on_all_three_replaces_rgb() -> None:
    table = spaces_table({"rgb": (0.14, 0.61, 0.836), "oklab": (0.22, 0.62, 0.842), "hls": (0.30, 0.70, 0.837)})
    v = findings.space_verdict(table)
    # both lead on all three; the smallest relative lead decides: HLS 0.001/0.836, OKLab 0.006/0.836 …
    assert v.outcome == "oklab" and v.text.startswith("OKLab replaces RGB as the default")
    assert (
        "OKLab is ahead on coherence (0.220 against 0.140), stability (0.620 against 0.610) and tag accuracy "
        "(0.842 against 0.836)" in v.text
    )


def test_ties_print_enough_decimals_and_missing_stability_is_said() -> None:
    table = spaces_table({"rgb": (0.1400, 0.61, 0.8360), "oklab": (0.1404, 0.62, 0.8362)})
    v = findings.space_verdict(table)
    assert v.outcome == "oklab" and "coherence (0.1404 against 0.1400)" in v.text
    one_seed = table.assign(stability=np.nan)
    v = findings.space_verdict(one_seed)
    assert v.outcome == "rgb" and "OKLab cannot be judged on stability (needs two seeds per cell)" in v.text
    with pytest.raises(ValueError, match="no 'rgb' rows"):
        findings.space_verdict(table[table["space"] != "rgb"])
    with pytest.raises(ValueError, match="missing columns"):
        findings.space_verdict(table.drop(columns="stability"))


@pytest.mark.slow
def test_space_verdict_on_a_real_comparison() -> None:
    planted = topics.planted_palettes(300, 3, random_state=4)
    albums = pd.DataFrame(
        {
            "colorgram": [[tuple(int(v) for v in c[:3]) for c in p] for p in planted.palettes],
            "proportions": [list(p[:, 3]) for p in planted.palettes],
            "found_under": [[f"g{d}"] for d in planted.mixtures.argmax(axis=1)],
        }
    )
    table = analysis.compare_spaces(albums, bits=(9,), n_topics=3, n_restarts=2, random_state=0)
    means = table.groupby("space")[["coherence_npmi", "stability", "tag_accuracy"]].mean()
    leaders = [s for s in ("hls", "oklab") if (means.loc[s] > means.loc["rgb"]).all()]
    v = findings.space_verdict(table)
    assert (v.outcome == "rgb") == (not leaders) and (v.outcome in leaders or not leaders)
    for space in ("hls", "oklab"):
        assert f"coherence ({means.loc[space, 'coherence_npmi']:.3f} against" in v.text


@pytest.fixture(scope="module")
def sweep():
    planted = topics.planted_palettes(300, 4, random_state=1)
    return topics.sweep(
        planted.palettes, bits=(9, 12), n_topics=[2, 3, 4, 5, 6], random_state=0, n_jobs=1, progress=False
    )


@pytest.mark.slow
def test_recommendation_names_each_depth_and_the_final_model(sweep) -> None:
    rec = sweep.recommend().set_index("bits")["n_topics"]
    v = findings.recommendation(sweep, bits=12, n_topics=int(rec[12]))
    assert v.outcome == {9: int(rec[9]), 12: int(rec[12])}
    assert f"n = {rec[9]} at 9 bit and n = {rec[12]} at 12 bit" in v.text
    assert f"The final model's {rec[12]} topics at 12 bit follow it." in v.text
    other = findings.recommendation(sweep, bits=12, n_topics=18)
    assert (
        f"uses 18 topics at 12 bit, a count the sweep did not fit (its grid: 2 to 6), so the sweep cannot "
        f"support it; it recommends {rec[12]} there" in other.text
    )
    assert f"-p n_topics {rec[12]}" in other.text and "follow it" not in other.text
    bigger = findings.recommendation(sweep, bits=12, n_topics=6)
    assert f"uses 6 topics at 12 bit, more than the {rec[12]} recommended: its held-out perplexity" in bigger.text
    assert "15 bit, was not swept" in findings.recommendation(sweep, bits=15, n_topics=4).text


@pytest.fixture(scope="module")
def linked():
    planted = topics.planted_palettes(600, 4, random_state=5)
    dominant = planted.mixtures.argmax(axis=1)
    albums = pd.DataFrame(
        {
            "tags": [["rock"] if d == 0 else ["pop"] for d in dominant],
            "location": ["Oslo" if i % 2 else "Lagos" for i in range(len(dominant))],  # no link: alternating
            "colorgram": [[tuple(int(v) for v in c[:3]) for c in p] for p in planted.palettes],
            "proportions": [list(p[:, 3]) for p in planted.palettes],
        }
    )
    model = topics.ColorTopics(n_topics=4, random_state=0).fit(planted.palettes)
    return model, albums


def test_strongest_links_are_the_significant_rows_with_the_highest_lift(linked) -> None:
    model, albums = linked
    table = analysis.tag_topic_table(model, albums)
    v = findings.strongest_links(table, n=2)
    strong = table[table["significant"] & (table["lift"] > 1)].sort_values("lift", ascending=False)
    assert len(strong) and v.outcome == [(r.tag, int(r.topic)) for r in strong.head(2).itertuples()]
    top = strong.iloc[0]
    assert f"{top['tag']} wears topic {top['topic']} ({top['label']}) {top['lift']:.2f}× as much" in v.text
    assert v.text.startswith(f"{len(strong)} genre–topic pairs are significantly above the corpus")
    assert v.title == "Strongest genre links"


def test_no_link_is_said_with_the_largest_lift(linked) -> None:
    model, albums = linked
    table = analysis.place_topic_table(model, albums, alpha=1e-12)  # nothing passes so strict a threshold
    v = findings.strongest_links(table)
    top = table.sort_values("lift", ascending=False).iloc[0]
    assert v.outcome == [] and v.title == "Strongest place links"
    assert v.text.startswith("No place–topic pair is significantly above the corpus (q < 1e-12) among 2 places")
    assert f"the largest lift, {top['lift']:.2f}, is {top['place']} on topic {top['topic']}" in v.text
    empty = analysis.place_topic_table(model, albums.drop(columns="location"))
    assert findings.strongest_links(empty).text.startswith("No album in this corpus has a known place")
    few = analysis.place_topic_table(model, albums, min_albums=10_000)
    assert (
        findings.strongest_links(few).text == f"No place is on enough albums to test (at least 10000). "
        f"{len(albums)} albums have a place."
    )


def _albums(catalogue) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tags": [[t for t in a.tags if t not in demo_catalogue.PLACES] for a in catalogue],
            "found_under": [list(a.listed_under) for a in catalogue],
            "release_date": pd.to_datetime([a.release_date for a in catalogue]),
            "colorgram": [[c for c, _ in a.palette()] for a in catalogue],
            "proportions": [[w for _, w in a.palette()] for a in catalogue],
        }
    )


def test_drift_verdict_names_exactly_the_significant_groups(monkeypatch) -> None:
    drifting = trend_test(_albums(demo_catalogue.catalogue(40, 2)), "lightness", group="found_under")
    v = findings.drift_verdict(drifting)
    sig = drifting.drop(index=ALL)
    sig = sig[sig["significant"]]
    assert "ambient" in v.outcome and sorted(v.outcome) == sorted(sig.index)
    r = drifting.loc["ambient"]
    assert f"ambient ({r['slope_per_decade']:+.1f} L* per decade, 95% CI {r['lo']:+.1f} to {r['hi']:+.1f}" in v.text
    others = drifting.drop(index=[ALL, *sig.index])
    assert f"The other {len(others)} show slopes from {others['slope_per_decade'].min():+.1f}" in v.text
    assert v.text.startswith(f"Lightness drifts in {len(sig)} of 10 groups")
    monkeypatch.setattr(demo_catalogue, "DRIFT", {})
    flat = trend_test(_albums(demo_catalogue.draw_catalogue(40, 2)), "lightness", group="found_under")
    v = findings.drift_verdict(flat)
    assert not flat["significant"].any() and v.outcome == [] and v.text.startswith("No group drifts in lightness")
    assert "All 10 show slopes from" in v.text and "The whole corpus:" in v.text


def test_similar_and_vocabulary_findings() -> None:
    near = pd.DataFrame({"palette_emd": [10.0, 20.0, 30.0]})
    near.attrs.update(baseline_emd=40.0, baseline_n=50, spearman=0.5)
    v = findings.similar_verdict(near)
    assert v.outcome is True and "are nearer in colour" in v.text and "20.0 ΔE for the 3 neighbours" in v.text
    near.attrs["baseline_emd"] = 15.0
    assert findings.similar_verdict(near).outcome is False
    from bcanalysis.quantize import vocabulary_table

    palettes = [np.random.default_rng(i).integers(0, 256, (30, 3)) for i in range(40)]
    table = vocabulary_table(palettes, bits=(24, 12, 9))
    v = findings.vocabulary_finding(table, 12)
    assert v.outcome == table.loc[12, "distinct colours"]
    assert f"{table.loc[12, 'distinct colours']:,} distinct colours" in v.text
    assert "The analysis had 3,935 of 347,638" in v.text


def test_findings_show_as_escaped_html() -> None:
    v = findings.Finding("Strongest place links", "<img src=x onerror=alert(1)> wears topic 0", [], "rule")
    assert "<img" not in v._repr_html_() and "&lt;img" in v._repr_html_()


def test_q_values_in_sentences_read_on_the_side_of_the_rule(linked) -> None:
    """The issue: "q = 0.05" was printed for 0.04996 under the rule q < 0.05, and q = 1.3e-124 from a normal
    approximation. Now: enough digits to read as judged, and a q at the test's floor is printed as a bound."""
    test = pd.DataFrame(
        {
            "n_albums": [40, 40, 80],
            "slope_per_decade": [-3.0, 1.0, -1.0],
            "lo": [-5.9, -1.0, -2.5],
            "hi": [-0.1, 3.0, 0.5],
            "p_value": [0.02498, 0.3, 0.2],
            "q_value": [0.04996, 0.3, 0.2],
            "significant": [True, False, False],
        },
        index=["ambient", "pop", ALL],
    )
    test.attrs.update(variable="lightness", alpha=0.05)
    v = findings.drift_verdict(test)
    assert v.outcome == ["ambient"] and "q = 0.04996" in v.text and "q = 0.05)" not in v.text
    model, albums = linked
    table = analysis.tag_topic_table(model, albums)
    v = findings.strongest_links(table)
    top = table[table["significant"] & (table["lift"] > 1)].sort_values("lift", ascending=False).iloc[0]
    assert top["p_value"] == table.attrs["p_floor"]  # a strong planted link: at the resolution of the test
    assert f"{top['lift']:.2f}× as much as covers overall (q ≤ {top['q_value']:.2g})" in v.text
    assert "e-" not in v.text  # no 1.3e-124


def test_the_vocabulary_table_shows_no_missing_value_marker() -> None:
    """The issue: `<NA>` cells in a reader's table (depths the 2020 analysis did not report)."""
    from bcanalysis.quantize import ANALYSIS_COLUMN, NOT_REPORTED, vocabulary_table

    palettes = [np.random.default_rng(i).integers(0, 256, (30, 3)) for i in range(40)]
    table = vocabulary_table(palettes, bits=(24, 18, 12, 9))
    shown = table.to_html() + table.to_string()
    assert "<NA>" not in shown and "&lt;NA&gt;" not in shown and "NaN" not in shown
    assert table.loc[18, ANALYSIS_COLUMN] == NOT_REPORTED and table.loc[12, ANALYSIS_COLUMN] == 3935
    assert table["words per palette"].map(lambda v: round(v, 1) == v).all()
    v = findings.vocabulary_finding(table, 9)  # a depth the analysis did not report: no comparison claimed
    assert "The analysis had" not in v.text


def _weighting_tables(tfidf_perplexity, tfidf_npmi, tfidf_stability, n=(2, 3, 4, 5)) -> tuple:
    base = pd.DataFrame(
        {"bits": 12, "n_topics": list(n), "perplexity": 300.0, "coherence_npmi": 0.20, "stability": 0.90}
    )
    other = base.assign(perplexity=tfidf_perplexity, coherence_npmi=tfidf_npmi, stability=tfidf_stability)
    return base, other


def test_the_tfidf_comparison_prints_its_finding_from_the_tables() -> None:
    """The issue: the tf-idf-vs-counts section printed no finding though its table was clear."""
    base, worse = _weighting_tables([310.0, 320, 290, 330], [0.1, 0.3, 0.1, 0.1], [0.7, 0.8, 0.95, 0.6])
    v = findings.weighting_verdict(base, worse, bits=12)
    assert v.outcome == "count" and v.text.startswith("Colour counts stay the default at 12 bit")
    assert "held-out perplexity at 1 of 4 (median 315.0 against 300.0)" in v.text
    assert "NPMI coherence at 1 of 4 (median 0.10 against 0.20)" in v.text
    assert "seed stability at 1 of 4 (median 0.75 against 0.90)" in v.text
    base, better = _weighting_tables([250.0, 260, 310, 240], [0.3, 0.3, 0.1, 0.25], [0.95, 0.92, 0.5, 0.91])
    v = findings.weighting_verdict(base, better, bits=12)
    assert v.outcome == "tfidf" and v.text.startswith("tf-idf replaces colour counts at 12 bit")
    assert "held-out perplexity at 3 of 4" in v.text and "more than half" in v.rule
    half = _weighting_tables([250.0, 260, 310, 340], [0.3, 0.3, 0.1, 0.25], [0.95, 0.92, 0.5, 0.91])
    assert findings.weighting_verdict(*half, bits=12).outcome == "count"  # 2 of 4 is not more than half
    one_seed = findings.weighting_verdict(base, better.assign(stability=np.nan), bits=12)
    assert one_seed.outcome == "count" and "seed stability cannot be judged" in one_seed.text
    with pytest.raises(ValueError, match="no rows at 9 bit"):
        findings.weighting_verdict(base, better, bits=9)
