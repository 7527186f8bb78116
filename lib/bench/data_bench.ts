/**
 * The data-pipeline benchmark behind `deno task bench:data` and `deno task bench:data-hf`.
 *
 * {@link benchData}: read, tokenize (worker threads) and chunk IMDb-style `<split>.jsonl.gz` files, giving tokens/s,
 * reviews/s, chunks, wall time and peak RSS per split.
 *
 * {@link compareHfTokenizer}: the same texts, held in memory, tokenized and chunked in this one process by this
 * project's pipeline (N workers) and by Hugging Face's Rust tokenizer (`encodeBatch` per `groupBatch` reviews as
 * `datasets.map(batched=True)`, N rayon threads, ids, attention mask and word ids read for every text, chunked by the
 * same `groupTextsStream`); fails unless reviews, tokens and chunks agree. Needs `--allow-ffi`.
 *
 * @module
 */
import process from "node:process";
import { readTexts } from "../data/records.ts";
import { groupTextsStream } from "../data/group_texts.ts";
import { tokenizeStream } from "../tokenize/parallel.ts";
import { loadHfRustTokenizer } from "./hf_tokenizer.ts";
import type { Encoding } from "../data/types.ts";

/**
 * The IMDb splits the benchmark knows (`all` runs them in this order).
 *
 * @example
 * ```ts
 * import { DATA_BENCH_SPLITS } from "./data_bench.ts";
 * if (DATA_BENCH_SPLITS.join() !== "train,test,unsupervised") throw new Error("order");
 * ```
 */
export const DATA_BENCH_SPLITS: readonly string[] = ["train", "test", "unsupervised"];

/** Options of {@link benchData}. */
export interface DataBenchOptions {
  /** Folder of `<split>.jsonl.gz`. */
  imdb: string;
  /** Folder with `tokenizer.json`. */
  tokenizer: string;
  /** Tokenizer worker threads (0: this thread). */
  workers: number;
  /** Tokens per chunk. */
  chunkSize: number;
  /** Examples concatenated per group. */
  groupBatch: number;
  /** Splits to run, in order. */
  splits: readonly string[];
}

/** One row of {@link benchData}. */
export interface SplitFigures {
  /** Split name, or `all` for the sum. */
  split: string;
  /** Texts read. */
  reviews: number;
  /** Tokens after tokenization (special tokens included). */
  tokens: number;
  /** Chunks made with the group batch. */
  chunks: number;
  /** Chunks a single global group would make. */
  chunks_global: number;
  /** Wall seconds. */
  wall_s: number;
  /** Tokens per second. */
  tokens_per_s: number;
  /** Texts per second. */
  reviews_per_s: number;
  /** Peak resident set size so far (MiB). */
  peak_rss_mib: number;
}

/**
 * Columns of the {@link benchData} table.
 *
 * @example
 * ```ts
 * import { DATA_BENCH_COLUMNS, formatBenchTable, type SplitFigures } from "./data_bench.ts";
 * const row: SplitFigures = { split: "test", reviews: 1, tokens: 4, chunks: 1, chunks_global: 1, wall_s: 0.1, tokens_per_s: 40, reviews_per_s: 10, peak_rss_mib: 50 };
 * console.log(formatBenchTable([row], DATA_BENCH_COLUMNS));
 * ```
 */
export const DATA_BENCH_COLUMNS: readonly (keyof SplitFigures)[] = [
  "split",
  "reviews",
  "tokens",
  "chunks",
  "wall_s",
  "tokens_per_s",
  "reviews_per_s",
  "peak_rss_mib",
];

/**
 * Read, tokenize and chunk each split; one row per split, plus an `all` row when there are several.
 *
 * @example
 * ```ts
 * import { benchData } from "./data_bench.ts";
 * const imdb = await Deno.makeTempDir();
 * const gz = new Blob(['{"text":"a b"}\n']).stream().pipeThrough(new CompressionStream("gzip"));
 * await Deno.writeFile(`${imdb}/test.jsonl.gz`, new Uint8Array(await new Response(gz).arrayBuffer()));
 * const tokenizer = "../shared/data/bert-base-uncased";
 * if (await Deno.stat(`${tokenizer}/tokenizer.json`).then(() => true, () => false)) {
 *   const [row] = await benchData({ imdb, tokenizer, workers: 0, chunkSize: 4, groupBatch: 1000, splits: ["test"] });
 *   if (row.reviews !== 1 || row.tokens !== 4) throw new Error(JSON.stringify(row));
 * }
 * ```
 */
