import { parquetWriteBuffer } from "hyparquet-writer";
import { readRecords, readTexts } from "../../lib/data/records.ts";
import { haveShared, SHARED } from "../support/shared.ts";
import { assertEquals, assertRejects } from "../support/assert.ts";

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function parquetBytes(texts: string[], extra: Record<string, number[]> = {}): Uint8Array {
  const columnData = [
    { name: "text", data: texts, type: "STRING" as const },
    ...Object.entries(extra).map(([name, data]) => ({ name, data, type: "INT32" as const })),
  ];
  return new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize: 2 }));
}

Deno.test("readRecords: picks the reader from the extension", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/a.jsonl`, '{"text":"j1"}\n{"text":"j2"}\n');
  await Deno.writeFile(`${dir}/a.jsonl.gz`, await gzip('{"text":"g1"}\n'));
  await Deno.writeTextFile(`${dir}/a.json`, '{"text":"json lines"}\n');
  await Deno.writeTextFile(`${dir}/a.ndjson`, '{"text":"nd"}\n');
  await Deno.writeTextFile(`${dir}/a.csv`, "text,label\nc1,0\n");
  await Deno.writeTextFile(`${dir}/a.tsv`, "label\ttext\n1\tt1, with comma\n");
  await Deno.writeFile(`${dir}/a.parquet`, parquetBytes(["p1", "p2", "p3"]));
  await Deno.writeTextFile(`${dir}/a.txt`, "line one\nline two\n");
  await Deno.writeFile(`${dir}/b.csv.gz`, await gzip("text\ncg\n"));
  const texts = async (name: string): Promise<string[]> => await collect(readTexts(`${dir}/${name}`));
  assertEquals(await texts("a.jsonl"), ["j1", "j2"]);
  assertEquals(await texts("a.jsonl.gz"), ["g1"]);
  assertEquals(await texts("a.json"), ["json lines"]);
  assertEquals(await texts("a.ndjson"), ["nd"]);
  assertEquals(await texts("a.csv"), ["c1"]);
  assertEquals(await texts("a.tsv"), ["t1, with comma"]);
  assertEquals(await texts("a.parquet"), ["p1", "p2", "p3"]);
  assertEquals(await texts("a.txt"), ["line one", "line two"]);
  assertEquals(await texts("b.csv.gz"), ["cg"]);
  assertEquals(await collect(readRecords(`${dir}/a.csv`)), [{ text: "c1", label: "0" }]);
});

Deno.test("readRecords: format overrides the extension; an unknown extension asks for it", async () => {
  const path = await Deno.makeTempFile({ suffix: ".data" });
  await Deno.writeTextFile(path, '{"text":"x"}\n');
  await assertRejects(() => collect(readRecords(path)), `${path}: cannot tell the format from the extension`);
  assertEquals(await collect(readTexts(path, { format: "jsonl" })), ["x"]);
  assertEquals(await collect(readTexts(path, { format: "text" })), ['{"text":"x"}']);
  await assertRejects(
    () => collect(readRecords(path, { format: "xml" as "text" })),
    'format must be one of jsonl, csv, tsv, parquet, text, aclimdb, got "xml"',
  );
});

Deno.test("readRecords: a record without the text column lists the columns present and names file:line", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/a.jsonl`, '{"text":"ok"}\n\n{"review":"x","label":1}\n');
  await assertRejects(
    () => collect(readRecords(`${dir}/a.jsonl`)),
    `${dir}/a.jsonl:3: no text column "text"; columns present: "review", "label"`,
  );
  await Deno.writeTextFile(`${dir}/a.csv`, "review,label\nfine,1\n");
  await assertRejects(
    () => collect(readRecords(`${dir}/a.csv`)),
    `${dir}/a.csv:2: no text column "text"; columns present: "review", "label"`,
  );
  assertEquals(await collect(readTexts(`${dir}/a.csv`, { textColumn: "review" })), ["fine"]);
  await Deno.writeFile(`${dir}/a.parquet`, parquetBytes(["a", "b", "c"], { label: [0, 1, 0] }));
  await assertRejects(
    () => collect(readRecords(`${dir}/a.parquet`, { textColumn: "content" })),
    `${dir}/a.parquet row 0: no text column "content"; columns present: "text", "label"`,
  );
});

