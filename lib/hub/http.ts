/**
 * The one HTTP seam to the Hugging Face Hub: endpoint and token from the environment, redirects followed by hand so
 * the token never leaves the Hub's origin, bounded retries with backoff for 429/5xx, and errors worded like
 * `huggingface_hub`'s (`RepositoryNotFoundError`, `GatedRepoError`, `RevisionNotFoundError`, `EntryNotFoundError`).
 *
 * @module
 */

/** The public Hub. */
export const DEFAULT_ENDPOINT = "https://huggingface.co";

/** Statuses retried with backoff (as `huggingface_hub`'s `_DEFAULT_RETRY_ON_STATUS_CODES` plus 500 and 429). */
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

/** How a failed Hub call is classified (the `huggingface_hub` error it corresponds to). */
export type HubErrorKind =
  | "RepositoryNotFound"
  | "GatedRepo"
  | "RevisionNotFound"
  | "EntryNotFound"
  | "Unauthorized"
  | "HTTP"
  | "Network";

/**
 * A failed Hub call: `status` (0 for network errors), `kind`, and a message that never contains the token.
 *
 * @example
 * ```ts
 * import { HubError } from "./http.ts";
 * const err = new HubError("404 Client Error.", 404, "EntryNotFound");
 * if (err.name !== "EntryNotFoundError") throw new Error("unexpected");
 * ```
 */
export class HubError extends Error {
  /** HTTP status, or 0 when no response came. */
  status: number;
  /** Which `huggingface_hub` error this is. */
  kind: HubErrorKind;
  /** Response headers (for `X-Repo-Commit` on a missing entry). */
  headers: Headers;
  /** Build one; prefer {@link hubErrorFromResponse}. */
  constructor(message: string, status: number, kind: HubErrorKind, headers: Headers = new Headers()) {
    super(message);
    this.name = `${kind}Error`;
    this.status = status;
    this.kind = kind;
    this.headers = headers;
  }
}

/** Retry policy for {@link hubFetch}. */
export interface RetryOptions {
  /** Attempts in all, first included (default 5). */
  attempts?: number;
  /** First backoff in milliseconds, doubled each time, capped at 8 s (default 1000). */
  baseDelayMs?: number;
}

/** Options of {@link hubFetch}. */
export interface HubFetchOptions {
  /** HTTP method (default GET). */
  method?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Request body. */
  body?: BodyInit;
  /** Bearer token; sent only to `trustedOrigin`. */
  token?: string;
  /** The only origin that may receive the token (default: the origin of `url`). */
  trustedOrigin?: string;
  /** Follow redirects: "all" (default), "relative" (same origin only, as `huggingface_hub` does for HEAD), "none". */
  follow?: "all" | "relative" | "none";
  /** Retry policy; `{ attempts: 1 }` disables retries. */
  retry?: RetryOptions;
  /** Abort signal. */
  signal?: AbortSignal;
}

/**
 * The Hub endpoint: `endpoint`, else `$HF_ENDPOINT`, else `https://huggingface.co` (no trailing slash).
 *
 * @example
 * ```ts
 * import { hubEndpoint } from "./http.ts";
 * if (hubEndpoint("http://127.0.0.1:9/") !== "http://127.0.0.1:9") throw new Error("unexpected");
 * ```
 */
export function hubEndpoint(endpoint?: string): string {
  const value = endpoint ?? Deno.env.get("HF_ENDPOINT") ?? DEFAULT_ENDPOINT;
  return value.replace(/\/+$/, "");
}

/**
 * The token to send: `token`, else `$HF_TOKEN`, else `$HUGGING_FACE_HUB_TOKEN`; `undefined` when none is set.
 *
 * @example
 * ```ts
 * import { hubToken } from "./http.ts";
 * if (hubToken("hf_abc") !== "hf_abc") throw new Error("unexpected");
 * ```
 */
