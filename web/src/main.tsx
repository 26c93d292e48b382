import { render } from "preact";
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { BGR, makeApi, type Api } from "./api";
import { cognitoCallback, cognitoSignIn, cognitoSignOut, localSignIn, saveSession, savedSession, type Session } from "./auth";
import { ErrorBox, credits } from "./components";
import { loadConfig, type AppConfig } from "./config";
import { AccountPage } from "./pages/Account";
import { BatchPage } from "./pages/Batch";
import { HistoryPage } from "./pages/History";
import { SinglePage } from "./pages/Single";
import type { Pricing } from "./types";
import "./styles.css";

const PAGES = [
  { hash: "#/", label: "Remove" },
  { hash: "#/batch", label: "Batch" },
  { hash: "#/history", label: "History" },
  { hash: "#/account", label: "Account" },
];

function useHash(): string {
  const [hash, setHash] = useState(location.hash || "#/");
  useEffect(() => {
    const on = () => setHash(location.hash || "#/");
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return hash;
}

function App() {
  const [config, setConfig] = useState<AppConfig | null>(null);
  const [session, setSession] = useState<Session | null>(savedSession());
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    loadConfig()
      .then(async (c) => {
        setConfig(c);
        if (c.auth.mode === "cognito") {
          const back = await cognitoCallback(c.auth);
          if (back) (saveSession(back), setSession(back));
        }
      })
      .catch(setError);
  }, []);
  const signOut = useCallback(() => {
    saveSession(null);
    setSession(null);
    if (config?.auth.mode === "cognito") cognitoSignOut(config.auth);
  }, [config]);
  if (error) return <Shell><ErrorBox error={error} /></Shell>;
  if (!config) return <Shell><p aria-busy="true">Loading…</p></Shell>;
  if (!session)
    return (
      <Shell>
        <SignIn config={config} onSession={(s) => (saveSession(s), setSession(s))} />
      </Shell>
    );
  return <SignedIn config={config} session={session} onSignOut={signOut} />;
}

function Shell({ children, nav }: { children: preact.ComponentChildren; nav?: preact.ComponentChildren }) {
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/">
          Background Remover Pro
        </a>
        {nav}
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

function SignIn({ config, onSession }: { config: AppConfig; onSession: (s: Session) => void }) {
  const [user, setUser] = useState("");
  const [admin, setAdmin] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (config.auth.mode === "cognito") {
    const auth = config.auth;
    return (
      <section class="card narrow" aria-labelledby="signin-heading">
        <h1 id="signin-heading">Sign in</h1>
        <p>Sign in or create an account to remove backgrounds.</p>
        <button class="primary" onClick={() => cognitoSignIn(auth).catch(setError)}>
          Sign in
        </button>
        <ErrorBox error={error} />
      </section>
    );
  }
  return (
    <section class="card narrow" aria-labelledby="signin-heading">
      <h1 id="signin-heading">Sign in (local)</h1>
      <p class="muted">This is the local runtime: any user name signs in, no password. Each name has its own credits and history.</p>
      <form
        class="grid-form"
        onSubmit={(e) => {
          e.preventDefault();
          localSignIn(config, user.trim(), admin).then(onSession, setError);
        }}
      >
        <label>
          User name <input name="user" value={user} required autoComplete="username" pattern="[A-Za-z0-9_.@+\-]{1,128}" title="letters, digits and _ . @ + -" onInput={(e) => setUser(e.currentTarget.value)} />
        </label>
        <label>
          <input type="checkbox" name="admin" checked={admin} onChange={(e) => setAdmin(e.currentTarget.checked)} /> Administrator (may grant credits)
        </label>
        <button class="primary" type="submit">
          Sign in
        </button>
      </form>
      <ErrorBox error={error} />
    </section>
  );
}

type Health = { status: string; missing: string[]; features: Record<string, boolean> };

function SignedIn({ config, session, onSignOut }: { config: AppConfig; session: Session; onSignOut: () => void }) {
  const api: Api = useMemo(() => makeApi(config, session, onSignOut), [config, session, onSignOut]);
  const hash = useHash();
  const [pricing, setPricing] = useState<Pricing | null>(null);
  const [balance, setBalance] = useState<number | null>(null);
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<unknown>(null);
  const refreshBalance = useCallback(() => {
    api.get<{ balance: number }>("/api/credits/balance").then((r) => setBalance(r.balance), setError);
  }, [api]);
  useEffect(() => {
    api.get<Pricing>(`${BGR}/pricing`).then(setPricing, setError);
    fetch(`${config.apiUrl}/health`)
      .then((r) => r.json())
      .then(setHealth, () => setHealth(null));
    refreshBalance();
  }, [api]);
  useEffect(() => {
    document.getElementById("main")?.focus();
    refreshBalance();
  }, [hash]);
  // a checkout sends the payer back to "#/account?checkout=paid&session=cs_...": the page is before "?"
  const page = PAGES.find((p) => p.hash === hash.split("?")[0]) ?? PAGES[0];
  useEffect(() => {
    document.title = `${page.label} · Background Remover Pro`;
  }, [page]);
  const off = health ? Object.entries(health.features).filter(([, on]) => !on).map(([name]) => name.replace("_", " ")) : [];
  const nav = (
    <>
      <nav aria-label="Main">
        <ul>
          {PAGES.map((p) => (
            <li key={p.hash}>
              <a href={p.hash} aria-current={p === page ? "page" : undefined}>
                {p.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="who">
        <span aria-label="Credit balance">{balance === null ? "" : credits(balance)}</span>
        <span class="muted">
          {session.user}
          {session.admin ? " (admin)" : ""}
        </span>
        <button class="link" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </>
  );
  return (
    <Shell nav={nav}>
      {health && health.status !== "healthy" && (
        <div class="error banner" role="alert">
          <strong>The service is degraded</strong>
          <p>Not available right now: {health.missing.join(", ")}. Some actions will fail until it is back.</p>
        </div>
      )}
      {off.length > 0 && <p class="note">Switched off on this service: {off.join(", ")}.</p>}
      <h1 class="visually-hidden">{page.label}</h1>
      <ErrorBox error={error} />
      {pricing &&
        (page.hash === "#/batch" ? (
          <BatchPage api={api} pricing={pricing} onCharged={refreshBalance} />
        ) : page.hash === "#/history" ? (
          <HistoryPage api={api} />
        ) : page.hash === "#/account" ? (
          <AccountPage api={api} pricing={pricing} balance={balance} onCharged={refreshBalance} payments={health ? health.features.payments !== false : true} returned={hash} />
        ) : (
          <SinglePage api={api} pricing={pricing} onCharged={refreshBalance} />
        ))}
    </Shell>
  );
}

render(<App />, document.getElementById("app")!);
