"""A TCP proxy a test can switch off and on, to make a database go away and come back.

``test_worker_reliability.py`` points a worker process at the proxy's port instead of the
database's. :meth:`TcpProxy.stop` closes the listening socket and every connection it is
carrying, as a database that went down would (the worker's connections break, new ones are
refused); :meth:`TcpProxy.start` listens again on the same port. Two ways choose the moment:
:meth:`TcpProxy.stop_when_quiet` waits until no byte has passed for a while (the client is
between two pieces of work), and :meth:`TcpProxy.cut_when` stops when a client sends certain
bytes, which are never forwarded (a database lost in the middle of a statement).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from typing import Self

_CHUNK = 65536
_POLL_SECONDS = 0.05
"""How often the threads look up from waiting to see whether the proxy was stopped."""


class TcpProxy:
    """Forwards every connection made to ``127.0.0.1:port`` to ``target``, both ways."""

    def __init__(self, target: tuple[str, int], port: int = 0) -> None:
        self.target = target
        self.port = port
        """The port it listens on; a free one is chosen on the first :meth:`start`."""
        self.accepted = 0
        """Connections accepted so far, over every start."""
        self._last_traffic = time.monotonic()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None
        self._running = threading.Event()
        self._cut_at: bytes | None = None
        self.cut = threading.Event()
        """Set when the proxy cut everything because a client sent the bytes it waited for."""

    def start(self) -> None:
        """Listens (again) on :attr:`port` and forwards what arrives."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._running.set()
        self._spawn(self._accept, listener)

    def cut_when(self, sent: bytes) -> None:
        """Cuts everything (as :meth:`stop`) when a client sends ``sent``, before forwarding it.

        :attr:`cut` is set then; call :meth:`stop` afterwards to wait for the threads.
        """
        self.cut.clear()
        self._cut_at = sent

    def stop_when_quiet(self, seconds: float, *, timeout: float = 10.0) -> None:
        """Waits until no byte has passed either way for ``seconds``, then stops.

        Raises:
            TimeoutError: the connections were never quiet that long within ``timeout``.
        """
        give_up = time.monotonic() + timeout
        while time.monotonic() - self._last_traffic < seconds:
            if time.monotonic() > give_up:
                raise TimeoutError(f"no quiet moment of {seconds} s in {timeout} s")
            time.sleep(seconds / 10)
        self.stop()

    def stop(self) -> None:
        """Stops listening and cuts every open connection, both sides."""
        self._drop_everything()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        if self._threads:
            raise RuntimeError(f"{len(self._threads)} proxy threads did not end")

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _drop_everything(self) -> None:
        self._running.clear()
        with self._lock:
            doomed = list(self._sockets)
            self._sockets.clear()
            listener, self._listener = self._listener, None
        for sock in doomed:
            _close(sock)
        if listener is not None:
            _close(listener)

    # ------------------------------------------------------------------ the threads

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while self._running.is_set():
            try:
                ready, _, _ = select.select([listener], [], [], _POLL_SECONDS)
                if not ready:
                    continue
                client, _ = listener.accept()
            except (OSError, ValueError):  # the listener was closed under us
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                if not self._running.is_set():
                    _close(client)
                    _close(upstream)
                    return
                self._sockets.update((client, upstream))
                self.accepted += 1
            self._spawn(self._pipe, client, upstream)

    def _pipe(self, client: socket.socket, upstream: socket.socket) -> None:
        """Copies bytes both ways until either side closes or the proxy stops."""
        peers = {client: upstream, upstream: client}
        try:
            while self._running.is_set():
                ready, _, _ = select.select(list(peers), [], [], _POLL_SECONDS)
                for source in ready:
                    data = source.recv(_CHUNK)
                    if not data:
                        return
                    if source is client and self._cut_at is not None and self._cut_at in data:
                        self._cut_at = None
                        self._drop_everything()
                        self.cut.set()
                        return
                    peers[source].sendall(data)
                    self._last_traffic = time.monotonic()
        except (OSError, ValueError):  # closed by stop(), or by a peer
            return
        finally:
            with self._lock:
                self._sockets.discard(client)
                self._sockets.discard(upstream)
            _close(client)
            _close(upstream)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
