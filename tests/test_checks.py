"""The one validation helper: kinds, ranges and messages, compared with scikit-learn's own `check_scalar` where the
two agree, and stricter where ours means to be (a bool is not an integer, NaN and infinity are not numbers)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils import check_scalar as sk_check_scalar

from bcanalysis.checks import Interval, OneOf, check_params, check_scalar


@pytest.mark.parametrize("value", [1, 5, np.int64(7), 10**30])
def test_integers_in_range_pass_as_int(value) -> None:
    got = check_scalar(value, "n", int, low=1)
    assert got == value and type(got) is int
    assert sk_check_scalar(value, "n", (int, np.integer), min_val=1) == value  # scikit-learn agrees


@pytest.mark.parametrize(
    ("value", "error"), [(0, ValueError), (-3, ValueError), (1.5, TypeError), ("2", TypeError), (None, TypeError)]
)
def test_bad_integers_fail_as_scikit_learn_fails(value, error) -> None:
    with pytest.raises(error, match="^n must be"):
        check_scalar(value, "n", int, low=1)
    with pytest.raises(error):
        sk_check_scalar(value, "n", (int, np.integer), min_val=1)


@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_a_bool_is_not_an_integer(value) -> None:
    with pytest.raises(TypeError, match=r"n must be an integer, got \S*(True|False)"):
        check_scalar(value, "n", int, low=0)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_nan_and_infinity_are_not_numbers(value) -> None:
    with pytest.raises(ValueError, match="finite"):
        check_scalar(value, "heldout", float, low=0, high=1)


@pytest.mark.parametrize(
    ("closed", "ok", "bad"),
    [("both", [0, 1], [-0.1, 1.1]), ("neither", [0.5], [0, 1]), ("left", [0], [1]), ("right", [1], [0])],
)
def test_ends_are_included_as_closed_says(closed, ok, bad) -> None:
    for v in ok:
        assert check_scalar(v, "x", float, low=0, high=1, closed=closed) == v
    for v in bad:
        with pytest.raises(ValueError, match="x must be between 0 and 1"):
            check_scalar(v, "x", float, low=0, high=1, closed=closed)


def test_declared_constraints_are_checked_once_and_converted() -> None:
    constraints = {
        "n_topics": Interval(int, 1),
        "random_state": Interval(int, 0, none=True),
        "engine": OneOf(("tomotopy", "sklearn")),
    }
    got = check_params({"n_topics": np.int32(3), "random_state": None, "engine": "sklearn", "other": "x"}, constraints)
    assert got == {"n_topics": 3, "random_state": None, "engine": "sklearn", "other": "x"}
    with pytest.raises(ValueError, match="engine must be one of 'tomotopy', 'sklearn'; got 'gensim'"):
        check_params({"engine": "gensim"}, constraints)
    with pytest.raises(TypeError, match="random_state must be an integer"):
        check_params({"random_state": "0"}, constraints)
