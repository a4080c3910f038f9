/** A run cancelled through the HTTP client: the running task's AbortSignal fires. */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cancellable } from "../fixtures/flows.js";
import { client, startWorker, testDir, waitFor, waitForEvent } from "../helpers.js";

test("cancel() reaches the running task as an aborted signal; the run ends cancelled", { timeout: 60_000 }, async () => {
  const hewer = client();
  const worker = await startWorker({ name: "cancel-worker", workflows: [cancellable], slots: 2 });
  try {
    const { run_id } = await hewer.trigger("ts_cancel");
    const started = await waitForEvent(hewer, run_id, (e) => e.kind === "started");
    assert.ok(existsSync(join(testDir(), `cancel.${started.task_id}.started`)));

    const cancelled = await hewer.cancel(run_id);
    assert.deepEqual(cancelled, { run_id, cancelled: true, status: "cancelled" });
    const aborted = join(testDir(), `cancel.${started.task_id}.aborted`);
    await waitFor(() => existsSync(aborted), 15_000, "the task's signal to abort");
    assert.deepEqual(JSON.parse(readFileSync(aborted, "utf8")), { aborted: true, kind: "cancel" });

    const run = await hewer.waitForRun(run_id, { timeoutMs: 15_000 });
    assert.equal(run.status, "cancelled");
    // The worker reported the task stopped: cancelled, with its error, and the slot is free.
    const task = await waitFor(async () => {
      const now = await hewer.getRun(run_id);
      const found = now.tasks.find((t) => t.step === "wait");
      return found?.status === "cancelled" ? found : null;
    }, 15_000, "the task to be cancelled");
    assert.equal(task.attempt, 1);
    await waitFor(() => worker.running === 0, 5000, "the worker to free the slot");
    // Cancelling again changes nothing.
    assert.deepEqual(await hewer.cancel(run_id), { run_id, cancelled: false, status: "cancelled" });
  } finally {
    await worker.stop();
  }
});
