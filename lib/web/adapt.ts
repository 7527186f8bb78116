/**
 * Domain adaptation held in memory, for a browser tab (or any place without a file system): texts → chunks →
 * train/test split → eval set masked once → perplexity and fill-mask before → `lib/train`'s loop
 * ({@link runTraining}: AdamW, the linear schedule, the seed forks of `plan.ts`, the eval-mask fork of `masking.ts`)
 * with an in-memory sink (or the caller's: `deno task demo` passes its run folder's) → perplexity and fill-mask after.
 * The same loop and seeds as `deno task finetune`, with no checkpoint: every number is reported through `onEvent`.
 * Nothing here touches `Deno.*`.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Chunk, MlmBatch } from "../data/types.ts";
import { groupTexts } from "../data/group_texts.ts";
import { trainTestSplit } from "../data/split.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import type { MaskedLM } from "../model/masked_lm.ts";
import { fillMask, type FillMaskPrediction } from "../pipelines/fill_mask.ts";
import { type EvalResult, evaluateMlm as evaluateOnce } from "../train/evaluate.ts";
import { maskedEvalBatches, maskingCollator, type MaskingOptions } from "../train/masking.ts";
import { MemorySink, type RunSink, type StepProgress } from "../train/sink.ts";
import { train, type TrainResult } from "../train/trainer.ts";

/** How tokens are chosen for masking: the course's random-token collator (80/10/10) or whole-word masking. */
export type Masking = "random-token" | "whole-word";

/** Options of {@link adaptInMemory}; defaults are the page's. */
export interface AdaptOptions {
  /** Tokens per chunk (default 32). */
  chunkSize?: number;
  /** Epochs (default 1). */
  epochs?: number;
  /** Stop after this many optimizer steps (default: every step of every epoch); the schedule decays to it. */
  maxSteps?: number;
  /** Peak learning rate (default 1e-3). */
  learningRate?: number;
  /** Rows per step (default 16). */
  batchSize?: number;
  /** Masking (default `"random-token"`). */
  masking?: Masking;
  /** Random-token selection probability (default 0.15). */
  mlmProbability?: number;
  /** Whole-word selection probability (default 0.2). */
  wwmProbability?: number;
  /** AdamW weight decay (default 0.01). */
  weightDecay?: number;
  /** Fraction (or count) of chunks held out for perplexity (default 0.1). */
  testSize?: number;
  /** Global-norm clip (default 1, HF's). */
  maxGradNorm?: number;
  /** Seed of every random choice (default 42). */
  seed?: number;
  /** Mixed precision (the backend set up with `selectBackend`'s `fp16`): the loop's loss scaling (default false). */
  fp16?: boolean;
  /** Sentences with the mask token, filled before and after (default none). */
  prompts?: readonly string[];
  /** Log a training-loss row every this many steps (default: once per epoch). */
  loggingSteps?: number;
  /** Stop early (the model keeps the steps taken). */
  signal?: AbortSignal;
  /**
   * Where the run's log rows and notes go, made once the data is split (default: kept in memory). The `step`
   * events are sent either way.
   */
  sink?: (data: AdaptData) => RunSink;
}

/** The corpus as {@link adaptInMemory} cut it: texts, chunks, the train/eval split and the steps planned. */
export interface AdaptData {
  /** Texts read. */
  texts: number;
  /** Chunks of `chunkSize` tokens. */
  chunks: number;
  /** Training chunks. */
  train: number;
  /** Held-out chunks (the eval set). */
  eval: number;
  /** Optimizer steps planned. */
  totalSteps: number;
}

/** What {@link adaptInMemory} reports while it runs. */
export type AdaptEvent =
  | ({ type: "data" } & AdaptData)
  | { type: "eval"; phase: "before" | "after"; result: EvalResult }
  | { type: "fill"; phase: "before" | "after"; predictions: FillMaskPrediction[][] }
  | { type: "step"; step: number; totalSteps: number; loss: number; lr: number; tokensPerSecond: number };