export async function benchData(options: DataBenchOptions): Promise<SplitFigures[]> {
  const rss = { peak: 0 };
  const sample = () => rss.peak = Math.max(rss.peak, Deno.memoryUsage().rss);
  const timer = setInterval(sample, 100);
  const rows: SplitFigures[] = [];
  const started = performance.now();
  try {
    for (const split of options.splits) rows.push(await benchSplit(split, options, sample, rss));
  } finally {
    clearInterval(timer);
  }
  if (rows.length > 1) {
    const wall = (performance.now() - started) / 1000;
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
      peak_rss_mib: round(rss.peak / 2 ** 20, 1),
    });
  }
  return rows;
}

async function benchSplit(
  split: string,
  options: DataBenchOptions,
  sample: () => void,
  rss: { peak: number },
): Promise<SplitFigures> {
  const started = performance.now();
  let reviews = 0, tokens = 0, chunks = 0;
  const texts = readTexts(`${options.imdb}/${split}.jsonl.gz`);
  const encodings = tokenizeStream(texts, options.tokenizer, { workers: options.workers });
  async function* counted() {
    for await (const e of encodings) {
      reviews++;
      tokens += e.input_ids.length;
      if (reviews % 500 === 0) sample();
      yield e;
    }
  }
  for await (const _ of groupTextsStream(counted(), options)) chunks++;
  sample();
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
    peak_rss_mib: round(rss.peak / 2 ** 20, 1),
  };
}

/** Options of {@link compareHfTokenizer}. */
export interface CompareHfOptions extends DataBenchOptions {
  /** Runs per side; the fastest is kept. */
  rounds: number;
}

/** One row of {@link compareHfTokenizer}. */
export interface CompareFigures {
  /** Split name, or `all`. */
  split: string;
  /** Texts. */
  reviews: number;
  /** Tokens (both sides agree). */
  tokens: number;
  /** Chunks (both sides agree). */
  chunks: number;
  /** Our wall seconds. */
  ours_s: number;
  /** HF's wall seconds. */
  hf_s: number;
  /** Our tokens per second. */
  ours_tokens_per_s: number;
  /** HF's tokens per second (encode, read out, chunk). */
  hf_tokens_per_s: number;
  /** HF seconds / our seconds. */
  ratio: number;
  /** HF's tokens per second for Rust `encodeBatch` alone. */
  hf_encode_only_tokens_per_s: number;
  /** HF encode-only seconds / our seconds. */
  ratio_vs_encode_only: number;
  /** Our CPU seconds per wall second. */
  ours_cores_busy: number;
  /** HF's CPU seconds per wall second. */
  hf_cores_busy: number;
}

/**
 * Columns of the {@link compareHfTokenizer} table.
 *
 * @example
 * ```ts
 * import { COMPARE_HF_COLUMNS } from "./data_bench.ts";
 * if (!COMPARE_HF_COLUMNS.includes("ratio")) throw new Error("the ratio column");
 * ```
 */
