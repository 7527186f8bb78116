/**
 * The 50-step training run that `train_reference.py` repeats in PyTorch: the demo's tiny DistilBERT on the demo
 * movie reviews (64-token chunks), 16 rows a step through the MLM collator (seed 1234), AdamW lr 1e-3, weight decay
 * 0.01, linear schedule with 5 warm-up steps of 50, clipping at 1.0, eval mode (no dropout randomness to reproduce).
 * Used by `export_train_reference.ts` (writes the inputs for PyTorch) and by `tests/train/reference_steps_test.ts`
 * (checks our run against the PyTorch result committed in `fixtures/reference/train_50_steps.safetensors`, which
 * `train_reference.py OUT_DIR` compares with and only `train_reference.py OUT_DIR --regenerate` rewrites).
 *
 * @module
 */
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import type { MaskedLM } from "../../lib/model/masked_lm.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { readTexts } from "../../lib/data/records.ts";
import { createMlmCollator } from "../../lib/collate/mlm.ts";
import type { MlmBatch } from "../../lib/data/types.ts";
import { Rng } from "../../lib/data/rng.ts";
import { AdamW } from "../../lib/train/adamw.ts";
import { GradScaler } from "../../lib/train/grad_scaler.ts";
import { linearScheduleWithWarmup } from "../../lib/train/schedule.ts";
import { trainableParams, trainStep } from "../../lib/train/trainer.ts";
import { DEMO_FIXTURE_DIR, textsToChunks } from "../../lib/app/demo.ts";

/** The run's settings, as `train_reference.py` reads them from `args.json`. */
export const REFERENCE_ARGS = {
  lr: 1e-3,
  weight_decay: 0.01,
  warmup_steps: 5,
  total_steps: 50,
  max_grad_norm: 1.0,
  betas: [0.9, 0.999],
  eps: 1e-8,
  batch_size: 16,
  chunk_size: 64,
  collator_seed: 1234,
} as const;

/** The folder of the starting weights and tokenizer. */
export const REFERENCE_MODEL_DIR = `${DEMO_FIXTURE_DIR}/model`;

/**
 * Every step's batch, made as the run makes them: the demo corpus tokenized by the tokenizer in `modelDir` into
 * `chunkSize`-token chunks (defaults: the demo model, {@link REFERENCE_ARGS}' 64).
 */
export async function referenceBatches(
  modelDir: string = REFERENCE_MODEL_DIR,
  chunkSize: number = REFERENCE_ARGS.chunk_size,
): Promise<MlmBatch[]> {
  const tokenizer = await loadTokenizer(modelDir);
  const texts: string[] = [];
  for await (const t of readTexts(`${DEMO_FIXTURE_DIR}/corpus/movie_reviews.jsonl`)) texts.push(t);
  const chunks = textsToChunks(texts, tokenizer, { chunkSize });
  const collate = createMlmCollator({
    maskTokenId: tokenizer.maskTokenId,
    vocabSize: tokenizer.vocabSize,
    specialIds: tokenizer.allSpecialIds,
    padTokenId: tokenizer.padTokenId,
    rng: new Rng(REFERENCE_ARGS.collator_seed),
  });
  const n = REFERENCE_ARGS.batch_size;
  return Array.from(
    { length: REFERENCE_ARGS.total_steps },
    (_, step) => collate(Array.from({ length: n }, (_, i) => chunks[(step * n + i) % chunks.length])),
  );
}

/**
 * sha256 (hex) of every batch's `input_ids`, `attention_mask`, `labels` as little-endian int32, step by step —
 * `hf_port.int_digest` computes the same over the exported tensors.
 */
export async function batchDigest(batches: readonly MlmBatch[]): Promise<string> {
  const parts: Uint8Array[] = [];
  for (const b of batches) {
    for (const f of ["input_ids", "attention_mask", "labels"] as const) {
      const a = Int32Array.from(b[f]);
      parts.push(new Uint8Array(a.buffer)); // x86/ARM: little-endian
    }
  }
  const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) all.set(p, (o += p.length) - p.length);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return [...hash].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** What {@link runReference} returns. */
export interface ReferenceRunResult {
  /** The model after the last step. */
  model: MaskedLM;
  /** Each step's loss (before its update). */
  losses: number[];
  /** Each step's learning rate. */
  lrs: number[];
  /** With `fp16`: the loss scale each step ran with. */
  scales?: number[];
  /** With `fp16`: whether each step was skipped (an inf/NaN gradient). */
  skipped?: boolean[];
}

/**
 * Load the starting weights (`modelDir`, default the demo model) and take the run's steps over `batches` on the
 * active backend; `fp16` adds loss scaling (the backend set up for half precision by the caller).
 */
export async function runReference(
  batches: readonly MlmBatch[],
  options: { fp16?: boolean; modelDir?: string } = {},
): Promise<ReferenceRunResult> {
  const args = REFERENCE_ARGS;
  const model = await loadMaskedLM(options.modelDir ?? REFERENCE_MODEL_DIR);
  const optimizer = new AdamW(trainableParams(model), {
    lr: args.lr,
    weightDecay: args.weight_decay,
    betas: [...args.betas] as [number, number],
    eps: args.eps,
  });
  const schedule = linearScheduleWithWarmup({
    baseLr: args.lr,
    warmupSteps: args.warmup_steps,
    totalSteps: args.total_steps,
  });
  const losses: number[] = [], lrs: number[] = [], scales: number[] = [], skipped: boolean[] = [];
  // --fp16: torch.amp.GradScaler's loss scaling; a skipped step advances neither AdamW nor the schedule (HF Trainer)
  const scaler = options.fp16 ? new GradScaler() : undefined;
  let applied = 0;
  for (let step = 0; step < batches.length; step++) {
    const lr = schedule(applied);
    const r = await trainStep(model, [batches[step]], {
      optimizer,
      lr,
      maxGradNorm: args.max_grad_norm,
      training: false,
      lossScale: scaler ? { scale: scaler.scale, invScale: scaler.invScale } : undefined,
    });
    if (scaler) {
      scales.push(scaler.scale);
      skipped.push(!r.applied);
      scaler.update(!r.applied);
      if (!r.applied) optimizer.stepSkipped();
    }
    if (r.applied) applied += 1;
    losses.push(r.loss);
    lrs.push(lr);
  }
  return { model, losses, lrs, ...(scaler ? { scales, skipped } : {}) };
}
