"""The notebooks' parameters, checked before a report runs anything.

`check_against_notebooks` refuses a `-p NAME VALUE` whose name no notebook of the run takes (naming the closest one
it does take: `-p nbits 12` → "did you mean bits?"), and a value of the wrong type or out of range (`-p bits 13`,
`-p n_topics eighteen`), each in one line, whatever letters name it (`python_name`: `-p 𝔡𝔟` is `-p db`). The
names come from the notebooks' `parameters` cells; the types from
the values there, and the ranges from `RULES` for the parameters this project's notebooks share.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: Total colour depths a palette can be quantised to (`bcanalysis.quantize.ALLOWED_BITS`, without importing numpy).
DEPTHS = tuple(range(3, 25, 3))
#: Parameters `bcanalysis report` sets itself, with what to use instead.
SET_BY_REPORT = {"source": "choose it with --source", "live": "a report always draws offline controls (live = False)"}


class ParameterError(ValueError):
    """A `-p NAME VALUE` the notebooks cannot take: the message names it, and what would be right, in one line."""


def _whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _positive(v: Any) -> bool:
    return _whole(v) and v >= 1


def _depth(v: Any) -> bool:
    return _whole(v) and v in DEPTHS


def _text(v: Any) -> bool:
    return isinstance(v, str) and v.strip() != ""


def _list_of(item: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, list) and len(v) > 0 and all(item(x) for x in v) and len(set(map(repr, v))) == len(v)


@dataclass(frozen=True)
class Rule:
    """What a parameter's value must be: a test, and the words for it in an error message."""

    check: Callable[[Any], bool]
    want: str
    example: str = ""


_DEPTHS = ", ".join(map(str, DEPTHS))
RULES: dict[str, Rule] = {
    "db": Rule(_text, "a path to the corpus file (a string)", "-p db data/mine/corpus.sqlite"),
    "cache_dir": Rule(_text, "a folder for fitted models (a string)", "-p cache_dir data/mine/cache"),
    "tags": Rule(_list_of(_text), "a list of distinct genre tags", "-p tags \"['rock', 'pop']\""),
    "albums_per_tag": Rule(_positive, "a whole number of albums per tag, at least 1", "-p albums_per_tag 50"),
    "bits": Rule(_depth, f"a total colour depth, a multiple of 3 from 3 to 24 ({_DEPTHS})", "-p bits 12"),
    "n_topics": Rule(_positive, "a whole number of topics, at least 1", "-p n_topics 18"),
    "sweep_bits": Rule(
        _list_of(_depth), f"a list of distinct colour depths from {_DEPTHS}", '-p sweep_bits "[9, 12, 15]"'
    ),
    "sweep_n": Rule(
        _list_of(_positive), "a list of distinct topic counts, each at least 1", '-p sweep_n "[2, 4, 8, 16]"'
    ),
    "random_state": Rule(
        lambda v: _whole(v) and 0 <= v < 2**32, "a seed: a whole number from 0 to 2**32 - 1", "-p random_state 0"
    ),
    "query_album": Rule(
        lambda v: (_whole(v) and v >= 0) or _text(v),
        "a position among the albums with a palette (0, 1, …) or an album URL",
        "-p query_album 0",
    ),
    "n_similar": Rule(_positive, "a whole number of neighbours, at least 1", "-p n_similar 8"),
    "n_boot": Rule(_positive, "a whole number of bootstrap resamples, at least 1", "-p n_boot 200"),
    "space_bits": Rule(_list_of(_depth), f"a list of distinct colour depths from {_DEPTHS}", '-p space_bits "[9, 12]"'),
    "space_restarts": Rule(_positive, "a whole number of fits per cell, at least 1", "-p space_restarts 2"),
}


