// Workers: status, slots used and free, actions, labels, last heartbeat.
import { useEffect } from "react";
import { get, query, type Schemas } from "../api";
import { ErrorNote, Status, time, useLoad } from "../ui";

export function Workers() {
  const workers = useLoad(
    () => get<Schemas["Worker"][]>(`/v1/workers${query({ status: ["active", "draining"] })}`),
    "workers",
  );
  // Heartbeats move on their own: read again every 5 s while the page is open.
  useEffect(() => {
    const timer = window.setInterval(workers.reload, 5000);
    return () => clearInterval(timer);
  }, [workers.reload]);
  return (
    <section>
      <h1>Workers</h1>
      <ErrorNote error={workers.error} />
      <div className="table-wrap">
        <table aria-label="Workers">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Slots used / free</th>
              <th>Actions</th>
              <th>Labels</th>
              <th>Last heartbeat</th>
              <th>SDK</th>
            </tr>
          </thead>
          <tbody>
            {(workers.data ?? []).map((w) => (
              <tr key={w.worker_id} title={w.worker_id}>
                <td>{w.name}</td>
                <td>
                  <Status status={w.status} />
                </td>
                <td>
                  {w.held_task_ids.length} / {Math.max(w.slots - w.held_task_ids.length, 0)}
                </td>
                <td className="mono">{w.actions.join(", ")}</td>
                <td className="mono">
                  {Object.keys(w.labels).length ? JSON.stringify(w.labels) : ""}
                </td>
                <td>{time(w.last_heartbeat_at)}</td>
                <td>{w.sdk_version ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
