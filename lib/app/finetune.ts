/**
 * What `deno task finetune` and `deno task evaluate` do, as library functions: resolve the model and corpus (local
 * folders, or Hub ids through `lib/hub`: cached downloads, `HF_HUB_OFFLINE=1` honoured), build the course's
 * train/eval chunks, mask the eval set once, train ({@link train}) or evaluate, write `report.html`, and optionally
 * push the result to the Hub with a generated model card (`hub_strategy` `end` or `every_save`, as HF's Trainer).
 *
 * The Hub token (`hubToken`, else `$HF_TOKEN`) is only handed to `lib/hub`: it is never logged, never written to
 * `metrics.jsonl`, `trainer_state.json`, the model card or the report.
 *
 * @module
 */
import { basename, resolve } from "node:path";
import type { Chunk, MlmBatch } from "../data/types.ts";
import { loadTokenizer, type Tokenizer } from "../tokenize/tokenizer.ts";
import { type BackendChoice, type BackendName, fp16Refusal, selectBackend } from "../model/backend.ts";
import type { MaskedLM } from "../model/masked_lm.ts";
import { assertTokenizerMatches, loadMaskedLM, savePretrained } from "../model/pretrained.ts";
import { hubOffline } from "../hub/cache.ts";
import type { HubReadOptions } from "../hub/download.ts";
import { hubToken } from "../hub/http.ts";
import type { PushResult } from "../hub/upload.ts";
import { renderReport } from "../report/render.ts";
import { loggedArgs } from "../log_schema.ts";
import { checkArgument, checkTrainArgs, MLM_DEFAULTS } from "../train/args.ts";
import { type EvalResult, evaluateMlm } from "../train/evaluate.ts";
import { maskedEvalBatches as maskEvalSet, maskingCollator } from "../train/masking.ts";
import { train, type TrainArgs, type TrainResult } from "../train/trainer.ts";
import { FileSink } from "./file_sink.ts";
import { loadTrainEvalChunks, looksLikeHubId } from "./dataset.ts";
import { cardHyperparameters, loggedEpochs, pushRun, type RunPushOptions } from "./push.ts";
import { prepareRunDir, resolveModelDir } from "./run_dir.ts";
import { lockRunDir } from "./run_lock.ts";
import { assertChunkFits, assertFiniteWeights } from "./model_checks.ts";
import { checkResumeArgs, mendMetrics, runArgs } from "./resume.ts";

export { prepareOutputDir, prepareRunDir, resolveModelDir, type RunDirOptions } from "./run_dir.ts";

/** The data and masking options shared by finetune and evaluate (the course's defaults in the tasks). */
export interface DataOptions {
  /** Local corpus file or folder, or a Hub dataset id (`imdb`, `stanfordnlp/imdb`). */
  dataset: string;
  /** Split of a folder corpus or Hub dataset (`train`). */
  datasetSplit?: string;
  /** Config of a Hub dataset (`plain_text`; default: its only config). */
  datasetConfig?: string;
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
  /** Word ids for whole-word masking: the pre-tokenizer's (`"hf"`, default) or `Intl.Segmenter`'s (`"intl"`). */
  wordBoundaries?: "hf" | "intl";
  /** Rows per eval batch (64). */
  perDeviceEvalBatchSize: number;
  /** Cache of tokenized chunks (`.cache/prepared`). */
  cacheDir?: string;
  /**
   * Hub access for Hub ids (endpoint, cache folder, offline; default: `HF_ENDPOINT`, `HF_HUB_CACHE`/`HF_HOME`,
   * `HF_HUB_OFFLINE`). Its `token` is for downloads of private repos (default `$HF_TOKEN`).
   */
  hub?: Omit<HubReadOptions, "revision">;
}

/** HF `hub_strategy` values this toolkit supports. */
export type HubStrategy = "end" | "every_save";