/** What {@link adaptInMemory} measured. */
export interface AdaptResult {
  /** Evaluation before training. */
  before: EvalResult;
  /** Evaluation after training. */
  after: EvalResult;
  /** Fill-mask of each prompt before and after. */
  fillBefore: FillMaskPrediction[][];
  /** Fill-mask of each prompt after training. */
  fillAfter: FillMaskPrediction[][];
  /** Training loss of each step. */
  losses: number[];
  /** Steps taken. */
  steps: number;
  /** Real (unpadded) tokens trained on per second of training. */
  tokensPerSecond: number;
  /** The first eval batch (inputs whose logits a caller can compare across runtimes). */
  probe: MlmBatch;
  /** The training run (its per-epoch table, evaluations, throughput). */
  training: TrainResult;
}

function maskingOf(o: AdaptOptions): MaskingOptions {
  const masking = o.masking ?? "random-token";
  if (masking === "whole-word") return { mlmProbability: 0.15, wwmProbability: o.wwmProbability ?? 0.2 };
  if (masking !== "random-token") {
    throw new Error(`masking: expected "random-token" or "whole-word", got ${JSON.stringify(masking)}`);
  }
  return { mlmProbability: o.mlmProbability ?? 0.15 };
}

/**
 * Adapt `model` in place on `texts` (see the module doc) and report progress through `onEvent`.
 *
 * @example
 * ```ts
 * import { maskedLMFromFiles, tokenizerFromFiles } from "./files.ts";
 * import { adaptInMemory } from "./adapt.ts";
 * const dir = new URL("../../fixtures/demo/model/", import.meta.url);
 * const files = new Map<string, Uint8Array>();
 * for (const f of ["config.json", "model.safetensors", "tokenizer.json"]) files.set(f, await Deno.readFile(new URL(f, dir)));
 * const tokenizer = tokenizerFromFiles(files), model = maskedLMFromFiles(files);
 * const texts = Array.from({ length: 40 }, (_, i) => `the film number ${i} was a great movie with a good story.`);
 * const r = await adaptInMemory(model, tokenizer, texts, { chunkSize: 16, maxSteps: 2, batchSize: 4 });
 * if (r.steps !== 2 || !(r.after.perplexity > 0)) throw new Error("two steps");
 * model.dispose();
 * ```
 */