export function hubToken(token?: string): string | undefined {
  const value = token ?? Deno.env.get("HF_TOKEN") ?? Deno.env.get("HUGGING_FACE_HUB_TOKEN");
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/**
 * `text` with every occurrence of `token` replaced by `***`, for messages that quote a server's words.
 *
 * @example
 * ```ts
 * import { redactToken } from "./http.ts";
 * if (redactToken("bad hf_secret", "hf_secret") !== "bad ***") throw new Error("unexpected");
 * ```
 */
export function redactToken(text: string, token?: string): string {
  return token ? text.split(token).join("***") : text;
}

/** Sleep `ms` milliseconds. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Milliseconds to wait before attempt `attempt + 1` (honours `Retry-After` seconds, bounded). */
function backoffMs(attempt: number, retry: RetryOptions, response?: Response): number {
  const base = retry.baseDelayMs ?? 1000;
  const retryAfter = Number(response?.headers.get("Retry-After"));
  if (Number.isFinite(retryAfter) && retryAfter > 0) return Math.min(retryAfter * 1000, 60_000, base * 60);
  return Math.min(base * 2 ** attempt, 8000);
}

/**
 * One Hub request, redirects followed by hand: the `Authorization` header goes only to `trustedOrigin` (the Hub),
 * never to the CDN or any other host a redirect points at. 429 and 5xx answers and network errors are retried with
 * exponential backoff, a bounded number of times. Returns the final response, whatever its status (see
 * {@link hubErrorFromResponse}); with `follow: "relative"` a cross-origin redirect is returned as is.
 *
 * @example
 * ```ts
 * import { hubFetch } from "./http.ts";
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("ok"));
 * const res = await hubFetch(`http://127.0.0.1:${server.addr.port}/x`, { token: "hf_example" });
 * if ((await res.text()) !== "ok") throw new Error("unexpected");
 * await server.shutdown();
 * ```
 */
export async function hubFetch(url: string, options: HubFetchOptions = {}): Promise<Response> {
  const retry = options.retry ?? {};
  const attempts = Math.max(1, retry.attempts ?? 5);
  const trustedOrigin = options.trustedOrigin ?? new URL(url).origin;
  for (let attempt = 0;; attempt++) {
    let response: Response;
    try {
      response = await followRedirects(url, options, trustedOrigin);
    } catch (e) {
      if ((e as Error).name === "AbortError" || attempt + 1 >= attempts) {
        throw new HubError(
          `network error calling ${url}: ${redactToken((e as Error).message, options.token)}`,
          0,
          "Network",
        );
      }
      await sleep(backoffMs(attempt, retry));
      continue;
    }
    if (!RETRY_STATUSES.has(response.status) || attempt + 1 >= attempts) return response;
    await response.body?.cancel();
    await sleep(backoffMs(attempt, retry, response));
  }
}

/** Follow redirects for one attempt, dropping the token whenever the target leaves `trustedOrigin`. */
async function followRedirects(url: string, options: HubFetchOptions, trustedOrigin: string): Promise<Response> {
  const follow = options.follow ?? "all";
  let current = url;
  let method = options.method ?? "GET";
  let body = options.body;
  for (let hop = 0; hop <= 10; hop++) {
    const headers = new Headers(options.headers ?? {});
    const origin = new URL(current).origin;
    if (options.token && origin === trustedOrigin) headers.set("Authorization", `Bearer ${options.token}`);
    const response = await fetch(current, { method, headers, body, redirect: "manual", signal: options.signal });
    const location = response.headers.get("Location");
    if (response.status < 300 || response.status >= 400 || location === null || follow === "none") return response;
    const next = new URL(location, current);
    if (follow === "relative" && next.origin !== origin) return response;
    await response.body?.cancel();
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST")) {
      method = "GET";
      body = undefined;
    }
    current = next.href;
  }
  throw new Error(`too many redirects from ${url}`);
}

/** Options of {@link hubErrorFromResponse}. */
export interface HubErrorOptions {
  /** The URL to name in the message (default `response.url`). */
  url?: string;
  /** The token, so a server message echoing it is redacted. */
  token?: string;
}

