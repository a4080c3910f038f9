/** The server-sent events reader, on streams cut at awkward places. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readServerSentEvents, type ServerSentEvent } from "../../src/index.js";

async function read(chunks: string[]): Promise<ServerSentEvent[]> {
  async function* body(): AsyncGenerator<Uint8Array> {
    for (const chunk of chunks) yield new TextEncoder().encode(chunk);
  }
  const out: ServerSentEvent[] = [];
  for await (const event of readServerSentEvents(body())) out.push(event);
  return out;
}

test("events split across chunks, CRLF and CR line ends, comments, multi-line data", async () => {
  const events = await read([
    ": keepalive\r\nid: 1\r",
    "\nevent: task\r\ndata: {\"a\":",
    "1}\r\n\r\nevent: run\rdata: line one\rdata: line two\r\r",
    "data: no event name\n\n",
    "data: unterminated",
  ]);
  assert.deepEqual(events, [
    { event: "task", data: '{"a":1}', id: "1" },
    { event: "run", data: "line one\nline two", id: "" },
    { event: "message", data: "no event name", id: "" },
  ]);
});

test("multi-byte characters split between chunks survive", async () => {
  const bytes = new TextEncoder().encode("data: café ☕\n\n");
  async function* body(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i++) yield bytes.slice(i, i + 1);
  }
  const out: ServerSentEvent[] = [];
  for await (const event of readServerSentEvents(body())) out.push(event);
  assert.deepEqual(out, [{ event: "message", data: "café ☕", id: "" }]);
});