export const COMPARE_HF_COLUMNS: readonly (keyof CompareFigures)[] = [
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

interface Run {
  reviews: number;
  tokens: number;
  chunks: number;
  wall_s: number;
  cpu_s: number;
}

const ZERO_RUN: Run = { reviews: 0, tokens: 0, chunks: 0, wall_s: 0, cpu_s: 0 };

/**
 * Time this project's tokenize+chunk against HF's Rust tokenizer on the same in-memory texts, per split (and `all`
 * when several). Fails without `--allow-ffi`, naming `deno task bench:data-hf`.
 *
 * @example
 * ```ts
 * import { compareHfTokenizer } from "./data_bench.ts";
 * const ffi = (await Deno.permissions.query({ name: "ffi" })).state === "granted";
 * if (!ffi) {
 *   const options = { imdb: ".", tokenizer: ".", workers: 1, chunkSize: 4, groupBatch: 5, splits: ["test"], rounds: 1 };
 *   const err = await compareHfTokenizer(options).catch((e: Error) => e);
 *   if (!(err instanceof Error) || !err.message.includes("bench:data-hf")) throw new Error("names the task");
 * }
 * ```
 */
export async function compareHfTokenizer(options: CompareHfOptions): Promise<CompareFigures[]> {
  if ((await Deno.permissions.query({ name: "ffi" })).state !== "granted") {
    throw new Error("--compare-hf loads HF's native tokenizer: run `deno task bench:data-hf` (it adds --allow-ffi)");
  }
  if (options.workers < 1) throw new Error("--compare-hf: --workers must be >= 1 (it is also HF's thread count)");
  const rows: CompareFigures[] = [];
  const all = { ours: { ...ZERO_RUN }, hf: { ...ZERO_RUN }, encodeOnly: 0 };
  for (const split of options.splits) {
    const { ours, hf, encodeOnly } = await compareSplit(split, options);
    rows.push(figures(split, ours, hf, encodeOnly));
    for (const [sum, run] of [[all.ours, ours], [all.hf, hf]]) {
      for (const key of ["reviews", "tokens", "chunks", "wall_s", "cpu_s"] as const) sum[key] += run[key];
    }
    all.encodeOnly += encodeOnly;
  }
  if (rows.length > 1) rows.push(figures("all", all.ours, all.hf, all.encodeOnly));
  return rows;
}

/** CPU seconds this process has used so far, all threads (getrusage through `node:process`). */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Time making the encodings (their setup included: they are lazy) and chunking them. */
async function timeRun(
  encodings: AsyncIterable<Encoding>,
  options: { chunkSize: number; groupBatch: number },
): Promise<Run> {
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

/** HF Rust `encodeBatch` over `texts` in batches of `groupBatch`, the next batch encoding while this one is chunked. */
async function* hfEncodings(texts: string[], options: CompareHfOptions): AsyncGenerator<Encoding> {
  const tokenizer = await loadHfRustTokenizer(options.tokenizer, { threads: options.workers });
  const size = options.groupBatch;
  let next = texts.length > 0 ? tokenizer.encodeBatch(texts.slice(0, size)) : undefined;
  for (let i = 0; next !== undefined; i += size) {
    const current = await next;
    next = i + size < texts.length ? tokenizer.encodeBatch(texts.slice(i + size, i + 2 * size)) : undefined;
    yield* current;
  }
}

async function compareSplit(
  split: string,
  options: CompareHfOptions,
): Promise<{ ours: Run; hf: Run; encodeOnly: number }> {
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
async function timeEncodeOnly(texts: string[], options: CompareHfOptions): Promise<number> {
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
    ratio: significant(hf.wall_s / ours.wall_s),
    hf_encode_only_tokens_per_s: Math.round(hf.tokens / hfEncodeOnlySeconds),
    ratio_vs_encode_only: significant(hfEncodeOnlySeconds / ours.wall_s),
    ours_cores_busy: round(ours.cpu_s / ours.wall_s, 2),
    hf_cores_busy: round(hf.cpu_s / hf.wall_s, 2),
  };
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

/** Three significant digits (a ratio of tiny timings stays above 0). */
function significant(x: number): number {
  return Number(x.toPrecision(3));
}

/**
 * A plain-text table: the first column left-aligned, the others right-aligned.
 *
 * @example
 * ```ts
 * import { formatBenchTable } from "./data_bench.ts";
 * const text = formatBenchTable([{ split: "test", tokens: 12 }], ["split", "tokens"]);
 * if (text !== "split  tokens\ntest       12") throw new Error(text);
 * ```
 */
export function formatBenchTable<Row extends { split: string }>(
  rows: readonly Row[],
  cols: readonly (keyof Row)[],
): string {
  const cells = [cols.map(String), ...rows.map((r) => cols.map((c) => String(r[c])))];
  const widths = cols.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "))
    .join("\n");
}
