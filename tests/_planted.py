"""An albums DataFrame (the columns `Corpus.albums()` gives) over planted palettes, for tests of what reads albums."""

from __future__ import annotations

import pandas as pd


def planted_albums(planted, **columns) -> pd.DataFrame:
    """One album per planted palette: a URL, title and artist, the tag `tag<k>` of its dominant planted topic, its
    colours and proportions; `columns` add or replace columns (a list per album, or a function of the row number)."""
    dominant = planted.mixtures.argmax(axis=1)
    n = len(dominant)
    frame = {
        "url": [f"https://s{i}.bandcamp.com/album/a{i}" for i in range(n)],
        "title": [f"t{i}" for i in range(n)],
        "artist": [f"a{i}" for i in range(n)],
        "tags": [[f"tag{d}"] for d in dominant],
        "colorgram": [[tuple(int(v) for v in c[:3]) for c in p] for p in planted.palettes],
        "proportions": [list(p[:, 3]) for p in planted.palettes],
    }
    for name, values in columns.items():
        frame[name] = [values(i) for i in range(n)] if callable(values) else list(values)
    return pd.DataFrame(frame)
