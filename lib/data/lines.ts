/**
 * Cutting streamed text into records at a separator (`"\n"` for lines, `"\n\n"` for paragraphs) in time linear in the
 * input: each piece is searched once, where it arrives, and a record that spans many pieces is joined once, when its
 * end comes. A line of any length costs what its characters cost.
 *
 * @module
 */

/** Work counter of a {@link RecordSplitter}: how many characters its searches examined. */
export interface ScanStats {
  /** Characters examined by separator searches, in all. */
  scanned: number;
}

/**
 * Splits text that arrives in pieces at `separator`; records come out whole, in order, without the separator.
 *
 * @example
 * ```ts
 * import { RecordSplitter } from "./lines.ts";
 * const split = new RecordSplitter("\n");
 * const out = [...split.push("a\nb"), ...split.push("c\n"), ...split.push("d")];
 * if (JSON.stringify([...out, split.finish()]) !== '["a","bc","d"]') throw new Error(JSON.stringify(out));
 * ```
 */
export class RecordSplitter {
  #separator: string;
  #pending: string[] = [];
  #pendingLength = 0;
  #stats?: ScanStats;

  /** `separator`: a non-empty string; `stats`, when given, counts the characters searched. */
  constructor(separator: string, stats?: ScanStats) {
    if (separator.length === 0) throw new Error("RecordSplitter: the separator must not be empty");
    this.#separator = separator;
    this.#stats = stats;
  }

  /** Add a piece; returns the records it completes. */
  push(piece: string): string[] {
    const sep = this.#separator;
    // A separator may begin in the pending text: look back at most sep.length - 1 characters, never further.
    const back = Math.min(sep.length - 1, this.#pendingLength);
    let tail = "";
    for (let i = this.#pending.length - 1; i >= 0 && tail.length < back; i--) {
      tail = this.#pending[i].slice(-(back - tail.length)) + tail;
    }
    const window = tail + piece;
    let at = window.indexOf(sep);
    if (this.#stats) this.#stats.scanned += at < 0 ? window.length : at + sep.length;
    if (at < 0) {
      if (piece.length > 0) {
        this.#pending.push(piece);
        this.#pendingLength += piece.length;
      }
      return [];
    }
    // The first record takes the pending text, joined once; later ones lie inside this piece.
    const head = this.#pending.join("");
    const records = [head.slice(0, head.length - back) + window.slice(0, at)];
    this.#pending = [];
    this.#pendingLength = 0;
    let start = at + sep.length;
    while ((at = window.indexOf(sep, start)) >= 0) {
      if (this.#stats) this.#stats.scanned += at + sep.length - start;
      records.push(window.slice(start, at));
      start = at + sep.length;
    }
    if (this.#stats) this.#stats.scanned += window.length - start;
    if (start < window.length) {
      this.#pending.push(window.slice(start));
      this.#pendingLength = window.length - start;
    }
    return records;
  }

  /** The text after the last separator (`""` when none), and the splitter is empty again. */
  finish(): string {
    const rest = this.#pending.join("");
    this.#pending = [];
    this.#pendingLength = 0;
    return rest;
  }
}
