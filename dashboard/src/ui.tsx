// Small shared pieces: status badges, times, JSON blocks, errors, and data loading.
import { useCallback, useEffect, useState } from "react";
import { ApiProblem } from "./api";

export function Status({ status }: { status: string }) {
  return <span className={`status status-${status}`}>{status}</span>;
}

export function time(value: string | null | undefined): string {
  if (!value) return "";
  const d = new Date(value);
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function duration(from?: string | null, to?: string | null): string {
  if (!from || !to) return "";
  const ms = new Date(to).getTime() - new Date(from).getTime();
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function Json({ value, label }: { value: unknown; label?: string }) {
  if (value === null || value === undefined) return null;
  return (
    <pre className="json" aria-label={label}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** An error's message, with the Hewer code and the hint when the API gave them. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  if (error instanceof ApiProblem) {
    return (
      <p className="error" role="alert">
        {error.message}
        {error.problem.code ? ` (${error.problem.code})` : ""}
        {error.problem.hint ? <span className="hint"> {error.problem.hint}</span> : null}
      </p>
    );
  }
  return (
    <p className="error" role="alert">
      {String(error instanceof Error ? error.message : error)}
    </p>
  );
}

/** Load with `fetcher` whenever `key` changes; `reload` loads again. */
export function useLoad<T>(fetcher: () => Promise<T>, key: string) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let live = true;
    fetcher().then(
      (value) => {
        if (!live) return;
        setData(value);
        setError(null);
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, reload };
}
