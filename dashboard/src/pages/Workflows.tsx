// Workflows: each one's versions, a version's spec, two versions compared, rollback.
import { useEffect, useState } from "react";
import { get, post, query, type Schemas } from "../api";
import { Link, navigate, useLocation } from "../router";
import { ErrorNote, time, useLoad } from "../ui";

/** A line diff of two texts (longest common subsequence): [" "|"-"|"+", line][]. */
export function diffLines(a: string, b: string): [string, string][] {
  const x = a.split("\n");
  const y = b.split("\n");
  const n = x.length;
  const m = y.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: [string, string][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push([" ", x[i]]);
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push(["-", x[i++]]);
    else out.push(["+", y[j++]]);
  }
  while (i < n) out.push(["-", x[i++]]);
  while (j < m) out.push(["+", y[j++]]);
  return out;
}

export function Workflows() {
  const { search } = useLocation();
  const name = search.get("name");
  const list = useLoad(() => get<Schemas["WorkflowSummary"][]>("/v1/workflows"), "list");
  return (
    <section>
      <h1>Workflows</h1>
      <ErrorNote error={list.error} />
      <div className="table-wrap">
        <table aria-label="Workflows">
          <thead>
            <tr>
              <th>Name</th>
              <th>Current</th>
              <th>Latest</th>
              <th>Versions</th>
              <th>Registered</th>
            </tr>
          </thead>
          <tbody>
            {(list.data ?? []).map((w) => (
              <tr key={w.name}>
                <td>
                  <Link href={`/workflows${query({ name: w.name })}`}>{w.name}</Link>
                </td>
                <td>v{w.current_version}</td>
                <td>v{w.latest_version}</td>
                <td>{w.versions}</td>
                <td>{time(w.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {name ? <Versions name={name} onChange={list.reload} /> : null}
    </section>
  );
}

function Versions({ name, onChange }: { name: string; onChange: () => void }) {
  const versions = useLoad(
    () => get<Schemas["VersionSummary"][]>(`/v1/workflows/${encodeURIComponent(name)}/versions`),
    name,
  );
  const [left, setLeft] = useState<number | null>(null);
  const [right, setRight] = useState<number | null>(null);
  const [specs, setSpecs] = useState<Record<number, string>>({});
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const list = versions.data;
    if (!list?.length) return;
    const current = list.find((v) => v.is_current)?.version ?? list[0].version;
    setRight(current);
    setLeft(list.map((v) => v.version).filter((v) => v < current).sort((a, b) => b - a)[0] ?? current);
  }, [versions.data]);
  useEffect(() => {
    for (const v of [left, right]) {
      if (v === null || specs[v] !== undefined) continue;
      get<Schemas["WorkflowVersion"]>(
        `/v1/workflows/${encodeURIComponent(name)}${query({ version: v })}`,
      ).then(
        (wv) => setSpecs((s) => ({ ...s, [v]: JSON.stringify(wv.spec, null, 2) })),
        setError,
      );
    }
  }, [left, right, name]); // eslint-disable-line react-hooks/exhaustive-deps
  const rollback = async (version: number) => {
    try {
      await post(`/v1/workflows/${encodeURIComponent(name)}/rollback`, { version });
      versions.reload();
      onChange();
    } catch (err) {
      setError(err);
    }
  };
  const pick = (value: number | null, set: (v: number) => void, label: string) => (
    <label>
      {label}
      <select value={value ?? ""} onChange={(e) => set(Number(e.target.value))}>
        {(versions.data ?? []).map((v) => (
          <option key={v.version} value={v.version}>
            v{v.version}
          </option>
        ))}
      </select>
    </label>
  );
  const a = left !== null ? specs[left] : undefined;
  const b = right !== null ? specs[right] : undefined;
  return (
    <>
      <h2>{name}: versions</h2>
      <ErrorNote error={versions.error ?? error} />
      <div className="table-wrap">
        <table aria-label={`Versions of ${name}`}>
          <thead>
            <tr>
              <th>Version</th>
              <th>Steps</th>
              <th>Active runs</th>
              <th>Registered</th>
              <th>Checksum</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(versions.data ?? []).map((v) => (
              <tr key={v.version}>
                <td>
                  v{v.version} {v.is_current ? <strong>current</strong> : null}
                </td>
                <td>{v.steps}</td>
                <td>{v.active_runs}</td>
                <td>{time(v.created_at)}</td>
                <td className="mono">{v.checksum.slice(0, 12)}</td>
                <td>
                  {v.is_current ? (
                    <button type="button" onClick={() => navigate(`/trigger${query({ workflow: name })}`)}>
                      Trigger
                    </button>
                  ) : (
                    <button type="button" onClick={() => rollback(v.version)}>
                      Roll back to v{v.version}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Spec</h2>
      <div className="filters">
        {pick(left, setLeft, "From")}
        {pick(right, setRight, "To")}
      </div>
      {a !== undefined && b !== undefined ? (
        <pre className="diff" aria-label="Spec diff">
          {diffLines(a, b).map(([mark, line], i) => (
            <span key={i} className={mark === "+" ? "add" : mark === "-" ? "del" : undefined}>
              {mark} {line}
              {"\n"}
            </span>
          ))}
        </pre>
      ) : null}
    </>
  );
}
