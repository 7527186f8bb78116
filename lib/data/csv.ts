/**
 * CSV and TSV corpora, streamed through `csv-parse`: the header row names the fields, every later row is one record
 * whose values are strings (no type guessing). Quoted fields may hold delimiters and newlines; blank lines are
 * skipped; `.gz` files are gunzipped on the fly. A malformed row fails with `file:line`.
 *
 * @module
 */
import { importCsvParse } from "../deps.ts";
import type { DataRecord, LocatedRecord } from "./jsonl.ts";
import { openBytes } from "./open_file.ts";

/** Options of {@link readCsv}. */
export interface ReadCsvOptions {
  /** Field delimiter; default `"\t"` for `.tsv` / `.tsv.gz` files, else `","`. */
  delimiter?: string;
}

interface ParsedRow {
  record: DataRecord;
  info: { lines: number };
}

/**
 * Records of a CSV/TSV file, each with its `file:line` (the line where the row ends). The engine of {@link readCsv};
 * `readRecords` uses it to name the place of a bad record.
 *
 * @example
 * ```ts
 * import { readCsvLocated } from "./csv.ts";
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * await Deno.writeTextFile(path, "text,label\nfine,1\n");
 * for await (const { where } of readCsvLocated(path)) if (where !== `${path}:2`) throw new Error("unexpected");
 * ```
 */
export async function* readCsvLocated(path: string, options: ReadCsvOptions = {}): AsyncGenerator<LocatedRecord> {
  const delimiter = options.delimiter ?? (/\.tsv(\.gz)?$/.test(path) ? "\t" : ",");
  const bytes = await openBytes(path);
  const { CsvError, parse: csvParseStream } = await importCsvParse();
  const parser = csvParseStream({
    columns: true,
    delimiter,
    bom: true,
    info: true,
    skip_empty_lines: true,
    record_delimiter: ["\r\n", "\n", "\r"],
  }) as TransformStream<Uint8Array, ParsedRow>;
  const rows = bytes.pipeThrough(parser)[Symbol.asyncIterator]();
  while (true) {
    let next: IteratorResult<ParsedRow>;
    try {
      next = await rows.next();
    } catch (e) {
      if (e instanceof CsvError) {
        const line = (e as { lines?: number }).lines;
        throw new Error(`${path}:${line ?? "?"}: malformed ${delimiter === "\t" ? "TSV" : "CSV"} row (${e.message})`);
      }
      throw new Error(`${path}: cannot read (${(e as Error).message})`);
    }
    if (next.done) return;
    yield { where: `${path}:${next.value.info.lines}`, record: next.value.record };
  }
}

/**
 * Records of a CSV (`.csv`) or TSV (`.tsv`) file, header row → field names, values as strings. An empty file yields
 * nothing.
 *
 * @example
 * ```ts
 * import { readCsv } from "./csv.ts";
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * await Deno.writeTextFile(path, 'text,label\n"great, really",1\nbad,0\n');
 * const texts = [];
 * for await (const r of readCsv(path)) texts.push(r.text);
 * if (JSON.stringify(texts) !== '["great, really","bad"]') throw new Error("unexpected");
 * ```
 */
export async function* readCsv(path: string, options: ReadCsvOptions = {}): AsyncGenerator<DataRecord> {
  for await (const { record } of readCsvLocated(path, options)) yield record;
}
