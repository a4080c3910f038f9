/**
 * The worker: registers its workflows, holds a Listen stream to a dispatcher, runs tasks in
 * slots (docs/protocol.md, "The worker lifecycle").
 *
 * RegisterWorkflow for each workflow, Register (name, actions, slots, labels), then Listen with
 * `hello` first. Assignments run as promises; `started` (unless the task ends within 20 ms) and
 * the outcome go up the stream and wait for their Acks. When the stream breaks the worker reconnects (round robin over its
 * dispatchers, exponential backoff with jitter), re-registers under the same worker_id and sends
 * again the reports not yet acked, while its tasks keep running. `stop()` drains: no new work, a
 * grace period for running tasks, then their signals abort and they are reported as retryable
 * "worker_shutdown" failures.
 */
import { hostname } from "node:os";
import type * as grpc from "@grpc/grpc-js";
import { AuthenticationError, DefinitionError, RegistrationError } from "./errors.js";
import { Execution, executionKey } from "./execution.js";
import type { Ack__Output } from "./generated/proto/hewer/v1/Ack.js";
import type { Assignment__Output } from "./generated/proto/hewer/v1/Assignment.js";
import type { CancelTask__Output } from "./generated/proto/hewer/v1/CancelTask.js";
import type { DispatcherClient } from "./generated/proto/hewer/v1/Dispatcher.js";
import type { DispatcherMessage__Output } from "./generated/proto/hewer/v1/DispatcherMessage.js";
import type { RegisterResponse__Output } from "./generated/proto/hewer/v1/RegisterResponse.js";
import type { RegisterWorkflowResponse__Output } from "./generated/proto/hewer/v1/RegisterWorkflowResponse.js";
import {
  FATAL_CODES,
  callMetadata,
  dispatcherClient,
  isServiceError,
  resolveDispatchers,
  resolveToken,
  statusName,
} from "./grpc.js";
import { type Logger, stderrLogger } from "./logger.js";
import { type ListenCall, Outbox } from "./outbox.js";
import { SDK_VERSION } from "./version.js";
import { type AnyTask, type AnyWorkflow, Task, Workflow } from "./workflow.js";

const DEFAULT_HEARTBEAT_MS = 5000;
/** How long tasks aborted after the grace period get to end before being reported anyway. */
const CANCEL_WAIT_MS = 2000;

export interface WorkerOptions {
  /** The workflows (or standalone tasks) whose steps this worker runs. */
  workflows: ReadonlyArray<AnyWorkflow | AnyTask>;
  /** For people: default "hostname-pid". */
  name?: string;
  /** How many tasks run at once (1 to 10000, default 10). */
  slots?: number;
  /** Dispatcher addresses, tried round robin: a list or comma-separated text. Default:
   * $HEWER_DISPATCHERS, else $HEWER_DISPATCHER, else 127.0.0.1:7077. */
  dispatchers?: string | readonly string[];
  /** The API token every call presents (default $HEWER_TOKEN). */
  token?: string;
  /** Stored with the worker, for people. */
  labels?: Record<string, string>;
  /** How long running tasks get to finish after stop() (default 20 s). */
  shutdownGraceMs?: number;
  /** Deadline of unary calls (default 10 s). */
  rpcTimeoutMs?: number;
  /** Backoff between failed connections: base and cap (default 0.5 s and 30 s). */
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /** How long past a task's lease the worker stops it (null: leave it to the server). */
  leaseGraceMs?: number | null;
  /** How long a stopping worker waits for its last reports to be acknowledged (default 5 s). */
  flushTimeoutMs?: number;
  logger?: Logger;
}


/** Runs the tasks of some workflows, `slots` at a time, for any of its dispatchers. */
export class Worker {
  readonly name: string;
  readonly slots: number;
  readonly workflows: readonly AnyWorkflow[];
  readonly dispatchers: readonly string[];
  workerId: string | null = null;
  /** The id the current (or last) dispatcher gave itself, for logs. */
  dispatcherId: string | null = null;
  /** The address of the dispatcher whose stream is open, null while disconnected. */
  connectedTo: string | null = null;
  /** The version each workflow registered as. */
  readonly registeredVersions = new Map<string, number>();

