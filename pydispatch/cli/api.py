"""`hewer api`: the HTTP API (pydispatch.api), served by uvicorn."""

from __future__ import annotations

import click
import uvicorn

from pydispatch.api import create_app
from pydispatch.cli.common import log_format_option
from pyworker.logs import setup_logging


@click.command(name="api")
@click.option(
    "--listen",
    default="127.0.0.1:8080",
    envvar="HEWER_API_LISTEN",
    show_envvar=True,
    help="host:port to serve HTTP on.",
)
@click.option("--pool-size", type=click.IntRange(1, 1000), default=10, help="Database connections.")
@click.option(
    "--log-level",
    default="INFO",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="The least severe log lines written.",
)
@click.option(
    "--admin-token",
    envvar="HEWER_API_ADMIN_TOKEN",
    show_envvar=True,
    help="A secret (32+ characters) that manages tenants and their tokens over HTTP; set it "
    "in the environment rather than on the command line. Without it, only the CLI does.",
)
@log_format_option("json")
def api_cmd(
    listen: str, pool_size: int, log_level: str, log_format: str, admin_token: str | None
) -> None:
    """Serve the HTTP API: runs, workflows and events as JSON, with the API tokens of gRPC
    (Authorization: Bearer). The contract is at /openapi.json, interactive docs at /docs."""
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise click.BadParameter(f"must be host:port (e.g. 127.0.0.1:8080), got {listen!r}")
    setup_logging(log_level.upper(), log_format=log_format)
    try:
        app = create_app(pool_size=pool_size, admin_token=admin_token or None)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="HEWER_API_ADMIN_TOKEN") from None
    config = uvicorn.Config(
        app,
        host=host,
        port=int(port),
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    uvicorn.Server(config).run()
