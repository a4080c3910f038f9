/**
 * The typed HTTP client of `hewer api`, built on openapi-fetch over the types generated from
 * docs/openapi.json. Every refusal of the API (application/problem+json) becomes a
 * HewerApiError with its status, Hewer code (HWxxx), detail and hint.
 */
import createClient, { type Client } from "openapi-fetch";
import { HewerApiError, HewerConnectionError, HewerTimeoutError, type Problem } from "./errors.js";
import type { components, paths } from "./generated/api.js";
import { readServerSentEvents } from "./sse.js";

type Schemas = components["schemas"];
export type Run = Schemas["Run"];
export type RunEvent = Schemas["RunEvent"];
export type RunSummary = Schemas["RunSummary"];
export type RunPage = Schemas["RunPage"];
export type TaskInfo = Schemas["Task"];
export type Triggered = Schemas["Triggered"];
export type Cancelled = Schemas["Cancelled"];
export type Replayed = Schemas["Replayed"];
export type EventPushed = Schemas["EventPushed"];
export type LogPage = Schemas["LogPage"];
export type WorkflowSummary = Schemas["WorkflowSummary"];
export type WorkflowVersion = Schemas["WorkflowVersion"];
export type RunStatus = NonNullable<paths["/v1/runs"]["get"]["parameters"]["query"]>["status"] extends
  | Array<infer S>
  | null
  | undefined
  ? S
  : never;
export type Metadata = NonNullable<Schemas["TriggerRequest"]["metadata"]>;

export const DEFAULT_API_URL = "http://127.0.0.1:8080";
export const API_URL_ENV = "HEWER_API_URL";
const FINAL: ReadonlySet<string> = new Set(["succeeded", "failed", "cancelled"]);

export interface HewerOptions {
  /** The API's base URL (default $HEWER_API_URL, else http://127.0.0.1:8080). */
  baseUrl?: string;
  /** The API token (default $HEWER_TOKEN); none while the database has no tokens. */
  token?: string;
  /** A fetch to use instead of the global one (tests, proxies). */
  fetch?: (request: Request) => Promise<Response>;
}

export interface TriggerOptions {
  /** -1000 to 1000: the priority of all the run's tasks (default: each step's own). */
  priority?: number;
  /** The same key (per workflow) gives back the same run instead of starting another. */
  idempotencyKey?: string;
  /** Key/value tags, inherited by child runs. */
  metadata?: Metadata;
}

export interface RunFilters {
  workflow?: string;
  status?: RunStatus | RunStatus[];
  since?: Date | string;
  until?: Date | string;
  replayOf?: string;
  /** Tags the runs carry. */
  metadata?: Metadata;
  limit?: number;
  /** A run id: the runs older than it (pass `next_before` of the previous page). */
  before?: string;
}

/** One item of a run's live stream: a task event, then the finished run. */
export type WatchItem = { type: "task"; event: RunEvent } | { type: "run"; run: Run };

/** A chunk of a task attempt's streamed output (ctx.stream), as `output()` yields it. */
export interface OutputChunk {
  chunk_id: string;
  task_id: string;
  step: string;
  attempt: number;
  /** The chunk's number in its attempt's stream, from 1. */
  seq: number;
  data: string;
  /** When the dispatcher stored it (ISO 8601). */
  written_at: string;
}

export interface OutputOptions {
  /** Only this task's chunks. */
  taskId?: string;
  /** Resume after this chunk id (the `chunk_id` of the last chunk received). */
  after?: string;
  signal?: AbortSignal;
  /** Consecutive failed reconnections before giving up (default 10). */
  maxReconnects?: number;
}

export interface WatchOptions {
  /** Resume after this event id (the `event_id` of the last event received). */
  lastEventId?: string;
  signal?: AbortSignal;
  /** Consecutive failed reconnections before giving up (default 10). */
  maxReconnects?: number;
}

/** A client of the Hewer HTTP API. */
export class Hewer {
  readonly baseUrl: string;
  private readonly api: Client<paths>;

