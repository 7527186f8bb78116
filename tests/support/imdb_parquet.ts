/**
 * IMDb-shaped Parquet shards for the local Hub server (tests/support/hub_server.ts), as HF serves `stanfordnlp/imdb`.
 *
 * @module
 */
import { parquetWriteBuffer } from "hyparquet-writer";

/** A review and its label, one row of HF's imdb. */
export interface ImdbRow {
  /** The review. */
  text: string;
  /** 0 negative, 1 positive, -1 unlabelled. */
  label: number;
}

/**
 * Parquet bytes of `rows` (text STRING, label INT64 as in HF's imdb), in row groups of `rowGroupSize`.
 *
 * @example
 * ```ts
 * import { imdbParquet } from "./imdb_parquet.ts";
 * const bytes = imdbParquet([{ text: "a fine film", label: 1 }], 64);
 * if (new TextDecoder().decode(bytes.subarray(0, 4)) !== "PAR1") throw new Error("a Parquet file starts with PAR1");
 * ```
 */
export function imdbParquet(rows: readonly ImdbRow[], rowGroupSize: number): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: "text", data: rows.map((r) => r.text), type: "STRING" },
      { name: "label", data: rows.map((r) => BigInt(r.label)), type: "INT64" },
    ],
    rowGroupSize,
  }));
}
