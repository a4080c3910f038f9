from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RegisterRequest(_message.Message):
    __slots__ = ("name", "actions", "slots", "labels", "sdk_version", "worker_id")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    SDK_VERSION_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    actions: _containers.RepeatedScalarFieldContainer[str]
    slots: int
    labels: _containers.ScalarMap[str, str]
    sdk_version: str
    worker_id: str
    def __init__(self, name: _Optional[str] = ..., actions: _Optional[_Iterable[str]] = ..., slots: _Optional[int] = ..., labels: _Optional[_Mapping[str, str]] = ..., sdk_version: _Optional[str] = ..., worker_id: _Optional[str] = ...) -> None: ...

class RegisterResponse(_message.Message):
    __slots__ = ("worker_id", "heartbeat_interval_ms", "dispatcher_id", "batches")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    DISPATCHER_ID_FIELD_NUMBER: _ClassVar[int]
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    heartbeat_interval_ms: int
    dispatcher_id: str
    batches: bool
    def __init__(self, worker_id: _Optional[str] = ..., heartbeat_interval_ms: _Optional[int] = ..., dispatcher_id: _Optional[str] = ..., batches: _Optional[bool] = ...) -> None: ...

class WorkerMessage(_message.Message):
    __slots__ = ("request_id", "hello", "heartbeat", "started", "completed", "failed", "refresh", "log", "stream", "batch")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HELLO_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    REFRESH_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    hello: Hello
    heartbeat: Heartbeat
    started: TaskStarted
    completed: TaskCompleted
    failed: TaskFailed
    refresh: TaskRefresh
    log: LogLine
    stream: TaskStream
    batch: WorkerBatch
    def __init__(self, request_id: _Optional[int] = ..., hello: _Optional[_Union[Hello, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., started: _Optional[_Union[TaskStarted, _Mapping]] = ..., completed: _Optional[_Union[TaskCompleted, _Mapping]] = ..., failed: _Optional[_Union[TaskFailed, _Mapping]] = ..., refresh: _Optional[_Union[TaskRefresh, _Mapping]] = ..., log: _Optional[_Union[LogLine, _Mapping]] = ..., stream: _Optional[_Union[TaskStream, _Mapping]] = ..., batch: _Optional[_Union[WorkerBatch, _Mapping]] = ...) -> None: ...

class WorkerBatch(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[WorkerMessage]
    def __init__(self, messages: _Optional[_Iterable[_Union[WorkerMessage, _Mapping]]] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("worker_id", "reconcile", "held", "batches")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    RECONCILE_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    reconcile: bool
    held: _containers.RepeatedCompositeFieldContainer[HeldTask]
    batches: bool
    def __init__(self, worker_id: _Optional[str] = ..., reconcile: _Optional[bool] = ..., held: _Optional[_Iterable[_Union[HeldTask, _Mapping]]] = ..., batches: _Optional[bool] = ...) -> None: ...

class HeldTask(_message.Message):
    __slots__ = ("task_id", "attempt")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    attempt: int
    def __init__(self, task_id: _Optional[str] = ..., attempt: _Optional[int] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("free_slots",)
    FREE_SLOTS_FIELD_NUMBER: _ClassVar[int]
    free_slots: int
    def __init__(self, free_slots: _Optional[int] = ...) -> None: ...

class TaskStarted(_message.Message):
    __slots__ = ("task_id", "attempt")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    attempt: int
    def __init__(self, task_id: _Optional[str] = ..., attempt: _Optional[int] = ...) -> None: ...

class TaskCompleted(_message.Message):
    __slots__ = ("task_id", "attempt", "output_json")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_JSON_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    attempt: int
    output_json: str
    def __init__(self, task_id: _Optional[str] = ..., attempt: _Optional[int] = ..., output_json: _Optional[str] = ...) -> None: ...

class TaskFailed(_message.Message):
    __slots__ = ("task_id", "attempt", "error_json", "retryable", "cancelled")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    ERROR_JSON_FIELD_NUMBER: _ClassVar[int]
    RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    attempt: int
    error_json: str
    retryable: bool
    cancelled: bool
    def __init__(self, task_id: _Optional[str] = ..., attempt: _Optional[int] = ..., error_json: _Optional[str] = ..., retryable: _Optional[bool] = ..., cancelled: _Optional[bool] = ...) -> None: ...

class TaskRefresh(_message.Message):
    __slots__ = ("task_id", "attempt", "extend_by_ms")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    EXTEND_BY_MS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    attempt: int
    extend_by_ms: int
    def __init__(self, task_id: _Optional[str] = ..., attempt: _Optional[int] = ..., extend_by_ms: _Optional[int] = ...) -> None: ...

class LogLine(_message.Message):
    __slots__ = ("task_id", "attempt", "level", "message", "at_unix_ms")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    attempt: int
    level: str
    message: str
    at_unix_ms: int
    def __init__(self, task_id: _Optional[str] = ..., attempt: _Optional[int] = ..., level: _Optional[str] = ..., message: _Optional[str] = ..., at_unix_ms: _Optional[int] = ...) -> None: ...

class TaskStream(_message.Message):
    __slots__ = ("task_id", "attempt", "seq", "data")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    attempt: int
    seq: int
    data: str
    def __init__(self, task_id: _Optional[str] = ..., attempt: _Optional[int] = ..., seq: _Optional[int] = ..., data: _Optional[str] = ...) -> None: ...

class DispatcherMessage(_message.Message):
    __slots__ = ("assignment", "cancel", "ack", "error", "batch")
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    ACK_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    assignment: Assignment
    cancel: CancelTask
    ack: Ack
    error: StreamError
    batch: DispatcherBatch
    def __init__(self, assignment: _Optional[_Union[Assignment, _Mapping]] = ..., cancel: _Optional[_Union[CancelTask, _Mapping]] = ..., ack: _Optional[_Union[Ack, _Mapping]] = ..., error: _Optional[_Union[StreamError, _Mapping]] = ..., batch: _Optional[_Union[DispatcherBatch, _Mapping]] = ...) -> None: ...

class DispatcherBatch(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[DispatcherMessage]
    def __init__(self, messages: _Optional[_Iterable[_Union[DispatcherMessage, _Mapping]]] = ...) -> None: ...

class Assignment(_message.Message):
    __slots__ = ("task_id", "attempt", "run_id", "workflow", "step", "action", "input_json", "parents_json", "timeout_at_unix_ms", "priority", "traceparent", "tenant_id")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    INPUT_JSON_FIELD_NUMBER: _ClassVar[int]
    PARENTS_JSON_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    attempt: int
    run_id: str
    workflow: str
    step: str
    action: str
    input_json: str
    parents_json: str
    timeout_at_unix_ms: int
    priority: int
    traceparent: str
    tenant_id: str
    def __init__(self, task_id: _Optional[str] = ..., attempt: _Optional[int] = ..., run_id: _Optional[str] = ..., workflow: _Optional[str] = ..., step: _Optional[str] = ..., action: _Optional[str] = ..., input_json: _Optional[str] = ..., parents_json: _Optional[str] = ..., timeout_at_unix_ms: _Optional[int] = ..., priority: _Optional[int] = ..., traceparent: _Optional[str] = ..., tenant_id: _Optional[str] = ...) -> None: ...

class CancelTask(_message.Message):
    __slots__ = ("task_id", "attempt", "reason")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    attempt: int
    reason: str
    def __init__(self, task_id: _Optional[str] = ..., attempt: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class Ack(_message.Message):
    __slots__ = ("request_id", "accepted", "reason", "timeout_at_unix_ms")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    accepted: bool
    reason: str
    timeout_at_unix_ms: int
    def __init__(self, request_id: _Optional[int] = ..., accepted: _Optional[bool] = ..., reason: _Optional[str] = ..., timeout_at_unix_ms: _Optional[int] = ...) -> None: ...

class StreamError(_message.Message):
    __slots__ = ("request_id", "code", "message")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    code: str
    message: str
    def __init__(self, request_id: _Optional[int] = ..., code: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class RegisterWorkflowRequest(_message.Message):
    __slots__ = ("name", "spec_json")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPEC_JSON_FIELD_NUMBER: _ClassVar[int]
    name: str
    spec_json: str
    def __init__(self, name: _Optional[str] = ..., spec_json: _Optional[str] = ...) -> None: ...

class RegisterWorkflowResponse(_message.Message):
    __slots__ = ("workflow_id", "version_id", "version", "created", "current_version")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    CURRENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    version_id: str
    version: int
    created: bool
    current_version: int
    def __init__(self, workflow_id: _Optional[str] = ..., version_id: _Optional[str] = ..., version: _Optional[int] = ..., created: _Optional[bool] = ..., current_version: _Optional[int] = ...) -> None: ...

class TriggerRequest(_message.Message):
    __slots__ = ("workflow", "input_json", "priority", "idempotency_key", "metadata_json")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    INPUT_JSON_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    workflow: str
    input_json: str
    priority: int
    idempotency_key: str
    metadata_json: str
    def __init__(self, workflow: _Optional[str] = ..., input_json: _Optional[str] = ..., priority: _Optional[int] = ..., idempotency_key: _Optional[str] = ..., metadata_json: _Optional[str] = ...) -> None: ...

class TriggerResponse(_message.Message):
    __slots__ = ("run_id", "created")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    created: bool
    def __init__(self, run_id: _Optional[str] = ..., created: _Optional[bool] = ...) -> None: ...

class GetRunRequest(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class WaitRequest(_message.Message):
    __slots__ = ("run_id", "timeout_ms")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    timeout_ms: int
    def __init__(self, run_id: _Optional[str] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class Run(_message.Message):
    __slots__ = ("run_id", "workflow", "version", "status", "input_json", "output_json", "error_json", "tasks_json", "created_at_unix_ms", "finished_at_unix_ms")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    INPUT_JSON_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_JSON_FIELD_NUMBER: _ClassVar[int]
    TASKS_JSON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    workflow: str
    version: int
    status: str
    input_json: str
    output_json: str
    error_json: str
    tasks_json: str
    created_at_unix_ms: int
    finished_at_unix_ms: int
    def __init__(self, run_id: _Optional[str] = ..., workflow: _Optional[str] = ..., version: _Optional[int] = ..., status: _Optional[str] = ..., input_json: _Optional[str] = ..., output_json: _Optional[str] = ..., error_json: _Optional[str] = ..., tasks_json: _Optional[str] = ..., created_at_unix_ms: _Optional[int] = ..., finished_at_unix_ms: _Optional[int] = ...) -> None: ...

class WatchRequest(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class RunEvent(_message.Message):
    __slots__ = ("run_id", "task_id", "step", "attempt", "kind", "status", "data_json", "at_unix_ms", "run_status")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    RUN_STATUS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    task_id: str
    step: str
    attempt: int
    kind: str
    status: str
    data_json: str
    at_unix_ms: int
    run_status: str
    def __init__(self, run_id: _Optional[str] = ..., task_id: _Optional[str] = ..., step: _Optional[str] = ..., attempt: _Optional[int] = ..., kind: _Optional[str] = ..., status: _Optional[str] = ..., data_json: _Optional[str] = ..., at_unix_ms: _Optional[int] = ..., run_status: _Optional[str] = ...) -> None: ...

class CancelRequest(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class CancelResponse(_message.Message):
    __slots__ = ("run_id", "cancelled", "status")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    cancelled: bool
    status: str
    def __init__(self, run_id: _Optional[str] = ..., cancelled: _Optional[bool] = ..., status: _Optional[str] = ...) -> None: ...

class SpawnRequest(_message.Message):
    __slots__ = ("task_id", "attempt", "workflow", "input_json", "key", "metadata_json")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    INPUT_JSON_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    attempt: int
    workflow: str
    input_json: str
    key: str
    metadata_json: str
    def __init__(self, task_id: _Optional[str] = ..., attempt: _Optional[int] = ..., workflow: _Optional[str] = ..., input_json: _Optional[str] = ..., key: _Optional[str] = ..., metadata_json: _Optional[str] = ...) -> None: ...

class SpawnResponse(_message.Message):
    __slots__ = ("run_id", "created")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    created: bool
    def __init__(self, run_id: _Optional[str] = ..., created: _Optional[bool] = ...) -> None: ...

class RunFilter(_message.Message):
    __slots__ = ("workflow", "statuses", "since_unix_ms", "until_unix_ms", "input_json", "metadata_json")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    SINCE_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    UNTIL_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    INPUT_JSON_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    workflow: str
    statuses: _containers.RepeatedScalarFieldContainer[str]
    since_unix_ms: int
    until_unix_ms: int
    input_json: str
    metadata_json: str
    def __init__(self, workflow: _Optional[str] = ..., statuses: _Optional[_Iterable[str]] = ..., since_unix_ms: _Optional[int] = ..., until_unix_ms: _Optional[int] = ..., input_json: _Optional[str] = ..., metadata_json: _Optional[str] = ...) -> None: ...

class ListRunsRequest(_message.Message):
    __slots__ = ("filter", "replay_of", "limit", "before")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    REPLAY_OF_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    filter: RunFilter
    replay_of: str
    limit: int
    before: str
    def __init__(self, filter: _Optional[_Union[RunFilter, _Mapping]] = ..., replay_of: _Optional[str] = ..., limit: _Optional[int] = ..., before: _Optional[str] = ...) -> None: ...

class RunSummary(_message.Message):
    __slots__ = ("run_id", "workflow", "version", "status", "priority", "input_json", "error_json", "replay_of", "tasks_json", "created_at_unix_ms", "started_at_unix_ms", "finished_at_unix_ms", "metadata_json")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    INPUT_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_JSON_FIELD_NUMBER: _ClassVar[int]
    REPLAY_OF_FIELD_NUMBER: _ClassVar[int]
    TASKS_JSON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    workflow: str
    version: int
    status: str
    priority: int
    input_json: str
    error_json: str
    replay_of: str
    tasks_json: str
    created_at_unix_ms: int
    started_at_unix_ms: int
    finished_at_unix_ms: int
    metadata_json: str
    def __init__(self, run_id: _Optional[str] = ..., workflow: _Optional[str] = ..., version: _Optional[int] = ..., status: _Optional[str] = ..., priority: _Optional[int] = ..., input_json: _Optional[str] = ..., error_json: _Optional[str] = ..., replay_of: _Optional[str] = ..., tasks_json: _Optional[str] = ..., created_at_unix_ms: _Optional[int] = ..., started_at_unix_ms: _Optional[int] = ..., finished_at_unix_ms: _Optional[int] = ..., metadata_json: _Optional[str] = ...) -> None: ...

class ListRunsResponse(_message.Message):
    __slots__ = ("runs",)
    RUNS_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[RunSummary]
    def __init__(self, runs: _Optional[_Iterable[_Union[RunSummary, _Mapping]]] = ...) -> None: ...

class CancelMatchingRequest(_message.Message):
    __slots__ = ("filter",)
    FILTER_FIELD_NUMBER: _ClassVar[int]
    filter: RunFilter
    def __init__(self, filter: _Optional[_Union[RunFilter, _Mapping]] = ...) -> None: ...

class CancelMatchingResponse(_message.Message):
    __slots__ = ("runs",)
    RUNS_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[CancelResponse]
    def __init__(self, runs: _Optional[_Iterable[_Union[CancelResponse, _Mapping]]] = ...) -> None: ...

class ReplayRequest(_message.Message):
    __slots__ = ("run_id", "start_from")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    START_FROM_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    start_from: str
    def __init__(self, run_id: _Optional[str] = ..., start_from: _Optional[str] = ...) -> None: ...

class ReplayResponse(_message.Message):
    __slots__ = ("run_id", "replay_run_id", "kept", "to_run")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    REPLAY_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    KEPT_FIELD_NUMBER: _ClassVar[int]
    TO_RUN_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    replay_run_id: str
    kept: int
    to_run: int
    def __init__(self, run_id: _Optional[str] = ..., replay_run_id: _Optional[str] = ..., kept: _Optional[int] = ..., to_run: _Optional[int] = ...) -> None: ...

class OutputRequest(_message.Message):
    __slots__ = ("run_id", "task_id", "after_chunk_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_CHUNK_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    task_id: str
    after_chunk_id: str
    def __init__(self, run_id: _Optional[str] = ..., task_id: _Optional[str] = ..., after_chunk_id: _Optional[str] = ...) -> None: ...

class OutputChunk(_message.Message):
    __slots__ = ("chunk_id", "task_id", "step", "attempt", "seq", "data", "at_unix_ms")
    CHUNK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    chunk_id: str
    task_id: str
    step: str
    attempt: int
    seq: int
    data: str
    at_unix_ms: int
    def __init__(self, chunk_id: _Optional[str] = ..., task_id: _Optional[str] = ..., step: _Optional[str] = ..., attempt: _Optional[int] = ..., seq: _Optional[int] = ..., data: _Optional[str] = ..., at_unix_ms: _Optional[int] = ...) -> None: ...
