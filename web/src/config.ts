/** Where the API is and how people sign in: /config.json, served by the local runtime and
 * written next to the app by the AWS deploy step (see docs/web-app.md). */

export type LocalAuth = { mode: "local" };
export type CognitoAuth = {
  mode: "cognito";
  region: string;
  userPoolId: string;
  clientId: string;
  domain: string; // hosted UI host, e.g. bgr-dev-123.auth.ap-southeast-1.amazoncognito.com
};

export type AppConfig = {
  apiUrl: string; // "" when the API is on the app's own origin
  auth: LocalAuth | CognitoAuth;
};

export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch("/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  const config = (await response.json()) as AppConfig;
  return { ...config, apiUrl: (config.apiUrl ?? "").replace(/\/$/, "") };
}
