"""A note in place of a result: one line a report shows where an analysis cannot be made on this corpus (no
release dates, one genre, too few albums in any year, …), so the reader learns why and the notebook goes on.

Result tables carry the reason in `table.attrs["note"]`; `plots` returns a `Note` instead of a figure it cannot
draw, and `findings` words its verdict from the same reason.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

__all__ = [
    "Note",
    "note_of",
]


@dataclass(frozen=True)
class Note:
    """One line saying what could not be made and why; shown as text (escaped: it may quote tags and titles)."""

    text: str

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return (
            f'<div class="bc-note" style="border-left:4px solid #c93;padding:.3em .8em;margin:.4em 0">'
            f"{html.escape(self.text)}</div>"
        )


def note_of(table: object) -> str | None:
    """The reason a result table gives for being empty (`attrs["note"]`), if it gives one."""
    attrs = getattr(table, "attrs", None)
    return attrs.get("note") if isinstance(attrs, dict) else None
