// A run: its DAG coloured by task state (live from the run's stream), each task's attempts
// with errors, logs and timings, its streamed output (live), its lineage and children; cancel
// and replay.
import { useEffect, useRef, useState } from "react";
import { get, post, query, stream, type Run, type Schemas } from "../api";
import { Link, navigate } from "../router";
import { ErrorNote, Json, Status, duration, time } from "../ui";
import { Dag, type Step } from "./Dag";

const ACTIVE = ["queued", "running"];
const REPLAYABLE = ["failed", "cancelled"];

export function RunDetail({ runId }: { runId: string }) {
  const [run, setRun] = useState<Run | null>(null);
  const [steps, setSteps] = useState<Step[]>([]);
  const [lineage, setLineage] = useState<Schemas["Lineage"] | null>(null);
  const [children, setChildren] = useState<Schemas["ChildRun"][]>([]);
  const [parent, setParent] = useState<Run | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [startFrom, setStartFrom] = useState<"failed" | "start">("failed");

  useEffect(() => {
    setRun(null);
    setParent(null);
    setSelected(null);
    setSteps([]);
  }, [runId]);

  // The run, its lineage and children: again on each event of its stream. Each shows as it
  // comes (the DAG needs only the run).
  const finished = useRef(false);
  useEffect(() => {
    let live = true;
    const failed = (err: unknown) => live && setError(err);
    get<Run>(`/v1/runs/${runId}`).then((r) => {
      if (!live) return;
      finished.current = !ACTIVE.includes(r.status);
      setRun(r);
      setError(null);
    }, failed);
    get<Schemas["Lineage"]>(`/v1/runs/${runId}/lineage`).then((l) => live && setLineage(l), failed);
    get<Schemas["ChildRun"][]>(`/v1/runs/${runId}/children`).then(
      (c) => live && setChildren(c),
      failed,
    );
    return () => {
      live = false;
    };
  }, [runId, tick]);

  // A child run's parent, once: its workflow and the step that spawned this run.
  const parentId = run?.parent_run_id ?? null;
  useEffect(() => {
    if (!parentId) return;
    let live = true;
    get<Run>(`/v1/runs/${parentId}`).then(
      (p) => live && setParent(p),
      () => undefined, // the link alone
    );
    return () => {
      live = false;
    };
  }, [parentId]);

  // The DAG's shape: the steps of the run's workflow version.
  const version = run ? `${run.workflow}@${run.version}` : "";
  useEffect(() => {
    if (!run) return;
    get<Schemas["WorkflowVersion"]>(
      `/v1/workflows/${encodeURIComponent(run.workflow)}${query({ version: run.version })}`,
    ).then(
      (v) => setSteps(v.spec.steps.map((s) => ({ name: s.name, parents: s.parents ?? [] }))),
      // Without the spec, the tasks alone, unconnected.
      () => setSteps(run.tasks.map((t) => ({ name: t.step, parents: [] }))),
    );
  }, [version]); // eslint-disable-line react-hooks/exhaustive-deps

  // Live: each task event, then the finished run, read again (coalesced to one read per 100 ms).
  // A run read as finished changes no more: the events the stream sends first, its history,
  // read nothing again.
  useEffect(() => {
    const abort = new AbortController();
    let timer: number | undefined;
    finished.current = false;
    void stream(
      `/v1/runs/${runId}/stream`,
      () => {
        if (finished.current) return;
        if (timer === undefined) {
          timer = window.setTimeout(() => {
            timer = undefined;
            setTick((t) => t + 1);
          }, 100);
        }
      },
      abort.signal,
      undefined,
      "run",
    );
    return () => {
      abort.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [runId]);

  const cancel = async () => {
    setActionError(null);
    try {
      await post(`/v1/runs/${runId}/cancel`);
      setTick((t) => t + 1);
    } catch (err) {
      setActionError(err);
    }
  };
  const replay = async () => {
    setActionError(null);
    try {
      const made = await post<Schemas["Replayed"]>(`/v1/runs/${runId}/replay`, {
        start_from: startFrom,
      });
      navigate(`/runs/${made.replay_run_id}`);
    } catch (err) {
      setActionError(err);
    }
  };

  if (!run) {
    return (
      <section>
        <h1>Run</h1>
        <p className="mono">{runId}</p>
        {error ? <ErrorNote error={error} /> : <p>Loading…</p>}
      </section>
    );
  }
  const task = run.tasks.find((t) => t.step === selected) ?? null;
  return (
    <section>
      <h1>
        Run <span className="mono">{run.run_id}</span>
      </h1>
      <dl className="facts">
        <dt>Workflow</dt>
        <dd>
          {run.workflow} v{run.version}
        </dd>
        <dt>Status</dt>
        <dd data-testid="run-status">
          <Status status={run.status} />
        </dd>
        <dt>Created</dt>
        <dd>{time(run.created_at)}</dd>
        <dt>Started</dt>
        <dd>{time(run.started_at)}</dd>
        <dt>Finished</dt>
        <dd>
          {time(run.finished_at)} {duration(run.started_at, run.finished_at)}
        </dd>
        <dt>Priority</dt>
        <dd>{run.priority}</dd>
        {run.parent_run_id ? (
          <>
            <dt>Parent run</dt>
            <dd data-testid="parent-run">
              <Link href={`/runs/${run.parent_run_id}`} className="mono">
                {run.parent_run_id}
              </Link>
              {parent?.run_id === run.parent_run_id ? (
                <>
                  {" "}
                  {parent.workflow}
                  {spawnedBy(parent, run.parent_task_id)}
                </>
              ) : null}
            </dd>
          </>
        ) : null}
        {children.length ? (
          <>
            <dt>Children</dt>
            <dd>{children.length}, listed below</dd>
          </>
        ) : null}
        {lineage?.replay_of ? (
          <>
            <dt>Replays</dt>
            <dd>
              <Link href={`/runs/${lineage.replay_of}`} className="mono">
                {lineage.replay_of}
              </Link>
            </dd>
          </>
        ) : null}
        {lineage?.replays.length ? (
          <>
            <dt>Replayed by</dt>
            <dd>
              {lineage.replays.map((id) => (
                <Link key={id} href={`/runs/${id}`} className="mono block">
                  {id}
                </Link>
              ))}
            </dd>
          </>
        ) : null}
      </dl>
      <div className="actions">
        {ACTIVE.includes(run.status) ? (
          <button type="button" onClick={cancel}>
            Cancel run
          </button>
        ) : null}
        {REPLAYABLE.includes(run.status) ? (
          <>
            <label>
              Replay from
              <select
                value={startFrom}
                onChange={(e) => setStartFrom(e.target.value as "failed" | "start")}
              >
                <option value="failed">the failed steps</option>
                <option value="start">the start</option>
              </select>
            </label>
            <button type="button" onClick={replay}>
              Replay run
            </button>
          </>
        ) : null}
      </div>
      <ErrorNote error={actionError} />
      <ErrorNote error={error} />
      <h2>Steps</h2>
      <Dag steps={steps} tasks={run.tasks} selected={selected} onSelect={setSelected} />
      {task ? <TaskPanel task={task} tick={tick} /> : <p className="note">Select a step.</p>}
      <RunOutput runId={runId} />
      <h2>Input</h2>
      <Json value={run.input} label="Run input" />
      {run.output !== null && run.output !== undefined ? (
        <>
          <h2>Output</h2>
          <Json value={run.output} label="Run output" />
        </>
      ) : null}
      {run.error !== null && run.error !== undefined ? (
        <>
          <h2>Error</h2>
          <ErrorValue value={run.error} />
        </>
      ) : null}
      {children.length ? (
        <>
          <h2>Children</h2>
          <ul aria-label="Child runs">
            {children.map((c) => (
              <li key={c.run_id}>
                <Link href={`/runs/${c.run_id}`} className="mono">
                  {c.run_id}
                </Link>{" "}
                {c.workflow} <Status status={c.status} />
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

/** ", step <name>" of the parent's task that spawned a child run, when it is known. */
function spawnedBy(parent: Run, taskId: string | null | undefined): string {
  const step = parent.tasks.find((t) => t.task_id === taskId)?.step;
  return step ? `, step ${step}` : "";
}

/** A chunk of streamed output as `GET /v1/runs/{id}/output` sends it. */
interface OutputChunk {
  chunk_id: string;
  task_id: string;
  step: string;
  attempt: number;
  seq: number;
  data: string;
  written_at: string;
}

/** The chunks of one task attempt, in the order they were written. */
interface OutputPart {
  key: string;
  step: string;
  attempt: number;
  chunks: OutputChunk[];
}

/**
 * What the run's tasks streamed (ctx.stream), per step and attempt, appended live as chunks
 * are written; nothing at all while there is none.
 */
function RunOutput({ runId }: { runId: string }) {
  const [parts, setParts] = useState<OutputPart[]>([]);
  const [error, setError] = useState<unknown>(null);
  const pending = useRef<OutputChunk[]>([]);

  useEffect(() => {
    const abort = new AbortController();
    const seen = new Set<string>();
    let timer: number | undefined;
    setParts([]);
    setError(null);
    pending.current = [];
    // Chunks can come by the hundred a second: appended together, at most every 50 ms.
    const flush = () => {
      timer = undefined;
      const batch = pending.current;
      pending.current = [];
      setParts((current) => {
        const next = current.map((p) => ({ ...p, chunks: [...p.chunks] }));
        for (const chunk of batch) {
          const key = `${chunk.task_id}/${chunk.attempt}`;
          let part = next.find((p) => p.key === key);
          if (!part) {
            part = { key, step: chunk.step, attempt: chunk.attempt, chunks: [] };
            next.push(part);
          }
          part.chunks.push(chunk);
        }
        return next;
      });
    };
    void stream(
      `/v1/runs/${runId}/output`,
      (message) => {
        if (message.event === "error") {
          setError(new Error(message.data));
          return;
        }
        if (message.event !== "chunk") return;
        const chunk = JSON.parse(message.data) as OutputChunk;
        if (seen.has(chunk.chunk_id)) return; // sent again after a reconnect
        seen.add(chunk.chunk_id);
        pending.current.push(chunk);
        if (timer === undefined) timer = window.setTimeout(flush, 50);
      },
      abort.signal,
      setError,
      "end",
    );
    return () => {
      abort.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [runId]);

  if (!parts.length) return error ? <ErrorNote error={error} /> : null;
  const attempts = new Map<string, number>();
  for (const part of parts) attempts.set(part.step, (attempts.get(part.step) ?? 0) + 1);
  return (
    <div className="run-output" role="region" aria-label="Streamed output">
      <h2>Streamed output</h2>
      {parts.map((part) => {
        const label =
          (attempts.get(part.step) ?? 0) > 1 || part.attempt > 1
            ? `${part.step}, attempt ${part.attempt}`
            : part.step;
        return (
          <div key={part.key} className="output-part" data-step={part.step} data-attempt={part.attempt}>
            <h3>{label}</h3>
            <pre className="stream" aria-label={`Output of ${label}`}>
              {part.chunks.map((c) => c.data).join("")}
            </pre>
          </div>
        );
      })}
      <ErrorNote error={error} />
    </div>
  );
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

/** An error as the worker sent it (a run's error wraps its step's): the traceback as
 * written, the rest as JSON. */
function ErrorValue({ value }: { value: unknown }) {
  const inner = isObject(value) && isObject(value.error) ? value.error : value;
  const traceback = isObject(inner) ? inner.traceback : undefined;
  return (
    <div className="error-value">
      <Json value={value} label="Error" />
      {typeof traceback === "string" ? (
        <pre className="traceback" aria-label="Traceback">
          {traceback}
        </pre>
      ) : null}
    </div>
  );
}

function TaskPanel({ task, tick }: { task: Schemas["Task"]; tick: number }) {
  const [attempts, setAttempts] = useState<Schemas["TaskAttempts"] | null>(null);
  const [logs, setLogs] = useState<Schemas["LogLine"][]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    Promise.all([
      get<Schemas["TaskAttempts"]>(`/v1/tasks/${task.task_id}/attempts`),
      get<Schemas["LogPage"]>(`/v1/tasks/${task.task_id}/logs${query({ limit: 1000 })}`),
    ]).then(
      ([a, l]) => {
        if (!live) return;
        setAttempts(a);
        setLogs(l.lines);
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [task.task_id, tick, task.status, task.attempt]);
  return (
    <div className="panel" aria-label={`Step ${task.step}`} role="region">
      <h2>
        Step {task.step} <Status status={task.status} />
      </h2>
      <dl className="facts">
        <dt>Action</dt>
        <dd className="mono">{task.action}</dd>
        <dt>Attempt</dt>
        <dd>
          {task.attempt} of {task.max_attempts}
        </dd>
        <dt>Worker</dt>
        <dd className="mono">{task.worker_id ?? ""}</dd>
        <dt>Queued</dt>
        <dd>{time(task.queued_at)}</dd>
        {task.served === false ? (
          <>
            <dt>Served</dt>
            <dd>no live worker serves this action</dd>
          </>
        ) : null}
      </dl>
      {task.output !== null && task.output !== undefined ? (
        <>
          <h3>Output</h3>
          <Json value={task.output} label="Task output" />
        </>
      ) : null}
      <ErrorNote error={error} />
      <h3>Attempts</h3>
      {attempts?.attempts.length ? (
        <ol className="attempts">
          {attempts.attempts.map((a) => (
            <li key={a.attempt} data-attempt={a.attempt} data-outcome={a.outcome}>
              <p>
                <strong>Attempt {a.attempt}</strong> <Status status={a.outcome} />{" "}
                {a.worker_id ? <span className="mono note">worker {a.worker_id}</span> : null}
              </p>
              <p className="note">
                assigned {time(a.assigned_at)} · started {time(a.started_at)} · finished{" "}
                {time(a.finished_at)} {duration(a.started_at, a.finished_at)}
              </p>
              {a.error !== null && a.error !== undefined ? <ErrorValue value={a.error} /> : null}
            </li>
          ))}
        </ol>
      ) : (
        <p className="note">No attempt yet.</p>
      )}
      <h3>Logs</h3>
      {logs.length ? (
        <pre className="logs" aria-label="Task logs">
          {logs
            .map((l) => `${time(l.logged_at)} [${l.attempt}] ${l.level.toUpperCase()} ${l.message}`)
            .join("\n")}
        </pre>
      ) : (
        <p className="note">No log lines.</p>
      )}
    </div>
  );
}
