/** The public API, as any client uses it: bearer token, JSON, `{"error": {"code", "message"}}`. */

import type { Session } from "./auth";
import type { AppConfig } from "./config";

export const BGR = "/api/background-remover";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter: number | null = null,
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

export type Api = {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  del<T>(path: string, body?: unknown): Promise<T>;
  session: Session;
  config: AppConfig;
};

export function makeApi(config: AppConfig, session: Session, onUnauthorized: () => void): Api {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${config.apiUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${session.token}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, "NETWORK", "the service could not be reached");
    }
    const text = await response.text();
    const data = text ? safeJson(text) : {};
    if (!response.ok) {
      const error = (data as { error?: { code?: string; message?: string; details?: unknown } }).error ?? {};
      // Retry-After; across origins only the exposed X-RateLimit-Reset (epoch seconds) is readable.
      const reset = response.headers.get("X-RateLimit-Reset");
      const retry = response.headers.get("Retry-After") ?? (reset ? String(Math.max(1, Math.ceil(Number(reset) - Date.now() / 1000))) : null);
      if (response.status === 401) onUnauthorized();
      throw new ApiError(
        response.status,
        error.code ?? `HTTP_${response.status}`,
        error.message ?? (text.slice(0, 200) || response.statusText),
        retry === null ? null : Number(retry),
        error.details ?? null,
      );
    }
    return data as T;
  }
  return {
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body ?? {}),
    del: (path, body) => call("DELETE", path, body),
    session,
    config,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { error: { message: text.slice(0, 200) } };
  }
}

/** A presigned S3 POST (`fields` then `file`), reporting progress from 0 to 1. */
export function uploadTo(
  upload: { url: string; fields: Record<string, string> },
  file: Blob,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [key, value] of Object.entries(upload.fields)) form.append(key, value);
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.url);
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onload = () =>
      xhr.status < 300
        ? (onProgress(1), resolve())
        : reject(new ApiError(xhr.status, "UPLOAD_REFUSED", `storage refused the upload (${xhr.status})`));
    xhr.onerror = () => reject(new ApiError(0, "UPLOAD_FAILED", "the upload did not reach storage"));
    xhr.onabort = () => reject(new ApiError(0, "CANCELLED", "the upload was cancelled"));
    signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(form);
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
