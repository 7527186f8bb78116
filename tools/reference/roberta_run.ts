/**
 * The 50-step AdamW run on the random tiny RoBERTa (tests/model/roberta_fixture.ts), shared by
 * tools/reference/export_roberta_run.ts (which hands its batches to train_roberta_reference.py) and
 * tests/train/roberta_steps_test.ts: the demo corpus tokenized by roberta-base into 32-token chunks, 50 batches of 16
 * from the random-token collator (seed 1234), AdamW lr 1e-3 with 5 warm-up steps, weight decay 0.01, clipping at 1.0,
 * eval mode — the settings of reference_run.ts.
 *
 * @module
 */
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { readTexts } from "../../lib/data/records.ts";
import { createMlmCollator } from "../../lib/collate/mlm.ts";
import type { MlmBatch } from "../../lib/data/types.ts";
import { Rng } from "../../lib/data/rng.ts";
import { DEMO_FIXTURE_DIR, textsToChunks } from "../../lib/app/demo.ts";
import { REFERENCE_ARGS, type ReferenceRunResult } from "./reference_run.ts";
import { AdamW } from "../../lib/train/adamw.ts";
import { linearScheduleWithWarmup } from "../../lib/train/schedule.ts";
import { trainableParams, trainStep } from "../../lib/train/trainer.ts";

/** The run's settings: reference_run.ts's, with 32-token chunks (the tiny model has 38 positions). */
export const ROBERTA_RUN_ARGS = { ...REFERENCE_ARGS, chunk_size: 32 } as const;

/** The 50 batches, from the tokenizer in `modelDir`. */
export async function robertaBatches(modelDir: string): Promise<MlmBatch[]> {
  const tokenizer = await loadTokenizer(modelDir);
  const texts: string[] = [];
  for await (const t of readTexts(`${DEMO_FIXTURE_DIR}/corpus/movie_reviews.jsonl`)) texts.push(t);
  const chunks = textsToChunks(texts, tokenizer, { chunkSize: ROBERTA_RUN_ARGS.chunk_size });
  const collate = createMlmCollator({
    maskTokenId: tokenizer.maskTokenId,
    vocabSize: tokenizer.vocabSize,
    specialIds: tokenizer.allSpecialIds,
    padTokenId: tokenizer.padTokenId,
    rng: new Rng(ROBERTA_RUN_ARGS.collator_seed),
  });
  const n = ROBERTA_RUN_ARGS.batch_size;
  return Array.from(
    { length: ROBERTA_RUN_ARGS.total_steps },
    (_, step) => collate(Array.from({ length: n }, (_, i) => chunks[(step * n + i) % chunks.length])),
  );
}

/** Train the model in `modelDir` on `batches` (eval mode, as PyTorch's side). */
export async function runRoberta(modelDir: string, batches: readonly MlmBatch[]): Promise<ReferenceRunResult> {
  const args = ROBERTA_RUN_ARGS;
  const model = await loadMaskedLM(modelDir);
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
  const losses: number[] = [], lrs: number[] = [];
  for (let step = 0; step < batches.length; step++) {
    const lr = schedule(step);
    const r = await trainStep(model, [batches[step]], {
      optimizer,
      lr,
      maxGradNorm: args.max_grad_norm,
      training: false,
    });
    losses.push(r.loss);
    lrs.push(lr);
  }
  return { model, losses, lrs };
}