/** Options of {@link finetune}. */
export interface FinetuneOptions extends DataOptions, Omit<TrainArgs, "seed"> {
  /** Model folder (config.json + model.safetensors + tokenizer files) or Hub model id. */
  model: string;
  /** tfjs backend. */
  backend: BackendName;
  /**
   * Mixed precision (`--fp16`): half-precision matmul operands on a WebGPU device with `shader-f16`, dynamic loss
   * scaling; refused on cpu, wasm and adapters without `shader-f16`.
   */
  fp16?: boolean;
  /** Allow writing over an output folder that holds another run. */
  overwriteOutputDir?: boolean;
  /** Aborting saves a checkpoint and stops. */
  signal?: AbortSignal;
  /** Output lines. */
  log?: (line: string) => void;
  /** Push the final model (and, with `every_save`, each checkpoint) to the Hub. */
  pushToHub?: boolean;
  /** Repo to push to (`namespace/name`, or `name` in the token's namespace); default: the output folder's name. */
  hubModelId?: string;
  /** Write token (default `$HF_TOKEN`); never logged. */
  hubToken?: string;
  /** `end` (default): push once at the end; `every_save`: also after each checkpoint save. */
  hubStrategy?: HubStrategy;
  /** Create the repo private. */
  hubPrivateRepo?: boolean;
  /** With `pushToHub`: the final push also uploads the ONNX export for transformers.js (`onnx/model.onnx`). */
  exportOnnx?: boolean;
}

/** What {@link finetune} returns: the training result, the report, and the push when one was made. */
export interface FinetuneResult extends TrainResult {
  /** `report.html` in the output folder. */
  report: string;
  /** The final push (when `pushToHub`). */
  pushed?: PushResult;
}

/** The eval set masked once, batched: the same batches in every evaluation and every run with this seed. */
export function maskedEvalBatches(test: readonly Chunk[], tokenizer: Tokenizer, data: DataOptions): MlmBatch[] {
  return maskEvalSet(test, tokenizer, data, { seed: data.seed, batchSize: data.perDeviceEvalBatchSize });
}

function checkData(data: DataOptions): void {
  checkArgument("perDeviceEvalBatchSize", { type: "integer", min: 1 }, data.perDeviceEvalBatchSize);
}

interface Loaded {
  modelDir: string;
  model: MaskedLM;
  tokenizer: Tokenizer;
  train: Chunk[];
  test: Chunk[];
  backend: BackendChoice;
}

async function loadModelAndData(
  modelDir: string,
  backend: BackendName,
  data: DataOptions,
  log: (line: string) => void,
  fp16 = false,
): Promise<Loaded> {
  await assertChunkFits(modelDir, data.chunkSize);
  const choice = await selectBackend(backend, { fp16 }); // its note goes to stderr: stdout is for results
  const tokenizer = await loadTokenizer(modelDir);
  const { train, test } = await loadTrainEvalChunks(data.dataset, {
    tokenizerDir: modelDir,
    chunkSize: data.chunkSize,
    groupBatch: data.groupBatch,
    textColumn: data.textColumn,
    wordBoundaries: data.wordBoundaries,
    split: data.datasetSplit,
    config: data.datasetConfig,
    hub: data.hub,
    trainSize: data.trainSize,
    testSize: data.testSize,
    seed: data.seed,
    cacheDir: data.cacheDir ?? ".cache/prepared",
    log,
  });
  const model = await loadMaskedLM(modelDir);
  assertTokenizerMatches(model.config, tokenizer, { source: modelDir });
  return { modelDir, model, tokenizer, train, test, backend: choice };
}

/**
 * Fine-tune a masked LM on a corpus as the course does; writes `report.html` and, with `pushToHub`, pushes the model
 * with its card. Returns the training result.
 *
 * @example
 * ```ts ignore
 * const r = await finetune({ model: "fixtures/demo/model", dataset: "fixtures/demo/corpus/movie_reviews.jsonl", ... });
 * console.log(r.table);
 * ```
 */
export async function finetune(options: FinetuneOptions): Promise<FinetuneResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  if (options.fp16 && (options.backend === "wasm" || options.backend === "cpu")) {
    throw new Error(fp16Refusal({ backend: options.backend }));
  }
  checkTrainArgs(options, MLM_DEFAULTS);
  const strategy = options.hubStrategy ?? "end";
  checkArgument("hubStrategy", { type: "choice", choices: ["end", "every_save"] }, strategy);
  const token = hubToken(options.hubToken);
  if (options.pushToHub) {
    if (token === undefined) {
      throw new Error(
        "--push-to-hub needs a write token: set HF_TOKEN, pass --hub-token-file, or log in (the token in $HF_HOME/token)",
      );
    }
    if (options.hub?.offline ?? hubOffline()) {
      throw new Error("--push-to-hub cannot push in offline mode (HF_HUB_OFFLINE is set)");
    }
  }
  checkData(options);
  const notes = (line: string) => console.error(line);
  const lock = await lockRunDir(options.outputDir, { log: notes }); // before anything is written there
  try {
    const modelDir = await resolveModelDir(options.model, options.hub);
    await prepareRunDir({ ...options, modelDir, log: notes });
    const args = runArgs(options);
    if (options.resumeFromCheckpoint) {
      await checkResumeArgs(options.resumeFromCheckpoint, args, notes);
      await mendMetrics(options.outputDir, notes);
    }
    return await finetuneLocked(options, modelDir, args, log);
  } finally {
    lock.release();
  }
}

