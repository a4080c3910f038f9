""" Contains all the data models used in inputs/outputs """

from .attempt import Attempt
from .backoff import Backoff
from .cancel_matching_request import CancelMatchingRequest
from .cancel_matching_request_metadata_type_0 import CancelMatchingRequestMetadataType0
from .cancel_matching_request_status_type_0_item import CancelMatchingRequestStatusType0Item
from .cancelled import Cancelled
from .cancelled_many import CancelledMany
from .cancelled_status import CancelledStatus
from .child_run import ChildRun
from .child_run_metadata import ChildRunMetadata
from .child_run_status import ChildRunStatus
from .concurrency_limit import ConcurrencyLimit
from .concurrency_limit_request import ConcurrencyLimitRequest
from .concurrency_limit_scope import ConcurrencyLimitScope
from .created import Created
from .cron import Cron
from .cron_catch_up import CronCatchUp
from .cron_input import CronInput
from .cron_request import CronRequest
from .cron_request_catch_up import CronRequestCatchUp
from .cron_request_input import CronRequestInput
from .cron_trigger import CronTrigger
from .cron_trigger_catch_up_type_0 import CronTriggerCatchUpType0
from .cron_trigger_input_type_0 import CronTriggerInputType0
from .event import Event
from .event_detail import EventDetail
from .event_detail_metadata import EventDetailMetadata
from .event_detail_payload import EventDetailPayload
from .event_match import EventMatch
from .event_metadata import EventMetadata
from .event_page import EventPage
from .event_payload import EventPayload
from .event_pushed import EventPushed
from .event_request import EventRequest
from .event_request_metadata import EventRequestMetadata
from .event_request_payload import EventRequestPayload
from .event_wait import EventWait
from .event_wait_on_timeout_type_0 import EventWaitOnTimeoutType0
from .field_error import FieldError
from .filter_ import Filter
from .filter_request import FilterRequest
from .filter_update import FilterUpdate
from .health import Health
from .lineage import Lineage
from .list_runs_status_type_0_item import ListRunsStatusType0Item
from .list_workers_status_type_0_item import ListWorkersStatusType0Item
from .log_line import LogLine
from .log_line_level import LogLineLevel
from .log_page import LogPage
from .new_token import NewToken
from .preferred_label import PreferredLabel
from .problem import Problem
from .queue_depth import QueueDepth
from .rate_limit import RateLimit
from .rate_limit_request import RateLimitRequest
from .rate_limit_use import RateLimitUse
from .ready import Ready
from .register_request import RegisterRequest
from .registered import Registered
from .removed import Removed
from .replay_request import ReplayRequest
from .replay_request_start_from import ReplayRequestStartFrom
from .replayed import Replayed
from .rollback_request import RollbackRequest
from .rolled_back import RolledBack
from .run import Run
from .run_changes_status_type_0_item import RunChangesStatusType0Item
from .run_event import RunEvent
from .run_event_status import RunEventStatus
from .run_page import RunPage
from .run_status import RunStatus
from .run_summary import RunSummary
from .run_summary_metadata import RunSummaryMetadata
from .run_summary_status import RunSummaryStatus
from .run_summary_tasks import RunSummaryTasks
from .schedule import Schedule
from .schedule_request import ScheduleRequest
from .sleep_wait import SleepWait
from .step_concurrency import StepConcurrency
from .step_spec import StepSpec
from .step_spec_preferred_labels_type_0 import StepSpecPreferredLabelsType0
from .step_spec_worker_labels_type_0 import StepSpecWorkerLabelsType0
from .step_stats import StepStats
from .step_stats_page import StepStatsPage
from .task import Task
from .task_attempts import TaskAttempts
from .task_event import TaskEvent
from .task_event_status import TaskEventStatus
from .task_status import TaskStatus
from .tenant import Tenant
from .tenant_caps import TenantCaps
from .tenant_request import TenantRequest
from .token import Token
from .token_request import TokenRequest
from .token_status import TokenStatus
from .trigger_request import TriggerRequest
from .trigger_request_metadata import TriggerRequestMetadata
from .triggered import Triggered
from .version_summary import VersionSummary
from .worker import Worker
from .worker_labels import WorkerLabels
from .worker_status import WorkerStatus
from .workflow_concurrency import WorkflowConcurrency
from .workflow_concurrency_strategy_type_0 import WorkflowConcurrencyStrategyType0
from .workflow_spec import WorkflowSpec
from .workflow_spec_sticky_type_0 import WorkflowSpecStickyType0
from .workflow_stats import WorkflowStats
from .workflow_stats_page import WorkflowStatsPage
from .workflow_summary import WorkflowSummary
from .workflow_version import WorkflowVersion

