/**
 * The course's data path for `deno task finetune`: read one split of a corpus, tokenize it keeping word ids,
 * concatenate and cut into chunks (`group_texts`, per group of `groupBatch` examples), then downsample with
 * `train_test_split(train_size, test_size, seed)` — exactly as the course does with `lm_datasets["train"]`.
 *
 * The corpus is a local file or folder, or a Hub dataset id (`imdb`, `stanfordnlp/imdb`): the split's Parquet files
 * from the Hub's Parquet conversion are fetched into the Hub cache by `lib/hub` ({@link hubDatasetFiles}; offline
 * with `HF_HUB_OFFLINE=1`) and read in file order. Tokenized chunks are cached on disk by `lib/prepare/prepared.ts`
 * (keyed by a fingerprint of corpus bytes + tokenizer + parameters), so a second run skips tokenization.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import type { Chunk } from "../data/types.ts";
import { writeDirAtomic } from "../fs.ts";
import { trainTestSplit } from "../data/split.ts";
import { loadPrepared, prepareDataset } from "../prepare/prepared.ts";
import { CountProgress } from "./count_progress.ts";
import { hubDatasetFiles } from "../hub/dataset.ts";
import type { HubReadOptions } from "../hub/download.ts";

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
  /** Word ids from the pre-tokenizer (`"hf"`, default) or `Intl.Segmenter` (`"intl"`), for whole-word masking. */
  wordBoundaries?: "hf" | "intl";
  /** Split of a folder corpus or Hub dataset (`train`). */
  split?: string;
  /** Config of a Hub dataset (e.g. `plain_text`; default: its only config). */
  config?: string;
  /** Hub access for a Hub dataset id (endpoint, cache folder, token, offline; default: the `HF_*` environment). */
  hub?: Omit<HubReadOptions, "revision">;
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
  let corpus = dataset;
  if (await looksLikeHubId(dataset)) {
    corpus = await hubSplitFolder(dataset, {
      config: options.config,
      split: options.split ?? "train",
      cacheDir: options.cacheDir,
      hub: options.hub,
      log,
    });
  }
  const stat = await Deno.stat(corpus).catch(() => undefined);
  if (!stat) throw new Error(`--dataset ${dataset}: no such file or folder`);
  const tokenizing = new CountProgress({ label: "tokenizing", unit: "examples" });
  const prepared = await prepareDataset(corpus, {
    tokenizer: options.tokenizerDir,
    out: options.cacheDir,
    chunkSize: options.chunkSize,
    groupBatch: options.groupBatch,
    textColumn: options.textColumn,
    wordBoundaries: options.wordBoundaries,
    split: stat.isDirectory ? options.split ?? "train" : undefined,
    onProgress: (p) => tokenizing.update(p.examples, `${p.chunks.toLocaleString("en-US")} chunks`), // on stderr, with a rate
  });
  tokenizing.done();
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

/** Options of {@link hubSplitFolder}. */
export interface HubSplitFolderOptions {
  /** Dataset config (default: the only one, or "default"). */
  config?: string;
  /** Split (default "train"). */
  split?: string;
  /** Folder under which the split's folder of links is made (the prepared-data cache). */
  cacheDir: string;
  /** Hub access (default: the `HF_*` environment). */
  hub?: Omit<HubReadOptions, "revision">;
  /** Progress lines. */
  log?: (line: string) => void;
}

/**
 * Fetch one split of a Hub dataset (its Parquet shards, into the Hub cache) and return a local folder holding hard
 * links (copies across file systems) named `<split>-00000-of-0000N.parquet` to those cached shards, in shard order —
 * a folder corpus that `readRecords(folder, {split})` reads in file order and `prepareDataset` fingerprints by the
 * shards' bytes. (Symbolic links would not do: folder readers take regular files only.)
 *
 * @example
 * ```ts
 * import { parquetWriteBuffer } from "npm:hyparquet-writer@0.17.0";
 * import { hubSplitFolder } from "./dataset.ts";
 * import { startHubServer } from "../../tests/support/hub_server.ts";
 * const shard = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: "text", data: ["a b"], type: "STRING" }] }));
 * const hub = await startHubServer();
 * hub.addRepo("org/reviews", { type: "dataset", branch: "refs/convert/parquet", files: { "default/train/0000.parquet": shard } });
 * const tmp = await Deno.makeTempDir();
 * const dir = await hubSplitFolder("org/reviews", { cacheDir: tmp, hub: { endpoint: hub.endpoint, cacheDir: `${tmp}/hf` } });
 * if ((await Deno.readFile(`${dir}/train-00000-of-00001.parquet`)).length !== shard.length) throw new Error("link");
 * await hub.close();
 * ```
 */
export async function hubSplitFolder(repoId: string, options: HubSplitFolderOptions): Promise<string> {
  const log = options.log ?? (() => {});
  const split = options.split ?? "train";
  if (!/^[\w.-]+$/.test(split)) throw new Error(`--dataset-split ${split}: expected a split name like train or test`);
  const found = await hubDatasetFiles(repoId, { ...options.hub, config: options.config, split });
  const targets = found.paths.map((p) => resolve(p));
  const key = createHash("sha256").update(JSON.stringify([repoId, found.config, split, targets])).digest("hex");
  const dir = `${options.cacheDir.replace(/\/+$/, "")}/hub-datasets/${key.slice(0, 16)}`;
  const n = String(targets.length).padStart(5, "0");
  const names = targets.map((_, i) => `${split}-${String(i).padStart(5, "0")}-of-${n}.parquet`);
  const complete = await Promise.all(
    names.map((name) => Deno.stat(`${dir}/${name}`).then((st) => st.isFile, () => false)),
  );
  if (!complete.every(Boolean)) {
    await writeDirAtomic(dir, async (tmp) => {
      for (let i = 0; i < targets.length; i++) {
        // A hard link to the cached blob (immutable, named by its sha256); a copy across file systems.
        const blob = await Deno.realPath(targets[i]);
        await Deno.link(blob, `${tmp}/${names[i]}`).catch(() => Deno.copyFile(blob, `${tmp}/${names[i]}`));
      }
    });
  }
  log(`dataset ${repoId} (${found.config}/${split}): ${found.files.length} Parquet file(s) in the Hub cache`);
  return dir;
}
