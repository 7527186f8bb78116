/**
 * Stand-in for `npm:csv-parse/stream` in the browser bundle (mapped by `web/import_map.json`): csv-parse needs Node's
 * `Buffer` and `node:stream/web`, which a browser bundle lacks. The page reads
 * `.txt` and `.jsonl` corpora only; reading CSV here fails saying so.
 *
 * @module
 */

/** csv-parse's error class (never thrown here). */
export class CsvError extends Error {}

/** Fails: CSV corpora are read by the Deno tasks, not in the browser. */
export function parse(): never {
  throw new Error("CSV corpora are not read in the browser page; convert the file to .jsonl or .txt");
}
