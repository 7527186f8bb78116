import { readJsonl, readJsonlLocated, readLines } from "../../lib/data/jsonl.ts";
import { assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

Deno.test("readJsonl: CRLF lines, blank lines skipped, last line without newline", async () => {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  await Deno.writeTextFile(path, '{"text":"a","label":1}\r\n\r\n  \n{"text":"b\\r\\nc"}\r\n{"text":"é ☃"}');
  assertEquals(await collect(readJsonl(path)), [{ text: "a", label: 1 }, { text: "b\r\nc" }, { text: "é ☃" }]);
  const wheres = (await collect(readJsonlLocated(path))).map((r) => r.where);
  assertEquals(wheres, [`${path}:1`, `${path}:4`, `${path}:5`]);
});

Deno.test("readJsonl: .jsonl.gz is gunzipped on the fly", async () => {
  const path = await Deno.makeTempFile({ suffix: ".jsonl.gz" });
  const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ text: `review ${i}`, label: i % 2 }));
  await Deno.writeFile(path, await gzip(lines.join("\n") + "\n"));
  const records = await collect(readJsonl(path));
  assertEquals(records.length, 3000);
  assertEquals(records[0], { text: "review 0", label: 0 });
  assertEquals(records[2999], { text: "review 2999", label: 1 });
});

Deno.test("readJsonl: an empty file yields nothing", async () => {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  assertEquals(await collect(readJsonl(path)), []);
  const gz = await Deno.makeTempFile({ suffix: ".jsonl.gz" });
  await Deno.writeFile(gz, await gzip(""));
  assertEquals(await collect(readJsonl(gz)), []);
});

Deno.test("readJsonl: a malformed line fails with file:line", async () => {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  await Deno.writeTextFile(path, '{"text":"a"}\n\n{"text": "b",}\n');
  const err = await assertRejects(() => collect(readJsonl(path)), `${path}:3: malformed JSON`);
  assertStringIncludes(err.message, "malformed");
});

Deno.test("readJsonl: a line that is not an object fails with file:line and what it got", async () => {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  await Deno.writeTextFile(path, '{"text":"a"}\n"just a string"\n');
  await assertRejects(() => collect(readJsonl(path)), `${path}:2: expected a JSON object per line, got string`);
  await Deno.writeTextFile(path, "[1, 2]\n");
  await assertRejects(() => collect(readJsonl(path)), `${path}:1: expected a JSON object per line, got an array`);
  await Deno.writeTextFile(path, "null\n");
  await assertRejects(() => collect(readJsonl(path)), "got null");
});

Deno.test("readJsonl: a JSON array file gets a hint", async () => {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(path, '[\n  {"text": "a"}\n]\n');
  await assertRejects(() => collect(readJsonl(path)), "JSON Lines");
});

Deno.test("readLines: missing file and corrupt gzip fail naming the file", async () => {
  const dir = await Deno.makeTempDir();
  await assertRejects(() => collect(readLines(`${dir}/absent.jsonl`)), `${dir}/absent.jsonl: cannot open`);
  const bad = `${dir}/bad.jsonl.gz`;
  await Deno.writeTextFile(bad, "not gzip at all");
  await assertRejects(() => collect(readLines(bad)), `${bad}: cannot read (gzip)`);
});

Deno.test("readLines: long lines spanning many read chunks", async () => {
  const path = await Deno.makeTempFile({ suffix: ".txt" });
  const long = "x".repeat(200_000);
  const lines = [long, "", "short", long + "y"];
  await Deno.writeTextFile(path, lines.join("\r\n") + "\r\n");
  const got = await collect(readLines(path));
  assertEquals(got.map(([n]) => n), [1, 2, 3, 4]);
  assertEquals(got.map(([, l]) => l), lines);
});

Deno.test("readLines: a CRLF split between two read chunks still ends one line", async () => {
  // Put the "\r" on the last byte of a 16 KiB or 64 KiB read (the usual chunk sizes) and the "\n" after it.
  const path = await Deno.makeTempFile({ suffix: ".txt" });
  for (const size of [16 * 1024, 64 * 1024]) {
    for (const length of [size - 2, size - 1]) {
      const line = "x".repeat(length);
      await Deno.writeTextFile(path, `${line}\r\ny\r\n`);
      assertEquals(await collect(readLines(path)), [[1, line], [2, "y"]]);
    }
  }
});

Deno.test("readJsonl: stopping early closes the file (no leaked resource)", async () => {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  await Deno.writeTextFile(path, '{"text":"a"}\n{"text":"b"}\n{"text":"c"}\n');
  for await (const r of readJsonl(path)) {
    assertEquals(r.text, "a");
    break;
  }
});
