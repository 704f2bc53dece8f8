"""Figures for palettes and colour topics. Every function returns a matplotlib `Figure` (no pyplot state), so the
same call works in a notebook, a papermill report and a test; save with `fig.savefig(path)`. Views the explorers
draw too take `bcanalysis.prepare`'s data (`topic_grid`, `palette_strips`, `intertopic_map`); the others take the
analysis's tables. Where the data cannot
make a figure (a corpus without release dates has no colour over time), it returns a `Note` saying why in one line
instead, so a notebook goes on. Labels are drawn as written: a tag "$x^$" is text, never TeX (`text_as_text`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bcanalysis import prepare
from bcanalysis.album_table import with_palette
from bcanalysis.notes import Note, note_of
from bcanalysis.plots_labels import label_bubbles, plain_text, text_as_text  # noqa: F401 (text_as_text: public)
from bcanalysis.prepare import IntertopicMap, PaletteStrips, TopicGrid

__all__ = [
    "STAT_LABELS",
    "intertopic_map",
    "palette_strips",
    "palettes_by_group",
    "similar_covers",
    "space_comparison",
    "stat_trends",
    "sweep_curves",
    "tag_topic_heatmap",
    "text_as_text",
    "topic_grid",
    "topic_trends",
]


def _rgb01(colors: np.ndarray) -> np.ndarray:
    return np.asarray(colors, dtype=np.float64).reshape(-1, 3) / 255.0


def _strip(ax, y: float, colors: np.ndarray, widths: np.ndarray, height: float = 0.9) -> None:
    """One row of colour cells at height `y`, cell widths as given (they sum to the row length)."""
    left = np.concatenate([[0.0], np.cumsum(widths)[:-1]])
    ax.barh(np.full(len(widths), y), widths, left=left, height=height, color=_rgb01(colors), linewidth=0)


def _bare(ax, n_rows: int, width: float) -> None:
    ax.set_xlim(0, width)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_xticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)


@plain_text
def topic_grid(grid: TopicGrid, *, names: bool = True, weights: bool = False) -> Figure:
    """The analysis's topic image from `prepare.topic_grid`: one row per topic, its top colours in the grid's order.

    `names` labels each row with its XKCD colour names; `weights` makes cell widths proportional to weight.
    """
    n = grid.n_colors
    fig = Figure(figsize=(8 + 3 * names, 0.35 * len(grid.topics) + 0.8), layout="constrained")
    ax = fig.add_subplot()
    for row, (colors, w) in enumerate(zip(grid.colors, grid.weights, strict=True)):
        widths = w / w.sum() * n if weights else np.ones(len(colors))
        _strip(ax, row, colors, widths)
    _bare(ax, len(grid.topics), n)
    ax.set_yticks(range(len(grid.topics)))
    ax.set_yticklabels(grid.labels(names))
    ax.set_title(
        f"{grid.n_topics} colour topics at {grid.bits} bit (top {n} colours, "
        f"{'by weight' if grid.order == 'weight' else 'HLS order'})"
    )
    return fig


@plain_text
def sweep_curves(result, *, recommend: bool = True) -> Figure:
    """Held-out perplexity, NPMI coherence, topic diversity and seed stability against n, one line per depth."""
    table = result.table
    rec = result.recommend() if recommend else pd.DataFrame(columns=["bits", "n_topics"])
    metrics = [
        ("perplexity", "held-out perplexity (lower is better)"),
        ("coherence_npmi", "NPMI coherence"),
        ("diversity", "topic diversity (unique top-25 share)"),
        ("stability", "seed stability (matched cos)"),
    ]
    fig = Figure(figsize=(11, 7), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    for ax, (col, title) in zip(axes.ravel(), metrics, strict=True):
        for bits, t in table.groupby("bits"):
            t = t.sort_values("n_topics")
            (line,) = ax.plot(t["n_topics"], t[col], marker="o", ms=3, label=f"{bits} bit")
            for n in rec.loc[rec["bits"] == bits, "n_topics"]:
                ax.plot([n], t.loc[t["n_topics"] == n, col], marker="*", ms=14, color=line.get_color(), zorder=3)
        ax.set_title(title)
        ax.grid(alpha=0.3, which="both" if col == "perplexity" else "major")
    from matplotlib.ticker import LogFormatter, MaxNLocator

    perplexity = axes[0, 0]
    perplexity.set_yscale("log")  # depths differ tenfold: on a linear axis 15 bit flattens the others' curves
    for formatter in (perplexity.yaxis.set_major_formatter, perplexity.yaxis.set_minor_formatter):
        formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.6)))  # "200", not "2×10²"
    perplexity.set_title("held-out perplexity, log scale (lower is better)")
    for ax in axes.ravel():
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # topic counts are whole numbers
    for ax in axes[1]:
        ax.set_xlabel("number of topics n")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if recommend:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], marker="*", ms=12, color="0.4", ls=""))
        labels.append("recommended")
    fig.legend(handles, labels, loc="outside upper center", ncols=len(labels), frameon=False)  # over no curve
    return fig


@plain_text
def tag_topic_heatmap(
    table: pd.DataFrame,
    *,
    value: str = "lift",
    labels: bool = True,
    mark_significant: bool = True,
    max_tags: int | None = 40,
) -> Figure | Note:
    """Genres × topics heatmap of `tag_topic_table` output (or places × topics of `place_topic_table`): log2 lift (red
    above the corpus, blue below), • = q < α; a `Note` when no genre (place) is on enough albums to test."""
    t = table
    row = table.attrs.get("group") or ("tag" if "tag" in t else "place")
    if row not in t:
        raise ValueError(f"not a tag_topic_table or place_topic_table: no {row!r} column")
    if t.empty:  # e.g. no place known on enough albums: say so in a line, as a notebook shows it
        noun = "genre" if row == "tag" else row
        if row == "place" and table.attrs.get("n_placed") == 0:
            return Note("No place × topic heatmap: no album in this corpus has a known place.")
        least = table.attrs.get("min_albums")
        return Note(
            f"No {noun} × topic heatmap: no {noun} is on "
            + (f"{least} or more albums with a palette." if least else "enough albums to test.")
        )
    if max_tags is not None:
        keep = t.groupby(row)["n_albums"].first().sort_values(ascending=False).head(max_tags).index
        t = t[t[row].isin(keep)]
    grid = t.pivot(index=row, columns="topic", values=value)
    data = np.log2(grid.to_numpy()) if value == "lift" else grid.to_numpy()
    lim = np.nanmax(np.abs(data[np.isfinite(data)])) if np.isfinite(data).any() else 1.0
    fig = Figure(figsize=(4 + 0.5 * grid.shape[1], 1.5 + 2.5 * labels + 0.3 * grid.shape[0]), layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(data, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    fig.colorbar(im, ax=ax, label="log2 lift" if value == "lift" else value, shrink=0.8)
    if mark_significant and "significant" in t:
        sig = t.pivot(index=row, columns="topic", values="significant").reindex_like(grid).fillna(False)
        ys, xs = np.nonzero(sig.to_numpy(dtype=bool))
        ax.scatter(xs, ys, s=10, c="k", marker="o")
    ax.set_yticks(range(grid.shape[0]), grid.index)
    names = t.drop_duplicates("topic").set_index("topic")["label"] if labels and "label" in t else None
    xt = [f"{k}: {names[k]}" if names is not None else str(k) for k in grid.columns]
    ax.set_xticks(range(grid.shape[1]), xt, rotation=60, ha="right", fontsize=8)
    ax.set_title(f"{'genre' if row == 'tag' else row} × topic lift" + (" (• significant)" * mark_significant))
    return fig


@plain_text
def palette_strips(strips: PaletteStrips, *, max_rows: int = 30) -> Figure:
    """One strip per palette of `prepare.palette_strips` (its first `max_rows`), each colour as wide as its share,
    labelled with the strips' labels."""
    n = min(len(strips.colors), max_rows)
    labels = strips.labels
    fig = Figure(figsize=(9 + 3 * (labels is not None), 0.3 * n + 0.6), layout="constrained")
    ax = fig.add_subplot()
    for row, (rgb, widths) in enumerate(zip(strips.colors[:n], strips.shares[:n], strict=True)):
        _strip(ax, row, rgb, widths)
    _bare(ax, n, 1.0)
    ax.set_yticks(range(n), list(labels)[:n] if labels is not None else [])
    return fig


