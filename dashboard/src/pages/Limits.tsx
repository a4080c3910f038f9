// Limits: the tenant's rate limits (token buckets) and concurrency limits.
import { get, type Schemas } from "../api";
import { ErrorNote, useLoad } from "../ui";

export function Limits() {
  const rates = useLoad(() => get<Schemas["RateLimit"][]>("/v1/rate-limits"), "rates");
  const caps = useLoad(
    () => get<Schemas["ConcurrencyLimit"][]>("/v1/concurrency-limits"),
    "caps",
  );
  return (
    <section>
      <h1>Limits</h1>
      <h2>Rate limits</h2>
      <ErrorNote error={rates.error} />
      <div className="table-wrap">
        <table aria-label="Rate limits">
          <thead>
            <tr>
              <th>Name</th>
              <th>Rate</th>
              <th>Burst</th>
              <th>Tokens left</th>
              <th>Keyed buckets</th>
            </tr>
          </thead>
          <tbody>
            {(rates.data ?? []).map((r) => (
              <tr key={r.name}>
                <td>{r.name}</td>
                <td>
                  {r.rate} per {r.period_seconds} s
                </td>
                <td>{r.burst}</td>
                <td>{r.tokens ?? ""}</td>
                <td>{r.buckets}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Concurrency limits</h2>
      <ErrorNote error={caps.error} />
      <div className="table-wrap">
        <table aria-label="Concurrency limits">
          <thead>
            <tr>
              <th>Scope</th>
              <th>Name</th>
              <th>Running</th>
              <th>Max</th>
            </tr>
          </thead>
          <tbody>
            {(caps.data ?? []).map((c) => (
              <tr key={`${c.scope}/${c.name}`}>
                <td>{c.scope}</td>
                <td>{c.name}</td>
                <td>{c.running}</td>
                <td>{c.max_running}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
