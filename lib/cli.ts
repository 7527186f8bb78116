/**
 * The one seam for command-line parsing. Today it wraps `node:util` `parseArgs`, because `jsr:@std/cli` cannot be
 * fetched on the machines this project is built on; switching to `@std/cli` `parseArgs` is a change to this file only.
 *
 * @module
 */
import { parseArgs as nodeParseArgs } from "node:util";
import { OptionError } from "./train/args.ts";

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

/** Thrown by {@link parseFlags} on `--help`: {@link runTask} prints its text on stdout and exits with 0. */
export class HelpRequested extends Error {
  /** The help text. */
  readonly text: string;
  /** Help for `spec`. */
  constructor(text: string) {
    super(text);
    this.name = "HelpRequested";
    this.text = text;
  }
}

/**
 * Parse `args` against `spec`. An unknown flag fails naming the closest known one
 * (`unknown flag --batch-size; did you mean --per-device-train-batch-size?`); a value may start with `-`
 * (`--seed -1` reaches the value check, which names the flag); `--help` throws {@link HelpRequested}.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./cli.ts";
 * const { values } = parseFlags(["--chunk-size", "64", "--seed", "-1"], {
 *   "chunk-size": { type: "string", default: "128" },
 *   seed: { type: "string" },
 * });
 * if (values["chunk-size"] !== "64" || values.seed !== "-1") throw new Error("unexpected");
 * ```
 */
export function parseFlags(args: string[], spec: Record<string, FlagSpec>, usage = ""): ParsedFlags {
  const options: Record<string, { type: "string" | "boolean"; default?: string | boolean; multiple?: boolean }> = {};
  for (const [name, s] of Object.entries(spec)) {
    options[name] = { type: s.type, multiple: s.multiple ?? false };
    if (s.default !== undefined) options[name].default = s.default;
  }
  const end = args.indexOf("--");
  const flags = end < 0 ? args : args.slice(0, end);
  if (flags.includes("--help") || flags.includes("-h")) throw new HelpRequested(helpText(spec, usage));
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (end >= 0 && i >= end) {
      joined.push(arg);
      continue;
    }
    if (arg.startsWith("--")) {
      const name = arg.slice(2).split("=")[0];
      if (!(name in spec)) throw new Error(unknownFlag(name, Object.keys(spec)));
      // A value that starts with "-" (a negative number) is taken as the value, not as a flag.
      if (spec[name].type === "string" && !arg.includes("=") && i + 1 < args.length && /^-[\d.]/.test(args[i + 1])) {
        joined.push(`${arg}=${args[++i]}`);
        continue;
      }
    }
    joined.push(arg);
  }
  try {
    const { values, positionals } = nodeParseArgs({ args: joined, options, allowPositionals: true, strict: true });
    return { values: values as ParsedFlags["values"], positionals };
  } catch (e) {
    throw new Error(`${(e as Error).message} (see --help)`);
  }
}

/**
 * The message for an unknown flag: the closest known flag by edit distance over hyphen-separated words (a word the
 * known flag adds costs 0.2, a word it lacks 1, a word changed its share of changed letters, so `batch-size` is
 * closest to `per-device-train-batch-size`); ties go to the flag listed first.
 *
 * @example
 * ```ts
 * import { unknownFlag } from "./cli.ts";
 * const msg = unknownFlag("batch-size", ["learning-rate", "per-device-train-batch-size", "per-device-eval-batch-size"]);
 * if (msg !== "unknown flag --batch-size; did you mean --per-device-train-batch-size?") throw new Error(msg);
 * ```
 */
export function unknownFlag(name: string, known: readonly string[]): string {
  let best: string | undefined, bestCost = Infinity;
  for (const k of known) {
    const cost = wordDistance(name.split("-"), k.split("-"));
    if (cost < bestCost) best = k, bestCost = cost;
  }
  return `unknown flag --${name}` + (best === undefined ? "" : `; did you mean --${best}?`);
}

/** Edit distance from the words `a` to the words `b` (see {@link unknownFlag} for the costs). */
function wordDistance(a: readonly string[], b: readonly string[]): number {
  const ADD = 0.2, DROP = 1;
  const sub = (x: string, y: string) => editDistance(x, y) / Math.max(x.length, y.length, 1);
  let row = Array.from({ length: b.length + 1 }, (_, j) => j * ADD);
  for (let i = 1; i <= a.length; i++) {
    const next = [i * DROP];
    for (let j = 1; j <= b.length; j++) {
      next.push(Math.min(row[j] + DROP, next[j - 1] + ADD, row[j - 1] + sub(a[i - 1], b[j - 1])));
    }
    row = next;
  }
  return row[b.length];
}

/** Levenshtein distance over letters. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next.push(Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    row = next;
  }
  return row[b.length];
}

/**
 * The help text for a flag spec, the descriptions in one column.
 *
 * @example
 * ```ts
 * import { helpText } from "./cli.ts";
 * const text = helpText({ seed: { type: "string", default: "42", help: "seed" }, fp16: { type: "boolean", help: "half" } });
 * if (text !== "  --seed VALUE  seed (default: 42)\n  --fp16        half") throw new Error(text);
 * ```
 */
export function helpText(spec: Record<string, FlagSpec>, usage = ""): string {
  const lines = usage ? [usage, ""] : [];
  const names = Object.entries(spec).map(([name, s]) => `--${name}${s.type === "string" ? " VALUE" : ""}`);
  const width = Math.max(0, ...names.map((n) => n.length));
  Object.values(spec).forEach((s, i) => {
    const dflt = s.default === undefined || s.default === false ? "" : ` (default: ${s.default})`;
    lines.push(`  ${names[i].padEnd(width)}  ${s.help ?? ""}${dflt}`.trimEnd());
  });
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
  /** Where `--help` goes (default: stdout). */
  output?: (text: string) => void;
  /** Print the stack too (default: when the environment has `DEBUG=1`). */
  debug?: boolean;
}

/**
 * The one error handler of the tasks: run `main` and return the process's exit code: `main`'s own (a stopped run
 * returns 130), 0 when it returns nothing or on `--help` (the help printed), 1 on failure after printing
 * `NAME: message` (the stack only with `DEBUG=1`). A library error naming an option (`OptionError`) is said in flag
 * language: `learningRate must be > 0` becomes `--learning-rate: expected a number > 0, got 0`.
 *
 * @example
 * ```ts
 * import { runTask } from "./cli.ts";
 * const lines: string[] = [];
 * const code = await runTask("demo", () => { throw new Error("no model"); }, { error: (l) => lines.push(l) });
 * if (code !== 1 || lines[0] !== "demo: no model") throw new Error(lines.join());
 * ```
 */
export async function runTask(
  name: string,
  main: () => Promise<void | number> | void | number,
  options: RunTaskOptions = {},
): Promise<number> {
  try {
    return (await main()) ?? 0;
  } catch (e) {
    if (e instanceof HelpRequested) {
      (options.output ?? ((text: string) => console.log(text)))(e.text);
      return 0;
    }
    const error = options.error ?? ((line: string) => console.error(line));
    const message = e instanceof OptionError ? e.flagMessage : e instanceof Error ? e.message : String(e);
    error(`${name}: ${message}`);
    if ((options.debug ?? debugEnabled()) && e instanceof Error && e.stack) error(e.stack);
    return 1;
  }
}

/** `DEBUG=1` in the environment (read only where `--allow-env` grants `DEBUG`; never prompts). */
function debugEnabled(): boolean {
  const granted = Deno.permissions.querySync({ name: "env", variable: "DEBUG" }).state === "granted";
  return granted && Deno.env.get("DEBUG") === "1";
}
