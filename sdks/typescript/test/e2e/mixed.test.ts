/** One run across both SDKs: Python serves prepare and finish, this SDK serves transform. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { mixed } from "../fixtures/flows.js";
import { client, env, startWorker } from "../helpers.js";

test("a Python worker and a TypeScript worker serve different steps of one run", { timeout: 60_000 }, async () => {
  const hewer = client();
  const worker = await startWorker({ name: "mixed-ts", workflows: [mixed], slots: 2 });
  try {
    assert.deepEqual(worker.actions, ["ts_mixed:transform"]);
    const { run_id } = await hewer.trigger("ts_mixed", { text: "hello from two languages" });
    const run = await hewer.waitForRun(run_id, { timeoutMs: 30_000 });
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    const output = run.output as Record<string, { pid: number; sdk: string; words?: string[]; sentence?: string }>;
    const pythonPid = Number(env("HEWER_TEST_PYTHON_PID"));
    assert.deepEqual(output.prepare, { words: ["hello", "from", "two", "languages"], pid: pythonPid, sdk: "python" });
    assert.deepEqual(output.transform, { words: ["HELLO", "FROM", "TWO", "LANGUAGES"], pid: process.pid, sdk: "typescript" });
    assert.deepEqual(output.finish, { sentence: "HELLO FROM TWO LANGUAGES!", pid: pythonPid, sdk: "python" });
  } finally {
    await worker.stop();
  }
});
