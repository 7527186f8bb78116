/**
 * Deterministic masked-LM evaluation: the eval set is masked once (see `lib/collate`), then every batch's mean
 * masked-token loss is computed in eval mode (no dropout). `eval_loss` is Hugging Face Trainer's: each batch's mean
 * repeated by its number of rows, then averaged (`evaluation_loop` with `loss.repeat(batch_size)`);
 * `perplexity = exp(eval_loss)`. The token-weighted mean (every masked token counts once) is reported beside it.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { MlmBatch } from "../data/types.ts";

/** The part of a masked-LM model that evaluation needs (`MaskedLM` from `lib/model` has it). */
export interface LossModel {
  /** Mean cross-entropy over positions whose label is not -100. */
  loss(batch: MlmBatch, options: { training: boolean }): tf.Scalar;
}

/** Evaluation results, with HF's metric names. */
export interface EvalResult {
  /** Row-weighted mean of per-batch mean losses (HF Trainer's `eval_loss`). */
  eval_loss: number;
  /** `exp(eval_loss)`, as the course computes it. */
  perplexity: number;
  /** Mean over every masked token of the eval set. */
  eval_loss_token_weighted: number;
  /** `exp(eval_loss_token_weighted)`. */
  perplexity_token_weighted: number;
  /** Rows evaluated. */
  eval_samples: number;
  /** Positions with a label (masked tokens). */
  eval_masked_tokens: number;
  /** Seconds spent. */
  eval_runtime: number;
}

/** Options of {@link evaluateMlm}. */
export interface EvaluateOptions {
  /** Called after each batch with (done, total). */
  onBatch?: (done: number, total: number) => void;
}

/** Number of positions in `batch` with a label other than -100. */
export function countMasked(batch: MlmBatch): number {
  let n = 0;
  for (const l of batch.labels) if (l !== -100) n++;
  return n;
}

/**
 * Evaluate `model` on pre-masked `batches`. A batch with no masked token is skipped in the token-weighted mean; its
 * loss (NaN in HF) would poison `eval_loss`, so such a batch fails clearly instead.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { evaluateMlm } from "./evaluate.ts";
 * const model = { loss: () => tf.scalar(Math.log(10)) };
 * const batch = {
 *   input_ids: new Int32Array(4), attention_mask: new Int32Array(4).fill(1),
 *   labels: new Int32Array([5, -100, -100, -100]), shape: [2, 2] as [number, number],
 * };
 * const r = await evaluateMlm(model, [batch]);
 * if (Math.abs(r.perplexity - 10) > 1e-4) throw new Error("perplexity");
 * ```
 */
export async function evaluateMlm(
  model: LossModel,
  batches: readonly MlmBatch[],
  options: EvaluateOptions = {},
): Promise<EvalResult> {
  if (batches.length === 0) throw new Error("evaluateMlm: the eval set is empty");
  const t0 = performance.now();
  let rowSum = 0, rows = 0, tokenSum = 0, tokens = 0;
  for (let i = 0; i < batches.length; i++) {
    const batch = batches[i];
    const masked = countMasked(batch);
    if (masked === 0) {
      throw new Error(`evaluateMlm: eval batch ${i} has no masked token (labels are all -100); its loss is undefined`);
    }
    const lossT = tf.tidy(() => model.loss(batch, { training: false }));
    const loss = (await lossT.data())[0];
    lossT.dispose();
    const n = batch.shape[0];
    rowSum += loss * n;
    rows += n;
    tokenSum += loss * masked;
    tokens += masked;
    options.onBatch?.(i + 1, batches.length);
  }
  const eval_loss = rowSum / rows;
  const tokenWeighted = tokenSum / tokens;
  return {
    eval_loss,
    perplexity: Math.exp(eval_loss),
    eval_loss_token_weighted: tokenWeighted,
    perplexity_token_weighted: Math.exp(tokenWeighted),
    eval_samples: rows,
    eval_masked_tokens: tokens,
    eval_runtime: (performance.now() - t0) / 1000,
  };
}
