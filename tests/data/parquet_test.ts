import { parquetMetadata } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { asyncBufferFromPath, readParquet, readParquetLocated } from "../../lib/data/parquet.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** 25 rows in row groups of 7, 7, 7, 4: text, an INT32 label, an INT64 id and a nullable DOUBLE score. */
function sampleParquet(): ArrayBuffer {
  const n = 25;
  return parquetWriteBuffer({
    columnData: [
      { name: "text", data: Array.from({ length: n }, (_, i) => `review ${i} ✓`), type: "STRING" },
      { name: "label", data: Array.from({ length: n }, (_, i) => i % 2), type: "INT32" },
      { name: "id", data: Array.from({ length: n }, (_, i) => BigInt(1000 + i)), type: "INT64" },
      { name: "score", data: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : i / 4)), type: "DOUBLE" },
    ],
    rowGroupSize: 7,
  });
}

function expectedRow(i: number): Record<string, unknown> {
  return { text: `review ${i} ✓`, label: i % 2, id: BigInt(1000 + i), score: i % 5 === 0 ? null : i / 4 };
}

Deno.test("readParquet: rows of several row groups come in file order with their values", async () => {
  const path = await Deno.makeTempFile({ suffix: ".parquet" });
  const buffer = sampleParquet();
  assertEquals(parquetMetadata(buffer).row_groups.map((g) => Number(g.num_rows)), [7, 7, 7, 4]);
  await Deno.writeFile(path, new Uint8Array(buffer));
  const rows = await collect(readParquet(path));
  assertEquals(rows.length, 25);
  rows.forEach((row, i) => assertEquals(row, expectedRow(i)));
  const wheres = (await collect(readParquetLocated(path))).map((r) => r.where);
  assertEquals(wheres, Array.from({ length: 25 }, (_, i) => `${path} row ${i}`));
});

Deno.test("readParquet: reads row group by row group (one group's bytes before the next)", async () => {
  const path = await Deno.makeTempFile({ suffix: ".parquet" });
  const bytes = new Uint8Array(sampleParquet());
  await Deno.writeFile(path, bytes);
  // Count the bytes asked for before each row is yielded: rows of the first group come before the whole file is read.
  const inner = await asyncBufferFromPath(path);
  let requested = 0;
  const counting = {
    byteLength: inner.byteLength,
    slice(start: number, end?: number) {
      requested += (end ?? inner.byteLength) - start;
      return inner.slice(start, end);
    },
  };
  const requestedAt: number[] = [];
  for await (const _ of readParquet(counting)) requestedAt.push(requested);
  assertEquals(requestedAt.length, 25);
  assert(requestedAt[0] < requestedAt[24], `first row after ${requestedAt[0]} bytes, last after ${requestedAt[24]}`);
  assertEquals(requestedAt[0], requestedAt[6]); // the first group of 7 is read at once
  assert(requestedAt[7] > requestedAt[6], "the second group is read when its rows are needed");
});

Deno.test("readParquet: an AsyncBuffer source (e.g. a cached Hub file) and a name for messages", async () => {
  const buffer = sampleParquet();
  const source = { byteLength: buffer.byteLength, slice: (s: number, e?: number) => buffer.slice(s, e) };
  const rows = await collect(readParquet(source));
  assertEquals(rows[24], expectedRow(24));
  const wheres = (await collect(readParquetLocated(source, { name: "hub:imdb/test.parquet" }))).map((r) => r.where);
  assertEquals(wheres[3], "hub:imdb/test.parquet row 3");
});

Deno.test("readParquet: columns selects fields; an unknown column lists those present", async () => {
  const path = await Deno.makeTempFile({ suffix: ".parquet" });
  await Deno.writeFile(path, new Uint8Array(sampleParquet()));
  const rows = await collect(readParquet(path, { columns: ["text"] }));
  assertEquals(rows[2], { text: "review 2 ✓" });
  await assertRejects(
    () => collect(readParquet(path, { columns: ["review"] })),
    'no column "review"; columns present: text, label, id, score',
  );
});

Deno.test("readParquet: an empty file yields nothing; a non-parquet file fails naming it", async () => {
  const empty = await Deno.makeTempFile({ suffix: ".parquet" });
  assertEquals(await collect(readParquet(empty)), []);
  const bad = await Deno.makeTempFile({ suffix: ".parquet" });
  await Deno.writeTextFile(bad, "this is not a parquet file, only some text");
  await assertRejects(() => collect(readParquet(bad)), `${bad}: not a readable parquet file`);
  await assertRejects(() => collect(readParquet(`${bad}.absent`)), `${bad}.absent: cannot open`);
});

Deno.test("asyncBufferFromPath: slices are exact byte ranges, in parallel too", async () => {
  const path = await Deno.makeTempFile();
  const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) % 251);
  await Deno.writeFile(path, bytes);
  const buffer = await asyncBufferFromPath(path);
  assertEquals(buffer.byteLength, 100_000);
  const ranges: [number, number | undefined][] = [[0, 10], [99_990, undefined], [5, 5], [40_000, 90_000]];
  const slices = await Promise.all(ranges.map(([s, e]) => buffer.slice(s, e)));
  slices.forEach((slice, k) => assertEquals(new Uint8Array(slice), bytes.slice(ranges[k][0], ranges[k][1])));
});
