"""The intertopic map: Jensen-Shannon distances against scipy, MDS against exact geometry, and a fitted model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon, pdist, squareform

from bcanalysis.analysis.intertopic import classical_mds, intertopic_map, topic_distances
from bcanalysis.topics import ColorTopics, planted_palettes


def test_distances_match_scipy_pairwise():
    comp = np.random.default_rng(0).dirichlet(np.ones(40), 7)
    got = topic_distances(comp * 3)  # rows need not be normalised
    for i in range(7):
        for j in range(7):
            assert got[i, j] == pytest.approx(jensenshannon(comp[i], comp[j], base=2), abs=1e-12)
    assert got.max() <= 1.0


def test_mds_recovers_planar_geometry_exactly():
    pts = np.random.default_rng(1).normal(size=(12, 2))
    distances = squareform(pdist(pts))
    assert squareform(pdist(classical_mds(distances))) == pytest.approx(distances, abs=1e-9)


def test_map_of_a_fitted_model_follows_topic_distances():
    planted = planted_palettes(800, 5, alpha=0.05, random_state=2)
    albums = pd.DataFrame(
        {
            "colorgram": [p[:, :3].astype(int).tolist() for p in planted.palettes],
            "proportions": [p[:, 3].tolist() for p in planted.palettes],
        }
    )
    model = ColorTopics(bits=12, n_topics=5, random_state=0).fit(albums["colorgram"].tolist())
    table = intertopic_map(model, albums)
    assert list(table.index) == list(range(5))
    assert table["prevalence"].sum() == pytest.approx(1.0)
    area = np.pi * table["radius"] ** 2  # bubble area proportional to prevalence, the largest 6% of the map's span
    ratio = (area / table["prevalence"]).to_numpy()
    assert ratio == pytest.approx(np.full(5, ratio[0]))
    span = max(np.ptp(table["x"]), np.ptp(table["y"]))
    assert table["radius"].max() == pytest.approx(0.06 * span)
    assert all(len(c) == 5 and all(len(w) == 6 for w in c) for c in table["colors"])
    # Distances on the map follow the Jensen-Shannon distances between topics (rank correlation).
    from scipy.stats import spearmanr

    map_d = pdist(table[["x", "y"]].to_numpy())
    js_d = squareform(topic_distances(model.components_), checks=False)
    assert spearmanr(map_d, js_d).statistic > 0.6
