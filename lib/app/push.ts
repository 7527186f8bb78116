/**
 * Pushing a fine-tuned masked LM to the Hub as HF's Trainer does (`push_to_hub`, `hub_strategy` `end` or
 * `every_save`): the run folder's top-level files (or a checkpoint's model files) with a generated model card whose
 * results table comes from the run's eval lines. The token is only handed to `lib/hub`: never logged or written.
 *
 * @module
 */
import { modelCard } from "../hub/model_card.ts";
import { type PushResult, pushToHub } from "../hub/upload.ts";
import { onnxHubFiles, transformersJsSnippet } from "../export/hub.ts";
import { type EpochRow, epochRows, type LogEntry } from "../log_schema.ts";
import type { TrainArgs } from "../train/args.ts";

/** Where and how {@link pushRun} pushes, and what the card says. */
export interface RunPushOptions {
  /** Repo id (`namespace/name`, or `name` in the token's namespace). */
  repoId: string;
  /** Write token. */
  token?: string;
  /** Hub endpoint (default `HF_ENDPOINT` or huggingface.co). */
  endpoint?: string;
  /** Create the repo private. */
  private?: boolean;
  /** The base model as given (`--model`). */
  baseModel: string;
  /** The Hub dataset id, when the corpus is one. */
  dataset?: string;
  /** The tokenizer's mask token, for the card's usage example. */
  maskToken: string;
  /** The card's hyperparameters ({@link cardHyperparameters}). */
  hyperparameters: Record<string, string | number | boolean>;
  /** Also upload the ONNX export (`onnx/model.onnx`) and show the transformers.js snippet in the card. */
  exportOnnx?: boolean;
}

/** What the card's hyperparameters are made from: the training arguments and the data options. */
export interface CardArgs extends Omit<TrainArgs, "outputDir"> {
  /** Rows per eval batch. */
  perDeviceEvalBatchSize: number;
  /** Seed. */
  seed: number;
  /** Tokens per chunk. */
  chunkSize: number;
  /** Token masking probability. */
  mlmProbability: number;
  /** Whole-word masking probability, when used. */
  wwmProbability?: number;
}

/**
 * The model card's hyperparameters, in the names and order HF's Trainer card uses.
 *
 * @example
 * ```ts
 * import { cardHyperparameters } from "./push.ts";
 * const h = cardHyperparameters({ perDeviceEvalBatchSize: 64, seed: 42, chunkSize: 128, mlmProbability: 0.15 });
 * if (h.train_batch_size !== 64 || h.num_epochs !== 3 || h.mlm_probability !== 0.15) throw new Error(JSON.stringify(h));
 * ```
 */
export function cardHyperparameters(o: CardArgs): Record<string, string | number> {
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

/**
 * The evaluations logged so far in `outputDir/metrics.jsonl` (none when it does not exist yet).
 *
 * @example
 * ```ts
 * import { loggedEpochs } from "./push.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/metrics.jsonl`, '{"type":"header"}\n{"epoch":1,"eval_loss":2,"step":4}\n');
 * if ((await loggedEpochs(dir))[0].evalLoss !== 2) throw new Error("read");
 * ```
 */
export async function loggedEpochs(outputDir: string): Promise<EpochRow[]> {
  const text = await Deno.readTextFile(`${outputDir}/metrics.jsonl`).catch(() => "");
  const lines = text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as LogEntry);
  return epochRows(lines);
}

/** The files of `folder` HF's `push_to_hub` uploads: top-level files (no `checkpoint-*`, hidden or temp ones). */
async function stage(folder: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(folder)) {
    if (!e.isFile || e.name.startsWith(".") || e.name.startsWith("_") || e.name.includes(".tmp-")) continue;
    names.push(e.name);
  }
  return names;
}

/**
 * Push the top-level files of `folder` (a run folder or a checkpoint) with a model card listing `epochs`.
 *
 * @example
 * ```ts ignore
 * const pushed = await pushRun("runs/x", await loggedEpochs("runs/x"), "End of training", { repoId: "me/x", ... });
 * ```
 */
export async function pushRun(
  folder: string,
  epochs: readonly EpochRow[],
  commitMessage: string,
  options: RunPushOptions,
): Promise<PushResult> {
  const card = modelCard({
    repoId: options.repoId,
    baseModel: options.baseModel,
    dataset: options.dataset,
    hyperparameters: options.hyperparameters,
    epochs: epochs.map((r) => ({
      epoch: r.epoch,
      step: r.step,
      trainLoss: r.trainLoss ?? undefined,
      evalLoss: r.evalLoss,
      perplexity: r.perplexity ?? Math.exp(r.evalLoss),
    })),
    maskToken: options.maskToken,
    toolkitCommand: `deno task fill-mask --model ${options.repoId} "This is a great ${options.maskToken}."`,
    extraUsage: options.exportOnnx
      ? transformersJsSnippet(options.repoId, { example: `This is a great ${options.maskToken}.` })
      : undefined,
  });
  const onnx = options.exportOnnx ? (await onnxHubFiles(folder)).files : {};
  return await pushToHub(folder, {
    repoId: options.repoId,
    token: options.token,
    endpoint: options.endpoint,
    private: options.private,
    commitMessage,
    extraFiles: { ...onnx, "README.md": card },
    files: await stage(folder),
  });
}
