/**
 * A static file server for the page `deno task build:web` writes (JSR's `@std/http/file-server` does not resolve
 * here): files under a root with their MIME types (`.wasm` as `application/wasm`, so browsers compile it
 * streaming), `index.html` for a folder, nothing outside the root.
 *
 * @module
 */

/** MIME type by file extension. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".jsonl": "application/jsonl",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
  ".safetensors": "application/octet-stream",
};

/** Options of {@link serveWeb}. */
export interface ServeWebOptions {
  /** Port (default 8000; 0 picks a free one). */
  port?: number;
  /** Interface (default `127.0.0.1`). */
  hostname?: string;
}

/**
 * Serve the files under `root`; returns the server (its `addr` has the port) .
 *
 * @example
 * ```ts
 * import { serveWeb } from "./serve.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${root}/index.html`, "<p>hi</p>");
 * const server = serveWeb(root, { port: 0 });
 * const { port } = server.addr as Deno.NetAddr;
 * const res = await fetch(`http://127.0.0.1:${port}/`);
 * if (res.headers.get("content-type") !== "text/html; charset=utf-8" || await res.text() !== "<p>hi</p>") throw new Error();
 * await server.shutdown();
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function serveWeb(root: string, options: ServeWebOptions = {}): Deno.HttpServer<Deno.NetAddr> {
  const base = root.replace(/\/+$/, "");
  return Deno.serve(
    { hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 8000, onListen() {} },
    async (req) => {
      let path = decodeURIComponent(new URL(req.url).pathname);
      if (path.split("/").includes("..")) return new Response("bad path", { status: 400 });
      if (path.endsWith("/")) path += "index.html";
      try {
        const body = await Deno.readFile(`${base}${path}`);
        const type = MIME_TYPES[path.slice(path.lastIndexOf("."))] ?? "application/octet-stream";
        return new Response(body, { headers: { "content-type": type, "cache-control": "no-cache" } });
      } catch {
        return new Response(`not found: ${path}`, { status: 404 });
      }
    },
  );
}