async function finetuneLocked(
  options: FinetuneOptions,
  modelDir: string,
  args: Record<string, unknown>,
  log: (line: string) => void,
): Promise<FinetuneResult> {
  const strategy = options.hubStrategy ?? "end";
  const token = hubToken(options.hubToken);
  const loaded = await loadModelAndData(modelDir, options.backend, options, log, options.fp16);
  const { model, tokenizer, train: trainChunks, test } = loaded;
  const pushOptions: RunPushOptions = {
    repoId: options.hubModelId ?? basename(resolve(options.outputDir)),
    token,
    endpoint: options.hub?.endpoint,
    private: options.hubPrivateRepo,
    baseModel: options.model,
    dataset: await looksLikeHubId(options.dataset) ? options.dataset : undefined,
    maskToken: tokenizer.maskToken,
    hyperparameters: cardHyperparameters(options),
  };
  let lastStep = 0;
  let result: TrainResult;
  try {
    const masking = options.wwmProbability !== undefined
      ? `whole-word masking p=${options.wwmProbability}`
      : `mlm p=${options.mlmProbability}`;
    log(
      `model ${modelDir}: ${model.config.model_type}, ${model.numParameters().toLocaleString("en-US")} parameters; ` +
        `${trainChunks.length} train chunks, ${test.length} eval chunks; ${masking}`,
    );
    const saveModel = async (dir: string): Promise<void> => {
      await savePretrained(model, dir, { tokenizerDir: modelDir });
      if (!options.pushToHub || strategy !== "every_save" || resolve(dir) === resolve(options.outputDir)) return;
      // A checkpoint is being saved (HF every_save): push its model files to the repo's main branch.
      try {
        const epochs = await loggedEpochs(options.outputDir);
        const pushed = await pushRun(dir, epochs, `Training in progress, step ${lastStep}`, pushOptions);
        log(`pushed checkpoint of step ${lastStep} to ${pushed.repoUrl}`);
      } catch (e) {
        log(`warning: pushing the checkpoint of step ${lastStep} failed, training goes on: ${(e as Error).message}`);
      }
    };
    const sink = new FileSink(options.outputDir, {
      saveModel,
      log,
      runArgs: args,
      runHeader: {
        task: "finetune",
        model: options.model,
        modelDir,
        dataset: options.dataset,
        datasetConfig: options.datasetConfig ?? null,
        datasetSplit: options.datasetSplit ?? "train",
        backend: loaded.backend.backend,
        adapter: loaded.backend.adapter ?? null,
        numParameters: model.numParameters(),
        trainSamples: trainChunks.length,
        evalSamples: test.length,
        args: loggedArgs(options),
      },
    });
    result = await train(model, options, {
      train: trainChunks,
      evalBatches: maskedEvalBatches(test, tokenizer, options),
      makeCollator: (rng) => maskingCollator(tokenizer, options, rng),
      signal: options.signal,
      onStep: (step) => {
        lastStep = step;
      },
    }, sink);
  } finally {
    model.dispose();
  }
  const report = await renderReport(options.outputDir);
  log(`report: ${report}`);
  let pushed: PushResult | undefined;
  if (options.pushToHub && !result.interrupted) {
    pushed = await pushRun(options.outputDir, result.epochs, "End of training", {
      ...pushOptions,
      exportOnnx: options.exportOnnx,
    });
    log(`pushed ${pushed.files.length} files to ${pushed.repoUrl} (commit ${pushed.commitOid})`);
  }
  return { ...result, report, pushed };
}

/** Options of {@link evaluateModel}. */
export interface EvaluateModelOptions extends DataOptions {
  /** Model folder or Hub model id. */
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
  checkData(options);
  const modelDir = await resolveModelDir(options.model, options.hub);
  const { model, tokenizer, test } = await loadModelAndData(modelDir, options.backend, options, log);
  try {
    await assertFiniteWeights(model, `${modelDir}/model.safetensors`);
    return await evaluateMlm(model, maskedEvalBatches(test, tokenizer, options));
  } finally {
    model.dispose();
  }
}
