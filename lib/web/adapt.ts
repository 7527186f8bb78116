/**
 * Domain adaptation held in memory, for a browser tab (or any place without a file system): texts → chunks →
 * train/test split → eval set masked once → perplexity and fill-mask before → AdamW + linear schedule over
 * `trainStep` → perplexity and fill-mask after. The same pieces and seeds as `deno task finetune` (epoch order
 * `Rng(seed).fork("epoch", e)`, step `s`'s masking `fork("collate", s, 0)`, its dropout `fork("dropout", s, 0)`,
 * the eval set masked with `Rng(seed).fork("eval-mask")`), with no checkpoint and no log file: every number is
 * reported through `onEvent`. Nothing here touches `Deno.*`.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { permutation, Rng } from "../data/rng.ts";
import type { Chunk, MlmBatch } from "../data/types.ts";
import { groupTexts } from "../data/group_texts.ts";
import { trainTestSplit } from "../data/split.ts";
import { type Collator, createMlmCollator } from "../collate/mlm.ts";
import { createWholeWordMaskCollator } from "../collate/whole_word.ts";
import { batchFixed, maskOnce } from "../collate/mask_once.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import type { MaskedLM } from "../model/masked_lm.ts";
import { fillMask, type FillMaskPrediction } from "../pipelines/fill_mask.ts";
import { type EvalResult, evaluateMlm } from "../train/evaluate.ts";
import { AdamW } from "../train/adamw.ts";
import { linearScheduleWithWarmup } from "../train/schedule.ts";
import { enqueueTrainStep, readTrainStep, trainableParams } from "../train/step.ts";

/** How tokens are chosen for masking: the course's random-token collator (80/10/10) or whole-word masking. */
export type Masking = "random-token" | "whole-word";

/** Options of {@link adaptInMemory}; defaults are the demo's. */
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
  /** Sentences with the mask token, filled before and after (default none). */
  prompts?: readonly string[];
  /** Stop early (the model keeps the steps taken). */
  signal?: AbortSignal;
}

/** What {@link adaptInMemory} reports while it runs. */
export type AdaptEvent =
  | { type: "data"; texts: number; chunks: number; train: number; eval: number; totalSteps: number }
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
}

function collatorFor(tokenizer: Tokenizer, o: Required<Pick<AdaptOptions, "masking">> & AdaptOptions, rng: Rng) {
  const common = { maskTokenId: tokenizer.maskTokenId, padTokenId: tokenizer.padTokenId, rng };
  if (o.masking === "whole-word") {
    return createWholeWordMaskCollator({ ...common, vocabSize: tokenizer.vocabSize, wwmProbability: o.wwmProbability });
  }
  if (o.masking !== "random-token") {
    throw new Error(`masking: expected "random-token" or "whole-word", got ${JSON.stringify(o.masking)}`);
  }
  return createMlmCollator({
    ...common,
    vocabSize: tokenizer.vocabSize,
    specialIds: tokenizer.allSpecialIds,
    mlmProbability: o.mlmProbability,
  });
}

function realTokens(batch: MlmBatch): number {
  let n = 0;
  for (const m of batch.attention_mask) n += m;
  return n;
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
  options: AdaptOptions = {},
  onEvent: (event: AdaptEvent) => void = () => {},
): Promise<AdaptResult> {
  const o = { masking: "random-token" as Masking, ...options };
  const chunkSize = o.chunkSize ?? 32, epochs = o.epochs ?? 1, batchSize = o.batchSize ?? 16, seed = o.seed ?? 42;
  for (const [name, v] of [["chunkSize", chunkSize], ["epochs", epochs], ["batchSize", batchSize]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: expected an integer >= 1, got ${v}`);
  }
  const chunks: Chunk[] = groupTexts(tokenizer.encodeBatch([...texts]), { chunkSize });
  if (chunks.length < 2) {
    throw new Error(`the corpus gives ${chunks.length} chunk(s) of ${chunkSize} tokens; at least 2 are needed`);
  }
  const { train, test } = trainTestSplit(chunks, { testSize: o.testSize ?? 0.1, seed });
  const evalBatches = batchFixed(maskOnce(test, collatorFor(tokenizer, o, new Rng(seed).fork("eval-mask"))), 32, {
    padTokenId: tokenizer.padTokenId,
  });
  const perEpoch = Math.ceil(train.length / batchSize);
  const totalSteps = Math.min(o.maxSteps ?? Infinity, perEpoch * epochs);
  onEvent({
    type: "data",
    texts: texts.length,
    chunks: chunks.length,
    train: train.length,
    eval: test.length,
    totalSteps,
  });

  const prompts = [...(o.prompts ?? [])];
  const fill = async () =>
    prompts.length === 0 ? [] : await fillMask(model, tokenizer, prompts, { topK: 5 }) as FillMaskPrediction[][];
  const before = await evaluateMlm(model, evalBatches);
  onEvent({ type: "eval", phase: "before", result: before });
  const fillBefore = await fill();
  onEvent({ type: "fill", phase: "before", predictions: fillBefore });

  const lr = o.learningRate ?? 1e-3;
  const schedule = linearScheduleWithWarmup({ baseLr: lr, warmupSteps: 0, totalSteps });
  const optimizer = new AdamW(trainableParams(model), { lr, weightDecay: o.weightDecay ?? 0.01 });
  const losses: number[] = [];
  let step = 0, tokens = 0, seconds = 0;
  try {
    for (let epoch = 0; epoch < epochs && step < totalSteps; epoch++) {
      const order = permutation(train.length, new Rng(seed).fork("epoch", epoch));
      for (let b = 0; b < perEpoch && step < totalSteps && !o.signal?.aborted; b++) {
        const t0 = performance.now();
        const rows = order.slice(b * batchSize, (b + 1) * batchSize).map((i) => train[i]);
        const collate: Collator = collatorFor(tokenizer, o, new Rng(seed).fork("collate", step, 0));
        const batch = collate(rows);
        const s = step;
        const pending = enqueueTrainStep(model, [batch], {
          optimizer,
          lr: schedule(s),
          maxGradNorm: o.maxGradNorm ?? 1,
          training: true,
          rngFor: (k) => new Rng(seed).fork("dropout", s, k),
        });
        const r = await readTrainStep(pending);
        if (!r.applied) throw new Error(`step ${s + 1}: the loss or a gradient is not finite (loss ${r.loss})`);
        const dt = (performance.now() - t0) / 1000;
        seconds += dt;
        tokens += realTokens(batch);
        step++;
        losses.push(r.loss);
        onEvent({ type: "step", step, totalSteps, loss: r.loss, lr: schedule(s), tokensPerSecond: tokens / seconds });
        await new Promise((resolve) => setTimeout(resolve, 0)); // a macrotask: a worker's "stop" message is handled now
      }
    }
  } finally {
    optimizer.dispose();
  }
  const after = await evaluateMlm(model, evalBatches);
  onEvent({ type: "eval", phase: "after", result: after });
  const fillAfter = await fill();
  onEvent({ type: "fill", phase: "after", predictions: fillAfter });
  return {
    before,
    after,
    fillBefore,
    fillAfter,
    losses,
    steps: step,
    tokensPerSecond: tokens / Math.max(1e-9, seconds),
    probe: evalBatches[0],
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
