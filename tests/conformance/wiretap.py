"""A recording relay between the SDKs and cloudsim: every request is passed on byte for byte
(method, target, headers, body) and every answer is passed back unchanged, and both are kept so
that a test can assert what the SDK really put on the wire and what cloudsim really answered.
It does not alter, sign or check anything.
"""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

FORM = "application/x-www-form-urlencoded"

# Headers the relay itself sets on the way back (its HTTP framing), not copied from cloudsim.
_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "date", "server"}


@dataclass
class Exchange:
    """One request as sent by an SDK and the answer cloudsim gave to it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""

    @property
    def raw_query(self) -> str:
        """The query string exactly as sent (still percent-encoded)."""
        return urlsplit(self.target).query

    @property
    def query(self) -> dict[str, str]:
        """The query parameters, decoded the form way (`+` is a space)."""
        return dict(parse_qsl(self.raw_query, keep_blank_values=True))

    @property
    def is_form(self) -> bool:
        kind = self.headers.get("content-type", "").split(";")[0].strip().lower()
        return kind == FORM and bool(self.body)

    @property
    def form(self) -> dict[str, str]:
        """The form-body parameters, decoded the form way; empty without a form body."""
        if not self.is_form:
            return {}
        return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))

    @property
    def params(self) -> dict[str, str]:
        """Query and form parameters merged, as the gateway sees them."""
        return {**self.query, **self.form}

    @property
    def action(self) -> str:
        """The action: the V3 header, else the V2 `Action` parameter."""
        return self.headers.get("x-acs-action") or self.params.get("Action", "")

    def json(self) -> dict:
        """The answer's JSON body."""
        return json.loads(self.response_body)


class Wiretap:
    """Listens on 127.0.0.1:0 and relays to `upstream` ("host:port")."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.rsplit(":", 1)
        self._upstream = (host, int(port))
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []
        tap = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                tap._relay(self)

            do_POST = do_GET
            do_PUT = do_GET
            do_DELETE = do_GET

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    @property
    def addr(self) -> str:
        """The relay's address, "127.0.0.1:port"."""
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    def last(self) -> Exchange:
        """The latest exchange."""
        exchanges = self.exchanges
        assert exchanges, "no request reached the wiretap"
        return exchanges[-1]

    def clear(self) -> None:
        with self._lock:
            self._exchanges.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _relay(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        exchange = Exchange(
            method=handler.command,
            target=handler.path,
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
        )
        conn = http.client.HTTPConnection(*self._upstream, timeout=30)
        try:
            conn.putrequest(
                handler.command, handler.path, skip_host=True, skip_accept_encoding=True
            )
            for name, value in handler.headers.items():
                conn.putheader(name, value)
            conn.endheaders(body or None)
            answer = conn.getresponse()
            exchange.status = answer.status
            exchange.response_headers = {k.lower(): v for k, v in answer.getheaders()}
            exchange.response_body = answer.read()
        finally:
            conn.close()
        with self._lock:
            self._exchanges.append(exchange)
        handler.send_response(exchange.status)
        for name, value in exchange.response_headers.items():
            if name not in _HOP_BY_HOP:
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(exchange.response_body)))
        handler.end_headers()
        handler.wfile.write(exchange.response_body)