__all__ = (
    "Attempt",
    "Backoff",
    "Cancelled",
    "CancelledMany",
    "CancelledStatus",
    "CancelMatchingRequest",
    "CancelMatchingRequestMetadataType0",
    "CancelMatchingRequestStatusType0Item",
    "ChildRun",
    "ChildRunMetadata",
    "ChildRunStatus",
    "ConcurrencyLimit",
    "ConcurrencyLimitRequest",
    "ConcurrencyLimitScope",
    "Created",
    "Cron",
    "CronCatchUp",
    "CronInput",
    "CronRequest",
    "CronRequestCatchUp",
    "CronRequestInput",
    "CronTrigger",
    "CronTriggerCatchUpType0",
    "CronTriggerInputType0",
    "Event",
    "EventDetail",
    "EventDetailMetadata",
    "EventDetailPayload",
    "EventMatch",
    "EventMetadata",
    "EventPage",
    "EventPayload",
    "EventPushed",
    "EventRequest",
    "EventRequestMetadata",
    "EventRequestPayload",
    "EventWait",
    "EventWaitOnTimeoutType0",
    "FieldError",
    "Filter",
    "FilterRequest",
    "FilterUpdate",
    "Health",
    "Lineage",
    "ListRunsStatusType0Item",
    "ListWorkersStatusType0Item",
    "LogLine",
    "LogLineLevel",
    "LogPage",
    "NewToken",
    "PreferredLabel",
    "Problem",
    "QueueDepth",
    "RateLimit",
    "RateLimitRequest",
    "RateLimitUse",
    "Ready",
    "Registered",
    "RegisterRequest",
    "Removed",
    "Replayed",
    "ReplayRequest",
    "ReplayRequestStartFrom",
    "RollbackRequest",
    "RolledBack",
    "Run",
    "RunChangesStatusType0Item",
    "RunEvent",
    "RunEventStatus",
    "RunPage",
    "RunStatus",
    "RunSummary",
    "RunSummaryMetadata",
    "RunSummaryStatus",
    "RunSummaryTasks",
    "Schedule",
    "ScheduleRequest",
    "SleepWait",
    "StepConcurrency",
    "StepSpec",
    "StepSpecPreferredLabelsType0",
    "StepSpecWorkerLabelsType0",
    "StepStats",
    "StepStatsPage",
    "Task",
    "TaskAttempts",
    "TaskEvent",
    "TaskEventStatus",
    "TaskStatus",
    "Tenant",
    "TenantCaps",
    "TenantRequest",
    "Token",
    "TokenRequest",
    "TokenStatus",
    "Triggered",
    "TriggerRequest",
    "TriggerRequestMetadata",
    "VersionSummary",
    "Worker",
    "WorkerLabels",
    "WorkerStatus",
    "WorkflowConcurrency",
    "WorkflowConcurrencyStrategyType0",
    "WorkflowSpec",
    "WorkflowSpecStickyType0",
    "WorkflowStats",
    "WorkflowStatsPage",
    "WorkflowSummary",
    "WorkflowVersion",
)
