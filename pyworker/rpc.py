"""Typed access to the generated gRPC stubs, and the channel options workers and clients share."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import grpc
import grpc.aio

from pyworker import home
from pyworker.proto import hewer_pb2 as pb
from pyworker.proto import hewer_pb2_grpc

DEFAULT_DISPATCHER = "127.0.0.1:7077"
DISPATCHERS_ENV = "HEWER_DISPATCHERS"
TOKEN_ENV = "HEWER_TOKEN"  # noqa: S105 - the name of a variable, not a token

# Call metadata: what every RPC carries (the API token, when there is one).
Metadata = tuple[tuple[str, str], ...]

# Outputs and inputs travel inline in messages (the dispatcher puts large ones in object
# storage, docs/payloads.md): room for a payload at the offload limit (hewer.max_offload_bytes,
# 64 MiB by default) and the rest of its message. The dispatcher accepts and sends as much.
MAX_MESSAGE_BYTES = 80 * 1024 * 1024
# The largest JSON payload (a task's output) a message may carry, leaving room for the rest.
MAX_PAYLOAD_BYTES = MAX_MESSAGE_BYTES - 64 * 1024

CHANNEL_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    # Reconnect quickly after a dispatcher restart; the worker adds its own backoff on top.
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 5000),
    # Each channel keeps its own connections: otherwise a new channel to an address that was
    # down a moment ago inherits the process-wide connection backoff and fails at once.
    ("grpc.use_local_subchannel_pool", 1),
]

# Statuses after which calling again (elsewhere, later) cannot succeed.
FATAL_CODES = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.OUT_OF_RANGE,
    }
)


class DispatcherStub(Protocol):
    """The Dispatcher service, as the generated stub provides it."""

    Register: grpc.aio.UnaryUnaryMultiCallable[pb.RegisterRequest, pb.RegisterResponse]
    Listen: grpc.aio.StreamStreamMultiCallable[pb.WorkerMessage, pb.DispatcherMessage]
    RegisterWorkflow: grpc.aio.UnaryUnaryMultiCallable[
        pb.RegisterWorkflowRequest, pb.RegisterWorkflowResponse
    ]


class RunsStub(Protocol):
    """The Runs service, as the generated stub provides it."""

    Trigger: grpc.aio.UnaryUnaryMultiCallable[pb.TriggerRequest, pb.TriggerResponse]
    Get: grpc.aio.UnaryUnaryMultiCallable[pb.GetRunRequest, pb.Run]
    Wait: grpc.aio.UnaryUnaryMultiCallable[pb.WaitRequest, pb.Run]
    Watch: grpc.aio.UnaryStreamMultiCallable[pb.WatchRequest, pb.RunEvent]
    Cancel: grpc.aio.UnaryUnaryMultiCallable[pb.CancelRequest, pb.CancelResponse]
    Spawn: grpc.aio.UnaryUnaryMultiCallable[pb.SpawnRequest, pb.SpawnResponse]
    List: grpc.aio.UnaryUnaryMultiCallable[pb.ListRunsRequest, pb.ListRunsResponse]
    CancelMatching: grpc.aio.UnaryUnaryMultiCallable[
        pb.CancelMatchingRequest, pb.CancelMatchingResponse
    ]
    Replay: grpc.aio.UnaryUnaryMultiCallable[pb.ReplayRequest, pb.ReplayResponse]
    Output: grpc.aio.UnaryStreamMultiCallable[pb.OutputRequest, pb.OutputChunk]


#: A PEM file of the certificate authority that signed the dispatchers' TLS certificates.
TLS_CA_ENV = "HEWER_TLS_CA"


def tls_credentials(tls_ca: str | None = None) -> grpc.ChannelCredentials | None:
    """TLS credentials trusting the CA in the PEM file `tls_ca` (default $HEWER_TLS_CA); None
    (plaintext) when neither is set. A file that cannot be read raises ValueError naming it."""
    path = tls_ca if tls_ca is not None else os.environ.get(TLS_CA_ENV, "")
    if not path:
        return None
    try:
        pem = Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(
            f"cannot read the TLS CA certificate {path}: {exc.strerror} "
            f"(set {TLS_CA_ENV} or tls_ca= to the dispatchers' CA, a PEM file)"
        ) from None
    return grpc.ssl_channel_credentials(root_certificates=pem)


def open_channel(
    address: str, credentials: grpc.ChannelCredentials | None = None
) -> grpc.aio.Channel:
    """A channel to a dispatcher at "host:port": TLS with `credentials`, else plaintext."""
    if credentials is not None:
        return grpc.aio.secure_channel(address, credentials, options=CHANNEL_OPTIONS)
    return grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)


def dispatcher_stub(channel: grpc.aio.Channel) -> DispatcherStub:
    """The Dispatcher stub on a channel."""
    # The generated module is untyped; the Protocol above states what it provides.
    return cast(DispatcherStub, cast(Any, hewer_pb2_grpc).DispatcherStub(channel))


def runs_stub(channel: grpc.aio.Channel) -> RunsStub:
    """The Runs stub on a channel."""
    return cast(RunsStub, cast(Any, hewer_pb2_grpc).RunsStub(channel))


def status_name(exc: grpc.aio.AioRpcError) -> str:
    """ "UNAVAILABLE", "INVALID_ARGUMENT", ...: the status of a failed call."""
    code = exc.code()
    return code.name if code is not None else "UNKNOWN"


def default_dispatchers() -> list[str]:
    """$HEWER_DISPATCHERS (comma-separated host:port) when set; else the dispatcher serving
    this process's Hewer home (`hewer dispatcher` records its address there, see
    pyworker/home.py); else 127.0.0.1:7077."""
    env = os.environ.get(DISPATCHERS_ENV, "")
    found = [a.strip() for a in env.split(",") if a.strip()]
    if found:
        return found
    served = home.home_dispatcher()
    return [served] if served else [DEFAULT_DISPATCHER]


def default_token(token: str | None = None) -> str | None:
    """`token` when given, else $HEWER_TOKEN; None (no token) when neither is set."""
    if token is None:
        token = os.environ.get(TOKEN_ENV, "")
    return token.strip() or None


def call_metadata(token: str | None) -> Metadata:
    """The metadata of every call: `authorization: Bearer <token>` (nothing without a token)."""
    return (("authorization", f"Bearer {token}"),) if token else ()


# A batch on a Listen stream (WorkerBatch, DispatcherBatch) holds what is queued at once, up
# to this many messages and about this many bytes (docs/protocol.md#batches).
BATCH_MESSAGES = 500
BATCH_BYTES = 1 << 20

M = TypeVar("M", pb.WorkerMessage, pb.DispatcherMessage)


def take_batch(first: M, queue: asyncio.Queue[M | None], carried: list[M | None]) -> list[M]:
    """`first` and what else is queued now, within the batch limits (`first` may be larger:
    it goes alone). What was taken but did not fit (a message over the byte budget, or the
    end marker) is put in `carried`, to go next."""
    messages = [first]
    size = first.ByteSize()
    while len(messages) < BATCH_MESSAGES and not queue.empty():
        message = queue.get_nowait()
        n = 0 if message is None else message.ByteSize()
        if message is None or size + n > BATCH_BYTES:
            carried.append(message)
            break
        messages.append(message)
        size += n
    return messages
