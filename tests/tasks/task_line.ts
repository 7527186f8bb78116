// A deno.json task's command line as written there, so tests run tasks with exactly the permissions users get.
import { ROOT } from "../support/shared.ts";

const TASKS = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).tasks as Record<string, string>;

/**
 * `line` as `deno task` expands it in the environment `env` (added to this process's): each `$(command)` replaced by
 * what the command prints (run from the project folder), then each `$NAME` / `${NAME}` by its value.
 */
export function expandTaskLine(line: string, env: Record<string, string> = {}): string {
  const substituted = line.replace(/\$\(([^)]*)\)/g, (_, command: string) => {
    const [program, ...args] = command.trim().split(/\s+/);
    const out = new Deno.Command(program, { args, cwd: ROOT, env, stdout: "piped", stderr: "piped" }).outputSync();
    if (!out.success) throw new Error(`$(${command}) failed: ${new TextDecoder().decode(out.stderr)}`);
    return new TextDecoder().decode(out.stdout).trim();
  });
  const value = (v: string): string => env[v] ?? Deno.env.get(v) ?? "";
  return substituted.replace(/\$\{([A-Z_]+)\}|\$([A-Z_]+)/g, (_, a?: string, b?: string) => value((a ?? b)!));
}

/**
 * The arguments after `deno` in deno.json's line for `name` (expanded as `deno task` does in `env`, see
 * {@link expandTaskLine}; words split on spaces, single quotes removed), with `extra` flags put before the script
 * (e.g. `--allow-net=127.0.0.1` for a local Hub server).
 */
export function taskArgs(name: string, extra: string[] = [], env: Record<string, string> = {}): string[] {
  const line = TASKS[name];
  if (line === undefined) throw new Error(`deno.json has no task "${name}"`);
  const [deno, ...words] = expandTaskLine(line, env).split(" ").map((w) => w.replace(/^'(.*)'$/, "$1"));
  if (deno !== "deno") throw new Error(`task "${name}": expected a deno command, got ${line}`);
  const script = words.findIndex((w) => w.endsWith(".ts"));
  return [...words.slice(0, script), ...extra, ...words.slice(script)];
}

/** The `--allow-X=...` values of a task's line (`true` for a bare `--allow-X`), expanded in `env`. */
export function taskPermissions(name: string, env: Record<string, string> = {}): Map<string, string[] | true> {
  const out = new Map<string, string[] | true>();
  for (const w of taskArgs(name, [], env)) {
    const m = /^--allow-([a-z]+)(?:=(.*))?$/.exec(w);
    if (m) out.set(m[1], m[2] === undefined ? true : m[2].split(","));
  }
  return out;
}

/** What a command run printed, and its exit code. */
export interface DenoRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `command` with `args` from the project folder (no colours, plus `env`), collecting its exit code and output.
 */
export async function runCommand(command: string, args: string[], env: Record<string, string> = {}): Promise<DenoRun> {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, stdout: new TextDecoder().decode(stdout), stderr: new TextDecoder().decode(stderr) };
}

/** Run `deno` with `args` from the project folder (see {@link runCommand}). */
export function runDeno(args: string[], env: Record<string, string> = {}): Promise<DenoRun> {
  return runCommand("deno", args, env);
}