/**
 * Turn a failed response into a {@link HubError} worded like `huggingface_hub`'s `hf_raise_for_status`, using the
 * Hub's `X-Error-Code` / `X-Error-Message` headers. `what` names the request for the message (e.g. the repo and file).
 * The token is never part of the message.
 *
 * @example
 * ```ts
 * import { hubErrorFromResponse } from "./http.ts";
 * const res = new Response(null, { status: 404, headers: { "X-Error-Code": "EntryNotFound" } });
 * const err = await hubErrorFromResponse(res, { url: "http://hub/x/resolve/main/a.txt" });
 * if (err.kind !== "EntryNotFound") throw new Error("unexpected");
 * ```
 */
export async function hubErrorFromResponse(response: Response, options: HubErrorOptions = {}): Promise<HubError> {
  const url = options.url ?? response.url;
  const token = options.token;
  const status = response.status;
  const code = response.headers.get("X-Error-Code") ?? "";
  let serverMessage = response.headers.get("X-Error-Message") ?? "";
  try {
    const text = (await response.text()).trim();
    if (!serverMessage && text) {
      try {
        const json = JSON.parse(text);
        serverMessage = String(json.error ?? json.message ?? "");
      } catch {
        serverMessage = text.slice(0, 300);
      }
    }
  } catch {
    // body unreadable: keep the header message
  }
  serverMessage = redactToken(serverMessage, token);
  const prefix = `${status} ${status >= 500 ? "Server" : "Client"} Error.`;
  const detail = serverMessage ? `\n\n${serverMessage}` : "";
  const invalidToken = status === 401 && /invalid (credentials|username or password|token)/i.test(serverMessage);
  if (code === "RepoNotFound" || (status === 401 && !invalidToken && code !== "GatedRepo")) {
    return new HubError(
      `${prefix}\n\nRepository Not Found for url: ${url}.\nPlease make sure you specified the correct \`repo_id\` and ` +
        "`repo_type`.\nIf you are trying to access a private or gated repo, make sure you are authenticated " +
        "(set HF_TOKEN or pass a token). For more details, see https://huggingface.co/docs/huggingface_hub/authentication" +
        detail,
      status,
      "RepositoryNotFound",
      response.headers,
    );
  }
  if (code === "GatedRepo") {
    return new HubError(
      `${prefix}\n\nCannot access gated repo for url ${url}.${detail}\nAccept the repository's conditions on its Hub ` +
        "page with the account your token belongs to.",
      status,
      "GatedRepo",
      response.headers,
    );
  }
  if (code === "RevisionNotFound") {
    return new HubError(`${prefix}\n\nRevision Not Found for url: ${url}.${detail}`, status, "RevisionNotFound");
  }
  if (code === "EntryNotFound" || (status === 404 && code === "")) {
    return new HubError(
      `${prefix}\n\nEntry Not Found for url: ${url}.${detail}`,
      status,
      "EntryNotFound",
      response.headers,
    );
  }
  if (status === 401) {
    return new HubError(
      `${prefix}\n\nInvalid credentials for url: ${url}. The token was refused; check HF_TOKEN / --hub-token.${detail}`,
      status,
      "Unauthorized",
    );
  }
  if (status === 403) {
    return new HubError(
      `${prefix}\n\nForbidden for url: ${url}. The token lacks the permission this call needs (a write token is ` +
        `needed to create repos and push).${detail}`,
      status,
      "Unauthorized",
    );
  }
  const retried = RETRY_STATUSES.has(status) ? " (after retrying with backoff)" : "";
  return new HubError(`${prefix}\n\nHTTP ${status} for url: ${url}${retried}.${detail}`, status, "HTTP");
}

/**
 * GET a JSON document from the Hub, raising a {@link HubError} on failure.
 *
 * @example
 * ```ts
 * import { hubJson } from "./http.ts";
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => Response.json({ a: 1 }));
 * const value = await hubJson(`http://127.0.0.1:${server.addr.port}/api/x`);
 * if ((value as { a: number }).a !== 1) throw new Error("unexpected");
 * await server.shutdown();
 * ```
 */
export async function hubJson(url: string, options: HubFetchOptions = {}): Promise<unknown> {
  const response = await hubFetch(url, options);
  if (!response.ok) throw await hubErrorFromResponse(response, { url, token: options.token });
  try {
    return await response.json();
  } catch (e) {
    throw new Error(`${url}: expected a JSON answer from the Hub (${(e as Error).message})`);
  }
}
