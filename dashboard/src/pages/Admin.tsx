// Admin: tenants and their tokens, with the API's admin token (kept in this page only):
// create a tenant, create a token for one, list a tenant's tokens and revoke one.
import { useState, type FormEvent } from "react";
import { call, type Schemas } from "../api";
import { ErrorNote, Status, time } from "../ui";

type Token = Schemas["Token"];

export function Admin() {
  const [secret, setSecret] = useState("");
  const [tenants, setTenants] = useState<Schemas["Tenant"][] | null>(null);
  const [name, setName] = useState("");
  const [tokenFor, setTokenFor] = useState("");
  const [tokenName, setTokenName] = useState("");
  const [made, setMade] = useState<Schemas["NewToken"] | null>(null);
  // The tenant whose tokens are shown, and those tokens.
  const [shown, setShown] = useState<string | null>(null);
  const [tokens, setTokens] = useState<Token[]>([]);
  // A revoke asks once more before it happens: the token id awaiting that second click.
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const admin = <T,>(method: string, path: string, body?: unknown) =>
    call<T>(method, path, body, secret);
  const tokensPath = (tenant: string) => `/v1/tenants/${encodeURIComponent(tenant)}/tokens`;

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
  const showTokens = async (tenant: string) => {
    setError(null);
    setConfirming(null);
    try {
      setTokens(await admin<Token[]>("GET", tokensPath(tenant)));
      setShown(tenant);
    } catch (err) {
      setError(err);
    }
  };
  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
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
    setError(null);
    try {
      setMade(await admin<Schemas["NewToken"]>("POST", tokensPath(tokenFor), { name: tokenName }));
      setTokenName("");
      await load();
      if (shown === tokenFor) await showTokens(tokenFor);
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (tenant: string, t: Token) => {
    if (confirming !== t.token_id) {
      setConfirming(t.token_id);
      return;
    }
    setError(null);
    setConfirming(null);
    try {
      await admin("DELETE", `${tokensPath(tenant)}/${t.token_id}`);
      await showTokens(tenant);
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
                    <td>
                      <button
                        type="button"
                        className="link"
                        aria-label={`Tokens of ${t.name}`}
                        onClick={() => void showTokens(t.name)}
                      >
                        {t.active_tokens}
                      </button>
                    </td>
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
            <label>
              Token name
              <input
                value={tokenName}
                onChange={(e) => setTokenName(e.target.value)}
                placeholder="ci-worker"
                required
              />
            </label>
            <button type="submit">Create token</button>
          </form>
          {made ? (
            <p role="status">
              Token {made.name} for {made.tenant} (shown this once):{" "}
              <code className="mono">{made.token}</code>
            </p>
          ) : null}
          {shown !== null ? (
            <>
              <h2>Tokens of {shown}</h2>
              {tokens.length ? (
                <div className="table-wrap">
                  <table aria-label={`Tokens of tenant ${shown}`}>
                    <thead>
                      <tr>
                        <th>Name</th>
                        <th>Status</th>
                        <th>Created</th>
                        <th>Expires</th>
                        <th>Revoked</th>
                        <th />
                      </tr>
                    </thead>
                    <tbody>
                      {tokens.map((t) => (
                        <tr key={t.token_id} data-token-id={t.token_id}>
                          <td>{t.name}</td>
                          <td>
                            <Status status={t.status} />
                          </td>
                          <td>{time(t.created_at)}</td>
                          <td>{time(t.expires_at)}</td>
                          <td>{time(t.revoked_at)}</td>
                          <td>
                            {t.status === "revoked" ? null : (
                              <button
                                type="button"
                                aria-label={
                                  confirming === t.token_id
                                    ? `Confirm: revoke token ${t.name}`
                                    : `Revoke token ${t.name}`
                                }
                                onClick={() => void revoke(shown, t)}
                              >
                                {confirming === t.token_id ? "Confirm revoke" : "Revoke"}
                              </button>
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              ) : (
                <p className="note">No tokens.</p>
              )}
            </>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
