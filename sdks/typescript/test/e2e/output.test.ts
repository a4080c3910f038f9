/**
 * Streamed output (ctx.stream) from a worker process, followed live through the HTTP client;
 * the pytest side reads the same chunks with the Python client.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { splitChunks } from "../../src/execution.js";
import type { OutputChunk } from "../../src/index.js";
import { client, mark, spawnWorker, type WorkerProcess } from "../helpers.js";

let worker: WorkerProcess;

before(async () => {
  worker = await spawnWorker("stream-worker", ["ts_stream"]);
});

after(async () => {
  worker.child.kill("SIGTERM");
  await worker.exited;
});

const big = `${"x".repeat(65_535)}\u{1F600} and the rest`;

test("ctx.stream chunks come live, in seq order, per step; a long text is cut in two", { timeout: 60_000 }, async () => {
  const hewer = client();
  const { run_id } = await hewer.trigger("ts_stream");
  const chunks: OutputChunk[] = [];
  for await (const chunk of hewer.output(run_id, { signal: AbortSignal.timeout(45_000) })) {
    chunks.push(chunk);
    // The task waits for this marker: the first chunks came while it was still running.
    if (chunks.length === 3) mark(`stream.${run_id}.go`);
  }
  const talk = chunks.filter((c) => c.step === "talk");
  assert.deepEqual(
    talk.map((c) => c.seq),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
  assert.deepEqual(
    talk.slice(0, 6).map((c) => c.data),
    ["word 1 ", "word 2 ", "word 3 ", "word 4 ", "word 5 ", "word 6 "],
  );
  assert.equal(talk[6]?.data, "x".repeat(65_535));
  assert.equal(talk[7]?.data, "\u{1F600} and the rest");
  assert.ok(talk.every((c) => c.attempt === 1 && c.task_id === talk[0]?.task_id));
  const sum = chunks.filter((c) => c.step === "sum");
  assert.deepEqual(
    sum.map((c) => [c.seq, c.data]),
    [
      [1, "total: "],
      [2, "8"],
    ],
  );
  assert.equal(chunks.length, 10);
  assert.equal(new Set(chunks.map((c) => c.chunk_id)).size, 10);
  assert.equal((await hewer.getRun(run_id)).status, "succeeded");

  // Resumed after a chunk, and narrowed to one task: what came after it, once.
  const rest: OutputChunk[] = [];
  for await (const chunk of hewer.output(run_id, { after: talk[4]?.chunk_id ?? "", taskId: talk[0]?.task_id ?? "" })) {
    rest.push(chunk);
  }
  assert.deepEqual(
    rest.map((c) => c.seq),
    [6, 7, 8],
  );
  mark("stream.run_id", run_id);
});

test("splitChunks keeps surrogate pairs whole", () => {
  assert.deepEqual(splitChunks(big), ["x".repeat(65_535), "\u{1F600} and the rest"]);
  assert.deepEqual(splitChunks("abcdef", 4), ["abcd", "ef"]);
  assert.deepEqual(splitChunks("abc\u{1F600}", 4), ["abc", "\u{1F600}"]);
  assert.deepEqual(splitChunks(""), []);
});
