/** A dispatcher killed under a worker: the worker moves to the next one of its list. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { graceful } from "../fixtures/flows.js";
import { client, env, marks, startWorker, waitFor } from "../helpers.js";

test("kill -9 of the worker's dispatcher: it reconnects to the next, the running task reports there", { timeout: 60_000 }, async () => {
  const hewer = client();
  const [first, second] = env("HEWER_DISPATCHERS").split(",");
  const [firstPid] = env("HEWER_TEST_DISPATCHER_PIDS").split(",").map(Number);
  const worker = await startWorker({ name: "roaming", workflows: [graceful], slots: 2 });
  try {
    assert.equal(worker.connectedTo, first);
    const workerId = worker.workerId;
    const { run_id } = await hewer.trigger("ts_graceful");
    await waitFor(() => marks(`slow.1.${process.pid}.started`).length, 30_000, "the task to start");

    process.kill(firstPid ?? 0, "SIGKILL");
    await waitFor(() => worker.connectedTo === second, 15_000, "the worker to move to the second dispatcher");
    assert.equal(worker.workerId, workerId, "the same worker, registered again");

    // The task kept running; its completion went up the new stream: no second attempt.
    const run = await hewer.waitForRun(run_id, { timeoutMs: 30_000 });
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    assert.deepEqual(run.output, { slow: { attempt: 1, pid: process.pid } });

    const next = await hewer.trigger("ts_graceful");
    assert.equal((await hewer.waitForRun(next.run_id, { timeoutMs: 30_000 })).status, "succeeded");
  } finally {
    await worker.stop();
  }
});
