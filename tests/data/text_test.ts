import { readText, readTextLocated } from "../../lib/data/text.ts";
import { assertEquals, assertRejects } from "../support/assert.ts";

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function texts(path: string, options = {}): Promise<string[]> {
  return (await collect(readText(path, options))).map((r) => r.text);
}

Deno.test("readText: one record per line, empty lines kept, \\r\\n and lone \\r are newlines (as HF)", async () => {
  const path = await Deno.makeTempFile({ suffix: ".txt" });
  await Deno.writeTextFile(path, "first line\r\n\r\nthird\rfourth\nlast without newline");
  assertEquals(await texts(path), ["first line", "", "third", "fourth", "last without newline"]);
  const wheres = (await collect(readTextLocated(path))).map((r) => r.where);
  assertEquals(wheres, [1, 2, 3, 4, 5].map((n) => `${path}:${n}`));
});

Deno.test("readText: a trailing newline adds no empty record; keepLinebreaks keeps the \\n", async () => {
  const path = await Deno.makeTempFile({ suffix: ".txt" });
  await Deno.writeTextFile(path, "a\r\nb\n");
  assertEquals(await texts(path), ["a", "b"]);
  assertEquals(await texts(path, { keepLinebreaks: true }), ["a\n", "b\n"]);
});

Deno.test("readText: paragraphs split on blank lines, empty pieces dropped (HF sample_by=paragraph)", async () => {
  const path = await Deno.makeTempFile({ suffix: ".txt" });
  await Deno.writeTextFile(path, "p1 l1\np1 l2\r\n\r\np2\n\n\n\np3\n");
  assertEquals(await texts(path, { sampleBy: "paragraph" }), ["p1 l1\np1 l2", "p2", "p3\n"]);
  const wheres = (await collect(readTextLocated(path, { sampleBy: "paragraph" }))).map((r) => r.where);
  assertEquals(wheres, [`${path}:1`, `${path}:4`, `${path}:8`]);
});

Deno.test("readText: a folder of .txt files is one record per file, in name order", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/b.txt`, "second\nfile\n");
  await Deno.writeTextFile(`${dir}/a.txt`, "first file");
  await Deno.writeTextFile(`${dir}/c.txt`, "");
  await Deno.writeTextFile(`${dir}/notes.md`, "not read");
  await Deno.mkdir(`${dir}/sub.txt`);
  assertEquals(await texts(dir), ["first file", "second\nfile\n"]);
  assertEquals(await texts(dir, { sampleBy: "line" }), ["first file", "second", "file"]);
  const wheres = (await collect(readTextLocated(dir))).map((r) => r.where);
  assertEquals(wheres, [`${dir}/a.txt`, `${dir}/b.txt`]);
});

Deno.test("readText: .txt.gz is gunzipped", async () => {
  const path = await Deno.makeTempFile({ suffix: ".txt.gz" });
  const gz = new Blob(["one\ntwo\n"]).stream().pipeThrough(new CompressionStream("gzip"));
  await Deno.writeFile(path, new Uint8Array(await new Response(gz).arrayBuffer()));
  assertEquals(await texts(path), ["one", "two"]);
});

Deno.test("readText: an empty file or folder yields nothing", async () => {
  const path = await Deno.makeTempFile({ suffix: ".txt" });
  assertEquals(await texts(path), []);
  assertEquals(await texts(path, { sampleBy: "document" }), []);
  assertEquals(await texts(path, { sampleBy: "paragraph" }), []);
  assertEquals(await texts(await Deno.makeTempDir()), []);
});

Deno.test("readText: long lines across read chunks, and a \\r\\n split between chunks", async () => {
  const path = await Deno.makeTempFile({ suffix: ".txt" });
  for (const length of [16 * 1024 - 1, 64 * 1024 - 1, 100_000]) {
    const line = "z".repeat(length);
    await Deno.writeTextFile(path, `${line}\r\n\r\nend`);
    assertEquals(await texts(path), [line, "", "end"]);
  }
});

Deno.test("readText: invalid UTF-8, a missing path and a bad sampleBy fail clearly", async () => {
  const path = await Deno.makeTempFile({ suffix: ".txt" });
  await Deno.writeFile(path, new Uint8Array([0x61, 0x0a, 0xff, 0xfe, 0x0a]));
  await assertRejects(() => texts(path), `${path}: cannot read as UTF-8 text`);
  await assertRejects(() => texts(`${path}.absent`), `${path}.absent: cannot read text`);
  await assertRejects(
    () => texts(path, { sampleBy: "sentence" }),
    'sampleBy must be "line", "paragraph" or "document"',
  );
});
