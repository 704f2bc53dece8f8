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

from bcanalysis import topics
from bcanalysis.demo.catalogue import PLACES
from bcanalysis.store import Corpus

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
    shown = [o.data[mime] for o in cell.outputs if o.output_type in ("execute_result", "display_data")
             and mime in o.data]  # fmt: skip
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
    assert f"At {bits} bit the corpus has {int(ours):,} distinct colours, {ours / full:.1%} of its {int(full):,}" \
        in text


def test_recommendation_agrees_with_the_sweep(reports: Path) -> None:
    albums = Corpus(str(reports.parent / "corpus.sqlite"), create=False).albums()
    _, palettes = topics.album_palettes(albums)
    sweep = topics.sweep(palettes, bits=PARAMETERS["sweep_bits"], n_topics=PARAMETERS["sweep_n"],
                         random_state=PARAMETERS["random_state"], cache_dir=reports.parent / "cache", progress=False)
    assert sweep.table["cached"].all()  # the very models the notebook fitted
    shown = _table(reports, "04_lda_sweep", 'recommendation.drop(columns="reason")')
    text = _verdict(reports, "04_lda_sweep", "findings.recommendation(")
    expected = {}
    for bits, t in sweep.table.groupby("bits"):  # the rule, applied here: last n whose next step gains > 1 %
        t = t.sort_values("n_topics")
        n, logp = t["n_topics"].to_numpy(), np.log(t["perplexity"].to_numpy())
        gains = -np.diff(logp) / np.diff(n)
        big = np.flatnonzero(gains > 0.01)
        expected[int(bits)] = int(n[big[-1] + 1]) if len(big) else int(n[0])
    assert {int(b): int(k) for b, k in zip(shown["bits"], shown["n_topics"], strict=True)} == expected
    for bits, k in expected.items():
        assert f"n = {k} at {bits} bit" in text
    final = PARAMETERS["n_topics"]
    best = expected[PARAMETERS["bits"]]
    if final == best:
        assert "follow it" in text
    else:
        assert f"uses {final} topics at {PARAMETERS['bits']} bit, {'more' if final > best else 'fewer'} than " \
               f"the {best} recommended" in text


def test_strongest_genre_links_agree_with_the_table_and_name_no_place(reports: Path) -> None:
    text = _verdict(reports, FINAL, "findings.strongest_links(lift)")
    pivot = _table(reports, FINAL, 'lift.pivot(index="tag"')
    albums = Corpus(str(reports.parent / "corpus.sqlite"), create=False).albums()
    assert set(pivot.index) <= {t for tags in topics.tag_column(albums) for t in tags}  # heatmap rows: the genres
    if "location" in albums:  # the corpus keeps places apart: none of them is a genre row
        assert not set(PLACES) & set(pivot.index)
    model = topics.ColorTopicModel.load(reports.parent / "cache" / "final_12bit_5topics" / "model")
    lift = topics.tag_topic_table(model, albums)  # the notebook's table, from its saved model
    strong = lift[(lift["q_value"] < 0.05) & (lift["lift"] > 1)].sort_values("lift", ascending=False)
    if strong.empty:
        assert text.startswith("Strongest genre links: No genre–topic pair is significantly above the corpus")
        return
    shown = _table(reports, FINAL, 'strong[["tag", "topic"')
    assert list(zip(shown["tag"], shown["topic"].astype(int), strict=True)) == \
        list(zip(strong["tag"], strong["topic"], strict=True))[:15]
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
    placed = topics.places(albums)[albums["colorgram"].notna()].notna().sum()
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
    leads = {s: ((means.loc[s, measures] - rgb) / rgb.abs()).min() for s in ("hls", "oklab")
             if (means.loc[s, measures] > rgb).all()}  # fmt: skip
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
    drifting = {name: re.findall(r"(\w[\w -]*) \([+-]\d+\.\d L\* per decade, 95%", text)
                for name, text in outcomes.items()}  # fmt: skip
    assert "ambient" in drifting["drift-ambient"] and "pop" not in drifting["drift-ambient"], outcomes
    assert "pop" in drifting["drift-pop"] and "ambient" not in drifting["drift-pop"], outcomes
