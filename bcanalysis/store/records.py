"""What the corpus stores about a cover, and the timestamp format of its rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path


@dataclass(frozen=True)
class Cover:
    """What became of an album's cover: status, the reason if not ok, and the saved file if ok."""

    status: str
    reason: str | None = None
    file: Path | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None


def now() -> str:
    """The current UTC time as ISO 8601 text, seconds precision: the corpus's timestamp format."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