  private readonly token: string | null;
  private readonly labels: Record<string, string>;
  private readonly shutdownGraceMs: number;
  private readonly rpcTimeoutMs: number;
  private readonly reconnectBaseMs: number;
  private readonly reconnectMaxMs: number;
  private readonly leaseGraceMs: number | null;
  private readonly flushTimeoutMs: number;
  private readonly logger: Logger;
  private readonly actionMap: Map<string, AnyTask>;
  private readonly outbox: Outbox;
  private readonly executions = new Map<string, Execution>();
  private readonly held = new Map<string, Assignment__Output>();

  private heartbeatMs = DEFAULT_HEARTBEAT_MS;
  private main: Promise<void> | null = null;
  private call: ListenCall | null = null;
  private draining = false;
  private flushing = false;
  private closing = false;
  private stopRequested = false;
  private lastReceived = 0;
  private beatAcked = false;
  private lastBeatId = 0;
  private readonly connectedSignal = new Latch();
  private readonly stopSignal = new Latch();
  private readonly forceSignal = new Latch();
  private readonly closingSignal = new Latch();
  private idleWaiters: Array<() => void> = [];

  constructor(options: WorkerOptions) {
    this.name = options.name ?? `${hostname()}-${process.pid}`;
    if (this.name.length < 1 || this.name.length > 200) {
      throw new DefinitionError(`worker name must be 1 to 200 characters, got ${JSON.stringify(this.name)}`);
    }
    const slots = options.slots ?? 10;
    if (!Number.isInteger(slots) || slots < 1 || slots > 10_000) {
      throw new DefinitionError(`slots must be an integer from 1 to 10000, got ${slots}`);
    }
    this.slots = slots;
    this.workflows = collectWorkflows(options.workflows);
    if (!this.workflows.length) {
      throw new DefinitionError("a worker needs at least one workflow or task to run: pass workflows: [...]");
    }
    this.actionMap = mapActions(this.workflows);
    if (!this.actionMap.size) {
      throw new DefinitionError(
        "the worker's workflows have only external steps: give it a workflow with at least one task function",
      );
    }
    this.dispatchers = resolveDispatchers(options.dispatchers);
    this.token = resolveToken(options.token);
    this.labels = { ...(options.labels ?? {}) };
    this.shutdownGraceMs = options.shutdownGraceMs ?? 20_000;
    this.rpcTimeoutMs = options.rpcTimeoutMs ?? 10_000;
    this.reconnectBaseMs = options.reconnectBaseMs ?? 500;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 30_000;
    this.leaseGraceMs = options.leaseGraceMs === undefined ? 5000 : options.leaseGraceMs;
    this.flushTimeoutMs = options.flushTimeoutMs ?? 5000;
    this.logger = options.logger ?? stderrLogger();
    this.outbox = new Outbox(this.logger);
  }

  /** The actions this worker registers (sorted). */
  get actions(): string[] {
    return [...this.actionMap.keys()].sort();
  }

  /** Whether a stream to a dispatcher is open. */
  get connected(): boolean {
    return this.call !== null;
  }

  /** Tasks running now. */
  get running(): number {
    return this.executions.size;
  }

  /** What heartbeats report: free slots, or 0 once stopping. */
  get freeSlots(): number {
    return this.draining ? 0 : Math.max(0, this.slots - this.executions.size);
  }

  /**
   * Register the workflows and the worker and open the stream; resolves once connected.
   * Retries unreachable dispatchers forever; rejects with RegistrationError or
   * AuthenticationError when a dispatcher refuses the workflows, the worker or the token.
   */
  async start(): Promise<void> {
    if (this.closingSignal.isSet && !this.main) throw new Error("this worker has stopped; create a new Worker");
    if (!this.main) this.main = this.lifecycle();
    await Promise.race([this.connectedSignal.wait(), this.main]);
  }

  /**
   * Start, then run until stopped: SIGTERM or SIGINT (unless `signals` is false) stops the
   * worker gracefully, a second one skips the rest of the grace period.
   */
  async run({ signals = true }: { signals?: boolean } = {}): Promise<void> {
    const onSignal = (signal: NodeJS.Signals): void => {
      this.logger.info(`${signal}: stopping (send it again to stop at once)`);
      void this.stop();
    };
    if (signals) {
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    }
    try {
      await this.start();
      await this.closed();
    } finally {
      if (signals) {
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
      }
    }
  }

