// Overview: per workflow, throughput, failure rate and queue-wait and run-time percentiles
// from the analytics store; the ready queue by action; the workers up. The runs-changes
// stream drives it: each change reads the numbers again (at most every 2 s).
import { useEffect, useRef, useState } from "react";
import { ApiProblem, get, query, stream, type Schemas } from "../api";
import { Link } from "../router";
import { ErrorNote } from "../ui";

const WINDOWS: [string, number][] = [
  ["15 minutes", 15],
  ["1 hour", 60],
  ["24 hours", 1440],
];
const EVERY_MS = 2000;

const ms = (value: number | null | undefined) =>
  value === null || value === undefined
    ? "–"
    : value < 1000
      ? `${Math.round(value)} ms`
      : `${(value / 1000).toFixed(1)} s`;

export function Overview() {
  const [minutes, setMinutes] = useState(60);
  const [stats, setStats] = useState<Schemas["WorkflowStatsPage"] | null>(null);
  const [storeMissing, setStoreMissing] = useState(false);
  const [queue, setQueue] = useState<Schemas["QueueDepth"][]>([]);
  const [workers, setWorkers] = useState<Schemas["Worker"][]>([]);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const last = useRef(0);

  useEffect(() => {
    const since = new Date(Date.now() - minutes * 60_000).toISOString();
    get<Schemas["WorkflowStatsPage"]>(`/v1/stats/workflows${query({ since })}`).then(
      (page) => {
        setStats(page);
        setStoreMissing(false);
      },
      (err: unknown) => {
        if (err instanceof ApiProblem && err.status === 503) setStoreMissing(true);
        else setError(err);
      },
    );
    get<Schemas["QueueDepth"][]>("/v1/stats/queue").then(setQueue, setError);
    get<Schemas["Worker"][]>(`/v1/workers${query({ status: ["active", "draining"] })}`).then(
      setWorkers,
      setError,
    );
  }, [minutes, tick]);

  // Any change of any run: read again, at most every EVERY_MS.
  useEffect(() => {
    const abort = new AbortController();
    let timer: number | undefined;
    void stream(
      `/v1/runs/changes${query({ limit: 100 })}`,
      () => {
        if (timer !== undefined) return;
        const wait = Math.max(0, last.current + EVERY_MS - Date.now());
        timer = window.setTimeout(() => {
          timer = undefined;
          last.current = Date.now();
          setTick((t) => t + 1);
        }, wait);
      },
      abort.signal,
      setError,
    );
    return () => {
      abort.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, []);

  return (
    <section>
      <h1>Overview</h1>
      <ErrorNote error={error} />
      <div className="filters">
        <label>
          Window
          <select value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
            {WINDOWS.map(([name, m]) => (
              <option key={m} value={m}>
                {name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <h2>Workflows</h2>
      {storeMissing ? (
        <p className="note">
          The analytics store is not set up yet: a dispatcher makes it on its first feed pass.
        </p>
      ) : (
        <div className="table-wrap">
          <table aria-label="Workflow stats">
            <thead>
              <tr>
                <th>Workflow</th>
                <th>Attempts</th>
                <th>Per minute</th>
                <th>Succeeded</th>
                <th>Retried</th>
                <th>Failed</th>
                <th>Failure rate</th>
                <th>Queue wait p50 / p99</th>
                <th>Run time p50 / p99</th>
              </tr>
            </thead>
            <tbody>
              {(stats?.workflows ?? []).map((w) => (
                <tr key={w.workflow}>
                  <td>
                    <Link href={`/runs${query({ workflow: w.workflow })}`}>{w.workflow}</Link>
                  </td>
                  <td>{w.attempts}</td>
                  <td>{w.per_minute.toFixed(1)}</td>
                  <td>{w.succeeded}</td>
                  <td>{w.retried}</td>
                  <td>{w.failed}</td>
                  <td>
                    {w.failure_rate === null || w.failure_rate === undefined
                      ? ""
                      : `${(w.failure_rate * 100).toFixed(1)} %`}
                  </td>
                  <td>
                    {ms(w.wait_p50_ms)} / {ms(w.wait_p99_ms)}
                  </td>
                  <td>
                    {ms(w.run_p50_ms)} / {ms(w.run_p99_ms)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {stats && !stats.workflows.length ? (
        <p className="note">No task attempt ended in this window.</p>
      ) : null}
      <h2>Queue by action</h2>
      <div className="table-wrap">
        <table aria-label="Queue by action">
          <thead>
            <tr>
              <th>Action</th>
              <th>Ready</th>
              <th>Delayed (backoff)</th>
            </tr>
          </thead>
          <tbody>
            {queue.map((q) => (
              <tr key={q.action}>
                <td className="mono">{q.action}</td>
                <td>{q.ready}</td>
                <td>{q.delayed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {queue.length ? null : <p className="note">Nothing waits in the queue.</p>}
      <h2>Workers up</h2>
      <p>
        <Link href="/workers">
          {workers.length} worker{workers.length === 1 ? "" : "s"}
        </Link>
        , {workers.reduce((n, w) => n + w.held_task_ids.length, 0)} of{" "}
        {workers.reduce((n, w) => n + w.slots, 0)} slots in use.
      </p>
    </section>
  );
}
