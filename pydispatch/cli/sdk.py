"""`hewer worker`, `hewer run` and `hewer ping`: the SDK's commands, which talk to dispatchers
over gRPC and need no database driver (`pip install hewer` without the server extra runs them)."""

from __future__ import annotations

import json
import time

import click
import grpc

from pydispatch.cli.common import (
    DISPATCHERS_OPTION,
    json_object,
    log_format_option,
    metadata_option,
    split,
    token_option,
)
from pyworker import rpc
from pyworker.client import SyncClient
from pyworker.errors import HewerError, RpcError
from pyworker.runner import run_worker


@click.command(name="worker")
@click.argument("target")
@DISPATCHERS_OPTION
@click.option("--name", help="Worker name (default: host and pid).")
@click.option("--slots", type=click.IntRange(1, 10000), help="Tasks run at once (default: 10).")
@click.option(
    "--label",
    "labels",
    multiple=True,
    metavar="NAME=VALUE",
    callback=lambda _ctx, _param, value: _labels(value),
    help="A label of the worker, for steps' worker_labels and preferred_labels "
    "(docs/affinity.md); repeat for several, e.g. --label gpu=a100 --label region=eu.",
)
@click.option(
    "--shutdown-grace",
    type=float,
    help="Seconds to finish running tasks on SIGTERM (default: 20).",
)
@click.option(
    "--log-level",
    default="INFO",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="The least severe log lines written.",
)
@log_format_option("text")
@token_option
def worker_cmd(
    target: str,
    dispatchers: tuple[str, ...],
    name: str | None,
    slots: int | None,
    labels: dict[str, str],
    shutdown_grace: float | None,
    log_level: str,
    log_format: str,
    token: str | None,
) -> None:
    """Run the workflows of TARGET ("module:attr": a Worker, Workflow, task or list of them)."""
    run_worker(
        target,
        split(dispatchers),
        name=name,
        slots=slots,
        labels=labels or None,
        shutdown_grace=shutdown_grace,
        token=token,
        log_level=log_level.upper(),
        log_format=log_format,
    )


def _labels(values: tuple[str, ...]) -> dict[str, str]:
    """--label NAME=VALUE options as a dict (a name given twice: the last value)."""
    labels: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value:
            raise click.BadParameter(
                f"{item!r} is not NAME=VALUE; write e.g. --label gpu=a100", param_hint="--label"
            )
        labels[name.strip()] = value
    return labels


@click.command(name="run")
@click.argument("workflow")
@click.option("--input", "input_json", default="{}", show_default=True, help="Run input (JSON).")
@click.option(
    "--priority",
    type=click.IntRange(-1000, 1000),
    help="Higher runs first, -1000 to 1000 (default: each step's own priority).",
)
@click.option("--key", "idempotency_key", help="Idempotency key: the same key, the same run.")
@click.option("--metadata", "metadata_json", help='Key/value tags (JSON), e.g. \'{"k": "v"}\'.')
@click.option("--wait", is_flag=True, help="Wait for the result and print it.")
@click.option("--timeout", type=float, help="With --wait: give up after this many seconds.")
@DISPATCHERS_OPTION
@token_option
def run_cmd(
    workflow: str,
    input_json: str,
    priority: int | None,
    idempotency_key: str | None,
    metadata_json: str | None,
    wait: bool,
    timeout: float | None,
    dispatchers: tuple[str, ...],
    token: str | None,
) -> None:
    """Trigger a run of WORKFLOW through a dispatcher; print its id (or, with --wait, output)."""
    payload = json_object(input_json, "--input", example='\'{"text": "hi"}\'') or {}
    metadata = metadata_option(metadata_json)
    with SyncClient(split(dispatchers) or None, token=token or "") as client:
        try:
            run_id = client.trigger(
                workflow,
                payload,
                priority=priority,
                idempotency_key=idempotency_key,
                metadata=metadata,
            )
        except RpcError as exc:
            if exc.code == "NOT_FOUND" and "[HW003]" in exc.details:
                # The dispatcher's hint names the SQL function; a CLI user starts a worker.
                raise HewerError(
                    f"workflow {workflow!r} does not exist: start a worker that defines it "
                    "(hewer worker MODULE:ATTR) and run this again; names are case-sensitive"
                ) from None
            raise
        click.echo(run_id, err=wait)
        if wait:
            _wait_saying_why(client, run_id, timeout)
            click.echo(json.dumps(client.result(run_id, timeout=1), indent=2))


def _wait_saying_why(client: SyncClient, run_id: str, timeout: float | None) -> None:
    """Wait until the run finishes (or the timeout, raising TimeoutError); say on stderr,
    once, when it waits on an action no live worker serves."""
    deadline = None if timeout is None else time.monotonic() + timeout
    said: set[tuple[str, str]] = set()
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise TimeoutError(f"run {run_id} is still going after {timeout}s")
        info = client.wait(run_id, timeout=_SAY_EVERY if left is None else min(_SAY_EVERY, left))
        if info.done:
            return
        for step, action in info.unserved:
            if (step, action) not in said:
                said.add((step, action))
                click.echo(
                    f"waiting: step {step!r} needs action {action!r}, which no live worker "
                    "serves; start a worker that registers it (hewer worker MODULE:ATTR)",
                    err=True,
                )


# How often `hewer run --wait` looks at what the run waits for (seconds).
_SAY_EVERY = 2.0


@click.command(name="ping")
@DISPATCHERS_OPTION
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Keep trying this many seconds (for scripts that just started a dispatcher).",
)
def ping_cmd(dispatchers: tuple[str, ...], wait_seconds: float) -> None:
    """Check that a dispatcher is listening: the first of --dispatcher that answers (default
    $HEWER_DISPATCHERS, else the one serving this Hewer home, else 127.0.0.1:7077)."""
    credentials = rpc.tls_credentials()
    deadline = time.monotonic() + wait_seconds
    while True:
        # Looked up on every try: a dispatcher that starts records itself in the home.
        addresses = split(dispatchers) or rpc.default_dispatchers()
        for address in addresses:
            channel = (
                grpc.secure_channel(address, credentials)
                if credentials is not None
                else grpc.insecure_channel(address)
            )
            try:
                grpc.channel_ready_future(channel).result(timeout=1.0)
            except grpc.FutureTimeoutError:
                continue
            finally:
                channel.close()
            click.echo(f"dispatcher {address} is listening")
            return
        if time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    waited = f" after {wait_seconds:g} s" if wait_seconds else ""
    raise HewerError(
        f"no dispatcher is listening at {', '.join(addresses)}{waited}: start one with "
        "`hewer dispatcher` (or `hewer dev --keep`), or point --dispatcher / HEWER_DISPATCHERS "
        "at a running one"
    )
