/** Workers in their own node processes: killed with SIGKILL mid-task, stopped with SIGTERM. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { client, marks, spawnWorker, waitFor } from "../helpers.js";

test("a task whose worker is killed -9 is retried on another worker and the run succeeds", { timeout: 90_000 }, async () => {
  const hewer = client();
  const first = await spawnWorker("crash-a", ["ts_crash"]);
  const firstPid = first.child.pid ?? 0;
  const { run_id } = await hewer.trigger("ts_crash");
  await waitFor(() => marks(`crunch.1.${firstPid}.started`).length, 30_000, "attempt 1 to start on worker A");

  first.child.kill("SIGKILL");
  assert.deepEqual(await first.exited, { code: null, signal: "SIGKILL" });

  const second = await spawnWorker("crash-b", ["ts_crash"]);
  try {
    const run = await hewer.waitForRun(run_id, { timeoutMs: 60_000 });
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    assert.deepEqual(run.output, { crunch: { attempt: 2, pid: second.child.pid } });
    const events = await hewer.events(run_id);
    const lost = events.find((e) => e.attempt === 1 && e.kind === "retrying");
    assert.ok(lost, `attempt 1 was not retried: ${events.map((e) => `${e.attempt}:${e.kind}`).join(", ")}`);
    assert.equal((lost.data as { error?: { type?: string } }).error?.type, "worker_lost");
  } finally {
    second.child.kill("SIGTERM");
    assert.deepEqual(await second.exited, { code: 0, signal: null });
  }
});

test("SIGTERM lets the running task finish, then the worker leaves", { timeout: 60_000 }, async () => {
  const hewer = client();
  const worker = await spawnWorker("graceful", ["ts_graceful"]);
  const pid = worker.child.pid ?? 0;
  const { run_id } = await hewer.trigger("ts_graceful");
  await waitFor(() => marks(`slow.1.${pid}.started`).length, 30_000, "the task to start");
  worker.child.kill("SIGTERM");
  assert.deepEqual(await worker.exited, { code: 0, signal: null });
  const run = await hewer.waitForRun(run_id, { timeoutMs: 10_000 });
  assert.equal(run.status, "succeeded");
  assert.deepEqual(run.output, { slow: { attempt: 1, pid } });
});

test("SIGTERM past the grace period hands the task back for a retry elsewhere", { timeout: 60_000 }, async () => {
  const hewer = client();
  const impatient = await spawnWorker("impatient", ["ts_graceful"], { HEWER_TEST_GRACE_MS: "200" });
  const pid = impatient.child.pid ?? 0;
  const { run_id } = await hewer.trigger("ts_graceful");
  await waitFor(() => marks(`slow.1.${pid}.started`).length, 30_000, "the task to start");
  impatient.child.kill("SIGTERM");
  assert.deepEqual(await impatient.exited, { code: 0, signal: null });
  const events = await hewer.events(run_id);
  const handedBack = events.find((e) => e.attempt === 1 && e.kind === "retrying");
  assert.ok(handedBack, `no retry: ${events.map((e) => `${e.attempt}:${e.kind}`).join(", ")}`);
  assert.equal((handedBack.data as { error?: { type?: string } }).error?.type, "worker_shutdown");

  const patient = await spawnWorker("patient", ["ts_graceful"]);
  try {
    const run = await hewer.waitForRun(run_id, { timeoutMs: 30_000 });
    assert.equal(run.status, "succeeded");
    assert.deepEqual(run.output, { slow: { attempt: 2, pid: patient.child.pid } });
  } finally {
    patient.child.kill("SIGTERM");
    await patient.exited;
  }
});
