/** Definitions, durations and canonical JSON: no server needed. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { canonicalJson, DefinitionError, parseDuration, VERSION, Worker, workflow } from "../../src/index.js";
import { pythonNumber } from "../../src/canonical-json.js";
import { specSeconds } from "../../src/durations.js";
import { hewerV1, resolveDispatchers } from "../../src/grpc.js";

test("durations parse like the Python SDK's and store as seconds to the millisecond", () => {
  assert.equal(parseDuration("1h30m"), 5400);
  assert.equal(parseDuration(" 250MS "), 0.25);
  assert.equal(parseDuration(".5s"), 0.5);
  assert.equal(parseDuration(45), 45);
  assert.throws(() => parseDuration("5 minutes"), /must be a duration, got "5 minutes"; use seconds/);
  assert.throws(() => parseDuration(-1), /finite duration of 0 or more/);
  assert.equal(specSeconds(60), 60);
  assert.equal(specSeconds(0.0005), 0); // half to even, as Python's round()
  assert.equal(specSeconds(0.0015), 0.002);
});

test("canonical JSON matches Python's json.dumps(sort_keys=True, separators=(',', ':'))", () => {
  assert.equal(canonicalJson({ b: 1, a: [true, null, "é\u2615\n\u007f"] }), '{"a":[true,null,"\\u00e9\\u2615\\n\\u007f"],"b":1}');
  assert.equal(pythonNumber(0.00001), "1e-05");
  assert.equal(pythonNumber(0.0001), "0.0001");
  assert.equal(pythonNumber(1.25), "1.25");
  assert.equal(pythonNumber(1e22), "1e+22");
  assert.equal(canonicalJson({ "\u{1F600}": 1, "\uFFFF": 2 }), '{"\\uffff":2,"\\ud83d\\ude00":1}');
});

test("mistakes in definitions are DefinitionErrors naming the step, the value and the fix", () => {
  const wf = workflow("checks");
  const noop = (): null => null;
  assert.throws(() => wf.task("bad name", noop), /step name "bad name" is not a valid name: use 1 to 128/);
  assert.throws(() => wf.task("a", { retries: 101 }, noop), /step 'a': retries must be from 0 to 100, got 101/);
  assert.throws(() => wf.task("a", { timeout: "0.5s" }, noop), /timeout must be between 1s and 7d, got "0.5s"/);
  assert.throws(
    () => wf.task("a", { backoff: { base: "10s", max: "5s" } }, noop),
    /backoff.max \(5s\) is below backoff.base \(10s\); raise max or lower base/,
  );
  assert.throws(
    () => wf.task("a", { concurrency: { max: 1, strategy: "CANCEL_NEWEST" } }, noop),
    /CANCEL_NEWEST applies to whole runs/,
  );
  const first = wf.task("first", { parents: ["second"] }, noop);
  wf.task("second", { parents: [first] }, noop);
  assert.throws(() => wf.spec(), (error: unknown) => {
    assert.ok(error instanceof DefinitionError);
    assert.match(error.message, /steps form a cycle: (first -> second -> first|second -> first -> second)/);
    return true;
  });
  assert.throws(() => workflow("empty").spec(), /has no steps/);
  const other = workflow("other");
  const foreign = other.task("x", noop);
  assert.throws(() => workflow("mine").task("y", { parents: [foreign] }, noop), /belongs to workflow 'other'/);
});

test("worker affinity: labels in the spec, and their mistakes named with the fix", () => {
  const noop = (): null => null;
  const wf = workflow("affinity", { sticky: "hard" });
  wf.task("a", { workerLabels: { gpu: "a100" }, preferredLabels: { m: "x", z: ["b", 10], c: { value: "w" } } }, noop);
  assert.equal(
    wf.specJson(),
    '{"steps":[{"name":"a","preferred_labels":{"c":{"value":"w","weight":1},"m":{"value":"x","weight":1},' +
      '"z":{"value":"b","weight":10}},"worker_labels":{"gpu":"a100"}}],"sticky":"hard"}',
  );
  const checks = workflow("checks");
  assert.throws(() => checks.task("a", { workerLabels: {} }, noop), /step 'a': workerLabels must name 1 to 20 labels/);
  assert.throws(
    () => checks.task("a", { workerLabels: { gpu: "" } }, noop),
    /workerLabels\['gpu'\] must be text of 1 to 256 characters/,
  );
  assert.throws(() => checks.task("a", { workerLabels: { "bad name": "x" } }, noop), /label name "bad name" is not a valid/);
  assert.throws(
    () => checks.task("a", { preferredLabels: { m: ["x", 101] } }, noop),
    /preferredLabels\['m'\] weight must be from 1 to 100, got 101/,
  );
  assert.throws(
    () => checks.task("a", { preferredLabels: { m: { value: "x", weight: 0 } } }, noop),
    /weight must be from 1 to 100, got 0/,
  );
  assert.throws(
    () => checks.task("a", { preferredLabels: { m: 3 as unknown as string } }, noop),
    /preferredLabels\['m'\] must be a value \('llama-3-70b'\), a \[value, weight\] pair/,
  );
  assert.throws(
    () => workflow("w", { sticky: "always" as "soft" }),
    /workflow 'w': sticky must be 'soft' .* or 'hard' .*, got "always"/,
  );
});

test("a worker refuses a bad configuration before connecting", () => {
  const wf = workflow("w");
  wf.task("s", () => 1);
  assert.throws(() => new Worker({ workflows: [] }), /at least one workflow/);
  assert.throws(() => new Worker({ workflows: [wf], slots: 0 }), /slots must be an integer from 1 to 10000/);
  const external = workflow("only_external");
  external.external("elsewhere");
  assert.throws(() => new Worker({ workflows: [external] }), /only external steps/);
  assert.deepEqual(new Worker({ workflows: [wf], dispatchers: "a:1, b:2" }).dispatchers, ["a:1", "b:2"]);
  assert.deepEqual(resolveDispatchers(["a:1,b:2", "c:3"]), ["a:1", "b:2", "c:3"]);
});

test("the built package carries hewer.proto and its version", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  assert.equal(VERSION, pkg.version);
  const v1 = hewerV1();
  assert.equal(typeof v1.Dispatcher, "function");
  assert.equal(typeof v1.Runs, "function");
});
