"""A real HTTP server on 127.0.0.1 whose answers a test scripts: for hostile-input tests of the scraper. Also
`held_child`, a child process stopped where a test wants it (a scrape or import killed, or kept, mid-write)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

#: The repo: where `held_child` runs its script.
REPO = Path(__file__).resolve().parents[1]
#: (status, headers, body): body is bytes, or an iterable of bytes chunks sent one by one (for trickling bodies).
Reply = tuple[int, dict[str, str], Any]


class HostileServer:
    """Answers every request with `answer(method, path, body) -> Reply`; logs (method, path, body, time). `host` is
    the loopback address it listens on (127.0.0.2 plays a second machine; loopback only)."""

    def __init__(self, answer: Callable[[str, str, bytes], Reply], host: str = "127.0.0.1"):
        if not host.startswith("127."):
            raise ValueError(f"test servers listen on loopback addresses only, not {host!r}")
        self.answer = answer
        self.log: list[tuple[str, str, bytes, float]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.log.append((self.command, self.path, body, time.monotonic()))
                status, headers, payload = server.answer(self.command, self.path, body)
                self.send_response(status)
                chunks = [payload] if isinstance(payload, bytes) else payload
                if isinstance(payload, bytes) and "Content-Length" not in headers:
                    headers = {**headers, "Content-Length": str(len(payload))}
                if not isinstance(payload, bytes):
                    headers = {**headers, "Connection": "close"}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    for chunk in chunks:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                if not isinstance(payload, bytes):
                    self.close_connection = True

            do_GET = do_POST = _serve  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer((host, 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self._httpd.server_address[0]}:{self.port}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def json_reply(obj: Any, status: int = 200) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(obj).encode()


def trickle(data: bytes, every: float) -> Iterable[bytes]:
    """The body one byte at a time, `every` seconds apart."""
    for i in range(len(data)):
        time.sleep(every)
        yield data[i : i + 1]


def discover_item(i: int, **change: Any) -> dict:
    """A discover result in today's shape for album `i` (store s{i}, art id 1000 + i, place Oslo), with `change`
    applied: the one item every scrape test scripts its answers from (None drops a field)."""
    item = {
        "result_type": "a",
        "item_id": i,
        "item_type": "a",
        "title": f"T{i}",
        "band_name": f"B{i}",
        "primary_image": {"image_id": 1000 + i},
        "item_url": f"https://s{i}.bandcamp.com/album/t{i}",
        "band_location": "Oslo, Norway",
        **change,
    }
    return {k: v for k, v in item.items() if v is not None}


def held_child(script: str, *args: object) -> subprocess.Popen:
    """`python -c script args…` started from the repo with its stdin, stdout and stderr piped, handed back once it
    prints "holding" (the script stops itself where the test wants it: killed there, or waiting for its stdin)."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        cwd=REPO,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout.readline() == "holding\n", child.stderr.read()
    return child