export async function adaptInMemory(
  model: MaskedLM,
  tokenizer: Tokenizer,
  texts: readonly string[],
  o: AdaptOptions = {},
  onEvent: (event: AdaptEvent) => void = () => {},
): Promise<AdaptResult> {
  const chunkSize = o.chunkSize ?? 32, epochs = o.epochs ?? 1, batchSize = o.batchSize ?? 16, seed = o.seed ?? 42;
  for (const [name, v] of [["chunkSize", chunkSize], ["epochs", epochs], ["batchSize", batchSize]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be an integer >= 1, got ${v}`);
  }
  const masking = maskingOf(o);
  const chunks: Chunk[] = groupTexts(tokenizer.encodeBatch([...texts]), { chunkSize });
  if (chunks.length < 2) {
    throw new Error(`the corpus gives ${chunks.length} chunk(s) of ${chunkSize} tokens; at least 2 are needed`);
  }
  const { train: trainChunks, test } = trainTestSplit(chunks, { testSize: o.testSize ?? 0.1, seed });
  const evalBatches = maskedEvalBatches(test, tokenizer, masking, { seed, batchSize: 32 });
  const totalSteps = Math.min(o.maxSteps ?? Infinity, Math.ceil(trainChunks.length / batchSize) * epochs);
  const data: AdaptData = {
    texts: texts.length,
    chunks: chunks.length,
    train: trainChunks.length,
    eval: test.length,
    totalSteps,
  };
  onEvent({ type: "data", ...data });

  const prompts = [...(o.prompts ?? [])];
  const fill = async () => (await fillMask(model, tokenizer, prompts, { topK: 5 })).map(([first]) => first);
  const before = await evaluateOnce(model, evalBatches);
  onEvent({ type: "eval", phase: "before", result: before });
  const fillBefore = await fill();
  onEvent({ type: "fill", phase: "before", predictions: fillBefore });

  const losses: number[] = [];
  let tokens = 0;
  const t0 = performance.now();
  const onProgress = (p: StepProgress) => {
    losses.push(p.loss);
    tokens += p.tokens;
    const seconds = (performance.now() - t0) / 1000;
    onEvent({ type: "step", step: p.step, totalSteps, loss: p.loss, lr: p.lr, tokensPerSecond: tokens / seconds });
  };
  const sink = o.sink ? withProgress(o.sink(data), onProgress) : new MemorySink({ onProgress });
  const result = await train(model, {
    outputDir: "",
    learningRate: o.learningRate ?? 1e-3,
    weightDecay: o.weightDecay ?? 0.01,
    perDeviceTrainBatchSize: batchSize,
    numTrainEpochs: epochs,
    maxSteps: totalSteps,
    maxGradNorm: o.maxGradNorm ?? 1,
    loggingSteps: o.loggingSteps,
    seed,
    saveStrategy: "no",
    fp16: o.fp16,
  }, {
    train: trainChunks,
    evalBatches,
    makeCollator: (rng) => maskingCollator(tokenizer, masking, rng),
    signal: o.signal,
  }, sink);
  // A run stopped between evaluations is scored where it stopped.
  const after = result.interrupted || result.evals.length === 0
    ? await evaluateOnce(model, evalBatches)
    : result.evals.at(-1)!;
  onEvent({ type: "eval", phase: "after", result: after });
  const fillAfter = await fill();
  onEvent({ type: "fill", phase: "after", predictions: fillAfter });
  return {
    before,
    after,
    fillBefore,
    fillAfter,
    losses,
    steps: result.globalStep,
    tokensPerSecond: result.tokensPerSecond,
    probe: evalBatches[0],
    training: result,
  };
}

/** `sink`, with each step also handed to `onProgress`. */
function withProgress(sink: RunSink, onProgress: (p: StepProgress) => void): RunSink {
  return {
    start: sink.start && (() => sink.start!()),
    record: (entry) => sink.record(entry),
    progress: (p) => {
      sink.progress?.(p);
      onProgress(p);
    },
    note: (line) => sink.note(line),
    checkpoint: sink.checkpoint && ((d) => sink.checkpoint!(d)),
    latestCheckpoint: sink.latestCheckpoint && (() => sink.latestCheckpoint!()),
    loadCheckpoint: sink.loadCheckpoint && ((name) => sink.loadCheckpoint!(name)),
    finish: (end) => sink.finish(end),
    close: sink.close && (() => sink.close!()),
  };
}

/**
 * `model`'s logits for `batch` (eval mode), read back as one flat array `[batch · seq · vocab]`.
 *
 * @example
 * ```ts
 * import { initMaskedLM, parseConfig } from "../model/mod.ts";
 * import { probeLogits } from "./adapt.ts";
 * const m = initMaskedLM(parseConfig({ model_type: "bert", vocab_size: 30, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 16 }), { seed: 0 });
 * const logits = await probeLogits(m, { input_ids: new Int32Array([2, 5, 3]), attention_mask: new Int32Array([1, 1, 1]), labels: new Int32Array(3), shape: [1, 3] });
 * if (logits.length !== 3 * 30) throw new Error("[1, 3, 30]");
 * m.dispose();
 * ```
 */
export async function probeLogits(model: MaskedLM, batch: MlmBatch): Promise<Float32Array> {
  const logits = tf.tidy(() =>
    model.logits(
      tf.tensor2d(batch.input_ids, batch.shape, "int32"),
      tf.tensor2d(batch.attention_mask, batch.shape, "int32"),
    )
  );
  try {
    return (await logits.data()) as Float32Array;
  } finally {
    logits.dispose();
  }
}
