/**
 * One assignment being run: its context, its function, its report.
 *
 * An execution reports `started` once it has run for START_REPORT_DELAY_MS (a task that completes
 * sooner sends none: its completion records the start) and then exactly one outcome: `completed`,
 * or `failed` with an error {"type", "message", "traceback"}, always preceded by a `started`. Why a stop was requested decides how an
 * interrupted task is reported (as the Python SDK does, pyworker/execution.py):
 *
 *   cancel      the dispatcher's CancelTask: failed, cancelled = true, not retryable
 *   timeout     its lease ran out locally: failed, retryable (the server would reclaim it anyway)
 *   shutdown    the worker is stopping: failed, retryable, type "worker_shutdown"
 *   lease_lost  the dispatcher rejected the attempt as stale: nothing more is reported
 */
import { parseDuration, type Duration } from "./durations.js";
import { LeaseLostError, NonRetryableError } from "./errors.js";
import type { Ack__Output } from "./generated/proto/hewer/v1/Ack.js";
import type { Assignment__Output } from "./generated/proto/hewer/v1/Assignment.js";
import { DISPATCHER_MAX_MESSAGE_BYTES } from "./grpc.js";
import type { Logger } from "./logger.js";
import type { Outbox } from "./outbox.js";
import type { AnyTask, LogLevel, TaskContext, TaskRef } from "./workflow.js";

export type StopKind = "cancel" | "timeout" | "shutdown" | "lease_lost";

/** The AbortSignal reason of a stopped task: why it was told to stop. */
export class TaskStoppedError extends Error {
  override readonly name = "TaskStoppedError";
  constructor(
    message: string,
    readonly kind: StopKind,
  ) {
    super(message);
  }
}

export type ErrorPayload = { type: string; message: string; traceback?: string };

// A report must fit in one message the dispatcher accepts, with room for the rest of it.
const MAX_PAYLOAD_BYTES = DISPATCHER_MAX_MESSAGE_BYTES - 64 * 1024;
const ERROR_FIELD_CHARS = 64 * 1024;
const MAX_LOG_CHARS = 32_000;
/** The longest chunk hewer.task_stream stores (in characters); ctx.stream splits longer text. */
export const MAX_CHUNK_CHARS = 65_536;
/** How long a task runs before its `started` report goes up (docs/protocol.md#reports). */
export const START_REPORT_DELAY_MS = 20;

export class Execution {
  readonly taskId: string;
  readonly attempt: number;
  readonly key: string;
  stopKind: StopKind | null = null;
  reported = false;
  /** Settles once the function has returned or thrown (never rejects). */
  finished: Promise<void> = Promise.resolve();
  private readonly controller = new AbortController();
  private leaseTimer: NodeJS.Timeout | null = null;
  private startTimer: NodeJS.Timeout | null = null;
  private startReported = false;
  private timeoutAt: Date | null;
  /** Output chunks sent (ctx.stream), numbered from 1. */
  private streamSeq = 0;

  constructor(
    readonly assignment: Assignment__Output,
    private readonly task: AnyTask,
    private readonly outbox: Outbox,
    private readonly logger: Logger,
    private readonly leaseGraceMs: number | null,
    private readonly onDone: (execution: Execution) => void,
  ) {
    this.taskId = assignment.task_id;
    this.attempt = assignment.attempt;
    this.key = executionKey(assignment.task_id, assignment.attempt);
    this.timeoutAt = assignment.timeout_at_unix_ms ? new Date(assignment.timeout_at_unix_ms) : null;
  }

  /** Run the function, and report `started` unless it ends within the start report delay. */
  start(): void {
    this.startTimer = setTimeout(() => this.reportStarted(), START_REPORT_DELAY_MS);
    this.armLeaseTimer();
    this.finished = this.run().finally(() => this.done());
  }

  /** Ask the function to stop: its ctx.signal aborts with a TaskStoppedError. */
  stop(kind: StopKind, reason: string): void {
    if (this.stopKind === null) this.stopKind = kind;
    if (!this.controller.signal.aborted) this.controller.abort(new TaskStoppedError(reason, kind));
  }

  /**
   * Report the attempt failed (retryable) now, without waiting for the function to end: for
   * functions that ignore their signal. The task is retried elsewhere; whatever the function
   * does later is ignored.
   */
  abandon(type: string, message: string): void {
    this.reportFailed({ type, message }, true);
    this.done();
  }

  private reportStarted(): void {
    this.skipStartReport();
    if (this.startReported || this.reported) return;
    this.startReported = true;
    this.outbox.send(
      { started: { task_id: this.taskId, attempt: this.attempt } },
      { onAck: (ack) => this.onStartedAck(ack) },
    );
  }

  /** The outcome is being reported before `started` went up: it never will. */
  private skipStartReport(): void {
    if (this.startTimer) clearTimeout(this.startTimer);
    this.startTimer = null;
  }

  private done(): void {
    this.skipStartReport();
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.leaseTimer = null;
    this.onDone(this);
  }

