/**
 * A corpus file held in memory (a file dropped on a page) read into texts, as the file readers of `lib/data` read the
 * same file from disk: `.jsonl` one JSON object a line, its text column; `.txt` one text a line, empty lines
 * included (Hugging Face's `text` builder); `\r\n` and a lone `\r` read as `\n`; strict UTF-8. Nothing here touches
 * `Deno.*`.
 *
 * @module
 */

/** Options of {@link corpusTexts}. */
export interface CorpusTextsOptions {
  /** Field holding the text in a `.jsonl` record (default `"text"`). */
  textColumn?: string;
}

/**
 * The texts of corpus file `name` (its extension picks the format: `.jsonl`/`.json` or `.txt`) from its bytes.
 * A malformed line fails naming `name:line` and what was expected.
 *
 * @example
 * ```ts
 * import { corpusTexts } from "./corpus.ts";
 * const bytes = new TextEncoder().encode('{"text":"one"}\r\n{"text":"two","label":1}\n');
 * if (corpusTexts("reviews.jsonl", bytes).join("|") !== "one|two") throw new Error("jsonl");
 * if (corpusTexts("notes.txt", new TextEncoder().encode("a\n\nb")).length !== 3) throw new Error("lines, empty too");
 * ```
 */
export function corpusTexts(name: string, bytes: Uint8Array, options: CorpusTextsOptions = {}): string[] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    throw new Error(`${name}: cannot read as UTF-8 text (${(e as Error).message})`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  if (lines.at(-1) === "") lines.pop(); // the file's final newline ends the last line
  const lower = name.toLowerCase();
  if (lower.endsWith(".txt")) return lines;
  if (!lower.endsWith(".jsonl") && !lower.endsWith(".json")) {
    throw new Error(`${name}: unknown corpus format; expected a .txt (one text a line) or .jsonl file`);
  }
  const column = options.textColumn ?? "text";
  const texts: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${name}:${i + 1}`;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}: malformed JSON (${(e as Error).message})`);
    }
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      throw new Error(`${where}: expected a JSON object, got ${line.slice(0, 40)}`);
    }
    const value = (record as Record<string, unknown>)[column];
    if (typeof value !== "string") {
      const columns = Object.keys(record).map((k) => JSON.stringify(k)).join(", ") || "none";
      throw new Error(
        value === undefined
          ? `${where}: no text column ${JSON.stringify(column)}; columns present: ${columns}`
          : `${where}: text column ${JSON.stringify(column)} should be a string, got ${typeof value}`,
      );
    }
    texts.push(value);
  });
  return texts;
}
