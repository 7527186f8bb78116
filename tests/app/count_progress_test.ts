// Long data work reports on stderr: a start line, lines with a rate at a steady pace, a done line; stdout of
// `deno task prepare` holds only its JSON result; no count is reported twice.
import { assert, assertEquals } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";
import { taskArgs } from "../tasks/task_line.ts";
import { CountProgress } from "../../lib/app/count_progress.ts";
import { prepareDataset } from "../../lib/prepare/prepared.ts";
import { writeTinyTokenizer } from "../tokenize/tiny_tokenizer.ts";

Deno.test("CountProgress: lines at most every interval, each with the rate; the same count twice prints once", () => {
  const out: string[] = [];
  let ms = 0;
  const p = new CountProgress({
    label: "writing Parquet",
    unit: "chunks",
    total: 40,
    mode: "lines",
    intervalSeconds: 5,
    write: (t) => out.push(t),
    now: () => ms,
  });
  p.start("out.parquet");
  for (const [t, n] of [[1, 10], [2, 20], [6, 30], [6, 30], [7, 40]]) {
    ms = t * 1000;
    p.update(n);
  }
  p.done();
  assertEquals(out, [
    "[writing Parquet] out.parquet\n",
    "[writing Parquet] 10/40 chunks (25%)  10 chunks/s  elapsed 1s  ETA 3s\n",
    "[writing Parquet] 30/40 chunks (75%)  5 chunks/s  elapsed 6s  ETA 2s\n",
    "[writing Parquet] done: 40 chunks in 7s (6 chunks/s)\n",
  ]);
});

Deno.test("CountProgress: a bar redraws one line and ends it; off prints nothing", () => {
  const bar: string[] = [], off: string[] = [];
  for (const [mode, out] of [["bar", bar], ["off", off]] as const) {
    const p = new CountProgress({
      label: "tokenizing",
      unit: "examples",
      mode,
      write: (t) => out.push(t),
      now: () => 0,
    });
    p.update(1000);
    p.update(2000);
    p.done();
  }
  assertEquals(bar.length, 4);
  assert(bar[0].startsWith("\r[tokenizing] 1,000 examples") && bar[1].startsWith("\r[tokenizing] 2,000"), bar[1]);
  assertEquals(bar[2], "\n");
  assert(/^\[tokenizing\] done: 2,000 examples in 0s \(/.test(bar[3]), bar[3]);
  assertEquals(off, []);
});

Deno.test("prepareDataset: onProgress reports each count once (every 1,000 examples and the end)", async () => {
  const tokenizer = await writeTinyTokenizer();
  const dir = await Deno.makeTempDir();
  try {
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ text: `the cat ${i % 7} sat` }));
    await Deno.writeTextFile(`${dir}/c.jsonl`, lines.join("\n") + "\n");
    const seen: number[] = [];
    await prepareDataset(`${dir}/c.jsonl`, {
      tokenizer,
      out: `${dir}/out`,
      chunkSize: 4,
      workers: 0,
      onProgress: (p) => seen.push(p.examples),
    });
    assertEquals(seen, [1000, 2000]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task prepare: stdout holds only the JSON result; stderr says what starts, how fast, and when done", async () => {
  const out = await Deno.makeTempDir();
  try {
    const data = "fixtures/demo/corpus/movie_reviews.jsonl";
    const { code, stdout, stderr } = await new Deno.Command("deno", {
      args: [
        ...taskArgs("prepare"),
        "--data",
        data,
        "--tokenizer",
        "fixtures/demo/model",
        "--out",
        out,
        "--chunk-size",
        "32",
        "--format",
        "parquet",
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(stdout), err = new TextDecoder().decode(stderr);
    assertEquals(code, 0, err);
    const lines = text.trimEnd().split("\n");
    assertEquals(lines.length, 1, `stdout: ${text}`);
    const result = JSON.parse(lines[0]);
    assertEquals([result.examples, result.chunks, result.parquet], [800, 929, `${result.path}/chunks.parquet`]);
    assert(err.includes(`[tokenizing] ${data} with the tokenizer of fixtures/demo/model`), err);
    assert(/\[tokenizing\] done: 800 examples in \d+s \([\d,]+ examples\/s\)/.test(err), err);
    assert(err.includes(`[writing Parquet] ${result.parquet}\n`), err);
    assert(/\[writing Parquet\] 929\/929 chunks \(100%\)  [\d,]+ chunks\/s/.test(err), err);
    assert(/\[writing Parquet\] done: 929 chunks in \d+s \([\d,]+ chunks\/s\)/.test(err), err);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
