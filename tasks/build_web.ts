/**
 * `deno task build:web [--out dist/web]`: write the static, offline folder of the in-browser fine-tuning page
 * (`lib/web/build.ts` says what it holds). Serve it with `deno task serve:web` and open http://127.0.0.1:8000/.
 *
 * @module
 */
import { parseFlags, runTask } from "../lib/cli.ts";
import { buildWeb } from "../lib/web/build.ts";

const USAGE = "deno task build:web [--out dist/web]";

async function main(): Promise<void> {
  const { values } = parseFlags(Deno.args, {
    out: { type: "string", multiple: false, default: "dist/web", help: "output folder (replaced)" },
  }, USAGE);
  const out = values.out as string;
  await buildWeb(out);
  const files = [...Deno.readDirSync(out)].length;
  const serve = out === "dist/web"
    ? "deno task serve:web"
    : `deno run --allow-net=127.0.0.1 --allow-read=${out} --allow-env=DEBUG tasks/serve_web.ts --root ${out}`;
  console.log(`wrote ${out}/ (${files} entries); serve it with: ${serve} (then open http://127.0.0.1:8000/)`);
}

if (import.meta.main) Deno.exit(await runTask("build:web", main));
