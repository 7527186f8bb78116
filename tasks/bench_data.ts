/**
 * `deno task bench:data [--split train|test|unsupervised|all] [--workers N]`: read, tokenize (worker threads) and
 * chunk the shared IMDb, printing tokens/s, reviews/s, chunks, wall time and peak RSS per split, as a table and one
 * JSON line.
 *
 * `deno task bench:data-hf [--workers N]` (this file with `--compare-hf`, which needs `--allow-ffi`): the same
 * texts, held in memory, tokenized and chunked in this one process by our pipeline (N workers) and by Hugging Face's
 * Rust tokenizer (`encodeBatch` per 1,000 reviews as `datasets.map(batched=True)`, N rayon threads, ids, attention
 * mask and word ids read for every text, chunked by the same `groupTextsStream`); prints tokens/s of each, the
 * ratio, and fails unless reviews, tokens and chunks agree.
 *
 * @module
 */
import process from "node:process";
import { intFlag, parseFlags } from "../lib/cli.ts";
import { readTexts } from "../lib/data/records.ts";
import { groupTextsStream } from "../lib/data/group_texts.ts";
import { defaultWorkers, tokenizeStream } from "../lib/tokenize/parallel.ts";
import { loadHfRustTokenizer } from "../lib/bench/hf_tokenizer.ts";
import type { Encoding } from "../lib/data/types.ts";

const USAGE =
  "deno task bench:data [--split train|test|unsupervised|all] [--workers N] [--imdb DIR] [--tokenizer DIR]\n" +
  "deno task bench:data-hf [--split ...] [--workers N] [--rounds R]   (same as bench:data --compare-hf, with --allow-ffi)";
const SPLITS = ["train", "test", "unsupervised"];

interface SplitFigures {
  split: string;
  reviews: number;
  tokens: number;
  chunks: number;
  chunks_global: number;
  wall_s: number;
  tokens_per_s: number;
  reviews_per_s: number;
  peak_rss_mib: number;
}

let peakRss = 0;
function sampleRss(): void {
  peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
}

async function benchSplit(split: string, options: {
  imdb: string;
  tokenizer: string;
  workers: number;
  chunkSize: number;
  groupBatch: number;
}): Promise<SplitFigures> {
  const started = performance.now();
  let reviews = 0;
  let tokens = 0;
  let chunks = 0;
  const texts = readTexts(`${options.imdb}/${split}.jsonl.gz`);
  const encodings = tokenizeStream(texts, options.tokenizer, { workers: options.workers });
  async function* counted() {
    for await (const e of encodings) {
      reviews++;
      tokens += e.input_ids.length;
      if (reviews % 500 === 0) sampleRss();
      yield e;
    }
  }
  for await (const _ of groupTextsStream(counted(), options)) chunks++;
  sampleRss();
  const wall = (performance.now() - started) / 1000;
  return {
    split,
    reviews,
    tokens,
    chunks,
    chunks_global: Math.floor(tokens / options.chunkSize),
    wall_s: round(wall, 2),
    tokens_per_s: Math.round(tokens / wall),
    reviews_per_s: Math.round(reviews / wall),
    peak_rss_mib: round(peakRss / 2 ** 20, 1),
  };
}

interface CompareFigures {
  split: string;
  reviews: number;
  tokens: number;
  chunks: number;
  ours_s: number;
  hf_s: number;
  ours_tokens_per_s: number;
  hf_tokens_per_s: number;
  ratio: number;
  hf_encode_only_tokens_per_s: number;
  ratio_vs_encode_only: number;
  ours_cores_busy: number;
  hf_cores_busy: number;
}

interface Run {
  reviews: number;
  tokens: number;
  chunks: number;
  wall_s: number;
  cpu_s: number;
}

const ZERO_RUN: Run = { reviews: 0, tokens: 0, chunks: 0, wall_s: 0, cpu_s: 0 };

/** CPU seconds this process has used so far, all threads (getrusage through `node:process`). */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Time making the encodings (their setup included: they are lazy) and chunking them. */
async function timeRun(encodings: AsyncIterable<Encoding>, options: { chunkSize: number; groupBatch: number }) {
  const started = performance.now();
  const cpu = cpuSeconds();
  const run: Run = { ...ZERO_RUN };
  async function* counted() {
    for await (const e of encodings) {
      run.reviews++;
      run.tokens += e.input_ids.length;
      yield e;
    }
  }
  for await (const _ of groupTextsStream(counted(), options)) run.chunks++;
  run.wall_s = (performance.now() - started) / 1000;
  run.cpu_s = cpuSeconds() - cpu;
  return run;
}

