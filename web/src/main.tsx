// The dashboard: log in, pick a project, then one page at a time under one filter bar.

import { render } from "preact";
import { useEffect, useState } from "preact/hooks";

import { ApiError, type Project, clearCache, getProjects, getSession, login, logout, setUnauthorizedHandler } from "./api";
import { makeCtx } from "./ctx";
import { FilterBar } from "./filterbar";
import { ErrorsPage } from "./pages/errors";
import { GeographyPage } from "./pages/geography";
import { IngestPage } from "./pages/ingest";
import { NetworkPage } from "./pages/network";
import { OverviewPage } from "./pages/overview";
import { PagesPage } from "./pages/pages";
import { PerformancePage } from "./pages/performance";
import { ReleasesPage } from "./pages/releases";
import { SessionsPage } from "./pages/sessions";
import { SetupPage } from "./pages/setup";
import { linkProps, navigate, useView } from "./router";
import { toPage } from "./state";
import { ErrorBox, Loading } from "./ui/components";

const NAV: Array<[string, string]> = [
  ["overview", "Overview"],
  ["performance", "Performance"],
  ["errors", "Errors"],
  ["sessions", "Sessions"],
  ["pages", "Pages"],
  ["releases", "Releases"],
  ["network", "Network"],
  ["geography", "Geography"],
  ["ingest-health", "Ingest health"],
  ["setup", "Setup"],
];

const PAGES: Record<string, (props: { ctx: ReturnType<typeof makeCtx>; projects: Project[] }) => preact.JSX.Element> = {
  overview: OverviewPage,
  performance: PerformancePage,
  errors: ErrorsPage,
  sessions: SessionsPage,
  pages: PagesPage,
  releases: ReleasesPage,
  network: NetworkPage,
  geography: GeographyPage,
  "ingest-health": IngestPage,
  setup: SetupPage,
};

type Auth = { state: "checking" } | { state: "out"; message?: string } | { state: "in"; user: string };

function Login({ onLogin, message }: { onLogin: (user: string) => void; message?: string }) {
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(message);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const session = await login(user, password);
      onLogin(session.user);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Sightline</h1>
        <p>Log in to see what your users experience.</p>
        <label>
          User
          <input name="user" autocomplete="username" required value={user} onInput={(e) => setUser((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </label>
        {error && (
          <p class="state error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        <p class="hint">
          The first administrator's password is printed once by <code>sightline serve</code> on its first start (or set by{" "}
          <code>SIGHTLINE_ADMIN_PASSWORD</code>); <code>sightline user</code> manages users.
        </p>
      </form>
    </main>
  );
}

function Dashboard({ user, onLogout }: { user: string; onLogout: () => void }) {
  const { view, now } = useView();
  const [projects, setProjects] = useState<Project[] | Error>();
  useEffect(() => {
    getProjects().then(
      (answer) => setProjects(answer.projects),
      (error: Error) => setProjects(error),
    );
  }, []);
  const list = Array.isArray(projects) ? projects : [];
  const project = view.project && list.some((p) => p.id === view.project) ? view.project : (list.find((p) => p.id === "default") ?? list[0])?.id;
  useEffect(() => {
    if (project && view.project !== project) navigate({ ...view, project }, true);
  }, [project, view.project]);
  const title = NAV.find(([p]) => p === view.page)?.[1] ?? "Overview";
  useEffect(() => {
    // Text only: a detail (an error fingerprint, a session id) may come from a beacon.
    document.title = view.detail ? `${title}: ${view.detail} · Sightline` : `${title} · Sightline`;
  }, [title, view.detail]);
  const Page = PAGES[view.page] ?? OverviewPage;
  return (
    <div class="app">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Sightline</span>
        <nav aria-label="Pages">
          {NAV.map(([page, label]) => (
            <a key={page} {...linkProps(toPage(view, page))} aria-current={view.page === page ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="user">
          {user}{" "}
          <button type="button" onClick={onLogout}>
            Log out
          </button>
        </span>
      </header>
      {projects instanceof Error ? (
        <main id="main">
          <ErrorBox error={projects} />
        </main>
      ) : !projects ? (
        <main id="main">
          <Loading what="projects" />
        </main>
      ) : !project ? (
        <main id="main">
          <p class="state empty">No project can be read. Declare one in the server's configuration (docs/configuration.md).</p>
        </main>
      ) : (
        <>
          <FilterBar ctx={makeCtx(view, now, project)} projects={list} />
          <main id="main" tabIndex={-1}>
            <h1>{title}</h1>
            <Page ctx={makeCtx(view, now, project)} projects={list} />
          </main>
        </>
      )}
    </div>
  );
}

function App() {
  const [auth, setAuth] = useState<Auth>({ state: "checking" });
  useEffect(() => {
    setUnauthorizedHandler(() => {
      clearCache();
      setAuth({ state: "out", message: "Your session ended. Log in again." });
    });
    getSession().then(
      (s) => setAuth({ state: "in", user: s.user }),
      (error: Error) =>
        setAuth(error instanceof ApiError && error.status === 401 ? { state: "out" } : { state: "out", message: error.message }),
    );
  }, []);
  if (auth.state === "checking") return <Loading what="your session" />;
  if (auth.state === "out") return <Login message={auth.message} onLogin={(user) => setAuth({ state: "in", user })} />;
  return (
    <Dashboard
      user={auth.user}
      onLogout={() => {
        clearCache();
        logout().finally(() => setAuth({ state: "out" }));
      }}
    />
  );
}

render(<App />, document.getElementById("app")!);
