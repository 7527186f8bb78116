/**
 * The one HTTP seam to the Hugging Face Hub: endpoint and token from the environment, redirects followed by hand so
 * the token never leaves the Hub's origin, bounded retries with backoff for 429/5xx, and errors worded like
 * `huggingface_hub`'s (`RepositoryNotFoundError`, `GatedRepoError`, `RevisionNotFoundError`, `EntryNotFoundError`).
 *
 * Every error says what was being done (`action`), the request (method and URL, never its query or the token), the
 * HTTP status or the network error (Deno's `--allow-net` refusing the host, DNS, a refused connection, a timeout,
 * TLS, a dropped connection), and what to do (the `--allow-net` flag to add, `HF_ENDPOINT`, `HF_TOKEN`,
 * `HF_HUB_OFFLINE=1`, run again later).
 *
 * @module
 */
import { sleep } from "../fs.ts";

/** The public Hub. */
export const DEFAULT_ENDPOINT = "https://huggingface.co";

/**
 * The hosts the public Hub is reached at — API, downloads and their CDN and storage redirects
 * (`cdn-lfs.hf.co`, `cas-bridge.xethub.hf.co`, …) — as the tasks pass them to Deno: `--allow-net=${HUB_ALLOW_NET}`.
 *
 * @example
 * ```ts
 * import { HUB_ALLOW_NET } from "./http.ts";
 * if (!HUB_ALLOW_NET.split(",").includes("*.hf.co")) throw new Error(HUB_ALLOW_NET);
 * ```
 */
export const HUB_ALLOW_NET = "huggingface.co,*.huggingface.co,hf.co,*.hf.co";

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
  /** The URL called (without its query), when known. */
  url?: string;
  /** Build one; prefer {@link hubErrorFromResponse} and {@link networkErrorMessage}. */
  constructor(message: string, status: number, kind: HubErrorKind, headers: Headers = new Headers(), url?: string) {
    super(message);
    this.name = `${kind}Error`;
    this.status = status;
    this.kind = kind;
    this.headers = headers;
    this.url = url;
  }
}

/** Retry and timeout policy for {@link hubFetch} and the reads of its answers. */
export interface RetryOptions {
  /** Attempts in all, first included (default 5). */
  attempts?: number;
  /** First backoff in milliseconds, doubled each time, capped at 8 s (default 1000). */
  baseDelayMs?: number;
  /**
   * Longest wait for a server's answer (its status and headers) to one request, in milliseconds (default
   * `$HF_HUB_ETAG_TIMEOUT` seconds, else 10 s, as `huggingface_hub`). A request past it fails and is retried.
   */
  connectTimeoutMs?: number;
  /**
   * Longest wait for the next bytes of an answer's body, in milliseconds (default `$HF_HUB_DOWNLOAD_TIMEOUT` seconds,
   * else 10 s, as `huggingface_hub`). A download past it is resumed, within the attempts.
   */
  idleTimeoutMs?: number;
}

/** Default wait for an answer or for the next bytes of one, in milliseconds (`huggingface_hub`'s 10 s). */
const DEFAULT_TIMEOUT_MS = 10_000;

/** A timeout from the environment (`$name` in seconds, as Python reads it), when set and readable. */
function envTimeoutMs(name: string): number | undefined {
  const seconds = Number(envIfGranted(name));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/**
 * The connect (answer) and idle-read timeouts a retry policy means, in milliseconds.
 *
 * @example
 * ```ts
 * import { hubTimeouts } from "./http.ts";
 * if (hubTimeouts({ connectTimeoutMs: 50 }).connectMs !== 50) throw new Error("unexpected");
 * ```
 */
export function hubTimeouts(retry: RetryOptions = {}): { connectMs: number; idleMs: number } {
  return {
    connectMs: retry.connectTimeoutMs ?? envTimeoutMs("HF_HUB_ETAG_TIMEOUT") ?? DEFAULT_TIMEOUT_MS,
    idleMs: retry.idleTimeoutMs ?? envTimeoutMs("HF_HUB_DOWNLOAD_TIMEOUT") ?? DEFAULT_TIMEOUT_MS,
  };
}

/** The error of a request or a body read that waited past its timeout (retried, unlike a caller's abort). */
class HubTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TimeoutError";
  }
}

