"""Findings: each notebook's conclusion, computed. A verdict function applies a stated decision rule to a result
table and words the outcome with that table's numbers, so what a report says always agrees with what it measured
— on the demo catalogue, a real Bandcamp scrape or any other corpus.

    from bcanalysis.report import findings
    findings.space_verdict(analysis.compare_spaces(albums))          # does a perceptual colour space replace RGB?
    findings.recommendation(sweep, bits=12, n_topics=18)           # the sweep's topic count against the final model's
    findings.strongest_links(analysis.tag_topic_table(model, albums))    # which genres (or places) wear which topics
    findings.drift_verdict(analysis.trend_test(albums, "lightness"))     # which genres drift over the years
    findings.similar_verdict(neighbours)                            # are covers near in topic space near in colour?
    findings.weighting_verdict(sweep.table, tfidf.table, bits=12)   # does the analysis's tf-idf beat colour counts?

Each returns a `Finding`: `.text` (what a notebook prints), `.outcome` (the decision, for code and tests) and
`.rule` (the decision rule in words).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bcanalysis.analysis.genres import q_text, strong_links
from bcanalysis.analysis.trends import ALL
from bcanalysis.topics.recommend import MIN_PALETTES_PER_TOPIC, MIN_STABILITY, RULE, number, percents, side

SPACE_NAMES = {"rgb": "RGB", "hls": "HLS", "oklab": "OKLab"}
#: The measures a colour space must lead on, all of them, to replace the default.
SPACE_MEASURES = ("coherence_npmi", "stability", "tag_accuracy")
MEASURE_NAMES = {
    "coherence_npmi": "coherence",
    "stability": "stability",
    "tag_accuracy": "tag accuracy",
    "diversity": "diversity",
}
UNITS = {"lightness": " L*", "saturation": "", "near_black": "", "near_white": ""}


@dataclass
class Finding:
    """A computed conclusion: the sentence(s) to print, the decision itself, and the rule that made it."""

    title: str
    text: str
    outcome: Any
    rule: str

    def __str__(self) -> str:
        return f"{self.title}: {self.text}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        # escaped: tag and place names come from scraped pages
        return (
            f'<div class="bc-finding" style="border-left:4px solid #4a7;padding:.3em .8em;margin:.4em 0">'
            f"<b>{html.escape(self.title)}:</b> {html.escape(self.text)}</div>"
        )


def _num(x: float, digits: int = 3) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _pair(a: float, b: float, digits: int = 3) -> str:
    """ "a against b", with more decimals when the two would print alike though one is ahead."""
    while digits < 6 and np.isfinite(a) and np.isfinite(b) and a != b and _num(a, digits) == _num(b, digits):
        digits += 1
    return f"{_num(a, digits)} against {_num(b, digits)}"


def _q(q: float, alpha: float = 0.05, at_floor: bool = False) -> str:
    return f"q {q_text(q, alpha, at_floor=at_floor)}"


def _bare(q: float, alpha: float) -> str:
    """A q-value's number alone (as `q_text` prints it), for "every q ≥ …"."""
    return q_text(q, alpha).removeprefix("= ")


def _floor(table: pd.DataFrame, row: pd.Series) -> bool:
    """Whether the row's p-value is at its test's floor (then its q is an upper bound)."""
    floor = table.attrs.get("p_floor")
    return floor is not None and "p_value" in row and bool(row["p_value"] <= floor)


