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
import { Rng } from "../data/rng.ts";
import type { Chunk } from "../data/types.ts";
import { createMlmCollator } from "../collate/mlm.ts";
import { createWholeWordMaskCollator } from "../collate/whole_word.ts";
import { batchFixed, maskOnce } from "../collate/mask_once.ts";
import { loadTokenizer, type Tokenizer } from "../tokenize/tokenizer.ts";
import { type BackendChoice, type BackendName, selectBackend } from "../model/backend.ts";
import type { MaskedLM } from "../model/masked_lm.ts";
import { assertTokenizerMatches, loadMaskedLM, savePretrained } from "../model/pretrained.ts";
import { hubOffline } from "../hub/cache.ts";
import type { HubReadOptions } from "../hub/download.ts";
import { hubToken } from "../hub/http.ts";
import { type EpochResult, modelCard } from "../hub/model_card.ts";
import { resolveModel } from "../hub/resolve.ts";
import { type PushResult, pushToHub } from "../hub/upload.ts";
import { renderReport } from "../report/render.ts";
import { epochRows, readRunLog } from "../report/run_log.ts";
import { listCheckpoints } from "./checkpoint.ts";
import { loadTrainEvalChunks, looksLikeHubId } from "./dataset.ts";
import { type EvalResult, evaluateMlm } from "./evaluate.ts";
import { checkTrainArgs, MLM_DEFAULTS } from "./args.ts";
import { train, type TrainArgs, type TrainResult } from "./trainer.ts";

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
  /** Mixed precision (no backend supports it yet: a clear error). */
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
}

