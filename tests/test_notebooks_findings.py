"""Every conclusion a notebook prints agrees with the table it shows, on two demo corpora whose outcomes differ.

Notebooks 03-06 run through `bcanalysis report` on two small demo corpora (`_demo_reports`): the demo catalogue as
served (ambient darkens over the years) and another draw with the planted drift moved to pop. For each verdict the
test reads the table the report shows (the HTML of the executed notebook's output), applies the decision rule itself,
and checks the printed verdict names the same outcome with the table's numbers. The corpora must not agree on
everything: at least the drift verdict differs.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from _demo_reports import CORPORA, PARAMETERS, TAGS, demo_reports
from bs4 import BeautifulSoup
from test_topics_recommend import check_reason, explained

from bcanalysis import album_table, analysis, topics
from bcanalysis.demo.catalogue import PLACES
from bcanalysis.store import Corpus

pytestmark = pytest.mark.slow  # every test reads notebooks run under papermill: make test-fast leaves this module out

NAMES = list(CORPORA)
#: Notebook 05's report, named after the run's depth and topic count.
FINAL = f"05_final_{PARAMETERS['bits']}bit_{PARAMETERS['n_topics']}topics"


def _cell(reports: Path, notebook: str, source: str):
    """The executed cell of `notebook` whose source contains `source` (exactly one)."""
    nb = nbformat.read(str(reports / f"{notebook}.ipynb"), as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and source in c.source]
    assert len(cells) == 1, f"{notebook}: {len(cells)} cells contain {source!r}"
    return cells[0]


def _result(cell, mime: str) -> str:
    """The cell's displayed result in `mime` (an execute_result or display_data output)."""
    shown = [
        o.data[mime] for o in cell.outputs if o.output_type in ("execute_result", "display_data") and mime in o.data
    ]
    assert shown, f"no {mime} output in cell:\n{cell.source}"
    return shown[-1]


def _verdict(reports: Path, notebook: str, call: str) -> str:
    return _result(_cell(reports, notebook, call), "text/plain")


def _value(text: str) -> object:
    text = text.strip()
    if text in ("True", "False"):
        return text == "True"
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return text


def _table(reports: Path, notebook: str, source: str) -> pd.DataFrame:
    """The DataFrame a cell shows, read back from its HTML (index from the row headers, columns from the header)."""
    soup = BeautifulSoup(_result(_cell(reports, notebook, source), "text/html"), "html.parser")
    head = soup.find("thead").find_all("tr")[0]
    columns = [th.get_text() for th in head.find_all("th")][1:]
    rows, index = [], []
    for tr in soup.find("tbody").find_all("tr"):
        index.append(_value(tr.find("th").get_text()))
        rows.append([_value(td.get_text()) for td in tr.find_all("td")])
    return pd.DataFrame(rows, index=index, columns=columns)


def _close(text: str, label: str, value: float, *, after: str = "") -> None:
    """`text` shows `value` after `label` (itself after the pattern `after`), to the decimals it prints."""
    m = re.search(after + re.escape(label) + r"\s*([-+]?\d[\d,]*\.?\d*)", text)
    assert m, f"{label!r} not in: {text}"
    shown = m.group(1).replace(",", "")
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    assert abs(float(shown) - value) <= 0.5 * 10**-decimals + 1e-9, (label, shown, value, text)


@pytest.fixture(scope="module", params=NAMES)
def reports(request) -> Path:
    return demo_reports(request.param)


def test_vocabulary_finding_agrees_with_its_table(reports: Path) -> None:
    table = _table(reports, "03_quantize", "vocabulary = quantize.vocabulary_table")
    text = _verdict(reports, "03_quantize", "findings.vocabulary_finding(")
    bits = PARAMETERS["bits"]
    ours, full = table.loc[bits, "distinct colours"], table.loc[24, "distinct colours"]
    assert (
        f"At {bits} bit the corpus has {int(ours):,} distinct colours, {ours / full:.1%} of its {int(full):,}" in text
    )


