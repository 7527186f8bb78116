import { fingerprintOf, loadPrepared, prepareDataset, PreparedDataset } from "../../lib/prepare/prepared.ts";
import { groupTexts } from "../../lib/data/group_texts.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { assert, assertEquals, assertNotEquals, assertRejects, assertThrows } from "../support/assert.ts";
import { writeTinyTokenizer } from "../tokenize/tiny_tokenizer.ts";

const TEXTS = ["hello worlds!", "a b a b", "b", "hello a b world", "zzz a"];

async function corpus(lines: string[]): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  await Deno.writeTextFile(path, lines.map((text) => JSON.stringify({ text })).join("\n") + "\n");
  return path;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("prepareDataset: writes chunks equal to groupTexts(encode(...)), reloads them, reuses the cache", async () => {
  const tokenizer = await writeTinyTokenizer();
  const data = await corpus(TEXTS);
  const out = `${await Deno.makeTempDir()}/prepared`;
  const res = await prepareDataset(data, { tokenizer, out, chunkSize: 3, groupBatch: 2, workers: 1 });
  const tok = await loadTokenizer(tokenizer);
  const encodings = tok.encodeBatch(TEXTS);
  const expected = groupTexts(encodings, { chunkSize: 3, groupBatch: 2 });
  assertEquals(res.examples, 5);
  assertEquals(res.tokens, encodings.reduce((a, e) => a + e.input_ids.length, 0));
  assertEquals(res.chunks, expected.length);
  assertEquals(res.cached, false);
  assertEquals(res.path, `${out}/${res.fingerprint.slice(0, 16)}`);
  const ds = await loadPrepared(res.path);
  assertEquals(ds.length, expected.length);
  assertEquals([...ds], expected);
  assertEquals(ds.meta?.group_batch, 2);
  const again = await prepareDataset(data, { tokenizer, out, chunkSize: 3, groupBatch: 2, workers: 0 });
  assertEquals(again, { ...res, cached: true });
  const entries = [];
  for await (const e of Deno.readDir(out)) entries.push(e.name);
  assertEquals(entries, [res.fingerprint.slice(0, 16)], "no temp folders left behind");
});

Deno.test("fingerprintOf: changes with the corpus bytes, the tokenizer and the parameters", async () => {
  const tokenizer = await writeTinyTokenizer();
  const data = await corpus(TEXTS);
  const base = await fingerprintOf(data, { tokenizer, out: "x" });
  assertEquals(await fingerprintOf(data, { tokenizer, out: "elsewhere", workers: 3 }), base);
  assertNotEquals(await fingerprintOf(data, { tokenizer, out: "x", chunkSize: 64 }), base);
  assertNotEquals(await fingerprintOf(data, { tokenizer, out: "x", groupBatch: "global" }), base);
  assertNotEquals(await fingerprintOf(await corpus([...TEXTS, "a"]), { tokenizer, out: "x" }), base);
  const other = await writeTinyTokenizer({ withoutMask: true });
  assertNotEquals(await fingerprintOf(data, { tokenizer: other, out: "x" }), base);
});

Deno.test("prepareDataset: an empty corpus fails clearly and leaves no output folder", async () => {
  const tokenizer = await writeTinyTokenizer();
  const out = `${await Deno.makeTempDir()}/prepared`;
  const empty = await corpus([]);
  await assertRejects(() => prepareDataset(empty, { tokenizer, out, workers: 0 }), "corpus is empty");
  assert(!await exists(out));
});

Deno.test("prepareDataset: a corpus shorter than one chunk fails clearly and leaves no output folder", async () => {
  const tokenizer = await writeTinyTokenizer();
  const root = await Deno.makeTempDir();
  const out = `${root}/prepared`;
  const short = await corpus(["a b", "b"]);
  const err = await assertRejects(
    () => prepareDataset(short, { tokenizer, out, chunkSize: 128, workers: 1 }),
    "fewer than one chunk of 128",
  );
  assert(err.message.includes("2 examples make 7 tokens"), err.message);
  assert(!await exists(out));
  // An output root that existed before keeps existing, but holds nothing.
  await Deno.mkdir(out);
  const tiny = await corpus(["a"]);
  await assertRejects(() => prepareDataset(tiny, { tokenizer, out, workers: 0 }), "fewer than one chunk");
  assertEquals([...Deno.readDirSync(out)], []);
});

Deno.test("prepareDataset: a missing text column fails with the reader's message, no output folder", async () => {
  const tokenizer = await writeTinyTokenizer();
  const data = await Deno.makeTempFile({ suffix: ".jsonl" });
  await Deno.writeTextFile(data, '{"review":"a b"}\n');
  const out = `${await Deno.makeTempDir()}/prepared`;
  await assertRejects(() => prepareDataset(data, { tokenizer, out, workers: 0 }), 'no text column "text"');
  assert(!await exists(out));
  const ok = await prepareDataset(data, { tokenizer, out, textColumn: "review", chunkSize: 2, workers: 0 });
  assertEquals(ok.chunks, 2);
});

Deno.test("prepareDataset: missing inputs are named", async () => {
  const tokenizer = await writeTinyTokenizer();
  const out = `${await Deno.makeTempDir()}/prepared`;
  await assertRejects(
    () => prepareDataset("/nonexistent/corpus.jsonl", { tokenizer, out }),
    "/nonexistent/corpus.jsonl",
  );
  const noTok = await Deno.makeTempDir();
  const data = await corpus(TEXTS);
  await assertRejects(() => prepareDataset(data, { tokenizer: noTok, out }), "no tokenizer.json");
  assert(!await exists(out));
});

Deno.test("loadPrepared / PreparedDataset: truncated arrays and bad indices fail clearly", async () => {
  const tokenizer = await writeTinyTokenizer();
  const out = await Deno.makeTempDir();
  const res = await prepareDataset(await corpus(TEXTS), { tokenizer, out, chunkSize: 2, workers: 0 });
  const ds = await loadPrepared(res.path);
  assertThrows(() => ds.get(ds.length), "out of range");
  await Deno.writeFile(`${res.path}/word_ids.i32`, new Uint8Array(4));
  await assertRejects(() => loadPrepared(res.path), "word_ids.i32: 4 bytes");
  assertThrows(
    () => new PreparedDataset({ inputIds: new Int32Array(3), wordIds: new Int32Array(3), chunkSize: 2 }),
    "whole chunks",
  );
});
