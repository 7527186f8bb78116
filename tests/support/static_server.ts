/**
 * A static file server on 127.0.0.1 for tests (serves the project tree, e.g. to import `mod.ts` by URL).
 *
 * @module
 */

/** A running server: its origin and a way to stop it. */
export interface StaticServer {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /** Paths requested so far. */
  requests: string[];
  /** Stop serving. */
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  ".ts": "application/typescript",
  ".js": "application/javascript",
  ".json": "application/json",
};

/** Serve files under `root` on a free port of 127.0.0.1. */
export function serveStatic(root: string): StaticServer {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    requests.push(path);
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    try {
      const body = await Deno.readFile(`${root}${path}`);
      const ext = path.slice(path.lastIndexOf("."));
      return new Response(body, { headers: { "content-type": TYPES[ext] ?? "application/octet-stream" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const { port } = server.addr as Deno.NetAddr;
  return { origin: `http://127.0.0.1:${port}`, requests, close: () => server.shutdown() };
}
