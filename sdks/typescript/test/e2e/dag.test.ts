/** A 3-step DAG triggered over HTTP and run by a worker of this SDK; the client's event stream. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Hewer, type RunEvent, type Worker } from "../../src/index.js";
import { dag, fatal, lease, retry, unrefreshed } from "../fixtures/flows.js";
import { client, startWorker } from "../helpers.js";

const hewer = client();
let worker: Worker;

before(async () => {
  worker = await startWorker({ name: "dag-worker", workflows: [dag, retry, fatal, lease, unrefreshed], slots: 4 });
});
after(async () => {
  await worker.stop();
});

test("a DAG triggered over HTTP runs on the worker, outputs flowing parent to child", { timeout: 60_000 }, async () => {
  const { run_id, created } = await hewer.trigger("ts_dag", { n: 21 }, { metadata: { suite: "ts" }, idempotencyKey: "dag-1" });
  assert.equal(created, true);
  const again = await hewer.trigger("ts_dag", { n: 21 }, { idempotencyKey: "dag-1" });
  assert.deepEqual(again, { run_id, created: false });

  const run = await hewer.waitForRun(run_id, { timeoutMs: 30_000 });
  assert.equal(run.status, "succeeded");
  const output = run.output as Record<string, unknown>;
  assert.deepEqual(output.fetch, { n: 21, pid: process.pid });
  assert.equal(output.double, 42);
  assert.deepEqual(output.report, { sum: 63, step: "report", attempt: 1 });
  assert.deepEqual(run.tasks.map((t) => [t.step, t.status]).sort(), [
    ["double", "succeeded"],
    ["fetch", "succeeded"],
    ["report", "succeeded"],
  ]);
  // ctx.log lines are stored with the run.
  const logs = await hewer.logs(run_id);
  assert.deepEqual(logs.lines.map((l) => [l.step, l.message]), [["fetch", "fetching 21"]]);
  // listRuns filters by workflow, status and tags.
  const page = await hewer.listRuns({ workflow: "ts_dag", status: "succeeded", metadata: { suite: "ts" } });
  assert.deepEqual(page.runs.map((r) => r.run_id), [run_id]);
  assert.equal((await hewer.listRuns({ workflow: "ts_dag", status: ["failed", "cancelled"] })).runs.length, 0);
});

test("watch resumes a broken event stream with Last-Event-ID, each event once", { timeout: 60_000 }, async () => {
  const { run_id } = await hewer.trigger("ts_dag", { n: 2 });
  await hewer.waitForRun(run_id, { timeoutMs: 30_000 });
  const all = await hewer.events(run_id);
  assert.ok(all.length >= 6, `expected the events of 3 tasks, got ${all.length}`);

  // The first stream is cut after two events; the client reconnects with Last-Event-ID.
  const sentLastEventIds: Array<string | null> = [];
  const cutting = new Hewer({
    baseUrl: process.env.HEWER_API_URL ?? "",
    fetch: async (request: Request) => {
      const response = await fetch(request);
      if (!new URL(request.url).pathname.endsWith("/stream")) return response;
      sentLastEventIds.push(request.headers.get("last-event-id"));
      if (sentLastEventIds.length > 1 || !response.body) return response;
      return new Response(cutAfterEvents(response.body, 2), { status: response.status, headers: response.headers });
    },
  });
  const seen: RunEvent[] = [];
  let finished: string | null = null;
  for await (const item of cutting.watch(run_id)) {
    if (item.type === "task") seen.push(item.event);
    else finished = item.run.status;
  }
  assert.equal(finished, "succeeded");
  assert.equal(sentLastEventIds.length, 2, "one reconnection");
  assert.equal(sentLastEventIds[0], null);
  assert.equal(sentLastEventIds[1], seen[1]?.event_id, "resumed after the second event");
  assert.deepEqual(
    seen.map((e) => e.event_id),
    all.map((e) => e.event_id),
  );
});

test("a task that fails once is retried after its backoff and succeeds on attempt 2", { timeout: 60_000 }, async () => {
  const { run_id } = await hewer.trigger("ts_retry");
  const run = await hewer.waitForRun(run_id, { timeoutMs: 30_000 });
  assert.equal(run.status, "succeeded");
  assert.deepEqual(run.output, { flaky: { attempt: 2 } });
  const events = await hewer.events(run_id);
  const failedAt = events.find((e) => e.kind === "retrying" && e.attempt === 1);
  assert.ok(failedAt, `no retrying event in ${events.map((e) => e.kind).join(", ")}`);
  assert.deepEqual((failedAt.data as { error?: { type?: string; message?: string } }).error?.type, "TypeError");
  const retried = events.find((e) => e.kind === "assigned" && e.attempt === 2);
  assert.ok(retried, "attempt 2 was assigned");
  const gap = Date.parse(retried.created_at) - Date.parse(failedAt.created_at);
  // backoff: base 1 s * factor ** (attempt - 1), no jitter.
  assert.ok(gap >= 950, `attempt 2 came ${gap} ms after the failure, before the 1 s backoff`);
});

test("NonRetryableError fails the run at once, whatever retries remain", { timeout: 60_000 }, async () => {
  const { run_id } = await hewer.trigger("ts_fatal");
  const run = await hewer.waitForRun(run_id, { timeoutMs: 30_000 });
  assert.equal(run.status, "failed");
  const error = run.error as { step: string; attempt: number; error: { type: string; message: string } };
  assert.equal(error.step, "reject");
  assert.equal(error.attempt, 1);
  assert.equal(error.error.type, "invalid_order");
  assert.equal(error.error.message, "the order is malformed");
});

test("refreshTimeout keeps a task past its 1 s lease; without it the task is reaped", { timeout: 60_000 }, async () => {
  const kept = await hewer.trigger("ts_lease");
  const reaped = await hewer.trigger("ts_lease_unrefreshed");
  const [keptRun, reapedRun] = await Promise.all([
    hewer.waitForRun(kept.run_id, { timeoutMs: 30_000 }),
    hewer.waitForRun(reaped.run_id, { timeoutMs: 30_000 }),
  ]);
  assert.equal(keptRun.status, "succeeded", JSON.stringify(keptRun.error));
  const output = (keptRun.output as { long: { refreshes: number; attempt: number } }).long;
  assert.equal(output.attempt, 1);
  assert.ok(output.refreshes >= 5, `only ${output.refreshes} refreshes`);
  assert.equal(reapedRun.status, "failed");
  assert.equal((reapedRun.error as { error: { type: string } }).error.type, "execution_timeout");
});

/** A copy of an SSE body that breaks (errors) right after its first `count` events. */
function cutAfterEvents(body: ReadableStream<Uint8Array>, count: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let text = "";
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      text += decoder.decode(value, { stream: true });
      let end = -2;
      for (let i = 0; i < count && end !== -1; i++) end = text.indexOf("\n\n", end + 2);
      if (end >= 0) {
        controller.enqueue(encoder.encode(text.slice(sent, end + 2)));
        await reader.cancel();
        controller.error(new TypeError("terminated: the test cut the connection"));
        return;
      }
      controller.enqueue(encoder.encode(text.slice(sent)));
      sent = text.length;
    },
  });
}