Deno.test("readRecords: a non-string text value fails naming the place and the type", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/a.jsonl`, '{"text":"ok"}\n{"text":42}\n');
  await assertRejects(
    () => collect(readRecords(`${dir}/a.jsonl`)),
    `${dir}/a.jsonl:2: text column "text" should be a string, got number`,
  );
  await Deno.writeTextFile(`${dir}/b.jsonl`, '{"text":null}\n');
  await assertRejects(() => collect(readRecords(`${dir}/b.jsonl`)), "should be a string, got null");
  await Deno.writeFile(`${dir}/a.parquet`, parquetBytes(["a", "b", "c"], { label: [0, 1, 0] }));
  await assertRejects(
    () => collect(readRecords(`${dir}/a.parquet`, { textColumn: "label" })),
    `${dir}/a.parquet row 0: text column "label" should be a string, got number`,
  );
});

Deno.test("readRecords: folders — .txt files, aclImdb trees, and split files", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/docs`);
  await Deno.writeTextFile(`${dir}/docs/02.txt`, "doc two");
  await Deno.writeTextFile(`${dir}/docs/01.txt`, "doc one\nstill one");
  assertEquals(await collect(readTexts(`${dir}/docs`)), ["doc one\nstill one", "doc two"]);
  assertEquals(await collect(readTexts(`${dir}/docs`, { sampleBy: "line" })), ["doc one", "still one", "doc two"]);

  for (const rel of ["acl/test/neg", "acl/test/pos", "acl/train/pos", "acl/train/unsup"]) {
    await Deno.mkdir(`${dir}/${rel}`, { recursive: true });
  }
  await Deno.writeTextFile(`${dir}/acl/test/neg/5_2.txt`, "bad");
  await Deno.writeTextFile(`${dir}/acl/test/pos/1_9.txt`, "good");
  await Deno.writeTextFile(`${dir}/acl/train/unsup/0_0.txt`, "unlabelled");
  assertEquals(await collect(readRecords(`${dir}/acl/test`)), [
    { text: "bad", label: 0, id: 5, rating: 2 },
    { text: "good", label: 1, id: 1, rating: 9 },
  ]);
  assertEquals(await collect(readTexts(`${dir}/acl`, { split: "test" })), ["bad", "good"]);
  assertEquals(await collect(readTexts(`${dir}/acl`, { split: "unsupervised" })), ["unlabelled"]);
  await assertRejects(() => collect(readRecords(`${dir}/acl`)), "pass split (train, test, unsupervised)");

  await Deno.mkdir(`${dir}/hub`);
  await Deno.writeFile(`${dir}/hub/train-00001-of-00002.parquet`, parquetBytes(["t3", "t4"]));
  await Deno.writeFile(`${dir}/hub/train-00000-of-00002.parquet`, parquetBytes(["t1", "t2"]));
  await Deno.writeFile(`${dir}/hub/test.jsonl.gz`, await gzip('{"text":"e1"}\n'));
  await Deno.writeTextFile(`${dir}/hub/README.md`, "not data");
  assertEquals(await collect(readTexts(`${dir}/hub`, { split: "train" })), ["t1", "t2", "t3", "t4"]);
  assertEquals(await collect(readTexts(`${dir}/hub`, { split: "test" })), ["e1"]);
  await assertRejects(
    () => collect(readTexts(`${dir}/hub`, { split: "validation" })),
    'no files for split "validation"',
  );
  await assertRejects(() => collect(readTexts(`${dir}/hub`)), "cannot tell how to read this folder");
  await assertRejects(() => collect(readTexts(`${dir}/absent`)), `${dir}/absent: cannot read corpus`);
});

Deno.test("readRecords: empty files yield nothing", async () => {
  const dir = await Deno.makeTempDir();
  for (const name of ["e.jsonl", "e.csv", "e.tsv", "e.txt", "e.parquet"]) {
    await Deno.writeTextFile(`${dir}/${name}`, "");
    assertEquals(await collect(readRecords(`${dir}/${name}`)), [], name);
  }
});

Deno.test({
  name: "readRecords: the shared IMDb test split has 25,000 records, 12,500 per label",
  ignore: !haveShared("data/imdb/test.jsonl.gz", "readRecords shared IMDb test"),
  fn: async () => {
    const counts = new Map<unknown, number>();
    let n = 0;
    for await (const r of readRecords(`${SHARED}/data/imdb/test.jsonl.gz`)) {
      if (typeof r.text !== "string" || r.text.length === 0) throw new Error(`record ${n} has no text`);
      counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
      n++;
    }
    assertEquals(n, 25000);
    assertEquals([...counts.entries()].sort(), [[0, 12500], [1, 12500]]);
  },
});

Deno.test("readRecords: split files may be symbolic links (as in the Hugging Face cache's snapshots)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/blobs`);
    await Deno.mkdir(`${dir}/snapshot`);
    await Deno.writeTextFile(`${dir}/blobs/abc`, '{"text":"linked one"}\n{"text":"linked two"}\n');
    await Deno.symlink("../blobs/abc", `${dir}/snapshot/train.jsonl`);
    await Deno.writeTextFile(`${dir}/snapshot/test.jsonl`, '{"text":"not this split"}\n');
    const texts: string[] = [];
    for await (const t of readTexts(`${dir}/snapshot`, { split: "train" })) texts.push(t);
    assertEquals(texts, ["linked one", "linked two"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
