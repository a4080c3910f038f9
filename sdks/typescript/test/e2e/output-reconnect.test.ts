/** ctx.stream across a dispatcher killed mid-stream: the chunks not yet acked are sent again. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { roaming } from "../fixtures/flows.js";
import { client, env, marks, startWorker, waitFor } from "../helpers.js";

test("kill -9 of the worker's dispatcher mid-stream: every chunk is stored once, in seq order", { timeout: 60_000 }, async () => {
  const hewer = client();
  const [first, second] = env("HEWER_DISPATCHERS").split(",");
  const [firstPid] = env("HEWER_TEST_DISPATCHER_PIDS").split(",").map(Number);
  const worker = await startWorker({ name: "stream-roaming", workflows: [roaming], slots: 2 });
  try {
    assert.equal(worker.connectedTo, first);
    const { run_id } = await hewer.trigger("ts_stream_roam");
    await waitFor(() => marks(`roam.${run_id}.started`).length, 30_000, "the task to stream 10 lines");
    process.kill(firstPid ?? 0, "SIGKILL");
    await waitFor(() => worker.connectedTo === second, 15_000, "the worker to move to the second dispatcher");

    const run = await hewer.waitForRun(run_id, { timeoutMs: 30_000 });
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    const chunks = [];
    for await (const chunk of hewer.output(run_id)) chunks.push(chunk);
    const expected = Array.from({ length: 60 }, (_, i) => i + 1);
    assert.deepEqual(
      chunks.map((c) => c.seq),
      expected,
    );
    assert.equal(chunks.map((c) => c.data).join(""), expected.map((i) => `line ${i}\n`).join(""));
  } finally {
    await worker.stop();
  }
});