  /**
   * Stop gracefully: take no new work, let running tasks finish within the grace period, then
   * abort the rest and report them for retry. A second call skips the rest of the grace period.
   * Resolves once the worker has closed.
   */
  async stop(): Promise<void> {
    if (this.stopRequested) {
      this.logger.warn("stopping now: aborting the tasks still running");
      this.forceSignal.set();
    }
    this.stopRequested = true;
    this.stopSignal.set();
    await this.closed();
  }

  /** Resolves once the worker has stopped (rejects with what stopped it, if it failed). */
  async closed(): Promise<void> {
    if (this.main) await this.main;
  }

  // --- lifecycle --------------------------------------------------------------------------

  private async lifecycle(): Promise<void> {
    if (this.stopRequested) {
      this.closingSignal.set();
      return;
    }
    let supervisorDone = false;
    const supervisor = this.supervise().finally(() => {
      supervisorDone = true;
    });
    try {
      await Promise.race([supervisor, this.stopSignal.wait()]).catch(() => undefined);
      if (supervisorDone) {
        // A dispatcher refused the worker for good: nothing it runs could be reported.
        for (const execution of this.executions.values()) execution.stop("lease_lost", "the worker failed");
        await supervisor;
        return;
      }
      await this.drain();
      this.closing = true;
      this.closingSignal.set();
      this.outbox.endStream();
      await pause(5000, supervisor.catch(() => undefined));
      if (!supervisorDone) this.call?.cancel();
      await supervisor.catch((error: unknown) => {
        this.logger.warn(`while stopping: ${describeError(error)}`);
      });
      this.logger.info(`worker ${this.name} stopped`);
    } finally {
      this.closing = true;
      this.closingSignal.set();
    }
  }

  private async drain(): Promise<void> {
    this.draining = true;
    if (this.outbox.connected) this.sendHeartbeat();
    if (this.executions.size) {
      this.logger.info(`stopping: waiting up to ${this.shutdownGraceMs / 1000}s for ${this.executions.size} running task(s)`);
      await pause(this.shutdownGraceMs, this.idle(), this.forceSignal.wait());
    }
    if (this.executions.size) {
      this.logger.warn(`stopping: aborting ${this.executions.size} task(s) still running`);
      for (const execution of this.executions.values()) execution.stop("shutdown", "the worker is shutting down");
      await pause(CANCEL_WAIT_MS, this.idle());
      for (const execution of [...this.executions.values()]) {
        execution.abandon("worker_shutdown", "the worker shut down before the task ended");
      }
    }
    // Give back the assignments held while draining and half-close the stream, so that the
    // dispatcher answers the last reports and ends the stream without assigning more.
    this.flushing = true;
    for (const assignment of this.held.values()) {
      this.refuse(assignment, "worker_shutdown", "the worker is shutting down");
    }
    this.held.clear();
    this.outbox.endStream();
    if (this.outbox.pendingReports && !(await this.outbox.settled(this.flushTimeoutMs))) {
      this.logger.warn(
        `stopping with ${this.outbox.pendingReports} report(s) not acknowledged by a dispatcher; ` +
          "the server will reclaim those tasks when their leases expire",
      );
    }
  }

