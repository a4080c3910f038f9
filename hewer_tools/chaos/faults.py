"""Faults that need more than a signal: a TCP proxy that cuts connections, concurrent reapers.

TcpProxy sits between a worker and its dispatcher. `cut()` resets every connection through
it (both sides see ECONNRESET, as when a network path dies) and, for `refuse_for` seconds,
resets new ones as soon as they are accepted, so the worker cannot get back in.

ReaperLoops runs `hewer.reap` from several connections at once, round after round, released
together by a barrier so that they contend for the same expired leases.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import psycopg

_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST


def _reset(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
    with contextlib.suppress(OSError):
        sock.close()


class TcpProxy:
    """127.0.0.1:port -> 127.0.0.1:upstream_port, one pair of pump threads per connection."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._refuse_until = 0.0
        self._closed = threading.Event()
        self.accepted = 0
        self.refused = 0
        self.cuts = 0
        self._thread = threading.Thread(target=self._accept_loop, name="chaos-proxy", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if time.monotonic() < self._refuse_until:
                self.refused += 1
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._pairs.append((client, upstream))
                self.accepted += 1
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def cut(self, refuse_for: float = 0.0) -> int:
        """Reset every open connection; refuse new ones for `refuse_for` seconds. Returns how
        many connections were cut."""
        self._refuse_until = time.monotonic() + refuse_for
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, upstream in pairs:
            _reset(client)
            _reset(upstream)
        self.cuts += 1
        return len(pairs)

    def restore(self) -> None:
        """Accept connections again at once."""
        self._refuse_until = 0.0

    def close(self) -> None:
        self._closed.set()
        self.cut()
        with contextlib.suppress(OSError):
            self._listener.close()
        self._thread.join(5)


@dataclass
class ReaperStats:
    passes: int = 0
    reaped: int = 0
    errors: list[str] = field(default_factory=list)


class ReaperLoops:
    """`count` threads, each calling hewer.reap on its own connection every `interval` s."""

    def __init__(
        self, dsn: str, worker_timeout: float, count: int = 2, interval: float = 0.05
    ) -> None:
        self.dsn = dsn
        self.worker_timeout = timedelta(seconds=worker_timeout)
        self.interval = interval
        self.stats = [ReaperStats() for _ in range(count)]
        self._stop = threading.Event()
        self._barrier = threading.Barrier(count)
        self._threads = [
            threading.Thread(target=self._loop, args=(s,), name=f"chaos-reaper-{i}", daemon=True)
            for i, s in enumerate(self.stats)
        ]

    def start(self) -> ReaperLoops:
        for thread in self._threads:
            thread.start()
        return self

    def _loop(self, stats: ReaperStats) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self._stop.is_set():
                try:
                    self._barrier.wait(timeout=5)
                except threading.BrokenBarrierError:
                    if self._stop.is_set():
                        return
                    self._barrier.reset()
                    continue
                try:
                    rows: list[Any] = conn.execute(
                        "SELECT * FROM hewer.reap(now(), %s)", (self.worker_timeout,)
                    ).fetchall()
                except psycopg.Error as exc:
                    stats.errors.append(f"{exc.sqlstate}: {exc}")
                    continue
                stats.passes += 1
                stats.reaped += len(rows)
                time.sleep(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._barrier.abort()
        for thread in self._threads:
            thread.join(10)

    @property
    def reaped(self) -> int:
        return sum(s.reaped for s in self.stats)

    @property
    def errors(self) -> list[str]:
        return [e for s in self.stats for e in s.errors]
