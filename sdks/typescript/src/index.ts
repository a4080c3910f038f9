export { Hewer, DEFAULT_API_URL, API_URL_ENV } from "./client.js";
export type {
  Cancelled,
  EventPushed,
  HewerOptions,
  LogPage,
  Metadata,
  OutputChunk,
  OutputOptions,
  Replayed,
  Run,
  RunEvent,
  RunFilters,
  RunPage,
  RunStatus,
  RunSummary,
  TaskInfo,
  TriggerOptions,
  Triggered,
  WatchItem,
  WatchOptions,
  WorkflowSummary,
  WorkflowVersion,
} from "./client.js";
export {
  AuthenticationError,
  DefinitionError,
  HewerApiError,
  HewerConnectionError,
  HewerTimeoutError,
  LeaseLostError,
  NonRetryableError,
  RegistrationError,
} from "./errors.js";
export type { Problem } from "./errors.js";
export { TaskStoppedError } from "./execution.js";
export type { StopKind } from "./execution.js";
export type { Duration } from "./durations.js";
export { parseDuration } from "./durations.js";
export { canonicalJson } from "./canonical-json.js";
export type { JsonValue } from "./canonical-json.js";
export { stderrLogger } from "./logger.js";
export type { Logger, LoggerLevel } from "./logger.js";
export { Worker } from "./worker.js";
export type { WorkerOptions } from "./worker.js";
export { Task, Wait, Workflow, task, workflow } from "./workflow.js";
export type {
  AnyTask,
  AnyWorkflow,
  Backoff,
  Concurrency,
  Cron,
  LabelPreference,
  LogLevel,
  RateLimit,
  Sticky,
  Strategy,
  TaskContext,
  TaskFunction,
  TaskOptions,
  TaskRef,
  WorkflowOptions,
} from "./workflow.js";
export { readServerSentEvents } from "./sse.js";
export type { ServerSentEvent } from "./sse.js";
export { SDK_VERSION, VERSION } from "./version.js";