  private idle(): Promise<void> {
    if (!this.executions.size) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // --- connection -------------------------------------------------------------------------

  /** Keep a session open, round robin over the dispatchers, backing off while they fail. */
  private async supervise(): Promise<void> {
    let failures = 0;
    let index = 0;
    while (!this.closing) {
      if (this.flushing && !this.outbox.pendingReports) {
        await pause(50, this.closingSignal.wait());
        continue; // stopping, and nothing left to send: no new stream
      }
      const address = this.dispatchers[index % this.dispatchers.length] ?? "";
      index++;
      let established = false;
      try {
        established = await this.session(address);
      } catch (error) {
        if (error instanceof RegistrationError || error instanceof AuthenticationError) throw error;
        this.logger.warn(`dispatcher ${address}: ${describeError(error)}`);
      }
      if (this.closing) return;
      failures = established ? 0 : failures + 1;
      const wait = Math.min(this.reconnectMaxMs, this.reconnectBaseMs * 2 ** Math.max(0, failures - 1));
      const jittered = wait * (0.5 + Math.random() * 0.5);
      this.logger.info(`reconnecting in ${(jittered / 1000).toFixed(1)}s`);
      await pause(jittered, this.closingSignal.wait());
    }
  }

  /** One connection: register, stream until it ends. True once the stream had opened. */
  private async session(address: string): Promise<boolean> {
    const client = dispatcherClient(address);
    try {
      await this.registerWorkflows(client, address);
      await this.register(client, address);
      if (this.closing) return true;
      await this.listen(client, address);
      return true;
    } finally {
      client.close();
    }
  }

  private listen(client: DispatcherClient, address: string): Promise<void> {
    const call = client.Listen(callMetadata(this.token));
    this.call = call;
    this.connectedTo = address;
    this.lastReceived = Date.now();
    this.beatAcked = false;
    // Everything this worker still has: the dispatcher hands back to the queue what else the
    // database holds for this id (tasks a previous process under it lost).
    const held = new Map<string, number>();
    for (const e of this.executions.values()) held.set(`${e.taskId}:${e.attempt}`, e.attempt);
    for (const [taskId, attempt] of this.outbox.reportedTasks()) held.set(`${taskId}:${attempt}`, attempt);
    this.outbox.attach(call, {
      hello: {
        worker_id: this.workerId ?? "",
        reconcile: true,
        // It reads DispatcherMessage.batch: a claim's assignments come as one message.
        batches: true,
        held: [...held.keys()].map((key) => ({
          task_id: key.slice(0, key.lastIndexOf(":")),
          attempt: held.get(key) ?? 0,
        })),
      },
    });
    if (this.flushing) this.outbox.endStream(); // stopping: send the pending reports, then close
    this.connectedSignal.set();
    this.logger.info(
      `worker ${this.name} connected to ${address} as ${this.workerId} ` +
        `(${this.slots} slots, actions: ${this.actions.join(", ")})`,
    );
    return new Promise<void>((resolve) => {
      const beat = setInterval(() => {
        const silence = Date.now() - this.lastReceived;
        // A dispatcher that acks heartbeats answers at least once per interval; once it has, a
        // silence of three intervals means the connection is dead even if TCP has not noticed.
        if (this.beatAcked && silence > Math.max(3 * this.heartbeatMs, 10_000)) {
          this.logger.warn(`no message from the dispatcher for ${Math.round(silence / 1000)}s: reconnecting`);
          call.cancel();
          return;
        }
        this.sendHeartbeat();
      }, this.heartbeatMs);
      this.sendHeartbeat();
      call.on("data", (message: DispatcherMessage__Output) => {
        this.lastReceived = Date.now();
        this.dispatch(message);
      });
      call.on("error", (error: grpc.ServiceError) => {
        if (error.code === 16 /* UNAUTHENTICATED */) {
          this.logger.error(`dispatcher ${address} refused the token: ${error.details}`);
        } else if (!this.closing) {
          this.logger.warn(`stream to ${address} broke: ${statusName(error.code)}: ${error.details}`);
        }
      });
      call.on("status", (status: grpc.StatusObject) => {
        clearInterval(beat);
        if (status.code === 0 && !this.closing && !this.flushing) {
          this.logger.warn(`dispatcher ${address} closed the stream`);
        }
        if (this.call === call) {
          this.call = null;
          this.connectedTo = null;
        }
        this.connectedSignal.reset();
        this.outbox.detach();
        resolve();
      });
    });
  }

  private async registerWorkflows(client: DispatcherClient, address: string): Promise<void> {
    for (const wf of this.workflows) {
      if (this.registeredVersions.has(wf.name)) continue;
      const response = await this.unary<RegisterWorkflowResponse__Output>("RegisterWorkflow", address, (metadata, options, callback) =>
        client.RegisterWorkflow({ name: wf.name, spec_json: wf.specJson() }, metadata, options, callback),
      );
      this.registeredVersions.set(wf.name, response.version);
      this.logger.info(`workflow ${wf.name}: version ${response.version} (${response.created ? "new" : "unchanged"})`);
      if (response.current_version && response.current_version !== response.version) {
        this.logger.warn(
          `workflow ${wf.name}: this worker's definition is version ${response.version}, but version ` +
            `${response.current_version} is current, and new runs use it: they wait for its actions ` +
            `unless a worker serves them. To make this definition current again: ` +
            `hewer workflows rollback ${wf.name} --to ${response.version}`,
        );
      }
    }
  }

  private async register(client: DispatcherClient, address: string): Promise<void> {
    const response = await this.unary<RegisterResponse__Output>("Register", address, (metadata, options, callback) =>
      client.Register(
        {
          name: this.name,
          actions: this.actions,
          slots: this.slots,
          labels: this.labels,
          sdk_version: SDK_VERSION,
          worker_id: this.workerId ?? "",
        },
        metadata,
        options,
        callback,
      ),
    );
    if (this.workerId && response.worker_id !== this.workerId) {
      this.logger.warn(
        `dispatcher gave a new worker id ${response.worker_id} (was ${this.workerId}): ` +
          "reports of running tasks will be rejected",
      );
    }
    this.workerId = response.worker_id;
    this.dispatcherId = response.dispatcher_id || address;
    this.heartbeatMs = response.heartbeat_interval_ms || DEFAULT_HEARTBEAT_MS;
  }

  /** A unary call with the token and a deadline; fatal statuses become RegistrationError. */
  private unary<T>(
    method: string,
    address: string,
    invoke: (metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<T>) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      invoke(callMetadata(this.token), { deadline: Date.now() + this.rpcTimeoutMs }, (error, response) => {
        if (error) {
          const detail = `${statusName(error.code)}: ${error.details}`;
          if (error.code === 16 /* UNAUTHENTICATED */) {
            reject(
              new AuthenticationError(
                `dispatcher ${address} refused the API token in ${method}: ${detail}; ` +
                  "pass a valid token (token option or HEWER_TOKEN, from `hewer tokens create`)",
              ),
            );
          } else if (FATAL_CODES.has(error.code)) {
            reject(new RegistrationError(`dispatcher ${address} rejected ${method} of worker ${this.name}: ${detail}`));
          } else {
            reject(error);
          }
        } else if (response === undefined) {
          reject(new Error(`dispatcher ${address} sent no answer to ${method}`));
        } else {
          resolve(response);
        }
      });
    });
  }

  private sendHeartbeat(): void {
    if (!this.outbox.connected) return;
    this.outbox.forget(this.lastBeatId);
    this.lastBeatId = this.outbox.send(
      { heartbeat: { free_slots: this.freeSlots } },
      { onAck: () => this.onHeartbeatAck(), resend: false },
    );
  }

  private onHeartbeatAck(): void {
    this.beatAcked = true;
  }

  // --- messages from the dispatcher -------------------------------------------------------

  private dispatch(message: DispatcherMessage__Output): void {
    if (message.batch) for (const inner of message.batch.messages) this.dispatch(inner);
    else if (message.ack) this.onAck(message.ack);
    else if (message.assignment) this.onAssignment(message.assignment);
    else if (message.cancel) this.onCancel(message.cancel);
    else if (message.error) {
      this.outbox.onError(message.error);
      if (message.error.code === "shutting_down") {
        // Half-close: the dispatcher answers what is in flight and ends the stream; the worker
        // then moves on to the next dispatcher of its list.
        this.logger.info(`dispatcher ${this.dispatcherId} is shutting down: moving on`);
        this.outbox.endStream();
      }
    }
  }

  private onAck(ack: Ack__Output): void {
    this.outbox.onAck(ack);
  }

  private onAssignment(assignment: Assignment__Output): void {
    const key = executionKey(assignment.task_id, assignment.attempt);
    if (this.executions.has(key) || this.held.has(key)) return; // the same assignment again
    if (this.flushing) {
      // The stream is half-closed: this can no longer be reported. The server reclaims it once
      // this worker stops heartbeating.
      this.logger.warn(`task ${assignment.task_id} arrived after the worker stopped: left to the server`);
      return;
    }
    if (this.draining) {
      // Held, unstarted, until the drain ends: refusing at once would free the slot for the
      // next assignment, and every refusal uses up one attempt of its task.
      this.held.set(key, assignment);
      return;
    }
    const task = this.actionMap.get(assignment.action);
    if (!task) {
      this.refuse(assignment, "unknown_action", `worker ${this.name} has no action '${assignment.action}'`);
      return;
    }
    const execution = new Execution(assignment, task, this.outbox, this.logger, this.leaseGraceMs, (done) =>
      this.onExecutionDone(done),
    );
    this.executions.set(key, execution);
    execution.start();
  }

  private refuse(assignment: Assignment__Output, type: string, message: string): void {
    this.logger.warn(`refusing task ${assignment.task_id} (${assignment.action}): ${message}`);
    this.outbox.send({
      failed: {
        task_id: assignment.task_id,
        attempt: assignment.attempt,
        error_json: JSON.stringify({ type, message }),
        retryable: true,
      },
    });
  }

  private onCancel(cancel: CancelTask__Output): void {
    let execution = this.executions.get(executionKey(cancel.task_id, cancel.attempt));
    if (!execution && !cancel.attempt) {
      execution = [...this.executions.values()].find((e) => e.taskId === cancel.task_id);
    }
    if (!execution) {
      this.logger.debug(`cancel for task ${cancel.task_id}, which is not running here`);
      return;
    }
    execution.stop("cancel", cancel.reason || "cancelled");
  }

  private onExecutionDone(execution: Execution): void {
    if (this.executions.get(execution.key) === execution) this.executions.delete(execution.key);
    if (!this.executions.size) for (const waiter of this.idleWaiters.splice(0)) waiter();
  }
}

