"""The recommended topic count of a sweep: the one-standard-error rule on held-out perplexity, with stability and
coherence beside it, and the reasoning written from the very numbers it cites.

Per depth: find the lowest held-out perplexity (geometric mean over seeds); for every other n, how much higher its
perplexity is (`excess`) and the standard error of that difference (`excess_se`: paired over the held-out palettes,
plus the spread over seeds); recommend the smallest n whose excess is within one standard error — a count the data
cannot tell from the best, with as few topics as possible (the one-standard-error rule: Breiman et al. 1984;
Hastie, Tibshirani & Friedman, "The Elements of Statistical Learning", 7.10). The reasoning also says when the
choice says little: the curve is flat (the smallest n swept is already within one standard error), perplexity only
rises, the lowest perplexity sits at the grid's largest n (widen the grid), the uncertainty cannot be measured, or
the corpus has too few palettes per topic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Fewer palettes than this per topic, and a topic count is too large for the corpus.
MIN_PALETTES_PER_TOPIC = 20
#: Seed stability (matched cosine between seeds) below this, and topics differ between seeds.
MIN_STABILITY = 0.8

RULE = (
    "per depth, the smallest n whose held-out perplexity is within one standard error (of its difference from "
    "the lowest, over held-out palettes and seeds) of the lowest: the one-standard-error rule"
)
COLUMNS = ("perplexity", "excess", "excess_se", "stability", "diversity", "coherence_npmi", "n_documents")


def number(x: float, digits: int) -> str:
    """`x` with `digits` decimals, thousands grouped."""
    return f"{x:,.{digits}f}"


def side(x: float, bound: float, digits: int = 2) -> str:
    """`x` printed with at least `digits` decimals and as many more as it takes to read on its true side of
    `bound` (0.7996 against 0.8 prints 0.7996, not 0.80)."""
    while digits < 8 and (round(x, digits) < bound) != (x < bound):
        digits += 1
    return number(x, digits)


def percents(a: float, b: float, digits: int = 1) -> tuple[str, str]:
    """`a` and `b` as percentages with the same decimals, as many as it takes for the printed pair to compare as
    the values do (a within b reads within, a above b reads above)."""
    while digits < 6 and ((round(100 * a, digits) <= round(100 * b, digits)) != (a <= b)):
        digits += 1
    return f"{100 * a:.{digits}f}%", f"{100 * b:.{digits}f}%"


def depth(t: pd.DataFrame) -> dict[str, Any]:
    """The recommendation for one depth of a sweep table (its rows, any order): the chosen n, the numbers behind
    it, flags, and the reasoning as text."""
    missing = [c for c in ("bits", "n_topics", *COLUMNS) if c not in t]
    if missing:
        raise ValueError(f"not a sweep table: missing columns {missing}")
    t = t.sort_values("n_topics").reset_index(drop=True)
    bits, n = int(t["bits"].iloc[0]), t["n_topics"].to_numpy(dtype=int)
    excess, se = t["excess"].to_numpy(dtype=float), t["excess_se"].to_numpy(dtype=float)
    ib = int(np.flatnonzero(excess == np.nanmin(excess))[0])
    measured = bool(np.isfinite(se[np.arange(len(n)) != ib]).all()) if len(n) > 1 else bool(np.isfinite(se[ib]))
    ic = int(np.flatnonzero(excess <= se)[0]) if measured else 0
    row = t.iloc[ic]
    docs = int(row["n_documents"])
    per_topic = docs / n[ic]
    flags = {
        "single": len(n) == 1,
        "measured": measured,
        "flat": measured and len(n) > 1 and ic == 0 and ib > 0,
        "rising": measured and len(n) > 1 and ib == 0,
        "widen_up": len(n) > 1 and ib == len(n) - 1,
        "widen_down": measured and len(n) > 1 and ic == 0 and n[0] > 1,
        "too_many": per_topic < MIN_PALETTES_PER_TOPIC,
    }
    supported = measured and ic > 0 and not flags["too_many"]
    out = {
        "bits": bits,
        "n_topics": int(n[ic]),
        "perplexity": float(row["perplexity"]),
        "excess": float(excess[ic]),
        "excess_se": float(se[ic]),
        "best_n": int(n[ib]),
        "best_perplexity": float(t["perplexity"].iloc[ib]),
        "stability": float(row["stability"]),
        "diversity": float(row["diversity"]),
        "coherence_npmi": float(row["coherence_npmi"]),
        "n_documents": docs,
        "palettes_per_topic": per_topic,
        "max_topics": docs // MIN_PALETTES_PER_TOPIC,
        "supported": bool(supported),
        "note": _note(flags),
        **flags,
    }
    out["reason"] = _reason(t, out, ib, ic)
    return out


def _note(flags: dict[str, bool]) -> str:
    """The flags in a few words, for the table ("" when the count is supported and nothing else is wrong)."""
    notes = [
        text
        for key, text in (
            ("flat", "flat curve: no count supported"),
            ("rising", "perplexity only rises: no count supported"),
            ("widen_up", "lowest at the grid's top: widen the grid"),
            ("widen_down", "at the grid's bottom: widen the grid"),
            ("too_many", "too many topics for the corpus"),
        )
        if flags[key]
    ]
    if not flags["measured"]:
        notes.insert(0, "uncertainty not measurable: no count supported")
    if flags["single"]:
        notes.insert(0, "one count swept: nothing to compare")
    return "; ".join(notes)


def _reason(t: pd.DataFrame, r: dict[str, Any], ib: int, ic: int) -> str:
    """The reasoning for one depth, every number taken from `t` (the sweep's rows) or `r` (the recommendation)."""
    n, p = t["n_topics"].to_numpy(dtype=int), t["perplexity"].to_numpy(dtype=float)
    excess, se = t["excess"].to_numpy(dtype=float), t["excess_se"].to_numpy(dtype=float)
    chosen, best = int(n[ic]), int(n[ib])
    text = f"{r['bits']} bit: n = {chosen}. Held-out perplexity is lowest at n = {best} ({number(p[ib], 1)})"
    if not r["measured"]:
        text += (
            ", but the uncertainty of the differences cannot be measured (fewer than two held-out palettes "
            "with colours to score), so no count is supported; the smallest n swept is shown."
        )
    else:
        if ic != ib:
            e, s = percents(excess[ic], se[ic])
            text += (
                f"; the smallest n within one standard error of it is n = {chosen} ({number(p[ic], 1)}, {e} "
                f"higher; standard error of the difference over held-out palettes and seeds {s})"
            )
        elif ic > 0:
            text += "; no smaller n is within one standard error of it"
        if ic > 0:
            e, s = percents(excess[ic - 1], se[ic - 1])
            text += f", while n = {int(n[ic - 1])} is {e} higher (standard error {s})"
        text += "."
    best_npmi = (
        t.iloc[int(np.nanargmax(t["coherence_npmi"].to_numpy(dtype=float)))]
        if t["coherence_npmi"].notna().any()
        else None
    )
    text += (
        f" At n = {chosen}: seed stability {_two(r['stability'], MIN_STABILITY)}, diversity "
        f"{number(r['diversity'], 2)}, NPMI {number(r['coherence_npmi'], 2)}"
    )
    if best_npmi is not None:
        text += f" (highest NPMI {number(best_npmi['coherence_npmi'], 2)} at n = {int(best_npmi['n_topics'])})"
    text += "."
    if r["flat"]:
        text += (
            f" The curve is flat: the smallest n swept, n = {chosen}, is already within one standard error of "
            f"the lowest, so held-out likelihood supports no count above it"
            + (" (one topic predicts held-out colours as well as any number of topics)." if chosen == 1 else ".")
        )
    if r["rising"]:
        text += (
            f" Held-out perplexity is lowest at the smallest n swept, n = {chosen}: the sweep supports no "
            f"count above it."
        )
    if r["widen_up"]:
        text += (
            f" The lowest perplexity is at the largest n swept (n = {best}): more topics might do better "
            f"still; widen the grid (sweep_n) upward before relying on this choice."
        )
    if r["widen_down"]:
        text += (
            f" The choice is the smallest n swept (n = {chosen}): fewer topics might do as well; widen the grid "
            f"(sweep_n) downward."
        )
    if r["too_many"]:
        text += (
            f" {chosen} topics over {r['n_documents']:,} palettes is {number(r['palettes_per_topic'], 1)} "
            f"palettes a topic, fewer than {MIN_PALETTES_PER_TOPIC}: too many topics for this corpus "
            f"(it allows at most {r['max_topics']})."
        )
    if np.isfinite(r["stability"]) and r["stability"] < MIN_STABILITY:
        text += f" Seed stability below {MIN_STABILITY}: topics differ between seeds, read them with care."
    return text


def _two(x: float, bound: float) -> str:
    return "n/a (one seed)" if not np.isfinite(x) else side(x, bound)


def recommend(table: pd.DataFrame) -> pd.DataFrame:
    """`depth` for every depth of a sweep table: one row per depth (see `depth` for the columns)."""
    if table.empty:
        raise ValueError("the sweep table is empty: nothing to recommend")
    return pd.DataFrame([depth(t) for _, t in table.groupby("bits")])
