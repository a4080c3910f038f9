/** What the end-to-end tests share: the environment tests/test_typescript_sdk.py sets up. */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Hewer, type Logger, type RunEvent, Worker, type WorkerOptions } from "../src/index.js";

export function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run these tests through tests/test_typescript_sdk.py, which starts the servers`);
  }
  return value;
}

/** The directory where task functions leave markers for the tests ($HEWER_TEST_DIR). */
export function testDir(): string {
  const dir = env("HEWER_TEST_DIR");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A marker file: tasks write them, tests wait for them. */
export function mark(name: string, content = ""): void {
  writeFileSync(join(testDir(), name), content);
}

export function marks(prefix: string): string[] {
  return readdirSync(testDir()).filter((name) => name.startsWith(prefix));
}

/** Poll `check` until it returns something truthy; fail naming `what` after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs: number, what: string): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Logs of in-process workers go to stderr with a prefix, kept by the test runner. */
export function testLogger(prefix: string): Logger {
  const line = (level: string) => (message: string) => process.stderr.write(`[${prefix}] ${level} ${message}\n`);
  return { debug: () => undefined, info: line("info"), warn: line("warn"), error: line("error") };
}

export function client(): Hewer {
  return new Hewer({ baseUrl: env("HEWER_API_URL") });
}

/** A worker in this process for the dispatchers of $HEWER_DISPATCHERS, started. */
export async function startWorker(options: Omit<WorkerOptions, "dispatchers"> & { dispatchers?: string[] }): Promise<Worker> {
  const worker = new Worker({
    dispatchers: env("HEWER_DISPATCHERS"),
    logger: testLogger(options.name ?? "worker"),
    shutdownGraceMs: 5000,
    ...options,
  });
  await worker.start();
  return worker;
}

/** The events of a run, read from the live stream, until one matches. */
export async function waitForEvent(
  hewer: Hewer,
  runId: string,
  match: (event: RunEvent) => boolean,
  timeoutMs = 30_000,
): Promise<RunEvent> {
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const item of hewer.watch(runId, { signal })) {
    if (item.type === "task" && match(item.event)) return item.event;
    if (item.type === "run") break;
  }
  throw new Error(`run ${runId} ended without the awaited event`);
}

const here = dirname(fileURLToPath(import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  log: string;
}

/** A worker in its own node process (test/fixtures/worker-main.js), once connected. */
export async function spawnWorker(name: string, flows: string[], extraEnv: Record<string, string> = {}): Promise<WorkerProcess> {
  const log = join(testDir(), `${name}.log`);
  const out = openSync(log, "a");
  const child = spawn(process.execPath, [join(here, "fixtures", "worker-main.js")], {
    env: { ...process.env, HEWER_TEST_FLOWS: flows.join(","), HEWER_TEST_WORKER_NAME: name, ...extraEnv },
    stdio: ["ignore", out, out],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const ready = join(testDir(), `${name}.ready`);
  await waitFor(() => existsSync(ready) || child.exitCode !== null, 30_000, `worker ${name} to connect`);
  if (child.exitCode !== null) throw new Error(`worker ${name} exited with ${child.exitCode}; see ${log}`);
  return { child, exited, log };
}