/** HF Rust `encodeBatch` over `texts` in batches of `batch`, the next batch encoding while this one is chunked. */
async function* hfEncodings(texts: string[], options: {
  tokenizer: string;
  workers: number;
  groupBatch: number;
}): AsyncGenerator<Encoding> {
  const tokenizer = await loadHfRustTokenizer(options.tokenizer, { threads: options.workers });
  const size = options.groupBatch;
  let next = texts.length > 0 ? tokenizer.encodeBatch(texts.slice(0, size)) : undefined;
  for (let i = 0; next !== undefined; i += size) {
    const current = await next;
    next = i + size < texts.length ? tokenizer.encodeBatch(texts.slice(i + size, i + 2 * size)) : undefined;
    yield* current;
  }
}

async function compareSplit(split: string, options: {
  imdb: string;
  tokenizer: string;
  workers: number;
  chunkSize: number;
  groupBatch: number;
  rounds: number;
}): Promise<{ ours: Run; hf: Run; encodeOnly: number }> {
  const texts: string[] = [];
  for await (const text of readTexts(`${options.imdb}/${split}.jsonl.gz`)) texts.push(text);
  let ours: Run | undefined;
  let hf: Run | undefined;
  let encodeOnly = Infinity;
  for (let r = 0; r < options.rounds; r++) {
    encodeOnly = Math.min(encodeOnly, await timeEncodeOnly(texts, options));
    const h = await timeRun(hfEncodings(texts, options), options);
    const o = await timeRun(tokenizeStream(texts, options.tokenizer, { workers: options.workers }), options);
    for (const key of ["reviews", "tokens", "chunks"] as const) {
      if (o[key] !== h[key]) throw new Error(`${split}: ${key} differ, ours ${o[key]}, HF ${h[key]}`);
    }
    if (hf === undefined || h.wall_s < hf.wall_s) hf = h;
    if (ours === undefined || o.wall_s < ours.wall_s) ours = o;
  }
  return { ours: ours!, hf: hf!, encodeOnly };
}

/** Seconds HF's Rust `encodeBatch` alone takes over `texts` (batches as above; nothing read out, nothing chunked). */
async function timeEncodeOnly(texts: string[], options: { tokenizer: string; workers: number; groupBatch: number }) {
  const tokenizer = await loadHfRustTokenizer(options.tokenizer, { threads: options.workers });
  const started = performance.now();
  for (let i = 0; i < texts.length; i += options.groupBatch) {
    await tokenizer.countTokens(texts.slice(i, i + options.groupBatch));
  }
  return (performance.now() - started) / 1000;
}

