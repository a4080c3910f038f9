/**
 * A reader of server-sent events (the text/event-stream format of the HTML standard): lines
 * ended by LF, CR or CRLF; `field: value`; a blank line dispatches the event; lines starting
 * with ":" are comments; `data` lines join with "\n".
 */

export interface ServerSentEvent {
  /** The `event` field ("message" when absent). */
  event: string;
  data: string;
  /** The `id` field of this event, or "" when it had none. */
  id: string;
  /** The `retry` field, in milliseconds, when given. */
  retry?: number;
}

/** The events of a byte stream, in order, as they arrive. */
export async function* readServerSentEvents(
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<ServerSentEvent, void, undefined> {
  const decoder = new TextDecoder("utf-8");
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id = "";
  let retry: number | undefined;
  let skipLeadingLf = false;

  const dispatch = (): ServerSentEvent | null => {
    const out: ServerSentEvent | null = data.length
      ? { event: event || "message", data: data.join("\n"), id, ...(retry === undefined ? {} : { retry }) }
      : null;
    event = "";
    data = [];
    id = "";
    retry = undefined;
    return out;
  };

  const lines = function* (final: boolean): Generator<string> {
    for (;;) {
      if (skipLeadingLf && buffer.startsWith("\n")) buffer = buffer.slice(1);
      skipLeadingLf = false;
      const end = buffer.search(/[\r\n]/);
      if (end < 0) break;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (buffer[end] === "\r" && end === buffer.length - 1 && !final) break;
      const line = buffer.slice(0, end);
      if (buffer[end] === "\r") {
        if (buffer[end + 1] === "\n") buffer = buffer.slice(end + 2);
        else {
          buffer = buffer.slice(end + 1);
          skipLeadingLf = buffer.length === 0;
        }
      } else {
        buffer = buffer.slice(end + 1);
      }
      yield line;
    }
  };

  const feed = function* (final: boolean): Generator<ServerSentEvent> {
    for (const line of lines(final)) {
      if (line === "") {
        const ready = dispatch();
        if (ready) yield ready;
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
      else if (field === "id" && !value.includes("\0")) id = value;
      else if (field === "retry" && /^\d+$/.test(value)) retry = Number(value);
    }
  };

  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    yield* feed(false);
  }
  buffer += decoder.decode();
  yield* feed(true);
  // An event not ended by a blank line when the stream ends is dropped, as the standard says.
}