/** The workflows among workflows and tasks (a task stands for its workflow), deduplicated. */
function collectWorkflows(items: ReadonlyArray<AnyWorkflow | AnyTask>): AnyWorkflow[] {
  const found: AnyWorkflow[] = [];
  for (const item of items) {
    const wf: AnyWorkflow = item instanceof Task ? item.workflow : (item as AnyWorkflow);
    if (!(wf instanceof Workflow)) {
      throw new DefinitionError(`a worker runs workflows and tasks, got ${String(wf)}`);
    }
    if (!found.includes(wf)) found.push(wf);
  }
  return found;
}

function mapActions(workflows: readonly AnyWorkflow[]): Map<string, AnyTask> {
  const names = new Set<string>();
  const actions = new Map<string, AnyTask>();
  for (const wf of workflows) {
    if (names.has(wf.name)) {
      throw new DefinitionError(`two different workflows are named '${wf.name}'; workflow names must be unique`);
    }
    names.add(wf.name);
    wf.validate();
    for (const task of wf.tasks) {
      if (task.fn === null) continue; // an external step: other workers serve its action
      const other = actions.get(task.action);
      if (other && other.fn !== task.fn) {
        throw new DefinitionError(
          `action '${task.action}' is defined twice with different functions ` +
            `(${other.workflow.name}.${other.name} and ${wf.name}.${task.name}); give one of them another action`,
        );
      }
      if (!other) actions.set(task.action, task);
    }
  }
  return actions;
}

function describeError(error: unknown): string {
  if (isServiceError(error)) return `${statusName(error.code)}: ${error.details}`;
  return error instanceof Error ? error.message : String(error);
}

/** Resolves after `ms`, or as soon as one of `early` settles; never leaves a timer behind. */
async function pause(ms: number, ...early: Array<Promise<unknown>>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), ...early]);
  } finally {
    clearTimeout(timer);
  }
}

/** A flag that can be awaited. */
class Latch {
  private promise: Promise<void>;
  private release: () => void = () => undefined;
  isSet = false;

  constructor() {
    this.promise = this.fresh();
  }

  private fresh(): Promise<void> {
    return new Promise((resolve) => {
      this.release = resolve;
    });
  }

  set(): void {
    this.isSet = true;
    this.release();
  }

  reset(): void {
    if (this.isSet) {
      this.isSet = false;
      this.promise = this.fresh();
    }
  }

  wait(): Promise<void> {
    return this.promise;
  }
}
