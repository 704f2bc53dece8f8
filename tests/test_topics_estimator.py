"""`ColorTopics` follows scikit-learn's estimator contract, checked with scikit-learn's own tools (`clone` and the
checks of `sklearn.utils.estimator_checks` that apply to an estimator of palettes): `__init__` only stores its
parameters, `get_params`/`set_params`/`clone` round-trip them, `fit` leaves them alone, returns self and is where a
bad parameter is refused, by name and value. The sweep is a grid over the estimator."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from bcanalysis import topics
from bcanalysis.topics import ColorTopics


@pytest.fixture(scope="module")
def palettes() -> list[np.ndarray]:
    return topics.planted_palettes(300, 3, random_state=4).palettes


@pytest.mark.parametrize(
    "check",
    [
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_get_params_invariance,
        check_set_params,
    ],
)
def test_scikit_learns_own_checks_pass(check) -> None:
    check("ColorTopics", ColorTopics())


def test_get_params_set_params_and_clone_round_trip() -> None:
    options = {"max_iter": 50}
    est = ColorTopics(9, 4, space="hls", weighting="proportion", n_restarts=2, random_state=3, engine_options=options)
    params = est.get_params()
    assert params == {
        "bits": 9,
        "n_topics": 4,
        "space": "hls",
        "weighting": "proportion",
        "engine": "tomotopy",
        "n_restarts": 2,
        "random_state": 3,
        "engine_options": {"max_iter": 50},
    }
    assert est.engine_options is options  # stored as given, not copied or converted
    twin = clone(est)
    assert twin is not est and twin.get_params() == params
    assert est.set_params(n_topics=6, random_state=None) is est and est.n_topics == 6 and est.random_state is None
    with pytest.raises(ValueError, match="Invalid parameter 'n_seeds'"):
        est.set_params(n_seeds=2)
    assert "space='hls'" in repr(twin) and "n_topics=4" in repr(twin)


def test_fit_returns_self_and_leaves_the_parameters_alone(palettes) -> None:
    options = {"max_iter": 40}
    est = ColorTopics(9, 3, n_restarts=np.int64(2), random_state=np.int64(1), engine_options=options)
    before = est.get_params()
    assert est.fit(palettes) is est
    after = est.get_params()
    assert after.keys() == before.keys() and all(after[k] is before[k] for k in before)  # the very same objects
    assert options == {"max_iter": 40}
    assert est.components_.shape == (3, len(est.colors_)) and est.meta_["restarts"]
    unfitted = clone(est)
    assert unfitted.get_params() == before and not hasattr(unfitted, "components_")
    with pytest.raises(NotFittedError):
        unfitted.transform(palettes)


@pytest.mark.parametrize(
    ("params", "error", "pattern"),
    [
        ({"bits": 10}, ValueError, "bits .*got 10"),
        ({"bits": 12.0}, ValueError, "bits .*got 12.0"),
        ({"n_topics": 0}, ValueError, "n_topics must be >= 1, got 0"),
        ({"n_topics": 2.5}, TypeError, "n_topics must be an integer, got 2.5"),
        ({"space": "lab"}, ValueError, "space must be one of .*got 'lab'"),
        ({"weighting": "bm25"}, ValueError, "weighting must be one of .*got 'bm25'"),
        ({"engine": "gensim"}, ValueError, "engine must be one of .*got 'gensim'"),
        ({"weighting": "tfidf"}, ValueError, "weighting='tfidf' .*engine='tomotopy'"),
        ({"n_restarts": 0}, ValueError, "n_restarts must be >= 1, got 0"),
        ({"n_restarts": True}, TypeError, "n_restarts must be an integer, got True"),
        ({"random_state": -1}, ValueError, "random_state must be >= 0, got -1"),
        ({"random_state": "0"}, TypeError, "random_state must be an integer, got '0'"),
        ({"engine_options": {"max_iter": 0}}, ValueError, "max_iter must be >= 1, got 0"),
        ({"engine_options": {"bogus": 1}}, TypeError, "unknown tomotopy options: bogus"),
    ],
)
def test_a_bad_parameter_is_refused_in_fit_not_in_init(palettes, params, error, pattern) -> None:
    est = ColorTopics(**{"bits": 9, "n_topics": 3, **params})  # stored, as scikit-learn stores anything given
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(error, match=pattern):
        est.fit(palettes[:40])
    assert not hasattr(est, "components_")
    with pytest.raises(error, match=pattern):
        est.fit_doc_term(topics.vectorize(palettes[:40], 9))


def test_a_loaded_model_describes_the_fit_it_holds(palettes, tmp_path) -> None:
    for est in (
        ColorTopics(9, 3, random_state=5, engine_options={"alpha": 0.2}),
        ColorTopics(9, 3, weighting="tfidf", engine="sklearn", random_state=2, engine_options={"max_iter": 4}),
    ):
        fitted = est.fit(palettes)
        loaded = ColorTopics.load(fitted.save(tmp_path / "m"))
        assert loaded.get_params() == fitted.get_params()
        again = clone(loaded).fit(palettes)  # the parameters read back refit the same topics
        assert np.array_equal(again.components_, fitted.components_)


def test_sweep_is_a_grid_over_the_estimator(palettes) -> None:
    result = topics.sweep(
        palettes,
        bits=(9,),
        n_topics=[2, 3],
        weighting="proportion",
        n_restarts=2,
        random_state=7,
        n_jobs=1,
        progress=False,
        engine_options={"max_iter": 60},
    )
    for k in (2, 3):
        restarts = result.restart_models[(9, k)]
        seeds = topics.model.restart_seeds(7, 2, 9)  # seeds drawn from random_state and the depth, one per restart
        assert [m.random_state for m in restarts] == seeds
        for m in restarts:
            assert m.get_params() == {
                "bits": 9,
                "n_topics": k,
                "space": "rgb",
                "weighting": "proportion",
                "engine": "tomotopy",
                "n_restarts": 1,
                "random_state": m.meta_["random_state"],
                "engine_options": {"max_iter": 60},
            }
    plan = topics.SweepPlan(
        ColorTopics(weighting="proportion", n_restarts=2, random_state=7), bits=(9,), n_topics=(2, 3)
    )
    with pytest.raises(AttributeError):
        plan.bits = (12,)  # frozen: a plan is decided once
    assert [m.get_params() for m in plan.restarts(9, 3)] == [
        {**m.get_params(), "engine_options": None} for m in result.restart_models[(9, 3)]
    ]


def test_model_files_keep_their_format_name_and_version(palettes, tmp_path) -> None:
    """The file format is named after the class of version 1 (`ColorTopicModel`): renaming the class must not rename
    the format, or every saved model and sweep cache entry stops loading."""
    import json

    path = ColorTopics(9, 2, random_state=0).fit(palettes).save(tmp_path / "m")
    meta = json.loads(path.read_text())
    assert (
        (meta["format"], meta["format_version"])
        == ("bcanalysis.ColorTopicModel", 1)
        == (topics.modelfile.FORMAT, topics.FORMAT_VERSION)
    )
    assert {"params", "meta"} <= set(meta)  # the layout of version 1: engine_params_ and meta_ are stored as these
