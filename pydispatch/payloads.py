"""Large payloads in object storage (docs/payloads.md).

A run input, task output or event payload over the offload threshold (256 KiB by default,
`hewer.offload_threshold_bytes`) is put in an object store and its column holds a
reference instead:

    {"$hewer_ref": {"v": 1, "key": "<tenant id>/<kind>/YYYY/MM/DD/<id>.json",
                    "size": N, "sha256": "<hex>"}}

The object is the payload's JSON text, as UTF-8. Hewer's servers write references (the
dispatcher for outputs and for the inputs and events that arrive over gRPC, the HTTP API
for its own) and resolve them for whoever reads through them, so workers, clients and the
dashboard see the payload itself. A reference is resolved only through
hewer.payload_lookup, for the tenant that reads: a key no row of that tenant holds is not
found, whatever the reference says. What is read is checked against the size and SHA-256
recorded when the reference was stored.

Which store: HEWER_PAYLOAD_STORE, a URL (`file:///dir`, `s3://bucket/prefix`,
`gs://bucket/prefix`, `az://account/container/prefix`), credentials from the store's own
environment variables (AWS_*, GOOGLE_*, AZURE_*); default, the directory `payloads/` of the
Hewer home. Every process that writes or reads payloads must use the same store.
HEWER_PAYLOAD_OFFLOAD=off keeps new payloads inline (up to hewer.max_payload_bytes);
references already stored are still resolved.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlparse

import obstore
import obstore.store as stores
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from pyworker.home import hewer_home
from pyworker.sqlfile import load

QUERIES: Final = load(Path(__file__).with_name("payloads.sql"))

REF: Final = "$hewer_ref"
# A JSON text that does not hold this holds no reference (a quick test before parsing).
MARKER: Final = '"$hewer_ref"'
STORE_ENV: Final = "HEWER_PAYLOAD_STORE"
OFFLOAD_ENV: Final = "HEWER_PAYLOAD_OFFLOAD"
KINDS: Final = ("input", "output", "event")
# Hashing a payload this large leaves the event loop (to a thread).
_THREAD_BYTES: Final = 1 << 20
# How long a tenant's limits are cached.
_LIMITS_TTL: Final = 30.0
# A payload this short is never offloaded (the lowest threshold there is is 64 KiB, and a
# character is at most 4 bytes): no limits to read, no encoding.
_SHORT: Final = 16384


class PayloadError(Exception):
    """A reference that cannot be resolved: unknown to the tenant, missing, or corrupt."""


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference's fields."""

    key: str
    size: int
    sha256: str

    def value(self) -> dict[str, Any]:
        """The reference as stored in a payload column."""
        return {REF: {"v": 1, "key": self.key, "size": self.size, "sha256": self.sha256}}

    def text(self) -> str:
        return json.dumps(self.value(), separators=(",", ":"))


def as_ref(value: Any) -> Ref | None:
    """`value` as a reference, when it is one (a dict whose only key is `$hewer_ref`)."""
    if not isinstance(value, dict) or REF not in value or len(value) != 1:
        return None
    inner = value[REF]
    if not isinstance(inner, dict):
        return None
    key, size, sha = inner.get("key"), inner.get("size"), inner.get("sha256")
    if not isinstance(key, str) or not isinstance(size, int) or not isinstance(sha, str):
        return None
    return Ref(key, size, sha)


def _walk(value: Any) -> Iterator[Ref]:
    ref = as_ref(value)
    if ref is not None:
        yield ref
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def default_store_url() -> str:
    """The store when HEWER_PAYLOAD_STORE is unset: `payloads/` in the Hewer home."""
    return (hewer_home() / "payloads").as_uri()


