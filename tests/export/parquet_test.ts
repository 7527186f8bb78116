import { readParquet } from "npm:parquet-wasm@0.8.0";
import { tableFromIPC } from "npm:apache-arrow@21.2.0";
import { parquetMetadataAsync, parquetReadObjects } from "../../lib/deps.ts";
import { loadPrepared, prepareDataset, PreparedDataset } from "../../lib/prepare/prepared.ts";
import { exportPreparedParquet, PREPARED_PARQUET_COLUMNS } from "../../lib/export/parquet.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";

const DEMO_TOKENIZER = `${ROOT}/fixtures/demo/model`;

function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Every row of the file, read row group by row group (hyparquet may deliver chunks out of order otherwise). */
async function readRows(path: string): Promise<Record<string, unknown>[]> {
  const file = arrayBufferOf(await Deno.readFile(path));
  const meta = await parquetMetadataAsync(file);
  const rows: Record<string, unknown>[] = [];
  let start = 0;
  for (const group of meta.row_groups) {
    const end = start + Number(group.num_rows);
    rows.push(...await parquetReadObjects({ file, metadata: meta, rowStart: start, rowEnd: end }));
    start = end;
  }
  return rows;
}

Deno.test("exportPreparedParquet: a prepared folder's chunks read back row for row (hyparquet), in row groups", async () => {
  const root = await Deno.makeTempDir();
  try {
    const texts = [
      "This is a great movie, and the actors were wonderful.",
      "I did not like the film at all; the plot was thin.",
      "A book, a game, a house and a friend.",
      "What a day!",
    ];
    await Deno.writeTextFile(`${root}/c.jsonl`, texts.map((text) => JSON.stringify({ text })).join("\n") + "\n");
    const prepared = await prepareDataset(`${root}/c.jsonl`, {
      tokenizer: DEMO_TOKENIZER,
      out: `${root}/cache`,
      chunkSize: 8,
      workers: 0,
    });
    const ds = await loadPrepared(prepared.path);
    assert(ds.length >= 5, `enough chunks for several row groups: ${ds.length}`);
    const r = await exportPreparedParquet(prepared.path, `${root}/train.parquet`, { rowGroupSize: 2 });
    assertEquals([r.rows, r.chunkSize, r.rowGroups], [ds.length, 8, Math.ceil(ds.length / 2)]);
    assertEquals((await Deno.stat(r.path)).size, r.bytes);

    const file = arrayBufferOf(await Deno.readFile(r.path));
    const meta = await parquetMetadataAsync(file);
    assertEquals(meta.row_groups.length, r.rowGroups);
    assertEquals(meta.schema.filter((s) => s.converted_type === "LIST").map((s) => s.name), [
      ...PREPARED_PARQUET_COLUMNS,
    ]);
    assertEquals(meta.schema.filter((s) => s.name === "element").map((s) => s.type), Array(4).fill("INT32"));
    const kv = meta.key_value_metadata?.find((m) => m.key === "mlm_adapt.prepared");
    assertEquals(JSON.parse(kv!.value!).fingerprint, prepared.fingerprint);

    const rows = await readRows(r.path);
    assertEquals(rows.length, ds.length);
    for (const [i, row] of rows.entries()) {
      const chunk = ds.get(i);
      assertEquals(Object.keys(row), [...PREPARED_PARQUET_COLUMNS], `row ${i}: columns`);
      assertEquals(row.input_ids, chunk.input_ids, `row ${i}: input_ids`);
      assertEquals(row.attention_mask, chunk.attention_mask, `row ${i}: attention_mask`);
      assertEquals(row.word_ids, chunk.word_ids, `row ${i}: word_ids (null for special tokens)`);
      assertEquals(row.labels, chunk.labels, `row ${i}: labels`);
    }
    assert(rows.some((row) => (row.word_ids as unknown[]).includes(null)), "special tokens give null word ids");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("exportPreparedParquet: an in-memory dataset, an empty one, and clear errors", async () => {
  const root = await Deno.makeTempDir();
  try {
    const ds = new PreparedDataset({
      inputIds: new Int32Array([2, 7, 8, 3, 2, 9, 3, 0]),
      wordIds: new Int32Array([-1, 0, 1, -1, -1, 0, -1, -1]),
      chunkSize: 4,
    });
    await exportPreparedParquet(ds, `${root}/a.parquet`);
    const rows = await readRows(`${root}/a.parquet`);
    assertEquals(rows.map((row) => row.word_ids), [[null, 0, 1, null], [null, 0, null, null]]);
    const empty = await exportPreparedParquet(
      new PreparedDataset({ inputIds: new Int32Array(), wordIds: new Int32Array(), chunkSize: 4 }),
      `${root}/empty.parquet`,
    );
    assertEquals([empty.rows, empty.rowGroups], [0, 0]);
    assertEquals(await readRows(`${root}/empty.parquet`), []);
    await assertRejects(() => exportPreparedParquet(ds, `${root}/b.parquet`, { rowGroupSize: 0 }), "rowGroupSize");
    await assertRejects(() => exportPreparedParquet(`${root}/nowhere`, `${root}/c.parquet`), "no meta.json");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("exportPreparedParquet: Apache Arrow's Rust reader (parquet-wasm) sees list<int32> columns and the same rows", async () => {
  const root = await Deno.makeTempDir();
  try {
    const ds = new PreparedDataset({
      inputIds: Int32Array.from({ length: 5 * 6 }, (_, i) => (i % 6 === 0 ? 2 : i % 6 === 5 ? 3 : 10 + i)),
      wordIds: Int32Array.from({ length: 5 * 6 }, (_, i) => (i % 6 === 0 || i % 6 === 5 ? -1 : (i % 6) - 1)),
      chunkSize: 6,
    });
    await exportPreparedParquet(ds, `${root}/t.parquet`, { rowGroupSize: 2 });
    const table = tableFromIPC(readParquet(await Deno.readFile(`${root}/t.parquet`)).intoIPCStream());
    assertEquals(
      table.schema.fields.map((f) => `${f.name}: ${f.type}`),
      PREPARED_PARQUET_COLUMNS.map((c) => `${c}: List<Int32>`),
    );
    assertEquals(table.numRows, ds.length);
    for (let i = 0; i < ds.length; i++) {
      const row = JSON.parse(JSON.stringify(table.get(i)!.toJSON()));
      assertEquals(row, { ...ds.get(i) }, `row ${i}`);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
