/**
 * `deno task bench:data [--split train|test|unsupervised|all] [--workers N]`: read, tokenize (worker threads) and
 * chunk the shared IMDb, printing tokens/s, reviews/s, chunks, wall time and peak RSS per split, as a table and one
 * JSON line.
 *
 * `deno task bench:data-hf [--workers N]` (this file with `--compare-hf`, which needs `--allow-ffi`): the same
 * texts tokenized and chunked by this project's pipeline and by Hugging Face's Rust tokenizer; prints tokens/s of
 * each and the ratio, and fails unless reviews, tokens and chunks agree. See lib/bench/data_bench.ts.
 *
 * @module
 */
import { intFlag, optionalIntFlag, parseFlags, runTask } from "../lib/cli.ts";
import { defaultWorkers } from "../lib/tokenize/parallel.ts";
import {
  benchData,
  COMPARE_HF_COLUMNS,
  compareHfTokenizer,
  DATA_BENCH_COLUMNS,
  DATA_BENCH_SPLITS,
  formatBenchTable,
} from "../lib/bench/data_bench.ts";

const USAGE =
  "deno task bench:data [--split train|test|unsupervised|all] [--workers N] [--imdb DIR] [--tokenizer DIR]\n" +
  "deno task bench:data-hf [--split ...] [--workers N] [--rounds R]   (same as bench:data --compare-hf, with --allow-ffi)";

async function main(): Promise<void> {
  const { values } = parseFlags(Deno.args, {
    split: { type: "string", default: "all", help: "train, test, unsupervised or all" },
    workers: { type: "string", help: "tokenizer threads, 0 = this thread (default min(cores, 4))" },
    imdb: { type: "string", default: "../shared/data/imdb", help: "folder of <split>.jsonl.gz" },
    tokenizer: { type: "string", default: "../shared/data/bert-base-uncased", help: "tokenizer" },
    "chunk-size": { type: "string", default: "128", help: "tokens per chunk" },
    "group-batch": { type: "string", default: "1000", help: "examples concatenated per group" },
    "compare-hf": { type: "boolean", help: "also run HF's Rust tokenizer on the same texts (needs --allow-ffi)" },
    rounds: { type: "string", default: "1", help: "--compare-hf: runs per side, the fastest kept" },
  }, USAGE);
  const split = values.split as string;
  if (split !== "all" && !DATA_BENCH_SPLITS.includes(split)) {
    throw new Error(
      `--split: expected one of ${[...DATA_BENCH_SPLITS, "all"].join(", ")}, got ${JSON.stringify(split)}`,
    );
  }
  const options = {
    imdb: values.imdb as string,
    tokenizer: values.tokenizer as string,
    workers: optionalIntFlag(values, "workers", 0) ?? defaultWorkers(),
    chunkSize: intFlag(values, "chunk-size", 1),
    groupBatch: intFlag(values, "group-batch", 1),
    splits: split === "all" ? DATA_BENCH_SPLITS : [split],
  };
  if (values["compare-hf"]) {
    const rows = await compareHfTokenizer({ ...options, rounds: intFlag(values, "rounds", 1) });
    console.log(
      `same texts in memory, ${options.workers} core(s) each: ours = ${options.workers} tokenizer worker(s); ` +
        `HF = tokenizers (Rust) encodeBatch, RAYON_NUM_THREADS=${options.workers}; chunk size ${options.chunkSize}, ` +
        `group batch ${options.groupBatch}; ratio = ours tokens/s / HF tokens/s (HF: encode + read ids, mask, ` +
        `word ids + chunk; encode_only: Rust encodeBatch alone); reviews, tokens and chunks agree`,
    );
    console.log(formatBenchTable(rows, COMPARE_HF_COLUMNS));
    console.log(JSON.stringify({ workers: options.workers, rounds: intFlag(values, "rounds", 1), compare_hf: rows }));
    Deno.exit(0); // the native addon's thread pool would keep the process alive
  }
  const rows = await benchData(options);
  console.log(`workers: ${options.workers}, chunk size ${options.chunkSize}, group batch ${options.groupBatch}`);
  console.log(formatBenchTable(rows, DATA_BENCH_COLUMNS));
  console.log(JSON.stringify({ workers: options.workers, chunk_size: options.chunkSize, splits: rows }));
}

if (import.meta.main) Deno.exit(await runTask("bench:data", main));
