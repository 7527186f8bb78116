/**
 * The course's data path for `deno task finetune`: read one split of a local corpus, tokenize it keeping word ids,
 * concatenate and cut into chunks (`group_texts`, per group of `groupBatch` examples), then downsample with
 * `train_test_split(train_size, test_size, seed)` — exactly as the course does with `lm_datasets["train"]`.
 * Tokenized chunks are cached on disk by `lib/data/prepared.ts` (keyed by a fingerprint of corpus + tokenizer +
 * parameters), so a second run skips tokenization.
 *
 * @module
 */
import type { Chunk } from "../data/types.ts";
import { trainTestSplit } from "../data/split.ts";
import { loadPrepared, prepareDataset } from "../data/prepared.ts";

/** Options of {@link loadTrainEvalChunks}. */
export interface TrainEvalChunksOptions {
  /** Folder with the tokenizer files. */
  tokenizerDir: string;
  /** Tokens per chunk (course: 128). */
  chunkSize: number;
  /** Examples concatenated per group before cutting (HF `map(batched=True)` batch size, 1000). */
  groupBatch: number | "global";
  /** Text field of each record (`text`). */
  textColumn?: string;
  /** Split of a folder corpus (`train`). */
  split?: string;
  /** Training chunks to keep (course: 10,000). */
  trainSize: number;
  /** Eval chunks to keep (course: 1,000). */
  testSize: number;
  /** Seed of the split (course: 42). */
  seed: number;
  /** Where tokenized chunks are cached. */
  cacheDir: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Train and eval chunks, and how many chunks the split had. */
export interface TrainEvalChunks {
  /** Training chunks. */
  train: Chunk[];
  /** Eval chunks (to be masked once). */
  test: Chunk[];
  /** Chunks in the whole split before downsampling. */
  available: number;
}

/**
 * True when `name` is not an existing local path but looks like a Hub id (`imdb`, `org/name`).
 *
 * @example
 * ```ts
 * import { looksLikeHubId } from "./dataset.ts";
 * if (!(await looksLikeHubId("stanfordnlp/imdb"))) throw new Error("hub id");
 * if (await looksLikeHubId(".")) throw new Error("local folder");
 * ```
 */
export async function looksLikeHubId(name: string): Promise<boolean> {
  if (await Deno.stat(name).then(() => true, () => false)) return false;
  return /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/.test(name) && !name.startsWith(".");
}

/**
 * Chunks of `dataset` split into train and eval sets as the course does. Fails clearly when the sizes ask for more
 * chunks than the split has.
 *
 * @example
 * ```ts ignore
 * const { train, test } = await loadTrainEvalChunks("../shared/data/imdb", {
 *   tokenizerDir: "../shared/data/bert-base-uncased", chunkSize: 128, groupBatch: 1000, split: "train",
 *   trainSize: 10000, testSize: 1000, seed: 42, cacheDir: ".cache/prepared",
 * });
 * ```
 */
export async function loadTrainEvalChunks(dataset: string, options: TrainEvalChunksOptions): Promise<TrainEvalChunks> {
  const log = options.log ?? (() => {});
  if (await looksLikeHubId(dataset)) {
    throw new Error(
      `--dataset ${dataset}: not a local file or folder, and Hub ids need lib/hub (not available yet); ` +
        `pass a local corpus, e.g. --dataset ../shared/data/imdb`,
    );
  }
  const stat = await Deno.stat(dataset).catch(() => undefined);
  if (!stat) throw new Error(`--dataset ${dataset}: no such file or folder`);
  const prepared = await prepareDataset(dataset, {
    tokenizer: options.tokenizerDir,
    out: options.cacheDir,
    chunkSize: options.chunkSize,
    groupBatch: options.groupBatch,
    textColumn: options.textColumn,
    split: stat.isDirectory ? options.split : undefined,
    onProgress: (p) => log(`tokenizing: ${p.examples} examples, ${p.chunks} chunks`),
  });
  log(
    `${prepared.cached ? "reusing" : "tokenized"} ${dataset}: ${prepared.examples} examples, ` +
      `${prepared.tokens} tokens, ${prepared.chunks} chunks of ${prepared.chunk_size} (${prepared.path})`,
  );
  const ds = await loadPrepared(prepared.path);
  const { trainSize, testSize, seed } = options;
  if (trainSize + testSize > ds.length) {
    throw new Error(
      `--train-size ${trainSize} + --test-size ${testSize} = ${trainSize + testSize} chunks, but ${dataset} has ` +
        `only ${ds.length} chunks of ${prepared.chunk_size} tokens; lower the sizes or the --chunk-size`,
    );
  }
  const index = Array.from({ length: ds.length }, (_, i) => i);
  const split = trainTestSplit(index, { trainSize, testSize, seed });
  return { train: split.train.map((i) => ds.get(i)), test: split.test.map((i) => ds.get(i)), available: ds.length };
}
