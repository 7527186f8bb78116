/**
 * Parquet corpora through `hyparquet`, read one row group at a time so rows come in file order and only one row group
 * is held in memory. Rows are plain objects `{column: value}` with hyparquet's value types (strings for UTF-8
 * columns, `bigint` for INT64, `number` for INT32/FLOAT/DOUBLE, `null` for nulls).
 *
 * @module
 */
import { type FileMetaData, parquetMetadataAsync, parquetReadObjects } from "../deps.ts";
import type { DataRecord, LocatedRecord } from "./jsonl.ts";

/** Random access to a file's bytes, as hyparquet reads it (the same shape as hyparquet's `AsyncBuffer`). */
export interface AsyncBuffer {
  /** Size of the file in bytes. */
  byteLength: number;
  /** Bytes `[start, end)` (to the end when `end` is undefined). */
  slice(start: number, end?: number): ArrayBuffer | Promise<ArrayBuffer>;
}

/** Options of {@link readParquet}. */
export interface ReadParquetOptions {
  /** Only these columns (default: all). */
  columns?: string[];
  /** The name used in error messages and `where` (default: the path, or `"parquet"` for an AsyncBuffer). */
  name?: string;
}

/**
 * A hyparquet {@link AsyncBuffer} over a local file: each `slice` opens, seeks and reads its byte range, so parallel
 * reads never share a file position.
 *
 * @example
 * ```ts
 * import { asyncBufferFromPath } from "./parquet.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeFile(path, new Uint8Array([1, 2, 3, 4]));
 * const buffer = await asyncBufferFromPath(path);
 * const bytes = new Uint8Array(await buffer.slice(1, 3));
 * if (buffer.byteLength !== 4 || bytes.join() !== "2,3") throw new Error("unexpected");
 * ```
 */
export async function asyncBufferFromPath(path: string): Promise<AsyncBuffer> {
  let size: number;
  try {
    size = (await Deno.stat(path)).size;
  } catch (e) {
    throw new Error(`${path}: cannot open (${(e as Error).message})`);
  }
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      const out = new Uint8Array(Math.max(0, stop - start));
      if (out.length === 0) return out.buffer;
      using file = await Deno.open(path, { read: true });
      await file.seek(start, Deno.SeekMode.Start);
      let filled = 0;
      while (filled < out.length) {
        const n = await file.read(out.subarray(filled));
        if (n === null) throw new Error(`${path}: file ended at byte ${start + filled}, expected ${stop}`);
        filled += n;
      }
      return out.buffer;
    },
  };
}

/**
 * Rows of a parquet file with their place (`name row N`, 0-based), row group by row group in file order. The engine of
 * {@link readParquet}; `readRecords` uses it to name the place of a bad record.
 *
 * @example
 * ```ts
 * import { readParquetLocated } from "./parquet.ts";
 * // A 201-byte parquet file written by hyparquet-writer: columns text (string), label (int32); rows good/1, bad/0.
 * const base64 = "UEFSMRUGFSIVIlwVBBUAFQQVABUEFQAAAAMDBAAAAGdvb2QDAAAAYmFkFQYVFBUUXBUEFQAVBBUAFQQVAAAAAwMBAAAAAAAAABUE" +
 *   "GTxIBHJvb3QVBAAVDCUCGAR0ZXh0JQAAFQIlAhgFbGFiZWwAFgQZHBksJggcFQwZFQAZGAR0ZXh0FQAWBBZMFkwmCAAAJlQcFQIZ" +
 *   "FQAZGAVsYWJlbBUAFgQWPhY+JlQAABaKARYENooBACgBeBksHAAAHAAAAHgAAABQQVIx";
 * const path = await Deno.makeTempFile({ suffix: ".parquet" });
 * await Deno.writeFile(path, Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
 * const wheres = [];
 * for await (const { where } of readParquetLocated(path)) wheres.push(where);
 * if (wheres[1] !== `${path} row 1`) throw new Error("unexpected");
 * ```
 */
export async function* readParquetLocated(
  source: string | AsyncBuffer,
  options: ReadParquetOptions = {},
): AsyncGenerator<LocatedRecord> {
  const name = options.name ?? (typeof source === "string" ? source : "parquet");
  const file = typeof source === "string" ? await asyncBufferFromPath(source) : source;
  if (file.byteLength === 0) return; // an empty file is an empty corpus
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    throw new Error(`${name}: not a readable parquet file (${(e as Error).message})`);
  }
  const present = metadata.schema.slice(1).map((s) => s.name);
  for (const column of options.columns ?? []) {
    if (!metadata.schema.some((s) => s.name === column)) {
      throw new Error(`${name}: no column ${JSON.stringify(column)}; columns present: ${present.join(", ")}`);
    }
  }
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    if (rowEnd === rowStart) continue;
    let rows: DataRecord[];
    try {
      rows = await parquetReadObjects({ file, metadata, rowStart, rowEnd, columns: options.columns });
    } catch (e) {
      throw new Error(`${name}: cannot read rows ${rowStart}..${rowEnd - 1} (${(e as Error).message})`);
    }
    if (rows.length !== rowEnd - rowStart) {
      throw new Error(`${name}: row group at row ${rowStart} gave ${rows.length} rows, expected ${rowEnd - rowStart}`);
    }
    for (let i = 0; i < rows.length; i++) yield { where: `${name} row ${rowStart + i}`, record: rows[i] };
    rowStart = rowEnd;
  }
}

/**
 * Rows of a parquet file as objects, in file order, one row group in memory at a time. `source` is a local path or a
 * hyparquet {@link AsyncBuffer} (e.g. a cached Hub file).
 *
 * @example
 * ```ts
 * import { readParquet } from "./parquet.ts";
 * // A 201-byte parquet file written by hyparquet-writer: columns text (string), label (int32); rows good/1, bad/0.
 * const base64 = "UEFSMRUGFSIVIlwVBBUAFQQVABUEFQAAAAMDBAAAAGdvb2QDAAAAYmFkFQYVFBUUXBUEFQAVBBUAFQQVAAAAAwMBAAAAAAAAABUE" +
 *   "GTxIBHJvb3QVBAAVDCUCGAR0ZXh0JQAAFQIlAhgFbGFiZWwAFgQZHBksJggcFQwZFQAZGAR0ZXh0FQAWBBZMFkwmCAAAJlQcFQIZ" +
 *   "FQAZGAVsYWJlbBUAFgQWPhY+JlQAABaKARYENooBACgBeBksHAAAHAAAAHgAAABQQVIx";
 * const path = await Deno.makeTempFile({ suffix: ".parquet" });
 * await Deno.writeFile(path, Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
 * const rows = [];
 * for await (const row of readParquet(path)) rows.push(row);
 * if (JSON.stringify(rows) !== '[{"text":"good","label":1},{"text":"bad","label":0}]') throw new Error("unexpected");
 * ```
 */
export async function* readParquet(
  source: string | AsyncBuffer,
  options: ReadParquetOptions = {},
): AsyncGenerator<DataRecord> {
  for await (const { record } of readParquetLocated(source, options)) yield record;
}