/** Fewest bytes a body must bring in each idle-timeout window (a drip slower than this fails). */
const MIN_BYTES_PER_WINDOW = 1024;

/** Options of {@link readBody}. */
export interface ReadBodyOptions {
  /** The URL the answer came from, for messages. */
  url: string;
  /** Longest wait for the next bytes, in milliseconds. */
  idleMs: number;
  /** Stop after this many bytes: the rest of the body is never read (default: read it all). */
  maxBytes?: number;
}

/**
 * The chunks of a response body, each awaited at most `idleMs`, and at least 1 KiB (or the rest of the body) in every
 * `idleMs` window: a server that stops sending, or drips, fails naming the URL. No more than `maxBytes` are read in
 * all: the body is cancelled there, whatever the server still sends.
 *
 * @example
 * ```ts
 * import { readBody } from "./http.ts";
 * const chunks = [];
 * for await (const c of readBody(new Response("abcdef"), { url: "http://x/y", idleMs: 1000, maxBytes: 4 })) {
 *   chunks.push(c);
 * }
 * if (new TextDecoder().decode(chunks[0]) !== "abcd") throw new Error("stopped at 4 bytes");
 * ```
 */
export async function* readBody(response: Response, options: ReadBodyOptions): AsyncGenerator<Uint8Array> {
  if (response.body === null) return;
  const reader = response.body.getReader();
  const max = options.maxBytes ?? Infinity;
  let seen = 0;
  let done = false;
  // A server that drips (a byte every few seconds) never trips the idle timeout: each window of `idleMs` must also
  // bring at least MIN_BYTES_PER_WINDOW (or what is left of the body, when less).
  let windowStart = Date.now();
  let windowSeen = 0;
  try {
    while (seen < max) {
      const now = Date.now();
      if (now - windowStart >= options.idleMs) {
        if (seen - windowSeen < Math.min(MIN_BYTES_PER_WINDOW, max - windowSeen)) {
          throw new HubTimeoutError(
            `${displayUrl(options.url)} sent only ${seen - windowSeen} bytes in ${(now - windowStart) / 1000} s ` +
              `(${seen} in all): slower than ${MIN_BYTES_PER_WINDOW} bytes per ${options.idleMs / 1000} s (read ` +
              "timeout; HF_HUB_DOWNLOAD_TIMEOUT sets the window in seconds)",
          );
        }
        windowStart = now;
        windowSeen = seen;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(
            new HubTimeoutError(
              `no data from ${displayUrl(options.url)} for ${options.idleMs / 1000} s after ${seen} bytes ` +
                "(read timeout; HF_HUB_DOWNLOAD_TIMEOUT sets it in seconds)",
            ),
          );
        }, options.idleMs);
      });
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await Promise.race([reader.read(), idle]);
      } finally {
        clearTimeout(timer);
      }
      if (next.done) {
        done = true;
        return;
      }
      const chunk = next.value.length > max - seen ? next.value.subarray(0, max - seen) : next.value;
      seen += chunk.length;
      yield chunk;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * The body as text, read with {@link readBody}'s idle timeout and size cap.
 *
 * @example
 * ```ts
 * import { bodyText } from "./http.ts";
 * if ((await bodyText(new Response("ok"), { url: "http://x/y", idleMs: 1000 })) !== "ok") throw new Error();
 * ```
 */
export async function bodyText(response: Response, options: ReadBodyOptions): Promise<string> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for await (const chunk of readBody(response, options)) parts.push(chunk.slice());
  return await new Blob(parts).text();
}

