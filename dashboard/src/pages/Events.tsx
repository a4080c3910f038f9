// Events (newest first, by key, paged by cursor), with the filters, crons and schedules.
import { useState, type FormEvent } from "react";
import { get, query, type Schemas } from "../api";
import { Link } from "../router";
import { ErrorNote, Json, time, useLoad } from "../ui";

export function Events() {
  const [key, setKey] = useState("");
  const [applied, setApplied] = useState("");
  const [pages, setPages] = useState<Schemas["Event"][][]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [open, setOpen] = useState<Schemas["EventDetail"] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const first = useLoad(async () => {
    const page = await get<Schemas["EventPage"]>(`/v1/events${query({ key: applied, limit: 50 })}`);
    setPages([]);
    setCursor(page.next_before ?? null);
    return page.events;
  }, applied);
  const filters = useLoad(() => get<Schemas["Filter"][]>("/v1/filters"), "filters");
  const crons = useLoad(() => get<Schemas["Cron"][]>("/v1/crons"), "crons");
  const schedules = useLoad(
    () => get<Schemas["Schedule"][]>(`/v1/schedules${query({ pending_only: "true" })}`),
    "schedules",
  );
  const more = async () => {
    try {
      const page = await get<Schemas["EventPage"]>(
        `/v1/events${query({ key: applied, limit: 50, before: cursor })}`,
      );
      setPages((p) => [...p, page.events]);
      setCursor(page.next_before ?? null);
    } catch (err) {
      setError(err);
    }
  };
  const show = async (id: string) => {
    try {
      setOpen(await get<Schemas["EventDetail"]>(`/v1/events/${id}`));
    } catch (err) {
      setError(err);
    }
  };
  const events = [...(first.data ?? []), ...pages.flat()];
  return (
    <section>
      <h1>Events</h1>
      <form
        className="filters"
        aria-label="Filter events"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          setApplied(key);
        }}
      >
        <label>
          Key
          <input value={key} onChange={(e) => setKey(e.target.value)} placeholder="order.created" />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={first.error ?? error} />
      <div className="table-wrap">
        <table aria-label="Events">
          <thead>
            <tr>
              <th>Key</th>
              <th>Scope</th>
              <th>Pushed</th>
              <th>Payload</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.event_id}>
                <td>
                  <button type="button" className="link" onClick={() => show(e.event_id)}>
                    {e.key}
                  </button>
                </td>
                <td>{e.scope ?? ""}</td>
                <td>{time(e.created_at)}</td>
                <td className="mono">{JSON.stringify(e.payload).slice(0, 80)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {cursor ? (
        <button type="button" onClick={more}>
          Older events
        </button>
      ) : null}
      {open ? (
        <div className="panel" role="region" aria-label="Event">
          <h2>
            Event {open.key} <span className="mono note">{open.event_id}</span>
          </h2>
          <Json value={open.payload} label="Payload" />
          <h3>What it started</h3>
          <ul>
            {open.matches.map((m, i) => (
              <li key={i}>
                {m.workflow}{" "}
                {m.run_id ? (
                  <Link href={`/runs/${m.run_id}`} className="mono">
                    {m.run_id}
                  </Link>
                ) : null}{" "}
                {m.error ? <span className="error">{m.error}</span> : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <h2>Filters</h2>
      <ErrorNote error={filters.error} />
      <ul>
        {(filters.data ?? []).map((f) => (
          <li key={f.filter_id}>
            {f.workflow}: <code>{f.expression}</code> {f.scope ? `(scope ${f.scope})` : ""}{" "}
            {f.error ? <span className="error">{f.error}</span> : null}
          </li>
        ))}
      </ul>
      <h2>Crons</h2>
      <ErrorNote error={crons.error} />
      <div className="table-wrap">
        <table aria-label="Crons">
          <thead>
            <tr>
              <th>Workflow</th>
              <th>Name</th>
              <th>Expression</th>
              <th>Next</th>
              <th>Last tick</th>
              <th>From</th>
            </tr>
          </thead>
          <tbody>
            {(crons.data ?? []).map((c) => (
              <tr key={c.cron_id}>
                <td>{c.workflow}</td>
                <td>{c.name}</td>
                <td className="mono">{c.expression}</td>
                <td>{time(c.next_at)}</td>
                <td>{time(c.last_tick_at)}</td>
                <td>{c.source}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Scheduled runs</h2>
      <ErrorNote error={schedules.error} />
      <ul>
        {(schedules.data ?? []).map((s) => (
          <li key={s.schedule_id}>
            {s.workflow} at {time(s.run_at)}
          </li>
        ))}
      </ul>
    </section>
  );
}
