"""Colour over time: topic prevalence and palette statistics per release year, overall and per tag, with bootstrap
confidence bands, and a test for a linear trend that says whether a drift is really there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from bcanalysis.album_table import album_palettes, places, tag_column
from bcanalysis.analysis.genres import benjamini_hochberg, topic_weights
from bcanalysis.colorspace import rgb_to_hls, rgb_to_lab
from bcanalysis.defaults import N_BOOT, RANDOM_STATE

#: Per-album palette statistics `palette_stats` computes (area-weighted over the palette's colours).
STATS = ("lightness", "saturation", "near_black", "near_white")
ALL = "(all)"


def palette_stats(albums: pd.DataFrame) -> pd.DataFrame:
    """Per album with a palette: mean CIELAB lightness (0..100), mean HLS saturation (0..1), and the share of the
    cover that is near-black (L* < 15) or near-white (L* > 90, chroma < 10), weighted by colour proportions."""
    index, palettes = album_palettes(albums)
    rows = []
    for p in palettes:
        rgb = p[:, :3]
        w = p[:, 3] if p.shape[1] == 4 else np.ones(len(p))
        w = w / w.sum()
        lab = rgb_to_lab(rgb)
        chroma = np.hypot(lab[:, 1], lab[:, 2])
        rows.append(
            (w @ lab[:, 0], w @ rgb_to_hls(rgb)[:, 2], w @ (lab[:, 0] < 15), w @ ((lab[:, 0] > 90) & (chroma < 10)))
        )
    return pd.DataFrame(rows, index=index, columns=list(STATS), dtype=np.float64)


def _album_values(model: Any, albums: pd.DataFrame) -> pd.DataFrame:
    """Per album with a palette: its palette statistics and, with a model, its topic weights (columns 0..K-1)."""
    values = palette_stats(albums)
    return values if model is None else values.join(topic_weights(model, albums))


def _periods(albums: pd.DataFrame, by: str) -> pd.Series:
    """The period of each album: its release year for by="year", else the values of column `by`."""
    if by == "year":
        if "release_date" not in albums:
            raise ValueError("albums DataFrame needs a 'release_date' column for by='year'")
        return pd.to_datetime(albums["release_date"], errors="coerce").dt.year
    if by not in albums:
        raise ValueError(f"by must be 'year' or a column of the albums DataFrame, got {by!r}")
    return albums[by]


def _groups(albums: pd.DataFrame, group: str | None) -> pd.Series:
    """Each album's groups as a list: its genre tags for group='tag' (`genres.tag_column`, the one rule), its place
    for group='place', a column's values otherwise; every album also belongs to the overall group."""
    if group is None:
        return pd.Series([[ALL]] * len(albums), index=albums.index)
    if group == "tag":
        column = tag_column(albums)
    elif group == "place":
        column = places(albums)
    elif group in albums:
        column = albums[group]
    else:
        raise ValueError(f"group must be 'tag', 'place', None or a column of the albums DataFrame, got {group!r}")
    values = column.map(
        lambda v: (
            list(dict.fromkeys(v)) if isinstance(v, (list, tuple, np.ndarray)) else ([] if v is None or v != v else [v])
        )
    )
    return values.map(lambda v: [ALL, *v])


def _long(values: pd.DataFrame, albums: pd.DataFrame, by: str, group: str | None) -> pd.DataFrame:
    """One row per (album, group) with its period and values, albums without a period dropped."""
    frame = values.assign(period=_periods(albums, by).loc[values.index], group=_groups(albums, group).loc[values.index])
    return frame.dropna(subset=["period"]).explode("group").dropna(subset=["group"])


def _bootstrap(
    frame: pd.DataFrame, columns: list, n_boot: int, level: float, rng: np.random.Generator, min_albums: int
) -> pd.DataFrame:
    """Mean and percentile-bootstrap interval of each column per (group, period) cell with ≥ `min_albums` albums."""
    out = []
    tail = (1 - level) / 2 * 100
    for (grp, period), cell in frame.groupby(["group", "period"], sort=True):
        if len(cell) < min_albums:
            continue
        x = cell[columns].to_numpy(dtype=np.float64)
        draws = x[rng.integers(0, len(x), size=(n_boot, len(x)))].mean(axis=1)
        lo, hi = np.percentile(draws, [tail, 100 - tail], axis=0)
        for j, col in enumerate(columns):
            out.append((grp, period, col, x[:, j].mean(), lo[j], hi[j], len(x)))
    return pd.DataFrame(out, columns=["group", "period", "variable", "mean", "lo", "hi", "n_albums"])


