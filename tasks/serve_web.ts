/**
 * `deno task serve:web [--root dist/web] [--port 8000] [--hostname 127.0.0.1]`: serve the page `deno task build:web`
 * wrote (`lib/web/serve.ts`). The task reads only `dist/web` and listens only on 127.0.0.1; another root or interface
 * needs `deno run --allow-read=DIR --allow-net=HOST --allow-env=DEBUG tasks/serve_web.ts --root DIR --hostname HOST`.
 *
 * @module
 */
import { intFlag, parseFlags, runTask } from "../lib/cli.ts";
import { serveWeb } from "../lib/web/serve.ts";

const USAGE = "deno task serve:web [--root dist/web] [--port 8000] [--hostname 127.0.0.1]";

async function main(): Promise<void> {
  const { values } = parseFlags(Deno.args, {
    root: { type: "string", multiple: false, default: "dist/web", help: "folder to serve (deno task build:web)" },
    port: { type: "string", multiple: false, default: "8000", help: "port" },
    hostname: { type: "string", multiple: false, default: "127.0.0.1", help: "interface to listen on" },
  }, USAGE);
  const root = values.root as string;
  await Deno.stat(`${root}/index.html`).catch(() => {
    throw new Error(`${root}/index.html is missing: run deno task build:web first`);
  });
  const hostname = values.hostname as string;
  const server = serveWeb(root, { port: intFlag(values, "port"), hostname });
  console.log(`serving ${root}/ at http://${hostname}:${server.addr.port}/ (Ctrl-C stops)`);
  await server.finished;
}

if (import.meta.main) Deno.exit(await runTask("serve:web", main));
