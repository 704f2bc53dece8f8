"""Issue 14: the sweep on a Dask cluster (2 worker processes) and on any Executor gives the local sweep's results."""

from __future__ import annotations

import concurrent.futures as cf

import numpy as np
import pandas as pd
import pytest
from test_topics_cli import _corpus as planted_corpus  # a real SQLite corpus of planted palettes

from bcanalysis import cli, topics

distributed = pytest.importorskip("distributed")

KW = dict(bits=(9, 12), n_topics=[1, 2, 3, 4], random_state=5, progress=False)
TIMING = ["fit_seconds", "cached"]  # the only columns allowed to differ


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def palettes() -> list[np.ndarray]:
    return topics.planted_palettes(500, 3, random_state=8).palettes


@pytest.fixture(scope="module")
def local(palettes) -> topics.SweepResult:
    return topics.sweep(palettes, n_jobs=1, **KW)


def _same(a: topics.SweepResult, b: topics.SweepResult) -> None:
    pd.testing.assert_frame_equal(a.table.drop(columns=TIMING), b.table.drop(columns=TIMING))
    assert a.models.keys() == b.models.keys()
    for key, models in a.restart_models.items():
        for x, y in zip(models, b.restart_models[key], strict=True):
            assert np.array_equal(x.components_, y.components_), key


@pytest.mark.slow
def test_sweep_on_a_dask_cluster_matches_the_local_sweep(cluster, palettes, local):
    with distributed.Client(cluster) as client:
        remote = topics.sweep(palettes, executor=client, **KW)
        assert len(client.run(lambda: 1)) == 2  # two worker processes
    _same(local, remote)
    assert not remote.table["cached"].any()


@pytest.mark.slow
def test_sweep_on_a_process_pool_matches_the_local_sweep(palettes, local):
    with cf.ProcessPoolExecutor(2) as pool:
        _same(local, topics.sweep(palettes, executor=pool, **KW))


@pytest.mark.slow
def test_sweep_command_on_a_scheduler_writes_what_a_local_run_writes(cluster, tmp_path):
    db = planted_corpus(tmp_path / "corpus.sqlite", 200)
    base = ["sweep", "--db", str(db), "--bits", "9", "--max-n", "4", "--no-progress"]
    assert cli.main([*base, "--out", str(tmp_path / "local"), "--workers", "1"]) == 0
    assert cli.main([*base, "--out", str(tmp_path / "dask"), "--scheduler", cluster.scheduler_address]) == 0
    here, there = (pd.read_csv(tmp_path / d / "sweep.csv").drop(columns=TIMING) for d in ("local", "dask"))
    pd.testing.assert_frame_equal(here, there)
    names = sorted(p.name for p in (tmp_path / "local" / "models").glob("*.json"))
    assert names == sorted(p.name for p in (tmp_path / "dask" / "models").glob("*.json")) and len(names) == 8
    for name in names:
        a, b = (topics.ColorTopics.load(tmp_path / d / "models" / name) for d in ("local", "dask"))
        assert np.array_equal(a.components_, b.components_), name


def test_executor_must_be_one():
    with pytest.raises(TypeError, match="executor"):
        topics.sweep([[(1, 2, 3)]], bits=(3,), n_topics=[1], executor=object(), progress=False)
