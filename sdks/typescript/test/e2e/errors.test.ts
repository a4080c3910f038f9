/** What failures look like: the API's problems and an unreachable API. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Hewer, HewerApiError, HewerConnectionError, HewerTimeoutError } from "../../src/index.js";
import { graceful } from "../fixtures/flows.js";
import { client, startWorker } from "../helpers.js";

test("an unknown workflow is a HewerApiError with its code, detail and hint", async () => {
  const error = await client().trigger("no_such_workflow", { a: 1 }).then(
    () => assert.fail("trigger of an unknown workflow succeeded"),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof HewerApiError, String(error));
  assert.equal(error.status, 404);
  assert.equal(error.code, "HW003");
  assert.equal(error.title, "unknown_workflow");
  assert.match(error.detail, /no_such_workflow/);
  assert.ok(error.hint && error.hint.length > 10, `no hint: ${error.hint}`);
  assert.ok(error.message.includes(error.hint), error.message);
  assert.match(error.message, /^POST \/v1\/runs: unknown_workflow \[HW003\]: /);
});

test("a request the contract refuses is a HewerApiError naming the field", async () => {
  const error = await client().trigger("x", {}, { priority: 5000 }).catch((caught: unknown) => caught);
  assert.ok(error instanceof HewerApiError, String(error));
  assert.equal(error.status, 422);
  assert.equal(error.code, null);
  assert.match(error.detail, /priority/);
  assert.ok(error.errors.length >= 1);
});

test("an unknown run is a 404 problem on getRun, cancel and watch", async () => {
  const missing = "00000000-0000-7000-8000-000000000001";
  const hewer = client();
  for (const call of [() => hewer.getRun(missing), () => hewer.cancel(missing), () => hewer.waitForRun(missing)]) {
    const error = await call().catch((caught: unknown) => caught);
    assert.ok(error instanceof HewerApiError, String(error));
    assert.equal(error.status, 404);
  }
});

test("an API nobody listens on is a HewerConnectionError naming the URL and the fix", async () => {
  const error = await new Hewer({ baseUrl: "http://127.0.0.1:9" }).getRun("x").catch((caught: unknown) => caught);
  assert.ok(error instanceof HewerConnectionError, String(error));
  assert.match(error.message, /http:\/\/127\.0\.0\.1:9/);
  assert.match(error.message, /HEWER_API_URL/);
});

test("waitForRun gives up after timeoutMs with a HewerTimeoutError carrying the run's status", { timeout: 30_000 }, async () => {
  // Register the workflow, then leave: the run stays queued.
  const worker = await startWorker({ name: "registers-only", workflows: [graceful], slots: 1 });
  await worker.stop();
  const hewer = client();
  const { run_id } = await hewer.trigger("ts_graceful");
  const started = Date.now();
  const error = await hewer.waitForRun(run_id, { timeoutMs: 700 }).catch((caught: unknown) => caught);
  assert.ok(error instanceof HewerTimeoutError, String(error));
  assert.equal(error.lastStatus, "queued");
  assert.match(error.message, new RegExp(`run ${run_id} did not finish within 700 ms`));
  assert.ok(Date.now() - started >= 700);
  await hewer.cancel(run_id);
});
