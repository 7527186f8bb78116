/**
 * JSON Lines reader, plain or gzip (`.gz`, decompressed with `DecompressionStream`), one record at a time.
 *
 * @module
 */
import { RecordSplitter, type ScanStats } from "./lines.ts";
import { openBytes } from "./open_file.ts";

/** A record read from a corpus file. */
export type DataRecord = Record<string, unknown>;

/** A record with the place it came from (`file:line`, `file row N`, or a file), for error messages. */
export interface LocatedRecord {
  /** Where the record was read: `file:line` for line-based files, `file row N` (0-based) for parquet, else the file. */
  where: string;
  /** The record. */
  record: DataRecord;
}

/** Options of {@link readLines}. */
export interface ReadLinesOptions {
  /** Counts the characters the line search examined (one pass over the text: its length, give or take the pieces). */
  stats?: ScanStats;
}

/**
 * Lines of a text file (`\n` or `\r\n`), streamed in time linear in the file (a line of any length is searched once); `.gz` files are gunzipped on the fly. Yields `[lineNo, text]`
 * (1-based). A file that cannot be opened, gunzipped or decoded fails naming the file.
 *
 * @example
 * ```ts
 * import { readLines } from "./jsonl.ts";
 * const path = await Deno.makeTempFile({ suffix: ".txt" });
 * await Deno.writeTextFile(path, "a\r\nb");
 * const lines = [];
 * for await (const [lineNo, line] of readLines(path)) lines.push(`${lineNo}:${line}`);
 * if (lines.join() !== "1:a,2:b") throw new Error("unexpected");
 * ```
 */
export async function* readLines(path: string, options: ReadLinesOptions = {}): AsyncGenerator<[number, string]> {
  const stream = await openBytes(path);
  const text = stream.pipeThrough(new TextDecoderStream());
  const lines = new RecordSplitter("\n", options.stats);
  const strip = (line: string): string => line.endsWith("\r") ? line.slice(0, -1) : line;
  let lineNo = 0;
  const parts = text[Symbol.asyncIterator]();
  while (true) {
    let next: IteratorResult<string>;
    try {
      next = await parts.next();
    } catch (e) {
      throw new Error(`${path}: cannot read${path.endsWith(".gz") ? " (gzip)" : ""} (${(e as Error).message})`);
    }
    if (next.done) break;
    for (const line of lines.push(next.value)) yield [++lineNo, strip(line)];
  }
  const rest = lines.finish();
  if (rest.length > 0) yield [++lineNo, strip(rest)];
}

/**
 * Records of a JSON Lines file, each with its `file:line`. The engine of {@link readJsonl}; `readRecords` uses it to
 * name the place of a bad record.
 *
 * @example
 * ```ts
 * import { readJsonlLocated } from "./jsonl.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await Deno.writeTextFile(path, '\n{"text":"a"}\n');
 * for await (const { where } of readJsonlLocated(path)) if (where !== `${path}:2`) throw new Error("unexpected");
 * ```
 */
export async function* readJsonlLocated(path: string): AsyncGenerator<LocatedRecord> {
  for await (const [lineNo, line] of readLines(path)) {
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      const hint = lineNo === 1 && line.trimStart().startsWith("[")
        ? "; a JSON array file is not read, write one JSON object per line (JSON Lines)"
        : "";
      throw new Error(`${path}:${lineNo}: malformed JSON (${(e as Error).message})${hint}`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
      throw new Error(`${path}:${lineNo}: expected a JSON object per line, got ${got}`);
    }
    yield { where: `${path}:${lineNo}`, record: value as DataRecord };
  }
}

/**
 * Records of a JSON Lines file (`.jsonl`, `.jsonl.gz`); blank lines are skipped, a malformed line fails with
 * `file:line`.
 *
 * @example
 * ```ts
 * import { readJsonl } from "./jsonl.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await Deno.writeTextFile(path, '{"text":"a"}\n{"text":"b"}\n');
 * const texts = [];
 * for await (const r of readJsonl(path)) texts.push(r.text);
 * if (texts.join() !== "a,b") throw new Error("unexpected");
 * ```
 */
export async function* readJsonl(path: string): AsyncGenerator<DataRecord> {
  for await (const { record } of readJsonlLocated(path)) yield record;
}
