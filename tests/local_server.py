"""The HTTP side of the stand-ins for outside services: a threaded server on 127.0.0.1, a free port."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalServer:
    """`handle(handler, method)` answers every request of the given methods, each on its own thread."""

    def __init__(self, handle: Callable[[BaseHTTPRequestHandler, str], None], methods: Iterable[str]) -> None:
        def answer(method: str) -> Callable[[BaseHTTPRequestHandler], None]:
            return lambda handler: handle(handler, method)

        quiet = {"log_message": lambda handler, *args: None}
        handler = type("Handler", (BaseHTTPRequestHandler,), {f"do_{m}": answer(m) for m in methods} | quiet)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"
