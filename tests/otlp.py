"""An OTLP/HTTP receiver for tests: keeps each export POSTed to /v1/metrics and /v1/traces, as
a collector would receive them (protobuf, maybe gzipped)."""

from __future__ import annotations

import gzip
import http.server
import threading
from collections.abc import Iterator
from typing import Any

from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2


class Receiver(http.server.ThreadingHTTPServer):
    """Serves in a thread from construction until `close()`."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.metrics: list[metrics_service_pb2.ExportMetricsServiceRequest] = []
        self.traces: list[trace_service_pb2.ExportTraceServiceRequest] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()

    def latest(self) -> dict[str, float]:
        """The last exported value of each sum (counter), summed over its data points."""
        values: dict[str, float] = {}
        with self.lock:
            exports = list(self.metrics)
        for export in exports:
            for resource in export.resource_metrics:
                for scope in resource.scope_metrics:
                    for metric in scope.metrics:
                        if metric.HasField("sum"):
                            values[metric.name] = sum(
                                p.as_int or p.as_double for p in metric.sum.data_points
                            )
        return values

    def spans(self) -> Iterator[tuple[str, trace_pb2.Span]]:
        """(service.name, span) of every span received so far."""
        with self.lock:
            exports = list(self.traces)
        for export in exports:
            for resource in export.resource_spans:
                service = next(
                    (
                        a.value.string_value
                        for a in resource.resource.attributes
                        if a.key == "service.name"
                    ),
                    "",
                )
                for scope in resource.scope_spans:
                    for span in scope.spans:
                        yield service, span


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path == "/v1/metrics":
            metrics = metrics_service_pb2.ExportMetricsServiceRequest()
            metrics.ParseFromString(body)
            with self.server.lock:
                self.server.metrics.append(metrics)
            reply = metrics_service_pb2.ExportMetricsServiceResponse().SerializeToString()
        elif self.path == "/v1/traces":
            traces = trace_service_pb2.ExportTraceServiceRequest()
            traces.ParseFromString(body)
            with self.server.lock:
                self.server.traces.append(traces)
            reply = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        pass
