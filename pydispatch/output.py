"""Following a run's streamed output (hewer.run_output) without missing or repeating a chunk.

Chunk ids are UUIDv7 made when a chunk is written, so a transaction that commits late can add a
chunk whose id sorts before one already read. A follower re-reads a window behind the newest
id it has seen and skips the ids it has already sent; ids older than the window are forgotten.
Shared by the gRPC Output call and the HTTP API's output stream.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

#: How far behind the newest chunk a follower re-reads (milliseconds of UUIDv7 time).
REREAD_MS: Final = 10_000


def uuid_ms(value: uuid.UUID) -> int:
    """The millisecond timestamp of a UUIDv7."""
    return value.int >> 80


def uuid_floor(ms: int) -> uuid.UUID:
    """The smallest UUIDv7 of a millisecond."""
    return uuid.UUID(int=max(ms, 0) << 80)


class OutputFollower:
    """The cursor and the ids already sent of one follower."""

    def __init__(self, after: uuid.UUID | None = None) -> None:
        # A client resuming after a chunk id has every chunk up to it.
        self._floor = after
        self._newest_ms = uuid_ms(after) if after is not None else None
        self._seen: dict[uuid.UUID, int] = {}

    def cursor(self) -> uuid.UUID | None:
        """Where the next read starts (exclusive): a window behind the newest chunk seen."""
        if self._newest_ms is None:
            return None
        return uuid_floor(self._newest_ms - REREAD_MS)

    def new(self, rows: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        """The rows not sent yet, in order; marks them sent."""
        for row in rows:
            chunk_id: uuid.UUID = row["chunk_id"]
            if chunk_id in self._seen or (self._floor is not None and chunk_id <= self._floor):
                continue
            ms = uuid_ms(chunk_id)
            self._seen[chunk_id] = ms
            self._newest_ms = max(self._newest_ms or 0, ms)
            yield row
        self._forget()

    def _forget(self) -> None:
        if self._newest_ms is None or len(self._seen) < 4096:
            return
        horizon = self._newest_ms - REREAD_MS - 1
        self._seen = {k: ms for k, ms in self._seen.items() if ms >= horizon}