def test_recommendation_agrees_with_the_sweep(reports: Path) -> None:
    albums = Corpus(str(reports.parent / "corpus.sqlite"), create=False).albums()
    _, palettes = album_table.album_palettes(albums)
    sweep = topics.sweep(
        palettes,
        bits=PARAMETERS["sweep_bits"],
        n_topics=PARAMETERS["sweep_n"],
        random_state=PARAMETERS["random_state"],
        cache_dir=reports.parent / "cache",
        progress=False,
    )
    assert sweep.table["cached"].all()  # the very models the notebook fitted
    shown = _table(reports, "04_lda_sweep", 'recommendation.drop(columns="reason")')
    text = _verdict(reports, "04_lda_sweep", "findings.recommendation(")
    printed = "".join(
        o.text
        for o in _cell(reports, "04_lda_sweep", "recommendation = sweep.recommend()").outputs
        if o.output_type == "stream"
    )
    expected = {}
    for bits, t in sweep.table.groupby("bits"):  # the one-standard-error rule, applied here
        t = t.sort_values("n_topics")
        expected[int(bits)] = int(t.loc[t["excess"] <= t["excess_se"], "n_topics"].iloc[0])
    assert {int(b): int(k) for b, k in zip(shown["bits"], shown["n_topics"], strict=True)} == expected
    rec = sweep.recommend()
    for _, row in rec.iterrows():  # each printed reasoning: its numbers from the table, its claims the rule's
        assert row["reason"] in printed
        check_reason(sweep.table[sweep.table["bits"] == row["bits"]], row)
    for bits, k in expected.items():
        assert f"n = {k} at {bits} bit" in text
    final, supported = PARAMETERS["n_topics"], rec.set_index("bits").loc[PARAMETERS["bits"], "supported"]
    assert ("follow it" in text) == (final == expected[PARAMETERS["bits"]] and supported), text
    assert not explained(text, [sweep.table, rec], (final,)), text


def test_tfidf_finding_agrees_with_the_two_sweeps(reports: Path) -> None:
    albums = Corpus(str(reports.parent / "corpus.sqlite"), create=False).albums()
    _, palettes = album_table.album_palettes(albums)
    kw = {
        "n_topics": PARAMETERS["sweep_n"],
        "random_state": PARAMETERS["random_state"],
        "cache_dir": reports.parent / "cache",
        "progress": False,
    }
    sweep = topics.sweep(palettes, bits=PARAMETERS["sweep_bits"], **kw)
    tfidf = topics.sweep(palettes, bits=[PARAMETERS["bits"]], weighting="tfidf", engine="sklearn", **kw)
    assert sweep.table["cached"].all() and tfidf.table["cached"].all()  # the notebook's own fits
    text = _verdict(reports, "04_lda_sweep", "findings.weighting_verdict(")
    a = tfidf.table.set_index("n_topics")
    b = sweep.table[sweep.table["bits"] == PARAMETERS["bits"]].set_index("n_topics").loc[a.index]
    wins = {}
    for col, label, sign in [
        ("perplexity", "held-out perplexity", -1),
        ("coherence_npmi", "NPMI coherence", 1),
        ("stability", "seed stability", 1),
    ]:  # the rule, applied here
        wins[col] = int((sign * (a[col] - b[col]) > 0).sum())
        assert f"{label} at {wins[col]} of {len(a)} (median " in text
    replaces = all(2 * w > len(a) for w in wins.values())
    assert text.startswith("tf-idf against counts: " + ("tf-idf replaces" if replaces else "Colour counts stay"))
    m = re.search(r"held-out perplexity at \d+ of \d+ \(median ([\d.]+) against ([\d.]+)\)", text)
    _close(f"x {m.group(1)}", "x", a["perplexity"].median())
    _close(f"x {m.group(2)}", "x", b["perplexity"].median())


