"""`hewer dispatcher`: serve workers and clients over gRPC (pydispatch.server)."""

from __future__ import annotations

import click

from pydispatch import db
from pydispatch.cli.common import log_format_option
from pydispatch.server import run_dispatcher
from pydispatch.settings import DispatcherSettings


@click.command(name="dispatcher")
@click.option(
    "--listen",
    default="127.0.0.1:7077",
    show_default=True,
    envvar="HEWER_LISTEN",
    show_envvar=True,
    help="gRPC host:port; clients and workers in the same Hewer home find it there.",
)
@click.option(
    "--poll-interval",
    default=2.0,
    show_default=True,
    help="Fallback claim poll (NOTIFY wakes claims at once), seconds.",
)
@click.option(
    "--heartbeat-interval", default=1.0, show_default=True, help="Worker heartbeats, seconds."
)
@click.option(
    "--worker-timeout",
    default=30.0,
    show_default=True,
    help="Seconds without heartbeat before a worker is dead and its tasks are retried.",
)
@click.option("--reap-interval", default=2.0, show_default=True, help="Reaper pass, seconds.")
@click.option(
    "--disconnect-grace",
    default=6.0,
    show_default=True,
    help="Seconds a worker whose stream broke has to come back before its tasks are retried.",
)
@click.option("--pool-size", default=10, show_default=True, help="Database connections.")
@click.option("--shutdown-grace", default=10.0, show_default=True, help="Seconds on SIGTERM.")
@click.option(
    "--log-level",
    default="INFO",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="The least severe log lines written (JSON lines on stderr).",
)
@log_format_option("json")
@click.option(
    "--event-interval",
    default=10.0,
    show_default=True,
    help="Event router poll, seconds (push_event's NOTIFY wakes it sooner).",
)
@click.option(
    "--event-visibility-timeout",
    default=30,
    show_default=True,
    help="Seconds a routed event stays hidden before it is retried.",
)
@click.option(
    "--tls-cert",
    envvar="HEWER_TLS_CERT",
    metavar="PEM",
    help="Serve gRPC over TLS with this certificate (chain); needs --tls-key. Clients and "
    "workers then set HEWER_TLS_CA to the CA that signed it.",
)
@click.option("--tls-key", envvar="HEWER_TLS_KEY", metavar="PEM", help="The certificate's key.")
@click.option(
    "--metrics-listen",
    envvar="HEWER_METRICS_LISTEN",
    show_envvar=True,
    metavar="HOST:PORT",
    help="Serve Prometheus metrics at http://HOST:PORT/metrics (off by default; OTLP export "
    "is set with OTEL_EXPORTER_OTLP_ENDPOINT). See docs/observability.md.",
)
def dispatcher_cmd(
    listen: str,
    poll_interval: float,
    heartbeat_interval: float,
    worker_timeout: float,
    reap_interval: float,
    disconnect_grace: float,
    pool_size: int,
    shutdown_grace: float,
    log_level: str,
    log_format: str,
    event_interval: float,
    event_visibility_timeout: int,
    tls_cert: str | None,
    tls_key: str | None,
    metrics_listen: str | None,
) -> None:
    """Serve workers and clients over gRPC: claims, reports, reaper, cancellations.

    Run as many as you like on one database; each claims for its own workers, and one of
    them (holding the maintenance lease) runs the reaper, partition upkeep,
    the event router and the cron ticker.
    """
    settings = DispatcherSettings(
        listen=listen,
        database_url=db.database_url(),
        poll_interval=poll_interval,
        heartbeat_interval=heartbeat_interval,
        worker_timeout=worker_timeout,
        reap_interval=reap_interval,
        disconnect_grace=disconnect_grace,
        pool_max_size=max(2, pool_size),
        shutdown_grace=shutdown_grace,
        log_level=log_level.upper(),
        log_format=log_format,
        event_interval=event_interval,
        event_visibility_timeout=event_visibility_timeout,
        tls_cert=tls_cert,
        tls_key=tls_key,
        metrics_listen=metrics_listen or None,
    )
    run_dispatcher(settings)