def trends(
    model: Any,
    albums: pd.DataFrame,
    by: str = "year",
    group: str | None = "tag",
    *,
    n_boot: int = N_BOOT,
    level: float = 0.95,
    min_albums: int = 3,
    random_state: int | None = RANDOM_STATE,
) -> pd.DataFrame:
    """Topic prevalence and palette statistics per period (release year by default), overall (group "(all)") and
    per tag, each with a percentile-bootstrap confidence band over albums.

    Long format: `group, period, variable, mean, lo, hi, n_albums`; `variable` is a topic number (0..K-1) or one of
    `STATS`. Pass `model=None` for palette statistics alone.
    """
    values = _album_values(model, albums)
    frame = _long(values, albums, by, group)
    table = _bootstrap(frame, list(values.columns), n_boot, level, np.random.default_rng(random_state), min_albums)
    table.attrs["by"], table.attrs["level"], table.attrs["n_boot"] = by, level, n_boot
    table.attrs["min_albums"] = min_albums
    if table.empty:  # a corpus without dates, or with too few albums in any period: say why, do not fail
        table.attrs["note"] = _why_no_periods(frame[frame["group"] == ALL], len(values), by, min_albums)
    return table


def _why_no_test(frame: pd.DataFrame, n_albums: int, min_albums: int) -> str:
    """Why no group could be tested for a trend: no dates, one year only, or too few dated albums."""
    if frame.empty:
        return f"none of the {n_albums} albums with a palette has a release date"
    years = sorted(int(y) for y in frame["period"].unique())
    if len(years) == 1:
        return f"every dated album is from {years[0]}: a trend over the years needs more than one year"
    return (
        f"no group has {min_albums} or more dated albums (the corpus has {len(frame)}, from {years[0]} to {years[-1]})"
    )


def _why_no_periods(frame: pd.DataFrame, n_albums: int, by: str, min_albums: int) -> str:
    """Why no period has `min_albums` albums: none is dated, or how thinly the dated ones spread."""
    what = "a release date" if by == "year" else f"a value in column {by!r}"
    if frame.empty:
        return f"none of the {n_albums} albums with a palette has {what}"
    periods = frame["period"].nunique()
    noun = "year" if by == "year" else "period"
    return (
        f"no {noun} has {min_albums} or more albums with a palette: {len(frame)} albums over {periods} "
        f"{noun}{'s' * (periods != 1)}"
    )


def trend_test(
    albums: pd.DataFrame,
    variable: str = "lightness",
    group: str | None = "tag",
    *,
    model: Any = None,
    min_albums: int = 10,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Is there a linear trend over release years? Per group: least-squares slope per decade of an album-level
    variable (a palette statistic, or a topic number with `model`), its 95% interval, the t-test p-value, and
    Benjamini-Hochberg q-values across groups; `significant` = q < alpha."""
    values = _album_values(model, albums)
    if variable not in values:
        raise ValueError(f"variable must be one of {list(values.columns)}, got {variable!r}")
    frame = _long(values[[variable]], albums, "year", group)
    rows = []
    for grp, cell in frame.groupby("group", sort=True):
        years = cell["period"].to_numpy(dtype=np.float64)
        if len(cell) < min_albums or np.ptp(years) == 0:
            continue
        fit = stats.linregress(years, cell[variable].to_numpy(dtype=np.float64))
        half = stats.t.ppf(0.975, len(cell) - 2) * fit.stderr
        rows.append((grp, len(cell), fit.slope * 10, (fit.slope - half) * 10, (fit.slope + half) * 10, fit.pvalue))
    table = pd.DataFrame(rows, columns=["group", "n_albums", "slope_per_decade", "lo", "hi", "p_value"])
    if table.empty:
        table.attrs["note"] = _why_no_test(frame[frame["group"] == ALL], len(values), min_albums)
    table["q_value"] = benjamini_hochberg(table["p_value"].to_numpy()) if len(table) else []
    table["significant"] = table["q_value"] < alpha
    table.attrs["method"] = (
        "OLS of the album-level variable on release year, two-sided t-test on the slope; "
        "q = Benjamini-Hochberg across groups"
    )
    table.attrs["variable"], table.attrs["alpha"], table.attrs["min_albums"] = variable, alpha, min_albums
    return table.set_index("group")
