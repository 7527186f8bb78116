/**
 * What `deno task finetune` and `deno task evaluate` do, as library functions: resolve the model and corpus, build
 * the course's train/eval chunks, mask the eval set once, train ({@link train}) or evaluate, and report.
 *
 * @module
 */
import { Rng } from "../data/rng.ts";
import type { Chunk } from "../data/types.ts";
import { createMlmCollator } from "../collate/mlm.ts";
import { createWholeWordMaskCollator } from "../collate/whole_word.ts";
import { batchFixed, maskOnce } from "../collate/mask_once.ts";
import { loadTokenizer, type Tokenizer } from "../tokenize/tokenizer.ts";
import { type BackendName, selectBackend } from "../model/backend.ts";
import type { MaskedLM } from "../model/masked_lm.ts";
import { assertTokenizerMatches, loadMaskedLM, savePretrained } from "../model/pretrained.ts";
import { listCheckpoints } from "./checkpoint.ts";
import { loadTrainEvalChunks, looksLikeHubId } from "./dataset.ts";
import { type EvalResult, evaluateMlm } from "./evaluate.ts";
import { train, type TrainArgs, type TrainResult } from "./trainer.ts";

/** The data and masking options shared by finetune and evaluate (the course's defaults in the tasks). */
export interface DataOptions {
  /** Local corpus file or folder. */
  dataset: string;
  /** Split of a folder corpus (`train`). */
  datasetSplit?: string;
  /** Text field (`text`). */
  textColumn?: string;
  /** Tokens per chunk (128). */
  chunkSize: number;
  /** `group_texts` batch (1000). */
  groupBatch: number | "global";
  /** Training chunks (10,000). */
  trainSize: number;
  /** Eval chunks (1,000). */
  testSize: number;
  /** Seed (42). */
  seed: number;
  /** Masking probability of the random-token collator (0.15). */
  mlmProbability: number;
  /** When set, whole-word masking with this word probability (the course's 0.2) instead. */
  wwmProbability?: number;
  /** Rows per eval batch (64). */
  perDeviceEvalBatchSize: number;
  /** Cache of tokenized chunks (`.cache/prepared`). */
  cacheDir?: string;
}