def test_one_model_one_numbering_in_04_05_and_06(reports: Path) -> None:
    """The issue: the 12-bit model's "minty green" was topic 0 in 04's grid and topic 4 in 05. 05 now uses the
    sweep's model for its (bits, n_topics), numbered by share, and 06 loads what 05 saved: each topic is under one
    number in 04's grid, 05's topic table and 06's intertopic map."""
    albums = Corpus(str(reports.parent / "corpus.sqlite"), create=False).albums()
    _, palettes = album_table.album_palettes(albums)
    bits, k = PARAMETERS["bits"], PARAMETERS["n_topics"]
    sweep = topics.sweep(
        palettes,
        bits=PARAMETERS["sweep_bits"],
        n_topics=PARAMETERS["sweep_n"],
        random_state=PARAMETERS["random_state"],
        cache_dir=reports.parent / "cache",
        progress=False,
    )
    shown_in_04 = sweep.model(bits, k)  # what 04's topic-count explorer draws for (bits, n_topics)
    saved = topics.ColorTopics.load(reports.parent / "cache" / f"final_{bits}bit_{k}topics" / "model")
    assert np.array_equal(shown_in_04.components_, saved.components_)
    shares = topics.topic_shares(saved, palettes)
    assert np.all(np.diff(shares) <= 0)  # numbered by share, topic 0 the largest
    table05 = _table(reports, FINAL, "table = topics.topic_table(model, palettes)")
    map06 = _table(reports, "06_beyond", 'the_map.table[["x", "y", "prevalence", "label"]]')
    for topic in range(k):
        assert table05.loc[topic, "colours"] == shown_in_04.topic_label(topic)
        assert map06.loc[topic, "label"] == shown_in_04.topic_label(topic)
    assert list(table05["share of corpus"]) == sorted(table05["share of corpus"], reverse=True)


def test_strongest_genre_links_agree_with_the_table_and_name_no_place(reports: Path) -> None:
    text = _verdict(reports, FINAL, "findings.strongest_links(lift)")
    pivot = _table(reports, FINAL, 'lift.pivot(index="tag"')
    albums = Corpus(str(reports.parent / "corpus.sqlite"), create=False).albums()
    assert set(pivot.index) <= {t for tags in album_table.tag_column(albums) for t in tags}  # heatmap rows: the genres
    if "location" in albums:  # the corpus keeps places apart: none of them is a genre row
        assert not set(PLACES) & set(pivot.index)
    model = topics.ColorTopics.load(reports.parent / "cache" / "final_12bit_5topics" / "model")
    lift = analysis.tag_topic_table(model, albums)  # the notebook's table, from its saved model
    strong = lift[(lift["q_value"] < 0.05) & (lift["lift"] > 1)].sort_values("lift", ascending=False)
    if strong.empty:
        assert text.startswith("Strongest genre links: No genre–topic pair is significantly above the corpus")
        return
    shown = _table(reports, FINAL, 'strong[["tag", "topic"')
    assert (
        list(zip(shown["tag"], shown["topic"].astype(int), strict=True))
        == list(zip(strong["tag"], strong["topic"], strict=True))[:15]
    )
    pairs = "genre–topic pair is" if len(strong) == 1 else "genre–topic pairs are"
    assert f"Strongest genre links: {len(strong)} {pairs} significantly above" in text
    for _, row in strong.head(5).iterrows():
        assert f"{row['tag']} wears topic {row['topic']} ({row['label']}) {row['lift']:.2f}×" in text


def test_drift_verdict_agrees_with_the_trend_table(reports: Path) -> None:
    table = _table(reports, "06_beyond", 'test.sort_values("slope_per_decade")')
    text = _verdict(reports, "06_beyond", "findings.drift_verdict(test)")
    groups = table.drop(index="(all)")
    border = groups[(groups["q_value"] - 0.05).abs() < 1e-4]
    assert border.empty, f"q too close to 0.05 to judge from the shown table: {border}"
    drifting = groups[groups["q_value"] < 0.05]
    if drifting.empty:
        assert text.startswith(f"Drift in lightness: No group drifts in lightness ({len(groups)} tested)")
    else:
        assert text.startswith(f"Drift in lightness: Lightness drifts in {len(drifting)} of {len(groups)} groups")
        for group, row in drifting.iterrows():
            _close(text, f"{group} (", row["slope_per_decade"], after="[:;] ")  # "pop (", not "k-pop ("
    still = groups.drop(index=drifting.index)
    if len(still):
        _close(text, "show slopes from", still["slope_per_decade"].min())


