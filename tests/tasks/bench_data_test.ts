import { groupTexts } from "../../lib/data/group_texts.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { writeTinyTokenizer } from "../tokenize/tiny_tokenizer.ts";
import { type DenoRun, runDeno, taskArgs } from "./task_line.ts";

const TEXTS = Array.from(
  { length: 23 },
  (_, i) => ["hello worlds!", "a b a", "b", "hello a world"][i % 4] + " a".repeat(i),
);

/** Run a deno.json task's command line as written there (so the test proves its permissions suffice). */
function task(name: string, args: string[]): Promise<DenoRun> {
  return runDeno([...taskArgs(name), ...args]);
}

async function writeCorpus(): Promise<string> {
  const dir = await Deno.makeTempDir();
  const jsonl = new Blob([TEXTS.map((text) => JSON.stringify({ text, label: -1 }) + "\n").join("")]);
  const gz = await new Response(jsonl.stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
  await Deno.writeFile(`${dir}/test.jsonl.gz`, new Uint8Array(gz));
  return dir;
}

Deno.test("deno task bench:data-hf: ours and HF's Rust tokenizer agree on the same texts; the ratio is printed", async () => {
  const tokenizer = await writeTinyTokenizer();
  const imdb = await writeCorpus();
  const args = ["--split", "test", "--workers", "1", "--imdb", imdb, "--tokenizer", tokenizer];
  const res = await task("bench:data-hf", [...args, "--chunk-size", "4", "--group-batch", "5", "--rounds", "2"]);
  assertEquals(res.code, 0, res.stderr);
  assertStringIncludes(res.stdout, "RAYON_NUM_THREADS=1");
  const lines = res.stdout.trim().split("\n");
  const [row] = JSON.parse(lines[lines.length - 1]).compare_hf;
  const encodings = (await loadTokenizer(tokenizer)).encodeBatch(TEXTS);
  const tokens = encodings.reduce((n, e) => n + e.input_ids.length, 0);
  const chunks = groupTexts(encodings, { chunkSize: 4, groupBatch: 5 }).length;
  assertEquals([row.split, row.reviews, row.tokens, row.chunks], ["test", TEXTS.length, tokens, chunks]);
  assert(row.ratio > 0 && row.ours_tokens_per_s > 0 && row.hf_tokens_per_s > 0, JSON.stringify(row));
  assertStringIncludes(lines[1], "ratio");
});

Deno.test("deno task bench:data --compare-hf: without --allow-ffi it fails, naming bench:data-hf", async () => {
  const res = await task("bench:data", ["--compare-hf", "--split", "test", "--imdb", await writeCorpus()]);
  assertEquals(res.code, 1);
  assertStringIncludes(res.stderr, "deno task bench:data-hf");
});
