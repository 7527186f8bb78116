/**
 * Prepared chunks as one Parquet file that pyarrow, `datasets.load_dataset("parquet", …)` and hyparquet read: one row
 * per chunk, with the four columns the course's `group_texts` leaves — `input_ids`, `attention_mask`, `word_ids`,
 * `labels` — each a Parquet LIST of int32 (the standard three-level `LIST` → `list` → `element` layout; `word_ids`
 * elements are nullable, `null` for special tokens as HF's `word_ids()` gives them). Attention masks are all ones
 * and labels a copy of the ids, as `group_texts` makes them. The prepared folder's `meta.json` rides along as the
 * file's key-value metadata `mlm_adapt.prepared`.
 *
 * @module
 */
import { ByteWriter, ParquetWriter } from "../deps.ts";
import { writeFileAtomic } from "../fs.ts";
import { loadPrepared, type PreparedDataset } from "../prepare/prepared.ts";

/** The columns of an exported file, in order. */
export const PREPARED_PARQUET_COLUMNS: readonly string[] = ["input_ids", "attention_mask", "word_ids", "labels"];

/** Options of {@link exportPreparedParquet}. */
export interface ExportPreparedParquetOptions {
  /** Chunks per row group (default 10,000: about 20 MB of values per group at 128 tokens). */
  rowGroupSize?: number;
  /** Called after each row group with the chunks written so far and in all (e.g. `CountProgress.update`). */
  onProgress?: (rows: number, total: number) => void;
}

/** What {@link exportPreparedParquet} wrote. */
export interface ExportPreparedParquetResult {
  /** The file written. */
  path: string;
  /** Rows (chunks). */
  rows: number;
  /** Tokens per row. */
  chunkSize: number;
  /** Row groups. */
  rowGroups: number;
  /** File size in bytes. */
  bytes: number;
}

function listColumn(name: string, nullable: boolean) {
  return [
    { name, repetition_type: "REQUIRED" as const, converted_type: "LIST" as const, num_children: 1 },
    { name: "list", repetition_type: "REPEATED" as const, num_children: 1 },
    { name: "element", type: "INT32" as const, repetition_type: nullable ? "OPTIONAL" as const : "REQUIRED" as const },
  ];
}

/**
 * Write the chunks of a prepared folder (or of a {@link PreparedDataset} in memory) to `outPath` as Parquet, row
 * groups of `rowGroupSize` chunks, SNAPPY-compressed. The file is written atomically.
 *
 * @example
 * ```ts
 * import { PreparedDataset } from "../prepare/prepared.ts";
 * import { exportPreparedParquet } from "./parquet.ts";
 * const dir = await Deno.makeTempDir();
 * const ds = new PreparedDataset({ inputIds: new Int32Array([101, 7, 8, 102]), wordIds: new Int32Array([-1, 0, 1, -1]), chunkSize: 2 });
 * const r = await exportPreparedParquet(ds, `${dir}/train.parquet`);
 * if (r.rows !== 2 || r.chunkSize !== 2) throw new Error("two rows of two tokens");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function exportPreparedParquet(
  prepared: string | PreparedDataset,
  outPath: string,
  options: ExportPreparedParquetOptions = {},
): Promise<ExportPreparedParquetResult> {
  const ds = typeof prepared === "string" ? await loadPrepared(prepared) : prepared;
  const rowGroupSize = options.rowGroupSize ?? 10_000;
  if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new Error(`exportPreparedParquet: rowGroupSize should be a positive integer, got ${rowGroupSize}`);
  }
  const writer = new ByteWriter();
  const parquet = new ParquetWriter({
    writer,
    schema: [
      { name: "root", num_children: 4 },
      ...listColumn("input_ids", false),
      ...listColumn("attention_mask", false),
      ...listColumn("word_ids", true),
      ...listColumn("labels", false),
    ],
    kvMetadata: ds.meta ? [{ key: "mlm_adapt.prepared", value: JSON.stringify(ds.meta) }] : undefined,
    createdBy: "mlm-adapt (hyparquet-writer 0.17.0)",
  });
  const size = ds.chunkSize;
  const ones = new Array<number>(size).fill(1);
  let rowGroups = 0;
  for (let start = 0; start < ds.length; start += rowGroupSize) {
    const end = Math.min(ds.length, start + rowGroupSize);
    const inputIds: number[][] = [], masks: number[][] = [], wordIds: (number | null)[][] = [], labels: number[][] = [];
    for (let i = start; i < end; i++) {
      const ids = Array.from(ds.inputIds.subarray(i * size, (i + 1) * size));
      inputIds.push(ids);
      masks.push(ones);
      wordIds.push(Array.from(ds.wordIds.subarray(i * size, (i + 1) * size), (w) => (w < 0 ? null : w)));
      labels.push(ids.slice());
    }
    parquet.write({
      columnData: [
        { name: "input_ids", data: inputIds },
        { name: "attention_mask", data: masks },
        { name: "word_ids", data: wordIds },
        { name: "labels", data: labels },
      ],
      rowGroupSize,
    });
    rowGroups++;
    options.onProgress?.(end, ds.length);
  }
  parquet.finish();
  const bytes = writer.getBytes();
  await writeFileAtomic(outPath, bytes);
  return { path: outPath, rows: ds.length, chunkSize: size, rowGroups, bytes: bytes.length };
}