/** Largest JSON answer read from the Hub (repo infos and listings are far smaller). */
const MAX_JSON_BYTES = 256 * 1024 * 1024;

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
  /** What the call is for, first in error messages (e.g. "downloading config.json of org/model"). */
  action?: string;
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
      response = await followRedirects(url, options, trustedOrigin, hubTimeouts(retry).connectMs);
    } catch (e) {
      if (isPermissionError(e) || isUnknownHost(e) || isCallerAbort(e, options.signal) || attempt + 1 >= attempts) {
        const failed = (e as { hubUrl?: string }).hubUrl ?? url; // a redirect target when that one failed
        const message = networkErrorMessage(e, { url: failed, method: options.method, retried: attempt > 0 });
        throw new HubError(
          redactToken(options.action ? `${options.action}: ${message}` : message, options.token),
          0,
          "Network",
          new Headers(),
          displayUrl(failed),
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

/** True when the caller's own signal stopped the request (not retried; a timeout is). */
function isCallerAbort(e: unknown, signal: AbortSignal | undefined): boolean {
  return (e as Error)?.name === "AbortError" || (signal?.aborted === true && !(e instanceof HubTimeoutError));
}

/**
 * Follow redirects for one attempt, dropping the token whenever the target leaves `trustedOrigin`; each hop waits at
 * most `connectMs` for its answer.
 */
async function followRedirects(
  url: string,
  options: HubFetchOptions,
  trustedOrigin: string,
  connectMs: number,
): Promise<Response> {
  const follow = options.follow ?? "all";
  let current = url;
  let method = options.method ?? "GET";
  let body = options.body;
  for (let hop = 0; hop <= 10; hop++) {
    const headers = new Headers(options.headers ?? {});
    const origin = new URL(current).origin;
    if (options.token && origin === trustedOrigin) headers.set("Authorization", `Bearer ${options.token}`);
    let response: Response;
    const timeout = new AbortController();
    const timer = setTimeout(() => {
      timeout.abort(
        new HubTimeoutError(
          `no answer within ${connectMs / 1000} s (connect timeout; HF_HUB_ETAG_TIMEOUT sets it in seconds)`,
        ),
      );
    }, connectMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
    try {
      response = await fetch(current, { method, headers, body, redirect: "manual", signal });
    } catch (e) {
      const error = timeout.signal.aborted && !options.signal?.aborted ? timeout.signal.reason : e;
      if (current !== url && error instanceof Error) Object.assign(error, { hubUrl: current });
      throw error;
    } finally {
      clearTimeout(timer);
    }
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
  /** What the call was for, put first in the message (e.g. "downloading config.json of org/model"). */
  action?: string;
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
  const error = await classifyResponse(response, options.url ?? response.url, options.token);
  if (options.action) error.message = `${options.action}: ${error.message}`;
  error.url = displayUrl(options.url ?? response.url);
  return error;
}

/** The {@link HubError} for a failed response, worded like `huggingface_hub`'s, with what to do. */
async function classifyResponse(response: Response, url: string, token: string | undefined): Promise<HubError> {
  const status = response.status;
  const code = response.headers.get("X-Error-Code") ?? "";
  let serverMessage = response.headers.get("X-Error-Message") ?? "";
  try {
    const text = (await bodyText(response, { url, idleMs: hubTimeouts().idleMs, maxBytes: 64 * 1024 })).trim();
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
  const hint = status === 429
    ? "\nThe Hub is rate-limiting these requests: wait a few minutes and run again (authenticated calls, with " +
      "HF_TOKEN, get higher limits)."
    : status >= 500
    ? "\nThe Hub (or a proxy in front of it) is failing: run again later; https://status.huggingface.co shows " +
      "outages. Files already downloaded stay in the cache."
    : "";
  return new HubError(`${prefix}\n\nHTTP ${status} for url: ${url}${retried}.${detail}${hint}`, status, "HTTP");
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
  if (!response.ok) throw await hubErrorFromResponse(response, { url, token: options.token, action: options.action });
  try {
    const text = await bodyText(response, { url, idleMs: hubTimeouts(options.retry).idleMs, maxBytes: MAX_JSON_BYTES });
    return JSON.parse(text);
  } catch (e) {
    if (e instanceof HubTimeoutError) {
      throw new HubError(
        `${options.action ? `${options.action}: ` : ""}GET ${displayUrl(url)} failed: ${e.message}. ` +
          "Check the network connection and any proxy; to use only what is already in the cache, set HF_HUB_OFFLINE=1.",
        0,
        "Network",
        new Headers(),
        displayUrl(url),
      );
    }
    throw new Error(
      `${options.action ? `${options.action}: ` : ""}${url}: expected a JSON answer from the Hub ` +
        `(${(e as Error).message}); is HF_ENDPOINT a Hugging Face Hub?`,
    );
  }
}

/**
 * `url` fit for a message: origin and path, without the query (signed CDN and upload URLs carry signatures).
 *
 * @example
 * ```ts
 * import { displayUrl } from "./http.ts";
 * if (displayUrl("https://cdn-lfs.hf.co/x?X-Amz-Signature=abc") !== "https://cdn-lfs.hf.co/x") throw new Error();
 * ```
 */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url.split("?")[0];
  }
}

/** True for Deno's refusal of a request its `--allow-net` does not grant (`NotCapable`; `PermissionDenied` before 2.0). */
function isPermissionError(e: unknown): boolean {
  return e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied;
}

/** `$name`, or undefined when unset or not readable under the current permissions (never prompts). */
function envIfGranted(name: string): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return undefined;
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** True when the resolver answered that the host does not exist (not retried; a temporary DNS failure is). */
function isUnknownHost(e: unknown): boolean {
  const cause = (e as { cause?: unknown })?.cause;
  const text = `${(e as Error)?.message ?? ""} ${cause instanceof Error ? cause.message : String(cause ?? "")}`;
  return /name or service not known|nodename nor servname provided|no such host is known/i.test(text);
}

/** What {@link hubJsonOrCache} got: the Hub's JSON, or the cached copy when the Hub could not be reached. */
export type HubJsonOrCache<C> = { json: unknown } | { cached: C };

/**
 * {@link hubJson} with a cache to fall back on, as huggingface_hub does: one try first, and when the Hub cannot be
 * reached ({@link isHubUnreachable}), `fromCache("the Hub could not be reached")` at once; when that throws (not
 * cached), the request again with `options.retry`, and when the Hub still cannot be reached, `fromCache` with that
 * error's message on one line. Other errors are thrown as they are.
 *
 * @example
 * ```ts
 * import { hubJsonOrCache } from "./http.ts";
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("", { status: 503 }));
 * const got = await hubJsonOrCache(`http://127.0.0.1:${server.addr.port}/api/x`, {}, (why) => `cached (${why})`);
 * if (!("cached" in got) || got.cached !== "cached (the Hub could not be reached)") throw new Error("unexpected");
 * await server.shutdown();
 * ```
 */
export async function hubJsonOrCache<C>(
  url: string,
  options: HubFetchOptions,
  fromCache: (why: string) => C | Promise<C>,
): Promise<HubJsonOrCache<C>> {
  try {
    return { json: await hubJson(url, { ...options, retry: { ...options.retry, attempts: 1 } }) };
  } catch (e) {
    if (!isHubUnreachable(e)) throw e;
    try {
      return { cached: await fromCache("the Hub could not be reached") };
    } catch {
      // not cached: try again, with retries
    }
  }
  try {
    return { json: await hubJson(url, options) };
  } catch (again) {
    if (!isHubUnreachable(again)) throw again;
    return { cached: await fromCache(again.message.split("\n").filter((l) => l !== "").join(" ")) };
  }
}

/**
 * True when `error` means the Hub could not be reached or could not answer (network error, 429, 5xx): the cases in
 * which a cached copy is used instead, as `huggingface_hub` does.
 *
 * @example
 * ```ts
 * import { HubError, isHubUnreachable } from "./http.ts";
 * if (!isHubUnreachable(new HubError("down", 503, "HTTP")) || isHubUnreachable(new Error("x"))) throw new Error();
 * ```
 */
export function isHubUnreachable(error: unknown): error is HubError {
  return error instanceof HubError && (error.kind === "Network" || error.status === 429 || error.status >= 500);
}

/** True when `hostname` is one of the Hub's hosts (covered by {@link HUB_ALLOW_NET}). */
function isHubHost(hostname: string): boolean {
  return ["huggingface.co", "hf.co"].some((h) => hostname === h || hostname.endsWith(`.${h}`));
}

/** The request a {@link networkErrorMessage} is about. */
export interface FailedRequest {
  /** The URL called (its query is left out of the message). */
  url: string;
  /** HTTP method (default GET). */
  method?: string;
  /** The request was tried more than once. */
  retried?: boolean;
  /** Suggest `HF_HUB_OFFLINE=1` (reads only; default true). */
  offlineHint?: boolean;
}

/**
 * Why a Hub request got no answer, and what to do, from the error `fetch` threw: which request (method, URL), what
 * failed (Deno's `--allow-net` refusing the host, DNS, a refused connection, a timeout, TLS, a dropped connection)
 * and the fix (the `--allow-net` flag to add, checking the network, proxy or `HF_ENDPOINT`, `HF_HUB_OFFLINE=1`).
 *
 * @example
 * ```ts
 * import { networkErrorMessage } from "./http.ts";
 * const refused = new Deno.errors.NotCapable('Requires net access to "hub.example:443"');
 * const message = networkErrorMessage(refused, { url: "https://hub.example/api/models/x" });
 * if (!message.includes("--allow-net=huggingface.co,*.huggingface.co,hf.co,*.hf.co,hub.example")) {
 *   throw new Error(message);
 * }
 * ```
 */
export function networkErrorMessage(error: unknown, request: FailedRequest): string {
  const e = error as Error & { cause?: unknown };
  let host = "", hostname = "", origin = "";
  try {
    const u = new URL(request.url);
    host = u.host;
    hostname = u.hostname;
    origin = u.origin;
  } catch {
    // not a URL: the message names it as is
  }
  const call = `${(request.method ?? "GET").toUpperCase()} ${displayUrl(request.url)}`;
  const endpoint = envIfGranted("HF_ENDPOINT")?.replace(/\/+$/, "");
  const viaEndpoint = endpoint !== undefined && origin !== "" && new URL(endpoint).origin === origin;
  if (isPermissionError(error)) {
    const hubHost = isHubHost(hostname);
    const flag = hubHost ? HUB_ALLOW_NET : `${HUB_ALLOW_NET},${host}`;
    const why = viaEndpoint
      ? ` (HF_ENDPOINT is ${endpoint}; unset it to use the public Hub)`
      : hubHost
      ? ""
      : " (the Hub redirected there, or HF_ENDPOINT points there)";
    return `Deno's permissions do not allow connecting to ${host} for ${call}: the command's --allow-net does not ` +
      `include it. Run with --allow-net=${flag}${why}; for a \`deno task\`, run its command from deno.json with ` +
      "that flag.";
  }
  const cause = e?.cause instanceof Error ? e.cause.message : e?.cause !== undefined ? String(e.cause) : "";
  const raw = `${e?.message ?? String(error)}${cause ? `: ${cause}` : ""}`;
  // Deno words the cause "error sending request for url (URL): client error (Connect): <reason>": keep the reason.
  const reason = (cause || raw).replace(/^error sending request for url \([^)]*\):\s*/, "")
    .replace(/^client error \([^)]*\):\s*/, "").trim();
  const offline = request.offlineHint === false
    ? ""
    : "; to use only what is already in the cache, set HF_HUB_OFFLINE=1";
  const checkEndpoint = viaEndpoint
    ? `check HF_ENDPOINT (${endpoint})`
    : "check the network connection and any proxy (HTTPS_PROXY)";
  let what: string, todo: string;
  if (e?.name === "AbortError") {
    what = "the request was aborted";
    todo = "";
  } else if (/dns error|failed to lookup|name or service not known|nodename nor servname|no such host/i.test(raw)) {
    what = `cannot resolve the host name ${hostname} (${reason})`;
    todo = `No network, or no DNS: ${checkEndpoint}${offline}.`;
  } else if (/connection refused|ECONNREFUSED/i.test(raw)) {
    what = `connection refused by ${host} (${reason})`;
    todo = viaEndpoint
      ? `Nothing accepts connections there: check HF_ENDPOINT (${endpoint})${offline}.`
      : `Nothing accepts connections there: ${checkEndpoint}${offline}.`;
  } else if (/timed out|timeout/i.test(raw)) {
    what = `the connection to ${host} timed out (${reason})`;
    todo = `${checkEndpoint[0].toUpperCase()}${checkEndpoint.slice(1)}${offline}.`;
  } else if (/certificate|tls|ssl|handshake/i.test(raw)) {
    what = `the TLS connection to ${host} failed (${reason})`;
    todo = "Behind a proxy that re-signs TLS, run with DENO_TLS_CA_STORE=system (or --cert <ca.pem>); check the " +
      "machine's clock.";
  } else if (/reset|closed|broken pipe|unexpected eof|incomplete/i.test(raw)) {
    what = `the connection to ${host} was dropped (${reason})`;
    todo = `Run again (downloads resume); if it persists, ${checkEndpoint}.`;
  } else {
    what = `no answer from ${host || request.url} (${raw})`;
    todo = `${checkEndpoint[0].toUpperCase()}${checkEndpoint.slice(1)}${offline}.`;
  }
  const retried = request.retried ? ", after retrying with backoff" : "";
  return `${call} failed: ${what}${retried}.${todo ? ` ${todo}` : ""}`;
}
