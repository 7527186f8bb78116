/**
 * The one seam for command-line parsing. Today it wraps `node:util` `parseArgs`, because `jsr:@std/cli` cannot be
 * fetched on the machines this project is built on; switching to `@std/cli` `parseArgs` is a change to this file only.
 *
 * @module
 */
import { parseArgs as nodeParseArgs } from "node:util";

/** One flag: its type, default, and a line of help. */
export interface FlagSpec {
  /** `string` flags take a value; `boolean` flags do not. */
  type: "string" | "boolean";
  /** Value when the flag is absent. */
  default?: string | boolean;
  /** One line shown by `--help`. */
  help?: string;
  /** May be given several times (values collected in an array). */
  multiple?: boolean;
}

/** Parsed flags (kebab-case names as given) and positional arguments. */
export interface ParsedFlags {
  /** Flag values by name. */
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  /** Arguments that are not flags. */
  positionals: string[];
}

/**
 * Parse `args` against `spec`; unknown flags fail with the list of known ones. `--help` prints the spec and exits.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./cli.ts";
 * const { values } = parseFlags(["--chunk-size", "64"], { "chunk-size": { type: "string", default: "128" } });
 * if (values["chunk-size"] !== "64") throw new Error("unexpected");
 * ```
 */
export function parseFlags(args: string[], spec: Record<string, FlagSpec>, usage = ""): ParsedFlags {
  const options: Record<string, { type: "string" | "boolean"; default?: string | boolean; multiple?: boolean }> = {};
  for (const [name, s] of Object.entries(spec)) {
    options[name] = { type: s.type, multiple: s.multiple ?? false };
    if (s.default !== undefined) options[name].default = s.default;
  }
  if (args.includes("--help") || args.includes("-h")) {
    console.log(helpText(spec, usage));
    Deno.exit(0);
  }
  try {
    const { values, positionals } = nodeParseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as ParsedFlags["values"], positionals };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n\n${helpText(spec, usage)}`);
  }
}

/**
 * The help text for a flag spec.
 *
 * @example
 * ```ts
 * import { helpText } from "./cli.ts";
 * const text = helpText({ seed: { type: "string", default: "42", help: "seed" } }, "deno task x [flags]");
 * if (!text.includes("--seed VALUE  seed (default: 42)")) throw new Error(text);
 * ```
 */
export function helpText(spec: Record<string, FlagSpec>, usage = ""): string {
  const lines = usage ? [usage, ""] : [];
  for (const [name, s] of Object.entries(spec)) {
    const dflt = s.default === undefined ? "" : ` (default: ${s.default})`;
    lines.push(`  --${name}${s.type === "string" ? " VALUE" : ""}  ${s.help ?? ""}${dflt}`);
  }
  return lines.join("\n");
}

/**
 * Read a numeric flag: fails naming the flag when the value is not a finite number.
 *
 * @example
 * ```ts
 * import { numberFlag } from "./cli.ts";
 * if (numberFlag({ "learning-rate": "2e-5" }, "learning-rate") !== 2e-5) throw new Error("number");
 * ```
 */
export function numberFlag(values: ParsedFlags["values"], name: string): number {
  const raw = values[name];
  const n = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(n)) {
    throw new Error(`--${name}: expected a number, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/**
 * Read an integer flag that must be at least `min`.
 *
 * @example
 * ```ts
 * import { intFlag } from "./cli.ts";
 * if (intFlag({ "chunk-size": "128" }, "chunk-size", 1) !== 128) throw new Error("int");
 * ```
 */
export function intFlag(values: ParsedFlags["values"], name: string, min = 0): number {
  const n = numberFlag(values, name);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got ${values[name]}`);
  return n;
}

/**
 * Read an optional integer flag: `undefined` when absent, else as {@link intFlag}.
 *
 * @example
 * ```ts
 * import { optionalIntFlag } from "./cli.ts";
 * if (optionalIntFlag({}, "save-total-limit", 1) !== undefined) throw new Error("absent");
 * if (optionalIntFlag({ "save-total-limit": "2" }, "save-total-limit", 1) !== 2) throw new Error("present");
 * ```
 */
export function optionalIntFlag(values: ParsedFlags["values"], name: string, min = 0): number | undefined {
  return values[name] === undefined ? undefined : intFlag(values, name, min);
}

/**
 * Fail naming the missing flags (with the usage line) unless every one of `names` was given.
 *
 * @example
 * ```ts
 * import { requireFlags } from "./cli.ts";
 * requireFlags({ model: "m", dataset: "d" }, ["model", "dataset"]);
 * try {
 *   requireFlags({ model: "m" }, ["model", "dataset"], "usage");
 *   throw new Error("unreachable");
 * } catch (e) {
 *   if (!(e as Error).message.startsWith("--dataset is required")) throw e;
 * }
 * ```
 */
export function requireFlags(values: ParsedFlags["values"], names: readonly string[], usage = ""): void {
  const missing = names.filter((n) => values[n] === undefined || values[n] === "");
  if (missing.length === 0) return;
  const list = missing.map((n) => `--${n}`).join(" and ");
  throw new Error(`${list} ${missing.length === 1 ? "is" : "are"} required${usage ? `\n\n${usage}` : ""}`);
}

/** Options of {@link runTask}. */
export interface RunTaskOptions {
  /** Where the error line goes (default: stderr). */
  error?: (line: string) => void;
  /** Called with the exit code on failure (default: `Deno.exit`). */
  exit?: (code: number) => void;
}

/**
 * The one error handler of the tasks: run `main`; on failure print `NAME: message` (the stack only when the
 * environment has `DEBUG=1`) and exit with code 1. Returns `true` when `main` finished.
 *
 * @example
 * ```ts
 * import { runTask } from "./cli.ts";
 * const lines: string[] = [];
 * let code = 0;
 * const ok = await runTask("demo", () => { throw new Error("no model"); }, {
 *   error: (l) => lines.push(l),
 *   exit: (c) => { code = c; },
 * });
 * if (ok || code !== 1 || lines[0] !== "demo: no model") throw new Error(lines.join());
 * ```
 */
export async function runTask(
  name: string,
  main: () => Promise<void> | void,
  options: RunTaskOptions = {},
): Promise<boolean> {
  try {
    await main();
    return true;
  } catch (e) {
    const error = options.error ?? ((line: string) => console.error(line));
    const message = e instanceof Error ? e.message : String(e);
    error(`${name}: ${message}`);
    if (debugEnabled() && e instanceof Error && e.stack) error(e.stack);
    (options.exit ?? Deno.exit)(1);
    return false;
  }
}

/** `DEBUG=1` in the environment (read only where `--allow-env` grants `DEBUG`; never prompts). */
function debugEnabled(): boolean {
  const granted = Deno.permissions.querySync({ name: "env", variable: "DEBUG" }).state === "granted";
  return granted && Deno.env.get("DEBUG") === "1";
}
