/**
 * Plain-text corpora, as Hugging Face's `text` builder reads them: one record `{text}` per line (`sampleBy: "line"`),
 * per paragraph (`"paragraph"`, split on blank lines) or per file (`"document"`). A path is a file (`.gz` is
 * gunzipped on the fly) or a folder of `.txt` files read in name order. Newlines are read as Python's text mode reads
 * them (`\r\n` and a lone `\r` become `\n`); the text is streamed, never held whole (except one document at a time).
 *
 * @module
 */
import type { LocatedRecord } from "./jsonl.ts";
import { RecordSplitter, type ScanStats } from "./lines.ts";
import { openBytes } from "./open_file.ts";

/** How a text file is cut into records, as HF's `sample_by`. */
export type SampleBy = "line" | "paragraph" | "document";

/** Options of {@link readText}. */
export interface ReadTextOptions {
  /**
   * `"line"` (default for a file): one record per line, empty lines included, as HF does; `"paragraph"`: split on
   * `"\n\n"`, empty pieces dropped; `"document"` (default for a folder): one record per file.
   */
  sampleBy?: SampleBy;
  /** Keep the `"\n"` at the end of each line (HF `keep_linebreaks`, default false). Only for `sampleBy: "line"`. */
  keepLinebreaks?: boolean;
  /** Counts the characters the line or paragraph search examined (one pass over the text). */
  stats?: ScanStats;
}

/** Text of a file in decoded pieces, newlines normalised to `\n` (`\r\n` and lone `\r` alike); strict UTF-8. */
async function* decodedPieces(path: string): AsyncGenerator<string> {
  const stream = await openBytes(path);
  const text = stream.pipeThrough(new TextDecoderStream("utf-8", { fatal: true }));
  let pendingCr = false;
  try {
    for await (let part of text) {
      if (part.length === 0) continue;
      if (pendingCr) {
        part = "\r" + part;
        pendingCr = false;
      }
      if (part.endsWith("\r")) {
        pendingCr = true;
        part = part.slice(0, -1);
      }
      yield part.includes("\r") ? part.replace(/\r\n?/g, "\n") : part;
    }
  } catch (e) {
    throw new Error(
      `${path}: cannot read as UTF-8 text${path.endsWith(".gz") ? " (gzip)" : ""} (${(e as Error).message})`,
    );
  }
  if (pendingCr) yield "\n";
}

/** Sorted `.txt` / `.txt.gz` files directly inside `dir`. */
async function textFilesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && (entry.name.endsWith(".txt") || entry.name.endsWith(".txt.gz"))) names.push(entry.name);
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => `${dir.replace(/\/+$/, "")}/${name}`);
}

async function* fileRecords(
  path: string,
  sampleBy: SampleBy,
  keepLinebreaks: boolean,
  stats?: ScanStats,
): AsyncGenerator<LocatedRecord> {
  if (sampleBy === "document") {
    let text = "";
    for await (const piece of decodedPieces(path)) text += piece;
    if (text.length > 0) yield { where: path, record: { text } };
    return;
  }
  const splitter = new RecordSplitter(sampleBy === "line" ? "\n" : "\n\n", stats);
  let lineNo = 1;
  let pieceLine = 1;
  for await (const piece of decodedPieces(path)) {
    for (const text of splitter.push(piece)) {
      if (sampleBy === "line") {
        yield { where: `${path}:${lineNo}`, record: { text: keepLinebreaks ? text + "\n" : text } };
        lineNo++;
      } else {
        if (text.length > 0) yield { where: `${path}:${pieceLine}`, record: { text } };
        pieceLine += countNewlines(text) + 2;
      }
    }
  }
  const rest = splitter.finish();
  if (rest.length > 0) yield { where: `${path}:${sampleBy === "line" ? lineNo : pieceLine}`, record: { text: rest } };
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * Records `{text}` of a text file or a folder of `.txt` files, each with where it came from (`file:line`, or the file
 * for a document). The engine of {@link readText}; {@link readRecords} uses it to name the place of a bad record.
 *
 * @example
 * ```ts
 * import { readTextLocated } from "./text.ts";
 * const path = await Deno.makeTempFile({ suffix: ".txt" });
 * await Deno.writeTextFile(path, "first\nsecond\n");
 * const wheres = [];
 * for await (const { where } of readTextLocated(path)) wheres.push(where);
 * if (wheres[1] !== `${path}:2`) throw new Error("unexpected");
 * ```
 */
export async function* readTextLocated(path: string, options: ReadTextOptions = {}): AsyncGenerator<LocatedRecord> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    throw new Error(`${path}: cannot read text (${(e as Error).message})`);
  }
  const files = info.isDirectory ? await textFilesIn(path) : [path];
  const sampleBy = options.sampleBy ?? (info.isDirectory ? "document" : "line");
  if (!["line", "paragraph", "document"].includes(sampleBy)) {
    throw new Error(`readText: sampleBy must be "line", "paragraph" or "document", got ${JSON.stringify(sampleBy)}`);
  }
  for (const file of files) yield* fileRecords(file, sampleBy, options.keepLinebreaks ?? false, options.stats);
}

/**
 * Records `{text}` of a plain-text corpus: a file (one record per line by default) or a folder of `.txt` files (one
 * record per file by default, files in name order). An empty file yields nothing.
 *
 * @example
 * ```ts
 * import { readText } from "./text.ts";
 * const path = await Deno.makeTempFile({ suffix: ".txt" });
 * await Deno.writeTextFile(path, "a good film\r\n\r\nbad\n");
 * const texts = [];
 * for await (const r of readText(path)) texts.push(r.text);
 * if (JSON.stringify(texts) !== '["a good film","","bad"]') throw new Error("unexpected");
 * ```
 */
export async function* readText(path: string, options: ReadTextOptions = {}): AsyncGenerator<{ text: string }> {
  for await (const { record } of readTextLocated(path, options)) yield record as { text: string };
}
