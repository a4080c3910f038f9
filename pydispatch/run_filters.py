"""Run filters and run summaries for the Runs service's List, CancelMatching and Replay calls:
the request fields as query parameters (hewer.run_list, run_cancel_matching, run_replay), and
rows as messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydispatch.validate import BadRequestError, check_json, parse_uuid, unix_ms
from pyworker.proto import hewer_pb2 as pb


def _when(unix_ms_value: int) -> datetime | None:
    return datetime.fromtimestamp(unix_ms_value / 1000, UTC) if unix_ms_value else None


def filter_params(run_filter: pb.RunFilter) -> dict[str, Any]:
    """The filter as the parameters of the run_list and run_cancel_matching queries."""
    input_json = None
    if run_filter.input_json:
        input_json = check_json(
            run_filter.input_json,
            "filter.input_json",
            'send the fields the inputs must contain as a JSON object, e.g. {"customer": 42}',
        )
    metadata_json = None
    if run_filter.metadata_json:
        metadata_json = check_json(
            run_filter.metadata_json,
            "filter.metadata_json",
            'send the tags the runs must carry as a JSON object, e.g. {"customer": "acme"}',
        )
    return {
        "workflow": run_filter.workflow or None,
        "statuses": list(run_filter.statuses) or None,
        "since": _when(run_filter.since_unix_ms),
        "until": _when(run_filter.until_unix_ms),
        "input": input_json,
        "metadata": metadata_json,
    }


def list_params(request: pb.ListRunsRequest) -> dict[str, Any]:
    """The parameters of the run_list query for a List request."""
    return filter_params(request.filter) | {
        "replay_of": parse_uuid(request.replay_of, "replay_of") if request.replay_of else None,
        "limit": request.limit or 100,
        "before": parse_uuid(request.before, "before") if request.before else None,
    }


def replay_params(request: pb.ReplayRequest) -> dict[str, Any]:
    """The parameters of the run_replay query for a Replay request."""
    start_from = request.start_from or "failed"
    if start_from not in ("failed", "start"):
        raise BadRequestError(
            f"start_from must be 'failed' or 'start', got {start_from!r}: 'failed' keeps the "
            "outputs of the steps that succeeded, 'start' runs every step again"
        )
    return {"run_id": parse_uuid(request.run_id, "run_id"), "start_from": start_from}


def summary_message(row: Mapping[str, Any]) -> pb.RunSummary:
    """One row of the run_list query as a RunSummary."""
    return pb.RunSummary(
        run_id=str(row["run_id"]),
        workflow=row["workflow"],
        version=row["version"],
        status=row["status"],
        priority=row["priority"],
        input_json=row["input_json"] or "",
        error_json=row["error_json"] or "",
        replay_of=str(row["replay_of"]) if row["replay_of"] else "",
        tasks_json=row["tasks_json"] or "{}",
        created_at_unix_ms=unix_ms(row["created_at"]),
        started_at_unix_ms=unix_ms(row["started_at"]),
        finished_at_unix_ms=unix_ms(row["finished_at"]),
        metadata_json=row["metadata_json"] or "{}",
    )
