"""A loopback HTTP server answering the two Vault endpoints the live check uses.

As Vault documents them (api-docs/secret/kv/kv-v2, api-docs/auth/token):

* ``GET /v1/<mount>/data/<path>``: 200 ``{"data": {"data": {...}, "metadata": {...}}}``;
  404 ``{"errors": []}`` when nothing is there;
* ``GET /v1/auth/token/lookup-self``: 200 ``{"data": {"policies": [...], ...}}``;
* a missing or unknown ``X-Vault-Token``: 403 ``{"errors": ["permission denied"]}``.

No Vault server ships in the package registries here, so hvac talks to this instead.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeVault:
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)  # "secret/data/x" -> data
    tokens: dict[str, list[str]] = field(default_factory=dict)  # token -> policies
    requests: list[tuple[str, bool]] = field(default_factory=list)  # (path, had a token)
    addr: str = ""

    def put(self, path: str, **data: Any) -> None:
        self.secrets[path] = data


def _handler(vault: FakeVault) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet: no stderr noise
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            token = self.headers.get("X-Vault-Token")
            path = self.path.split("?", 1)[0].removeprefix("/v1/")
            vault.requests.append((path, token is not None))
            if token not in vault.tokens:
                self._send(403, {"errors": ["permission denied"]})
            elif path == "auth/token/lookup-self":
                self._send(200, {"data": {"policies": vault.tokens[token], "ttl": 3600}})
            elif path in vault.secrets:
                metadata = {"created_time": "2026-11-29T18:00:00Z", "deletion_time": "",
                            "destroyed": False, "version": 3}  # fmt: skip
                self._send(200, {"data": {"data": vault.secrets[path], "metadata": metadata}})
            else:
                self._send(404, {"errors": []})

    return Handler


@contextmanager
def running(vault: FakeVault) -> Iterator[FakeVault]:
    """Serve ``vault`` on 127.0.0.1 (a free port) until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(vault))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    vault.addr = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield vault
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