/** What {@link finetune} returns: the training result, the report, and the push when one was made. */
export interface FinetuneResult extends TrainResult {
  /** `report.html` in the output folder. */
  report: string;
  /** The final push (when `pushToHub`). */
  pushed?: PushResult;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/**
 * Resolve `--model`: a local folder is used as is; a Hub id is downloaded into the Hub cache (or found there
 * offline) by `lib/hub` `resolveModel`. The folder must hold `config.json`, `model.safetensors` and `tokenizer.json`.
 *
 * @example
 * ```ts
 * import { resolveModelDir } from "./finetune.ts";
 * const err = await resolveModelDir("./no/such/folder").catch((e) => e);
 * if (!String(err.message).includes("./no/such/folder")) throw new Error(err.message);
 * ```
 */
export async function resolveModelDir(model: string, hub: Omit<HubReadOptions, "revision"> = {}): Promise<string> {
  const stat = await Deno.stat(model).catch(() => undefined);
  if (!stat && !(await looksLikeHubId(model))) {
    throw new Error(`--model ${model}: no such folder, and not a Hub model id ("name" or "namespace/name")`);
  }
  const dir = await resolveModel(model, hub);
  for (const f of ["config.json", "model.safetensors", "tokenizer.json"]) {
    if (!(await exists(`${dir}/${f}`))) {
      throw new Error(`--model ${model}: ${f} is missing in ${dir} (expected an HF model folder)`);
    }
  }
  return dir;
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

/** The folders a run starts from: {@link prepareRunDir}'s options. */
export interface RunDirOptions {
  /** Where the run writes. */
  outputDir: string;
  /** A checkpoint to continue from (must be a folder); the output folder is then left as it is. */
  resumeFromCheckpoint?: string;
  /** Allow replacing another run in `outputDir`. */
  overwriteOutputDir?: boolean;
}

/**
 * Check `--resume-from-checkpoint` names a folder, or else make `outputDir` ready ({@link prepareOutputDir}).
 *
 * @example
 * ```ts
 * import { prepareRunDir } from "./finetune.ts";
 * const err = await prepareRunDir({ outputDir: "unused", resumeFromCheckpoint: "/no/such/checkpoint" }).catch((e) => e);
 * if (!String(err.message).includes("no such checkpoint folder")) throw new Error(err.message);
 * ```
 */
export async function prepareRunDir(options: RunDirOptions): Promise<void> {
  if (options.resumeFromCheckpoint) {
    const stat = await Deno.stat(options.resumeFromCheckpoint).catch(() => undefined);
    if (!stat?.isDirectory) {
      throw new Error(`--resume-from-checkpoint ${options.resumeFromCheckpoint}: no such checkpoint folder`);
    }
  } else {
    await prepareOutputDir(options.outputDir, { overwrite: options.overwriteOutputDir ?? false });
  }
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

interface Loaded {
  modelDir: string;
  model: MaskedLM;
  tokenizer: Tokenizer;
  train: Chunk[];
  test: Chunk[];
  backend: BackendChoice;
}

async function loadModelAndData(
  modelArg: string,
  backend: BackendName,
  data: DataOptions,
  log: (line: string) => void,
): Promise<Loaded> {
  checkData(data);
  const modelDir = await resolveModelDir(modelArg, data.hub);
  const choice = await selectBackend(backend, { log });
  const tokenizer = await loadTokenizer(modelDir);
  const { train, test } = await loadTrainEvalChunks(data.dataset, {
    tokenizerDir: modelDir,
    chunkSize: data.chunkSize,
    groupBatch: data.groupBatch,
    textColumn: data.textColumn,
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

/** Option names never written to logs (secrets and callbacks). */
const NOT_LOGGED = new Set(["hubToken", "hub", "signal", "log"]);

/**
 * The run's arguments as logged in `metrics.jsonl`'s header: HF snake_case names, plain values only, and never the
 * Hub token (nor the `hub` access options that may carry one).
 *
 * @example
 * ```ts
 * import { loggedArgs } from "./finetune.ts";
 * const a = loggedArgs({ learningRate: 2e-5, hubToken: "hf_secret", pushToHub: true, log: () => {} });
 * if (a.learning_rate !== 2e-5 || a.push_to_hub !== true || JSON.stringify(a).includes("hf_secret")) throw new Error();
 * ```
 */
export function loggedArgs(options: Record<string, unknown>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(options).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (NOT_LOGGED.has(k) || !["string", "number", "boolean"].includes(typeof v)) continue;
    out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v as string | number | boolean;
  }
  return out;
}

/** The model card's hyperparameters, in the names and order HF's Trainer card uses. */
function cardHyperparameters(o: FinetuneOptions): Record<string, string | number> {
  const bs = o.perDeviceTrainBatchSize ?? 64;
  const accum = o.gradientAccumulationSteps ?? 1;
  const h: Record<string, string | number> = {
    learning_rate: o.learningRate ?? 2e-5,
    train_batch_size: bs,
    eval_batch_size: o.perDeviceEvalBatchSize,
    seed: o.seed,
  };
  if (accum > 1) {
    h.gradient_accumulation_steps = accum;
    h.total_train_batch_size = bs * accum;
  }
  h.optimizer = `AdamW (torch semantics) with betas=(0.9,0.999), epsilon=1e-08 and weight_decay=${
    o.weightDecay ?? 0.01
  } (none for biases and LayerNorm weights)`;
  h.lr_scheduler_type = "linear";
  if ((o.warmupSteps ?? 0) > 0) h.lr_scheduler_warmup_steps = o.warmupSteps!;
  if ((o.maxSteps ?? -1) > 0) h.training_steps = o.maxSteps!;
  else h.num_epochs = o.numTrainEpochs ?? 3;
  h.max_grad_norm = o.maxGradNorm ?? 1.0;
  h.chunk_size = o.chunkSize;
  if (o.wwmProbability !== undefined) h.wwm_probability = o.wwmProbability;
  else h.mlm_probability = o.mlmProbability;
  return h;
}

/** The fill-mask command of this toolkit for a pushed model (positional text). */
function toolkitCommand(repoId: string, maskToken: string): string {
  return `deno task fill-mask --model ${repoId} "This is a great ${maskToken}."`;
}

/** The files of `outputDir` HF's `push_to_hub` uploads: top-level files (no `checkpoint-*`, hidden or temp ones). */
async function stagePush(outputDir: string): Promise<string> {
  const stage = await Deno.makeTempDir({ prefix: "mlm-push-" });
  for await (const e of Deno.readDir(outputDir)) {
    if (!e.isFile || e.name.startsWith(".") || e.name.startsWith("_") || e.name.includes(".tmp-")) continue;
    await Deno.symlink(resolve(outputDir, e.name), `${stage}/${e.name}`);
  }
  return stage;
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
  if (options.fp16) {
    throw new Error(`--fp16 is not supported on backend ${options.backend}: no backend here trains in float16 yet`);
  }
  checkTrainArgs(options, MLM_DEFAULTS);
  const strategy = options.hubStrategy ?? "end";
  if (!["end", "every_save"].includes(strategy)) {
    throw new Error(`--hub-strategy: expected end or every_save, got ${JSON.stringify(strategy)}`);
  }
  const repoId = options.hubModelId ?? basename(resolve(options.outputDir));
  const token = hubToken(options.hubToken);
  if (options.pushToHub) {
    if (token === undefined) throw new Error("--push-to-hub needs a write token: pass --hub-token or set HF_TOKEN");
    if (options.hub?.offline ?? hubOffline()) {
      throw new Error("--push-to-hub cannot push in offline mode (HF_HUB_OFFLINE is set)");
    }
  }
  await prepareRunDir(options);
  const loaded = await loadModelAndData(options.model, options.backend, options, log);
  const { modelDir, model, tokenizer, train: trainChunks, test } = loaded;
  const hubDataset = await looksLikeHubId(options.dataset) ? options.dataset : undefined;
  const card = (epochs: EpochResult[]): string =>
    modelCard({
      repoId,
      baseModel: options.model,
      dataset: hubDataset,
      hyperparameters: cardHyperparameters(options),
      epochs,
      maskToken: tokenizer.maskToken,
      toolkitCommand: toolkitCommand(repoId, tokenizer.maskToken),
    });
  const push = (folder: string, epochs: EpochResult[], commitMessage: string): Promise<PushResult> =>
    pushToHub(folder, {
      repoId,
      token,
      endpoint: options.hub?.endpoint,
      private: options.hubPrivateRepo,
      commitMessage,
      extraFiles: { "README.md": card(epochs) },
    });
  let lastStep = 0;
  let result: TrainResult;
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
    const saveModel = async (dir: string): Promise<void> => {
      await savePretrained(model, dir, { tokenizerDir: modelDir });
      if (!options.pushToHub || strategy !== "every_save" || resolve(dir) === resolve(options.outputDir)) return;
      // A checkpoint is being saved (HF every_save): push its model files to the repo's main branch.
      const epochs = epochRows(await readRunLog(options.outputDir)).filter((r) => r.eval_loss !== null).map((r) => ({
        epoch: r.epoch,
        trainLoss: r.train_loss ?? undefined,
        evalLoss: r.eval_loss!,
        perplexity: r.perplexity ?? Math.exp(r.eval_loss!),
      }));
      try {
        const pushed = await push(dir, epochs, `Training in progress, step ${lastStep}`);
        log(`pushed checkpoint of step ${lastStep} to ${pushed.repoUrl}`);
      } catch (e) {
        log(`warning: pushing the checkpoint of step ${lastStep} failed, training goes on: ${(e as Error).message}`);
      }
    };
    result = await train(model, { ...options, seed: options.seed }, {
      train: trainChunks,
      evalBatches,
      makeCollator: (rng) => makeCollator(tokenizer, options, rng),
      saveModel,
      signal: options.signal,
      log,
      onStep: (step) => {
        lastStep = step;
      },
      runHeader: {
        task: "finetune",
        model: options.model,
        model_path: modelDir,
        dataset: options.dataset,
        dataset_config: options.datasetConfig ?? null,
        dataset_split: options.datasetSplit ?? "train",
        backend: loaded.backend.backend,
        adapter: loaded.backend.adapter ?? null,
        started_at: new Date().toISOString(),
        train_chunks: trainChunks.length,
        eval_chunks: test.length,
        parameters: model.numParameters(),
        args: loggedArgs(options as unknown as Record<string, unknown>),
      },
    });
  } finally {
    model.dispose();
  }
  const report = await renderReport(options.outputDir);
  log(`report: ${report}`);
  let pushed: PushResult | undefined;
  if (options.pushToHub && !result.interrupted) {
    const state = JSON.parse(await Deno.readTextFile(`${options.outputDir}/trainer_state.json`));
    const evalSteps = (state.log_history as Record<string, unknown>[]).filter((e) => typeof e.eval_loss === "number")
      .map((e) => e.step as number);
    const epochs: EpochResult[] = result.epochs.map((r, i) => ({
      epoch: r.epoch,
      step: evalSteps[i],
      trainLoss: r.train_loss,
      evalLoss: r.eval_loss,
      perplexity: r.perplexity,
    }));
    const stage = await stagePush(options.outputDir);
    try {
      pushed = await push(stage, epochs, "End of training");
    } finally {
      await Deno.remove(stage, { recursive: true });
    }
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
  const { model, tokenizer, test } = await loadModelAndData(options.model, options.backend, options, log);
  try {
    return await evaluateMlm(model, maskedEvalBatches(test, tokenizer, options));
  } finally {
    model.dispose();
  }
}