def test_place_links_agree_with_the_place_table(reports: Path) -> None:
    pivot = _table(reports, "06_beyond", 'place_lift.pivot(index="place"') if _has_rows(reports) else None
    text = _verdict(reports, "06_beyond", "findings.strongest_links(place_lift)")
    albums = Corpus(str(reports.parent / "corpus.sqlite"), create=False).albums()
    placed = album_table.places(albums)[albums["colorgram"].notna()].notna().sum()
    if pivot is None and not placed:
        assert text.startswith("Strongest place links: No album in this corpus has a known place")
    elif pivot is None:
        assert text.startswith("Strongest place links: No place is on enough albums to test")
    else:
        assert set(pivot.index) <= set(PLACES) and not set(TAGS) & set(pivot.index)
        assert text.startswith("Strongest place links: ")


def _has_rows(reports: Path) -> bool:
    html = _result(_cell(reports, "06_beyond", 'place_lift.pivot(index="place"'), "text/html")
    return "<tbody>" in html and "<td>" in html


def test_similar_covers_verdict_agrees_with_the_distances(reports: Path) -> None:
    table = _table(reports, "06_beyond", "palette EMD (ΔE)")
    text = _verdict(reports, "06_beyond", "findings.similar_verdict(neighbours)")
    median = table["palette EMD (ΔE)"].median()
    _close(text, "median palette EMD", median)
    baseline = float(re.search(r"against ([\d.]+) ΔE", text).group(1))
    assert ("are nearer in colour" in text) == (median < baseline)


def test_colour_space_verdict_agrees_with_the_means(reports: Path) -> None:
    means = _table(reports, "06_beyond", "findings.space_means(spaces)")
    text = _verdict(reports, "06_beyond", "findings.space_verdict(spaces)")
    measures = ["coherence_npmi", "stability", "tag_accuracy"]
    rgb = means.loc["rgb", measures]
    leads = {
        s: ((means.loc[s, measures] - rgb) / rgb.abs()).min()
        for s in ("hls", "oklab")
        if (means.loc[s, measures] > rgb).all()
    }
    names = {"rgb": "RGB", "hls": "HLS", "oklab": "OKLab"}
    if leads:
        assert text.startswith(f"Colour space: {names[max(leads, key=leads.get)]} replaces RGB as the default")
    else:
        assert text.startswith("Colour space: RGB stays the default")
    for space in ("hls", "oklab"):  # each space's coherence against RGB's, as the table shows them
        m = re.search(rf"{names[space]} (?:is|cannot)[^;]*?coherence \(([-\d.]+) against ([-\d.]+)\)", text)
        assert m, (space, text)
        _close(f"x {m.group(1)}", "x", means.loc[space, "coherence_npmi"])
        _close(f"x {m.group(2)}", "x", rgb["coherence_npmi"])


def test_the_two_corpora_lead_to_different_outcomes() -> None:
    outcomes = {}
    for name in NAMES:
        reports = demo_reports(name)
        outcomes[name] = _verdict(reports, "06_beyond", "findings.drift_verdict(test)")
    drifting = {
        name: re.findall(r"(\w[\w -]*) \([+-]\d+\.\d L\* per decade, 95%", text) for name, text in outcomes.items()
    }
    assert "ambient" in drifting["drift-ambient"] and "pop" not in drifting["drift-ambient"], outcomes
    assert "pop" in drifting["drift-pop"] and "ambient" not in drifting["drift-pop"], outcomes