def _series(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --- colour spaces ------------------------------------------------------------------------------------------------


def space_means(
    table: pd.DataFrame, measures: Sequence[str] = (*SPACE_MEASURES[:1], "diversity", *SPACE_MEASURES[1:])
) -> pd.DataFrame:
    """`compare_spaces` averaged over the depths: one row per space (in the table's order), one column per measure."""
    missing = [m for m in ("space", *measures) if m not in table]
    if missing:
        raise ValueError(f"not a compare_spaces table: missing columns {missing}")
    return table.groupby("space", sort=False)[list(measures)].mean()


def _words(measures: Sequence[str], row: pd.Series, base: pd.Series) -> str:
    return _series([f"{MEASURE_NAMES.get(m, m)} ({_pair(row[m], base[m])})" for m in measures])


SPACE_RULE = (
    "a perceptual space replaces RGB as the default only if, averaged over the depths, it is ahead of RGB on "
    "coherence, stability and tag accuracy, all three; if several are, the one whose smallest lead (relative to "
    "RGB's value) is largest"
)


def space_verdict(table: pd.DataFrame, *, baseline: str = "rgb", measures: Sequence[str] = SPACE_MEASURES) -> Finding:
    """Does a perceptual colour space replace RGB? `SPACE_RULE` applied to `compare_spaces` output."""
    means = space_means(table, measures)
    if baseline not in means.index:
        raise ValueError(f"the table has no {baseline!r} rows to compare against (spaces: {list(means.index)})")
    base, name = means.loc[baseline], SPACE_NAMES.get(baseline, baseline)
    qualified, notes = {}, []
    for space, row in means.drop(index=baseline).iterrows():
        ahead = [m for m in measures if row[m] > base[m]]
        behind = [m for m in measures if row[m] <= base[m]]
        unknown = [m for m in measures if not (np.isfinite(row[m]) and np.isfinite(base[m]))]
        label = SPACE_NAMES.get(space, space)
        if unknown:
            notes.append(
                f"{label} cannot be judged on {_series([MEASURE_NAMES.get(m, m) for m in unknown])} "
                f"({_why_unmeasured(unknown, table)})"
            )
        elif not behind:
            qualified[space] = min((row[m] - base[m]) / abs(base[m]) if base[m] else np.inf for m in measures)
            notes.append(f"{label} is ahead on {_words(ahead, row, base)}")
        else:
            notes.append(
                f"{label} is "
                + (f"ahead on {_words(ahead, row, base)} but " if ahead else "")
                + f"not ahead on {_words(behind, row, base)}"
            )
    depths = ", ".join(str(b) for b in sorted(set(table["bits"]))) if "bits" in table else ""
    over = f" (means over {depths} bit; {name}'s value second)" if depths else f" ({name}'s value second)"
    if qualified:
        winner = max(qualified, key=qualified.get)
        head = f"{SPACE_NAMES.get(winner, winner)} replaces {name} as the default"
    else:
        winner = baseline
        head = (
            f"{name} stays the default: no space is ahead of it on "
            + _series([MEASURE_NAMES.get(m, m) for m in measures])
            + " together"
        )
    return Finding("Colour space", head + over + ". " + "; ".join(notes) + ".", winner, SPACE_RULE)


# --- the sweep ------------------------------------------------------------------------------------------------------


def recommendation(sweep: Any, *, bits: int, n_topics: int) -> Finding:
    """The sweep's recommended topic count per depth (`SweepResult.recommend`: the one-standard-error rule), what
    limits it (a flat curve, the grid's edge, too few palettes a topic, unstable seeds), and how the final model's
    (`bits`, `n_topics`) stands against it: the text says the sweep supports the final count only when it does."""
    rec = sweep.recommend().set_index("bits")
    per_depth = _series([f"n = {int(r.n_topics)} at {b} bit" for b, r in rec.iterrows()])
    text = (
        f"The sweep recommends {per_depth} (the smallest n within one standard error of the lowest held-out "
        f"perplexity)."
    )
    for b, r in rec.iterrows():
        text += _limits(int(b), r)
    unstable = [
        f"{b} bit ({side(r.stability, MIN_STABILITY)})"
        for b, r in rec.iterrows()
        if np.isfinite(r.stability) and r.stability < MIN_STABILITY
    ]
    if unstable:
        text += f" Seed stability there is below {MIN_STABILITY} at {_series(unstable)}: read those topics with care."
    text += _final(sweep.table, rec, bits, n_topics)
    return Finding("Topic count", text, {int(b): int(r.n_topics) for b, r in rec.iterrows()}, RULE)


def _limits(bits: int, r: Any) -> str:
    """What limits one depth's recommendation, in a sentence or two ("" when nothing does)."""
    out, n = "", int(r.n_topics)
    if r.single:
        out += f" At {bits} bit only n = {n} was swept: there is nothing to compare it with, so no count is supported."
    elif not r.measured:
        out += (
            f" At {bits} bit no count is supported: the uncertainty of held-out perplexity cannot be measured "
            f"(fewer than two held-out palettes with colours to score)."
        )
    elif r.flat:
        out += (
            f" At {bits} bit no count is supported: the curve is flat (the smallest n swept, n = {n}, "
            f"is already within one standard error of the lowest)."
        )
    elif r.rising:
        out += (
            f" At {bits} bit no count above n = {n} is supported: held-out perplexity is lowest at the "
            f"smallest n swept."
        )
    if r.widen_up:
        out += (
            f" At {bits} bit the lowest perplexity is at the largest n swept (n = {int(r.best_n)}): widen the grid "
            f"(sweep_n) upward."
        )
    if r.widen_down:
        out += f" At {bits} bit the choice is the smallest n swept: widen the grid (sweep_n) downward."
    if r.too_many:
        out += (
            f" At {bits} bit n = {n} leaves {number(r.palettes_per_topic, 1)} palettes a topic "
            f"({int(r.n_documents):,} palettes), fewer than {MIN_PALETTES_PER_TOPIC}: too many topics for this "
            f"corpus, which allows at most {int(r.max_topics)}."
        )
    return out


def _final(table: pd.DataFrame, rec: pd.DataFrame, bits: int, n_topics: int) -> str:
    """How the final model's (bits, n_topics) stands against the sweep."""
    if bits not in rec.index:
        return f" The final model's depth, {bits} bit, was not swept."
    r = rec.loc[bits]
    best = int(r.n_topics)
    follow = f" (set -p n_topics {best} to follow the sweep)"
    cell = table[(table["bits"] == bits) & (table["n_topics"] == n_topics)]
    if n_topics == best:
        out = (
            f" The final model's {n_topics} topics at {bits} bit follow it."
            if r.supported
            else f" The final model's {n_topics} topics at {bits} bit are that choice, but the sweep does not support "
            f"it ({r.note})."
        )
    elif cell.empty:
        grid = sorted(int(k) for k in table.loc[table["bits"] == bits, "n_topics"])
        out = (
            f" The final model uses {n_topics} topics at {bits} bit, a count the sweep did not fit (its grid: "
            f"{grid[0]} to {grid[-1]}), so the sweep cannot support it; it recommends {best} there{follow}."
        )
    else:
        c = cell.iloc[0]
        more = "more" if n_topics > best else "fewer"
        if not r.measured:
            out = (
                f" The final model uses {n_topics} topics at {bits} bit, {more} than the {best} shown; the sweep "
                f"supports no count there."
            )
        else:
            e, se = percents(c["excess"], c["excess_se"])
            within = c["excess"] <= c["excess_se"]
            out = (
                f" The final model uses {n_topics} topics at {bits} bit, {more} than the {best} recommended: its "
                f"held-out perplexity, {number(c['perplexity'], 1)}, is {e} above the lowest (standard error {se})"
                + (
                    ", more than one standard error: the sweep does not support it"
                    if not within
                    else f", so the sweep cannot tell it from the best, but supports no more than {best} topics"
                    if r.supported
                    else f", so the sweep cannot tell it from the best, but supports no count there ({r.note})"
                )
                + f"{follow}."
            )
    docs = int(r.n_documents)
    if docs / n_topics < MIN_PALETTES_PER_TOPIC:
        out += (
            f" Its {n_topics} topics over {docs:,} palettes leave fewer than {MIN_PALETTES_PER_TOPIC} palettes a "
            f"topic: too many topics for this corpus, which allows at most {int(r.max_topics)}."
        )
    return out


WEIGHTING_MEASURES = {
    "perplexity": ("held-out perplexity", -1),
    "coherence_npmi": ("NPMI coherence", 1),
    "stability": ("seed stability", 1),
}
WEIGHTING_RULE = (
    "tf-idf (the analysis's pipeline) would replace colour counts only if, at the final depth, it were ahead (lower "
    "held-out perplexity, higher NPMI coherence, higher seed stability) at more than half of the topic counts swept, "
    "on all three measures"
)


def weighting_verdict(default: pd.DataFrame, tfidf: pd.DataFrame, *, bits: int) -> Finding:
    """tf-idf into scikit-learn's LDA (the analysis's pipeline) against the default weighting, from the two sweeps'
    tables at depth `bits`: at how many topic counts each is ahead on each measure (`WEIGHTING_RULE`), with the
    medians over the counts both swept."""
    rows = {}
    for name, table in (("default", default), ("tfidf", tfidf)):
        if "bits" not in table or bits not in set(table["bits"]):
            raise ValueError(f"the {name} sweep has no rows at {bits} bit")
        rows[name] = table[table["bits"] == bits].set_index("n_topics")
    counts = sorted(set(rows["default"].index) & set(rows["tfidf"].index))
    if not counts:
        raise ValueError("the two sweeps share no topic count")
    a, b = rows["tfidf"].loc[counts], rows["default"].loc[counts]
    parts, wins = [], {}
    for col, (label, sign) in WEIGHTING_MEASURES.items():
        known = a[col].notna() & b[col].notna()
        if not known.any():
            parts.append(f"{label} cannot be judged (it needs two seeds per cell)")
            wins[col] = 0
            continue
        ahead = int((sign * (a.loc[known, col] - b.loc[known, col]) > 0).sum())
        wins[col] = ahead if known.all() else 0
        digits = 1 if col == "perplexity" else 2
        medians = _pair(a.loc[known, col].median(), b.loc[known, col].median(), digits)
        parts.append(f"{label} at {ahead} of {int(known.sum())} (median {medians})")
    replaces = all(2 * w > len(counts) for w in wins.values())
    head = (
        f"tf-idf replaces colour counts at {bits} bit"
        if replaces
        else f"Colour counts stay the default at {bits} bit: tf-idf (the analysis's pipeline) is not ahead at most "
        f"topic counts on all three measures"
    )
    text = (
        f"{head}. tf-idf is ahead on " + _series(parts) + f", over the {len(counts)} topic counts both swept "
        "(tf-idf's median first)."
    )
    return Finding("tf-idf against counts", text, "tfidf" if replaces else "count", WEIGHTING_RULE)


# --- genres and places ----------------------------------------------------------------------------------------------


def strongest_links(table: pd.DataFrame, n: int = 5) -> Finding:
    """The strongest significant links of `tag_topic_table` (genres) or `place_topic_table` (places): pairs with
    q below the table's alpha and lift above 1, highest lift first."""
    group = table.attrs.get("group") or ("tag" if "tag" in table else "place")
    alpha = table.attrs.get("alpha", 0.05)
    noun = "genre" if group == "tag" else group
    rule = (
        f"a {noun} wears a topic when its mean topic weight is above the corpus's (lift > 1) with "
        f"Benjamini-Hochberg q < {alpha:g}; strongest = highest lift"
    )
    if table.empty:
        placed = table.attrs.get("n_placed")
        if group == "place" and placed == 0:
            text = "No album in this corpus has a known place (the corpus keeps none in `location`)."
        else:
            least = table.attrs.get("min_albums")
            text = f"No {noun} is on enough albums to test" + (f" (at least {least})." if least else ".")
            if group == "place" and placed:
                text += f" {placed} albums have a place."
        return Finding(f"Strongest {noun} links", text, [], rule)
    strong = strong_links(table)
    n_groups = table[group].nunique()
    if strong.empty:
        top = table[np.isfinite(table["lift"])].sort_values("lift", ascending=False, kind="stable").iloc[0]
        text = (
            f"No {noun}–topic pair is significantly above the corpus (q < {alpha:g}) among {n_groups} "
            f"{noun}s × {table['topic'].nunique()} topics; the largest lift, {top['lift']:.2f}, is {top[group]} "
            f"on topic {int(top['topic'])} ({_q(top['q_value'], alpha, _floor(table, top))})."
        )
        return Finding(f"Strongest {noun} links", text, [], rule)
    shown = strong.head(n)
    parts = [
        f"{r[group]} wears topic {int(r['topic'])} ({r['label']}) {r['lift']:.2f}× as much as covers overall "
        f"({_q(r['q_value'], alpha, _floor(table, r))})"
        for _, r in shown.iterrows()
    ]
    pairs = f"{len(strong)} {noun}–topic pair is" if len(strong) == 1 else f"{len(strong)} {noun}–topic pairs are"
    text = (
        f"{pairs} significantly above the corpus (q < {alpha:g}, lift > 1), in "
        f"{strong[group].nunique()} of {n_groups} {noun}s. Strongest: " + "; ".join(parts) + "."
    )
    outcome = [(r[group], int(r["topic"])) for _, r in shown.iterrows()]
    return Finding(f"Strongest {noun} links", text, outcome, rule)


# --- trends ---------------------------------------------------------------------------------------------------------


def drift_verdict(test: pd.DataFrame) -> Finding:
    """Which groups drift over the years: the groups of `trend_test` output whose slope is significant (q below
    the table's alpha), each with its slope and interval; the rest summarised by their range of slopes."""
    variable = test.attrs.get("variable", "the variable")
    alpha = test.attrs.get("alpha", 0.05)
    unit = UNITS.get(variable, "")
    rule = f"a group drifts when its least-squares slope over release years has Benjamini-Hochberg q < {alpha:g}"
    groups = test.drop(index=[g for g in test.index if g == ALL])
    if groups.empty:
        least = test.attrs.get("min_albums")
        why = test.attrs.get("note") or (
            f"no genre has {least} or more dated albums" if least else "no genre has enough dated albums"
        )
        text = f"No genre can be tested for a drift: {why}."
        if ALL in test.index:
            r = test.loc[ALL]
            text += (
                f" The whole corpus: {r['slope_per_decade']:+.1f}{unit} per decade, 95% CI {r['lo']:+.1f} to "
                f"{r['hi']:+.1f}, {_q(r['q_value'])}"
                + (" (significant)." if r["significant"] else " (not significant).")
            )
        return Finding(f"Drift in {variable}", text, [], rule)
    moving = groups[groups["significant"]].sort_values("slope_per_decade", kind="stable")
    still = groups[~groups["significant"]]

    def slope(r: pd.Series) -> str:
        return (
            f"{r['slope_per_decade']:+.1f}{unit} per decade, 95% CI {r['lo']:+.1f} to {r['hi']:+.1f}, "
            f"{_q(r['q_value'], alpha)}"
        )

    if len(moving):
        text = (
            f"{variable.capitalize()} drifts in {len(moving)} of {len(groups)} groups: "
            + "; ".join(f"{g} ({slope(r)})" for g, r in moving.iterrows())
            + "."
        )
    else:
        text = f"No group drifts in {variable} ({len(groups)} tested)."
    if len(still):
        text += (
            f" {'The other' if len(moving) else 'All'} {len(still)} show slopes from "
            f"{still['slope_per_decade'].min():+.1f} to {still['slope_per_decade'].max():+.1f}{unit} per "
            f"decade, every q ≥ {_bare(still['q_value'].min(), alpha)}."
        )
    if ALL in test.index:
        r = test.loc[ALL]
        text += f" The whole corpus: {slope(r)}" + (" (significant)." if r["significant"] else " (not significant).")
    return Finding(f"Drift in {variable}", text, list(moving.index), rule)


# --- similar covers and vocabulary ----------------------------------------------------------------------------------


def similar_verdict(neighbours: pd.DataFrame) -> Finding:
    """Are covers near in topic space near in colour? The neighbours' median palette EMD against the random
    albums' (`analysis.similar_palettes` output)."""
    near, base = float(neighbours["palette_emd"].median()), float(neighbours.attrs.get("baseline_emd", np.nan))
    rho = neighbours.attrs.get("spearman", np.nan)
    rule = "near in topic space is near in colour when the neighbours' median palette EMD is below the random albums'"
    closer = bool(np.isfinite(base) and near < base)
    text = (
        f"Covers near in topic space are {'' if closer else 'not '}nearer in colour than random albums: median "
        f"palette EMD {near:.1f} ΔE for the {len(neighbours)} neighbours against {base:.1f} ΔE for "
        f"{neighbours.attrs.get('baseline_n', 0)} random albums (Spearman ρ = {rho:.2f} between topic and "
        f"palette distance)."
    )
    return Finding("Similar covers", text, closer, rule)


def vocabulary_finding(table: pd.DataFrame, bits: int) -> Finding:
    """How much the chosen depth shrinks the vocabulary (`quantize.vocabulary_table`), beside the 2020 analysis."""
    if bits not in table.index or 24 not in table.index:
        raise ValueError(f"the vocabulary table needs rows for 24 and {bits} bit, has {list(table.index)}")
    ours, full = int(table.loc[bits, "distinct colours"]), int(table.loc[24, "distinct colours"])
    text = (
        f"At {bits} bit the corpus has {ours:,} distinct colours, {ours / full:.1%} of its {full:,} at 24 bit; "
        f"a palette keeps {table.loc[bits, 'words per palette']:.1f} distinct words on average."
    )
    ref = table.columns[-1]
    theirs, their_full = table.loc[bits, ref], table.loc[24, ref]
    if isinstance(theirs, (int, np.integer)) and isinstance(their_full, (int, np.integer)):
        text += f" The analysis had {int(theirs):,} of {int(their_full):,} ({theirs / their_full:.1%})."
    return Finding("Vocabulary", text, ours, "distinct quantised colours over all palettes")


# --- what a table could not measure --------------------------------------------------------------------------------


def _why_unmeasured(measures: Sequence[str], table: pd.DataFrame) -> str:
    """Why measures of a `compare_spaces` table are missing: one seed per cell (stability), too few genres (tag
    accuracy: the table's own note)."""
    why = {
        "stability": "needs two seeds per cell",
        "tag_accuracy": table.attrs.get("note") or "tag accuracy needs two genres with two or more albums each",
    }
    known = [m for m in measures if m in why]
    if known == ["stability"]:
        return why["stability"]
    return "; ".join(("stability " if m == "stability" else "") + why[m] for m in known) or "not measured"
