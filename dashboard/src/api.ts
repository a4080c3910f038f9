// The HTTP API, as the dashboard calls it: JSON with the caller's token, problems as errors,
// and server-sent events read with fetch (EventSource cannot send an Authorization header).
import type { components } from "../../sdks/typescript/src/generated/api";

export type Schemas = components["schemas"];
export type RunSummary = Schemas["RunSummary"];
export type Run = Schemas["Run"];
export type Task = Schemas["Task"];
export type RunEvent = Schemas["RunEvent"];
export type Problem = Schemas["Problem"];

const TOKEN_KEY = "hewer.token";

export function savedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem>,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

function headers(token: string | null, json: boolean): Record<string, string> {
  const h: Record<string, string> = { Accept: "application/json" };
  if (json) h["Content-Type"] = "application/json";
  if (token) h.Authorization = `Bearer ${token}`;
  return h;
}

/** One call of the API; resolves with its JSON body, rejects with an ApiProblem. */
export async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  token: string | null = savedToken(),
): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: headers(token, body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (!response.ok) {
    throw new ApiProblem(response.status, (parsed ?? {}) as Partial<Problem>);
  }
  return parsed as T;
}

export const get = <T>(path: string) => call<T>("GET", path);
export const post = <T>(path: string, body: unknown = {}) => call<T>("POST", path, body);

/** A query string of the parameters that are set (arrays repeat their key). */
export function query(params: Record<string, string | string[] | number | null | undefined>) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value)) value.forEach((v) => q.append(key, v));
    else q.set(key, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/**
 * Read a server-sent event stream until `signal` aborts, or until the server ends it after
 * sending `finalEvent`; `onMessage` gets each event. When the stream drops (or ends without
 * its final event), it reconnects after a second, sending Last-Event-ID.
 */
export async function stream(
  path: string,
  onMessage: (message: SseMessage) => void,
  signal: AbortSignal,
  onError: (error: Error) => void = () => undefined,
  finalEvent?: string,
): Promise<void> {
  let lastId: string | undefined;
  let finished = false;
  for (let first = true; !signal.aborted; first = false) {
    if (!first) await new Promise((resolve) => setTimeout(resolve, 1000));
    if (signal.aborted) return;
    try {
      const h = headers(savedToken(), false);
      h.Accept = "text/event-stream";
      if (lastId) h["Last-Event-ID"] = lastId;
      const response = await fetch(path, { headers: h, signal });
      if (!response.ok || !response.body) {
        const body = await response.json().catch(() => ({}));
        throw new ApiProblem(response.status, body as Partial<Problem>);
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
          const message: SseMessage = { event: "message", data: "" };
          const data: string[] = [];
          for (const line of block.split(/\r?\n/)) {
            if (line.startsWith(":")) continue;
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const val = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") message.event = val;
            else if (field === "data") data.push(val);
            else if (field === "id") message.id = lastId = val;
          }
          if (data.length === 0) continue;
          message.data = data.join("\n");
          if (message.event === finalEvent) finished = true;
          onMessage(message);
        }
      }
      if (finished) return; // the server said all it had to say
    } catch (error) {
      if (signal.aborted) return;
      onError(error instanceof Error ? error : new Error(String(error)));
      if (error instanceof ApiProblem && error.status < 500) return;
    }
  }
}
