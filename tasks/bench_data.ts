/**
 * `deno task bench:data [--split train|test|unsupervised|all] [--workers N]`: read, tokenize (worker threads) and
 * chunk the shared IMDb, printing tokens/s, reviews/s, chunks, wall time and peak RSS per split, as a table and one
 * JSON line.
 *
 * @module
 */
import { intFlag, parseFlags } from "../lib/cli.ts";
import { readTexts } from "../lib/data/records.ts";
import { groupTextsStream } from "../lib/data/group_texts.ts";
import { defaultWorkers, tokenizeStream } from "../lib/tokenize/parallel.ts";

const USAGE = "deno task bench:data [--split train|test|unsupervised|all] [--workers N] [--imdb DIR] [--tokenizer DIR]";
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

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

function table(rows: SplitFigures[]): string {
  const cols: (keyof SplitFigures)[] = [
    "split",
    "reviews",
    "tokens",
    "chunks",
    "wall_s",
    "tokens_per_s",
    "reviews_per_s",
    "peak_rss_mib",
  ];
  const cells = [cols.map(String), ...rows.map((r) => cols.map((c) => String(r[c])))];
  const widths = cols.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "))
    .join("\n");
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
    console.log(table(rows));
    console.log(JSON.stringify({ workers: options.workers, chunk_size: options.chunkSize, splits: rows }));
  } catch (e) {
    console.error(`bench:data: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
