// Overview: the runs of the last hour by status, and the workers up.
import { useEffect, useState } from "react";
import { get, query, stream, type RunSummary, type Schemas } from "../api";
import { Link } from "../router";
import { ErrorNote, Status } from "../ui";

export function Overview() {
  const [runs, setRuns] = useState<Map<string, RunSummary>>(new Map());
  const [workers, setWorkers] = useState<Schemas["Worker"][]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const abort = new AbortController();
    void stream(
      `/v1/runs/changes${query({ limit: 500 })}`,
      (message) => {
        if (message.event !== "run") return;
        const run = JSON.parse(message.data) as RunSummary;
        setRuns((current) => new Map(current).set(run.run_id, run));
      },
      abort.signal,
      setError,
    );
    get<Schemas["Worker"][]>(`/v1/workers${query({ status: ["active", "draining"] })}`).then(
      setWorkers,
      setError,
    );
    return () => abort.abort();
  }, []);
  const byWorkflow = new Map<string, Map<string, number>>();
  for (const run of runs.values()) {
    const counts = byWorkflow.get(run.workflow) ?? new Map<string, number>();
    counts.set(run.status, (counts.get(run.status) ?? 0) + 1);
    byWorkflow.set(run.workflow, counts);
  }
  const statuses = ["queued", "running", "succeeded", "failed", "cancelled"];
  return (
    <section>
      <h1>Overview</h1>
      <ErrorNote error={error} />
      <h2>Recent runs by workflow</h2>
      <p className="note">The newest 500 runs, live.</p>
      <div className="table-wrap">
        <table aria-label="Runs by workflow">
          <thead>
            <tr>
              <th>Workflow</th>
              {statuses.map((s) => (
                <th key={s}>
                  <Status status={s} />
                </th>
              ))}
              <th>Failure rate</th>
            </tr>
          </thead>
          <tbody>
            {[...byWorkflow.entries()].sort().map(([workflow, counts]) => {
              const done = (counts.get("succeeded") ?? 0) + (counts.get("failed") ?? 0);
              const rate = done ? ((counts.get("failed") ?? 0) / done) * 100 : 0;
              return (
                <tr key={workflow}>
                  <td>
                    <Link href={`/runs${query({ workflow })}`}>{workflow}</Link>
                  </td>
                  {statuses.map((s) => (
                    <td key={s}>{counts.get(s) ?? 0}</td>
                  ))}
                  <td>{done ? `${rate.toFixed(1)} %` : ""}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
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
