/** The same declarations give the same RegisterWorkflow spec JSON in both SDKs. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { specCases } from "../fixtures/spec-cases.js";
import { env } from "../helpers.js";

test("specJson() is byte for byte the spec the Python SDK sends", () => {
  const python = JSON.parse(readFileSync(env("HEWER_TEST_PYTHON_SPECS"), "utf8")) as Record<string, string>;
  const cases = specCases();
  assert.deepEqual(cases.map((wf) => wf.name).sort(), Object.keys(python).sort());
  for (const wf of cases) {
    const expected = python[wf.name] ?? "";
    assert.deepEqual(JSON.parse(wf.specJson()), JSON.parse(expected), `${wf.name}: the specs differ`);
    assert.equal(wf.specJson(), expected, `${wf.name}: same spec, different text`);
  }
});
