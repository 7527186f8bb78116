/**
 * A hostile "Hub" for tests: `Deno.serve` on 127.0.0.1 answering each request with whatever the test's handler says —
 * traversal names in `sha` / `X-Repo-Commit` / `ETag`, answers that never come, bodies that drip or run past their
 * announced size. {@link hang} and {@link drip} build the slow answers; every pending one ends when the server closes.
 *
 * @module
 */

/** What the handler gets besides the request: the server's close signal, for answers that wait. */
export interface HostileContext {
  /** Aborted when the server closes. */
  closed: AbortSignal;
  /** The request's URL. */
  url: URL;
}

/** The running server. */
export interface HostileHub {
  /** `http://127.0.0.1:PORT`. */
  endpoint: string;
  /** `METHOD path` of every request, in order. */
  requests: string[];
  /** Bytes each body stream produced, by request index (for "stopped reading" checks). */
  sent: number[];
  /** Stop the server (ends every pending answer). */
  close(): Promise<void>;
}

/** A handler's answer: a response, or a promise of one. */
export type HostileHandler = (request: Request, context: HostileContext) => Response | Promise<Response>;

/**
 * Start a hostile Hub answering every request with `handler`.
 *
 * @example
 * ```ts
 * import { startHostileHub } from "./hostile_hub.ts";
 * const hub = await startHostileHub(() => new Response("ok"));
 * if ((await (await fetch(`${hub.endpoint}/x`)).text()) !== "ok") throw new Error("unexpected");
 * await hub.close();
 * ```
 */
export function startHostileHub(handler: HostileHandler): Promise<HostileHub> {
  const closing = new AbortController();
  const requests: string[] = [];
  const sent: number[] = [];
  return new Promise((resolve) => {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: closing.signal, onListen() {} },
      async (request) => {
        const url = new URL(request.url);
        requests.push(`${request.method} ${url.pathname}${url.search}`);
        return await handler(request, { closed: closing.signal, url });
      },
    );
    resolve({
      endpoint: `http://127.0.0.1:${server.addr.port}`,
      requests,
      sent,
      async close() {
        closing.abort();
        await server.finished;
      },
    });
  });
}

/**
 * An answer that never comes: resolves (with a 503) only when the server closes.
 *
 * @example
 * ```ts
 * import { hang } from "./hostile_hub.ts";
 * const stop = new AbortController();
 * const answer = hang(stop.signal);
 * stop.abort();
 * if ((await answer).status !== 503) throw new Error("unexpected");
 * ```
 */
export function hang(closed: AbortSignal): Promise<Response> {
  return new Promise((resolve) => {
    const done = () => resolve(new Response(null, { status: 503 }));
    if (closed.aborted) done();
    else closed.addEventListener("abort", done, { once: true });
  });
}

/**
 * A body that sends `first` at once, then one byte every `everyMs` until the server closes or the reader cancels;
 * `count` receives the bytes sent so far.
 *
 * @example
 * ```ts
 * import { drip } from "./hostile_hub.ts";
 * const stop = new AbortController();
 * const reader = drip(new Uint8Array([1]), 1000, stop.signal).getReader();
 * if ((await reader.read()).value?.[0] !== 1) throw new Error("unexpected");
 * await reader.cancel();
 * stop.abort();
 * ```
 */
export function drip(
  first: Uint8Array,
  everyMs: number,
  closed: AbortSignal,
  count: (bytes: number) => void = () => {},
): ReadableStream<Uint8Array> {
  let timer: ReturnType<typeof setInterval> | undefined;
  let total = 0;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(first);
      count(total += first.length);
      timer = setInterval(() => {
        if (closed.aborted) {
          clearInterval(timer);
          controller.close();
          return;
        }
        controller.enqueue(new Uint8Array([120]));
        count(total += 1);
      }, everyMs);
    },
    cancel() {
      clearInterval(timer);
    },
  });
}

/**
 * A body of `announced` real bytes followed by `extra` more (in 64 KiB chunks, produced only as they are read);
 * `count` receives the bytes produced so far.
 *
 * @example
 * ```ts
 * import { overlong } from "./hostile_hub.ts";
 * const bytes = new Uint8Array(await new Response(overlong(new Uint8Array(3), 5)).arrayBuffer());
 * if (bytes.length !== 8) throw new Error("unexpected");
 * ```
 */
export function overlong(
  announced: Uint8Array,
  extra: number,
  count: (bytes: number) => void = () => {},
): ReadableStream<Uint8Array> {
  let left = extra;
  let total = 0;
  let first = true;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (first) {
        first = false;
        controller.enqueue(announced);
        count(total += announced.length);
        return;
      }
      if (left <= 0) {
        controller.close();
        return;
      }
      const n = Math.min(left, 65536);
      left -= n;
      controller.enqueue(new Uint8Array(n).fill(0x41));
      count(total += n);
    },
  }, { highWaterMark: 0 });
}
