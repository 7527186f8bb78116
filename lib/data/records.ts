/**
 * One entry point for every corpus shape: {@link readRecords} picks the reader from the path (extension, or the
 * folder's shape) and checks that every record carries a string text column; {@link readTexts} yields just the texts.
 *
 * | path                                          | reader                                   |
 * | --------------------------------------------- | ---------------------------------------- |
 * | `.jsonl`, `.ndjson`, `.json` (JSON Lines), `.gz` | JSON Lines                            |
 * | `.csv`, `.tsv` (`.gz` too)                    | CSV / TSV, header row                    |
 * | `.parquet`                                    | parquet, row group by row group          |
 * | `.txt`, `.text` (`.gz` too)                   | one record per line                      |
 * | folder with `neg/`, `pos/`, `unsup/`          | aclImdb split folder                     |
 * | folder with `train/`, `test/` + `split`       | aclImdb root                             |
 * | folder + `split`                              | its files named `<split>.*` / `<split>-*` |
 * | folder of `.txt` files                        | one record per file, in name order       |
 *
 * @module
 */
import { isAclImdbSplitDir, readAclImdbLocated } from "./aclimdb.ts";
import { readCsvLocated } from "./csv.ts";
import { type DataRecord, type LocatedRecord, readJsonlLocated } from "./jsonl.ts";
import { readParquetLocated } from "./parquet.ts";
import { readTextLocated, type SampleBy } from "./text.ts";

/** The corpus formats {@link readRecords} reads. */
export type RecordFormat = "jsonl" | "csv" | "tsv" | "parquet" | "text" | "aclimdb";

const FORMATS: RecordFormat[] = ["jsonl", "csv", "tsv", "parquet", "text", "aclimdb"];

/** Options of {@link readRecords} and {@link readTexts}. */
export interface ReadRecordsOptions {
  /** Force a format instead of guessing it from the path. */
  format?: RecordFormat;
  /** The field holding the text (default `"text"`); every record must have it as a string. */
  textColumn?: string;
  /**
   * For a folder: the split to read — an aclImdb root's `train` / `test` / `unsupervised`, or the folder's files
   * named `<split>.<ext>` or `<split>-*.<ext>` (HF shard names, read in name order).
   */
  split?: string;
  /** For text: one record per `"line"` (default for a file), `"paragraph"` or `"document"` (default for a folder). */
  sampleBy?: SampleBy;
}

/** The format of a file from its extension (a trailing `.gz` ignored), or undefined. */
function formatOfFile(path: string): RecordFormat | undefined {
  const name = path.toLowerCase().replace(/\.gz$/, "");
  if (/\.(jsonl|ndjson|json)$/.test(name)) return "jsonl";
  if (name.endsWith(".csv")) return "csv";
  if (name.endsWith(".tsv")) return "tsv";
  if (name.endsWith(".parquet")) return "parquet";
  if (/\.(txt|text)$/.test(name)) return "text";
  return undefined;
}

function located(path: string, format: RecordFormat, options: ReadRecordsOptions): AsyncGenerator<LocatedRecord> {
  switch (format) {
    case "jsonl":
      return readJsonlLocated(path);
    case "csv":
      return readCsvLocated(path, { delimiter: "," });
    case "tsv":
      return readCsvLocated(path, { delimiter: "\t" });
    case "parquet":
      return readParquetLocated(path);
    case "text":
      return readTextLocated(path, { sampleBy: options.sampleBy });
    case "aclimdb":
      return readAclImdbLocated(path, { split: options.split });
  }
}

