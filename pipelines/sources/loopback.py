"""A real HTTP server on 127.0.0.1 in a background thread, with seeded fault injection.

It serves a FeedServer (or any handler of the same shape) over a socket, so the production client meets
what the network does to it: 500s, 503s, 429s with Retry-After, bodies cut short, JSON cut short, and
requests that stall beyond the client's timeout. Whether a request fails is decided by a hash of the
seed, the request and how many times that request was made before — not by thread timing — so a run
with the same requests meets the same faults.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

from pipelines.sources.feed_server import FeedServer, Response

Handler = Callable[[str, str, Mapping[str, str], Mapping[str, str]], Response]

FAULT_KINDS = ("500", "503", "429", "truncated", "invalid_json", "stall")


@dataclass(frozen=True)
class Faults:
    """Which faults to inject and how often; rate 0.2 fails one request in five."""

    rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = FAULT_KINDS
    retry_after: int = 1
    stall_seconds: float = 5.0

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown or not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"faults: rate must be in [0, 1] and kinds among {FAULT_KINDS}, got {unknown or self.rate}")

    def pick(self, request_key: str, repeat: int) -> str | None:
        """The fault for the `repeat`-th time this request is made, or None to answer it properly."""
        if self.rate <= 0:
            return None
        digest = hashlib.sha256(f"{self.seed}|{request_key}|{repeat}".encode()).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 >= self.rate:
            return None
        return self.kinds[int.from_bytes(digest[8:12], "big") % len(self.kinds)]


class LoopbackServer:
    """Serve a handler over HTTP/1.1 on an ephemeral localhost port; use as a context manager."""

    def __init__(self, handler: Handler | FeedServer, *, faults: Faults = Faults(), latency: float = 0.0,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.handle = handler.handle if isinstance(handler, FeedServer) else handler
        self.faults = faults
        self.latency = latency
        self.injected: Counter[str] = Counter()
        self.log: list[tuple[str, str, str]] = []  # (method, path, outcome: status or fault kind)
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer((host, port), self._request_handler())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "LoopbackServer":
        """Serve in a daemon thread until stop()."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="loopback-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release stalled requests, stop serving and close the socket."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> "LoopbackServer":
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def outcomes(self, path_prefix: str = "") -> Counter[str]:
        """How the requests under a path were answered (status codes and fault kinds), for assertions."""
        with self._lock:
            return Counter(outcome for _, path, outcome in self.log if path.startswith(path_prefix))

    def _decide(self, method: str, target: str) -> str | None:
        """Count this request and draw its fault."""
        key = f"{method} {target}"
        with self._lock:
            repeat = self._seen[key]
            self._seen[key] += 1
        fault = self.faults.pick(key, repeat)
        if fault:
            with self._lock:
                self.injected[fault] += 1
        return fault

    def _record(self, method: str, path: str, outcome: str) -> None:
        with self._lock:
            self.log.append((method, path, outcome))

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: without this, 40 ms per reply

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
                self._serve("GET")

            def do_HEAD(self) -> None:  # noqa: N802
                self._serve("HEAD")

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                if server.latency:
                    time.sleep(server.latency)
                fault = server._decide(method, self.path)
                if fault:
                    server._record(method, parts.path, fault)
                    self._inject(fault, method, parts)
                    return
                reply = server.handle(method, parts.path, dict(parse_qsl(parts.query)),
                                      {k.lower(): v for k, v in self.headers.items()})
                server._record(method, parts.path, str(reply.status))
                self._send(reply.status, reply.headers, reply.body, head=method == "HEAD")

            def _send(self, status: int, headers: Mapping[str, str], body: bytes, *, head: bool = False,
                      length: int | None = None) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body) if length is None else length))
                self.end_headers()
                if not head and status != 304:
                    self.wfile.write(body)

            def _inject(self, fault: str, method: str, parts) -> None:
                if fault in ("500", "503"):
                    self._send(int(fault), {"Content-Type": "text/plain"}, b"injected fault")
                elif fault == "429":
                    self._send(429, {"Retry-After": str(server.faults.retry_after), "Content-Type": "text/plain"},
                               b"slow down")
                elif fault == "stall":
                    server._stopping.wait(server.faults.stall_seconds)
                    self.close_connection = True
                else:
                    reply = server.handle(method, parts.path, dict(parse_qsl(parts.query)),
                                          {k.lower(): v for k, v in self.headers.items()})
                    body = reply.body or b'{"injected": "empty body"}'
                    cut = body[: max(1, len(body) // 2)]
                    if fault == "invalid_json":  # a complete response whose JSON stops half-way
                        self._send(200, reply.headers, cut)
                    else:  # the connection drops after half the announced body
                        self._send(200, reply.headers, cut, length=len(body))
                        self.close_connection = True
                        try:
                            self.connection.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass

            def handle_one_request(self) -> None:
                try:
                    super().handle_one_request()
                except (BrokenPipeError, ConnectionResetError, TimeoutError):
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet by design
                return

        return RequestHandler


def serve_feed(server: FeedServer, *, fault_rate: float = 0.0, seed: int = 0, latency: float = 0.0,
               stall_seconds: float = 5.0, retry_after: int = 1) -> LoopbackServer:
    """A started loopback server for a FeedServer (stop it, or use it in a `with`)."""
    faults = Faults(rate=fault_rate, seed=seed, stall_seconds=stall_seconds, retry_after=retry_after)
    return LoopbackServer(server, faults=faults, latency=latency).start()
