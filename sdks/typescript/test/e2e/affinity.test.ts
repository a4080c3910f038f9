/**
 * Worker affinity (docs/affinity.md) with workers of this SDK: a step's workerLabels keep its
 * tasks on the worker whose labels match; a hard-sticky run stays on one worker.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Worker, workflow } from "../../src/index.js";
import { client, startWorker } from "../helpers.js";

const hewer = client();

/**
 * The same definitions for each worker (the same specs, so one version), their functions
 * returning which worker ran them.
 */
function flows(worker: string, attempts: Array<[string, number]>) {
  const gpu = workflow("ts_affinity_gpu");
  gpu.task("render", { workerLabels: { gpu: "a100" }, retries: 1, backoff: { base: 0.1, max: 0.1 } }, (_input, ctx) => {
    attempts.push([worker, ctx.attempt]);
    if (ctx.attempt === 1) throw new Error("attempt 1 fails on purpose");
    return worker;
  });
  const anywhere = workflow("ts_affinity_anywhere");
  anywhere.task("plain", () => worker);
  const sticky = workflow("ts_affinity_sticky", { sticky: "hard" });
  const first = sticky.task("first", () => worker);
  const second = sticky.task("second", { parents: [first], preferredLabels: { gpu: ["a100", 10] } }, () => worker);
  sticky.task("third", { parents: [second] }, () => worker);
  return [gpu, anywhere, sticky];
}

test("a step with workerLabels runs only on a worker with those labels", { timeout: 90_000 }, async () => {
  const attempts: Array<[string, number]> = [];
  const workers: Worker[] = [];
  try {
    workers.push(await startWorker({ name: "cpu", workflows: flows("cpu", attempts), labels: { gpu: "none" } }));
    const first = await hewer.trigger("ts_affinity_anywhere");
    assert.equal((await hewer.waitForRun(first.run_id, { timeoutMs: 30_000 })).status, "succeeded");
    const runs = await Promise.all([1, 2, 3].map(() => hewer.trigger("ts_affinity_gpu")));
    // The cpu worker runs the work queued behind the gpu tasks, and none of them.
    const later = await hewer.trigger("ts_affinity_anywhere");
    assert.deepEqual((await hewer.waitForRun(later.run_id, { timeoutMs: 30_000 })).output, { plain: "cpu" });
    assert.deepEqual(attempts, []);

    workers.push(await startWorker({ name: "gpu", workflows: flows("gpu", attempts), labels: { gpu: "a100" } }));
    for (const { run_id } of runs) {
      const run = await hewer.waitForRun(run_id, { timeoutMs: 30_000 });
      assert.equal(run.status, "succeeded", JSON.stringify(run.error));
      assert.deepEqual(run.output, { render: "gpu" });
    }
    assert.deepEqual(
      attempts.sort(),
      [1, 1, 1, 2, 2, 2].map((attempt) => ["gpu", attempt]),
    );

    // Each hard-sticky run's steps all run on the worker that took its first step.
    const sticky = await Promise.all(Array.from({ length: 8 }, () => hewer.trigger("ts_affinity_sticky")));
    for (const { run_id } of sticky) {
      const run = await hewer.waitForRun(run_id, { timeoutMs: 30_000 });
      assert.equal(run.status, "succeeded", JSON.stringify(run.error));
      const output = run.output as Record<string, string>;
      assert.equal(new Set([output.first, output.second, output.third]).size, 1, JSON.stringify(output));
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
});