async function listDir(dir: string): Promise<Deno.DirEntry[]> {
  const entries = [];
  for await (const entry of Deno.readDir(dir)) entries.push(entry);
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The files of `dir` that make up `split` (`<split>.<ext>`, `<split>-*.<ext>`) with a known format; symbolic links
 * count as the files they point to (the Hugging Face cache's snapshots are links into `blobs/`).
 */
function splitFiles(dir: string, entries: Deno.DirEntry[], split: string): string[] {
  return entries
    .filter((e) => (e.isFile || e.isSymlink) && (e.name.startsWith(`${split}.`) || e.name.startsWith(`${split}-`)))
    .map((e) => `${dir}/${e.name}`)
    .filter((path) => formatOfFile(path) !== undefined);
}

/** Every located record of `path`, whatever its shape. */
async function* locatedRecords(path: string, options: ReadRecordsOptions): AsyncGenerator<LocatedRecord> {
  if (options.format !== undefined && !FORMATS.includes(options.format)) {
    throw new Error(`readRecords: format must be one of ${FORMATS.join(", ")}, got ${JSON.stringify(options.format)}`);
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    throw new Error(`${path}: cannot read corpus (${(e as Error).message})`);
  }
  if (!info.isDirectory) {
    const format = options.format ?? formatOfFile(path);
    if (format === undefined) {
      throw new Error(
        `${path}: cannot tell the format from the extension (expected .jsonl, .json, .ndjson, .csv, .tsv, .parquet, ` +
          `.txt, optionally .gz); pass format`,
      );
    }
    yield* located(path, format, options);
    return;
  }
  const dir = path.replace(/\/+$/, "");
  if (options.format === "aclimdb" || (options.format === undefined && (await isAclImdbSplitDir(dir)))) {
    yield* readAclImdbLocated(dir, { split: options.split });
    return;
  }
  const entries = await listDir(dir);
  if (options.split !== undefined) {
    if (entries.some((e) => e.isDirectory && ["train", "test"].includes(e.name))) {
      const splitDir = options.split === "unsupervised" ? `${dir}/train` : `${dir}/${options.split}`;
      if (await isAclImdbSplitDir(splitDir)) {
        yield* readAclImdbLocated(dir, { split: options.split });
        return;
      }
    }
    const files = splitFiles(dir, entries, options.split);
    if (files.length === 0) {
      throw new Error(
        `${dir}: no files for split ${JSON.stringify(options.split)} (expected ${options.split}.<ext> or ` +
          `${options.split}-*.<ext>); entries present: ${entries.map((e) => e.name).join(", ") || "none"}`,
      );
    }
    for (const file of files) yield* located(file, options.format ?? formatOfFile(file)!, options);
    return;
  }
  const hasText = entries.some((e) => (e.isFile || e.isSymlink) && /\.txt(\.gz)?$/.test(e.name));
  if (options.format === "text" || (options.format === undefined && hasText)) {
    yield* readTextLocated(dir, { sampleBy: options.sampleBy });
    return;
  }
  const hint = entries.some((e) => e.isDirectory && ["train", "test"].includes(e.name))
    ? "; for an aclImdb root pass split (train, test, unsupervised)"
    : "";
  throw new Error(
    `${dir}: cannot tell how to read this folder (expected .txt files, an aclImdb tree, or split)${hint}; ` +
      `entries present: ${entries.map((e) => e.name).join(", ") || "none"}`,
  );
}

/**
 * Records of a corpus at `path` (file or folder; see the module table), streamed in file order. Every record must
 * have `textColumn` (default `"text"`) as a string: a record lacking it fails listing the columns present and naming
 * `file:line` (or `file row N` for parquet); an empty file yields nothing.
 *
 * @example
 * ```ts
 * import { readRecords } from "./records.ts";
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * await Deno.writeTextFile(path, "review,label\nnice,1\n");
 * for await (const r of readRecords(path, { textColumn: "review" })) if (r.review !== "nice") throw new Error("?");
 * ```
 */
export async function* readRecords(path: string, options: ReadRecordsOptions = {}): AsyncGenerator<DataRecord> {
  const column = options.textColumn ?? "text";
  for await (const { where, record } of locatedRecords(path, options)) {
    if (!Object.hasOwn(record, column)) {
      throw new Error(
        `${where}: no text column ${JSON.stringify(column)}; columns present: ${
          Object.keys(record).map((k) => JSON.stringify(k)).join(", ") || "none"
        } (pass textColumn)`,
      );
    }
    const value = record[column];
    if (typeof value !== "string") {
      const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
      throw new Error(`${where}: text column ${JSON.stringify(column)} should be a string, got ${got}`);
    }
    yield record;
  }
}

/**
 * The texts of a corpus: {@link readRecords}' `textColumn` values, in order.
 *
 * @example
 * ```ts
 * import { readTexts } from "./records.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await Deno.writeTextFile(path, '{"text":"one"}\n{"text":"two"}\n');
 * const texts = [];
 * for await (const t of readTexts(path)) texts.push(t);
 * if (texts.join() !== "one,two") throw new Error("unexpected");
 * ```
 */
export async function* readTexts(path: string, options: ReadRecordsOptions = {}): AsyncGenerator<string> {
  const column = options.textColumn ?? "text";
  for await (const record of readRecords(path, options)) yield record[column] as string;
}