def open_store(url: str) -> Any:
    """An obstore store for `url` (see the module docstring)."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = Path(parsed.path)
        path.mkdir(parents=True, exist_ok=True)
        return stores.LocalStore(str(path), mkdir=True)
    if parsed.scheme in ("s3", "s3a"):
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            # An S3-protocol server of one's own (MinIO, moto, ...), maybe without TLS.
            return stores.S3Store.from_url(
                url,
                config={"endpoint": endpoint},
                client_options={"allow_http": endpoint.startswith("http://")},
            )
        return stores.S3Store.from_url(url)
    return stores.from_url(url)


def new_key(tenant: uuid.UUID, kind: str, now: datetime | None = None) -> str:
    """A fresh object key under the tenant's prefix. Never reused: an upload whose
    transaction rolled back leaves an object no row will ever hold (the collector's)."""
    if kind not in KINDS:
        raise ValueError(f"payload kind {kind!r}: expected one of {', '.join(KINDS)}")
    day = (now or datetime.now(UTC)).strftime("%Y/%m/%d")
    return f"{tenant}/{kind}/{day}/{uuid.uuid4().hex}.json"


async def _sha256(data: bytes) -> str:
    if len(data) >= _THREAD_BYTES:
        return await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
    return hashlib.sha256(data).hexdigest()


class Payloads:
    """Offloads and resolves payloads for a server (dispatcher, HTTP API, offloader)."""

    def __init__(self, store_url: str | None = None, *, offload: bool | None = None) -> None:
        self.url = store_url or os.environ.get(STORE_ENV) or default_store_url()
        if offload is None:
            offload = os.environ.get(OFFLOAD_ENV, "on").strip().lower() not in ("off", "0", "false")
        self.offload_enabled = offload
        self._store: Any = None
        self._limits: dict[uuid.UUID, tuple[float, int, int]] = {}
        self.uploaded = 0  # objects put (for tests and metrics)
        self.fetched = 0  # objects read

    @property
    def store(self) -> Any:
        if self._store is None:
            self._store = open_store(self.url)
        return self._store

    # --- limits ---------------------------------------------------------------------------

    async def limits(self, conn: AsyncConnection[DictRow], tenant: uuid.UUID) -> tuple[int, int]:
        """(threshold, max_offload) for the tenant, cached for a while."""
        cached = self._limits.get(tenant)
        now = time.monotonic()
        if cached is not None and now - cached[0] < _LIMITS_TTL:
            return cached[1], cached[2]
        cur = await conn.execute(QUERIES["payload_limits"], {"tenant": tenant})
        row = await cur.fetchone()
        if row is None:  # hewer.payload_limits returns one row
            raise PayloadError("hewer.payload_limits returned no row")
        threshold, max_offload = int(row["threshold"]), int(row["max_offload"])
        self._limits[tenant] = (now, threshold, max_offload)
        return threshold, max_offload

    # --- writing ----------------------------------------------------------------------------

    async def put(self, tenant: uuid.UUID, kind: str, data: bytes) -> Ref:
        """Store `data` as a new object of the tenant; its reference."""
        key = new_key(tenant, kind)
        sha = await _sha256(data)
        await obstore.put_async(self.store, key, data)
        self.uploaded += 1
        return Ref(key, len(data), sha)

    def may_offload(self, text: str | None) -> bool:
        """Whether offload() might store `text` (a cheap test: offload is on and the text
        is not short); False means offload() returns it as it is."""
        return self.offload_enabled and text is not None and len(text) > _SHORT

    async def offload(
        self, conn: AsyncConnection[DictRow], tenant: uuid.UUID, kind: str, text: str
    ) -> str:
        """The JSON text to store for a payload: a reference to a new object when the text is
        over the tenant's threshold (and within its offload limit), else the text itself. A
        payload over the offload limit is left inline, for the database's own limit to refuse
        with HW010 / payload_too_large."""
        if not self.may_offload(text):
            return text
        data = text.encode()
        threshold, max_offload = await self.limits(conn, tenant)
        if len(data) <= threshold or len(data) > max_offload:
            return text
        return (await self.put(tenant, kind, data)).text()

    async def offload_many(
        self, conn: AsyncConnection[DictRow], tenant: uuid.UUID, kind: str, texts: Sequence[str]
    ) -> list[str]:
        """offload() for each text, the uploads side by side."""
        if not any(self.may_offload(t) for t in texts):
            return list(texts)
        threshold, max_offload = await self.limits(conn, tenant)

        async def one(text: str) -> str:
            data = text.encode()
            if len(data) <= threshold or len(data) > max_offload:
                return text
            return (await self.put(tenant, kind, data)).text()

        return list(await asyncio.gather(*(one(t) for t in texts)))

    # --- reading ----------------------------------------------------------------------------

    async def fetch(self, ref: Ref) -> bytes:
        """The object's bytes, checked against the reference's size and SHA-256."""
        try:
            result = await obstore.get_async(self.store, ref.key)
            data = bytes(await result.bytes_async())
        except FileNotFoundError as exc:
            raise PayloadError(
                f"payload object {ref.key} is missing from the store {self.url}: check "
                f"{STORE_ENV} (every process must use the same store)"
            ) from exc
        self.fetched += 1
        if len(data) != ref.size or await _sha256(data) != ref.sha256:
            raise PayloadError(
                f"payload object {ref.key} is corrupt: {len(data)} bytes read, {ref.size} "
                "stored, or a different SHA-256; restore it from a backup of the store"
            )
        return data

    async def _checked(
        self, conn: AsyncConnection[DictRow], tenant: uuid.UUID, refs: Sequence[Ref]
    ) -> dict[str, bytes]:
        """The bytes of each referenced object, keyed by key, after checking that the tenant
        holds it, with the size and checksum recorded for the tenant (not the reference's)."""
        keys = sorted({r.key for r in refs})
        cur = await conn.execute(QUERIES["payload_lookup"], {"tenant": tenant, "keys": keys})
        rows = await cur.fetchall()
        known = {row["key"]: Ref(row["key"], int(row["size"]), row["sha256"]) for row in rows}
        missing = [k for k in keys if k not in known]
        if missing:
            raise PayloadError(
                f"payload reference {missing[0]} is not an object of tenant {tenant}: no row of "
                "the tenant holds it"
            )
        datas = await asyncio.gather(*(self.fetch(known[k]) for k in keys))
        return dict(zip(keys, datas, strict=True))

    async def resolve_text(
        self, conn: AsyncConnection[DictRow], tenant: uuid.UUID, text: str
    ) -> str:
        """`text` (JSON) with every reference in it replaced by its payload."""
        if MARKER not in text:
            return text
        value = json.loads(text)
        refs = list(_walk(value))
        if not refs:
            return text
        datas = await self._checked(conn, tenant, refs)
        top = as_ref(value)
        if top is not None:
            return datas[top.key].decode()
        return json.dumps(_replace(value, {k: json.loads(d) for k, d in datas.items()}))

    async def resolve_value(
        self, conn: AsyncConnection[DictRow], tenant: uuid.UUID, value: Any
    ) -> Any:
        """`value` (decoded JSON) with every reference in it replaced by its payload."""
        refs = list(_walk(value))
        if not refs:
            return value
        datas = await self._checked(conn, tenant, refs)
        return _replace(value, {k: json.loads(d) for k, d in datas.items()})


def _replace(value: Any, payloads: Mapping[str, Any]) -> Any:
    ref = as_ref(value)
    if ref is not None:
        return payloads[ref.key]
    if isinstance(value, dict):
        return {k: _replace(v, payloads) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, payloads) for v in value]
    return value