def _kind_rule(default: Any) -> Rule | None:
    """A rule from a notebook default's type, for a parameter without one in `RULES` (None: anything plain)."""
    if isinstance(default, bool):
        return Rule(lambda v: isinstance(v, bool), "True or False")
    if _whole(default):
        return Rule(_whole, "a whole number")
    if isinstance(default, float):
        return Rule(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number")
    if isinstance(default, str):
        return Rule(lambda v: isinstance(v, str), "a string")
    if isinstance(default, list):
        return Rule(lambda v: isinstance(v, list), "a list ([...])")
    if isinstance(default, dict):
        return Rule(lambda v: isinstance(v, dict), "a dict ({...})")
    return None


def python_name(name: str) -> str:
    """The name Python binds for `name`: NFKC-normalised, as the parser does identifiers (`𝔡𝔟 = 1` sets `db`), so
    every check of a parameter applies to every spelling of it."""
    return unicodedata.normalize("NFKC", name) if isinstance(name, str) else name


def python_names(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`overrides` under the names Python binds for them (`python_name`); a later spelling of one name wins, as a
    later `-p` of the same name does."""
    return {python_name(name): value for name, value in overrides.items()}


def fold(name: str) -> str:
    """A name as Python reads it, case aside: NFKC-normalised (Python's rule for identifiers) and case-folded."""
    return unicodedata.normalize("NFKC", name).casefold()


def closest(name: str, known: list[str]) -> str | None:
    """The known name `name` most likely meant (same name in other letters or case, else a near spelling), if any."""
    same = [k for k in known if fold(k) == fold(name)]
    if same:
        return same[0]
    folded = {fold(k): k for k in known}
    match = difflib.get_close_matches(fold(name), list(folded), n=1, cutoff=0.6)
    return folded[match[0]] if match else None


def check_name(name: str, takes: Mapping[str, list[str]], elsewhere: Mapping[str, list[str]] | None = None) -> None:
    """Refuse a name no notebook of the run takes (naming the closest one, or the notebooks outside the run that
    take it), or one the report sets itself. `takes` and `elsewhere` map parameter names to notebook names."""
    if name in SET_BY_REPORT:
        raise ParameterError(f"parameter {name} is set by bcanalysis report: {SET_BY_REPORT[name]}")
    if name in takes:
        return
    if elsewhere and name in elsewhere:
        first = elsewhere[name][0]
        raise ParameterError(
            f"parameter {name} is taken only by {', '.join(elsewhere[name])}, which this run leaves "
            f"out (add --only {first[:2]}, or leave the parameter out)"
        )
    guess = closest(name, sorted({*takes, *(elsewhere or {})}))
    hint = f" (did you mean {guess}?)" if guess else ""
    listed = ", ".join(n for n in sorted(takes) if n not in SET_BY_REPORT)
    raise ParameterError(f"unknown parameter {name!r}{hint}: the notebooks take {listed}")


def check_value(name: str, value: Any, default: Any = None) -> None:
    """Refuse a value of the wrong type or out of range for parameter `name` (its notebook default: `default`)."""
    rule = RULES.get(name) or _kind_rule(default)
    if rule is None or rule.check(value):
        return
    example = f", e.g. {rule.example}" if rule.example else ""
    raise ParameterError(f"parameter {name} must be {rule.want}, got {value!r}{example}")


def _by_name(defaults: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """(name → notebooks taking it, name → its first notebook default) from notebook → parameters-cell values."""
    takes: dict[str, list[str]] = {}
    first: dict[str, Any] = {}
    for notebook, values in defaults.items():
        for name, value in values.items():
            takes.setdefault(name, []).append(notebook)
            first.setdefault(name, value)
    return takes, first


def check_against_notebooks(
    overrides: Mapping[str, Any],
    defaults: Mapping[str, Mapping[str, Any]],
    others: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Check every override against the run's notebooks before any runs: `defaults` maps each notebook of the run
    to its parameters cell's values (`others`: the same for the folder's notebooks outside the run). Raises
    ParameterError (one line) for the first bad name or value."""
    takes, first = _by_name(defaults)
    elsewhere, _ = _by_name(others or {})
    for name, value in overrides.items():
        check_name(name, takes, elsewhere)
        check_value(name, value, first.get(name))


# --- what the parameters decide in a report: the cells a source shows, page names and titles -----------------------

#: A cell tagged `source:NAME` belongs to the reports of source NAME only (a cell may carry several such tags);
#: untagged cells belong to every report. In JupyterLab every cell shows, so such a cell says which source it is for.
SOURCE_TAG = "source:"
#: How a report's title names each source.
SOURCE_TITLES = {"demo": "the offline demo catalogue", "bandcamp": "Bandcamp", "corpus": "your own corpus"}


def for_source(nb: Any, source: str) -> Any:
    """The notebook without the cells tagged for other sources only (`SOURCE_TAG`): a copy, the original untouched."""
    import copy

    def shown(cell: Any) -> bool:
        wanted = [t[len(SOURCE_TAG) :] for t in cell.metadata.get("tags", []) if t.startswith(SOURCE_TAG)]
        return not wanted or source in wanted

    out = copy.deepcopy(nb)
    out.cells = [c for c in out.cells if shown(c)]
    return out


def _filled(template: str, values: Mapping[str, Any]) -> str:
    """`template` with {name} filled from `values` (parameters, and `source_title`); unknown names left as written."""

    class Keep(dict):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    source = values.get("source")
    return template.format_map(Keep(values, source_title=SOURCE_TITLES.get(str(source), str(source))))


def page_stem(nb: Any, stem: str, values: Mapping[str, Any]) -> str:
    """The file name (without suffix) of a notebook's report: its metadata's `bcanalysis.report` template filled
    with the run's values (`05_final_{bits}bit_{n_topics}topics` → `05_final_9bit_6topics`), else its own stem."""
    import re

    template = nb.metadata.get("bcanalysis", {}).get("report")
    if not template:
        return stem
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", _filled(str(template), values)).strip("-.")
    return name or stem


def page_title(nb: Any, values: Mapping[str, Any]) -> str | None:
    """The report's page title: the metadata's `bcanalysis.title` template filled with the run's values, if any."""
    template = nb.metadata.get("bcanalysis", {}).get("title")
    return _filled(str(template), values) if template else None
