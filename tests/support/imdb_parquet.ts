/**
 * IMDb-shaped Parquet shards for the local Hub server (tests/support/hub_server.ts), as HF serves `stanfordnlp/imdb`.
 *
 * @module
 */
import { parquetWriteBuffer } from "hyparquet-writer";
import type { HubServer } from "./hub_server.ts";

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

/**
 * Serve `stanfordnlp/imdb` (legacy id `imdb`) on the local Hub `hub` as HF does: a README on `main`, and on
 * `refs/convert/parquet` one `plain_text/<split>/<nnnn>.parquet` shard per entry of `shards[split]`, each in row
 * groups of `rowGroupSize`.
 *
 * @example
 * ```ts
 * import { serveImdb } from "./imdb_parquet.ts";
 * import { startHubServer } from "./hub_server.ts";
 * const hub = await startHubServer();
 * serveImdb(hub, { train: [[{ text: "good", label: 1 }], [{ text: "bad", label: 0 }]] }, 64);
 * await hub.close();
 * ```
 */
export function serveImdb(hub: HubServer, shards: Record<string, ImdbRow[][]>, rowGroupSize: number): void {
  hub.addRepo("stanfordnlp/imdb", { type: "dataset", files: { "README.md": "# imdb" } });
  const files: Record<string, Uint8Array> = {};
  for (const [split, parts] of Object.entries(shards)) {
    parts.forEach((rows, i) => {
      files[`plain_text/${split}/${String(i).padStart(4, "0")}.parquet`] = imdbParquet(rows, rowGroupSize);
    });
  }
  hub.addRepo("stanfordnlp/imdb", { type: "dataset", branch: "refs/convert/parquet", files });
  hub.alias("imdb", "stanfordnlp/imdb", "dataset");
}
