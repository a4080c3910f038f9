/**
 * Messages from a worker to its dispatcher, kept across reconnects until acknowledged.
 *
 * Reports (started, completed, failed, refresh) and output chunks (stream) carry a request_id
 * and stay here until their Ack arrives: when the stream breaks, every unacked one is sent
 * again, in order, on the next one (docs/protocol.md, "Reconnecting"). Log lines are not
 * acked: they wait in a bounded backlog while disconnected. Heartbeats go out only while
 * connected: a stale one means nothing.
 */
import type { ClientDuplexStream } from "@grpc/grpc-js";
import type { Ack__Output } from "./generated/proto/hewer/v1/Ack.js";
import type { DispatcherMessage__Output } from "./generated/proto/hewer/v1/DispatcherMessage.js";
import type { StreamError__Output } from "./generated/proto/hewer/v1/StreamError.js";
import type { WorkerMessage } from "./generated/proto/hewer/v1/WorkerMessage.js";
import type { Logger } from "./logger.js";

export type ListenCall = ClientDuplexStream<WorkerMessage, DispatcherMessage__Output>;
export type AckHandler = (ack: Ack__Output) => void;

interface Pending {
  message: WorkerMessage;
  onAck: AckHandler | undefined;
  resend: boolean;
}

export interface SendOptions {
  /** Called with the message's Ack (without one, a rejection is logged). */
  onAck?: AckHandler;
  /** Give the message a request_id and wait for its Ack (default true). */
  ack?: boolean;
  /** Send it again on the next stream until acked (default true; false for heartbeats). */
  resend?: boolean;
}

export class Outbox {
  private nextId = 1;
  private readonly unacked = new Map<number, Pending>();
  private readonly logs: WorkerMessage[] = [];
  private call: ListenCall | null = null;
  private ended = false;
  private settledWaiters: Array<() => void> = [];

  constructor(
    private readonly logger: Logger,
    private readonly logBacklog = 10_000,
  ) {}

  /** Whether a stream is attached (messages go out now rather than later). */
  get connected(): boolean {
    return this.call !== null && !this.ended;
  }

  /** Reports not yet acked (they will be sent again after a reconnect). */
  get pendingReports(): number {
    let count = 0;
    for (const pending of this.unacked.values()) if (pending.resend) count++;
    return count;
  }

  /** Queue a message; returns its request_id (0 when no Ack is wanted). */
  send(message: WorkerMessage, options: SendOptions = {}): number {
    const { onAck, ack = true, resend = true } = options;
    let requestId = 0;
    if (ack) {
      requestId = this.nextId++;
      if (resend || this.connected) this.unacked.set(requestId, { message, onAck, resend });
    }
    message.request_id = requestId;
    if (this.connected && this.call) {
      this.call.write(message);
    } else if (message.log) {
      this.logs.push(message);
      if (this.logs.length > this.logBacklog) this.logs.shift();
    }
    return requestId;
  }

  /** [task_id, attempt] of the reports not yet acked: the worker still has those tasks. */
  reportedTasks(): Array<[string, number]> {
    const held: Array<[string, number]> = [];
    for (const pending of this.unacked.values()) {
      if (!pending.resend) continue;
      const m = pending.message;
      const report = m.started ?? m.completed ?? m.failed ?? m.refresh ?? m.stream;
      if (report?.task_id) held.push([report.task_id, Number(report.attempt ?? 0)]);
    }
    return held;
  }

  /** Stop waiting for the Ack of a message that is no longer of interest. */
  forget(requestId: number): void {
    this.unacked.delete(requestId);
    this.checkSettled();
  }

  /** A new stream: `hello` first, then every unacked report in order, then the logs kept. */
  attach(call: ListenCall, hello: WorkerMessage): void {
    this.call = call;
    this.ended = false;
    hello.request_id = this.nextId++;
    this.unacked.set(hello.request_id, { message: hello, onAck: undefined, resend: false });
    call.write(hello);
    for (const id of [...this.unacked.keys()].sort((a, b) => a - b)) {
      const pending = this.unacked.get(id);
      if (pending?.resend) call.write(pending.message);
    }
    for (const line of this.logs.splice(0)) call.write(line);
  }

  /** The stream ended: forget the Acks that will not come (heartbeats, hello). */
  detach(): void {
    this.call = null;
    this.ended = false;
    for (const [id, pending] of this.unacked) if (!pending.resend) this.unacked.delete(id);
    this.checkSettled();
  }

  /** Half-close the current stream once what is queued has been written. */
  endStream(): void {
    if (this.call && !this.ended) {
      this.ended = true;
      this.call.end();
    }
  }

  /** An Ack arrived: settle its message and tell its handler. */
  onAck(ack: Ack__Output): void {
    const pending = this.unacked.get(ack.request_id);
    if (!pending) return;
    this.unacked.delete(ack.request_id);
    this.checkSettled();
    if (pending.onAck) {
      pending.onAck(ack);
    } else if (!ack.accepted && ack.reason !== "duplicate") {
      // "duplicate" answers a report sent again after a reconnect: expected, not a problem.
      this.logger.warn(
        `dispatcher rejected ${pending.message.body ?? bodyOf(pending.message)} ` +
          `(request ${ack.request_id}): ${ack.reason || "no reason given"}`,
      );
    }
  }

  /** A StreamError: logged; when it names a message, that message counts as rejected. */
  onError(error: StreamError__Output): void {
    this.logger.warn(
      `dispatcher stream error ${error.code} (request ${error.request_id}): ${error.message}`,
    );
    if (error.request_id && this.unacked.has(error.request_id)) {
      this.onAck({
        request_id: error.request_id,
        accepted: false,
        reason: error.code,
        timeout_at_unix_ms: 0,
      });
    }
  }

  /** Wait up to `timeoutMs` for every report to be acked; whether they all were. */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.pendingReports === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settledWaiters = this.settledWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.settledWaiters.push(done);
    });
  }

  private checkSettled(): void {
    if (this.pendingReports === 0 && this.settledWaiters.length) {
      for (const waiter of this.settledWaiters.splice(0)) waiter();
    }
  }
}

function bodyOf(message: WorkerMessage): string {
  for (const key of ["started", "completed", "failed", "refresh", "stream", "log", "heartbeat", "hello"] as const) {
    if (message[key]) return key;
  }
  return "message";
}
