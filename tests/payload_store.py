"""Payload stores for tests (docs/payloads.md): a local directory, and S3 served by moto's
server as a real subprocess on 127.0.0.1, so obstore talks HTTP to it as to any S3.

Fixtures (import them into a test module):
    moto_server    session  the endpoint URL of a running moto S3 server
    payload_store  test     parametrized "local" | "s3": a store URL with its environment
                            set (HEWER_PAYLOAD_STORE, and AWS_* for s3 with a fresh bucket)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pydispatch.payloads import STORE_ENV

_REGION = "us-east-1"
_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `moto_server` on a free port; its endpoint URL. Stopped at the end."""
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    exe = Path(sys.executable).with_name("moto_server")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "moto.server"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*cmd, "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=subprocess.STDOUT
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"moto_server exited: {log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError as exc:
                if time.monotonic() > deadline:
                    tail = log.read_text()[-2000:]
                    raise RuntimeError(f"moto_server did not listen: {tail}") from exc
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def make_bucket(endpoint: str) -> str:
    """A new empty bucket on the moto server (a plain PUT: moto checks no signature); its
    name."""
    name = f"hewer-{uuid.uuid4().hex[:12]}"
    request = urllib.request.Request(f"{endpoint}/{name}", method="PUT")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our moto
        assert response.status == 200, response.status
    return name


def s3_env(endpoint: str) -> dict[str, str]:
    """The AWS_* variables that point obstore at the moto server."""
    return {**_KEYS, "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": _REGION,
            "AWS_DEFAULT_REGION": _REGION}  # fmt: skip


@pytest.fixture(params=["local", "s3"])
def payload_store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A fresh store URL, local directory or S3 bucket on moto, set as HEWER_PAYLOAD_STORE."""
    if request.param == "local":
        url = (tmp_path / "payloads").as_uri()
    else:
        endpoint: str = request.getfixturevalue("moto_server")
        for key, value in s3_env(endpoint).items():
            monkeypatch.setenv(key, value)
        url = f"s3://{make_bucket(endpoint)}/hewer"
    monkeypatch.setenv(STORE_ENV, url)
    monkeypatch.delenv("HEWER_PAYLOAD_OFFLOAD", raising=False)
    assert os.environ[STORE_ENV] == url
    return url