  constructor(options: HewerOptions = {}) {
    this.baseUrl = (options.baseUrl ?? process.env[API_URL_ENV] ?? DEFAULT_API_URL).replace(/\/+$/, "");
    const token = (options.token ?? process.env.HEWER_TOKEN ?? "").trim();
    this.api = createClient<paths>({
      baseUrl: this.baseUrl,
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  /** Start a run of `workflow`'s current version with `input` (a JSON object). */
  async trigger(workflow: string, input: Record<string, unknown> = {}, options: TriggerOptions = {}): Promise<Triggered> {
    const body: Schemas["TriggerRequest"] = { workflow, input };
    if (options.priority !== undefined) body.priority = options.priority;
    if (options.idempotencyKey !== undefined) body.idempotency_key = options.idempotencyKey;
    if (options.metadata !== undefined) body.metadata = options.metadata;
    return this.call("POST /v1/runs", () => this.api.POST("/v1/runs", { body }));
  }

  /** A run with its input, output, error and tasks. */
  async getRun(runId: string): Promise<Run> {
    return this.call(`GET /v1/runs/${runId}`, () =>
      this.api.GET("/v1/runs/{run_id}", { params: { path: { run_id: runId } } }),
    );
  }

  /** Runs matching the filters, newest first; page with `before: page.next_before`. */
  async listRuns(filters: RunFilters = {}): Promise<RunPage> {
    const query: NonNullable<paths["/v1/runs"]["get"]["parameters"]["query"]> = {};
    if (filters.workflow !== undefined) query.workflow = filters.workflow;
    if (filters.status !== undefined) query.status = Array.isArray(filters.status) ? filters.status : [filters.status];
    if (filters.since !== undefined) query.since = isoTime(filters.since);
    if (filters.until !== undefined) query.until = isoTime(filters.until);
    if (filters.replayOf !== undefined) query.replay_of = filters.replayOf;
    if (filters.metadata !== undefined) query.metadata = JSON.stringify(filters.metadata);
    if (filters.limit !== undefined) query.limit = filters.limit;
    if (filters.before !== undefined) query.before = filters.before;
    return this.call("GET /v1/runs", () => this.api.GET("/v1/runs", { params: { query } }));
  }

  /** Cancel a queued or running run; `cancelled` is false when it had already finished. */
  async cancel(runId: string): Promise<Cancelled> {
    return this.call(`POST /v1/runs/${runId}/cancel`, () =>
      this.api.POST("/v1/runs/{run_id}/cancel", { params: { path: { run_id: runId } } }),
    );
  }

  /** Run a failed or cancelled run again as a new run, from its failed steps or from the start. */
  async replay(runId: string, options: { startFrom?: "failed" | "start" } = {}): Promise<Replayed> {
    return this.call(`POST /v1/runs/${runId}/replay`, () =>
      this.api.POST("/v1/runs/{run_id}/replay", {
        params: { path: { run_id: runId } },
        body: { start_from: options.startFrom ?? "failed" },
      }),
    );
  }

  /** A run's task events, oldest first (after an event id). */
  async events(runId: string, options: { after?: string } = {}): Promise<RunEvent[]> {
    const query = options.after === undefined ? {} : { after: options.after };
    return this.call(`GET /v1/runs/${runId}/events`, () =>
      this.api.GET("/v1/runs/{run_id}/events", { params: { path: { run_id: runId }, query } }),
    );
  }

  /** What a run's tasks logged, oldest first; page with `after: page.next_after`. */
  async logs(runId: string, options: { after?: string; limit?: number } = {}): Promise<LogPage> {
    const query: { after?: string; limit?: number } = {};
    if (options.after !== undefined) query.after = options.after;
    if (options.limit !== undefined) query.limit = options.limit;
    return this.call(`GET /v1/runs/${runId}/logs`, () =>
      this.api.GET("/v1/runs/{run_id}/logs", { params: { path: { run_id: runId }, query } }),
    );
  }

  /** The workflows with their current and latest versions. */
  async listWorkflows(): Promise<WorkflowSummary[]> {
    return this.call("GET /v1/workflows", () => this.api.GET("/v1/workflows"));
  }

  /** A version of a workflow (default: the current one) with its spec. */
  async getWorkflow(name: string, options: { version?: number } = {}): Promise<WorkflowVersion> {
    const query = options.version === undefined ? {} : { version: options.version };
    return this.call(`GET /v1/workflows/${name}`, () =>
      this.api.GET("/v1/workflows/{name}", { params: { path: { name }, query } }),
    );
  }

  /** Publish an event: the workflows and waits subscribed to its key react to it. */
  async pushEvent(
    key: string,
    payload: Record<string, unknown> = {},
    options: { metadata?: Metadata; scope?: string } = {},
  ): Promise<EventPushed> {
    const body: Schemas["EventRequest"] = { key, payload };
    if (options.metadata !== undefined) body.metadata = options.metadata;
    if (options.scope !== undefined) body.scope = options.scope;
    return this.call("POST /v1/events", () => this.api.POST("/v1/events", { body }));
  }

  /**
   * A run's task events as they happen, then the finished run, from the API's event stream
   * (`GET /v1/runs/{id}/stream`). A broken connection is resumed with Last-Event-ID, so each
   * event comes once; the iteration ends after the `run` item.
   */
  async *watch(runId: string, options: WatchOptions = {}): AsyncGenerator<WatchItem, void, undefined> {
    const { signal, maxReconnects = 10 } = options;
    let last = options.lastEventId;
    const seen = new Set<string>();
    let failures = 0;
    const where = `GET /v1/runs/${runId}/stream`;
    for (;;) {
      signal?.throwIfAborted();
      let body: AsyncIterable<Uint8Array> | null = null;
      try {
        const { data, error, response } = await this.api.GET("/v1/runs/{run_id}/stream", {
          params: { path: { run_id: runId }, header: last ? { "last-event-id": last } : {} },
          headers: { Accept: "text/event-stream" },
          parseAs: "stream",
          ...(signal ? { signal } : {}),
        });
        if (error !== undefined || !data) {
          if (!retryableStatus(response.status)) throw apiError(response, error, where);
        } else {
          body = data as unknown as AsyncIterable<Uint8Array>;
        }
      } catch (caught) {
        if (signal?.aborted || caught instanceof HewerApiError) throw caught;
        if (failures >= maxReconnects) throw connectionError(this.baseUrl, where, caught);
      }
      if (body) {
        try {
          for await (const message of readServerSentEvents(body)) {
            if (message.event === "task") {
              const event = JSON.parse(message.data) as RunEvent;
              failures = 0;
              if (message.id) last = message.id;
              if (seen.has(event.event_id)) continue;
              seen.add(event.event_id);
              yield { type: "task", event };
            } else if (message.event === "run") {
              yield { type: "run", run: JSON.parse(message.data) as Run };
              return;
            } else if (message.event === "error") {
              const problem = JSON.parse(message.data) as Problem;
              throw new HewerApiError(problem, where);
            }
          }
        } catch (caught) {
          if (signal?.aborted || caught instanceof HewerApiError || caught instanceof SyntaxError) throw caught;
          if (failures >= maxReconnects) throw connectionError(this.baseUrl, where, caught);
        }
      }
      // The stream broke before the run finished: resume after the last event received.
      failures++;
      if (failures > maxReconnects) {
        throw new HewerConnectionError(
          `${where}: the event stream of ${this.baseUrl} broke ${failures} times in a row; ` +
            "check that the API is up (HEWER_API_URL)",
        );
      }
      await sleep(Math.min(5000, 100 * 2 ** Math.min(failures, 6)), signal);
    }
  }

  /**
   * A run's streamed task output (ctx.stream), from `GET /v1/runs/{id}/output`: every chunk
   * already written, then each new one as it is written; the iteration ends once the run has
   * finished and its last chunks are given. A broken connection is resumed with Last-Event-ID,
   * so each chunk comes once.
   */
  async *output(runId: string, options: OutputOptions = {}): AsyncGenerator<OutputChunk, void, undefined> {
    const { signal, maxReconnects = 10, taskId } = options;
    let last = options.after;
    const seen = new Set<string>();
    let failures = 0;
    const where = `GET /v1/runs/${runId}/output`;
    for (;;) {
      signal?.throwIfAborted();
      let body: AsyncIterable<Uint8Array> | null = null;
      try {
        const { data, error, response } = await this.api.GET("/v1/runs/{run_id}/output", {
          params: {
            path: { run_id: runId },
            query: taskId === undefined ? {} : { task_id: taskId },
            header: last ? { "last-event-id": last } : {},
          },
          headers: { Accept: "text/event-stream" },
          parseAs: "stream",
          ...(signal ? { signal } : {}),
        });
        if (error !== undefined || !data) {
          if (!retryableStatus(response.status)) throw apiError(response, error, where);
        } else {
          body = data as unknown as AsyncIterable<Uint8Array>;
        }
      } catch (caught) {
        if (signal?.aborted || caught instanceof HewerApiError) throw caught;
        if (failures >= maxReconnects) throw connectionError(this.baseUrl, where, caught);
      }
      if (body) {
        try {
          for await (const message of readServerSentEvents(body)) {
            if (message.event === "chunk") {
              const chunk = JSON.parse(message.data) as OutputChunk;
              failures = 0;
              last = message.id || chunk.chunk_id;
              if (seen.has(chunk.chunk_id)) continue;
              seen.add(chunk.chunk_id);
              yield chunk;
            } else if (message.event === "end") {
              return;
            } else if (message.event === "error") {
              const problem = JSON.parse(message.data) as Problem;
              throw new HewerApiError(problem, where);
            }
          }
        } catch (caught) {
          if (signal?.aborted || caught instanceof HewerApiError || caught instanceof SyntaxError) throw caught;
          if (failures >= maxReconnects) throw connectionError(this.baseUrl, where, caught);
        }
      }
      // The stream broke before the run finished: resume after the last chunk received.
      failures++;
      if (failures > maxReconnects) {
        throw new HewerConnectionError(
          `${where}: the output stream of ${this.baseUrl} broke ${failures} times in a row; ` +
            "check that the API is up (HEWER_API_URL)",
        );
      }
      await sleep(Math.min(5000, 100 * 2 ** Math.min(failures, 6)), signal);
    }
  }

  /**
   * The run once it has finished (succeeded, failed or cancelled), followed live on the event
   * stream. Throws HewerTimeoutError after `timeoutMs` (default: no limit).
   */
  async waitForRun(runId: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Run> {
    const controller = new AbortController();
    const forward = (): void => controller.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", forward, { once: true });
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            controller.abort(new Error("timeout"));
          }, options.timeoutMs);
    try {
      for await (const item of this.watch(runId, { signal: controller.signal })) {
        if (item.type === "run") return item.run;
      }
      // The stream ended without the run (it cannot while the API works): read it directly.
      return await this.getRun(runId);
    } catch (error) {
      if (!timedOut) throw error;
      const run = await this.getRun(runId);
      if (FINAL.has(run.status)) return run;
      throw new HewerTimeoutError(
        `run ${runId} did not finish within ${options.timeoutMs} ms (it is ${run.status}); ` +
          "wait longer, or cancel it with cancel()",
        run.status,
      );
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", forward);
    }
  }

  /** Run one request; its data, or a HewerApiError / HewerConnectionError. */
  private async call<T>(
    what: string,
    request: () => Promise<{ data?: T; error?: unknown; response: Response }>,
  ): Promise<T> {
    let result: { data?: T; error?: unknown; response: Response };
    try {
      result = await request();
    } catch (error) {
      throw connectionError(this.baseUrl, what, error);
    }
    if (result.error !== undefined || !result.response.ok) throw apiError(result.response, result.error, what);
    return result.data as T;
  }
}

function isoTime(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : value;
}

function retryableStatus(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}

/** The API's problem (or, for an answer that is not one, a problem describing it). */
function apiError(response: Response, body: unknown, what: string): HewerApiError {
  if (isProblem(body)) return new HewerApiError(body, what);
  const text = typeof body === "string" ? body : body === undefined ? "" : JSON.stringify(body);
  return new HewerApiError(
    {
      title: response.statusText || "http_error",
      status: response.status,
      detail: `HTTP ${response.status}${text ? `: ${text.slice(0, 500)}` : ""}`,
    },
    what,
  );
}

function isProblem(body: unknown): body is Problem {
  if (typeof body !== "object" || body === null) return false;
  const candidate = body as Record<string, unknown>;
  return typeof candidate.title === "string" && typeof candidate.detail === "string" && typeof candidate.status === "number";
}

function connectionError(baseUrl: string, what: string, error: unknown): Error {
  if (error instanceof Error && error.name === "AbortError") return error;
  const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  return new HewerConnectionError(
    `${what}: cannot reach the Hewer API at ${baseUrl} (${cause}); start it with \`hewer api\` ` +
      `or point ${API_URL_ENV} (or baseUrl) at it`,
    { cause: error },
  );
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
