"""The dispatcher's settings: one frozen dataclass, validated when it is made."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

DEFAULT_LISTEN = "127.0.0.1:7077"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class DispatcherSettings:
    """How a dispatcher listens, reaches the database and paces its loops. Times in seconds."""

    #: host:port for the gRPC server; port 0 picks a free one (see Dispatcher.port).
    listen: str = DEFAULT_LISTEN
    #: libpq URL or key=value string; None = pydispatch.db.database_url() at start.
    database_url: str | None = None
    #: fallback poll: claims are re-checked this often without a NOTIFY (a retry whose
    #: backoff ends has no NOTIFY: the dispatcher that applied its failure sets a timer for
    #: it, pydispatch/retries.py; others find it by this poll), cancellations 2.5 times as
    #: seldom (cancel_poll_interval).
    poll_interval: float = 2.0
    #: how often workers are told to heartbeat; the dispatcher heartbeats its live workers
    #: in the database this often.
    heartbeat_interval: float = 1.0
    #: a worker silent this long is dead for the reaper (hewer.reap's worker_timeout).
    worker_timeout: float = 30.0
    #: how often the leader runs hewer.reap.
    reap_interval: float = 2.0
    #: a worker whose stream a dispatcher saw break, and that has not heartbeat since, is
    #: dead for the reaper after this long (hewer.reap's disconnect_grace): a crashed
    #: worker's tasks are retried within disconnect_grace + reap_interval, not worker_timeout.
    disconnect_grace: float = 6.0
    #: how often the leader runs hewer.partition_create (also once when it becomes leader).
    partition_interval: float = 3600.0
    #: connections in the psycopg pool (the LISTEN and leader connections are extra).
    pool_min_size: int = 2
    pool_max_size: int = 10
    #: identifies this dispatcher in logs and in RegisterResponse.dispatcher_id.
    dispatcher_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    #: reports (start, complete, fail, refresh) are applied in batches of up to this many: what
    #: arrived while the previous batch was applied, plus what comes within report_batch_delay
    #: of the first one's arrival (0: nothing is waited for; a batch goes at once).
    report_batch_size: int = 200
    report_batch_delay: float = 0.0
    #: task log lines each worker stream may have stored (hewer.task_log), per second, in
    #: bursts of up to 4 seconds' worth; lines over that are refused (Ack reason log_rate).
    task_log_rate: float = 500.0
    #: output chunks (ctx.stream) each worker stream may have stored, per second, in bursts
    #: of up to 4 seconds' worth; past that the dispatcher reads that worker's stream more
    #: slowly (nothing is refused or lost).
    task_stream_rate: float = 2000.0
    #: on shutdown, how long workers get to end their streams before they are closed.
    shutdown_grace: float = 10.0
    #: a new stream must say hello within this time.
    hello_timeout: float = 10.0
    #: logging level of the JSON log (DEBUG, INFO, WARNING, ERROR).
    log_level: str = "INFO"
    log_format: str = "json"
    #: how often the leader's event router polls the hewer_events queue when no NOTIFY
    #: hewer_events (sent by push_event) wakes it first.
    event_interval: float = 10.0
    #: messages the router reads per batch.
    event_batch_size: int = 100
    #: seconds a message read by a router stays hidden; a router that dies before its ack
    #: leaves it to reappear after this.
    event_visibility_timeout: int = 30
    #: a cron tick later than this (seconds) after downtime counts as missed (catch_up skip).
    cron_grace: float = 60.0
    #: the leader's statements run under these timeouts (seconds): a lock it cannot get, or
    #: a statement that runs long, fails that one step, which is retried on a later pass.
    leader_lock_timeout: float = 2.0
    leader_statement_timeout: float = 60.0
    #: an item of the leader's work (an event, a cron, a schedule, a wait) that fails is
    #: retried after item_backoff * 2^(failures - 1) seconds (at most 10 minutes), and
    #: quarantined at its quarantine_after-th failure (hewer quarantine list|release).
    item_backoff: float = 5.0
    quarantine_after: int = 5
    #: TLS for gRPC: PEM files of the server's certificate (chain) and private key; both or none.
    tls_cert: str | None = None
    tls_key: str | None = None
    #: the maintenance lease lasts this long (seconds); the leader renews it on every pass,
    #: and another dispatcher takes over when it lapses.
    leader_lease: float = 15.0
    #: the leader's payload offloader (docs/payloads.md): a pass this often moves at most
    #: payload_offload_batch large inline payloads of finished tasks, runs and routed events
    #: to the object store (about payload_offload_bytes of them); HEWER_PAYLOAD_OFFLOAD=off
    #: stops it.
    payload_offload_interval: float = 30.0
    payload_offload_batch: int = 50
    payload_offload_bytes: int = 256 << 20
    #: the leader's payload collector runs this often; it deletes objects no row refers to
    #: once they are older than payload_gc_grace (an upload's time to its commit).
    payload_gc_interval: float = 300.0
    payload_gc_grace: float = 3600.0
    #: host:port serving /metrics in the Prometheus text format (pydispatch.telemetry);
    #: None: not served. Port 0 picks a free one.
    metrics_listen: str | None = None

    def _check_tls(self) -> None:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError(
                "dispatcher settings: TLS needs both tls_cert and tls_key (--tls-cert, --tls-key)"
            )

    def _check_metrics(self) -> None:
        if self.metrics_listen is None:
            return
        host, sep, port = self.metrics_listen.rpartition(":")
        if not sep or not host or not port.isdigit() or int(port) > 65535:
            raise ValueError(
                "dispatcher setting metrics_listen must be host:port (e.g. 127.0.0.1:9464), "
                f"got {self.metrics_listen!r}"
            )

    def __post_init__(self) -> None:
        positive = {
            "poll_interval": self.poll_interval,
            "heartbeat_interval": self.heartbeat_interval,
            "worker_timeout": self.worker_timeout,
            "reap_interval": self.reap_interval,
            "disconnect_grace": self.disconnect_grace,
            "partition_interval": self.partition_interval,
            "hello_timeout": self.hello_timeout,
            "event_interval": self.event_interval,
            "cron_grace": self.cron_grace,
            "leader_lock_timeout": self.leader_lock_timeout,
            "leader_statement_timeout": self.leader_statement_timeout,
            "item_backoff": self.item_backoff,
            "leader_lease": self.leader_lease,
            "task_log_rate": self.task_log_rate,
            "task_stream_rate": self.task_stream_rate,
            "payload_offload_interval": self.payload_offload_interval,
            "payload_offload_batch": self.payload_offload_batch,
            "payload_offload_bytes": self.payload_offload_bytes,
            "payload_gc_interval": self.payload_gc_interval,
        }
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"dispatcher setting {name} must be positive, got {value}")
        for name, value in {
            "report_batch_delay": self.report_batch_delay,
            "shutdown_grace": self.shutdown_grace,
            "payload_gc_grace": self.payload_gc_grace,
        }.items():
            if not value >= 0:
                raise ValueError(f"dispatcher setting {name} must not be negative, got {value}")
        self._check_tls()
        self._check_metrics()
        if not 1 <= self.quarantine_after <= 1000:
            raise ValueError(
                f"dispatcher setting quarantine_after must be from 1 to 1000, "
                f"got {self.quarantine_after}"
            )
        if not 1 <= self.pool_min_size <= self.pool_max_size:
            raise ValueError(
                f"dispatcher settings: need 1 <= pool_min_size ({self.pool_min_size}) "
                f"<= pool_max_size ({self.pool_max_size})"
            )
        if not 1 <= self.report_batch_size <= 10000:
            raise ValueError(
                f"dispatcher setting report_batch_size must be from 1 to 10000, "
                f"got {self.report_batch_size}"
            )
        if not 1 <= self.event_batch_size <= 10000:
            raise ValueError(
                f"dispatcher setting event_batch_size must be from 1 to 10000, "
                f"got {self.event_batch_size}"
            )
        if not 1 <= self.event_visibility_timeout <= 86400:
            raise ValueError(
                f"dispatcher setting event_visibility_timeout must be from 1 to 86400 seconds, "
                f"got {self.event_visibility_timeout}"
            )
        if self.log_level.upper() not in LOG_LEVELS:
            raise ValueError(
                f"dispatcher setting log_level must be one of {', '.join(LOG_LEVELS)}, "
                f"got {self.log_level!r}"
            )
        host, sep, port = self.listen.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(
                f"dispatcher setting listen must be host:port (e.g. {DEFAULT_LISTEN}), "
                f"got {self.listen!r}"
            )
        try:
            uuid.UUID(self.dispatcher_id)
        except ValueError:
            raise ValueError(
                f"dispatcher setting dispatcher_id must be a UUID, got {self.dispatcher_id!r}"
            ) from None

    @property
    def db_heartbeat_interval(self) -> float:
        """How often live workers are heartbeated in the database: six times per worker
        timeout is plenty to keep them alive, and keeps an idle engine's queries low."""
        return max(self.heartbeat_interval, self.worker_timeout / 6)

    @property
    def cancel_poll_interval(self) -> float:
        """Fallback poll for cancellations (hewer_cancel NOTIFYs wake it at once)."""
        return 2.5 * self.poll_interval

    @property
    def silence_limit(self) -> float:
        """A connected worker that sent nothing for this long is no longer heartbeated or
        given tasks: three missed heartbeats."""
        return 3 * self.heartbeat_interval
