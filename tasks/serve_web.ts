/**
 * `deno run --allow-net=127.0.0.1 --allow-read=dist/web tasks/serve_web.ts [--root dist/web] [--port 8000]
 * [--hostname 127.0.0.1]` (`deno task serve:web`): serve the page `deno task build:web` wrote (`lib/web/serve.ts`).
 *
 * @module
 */
import { intFlag, parseFlags, runTask } from "../lib/cli.ts";
import { serveWeb } from "../lib/web/serve.ts";

const USAGE = "deno run --allow-net=127.0.0.1 --allow-read=dist/web tasks/serve_web.ts [--root dist/web] [--port 8000]";

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
