/** Sign-in: a local token from the local runtime, or Cognito's hosted UI (authorization code
 * with PKCE) in AWS. Either way the API gets an ID token as `Authorization: Bearer`. */

import type { AppConfig, CognitoAuth } from "./config";

/** `sub` is the user id the API knows; `user` is what to show (the e-mail with Cognito). */
export type Session = { token: string; sub: string; user: string; admin: boolean; expiresAt: number };

// The ID token lives in memory and in this tab's sessionStorage (a reload keeps the sign-in;
// closing the tab ends it), never in localStorage, where it would outlive the tab.
const KEY = "bgr.token";
const PKCE_KEY = "bgr.pkce";

function claims(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  const binary = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
}

export function sessionOf(token: string): Session {
  const c = claims(token);
  const groups = c["cognito:groups"];
  const list = Array.isArray(groups) ? groups : typeof groups === "string" ? groups.split(",") : [];
  const user = String(c["email"] ?? c["cognito:username"] ?? c["sub"]);
  return { token, sub: String(c["sub"]), user, admin: list.includes("admin"), expiresAt: Number(c["exp"]) * 1000 };
}

export function savedSession(): Session | null {
  localStorage.removeItem(KEY); // where earlier versions kept it
  const token = sessionStorage.getItem(KEY);
  try {
    const session = token ? sessionOf(token) : null;
    return session && session.expiresAt > Date.now() ? session : null;
  } catch {
    return null; // not a token: sign in again
  }
}

export function saveSession(session: Session | null): void {
  if (session) sessionStorage.setItem(KEY, session.token);
  else sessionStorage.removeItem(KEY);
}

/** Local runtime only: the token `make token USER=<id> [ADMIN=1]` would print. */
export async function localSignIn(config: AppConfig, user: string, admin: boolean): Promise<Session> {
  const response = await fetch(`${config.apiUrl}/local/sign-in`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user, admin }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body?.error?.message ?? `sign-in answered ${response.status}`);
  return sessionOf(body.token);
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function redirectUri(): string {
  return `${location.origin}/`;
}

export async function cognitoSignIn(auth: CognitoAuth): Promise<void> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: auth.clientId,
    redirect_uri: redirectUri(),
    scope: "openid email",
    state,
    code_challenge: base64url(digest),
    code_challenge_method: "S256",
  });
  location.assign(`https://${auth.domain}/oauth2/authorize?${query}`);
}

/** Back from the hosted UI with ?code=...: exchange it for tokens, then clean the address bar. */
export async function cognitoCallback(auth: CognitoAuth): Promise<Session | null> {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  if (!code) return null;
  const pkce = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? "{}");
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, "", location.pathname + location.hash);
  if (params.get("state") !== pkce.state) throw new Error("the sign-in answer does not match this browser's request");
  const response = await fetch(`https://${auth.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: auth.clientId,
      code,
      redirect_uri: redirectUri(),
      code_verifier: pkce.verifier,
    }),
  });
  if (!response.ok) throw new Error(`Cognito refused the sign-in (${response.status})`);
  const tokens = await response.json();
  return sessionOf(tokens.id_token);
}

export function cognitoSignOut(auth: CognitoAuth): void {
  const query = new URLSearchParams({ client_id: auth.clientId, logout_uri: redirectUri() });
  location.assign(`https://${auth.domain}/logout?${query}`);
}
