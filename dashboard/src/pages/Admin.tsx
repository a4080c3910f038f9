// Admin: tenants and their tokens, with the API's admin token (kept in this page only).
import { useState, type FormEvent } from "react";
import { call, type Schemas } from "../api";
import { ErrorNote, time } from "../ui";

export function Admin() {
  const [secret, setSecret] = useState("");
  const [tenants, setTenants] = useState<Schemas["Tenant"][] | null>(null);
  const [name, setName] = useState("");
  const [tokenFor, setTokenFor] = useState("");
  const [made, setMade] = useState<Schemas["NewToken"] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const admin = <T,>(method: string, path: string, body?: unknown) =>
    call<T>(method, path, body, secret);
  const load = async (event?: FormEvent) => {
    event?.preventDefault();
    setError(null);
    try {
      setTenants(await admin<Schemas["Tenant"][]>("GET", "/v1/tenants"));
    } catch (err) {
      setTenants(null);
      setError(err);
    }
  };
  const create = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await admin("POST", "/v1/tenants", { name });
      setName("");
      await load();
    } catch (err) {
      setError(err);
    }
  };
  const token = async (event: FormEvent) => {
    event.preventDefault();
    try {
      setMade(
        await admin<Schemas["NewToken"]>("POST", `/v1/tenants/${encodeURIComponent(tokenFor)}/tokens`, {
          name: "dashboard",
        }),
      );
      await load();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section>
      <h1>Admin</h1>
      <p className="note">
        Tenants and their tokens, with the admin token <code>hewer api</code> was started with
        (<code>HEWER_API_ADMIN_TOKEN</code>). It stays in this page, never stored.
      </p>
      <form className="filters" onSubmit={load} aria-label="Sign in as the operator">
        <label>
          Admin token
          <input
            type="password"
            autoComplete="off"
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
          />
        </label>
        <button type="submit">Show tenants</button>
      </form>
      <ErrorNote error={error} />
      {tenants ? (
        <>
          <div className="table-wrap">
            <table aria-label="Tenants">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Active tokens</th>
                  <th>Max running</th>
                  <th>Trigger rate</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {tenants.map((t) => (
                  <tr key={t.tenant_id}>
                    <td>{t.name}</td>
                    <td>{t.active_tokens}</td>
                    <td>{t.max_running ?? ""}</td>
                    <td>{t.max_trigger_rate ?? ""}</td>
                    <td>{time(t.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <form className="filters" onSubmit={create} aria-label="Create a tenant">
            <label>
              New tenant
              <input value={name} onChange={(e) => setName(e.target.value)} required />
            </label>
            <button type="submit">Create</button>
          </form>
          <form className="filters" onSubmit={token} aria-label="Create a token">
            <label>
              Token for tenant
              <select value={tokenFor} onChange={(e) => setTokenFor(e.target.value)} required>
                <option value="" />
                {tenants.map((t) => (
                  <option key={t.tenant_id}>{t.name}</option>
                ))}
              </select>
            </label>
            <button type="submit">Create token</button>
          </form>
          {made ? (
            <p role="status">
              Token for {made.tenant} (shown this once): <code className="mono">{made.token}</code>
            </p>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
