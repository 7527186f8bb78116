// Multi-member gzip (concatenated .gz files, `gzip -c >>`, pigz's per-file members): every member is read, as zcat does.
import { gzipSync } from "node:zlib";
import { assertEquals, assertRejects } from "../support/assert.ts";
import { readJsonl, readLines } from "../../lib/data/jsonl.ts";
import { readText } from "../../lib/data/text.ts";

/** `parts` gzipped one member each, concatenated into one `.gz` file. */
async function multiMember(parts: string[], suffix: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix });
  const members = parts.map((p) => gzipSync(new TextEncoder().encode(p)));
  await Deno.writeFile(path, new Uint8Array(members.flatMap((m) => [...m])));
  return path;
}

Deno.test("a .gz of several gzip members is read whole: lines, text records and JSON lines", async () => {
  // Members large enough that their boundaries fall inside the 64 KiB read chunks.
  const big = Array.from({ length: 3 }, (_, m) => Array.from({ length: 4000 }, (_, i) => `m${m} line ${i}\n`).join(""));
  const lines = await multiMember(big, ".txt.gz");
  const jsonl = await multiMember(['{"text":"a"}\n', '{"text":"b"}\n{"text":"c"}\n'], ".jsonl.gz");
  try {
    const read: string[] = [];
    for await (const [, line] of readLines(lines)) read.push(line);
    assertEquals(read, big.join("").split("\n").slice(0, -1));
    const texts: string[] = [];
    for await (const r of readText(lines)) texts.push(r.text);
    assertEquals(texts.length, 12000);
    assertEquals(texts.at(-1), "m2 line 3999");
    const records: unknown[] = [];
    for await (const r of readJsonl(jsonl)) records.push(r.text);
    assertEquals(records, ["a", "b", "c"]);
  } finally {
    await Deno.remove(lines);
    await Deno.remove(jsonl);
  }
});

Deno.test("a corrupt or truncated .gz still fails naming the file", async () => {
  const path = await multiMember(["hello\n", "world\n"], ".txt.gz");
  try {
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.subarray(0, bytes.length - 10));
    await assertRejects(async () => {
      for await (const _ of readLines(path)) { /* read all */ }
    }, `${path}: cannot read (gzip)`);
  } finally {
    await Deno.remove(path);
  }
});