/** Options of {@link finetune}. */
export interface FinetuneOptions extends DataOptions, Omit<TrainArgs, "seed"> {
  /** Model folder (config.json + model.safetensors + tokenizer files). */
  model: string;
  /** tfjs backend. */
  backend: BackendName;
  /** Mixed precision (no backend supports it yet: a clear error). */
  fp16?: boolean;
  /** Allow writing over an output folder that holds another run. */
  overwriteOutputDir?: boolean;
  /** Aborting saves a checkpoint and stops. */
  signal?: AbortSignal;
  /** Output lines. */
  log?: (line: string) => void;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/**
 * Resolve `--model`: a local folder with `config.json` and `model.safetensors` (and its tokenizer), else a clear error.
 *
 * @example
 * ```ts
 * import { resolveModelDir } from "./finetune.ts";
 * const err = await resolveModelDir("distilbert-base-uncased").catch((e) => e);
 * if (!String(err.message).includes("lib/hub")) throw new Error(err.message);
 * ```
 */
export async function resolveModelDir(model: string): Promise<string> {
  if (await looksLikeHubId(model)) {
    throw new Error(
      `--model ${model}: not a local folder, and Hub ids need lib/hub (not available yet); pass a folder with ` +
        `config.json, model.safetensors and tokenizer files`,
    );
  }
  for (const f of ["config.json", "model.safetensors", "tokenizer.json"]) {
    if (!(await exists(`${model}/${f}`))) throw new Error(`--model ${model}: ${f} is missing (expected an HF folder)`);
  }
  return model;
}

/**
 * Fail when `dir` holds another run (metrics, trainer state or checkpoints) unless `overwrite`; with `overwrite`,
 * remove those files (only those).
 *
 * @example
 * ```ts
 * import { prepareOutputDir } from "./finetune.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/trainer_state.json`, "{}");
 * const err = await prepareOutputDir(dir, { overwrite: false }).catch((e) => e);
 * if (!String(err.message).includes("--overwrite-output-dir")) throw new Error("refuses");
 * await prepareOutputDir(dir, { overwrite: true });
 * ```
 */
export async function prepareOutputDir(dir: string, options: { overwrite: boolean }): Promise<void> {
  const held = [
    ...(await listCheckpoints(dir)).map((c) => c.dir),
    ...["metrics.jsonl", "trainer_state.json"].map((f) => `${dir}/${f}`),
  ];
  const present: string[] = [];
  for (const p of held) if (await exists(p)) present.push(p);
  if (present.length === 0) return;
  if (!options.overwrite) {
    throw new Error(
      `--output-dir ${dir} holds another run (${present.slice(0, 3).join(", ")}${present.length > 3 ? ", …" : ""}); ` +
        `pass --overwrite-output-dir to replace it, --resume-from-checkpoint to continue it, or another --output-dir`,
    );
  }
  for (const p of present) await Deno.remove(p, { recursive: true });
}

/** The eval set masked once, batched: the same batches in every evaluation and every run with this seed. */
export function maskedEvalBatches(test: readonly Chunk[], tokenizer: Tokenizer, data: DataOptions): ReturnType<
  typeof batchFixed
> {
  const rng = new Rng(data.seed).fork("eval-mask");
  return batchFixed(maskOnce(test, makeCollator(tokenizer, data, rng)), data.perDeviceEvalBatchSize, {
    padTokenId: tokenizer.padTokenId,
  });
}

function makeCollator(tokenizer: Tokenizer, data: DataOptions, rng: Rng) {
  if (data.wwmProbability !== undefined) {
    return createWholeWordMaskCollator({
      maskTokenId: tokenizer.maskTokenId,
      padTokenId: tokenizer.padTokenId,
      vocabSize: tokenizer.vocabSize,
      wwmProbability: data.wwmProbability,
      rng,
    });
  }
  return createMlmCollator({
    maskTokenId: tokenizer.maskTokenId,
    vocabSize: tokenizer.vocabSize,
    specialIds: tokenizer.allSpecialIds,
    padTokenId: tokenizer.padTokenId,
    mlmProbability: data.mlmProbability,
    rng,
  });
}

function checkData(data: DataOptions): void {
  for (const [flag, v] of [["per-device-eval-batch-size", data.perDeviceEvalBatchSize]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${flag}: expected an integer >= 1, got ${v}`);
  }
}

async function loadModelAndData(
  modelArg: string,
  backend: BackendName,
  data: DataOptions,
  log: (line: string) => void,
): Promise<{ modelDir: string; model: MaskedLM; tokenizer: Tokenizer; train: Chunk[]; test: Chunk[] }> {
  checkData(data);
  const modelDir = await resolveModelDir(modelArg);
  await selectBackend(backend, { log });
  const tokenizer = await loadTokenizer(modelDir);
  const { train, test } = await loadTrainEvalChunks(data.dataset, {
    tokenizerDir: modelDir,
    chunkSize: data.chunkSize,
    groupBatch: data.groupBatch,
    textColumn: data.textColumn,
    split: data.datasetSplit,
    trainSize: data.trainSize,
    testSize: data.testSize,
    seed: data.seed,
    cacheDir: data.cacheDir ?? ".cache/prepared",
    log,
  });
  const model = await loadMaskedLM(modelDir);
  assertTokenizerMatches(model.config, tokenizer, { source: modelDir });
  return { modelDir, model, tokenizer, train, test };
}

/**
 * Fine-tune a masked LM on a corpus as the course does; returns the training result.
 *
 * @example
 * ```ts ignore
 * const r = await finetune({ model: "fixtures/demo/model", dataset: "fixtures/demo/corpus/movie_reviews.jsonl", ... });
 * console.log(r.table);
 * ```
 */
export async function finetune(options: FinetuneOptions): Promise<TrainResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  if (options.fp16) {
    throw new Error(`--fp16 is not supported on backend ${options.backend}: no backend here trains in float16 yet`);
  }
  for (const [flag, v] of [["per-device-train-batch-size", options.perDeviceTrainBatchSize ?? 64]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${flag}: expected an integer >= 1, got ${v}`);
  }
  if (options.resumeFromCheckpoint) {
    const stat = await Deno.stat(options.resumeFromCheckpoint).catch(() => undefined);
    if (!stat?.isDirectory) {
      throw new Error(`--resume-from-checkpoint ${options.resumeFromCheckpoint}: no such checkpoint folder`);
    }
  } else {
    await prepareOutputDir(options.outputDir, { overwrite: options.overwriteOutputDir ?? false });
  }
  const { modelDir, model, tokenizer, train: trainChunks, test } = await loadModelAndData(
    options.model,
    options.backend,
    options,
    log,
  );
  try {
    log(
      `model ${modelDir}: ${model.config.model_type}, ${model.numParameters().toLocaleString("en-US")} parameters; ` +
        `${trainChunks.length} train chunks, ${test.length} eval chunks; ` +
        `${
          options.wwmProbability !== undefined
            ? `whole-word masking p=${options.wwmProbability}`
            : `mlm p=${options.mlmProbability}`
        }`,
    );
    const evalBatches = maskedEvalBatches(test, tokenizer, options);
    return await train(model, { ...options, seed: options.seed }, {
      train: trainChunks,
      evalBatches,
      makeCollator: (rng) => makeCollator(tokenizer, options, rng),
      saveModel: (dir) => savePretrained(model, dir, { tokenizerDir: modelDir }),
      signal: options.signal,
      log,
    });
  } finally {
    model.dispose();
  }
}

/** Options of {@link evaluateModel}. */
export interface EvaluateModelOptions extends DataOptions {
  /** Model folder. */
  model: string;
  /** tfjs backend. */
  backend: BackendName;
  /** Output lines. */
  log?: (line: string) => void;
}

/**
 * Perplexity of a model folder on the eval set `finetune` would use with the same data options (same split, same
 * masks), so a fine-tuned model's score here equals its last evaluation there.
 *
 * @example
 * ```ts ignore
 * const r = await evaluateModel({ model: "runs/x", dataset: "corpus.jsonl", ... });
 * console.log(r.perplexity);
 * ```
 */
export async function evaluateModel(options: EvaluateModelOptions): Promise<EvalResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const { model, tokenizer, test } = await loadModelAndData(options.model, options.backend, options, log);
  try {
    return await evaluateMlm(model, maskedEvalBatches(test, tokenizer, options));
  } finally {
    model.dispose();
  }
}
