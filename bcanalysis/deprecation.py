"""Old names kept working for one release, with a DeprecationWarning that names the new one.

Release 0.2 gave every public function one vocabulary (`random_state`, `n_jobs`, `n_seeds`, `space`, `bits`,
`n_topics`) and moved a few functions to the layer they belong to. Code written for 0.1 keeps running and is told
what to write instead; the old names go in the release after.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: The release in which the old names stop working.
REMOVED_IN = "0.3"


def renamed_keywords(**renames: str) -> Callable[[F], F]:
    """Accept the old keyword `old=value` as `new=value` (`renamed_keywords(old="new")`), with a DeprecationWarning;
    giving both is a TypeError naming them."""

    def wrap(fn: F) -> F:
        name = fn.__qualname__.removesuffix(".__init__")  # a class is called by its name

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{name}() got both {old}= (its old name) and {new}=; give {new}= only")
                    warnings.warn(f"{name}({old}=…) is deprecated and stops working in bcanalysis "
                                  f"{REMOVED_IN}: write {new}=…", DeprecationWarning, stacklevel=2)
                    kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        return call  # type: ignore[return-value]

    return wrap


def moved_attribute(module: str, name: str, moved: Mapping[str, str]) -> Any:
    """For a module's `__getattr__`: the object `name` now lives at (`moved[name]` = "package.module:attr"), with a
    DeprecationWarning; AttributeError for any other name."""
    if name not in moved:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    where, _, attr = moved[name].partition(":")
    warnings.warn(f"{module}.{name} moved to {where}.{attr}; the old name stops working in bcanalysis {REMOVED_IN}",
                  DeprecationWarning, stacklevel=3)
    return getattr(importlib.import_module(where), attr)
