// Runs: filtered, live (the API's run-changes stream), older pages by cursor.
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { get, query, stream, type RunSummary, type Schemas } from "../api";
import { Link, navigate, useLocation } from "../router";
import { ErrorNote, Status, time } from "../ui";

const STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"];
const PAGE = 50;

interface Filters {
  workflow: string;
  status: string;
  metadata: string;
  since: string;
  until: string;
}

function filtersOf(search: URLSearchParams): Filters {
  return {
    workflow: search.get("workflow") ?? "",
    status: search.get("status") ?? "",
    metadata: search.get("metadata") ?? "",
    since: search.get("since") ?? "",
    until: search.get("until") ?? "",
  };
}

const iso = (local: string) => (local ? new Date(local).toISOString() : "");

export function Runs() {
  const { search } = useLocation();
  const filters = filtersOf(search);
  const key = JSON.stringify(filters);
  const [draft, setDraft] = useState<Filters>(filters);
  const [runs, setRuns] = useState<Map<string, RunSummary>>(new Map());
  const [older, setOlder] = useState<RunSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState(false);
  const [runId, setRunId] = useState("");
  const workflows = useWorkflowNames();

  useEffect(() => setDraft(filtersOf(search)), [key]); // eslint-disable-line
  useEffect(() => {
    const params = {
      workflow: filters.workflow,
      status: filters.status,
      metadata: filters.metadata,
    };
    setRuns(new Map());
    setOlder([]);
    setCursor(null);
    setError(null);
    const abort = new AbortController();
    if (filters.since || filters.until) {
      // The live stream has no time range: a time range reads pages only.
      setLive(false);
      get<Schemas["RunPage"]>(
        `/v1/runs${query({ ...params, since: iso(filters.since), until: iso(filters.until), limit: PAGE })}`,
      ).then(
        (page) => {
          setRuns(new Map(page.runs.map((r) => [r.run_id, r])));
          setCursor(page.next_before ?? null);
        },
        setError,
      );
    } else {
      setLive(true);
      get<Schemas["RunPage"]>(`/v1/runs${query({ ...params, limit: PAGE })}`).then(
        (page) => setCursor(page.next_before ?? null),
        setError,
      );
      void stream(
        `/v1/runs/changes${query({ ...params, limit: PAGE })}`,
        (message) => {
          if (message.event === "run") {
            const run = JSON.parse(message.data) as RunSummary;
            setRuns((current) => new Map(current).set(run.run_id, run));
            setError(null);
          } else if (message.event === "error") {
            setError(new Error(JSON.parse(message.data).detail));
          }
        },
        abort.signal,
        setError,
      );
    }
    return () => abort.abort();
  }, [key]); // eslint-disable-line react-hooks/exhaustive-deps

  const shown = useMemo(() => {
    const newest = [...runs.values()].sort((a, b) => b.created_at.localeCompare(a.created_at));
    const seen = new Set(newest.map((r) => r.run_id));
    return [...newest, ...older.filter((r) => !seen.has(r.run_id))];
  }, [runs, older]);

  const loadOlder = async () => {
    if (!cursor) return;
    try {
      const page = await get<Schemas["RunPage"]>(
        `/v1/runs${query({
          workflow: filters.workflow,
          status: filters.status,
          metadata: filters.metadata,
          since: iso(filters.since),
          until: iso(filters.until),
          limit: PAGE,
          before: cursor,
        })}`,
      );
      setOlder((current) => [...current, ...page.runs]);
      setCursor(page.next_before ?? null);
    } catch (err) {
      setError(err);
    }
  };

  const apply = (event: FormEvent) => {
    event.preventDefault();
    if (draft.metadata) {
      try {
        const parsed = JSON.parse(draft.metadata);
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw 0;
      } catch {
        setError(new Error('Metadata must be a JSON object, e.g. {"customer": "acme"}'));
        return;
      }
    }
    navigate(`/runs${query({ ...draft })}`);
  };

  const open = (event: FormEvent) => {
    event.preventDefault();
    const id = runId.trim();
    if (/^[0-9a-f-]{36}$/i.test(id)) navigate(`/runs/${id.toLowerCase()}`);
    else setError(new Error(`Not a run id: ${id}`));
  };

  return (
    <section>
      <h1>Runs</h1>
      <form className="filters" onSubmit={apply} aria-label="Filter runs">
        <label>
          Workflow
          <select
            value={draft.workflow}
            onChange={(e) => setDraft({ ...draft, workflow: e.target.value })}
          >
            <option value="">any</option>
            {workflows.map((w) => (
              <option key={w}>{w}</option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select
            value={draft.status}
            onChange={(e) => setDraft({ ...draft, status: e.target.value })}
          >
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Metadata
          <input
            value={draft.metadata}
            placeholder='{"customer": "acme"}'
            onChange={(e) => setDraft({ ...draft, metadata: e.target.value })}
          />
        </label>
        <label>
          Since
          <input
            type="datetime-local"
            value={draft.since}
            onChange={(e) => setDraft({ ...draft, since: e.target.value })}
          />
        </label>
        <label>
          Until
          <input
            type="datetime-local"
            value={draft.until}
            onChange={(e) => setDraft({ ...draft, until: e.target.value })}
          />
        </label>
        <button type="submit">Filter</button>
      </form>
      <form className="filters" onSubmit={open} aria-label="Open a run">
        <label>
          Run id
          <input value={runId} onChange={(e) => setRunId(e.target.value)} placeholder="uuid" />
        </label>
        <button type="submit">Open</button>
      </form>
      <p className="note" aria-live="polite">
        {live ? "Live: changes show as they happen." : "A time range shows pages, not live."}{" "}
        {shown.length} run{shown.length === 1 ? "" : "s"} shown.
      </p>
      <ErrorNote error={error} />
      <div className="table-wrap">
        <table aria-label="Runs">
          <thead>
            <tr>
              <th>Run</th>
              <th>Workflow</th>
              <th>Status</th>
              <th>Tasks</th>
              <th>Created</th>
              <th>Metadata</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((run) => (
              <tr key={run.run_id} data-run-id={run.run_id}>
                <td>
                  <Link href={`/runs/${run.run_id}`} className="mono">
                    {run.run_id}
                  </Link>
                </td>
                <td>
                  {run.workflow} <span className="note">v{run.version}</span>
                </td>
                <td>
                  <Status status={run.status} />
                </td>
                <td className="note">
                  {Object.entries(run.tasks)
                    .map(([s, n]) => `${n} ${s}`)
                    .join(", ")}
                </td>
                <td>{time(run.created_at)}</td>
                <td className="mono">
                  {Object.keys(run.metadata).length ? JSON.stringify(run.metadata) : ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {cursor ? (
        <button type="button" onClick={loadOlder}>
          Older runs
        </button>
      ) : null}
    </section>
  );
}

/** The tenant's workflow names, for pickers. */
export function useWorkflowNames(): string[] {
  const [names, setNames] = useState<string[]>([]);
  useEffect(() => {
    get<Schemas["WorkflowSummary"][]>("/v1/workflows").then(
      (list) => setNames(list.map((w) => w.name).sort()),
      () => setNames([]),
    );
  }, []);
  return names;
}
