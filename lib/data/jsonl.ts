/**
 * JSON Lines reader, plain or gzip (`.gz`, decompressed with `DecompressionStream`), one record at a time.
 *
 * @module
 */

/** A record read from a corpus file. */
export type DataRecord = Record<string, unknown>;

/** Lines of a text file (`\n` or `\r\n`), streamed; `.gz` files are gunzipped on the fly. Yields `[lineNo, text]`. */
export async function* readLines(path: string): AsyncGenerator<[number, string]> {
  const file = await Deno.open(path, { read: true });
  let stream: ReadableStream<Uint8Array> = file.readable;
  if (path.endsWith(".gz")) {
    stream = stream.pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>);
  }
  const text = stream.pipeThrough(new TextDecoderStream());
  let buf = "";
  let lineNo = 0;
  for await (const part of text) {
    buf += part;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      let line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.endsWith("\r")) line = line.slice(0, -1);
      yield [++lineNo, line];
    }
  }
  if (buf.length > 0) yield [++lineNo, buf.endsWith("\r") ? buf.slice(0, -1) : buf];
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
  for await (const [lineNo, line] of readLines(path)) {
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new Error(`${path}:${lineNo}: malformed JSON (${(e as Error).message})`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new Error(
        `${path}:${lineNo}: expected a JSON object per line, got ${Array.isArray(value) ? "an array" : typeof value}`,
      );
    }
    yield value as DataRecord;
  }
}
