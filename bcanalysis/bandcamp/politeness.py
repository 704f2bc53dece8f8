"""How we treat a site, in one frozen object: `Politeness` holds every rate, connection count, timeout, retry and
backoff, how long a 429 or a refused page is borne, the size and pixel caps and who we say we are. It is checked
once, when made (`bcanalysis.checks`), so a bad value is one error naming the field and the value, before any
request; the client and the scrape read it and nothing else.

    from bcanalysis.bandcamp import Client, Politeness
    client = Client(politeness=Politeness(rate=0.5))      # gentler than the defaults
    dataclasses.replace(politeness, backoff=0.1)          # a changed copy, checked again
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

import requests

from bcanalysis import __version__
from bcanalysis.checks import Interval, check_params
from bcanalysis.defaults import COVER_CONNECTIONS, COVER_RATE, DEMO_RATE, MAX_PIXELS, SITE_RATE

PROJECT_URL = "https://github.com/bcanalysis/bcanalysis"
USER_AGENT = f"bcanalysis/{__version__} (+{PROJECT_URL}; cover-colour research; python-requests/{requests.__version__})"


@dataclass(frozen=True)
class Politeness:
    """Everything about how the client and the scrape treat a site (the defaults are for bandcamp.com).

    Rates are requests a second, evenly spaced: `rate` for the site (discover API, album pages: every retry and
    redirect included), `cover_rate` for the image host over `cover_connections` connections. Each request has
    `connect_timeout`/`read_timeout` and a total `deadline` (seconds); connection errors, timeouts and 5xx are
    retried `retries` times with a backoff of `backoff` × 2^n seconds (plus jitter), a discover page that answers
    an error `discover_tries` times in all; a 429 is waited out as its Retry-After says, at most `max_retry_after`
    seconds and `max_429` times a request. A refused album page is tried `challenge_tries` times, `challenge_wait`
    seconds apart, and `max_refusals` refusals in a row stop the album-page phase; `max_connection_failures` in a
    row stop the run. Answers are capped at `page_cap`/`cover_cap` bytes (decompressed), a cover at `max_pixels`,
    redirects at `max_redirects`. `user_agent` names bcanalysis (we never pass for a browser)."""

    rate: float = SITE_RATE
    cover_rate: float = COVER_RATE
    cover_connections: int = COVER_CONNECTIONS
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    deadline: float = 120.0
    retries: int = 4
    backoff: float = 1.0
    max_retry_after: float = 600.0
    max_429: int = 5
    discover_tries: int = 4
    max_refusals: int = 5
    challenge_tries: int = 3
    challenge_wait: float = 30.0
    max_connection_failures: int = 5
    max_redirects: int = 5
    page_cap: int = 5_000_000
    cover_cap: int = 20_000_000
    max_pixels: int = MAX_PIXELS
    user_agent: str = USER_AGENT

    #: Each numeric field's declared range (`bcanalysis.checks`); the command line's flags take theirs from here
    #: (`cli.common.FLAG_BOUNDS`). Enough for any real use, and nothing that overflows a sleep or an interval.
    CONSTRAINTS: ClassVar[dict[str, Interval]] = {
        "rate": Interval(float, 0.0001, 10_000),  # at least one request in under 3 hours
        "cover_rate": Interval(float, 0.0001, 10_000),
        "cover_connections": Interval(int, 1, 64),
        "connect_timeout": Interval(float, 0, 3_600, closed="right"),
        "read_timeout": Interval(float, 0, 3_600, closed="right"),
        "deadline": Interval(float, 0, 86_400, closed="right"),
        "retries": Interval(int, 0, 10),
        "backoff": Interval(float, 0, 3_600),
        "max_retry_after": Interval(float, 0, 86_400),
        "max_429": Interval(int, 0, 100),
        "discover_tries": Interval(int, 1, 10),
        "max_refusals": Interval(int, 1, 10_000),
        "challenge_tries": Interval(int, 1, 100),
        "challenge_wait": Interval(float, 0, 86_400),
        "max_connection_failures": Interval(int, 1, 1_000),
        "max_redirects": Interval(int, 0, 20),
        "page_cap": Interval(int, 1, 2**31),
        "cover_cap": Interval(int, 1, 2**31),
        "max_pixels": Interval(int, 1, 10_000_000_000),
    }

    def __post_init__(self) -> None:
        values = check_params({f.name: getattr(self, f.name) for f in fields(self)}, self.CONSTRAINTS)
        for name, value in values.items():  # an np.int64 comes back an int, 1 for a rate 1.0
            object.__setattr__(self, name, value)
        check_user_agent(self.user_agent)

    @property
    def timeout(self) -> tuple[float, float]:
        """(connect, read) seconds, as requests takes them."""
        return self.connect_timeout, self.read_timeout


def check_user_agent(value: Any) -> str:
    """`value` if it is a User-Agent that names bcanalysis first (`bcanalysis/<version> …`), in printable ASCII of at
    most 300 characters; else ValueError naming it. We identify ourselves and never pass for a browser."""
    if not isinstance(value, str):
        raise TypeError(f"user_agent must be a string, got {value!r} ({type(value).__name__})")
    if not value.startswith("bcanalysis/") or len(value) > 300 or not all(" " <= ch <= "~" for ch in value):
        raise ValueError(
            f"user_agent must be one that names bcanalysis first ('bcanalysis/<version> (+<url>; …)'), "
            f"in printable ASCII of at most 300 characters; got {value[:80]!r}"
        )
    return value


#: Toward bandcamp.com: the defaults.
POLITENESS = Politeness()
#: Toward the offline demo server on 127.0.0.1 (no one to be polite to): the same, at `DEMO_RATE` both ways.
DEMO_POLITENESS = Politeness(rate=DEMO_RATE, cover_rate=DEMO_RATE)