function figures(split: string, ours: Run, hf: Run, hfEncodeOnlySeconds: number): CompareFigures {
  return {
    split,
    reviews: ours.reviews,
    tokens: ours.tokens,
    chunks: ours.chunks,
    ours_s: round(ours.wall_s, 2),
    hf_s: round(hf.wall_s, 2),
    ours_tokens_per_s: Math.round(ours.tokens / ours.wall_s),
    hf_tokens_per_s: Math.round(hf.tokens / hf.wall_s),
    ratio: round(hf.wall_s / ours.wall_s, 2),
    hf_encode_only_tokens_per_s: Math.round(hf.tokens / hfEncodeOnlySeconds),
    ratio_vs_encode_only: round(hfEncodeOnlySeconds / ours.wall_s, 2),
    ours_cores_busy: round(ours.cpu_s / ours.wall_s, 2),
    hf_cores_busy: round(hf.cpu_s / hf.wall_s, 2),
  };
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

const BENCH_COLUMNS: (keyof SplitFigures)[] = [
  "split",
  "reviews",
  "tokens",
  "chunks",
  "wall_s",
  "tokens_per_s",
  "reviews_per_s",
  "peak_rss_mib",
];

function table<Row extends { split: string }>(rows: Row[], cols: (keyof Row)[]): string {
  const cells = [cols.map(String), ...rows.map((r) => cols.map((c) => String(r[c])))];
  const widths = cols.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "))
    .join("\n");
}

const COMPARE_COLUMNS: (keyof CompareFigures)[] = [
  "split",
  "reviews",
  "tokens",
  "chunks",
  "ours_s",
  "hf_s",
  "ours_tokens_per_s",
  "hf_tokens_per_s",
  "ratio",
  "hf_encode_only_tokens_per_s",
  "ratio_vs_encode_only",
  "ours_cores_busy",
  "hf_cores_busy",
];

async function compareMain(splits: string[], options: Parameters<typeof compareSplit>[1]): Promise<void> {
  if ((await Deno.permissions.query({ name: "ffi" })).state !== "granted") {
    throw new Error("--compare-hf loads HF's native tokenizer: run `deno task bench:data-hf` (it adds --allow-ffi)");
  }
  if (options.workers < 1) throw new Error("--compare-hf: --workers must be >= 1 (it is also HF's thread count)");
  const rows: CompareFigures[] = [];
  const all = { ours: { ...ZERO_RUN }, hf: { ...ZERO_RUN }, encodeOnly: 0 };
  for (const split of splits) {
    const { ours, hf, encodeOnly } = await compareSplit(split, options);
    rows.push(figures(split, ours, hf, encodeOnly));
    for (const [sum, run] of [[all.ours, ours], [all.hf, hf]]) {
      for (const key of ["reviews", "tokens", "chunks", "wall_s", "cpu_s"] as const) sum[key] += run[key];
    }
    all.encodeOnly += encodeOnly;
  }
  if (rows.length > 1) rows.push(figures("all", all.ours, all.hf, all.encodeOnly));
  console.log(
    `same texts in memory, ${options.workers} core(s) each: ours = ${options.workers} tokenizer worker(s); ` +
      `HF = tokenizers (Rust) encodeBatch, RAYON_NUM_THREADS=${options.workers}; chunk size ${options.chunkSize}, ` +
      `group batch ${options.groupBatch}; ratio = ours tokens/s / HF tokens/s (HF: encode + read ids, mask, ` +
      `word ids + chunk; encode_only: Rust encodeBatch alone); reviews, tokens and chunks agree`,
  );
  console.log(table(rows, COMPARE_COLUMNS));
  console.log(JSON.stringify({ workers: options.workers, rounds: options.rounds, compare_hf: rows }));
}

if (import.meta.main) {
  try {
    const { values } = parseFlags(Deno.args, {
      split: { type: "string", multiple: false, default: "all", help: "train, test, unsupervised or all" },
      workers: { type: "string", multiple: false, help: "tokenizer threads, 0 = this thread (default min(cores, 4))" },
      imdb: { type: "string", multiple: false, default: "../shared/data/imdb", help: "folder of <split>.jsonl.gz" },
      tokenizer: { type: "string", multiple: false, default: "../shared/data/bert-base-uncased", help: "tokenizer" },
      "chunk-size": { type: "string", multiple: false, default: "128", help: "tokens per chunk" },
      "group-batch": { type: "string", multiple: false, default: "1000", help: "examples concatenated per group" },
      "compare-hf": { type: "boolean", help: "also run HF's Rust tokenizer on the same texts (needs --allow-ffi)" },
      rounds: { type: "string", multiple: false, default: "1", help: "--compare-hf: runs per side, the fastest kept" },
    }, USAGE);
    const split = values.split as string;
    if (split !== "all" && !SPLITS.includes(split)) {
      throw new Error(`--split: expected one of ${[...SPLITS, "all"].join(", ")}, got ${JSON.stringify(split)}`);
    }
    const options = {
      imdb: values.imdb as string,
      tokenizer: values.tokenizer as string,
      workers: values.workers === undefined ? defaultWorkers() : intFlag(values, "workers", 0),
      chunkSize: intFlag(values, "chunk-size", 1),
      groupBatch: intFlag(values, "group-batch", 1),
    };
    if (values["compare-hf"]) {
      await compareMain(split === "all" ? SPLITS : [split], { ...options, rounds: intFlag(values, "rounds", 1) });
      Deno.exit(0);
    }
    const timer = setInterval(sampleRss, 100);
    const rows: SplitFigures[] = [];
    const started = performance.now();
    try {
      for (const s of split === "all" ? SPLITS : [split]) rows.push(await benchSplit(s, options));
    } finally {
      clearInterval(timer);
    }
    const wall = (performance.now() - started) / 1000;
    if (rows.length > 1) {
      const sum = (k: "reviews" | "tokens" | "chunks" | "chunks_global") => rows.reduce((a, r) => a + r[k], 0);
      rows.push({
        split: "all",
        reviews: sum("reviews"),
        tokens: sum("tokens"),
        chunks: sum("chunks"),
        chunks_global: sum("chunks_global"),
        wall_s: round(wall, 2),
        tokens_per_s: Math.round(sum("tokens") / wall),
        reviews_per_s: Math.round(sum("reviews") / wall),
        peak_rss_mib: round(peakRss / 2 ** 20, 1),
      });
    }
    console.log(`workers: ${options.workers}, chunk size ${options.chunkSize}, group batch ${options.groupBatch}`);
    console.log(table(rows, BENCH_COLUMNS));
    console.log(JSON.stringify({ workers: options.workers, chunk_size: options.chunkSize, splits: rows }));
  } catch (e) {
    console.error(`bench:data: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
