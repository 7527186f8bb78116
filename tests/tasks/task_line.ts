// A deno.json task's command line as written there, so tests run tasks with exactly the permissions users get.
import { ROOT } from "../support/shared.ts";

const TASKS = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).tasks as Record<string, string>;

/**
 * The arguments after `deno` in deno.json's line for `name` (words split on spaces, single quotes removed), with
 * `extra` flags put before the script (e.g. `--allow-net=127.0.0.1` for a local Hub server).
 */
export function taskArgs(name: string, extra: string[] = []): string[] {
  const line = TASKS[name];
  if (line === undefined) throw new Error(`deno.json has no task "${name}"`);
  const [deno, ...words] = line.split(" ").map((w) => w.replace(/^'(.*)'$/, "$1"));
  if (deno !== "deno") throw new Error(`task "${name}": expected a deno command, got ${line}`);
  const script = words.findIndex((w) => w.endsWith(".ts"));
  return [...words.slice(0, script), ...extra, ...words.slice(script)];
}

/** The `--allow-X=...` values of a task's line (`true` for a bare `--allow-X`). */
export function taskPermissions(name: string): Map<string, string[] | true> {
  const out = new Map<string, string[] | true>();
  for (const w of taskArgs(name)) {
    const m = /^--allow-([a-z]+)(?:=(.*))?$/.exec(w);
    if (m) out.set(m[1], m[2] === undefined ? true : m[2].split(","));
  }
  return out;
}