  private async run(): Promise<void> {
    let input: unknown;
    let parents: Record<string, unknown>;
    try {
      input = parseJson(this.assignment.input_json, {});
      const parsed = parseJson(this.assignment.parents_json, {});
      parents = isObject(parsed) ? parsed : {};
    } catch (error) {
      this.reportFailed(errorPayload(error, "invalid_input"), false);
      return;
    }
    const ctx = this.context(parents);
    const fn = this.task.fn as ((input: unknown, ctx: TaskContext) => unknown) | null;
    let result: unknown;
    try {
      if (fn === null) throw new Error(`step '${this.assignment.step}' is external: no function runs it here`);
      result = await fn(input, ctx);
    } catch (error) {
      if (this.stopKind !== null) this.reportStopped(error);
      else if (error instanceof NonRetryableError) this.reportFailed(errorPayload(error, error.type), false);
      else this.reportFailed(errorPayload(error), true);
      return;
    }
    this.reportCompleted(result);
  }

  private context(parents: Record<string, unknown>): TaskContext {
    const execution = this;
    const a = this.assignment;
    const frozen = Object.freeze({ ...parents });
    function parentOutput<O>(step: TaskRef<O>): O;
    function parentOutput(step: string): unknown;
    function parentOutput(step: TaskRef | string): unknown {
      const name = typeof step === "string" ? step : step.name;
      if (!Object.hasOwn(frozen, name)) {
        const known = Object.keys(frozen).join(", ") || "none";
        throw new Error(
          `step '${a.step}' has no parent output '${name}' (parents: ${known}); ` +
            "list the step in parents: [...] of this task",
        );
      }
      return frozen[name];
    }
    return {
      runId: a.run_id,
      taskId: a.task_id,
      attempt: a.attempt,
      workflow: a.workflow,
      step: a.step,
      action: a.action,
      parents: frozen,
      signal: this.controller.signal,
      get timeoutAt() {
        return execution.timeoutAt;
      },
      parentOutput,
      log: (message, level = "info") => this.sendLog(String(message), level),
      stream: (text) => this.sendStream(text),
      refreshTimeout: (extendBy) => this.refresh(extendBy),
    };
  }

  // --- reports ----------------------------------------------------------------------------

  private reportCompleted(result: unknown): void {
    let output: string | undefined;
    try {
      output = JSON.stringify(result === undefined ? null : result);
    } catch (error) {
      this.reportFailed(errorPayload(error, "output_not_serializable"), false);
      return;
    }
    if (output === undefined) {
      this.reportFailed(
        { type: "output_not_serializable", message: `a task output must be JSON, got ${typeof result}` },
        false,
      );
      return;
    }
    const size = Buffer.byteLength(output);
    if (size > MAX_PAYLOAD_BYTES) {
      // Sent as is it would exceed the dispatcher's message limit, end the stream, and be
      // sent again on every new stream.
      this.reportFailed(
        {
          type: "output_too_large",
          message:
            `the output is ${size} bytes of JSON, over the limit of ${MAX_PAYLOAD_BYTES}: store ` +
            "large results elsewhere (object storage, a table) and return a reference to them",
        },
        false,
      );
      return;
    }
    if (this.reported || this.stopKind === "lease_lost") return;
    this.skipStartReport();
    this.reported = true;
    this.outbox.send({ completed: { task_id: this.taskId, attempt: this.attempt, output_json: output } });
  }

  private reportFailed(error: ErrorPayload, retryable: boolean, cancelled = false): void {
    if (this.reported || this.stopKind === "lease_lost") return;
    // A failure's history keeps its start (task_fail does not record one).
    this.reportStarted();
    this.reported = true;
    this.outbox.send({
      failed: {
        task_id: this.taskId,
        attempt: this.attempt,
        error_json: JSON.stringify(clip(error)),
        retryable,
        cancelled,
      },
    });
  }

  /** The function ended because it was told to stop; report by why it was told. */
  private reportStopped(error: unknown): void {
    const reason = this.stopReason() ?? (error instanceof Error ? error.message : String(error));
    if (this.stopKind === "cancel") this.reportFailed({ type: "cancelled", message: reason }, false, true);
    else if (this.stopKind === "shutdown") this.reportFailed({ type: "worker_shutdown", message: reason }, true);
    else if (this.stopKind === "timeout") this.reportFailed({ type: "timeout", message: reason }, true);
  }

  private stopReason(): string | null {
    const reason: unknown = this.controller.signal.reason;
    return reason instanceof TaskStoppedError ? reason.message : null;
  }

  // --- acks, leases, logs -------------------------------------------------------------------

  private onStartedAck(ack: Ack__Output): void {
    if (ack.accepted || ack.reason === "duplicate") return;
    this.logger.warn(
      `dispatcher rejected the start of task ${this.taskId} attempt ${this.attempt} ` +
        `(${ack.reason || "no reason given"}): stopping it`,
    );
    this.stop("lease_lost", `the dispatcher rejected this attempt: ${ack.reason}`);
  }

