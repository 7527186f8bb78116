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

/** The help text for a flag spec. */
export function helpText(spec: Record<string, FlagSpec>, usage = ""): string {
  const lines = usage ? [usage, ""] : [];
  for (const [name, s] of Object.entries(spec)) {
    const dflt = s.default === undefined ? "" : ` (default: ${s.default})`;
    lines.push(`  --${name}${s.type === "string" ? " VALUE" : ""}  ${s.help ?? ""}${dflt}`);
  }
  return lines.join("\n");
}

/** Read a numeric flag: fails naming the flag when the value is not a finite number. */
export function numberFlag(values: ParsedFlags["values"], name: string): number {
  const raw = values[name];
  const n = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(n)) {
    throw new Error(`--${name}: expected a number, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** Read an integer flag that must be at least `min`. */
export function intFlag(values: ParsedFlags["values"], name: string, min = 0): number {
  const n = numberFlag(values, name);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got ${values[name]}`);
  return n;
}
