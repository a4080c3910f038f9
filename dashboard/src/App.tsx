// The dashboard's shell: the login, the navigation, and a page per path.
import { useState, type FormEvent } from "react";
import { ApiProblem, call, savedToken, saveToken } from "./api";
import { Link, navigate, useLocation } from "./router";
import { ErrorNote } from "./ui";
import { Overview } from "./pages/Overview";
import { Runs } from "./pages/Runs";
import { RunDetail } from "./pages/RunDetail";
import { Trigger } from "./pages/Trigger";
import { Workflows } from "./pages/Workflows";
import { Workers } from "./pages/Workers";
import { Events } from "./pages/Events";
import { Limits } from "./pages/Limits";
import { Admin } from "./pages/Admin";

const PAGES: [string, string][] = [
  ["/", "Overview"],
  ["/runs", "Runs"],
  ["/trigger", "Trigger"],
  ["/workflows", "Workflows"],
  ["/workers", "Workers"],
  ["/events", "Events"],
  ["/limits", "Limits"],
  ["/admin", "Admin"],
];

export function App() {
  const { path } = useLocation();
  const [signedIn, setSignedIn] = useState(savedToken() !== null);
  if (path === "/admin") return <Shell path={path} signOut={null}><Admin /></Shell>;
  if (!signedIn) return <Login onDone={() => setSignedIn(true)} />;
  const signOut = () => {
    saveToken(null);
    setSignedIn(false);
    navigate("/");
  };
  return (
    <Shell path={path} signOut={signOut}>
      <Page path={path} />
    </Shell>
  );
}

function Page({ path }: { path: string }) {
  const run = path.match(/^\/runs\/([0-9a-f-]{36})$/);
  if (run) return <RunDetail runId={run[1]} />;
  switch (path) {
    case "/":
      return <Overview />;
    case "/runs":
      return <Runs />;
    case "/trigger":
      return <Trigger />;
    case "/workflows":
      return <Workflows />;
    case "/workers":
      return <Workers />;
    case "/events":
      return <Events />;
    case "/limits":
      return <Limits />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            No page at <code>{path}</code>. <Link href="/">Back to the overview</Link>.
          </p>
        </section>
      );
  }
}

function Shell(props: { path: string; signOut: (() => void) | null; children: React.ReactNode }) {
  const current = (href: string) =>
    href === "/" ? props.path === "/" : props.path === href || props.path.startsWith(`${href}/`);
  return (
    <div className="shell">
      <header>
        <Link href="/" className="brand">
          Hewer
        </Link>
        <nav aria-label="Pages">
          {PAGES.map(([href, name]) => (
            <Link key={href} href={href} aria-current={current(href) ? "page" : undefined}>
              {name}
            </Link>
          ))}
        </nav>
        {props.signOut ? (
          <button type="button" className="link" onClick={props.signOut}>
            Log out
          </button>
        ) : null}
      </header>
      <main>{props.children}</main>
    </div>
  );
}

function Login({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // Any call checks the token; this one also proves it acts for a tenant.
      await call("GET", "/v1/runs?limit=1", undefined, token.trim() || null);
      saveToken(token.trim());
      onDone();
    } catch (err) {
      setError(
        err instanceof ApiProblem && err.status === 401
          ? new Error(`This token is not accepted: ${err.message}`)
          : err,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <h1>Hewer</h1>
      <form onSubmit={submit}>
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          placeholder="hwt_..."
          value={token}
          onChange={(e) => setToken(e.target.value)}
          autoFocus
        />
        <p className="note">
          A token from <code>hewer tokens create</code>. Leave it empty while no token exists
          (the default tenant).
        </p>
        <button type="submit" disabled={busy}>
          Log in
        </button>
        <ErrorNote error={error} />
      </form>
    </main>
  );
}
