"""One vocabulary of arguments: the same name for the same idea in every public function (`random_state`,
`n_jobs`, `n_seeds`, `space`, `bits`, `n_topics`); the 0.1 names keep working for one release, with a
DeprecationWarning that names the new one."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings

import numpy as np
import pytest

import bcanalysis
from bcanalysis.deprecation import renamed_keywords

#: Names 0.1 used for an idea that has one name now.
RETIRED = {"seed": "random_state", "seeds": "n_seeds", "workers": "n_jobs", "depths": "bits"}


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


def _warns_and_agrees(new_call, old_call, new_name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        expected = new_call()  # the new name: no warning
    with pytest.warns(DeprecationWarning, match=f"write {new_name}="):
        got = old_call()
    return expected, got


def test_old_keywords_still_work_with_a_warning(tmp_path) -> None:
    from bcanalysis.demo import catalogue
    from bcanalysis.palette import extract_many
    from bcanalysis.quantize import vocabulary_table

    a, b = _warns_and_agrees(lambda: catalogue(3, random_state=4), lambda: catalogue(3, seed=4), "random_state")
    assert a == b
    palettes = [np.random.default_rng(i).integers(0, 256, (10, 3)) for i in range(5)]
    a, b = _warns_and_agrees(lambda: vocabulary_table(palettes, bits=(24, 9)),
                             lambda: vocabulary_table(palettes, depths=(24, 9)), "bits")
    assert a.equals(b)
    image = np.zeros((8, 8, 3), np.uint8).tobytes()
    from PIL import Image

    png = tmp_path / "x.png"
    Image.frombytes("RGB", (8, 8), image).save(png)
    a, b = _warns_and_agrees(lambda: extract_many([png], 4, progress=False, n_jobs=1),
                             lambda: extract_many([png], 4, progress=False, workers=1), "n_jobs")
    assert [c.rgb for c in a[0].colors] == [c.rgb for c in b[0].colors]


def test_old_and_new_name_together_is_an_error() -> None:
    @renamed_keywords(seed="random_state")
    def draw(random_state=None):
        return random_state

    assert draw(random_state=3) == 3
    with pytest.warns(DeprecationWarning):
        assert draw(seed=4) == 4
    with pytest.raises(TypeError, match="both seed= .* and random_state="):
        draw(seed=1, random_state=2)


def test_topic_model_attributes_follow_scikit_learn_and_old_names_warn() -> None:
    from bcanalysis import topics

    model = topics.fit(topics.planted_palettes(80, 3, random_state=1).palettes, n_topics=3, random_state=0)
    learned = ["components_", "colors_", "vocabulary_", "doc_topic_prior_", "state_"]
    assert all(hasattr(model, name) for name in learned)
    settings = {"bits", "space", "weighting", "engine", "params", "meta"}
    public = {k for k in vars(model) if not k.startswith("_")}
    assert public - settings == set(learned) - {"vocabulary_"}  # everything else the fit set ends in "_"
    for old, new in [("colors", "colors_"), ("doc_topic_prior", "doc_topic_prior_"), ("state", "state_"),
                     ("vocabulary", "vocabulary_")]:
        with pytest.warns(DeprecationWarning, match=f"read ColorTopicModel.{new}"):
            value = getattr(model, old)
        assert value is getattr(model, new) or np.array_equal(value, getattr(model, new)) or value == getattr(model,
                                                                                                               new)
    with pytest.warns(DeprecationWarning, match="write random_state="):
        topics.model.fit_doc_term(topics.vectorize(topics.planted_palettes(40, 2).palettes, 12), 2, weighting="count",
                            engine="tomotopy", seed=3)


def test_sweep_bins_in_the_space_it_is_given() -> None:
    from bcanalysis import topics

    palettes = topics.planted_palettes(120, 3, random_state=2).palettes
    rgb = topics.sweep(palettes, bits=(9,), n_topics=[3], n_seeds=2, random_state=0, progress=False, n_jobs=1)
    hls = topics.sweep(palettes, bits=(9,), n_topics=[3], n_seeds=2, random_state=0, progress=False, n_jobs=1,
                       space="hls")
    assert rgb.model(9, 3).space == "rgb" and hls.model(9, 3).space == "hls"
    expected = topics.vectorize(palettes, 9, space="hls").colors
    assert np.array_equal(hls.model(9, 3).colors_, expected)  # the vocabulary of HLS bins, not RGB's
    assert not np.array_equal(expected, topics.vectorize(palettes, 9).colors)
    with pytest.raises(ValueError, match="space must be one of"):
        topics.sweep(palettes, bits=(9,), n_topics=[3], space="cmyk", progress=False)


def test_moved_names_resolve_with_a_warning() -> None:
    from bcanalysis import quantize, report, sources, topics, widgets

    for module, old, new in [(widgets, "similar_palettes", topics.similar_palettes),
                             (widgets, "vocabulary_table", quantize.vocabulary_table),
                             (widgets, "topic_table", topics.topic_table),
                             (report, "open_source", sources.open_source),
                             (report, "Source", sources.Source)]:
        with pytest.warns(DeprecationWarning, match=f"{old} moved to"):
            assert getattr(module, old) is new
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        widgets.nonsense  # noqa: B018
