"""One validation helper for every numeric argument of the package, in scikit-learn's `check_scalar` style: a
value is checked against a declared kind and range once, and a bad one is an error that names the argument, the
value and what was expected. `True` is not an integer here (Python says it is; no user means 1 by it).

    from bcanalysis.checks import Interval, check_scalar
    n_topics = check_scalar(n_topics, "n_topics", int, low=1)
    heldout = check_scalar(heldout, "heldout", float, low=0, high=1, closed="neither")
    check_params({"n_topics": n_topics}, {"n_topics": Interval(int, 1, None)})   # a declared constraint table
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Interval",
    "OneOf",
    "check_params",
    "check_scalar",
]

Closed = Literal["both", "left", "right", "neither"]


@dataclass(frozen=True)
class Interval:
    """A declared constraint: numbers of `kind` (int or float) between `low` and `high` (None: unbounded)."""

    kind: type
    low: float | None = None
    high: float | None = None
    closed: Closed = "both"
    none: bool = False  # None allowed as well (a "not given" default)

    def check(self, value: Any, name: str) -> Any:
        """`value` as `kind` if it satisfies the constraint, else TypeError/ValueError naming `name`."""
        if value is None and self.none:
            return None
        return check_scalar(value, name, self.kind, low=self.low, high=self.high, closed=self.closed)


@dataclass(frozen=True)
class OneOf:
    """A declared constraint: one of a fixed set of values (`choices`)."""

    choices: tuple[Any, ...]

    def check(self, value: Any, name: str) -> Any:
        """`value` if it is one of `choices`, else ValueError listing them."""
        if isinstance(value, bool) or value not in self.choices:
            raise ValueError(f"{name} must be one of {', '.join(map(repr, self.choices))}; got {value!r}")
        return value


def _kind_name(kind: type) -> str:
    return "an integer" if kind is int else "a number"


def check_scalar(
    value: Any,
    name: str,
    kind: type = int,
    *,
    low: float | None = None,
    high: float | None = None,
    closed: Closed = "both",
) -> Any:
    """`value` as `kind` (int or float) if it is one (never a bool, never NaN or infinite) within [low, high] (ends
    included as `closed` says); TypeError for the wrong kind, ValueError for a value out of range."""
    wanted = numbers.Integral if kind is int else numbers.Real
    if isinstance(value, bool) or not isinstance(value, wanted):
        raise TypeError(f"{name} must be {_kind_name(kind)}, got {value!r} ({type(value).__name__})")
    out = int(value) if kind is int else float(value)
    if kind is not int and not math.isfinite(out):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    below = low is not None and (out < low or (out == low and closed in ("right", "neither")))
    above = high is not None and (out > high or (out == high and closed in ("left", "neither")))
    if below or above:
        raise ValueError(f"{name} must be {_range(low, high, closed)}, got {value!r}")
    return out


def _range(low: float | None, high: float | None, closed: Closed) -> str:
    """'>= 1', '< 1', 'between 0 and 1 (both excluded)' … for an error message."""
    left, right = closed in ("both", "left"), closed in ("both", "right")
    if high is None:
        return f"{'>=' if left else '>'} {low:g}"
    if low is None:
        return f"{'<=' if right else '<'} {high:g}"
    ends = {
        (True, True): "both included",
        (False, False): "both excluded",
        (True, False): f"{high:g} excluded",
        (False, True): f"{low:g} excluded",
    }[(left, right)]
    return f"between {low:g} and {high:g} ({ends})"


def check_params(values: Mapping[str, Any], constraints: Mapping[str, Interval | OneOf]) -> dict[str, Any]:
    """Every value of `values` checked against its declared constraint (`_parameter_constraints` style); the checked
    values, converted (an np.int64 comes back an int)."""
    return {
        name: constraints[name].check(value, name) if name in constraints else value for name, value in values.items()
    }
