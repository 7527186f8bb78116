import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";
import { parquetMetadataAsync, parquetReadObjects } from "../../lib/deps.ts";
import { writeTinyTokenizer } from "../tokenize/tiny_tokenizer.ts";
import { type DenoRun, runDeno } from "./task_line.ts";

// The permissions of the "prepare" task in deno.json, so the test also proves they suffice.
function prepare(args: string[]): Promise<DenoRun> {
  return runDeno(["run", "--allow-read", "--allow-write", `${ROOT}/tasks/prepare.ts`, ...args]);
}

Deno.test("deno task prepare: prints one JSON line, then reuses the cache on a second run", async () => {
  const tokenizer = await writeTinyTokenizer();
  const root = await Deno.makeTempDir();
  await Deno.writeTextFile(`${root}/c.jsonl`, '{"body":"hello worlds! a b"}\n{"body":"b a b a"}\n');
  const args = ["--data", `${root}/c.jsonl`, "--tokenizer", tokenizer, "--out", `${root}/out`, "--chunk-size", "4"];
  const first = await prepare([...args, "--text-column", "body", "--workers", "1"]);
  assertEquals(first.code, 0, first.stderr);
  const lines = first.stdout.trim().split("\n");
  assertEquals(lines.length, 1);
  const res = JSON.parse(lines[0]);
  assertEquals([res.examples, res.tokens, res.chunks, res.cached], [2, 14, 3, false]);
  assert(await Deno.stat(`${res.path}/meta.json`));
  const second = await prepare([...args, "--text-column", "body", "--workers", "0"]);
  assertEquals(second.code, 0, second.stderr);
  assertEquals(JSON.parse(second.stdout), { ...res, cached: true });
  assertStringIncludes(second.stderr, "reusing");
});

Deno.test("deno task prepare: a failure exits 1 with a clear message and leaves no output folder", async () => {
  const tokenizer = await writeTinyTokenizer();
  const root = await Deno.makeTempDir();
  await Deno.writeTextFile(`${root}/c.jsonl`, '{"text":"a b"}\n');
  const short = await prepare(["--data", `${root}/c.jsonl`, "--tokenizer", tokenizer, "--out", `${root}/out`]);
  assertEquals(short.code, 1);
  assertStringIncludes(short.stderr, "fewer than one chunk of 128");
  assertEquals(short.stdout, "");
  assert(!await Deno.stat(`${root}/out`).then(() => true, () => false));
  const missing = await prepare(["--data", `${root}/c.jsonl`, "--out", `${root}/out`]);
  assertEquals(missing.code, 1);
  assertStringIncludes(missing.stderr, "--tokenizer is required");
  const badGroup = await prepare(["--data", "x", "--tokenizer", tokenizer, "--out", "y", "--group-batch", "some"]);
  assertStringIncludes(badGroup.stderr, "--group-batch");
});

Deno.test("deno task prepare --format parquet: the chunks also land in OUT/<id>/chunks.parquet, row for row", async () => {
  const tokenizer = await writeTinyTokenizer();
  const root = await Deno.makeTempDir();
  await Deno.writeTextFile(`${root}/c.jsonl`, '{"text":"hello worlds! a b"}\n{"text":"b a b a"}\n');
  const args = ["--data", `${root}/c.jsonl`, "--tokenizer", tokenizer, "--out", `${root}/out`, "--chunk-size", "4"];
  const r = await prepare([...args, "--format", "parquet"]);
  assertEquals(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assertEquals(res.parquet, `${res.path}/chunks.parquet`);
  const file = (await Deno.readFile(res.parquet)).buffer;
  const rows = await parquetReadObjects({ file, metadata: await parquetMetadataAsync(file) });
  assertEquals(rows.length, res.chunks);
  const ids = new Int32Array((await Deno.readFile(`${res.path}/input_ids.i32`)).buffer);
  assertEquals(rows.map((row) => row.input_ids).flat(), Array.from(ids));
  assertEquals(rows.map((row) => row.labels), rows.map((row) => row.input_ids));
  const bad = await prepare([...args, "--format", "arrow"]);
  assertEquals(bad.code, 1);
  assertStringIncludes(bad.stderr, "--format: expected i32 or parquet");
});