@plain_text
def palettes_by_group(
    albums: pd.DataFrame,
    groups: pd.Series,
    *,
    order: Sequence[str] | None = None,
    per_group: int = 24,
    columns: int = 5,
) -> Figure:
    """One panel per group (e.g. `album_table.primary_tags(albums)`), one palette strip per album of it (its first
    `per_group`), colours as wide as their share of the cover. `order` puts those groups first."""
    have = with_palette(albums)
    albums, groups = albums[have], groups[have]
    present = list(dict.fromkeys(g for g in groups if g is not None))
    names = [g for g in (order or []) if g in present] + sorted(g for g in present if g not in (order or []))
    rows = max(1, -(-len(names) // columns))
    fig = Figure(figsize=(3 * columns, 3.2 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, name in zip(axes.ravel(), names, strict=False):
        group = albums[groups == name].head(per_group)
        image = prepare.palette_strips(group).pixels()
        ax.imshow(image, aspect="auto", interpolation="nearest")
        ax.set_title(f"{name} ({len(group)})", fontsize=10)
    fig.suptitle("colorgram palettes by group: one row per album, widths = pixel share", fontsize=12)
    return fig


# --- beyond the analysis: time, the intertopic map, similar covers, colour spaces ----------------------------------


def _not_over_time(table: pd.DataFrame, periods: pd.Index | None, what: str) -> Note | None:
    """A `Note` when a trends table has nothing to draw over time (no dated albums, or a single period), else None."""
    if note_of(table) and table.empty:
        return Note(f"{what} is not drawn: {note_of(table)}.")
    if periods is not None and len(periods) < 2:
        least = table.attrs.get("min_albums", 3)
        first = periods[0] if len(periods) else None
        first = int(first) if isinstance(first, (float, np.floating)) and float(first).is_integer() else first
        only = f"only {first} has" if len(periods) else "no period has"
        return Note(f"{what} is not drawn: {only} {least} or more albums with a palette, and a trend needs two.")
    return None


def _luminance(rgb01: np.ndarray) -> float:
    """Relative luminance (WCAG) of one 0..1 sRGB colour."""
    c = np.asarray(rgb01, dtype=np.float64)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(lin @ [0.2126, 0.7152, 0.0722])


@plain_text
def topic_trends(table: pd.DataFrame, model=None, *, group: str = "(all)") -> Figure | Note:
    """Stacked topic shares per period for one group of `analysis.trends` output. Each band is painted in the topic's
    own colour (the one its name starts with) and outlined in dark grey, so a white or near-white band shows on
    the white page; bands thick enough carry their topic number. A `Note` if nothing can be drawn over time."""
    if (note := _not_over_time(table, None, "Colour topics over time")) is not None:
        return note
    rows = table[(table["group"] == group) & table["variable"].map(lambda v: isinstance(v, (int, np.integer)))]
    if rows.empty:
        raise ValueError(f"no topic rows for group {group!r}; pass a model to analysis.trends and a group it has")
    shares = rows.pivot(index="period", columns="variable", values="mean").sort_index()
    if (note := _not_over_time(table, shares.index, "Colour topics over time")) is not None:
        return note
    fig = Figure(figsize=(10, 4.5), layout="constrained")
    ax = fig.add_subplot()
    own = _rgb01(model.topic_colors()) if model is not None else None
    colors = [own[k] for k in shares.columns] if own is not None else None
    labels = [f"{k}: {model.topic_label(k)}" if model is not None else str(k) for k in shares.columns]
    x = shares.index.astype(float).to_numpy()
    ax.stackplot(x, shares.to_numpy().T, colors=colors, labels=labels, edgecolor="0.25", linewidth=0.6)
    bottoms = np.vstack([np.zeros(len(x)), np.cumsum(shares.to_numpy(), axis=1).T[:-1]])
    inner = slice(1, -1) if len(x) > 2 else slice(None)  # a number at the edge would be cut in half
    offset = 1 if len(x) > 2 else 0
    for j, k in enumerate(shares.columns):  # the number in each band, where the band is thickest
        i = offset + int(np.argmax(shares.iloc[inner, j].to_numpy()))
        height = shares.iloc[i, j]
        if height >= 0.045:
            face = own[k] if own is not None else np.array([0.5, 0.5, 0.5])
            ax.text(
                x[i],
                bottoms[j, i] + height / 2,
                str(k),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if _luminance(face) < 0.35 else "black",
            )
    ax.set_xlim(x.min(), x.max())
    ax.set_ylim(0, 1)
    ax.set_xlabel(table.attrs.get("by", "period"))
    ax.set_ylabel("mean topic share")
    who = "all albums" if group == "(all)" else group
    ax.set_title(f"colour topics over time, {who}: each band a topic, in its own colour")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, frameon=False)
    return fig


STAT_LABELS = {
    "lightness": "mean CIELAB lightness L*",
    "saturation": "mean HLS saturation",
    "near_black": "share of cover near black",
    "near_white": "share of cover near white",
}


@plain_text
def stat_trends(
    table: pd.DataFrame,
    stat: str = "lightness",
    *,
    groups: Sequence[str] | None = None,
    highlight: Sequence[str] = (),
    max_groups: int | None = 12,
) -> Figure | Note:
    """One line per group of a palette statistic over time, with its bootstrap band; `highlight` groups stand out.

    Without `groups`, at most `max_groups` lines: the overall group, the highlighted ones, then the groups with the
    most albums (a corpus with page tags has dozens of sub-genres).
    """
    if (note := _not_over_time(table, None, f"{stat.capitalize()} over time")) is not None:
        return note
    rows = table[table["variable"] == stat]
    if rows.empty:
        raise ValueError(f"no rows for statistic {stat!r} in the trends table")
    if note := _not_over_time(table, pd.Index(sorted(set(rows["period"]))), f"{stat.capitalize()} over time"):
        return note
    if groups is None:
        size = rows.groupby("group")["n_albums"].sum().sort_values(ascending=False, kind="stable")
        first = [g for g in ("(all)", *highlight) if g in size.index]
        names = list(dict.fromkeys([*first, *size.index]))
        names = sorted(names[: max(max_groups, len(first))] if max_groups else names)
    else:
        names = list(groups)
    unknown = [g for g in names if g not in set(rows["group"])]
    if unknown:
        raise ValueError(f"no {stat!r} rows for groups {unknown} in the trends table")
    fig = Figure(figsize=(10, 4.5), layout="constrained")
    ax = fig.add_subplot()
    for name in names:
        g = rows[rows["group"] == name].sort_values("period")
        strong = name in highlight or not highlight
        (line,) = ax.plot(
            g["period"], g["mean"], lw=2.2 if name in highlight else 1.2, alpha=1.0 if strong else 0.45, label=name
        )
        ax.fill_between(g["period"], g["lo"], g["hi"], color=line.get_color(), alpha=0.18 if strong else 0.06, lw=0)
    ax.set_xlabel(table.attrs.get("by", "period"))
    ax.set_ylabel(STAT_LABELS.get(stat, stat))
    level = table.attrs.get("level", 0.95)
    ax.set_title(f"{stat} over time ({level:.0%} bootstrap bands)")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False)
    return fig


@plain_text
def intertopic_map(the_map: IntertopicMap, *, selected: int | None = None) -> Figure:
    """pyLDAvis-style map from `prepare.intertopic_map`: each topic a pie of its top colours at its MDS position,
    area proportional to prevalence, numbered on the map (each number where no other is: on its bubble, or beside
    it with a line to it) and named (colour names) in a list beside it."""
    topics = [int(k) for k in the_map.topics]
    if selected is not None and selected not in topics:
        raise ValueError(f"selected topic {selected!r} is not in the map (topics {topics})")
    x, y, radius, prevalence = the_map.x, the_map.y, the_map.radius, the_map.prevalence
    fig = Figure(figsize=(12, 7.5), layout="constrained")
    ax, legend = fig.subplots(1, 2, width_ratios=[3, 1.3])
    span = max(np.ptp(x), np.ptp(y), 1e-9)
    for i in np.argsort(-prevalence, kind="stable"):  # small pies drawn on top
        weights, colors = the_map.weights[i], _rgb01(the_map.colors[i])
        ax.pie(
            weights / weights.sum(),
            colors=colors,
            center=(x[i], y[i]),
            radius=radius[i],
            frame=True,
            wedgeprops={
                "linewidth": 2.5 if topics[i] == selected else 0.5,  # grey edges keep white wedges visible
                "edgecolor": "black" if topics[i] == selected else "0.6",
            },
        )
    pad = 0.12 * span
    ax.set_xlim(x.min() - pad, x.max() + pad)
    ax.set_ylim(y.min() - pad, y.max() + pad)
    ax.set_aspect("equal")
    ax.set_xlabel("PC1")
    ax.set_ylabel("PC2")
    ax.set_title("intertopic map: Jensen-Shannon distance (classical MDS), area = prevalence")
    legend.axis("off")
    for i, (k, label) in enumerate(zip(topics, the_map.labels, strict=True)):
        legend.text(
            0,
            1 - (i + 0.5) / max(len(topics), 12),
            f"{k}: {label}  ({prevalence[i]:.1%})",
            transform=legend.transAxes,
            fontsize=8,
            va="center",
            fontweight="bold" if k == selected else "normal",
        )
    label_bubbles(
        ax,
        np.column_stack([x, y]),
        radius,
        [str(k) for k in topics],
        order=list(np.argsort(-prevalence, kind="stable")),
        bold=[k == selected for k in topics],
    )
    return fig


@plain_text
def similar_covers(query: pd.Series, neighbours: pd.DataFrame) -> Figure:
    """A query album's palette on top, then its nearest albums' palettes (from `analysis.similar`) with distances."""
    missing = [c for c in ("artist", "title", "distance", "colorgram") if c not in neighbours]
    if missing:
        raise ValueError(f"neighbours need the columns analysis.similar returns: missing {missing}")
    rows = pd.concat([query.to_frame().T.assign(distance=0.0), neighbours])
    names = [f"{a} — {t}" for a, t in zip(rows["artist"], rows["title"], strict=True)]
    labels = [
        ("query: " if i == 0 else f"{d:.3f}  ") + name
        for i, (name, d) in enumerate(zip(names, rows["distance"], strict=True))
    ]
    fig = palette_strips(prepare.palette_strips(rows, labels))
    fig.axes[0].axhline(0.5, color="black", lw=1)
    fig.axes[0].set_title("similar covers: nearest albums in topic space (Hellinger distance)")
    return fig


@plain_text
def space_comparison(table: pd.DataFrame) -> Figure:
    """`analysis.compare_spaces` as four panels (coherence, stability, tag accuracy, vocabulary) against bit depth,
    one line per colour space."""
    panels = [
        ("coherence_npmi", "NPMI coherence (higher: tighter topics)"),
        ("stability", "seed stability (matched cosine)"),
        ("tag_accuracy", "tag accuracy from topics (cross-validated)"),
        ("vocabulary", "distinct colour words"),
    ]
    missing = [c for c, _ in panels if c not in table]
    if missing:
        raise ValueError(f"not a compare_spaces table: missing columns {missing}")
    fig = Figure(figsize=(12, 3.4), layout="constrained")
    axes = fig.subplots(1, 4)
    for ax, (column, title) in zip(axes, panels, strict=True):
        for space, rows in table.groupby("space", sort=False):
            ax.plot(rows["bits"], rows[column], marker="o", label=space)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("bits")
        ax.set_xticks(sorted(set(table["bits"])))
    if np.isfinite(table.attrs.get("chance", np.nan)):
        axes[2].axhline(table.attrs["chance"], color="grey", ls=":", lw=1, label="chance")
    if table["tag_accuracy"].isna().all():  # one genre, or none: nothing to tell apart
        import textwrap

        why = table.attrs.get("note") or "tag accuracy needs two genres with two or more albums each"
        axes[2].text(
            0.5,
            0.5,
            "not measured:\n" + textwrap.fill(why, 34),
            ha="center",
            va="center",
            fontsize=8,
            transform=axes[2].transAxes,
            color="0.3",
        )
    axes[3].set_yscale("log")
    axes[0].legend(fontsize=8, frameon=False)
    return fig