  private armLeaseTimer(): void {
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.leaseTimer = null;
    if (!this.timeoutAt || this.reported || this.leaseGraceMs === null) return;
    // The lease end is the database's clock; the grace absorbs a little clock skew.
    const delay = Math.max(0, this.timeoutAt.getTime() - Date.now() + this.leaseGraceMs);
    this.leaseTimer = setTimeout(() => this.leaseExpired(), delay);
  }

  private leaseExpired(): void {
    this.leaseTimer = null;
    if (this.reported || this.stopKind !== null) return;
    const reason =
      `the task ran past its lease (${this.timeoutAt?.toISOString() ?? "?"}); ` +
      "extend it with ctx.refreshTimeout";
    this.logger.warn(`task ${this.taskId} attempt ${this.attempt}: ${reason}`);
    // Report now: the task is retried at once. The slot stays taken until the function ends.
    this.reportFailed({ type: "timeout", message: reason }, true);
    this.stop("timeout", reason);
  }

  private refresh(extendBy: Duration): Promise<Date> {
    let seconds: number;
    try {
      seconds = parseDuration(extendBy, "extendBy");
    } catch (error) {
      return Promise.reject(error);
    }
    if (seconds <= 0) return Promise.reject(new RangeError(`extendBy must be more than 0 seconds, got ${extendBy}`));
    if (this.reported) {
      return Promise.reject(new LeaseLostError(`task ${this.taskId} has already been reported`));
    }
    return new Promise((resolve, reject) => {
      this.outbox.send(
        {
          refresh: {
            task_id: this.taskId,
            attempt: this.attempt,
            extend_by_ms: Math.max(1, Math.round(seconds * 1000)),
          },
        },
        {
          onAck: (ack) => {
            if (!ack.accepted) {
              reject(
                new LeaseLostError(
                  `the dispatcher rejected the refresh of task ${this.taskId} attempt ${this.attempt}: ` +
                    `${ack.reason || "no reason given"}`,
                ),
              );
              return;
            }
            if (ack.timeout_at_unix_ms) {
              this.timeoutAt = new Date(ack.timeout_at_unix_ms);
              this.armLeaseTimer();
            }
            resolve(this.timeoutAt ?? new Date());
          },
        },
      );
    });
  }

  /** Queue the text as the attempt's next output chunks; they are sent (again) until acked. */
  private sendStream(text: string): void {
    if (typeof text !== "string") {
      throw new TypeError(`ctx.stream takes text, got ${typeof text}: send String(value)`);
    }
    if (!text || this.stopKind === "lease_lost") return;
    for (const data of splitChunks(text)) {
      this.streamSeq++;
      this.outbox.send(
        { stream: { task_id: this.taskId, attempt: this.attempt, seq: this.streamSeq, data } },
        { onAck: (ack) => this.onStreamAck(ack) },
      );
    }
  }

  private onStreamAck(ack: Ack__Output): void {
    if (ack.accepted || ack.reason === "duplicate") return;
    this.logger.warn(
      `dispatcher refused an output chunk of task ${this.taskId} attempt ${this.attempt}: ` +
        `${ack.reason || "no reason given"}`,
    );
  }

  private sendLog(message: string, level: LogLevel): void {
    if (this.stopKind === "lease_lost") return;
    const text = message.length > MAX_LOG_CHARS ? `${message.slice(0, MAX_LOG_CHARS)} [truncated]` : message;
    this.outbox.send(
      { log: { task_id: this.taskId, attempt: this.attempt, level, message: text, at_unix_ms: Date.now() } },
      { ack: false },
    );
  }
}

export function executionKey(taskId: string, attempt: number): string {
  return `${taskId}/${attempt}`;
}

/**
 * Text cut into chunks of at most MAX_CHUNK_CHARS characters, never between the two halves of
 * a surrogate pair (a character outside the BMP stays whole).
 */
export function splitChunks(text: string, size = MAX_CHUNK_CHARS): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && end - start > 1 && last >= 0xd800 && last <= 0xdbff) end--;
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}

/** The error JSON a failed task reports: {"type", "message", "traceback"}. */
export function errorPayload(error: unknown, type?: string): ErrorPayload {
  if (error instanceof Error) {
    const payload: ErrorPayload = { type: type ?? (error.name || error.constructor.name), message: error.message };
    if (error.stack) payload.traceback = error.stack;
    return payload;
  }
  return { type: type ?? typeof error, message: String(error) };
}

function clip(error: ErrorPayload): ErrorPayload {
  const cut = (text: string): string =>
    text.length <= ERROR_FIELD_CHARS ? text : `${text.slice(0, ERROR_FIELD_CHARS)}... (clipped)`;
  const out: ErrorPayload = { type: cut(error.type), message: cut(error.message) };
  if (error.traceback !== undefined) out.traceback = cut(error.traceback);
  return out;
}

function parseJson(text: string, fallback: unknown): unknown {
  return text ? (JSON.parse(text) as unknown) : fallback;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
