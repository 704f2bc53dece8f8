"""One vocabulary of arguments: the same name for the same idea in every public function (`random_state`,
`n_jobs`, `n_restarts`, `space`, `bits`, `n_topics`). The package never shipped another vocabulary, so there is no
compatibility layer: an old name is an ordinary TypeError."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import bcanalysis

#: Names 0.1 used for an idea that has one name now.
RETIRED = {
    "seed": "random_state",
    "seeds": "n_restarts",
    "n_seeds": "n_restarts",
    "workers": "n_jobs",
    "depths": "bits",
}


def _public_callables():
    for info in pkgutil.walk_packages(bcanalysis.__path__, "bcanalysis."):
        if info.name.endswith("__main__"):  # importing it runs the command
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj
            elif inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if inspect.isfunction(member) and (attr == "__init__" or not attr.startswith("_")):
                        yield f"{module.__name__}.{name}.{attr}", member


def test_no_public_function_takes_a_retired_name() -> None:
    found = []
    for where, fn in _public_callables():
        params = inspect.signature(inspect.unwrap(fn)).parameters
        found += [f"{where}({p}=…): write {RETIRED[p]}" for p in params if p in RETIRED]
    assert not found, "\n".join(found)


def test_the_scan_sees_the_package() -> None:
    names = {where for where, _ in _public_callables()}
    assert "bcanalysis.palette.batch.extract_many" in names and "bcanalysis.demo.server.DemoServer.__init__" in names


def test_a_retired_keyword_is_an_ordinary_type_error() -> None:
    from bcanalysis.demo import catalogue
    from bcanalysis.quantize import vocabulary_table

    with pytest.raises(TypeError, match="seed"):
        catalogue(3, seed=4)
    with pytest.raises(TypeError, match="depths"):
        vocabulary_table([np.zeros((4, 3), np.uint8)], depths=(24, 9))


def test_topic_model_attributes_follow_scikit_learn() -> None:
    from bcanalysis import topics

    palettes = topics.planted_palettes(80, 3, random_state=1).palettes
    model = topics.ColorTopics(n_topics=3, random_state=0).fit(palettes)
    learned = ["components_", "colors_", "vocabulary_", "doc_topic_prior_", "engine_params_", "state_", "meta_"]
    assert all(hasattr(model, name) for name in learned)
    public = {k for k in vars(model) if not k.startswith("_")}
    assert public - set(model.get_params()) == set(learned) - {"vocabulary_"}  # all else the fit set ends in "_"
    for old in ("colors", "doc_topic_prior", "state", "vocabulary", "params", "meta"):
        assert not hasattr(model, old)


def test_sweep_bins_in_the_space_it_is_given() -> None:
    from bcanalysis import topics

    palettes = topics.planted_palettes(120, 3, random_state=2).palettes
    rgb = topics.sweep(palettes, bits=(9,), n_topics=[3], n_restarts=2, random_state=0, progress=False, n_jobs=1)
    hls = topics.sweep(
        palettes, bits=(9,), n_topics=[3], n_restarts=2, random_state=0, progress=False, n_jobs=1, space="hls"
    )
    assert rgb.model(9, 3).space == "rgb" and hls.model(9, 3).space == "hls"
    expected = topics.vectorize(palettes, 9, space="hls").colors
    assert np.array_equal(hls.model(9, 3).colors_, expected)  # the vocabulary of HLS bins, not RGB's
    assert not np.array_equal(expected, topics.vectorize(palettes, 9).colors)
    with pytest.raises(ValueError, match="space must be one of"):
        topics.sweep(palettes, bits=(9,), n_topics=[3], space="cmyk", progress=False)


def test_no_module_keeps_names_for_an_older_release() -> None:
    from bcanalysis import report, widgets

    for module, old in [(widgets, "similar_palettes"), (widgets, "vocabulary_table"), (report, "open_source")]:
        assert not hasattr(module, old)
