/**
 * The 50-step AdamW run on the random tiny RoBERTa (tests/model/roberta_fixture.ts), shared by
 * tools/reference/export_roberta_run.ts (which hands its batches to train_roberta_reference.py) and
 * tests/train/roberta_steps_test.ts: the demo corpus tokenized by roberta-base into 32-token chunks, 50 batches of 16
 * from the random-token collator (seed 1234), AdamW lr 1e-3 with 5 warm-up steps, weight decay 0.01, clipping at 1.0,
 * eval mode — the settings of reference_run.ts.
 *
 * @module
 */
import type { MlmBatch } from "../../lib/data/types.ts";
import { REFERENCE_ARGS, referenceBatches, type ReferenceRunResult, runReference } from "./reference_run.ts";

/** The run's settings: reference_run.ts's, with 32-token chunks (the tiny model has 38 positions). */
export const ROBERTA_RUN_ARGS = { ...REFERENCE_ARGS, chunk_size: 32 } as const;

/** The 50 batches, from the tokenizer in `modelDir`. */
export function robertaBatches(modelDir: string): Promise<MlmBatch[]> {
  return referenceBatches(modelDir, ROBERTA_RUN_ARGS.chunk_size);
}

/** Train the model in `modelDir` on `batches` (eval mode, as PyTorch's side). */
export function runRoberta(modelDir: string, batches: readonly MlmBatch[]): Promise<ReferenceRunResult> {
  return runReference(batches, { modelDir });
}
