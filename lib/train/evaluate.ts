/**
 * Deterministic masked-LM evaluation: the eval set is masked once (see `lib/collate`), then every batch's mean
 * masked-token loss is computed in eval mode (no dropout). `eval_loss` is Hugging Face Trainer's: each batch's mean
 * repeated by its number of rows, then averaged (`evaluation_loop` with `loss.repeat(batch_size)`);
 * `perplexity = exp(eval_loss)`. The token-weighted mean (every masked token counts once) is reported beside it.
 *
 * A batch without any masked token (possible with tiny batches of short chunks) has no loss: it is skipped in both
 * means (in PyTorch its mean over no token is NaN and would poison `eval_loss`) and counted in
 * `eval_batches_without_labels`. An eval set where no batch has a masked token fails clearly.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { MlmBatch } from "../data/types.ts";
import { countLabels } from "../data/types.ts";

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
  /** Batches skipped because they have no masked token. */
  eval_batches_without_labels: number;
  /** Seconds spent. */
  eval_runtime: number;
}

/** Options of {@link evaluateMlm}. */
export interface EvaluateOptions {
  /** Called after each batch with (done, total). */
  onBatch?: (done: number, total: number) => void;
}

/**
 * Evaluate `model` on pre-masked `batches`; batches with no masked token are skipped and counted (see the module
 * doc).
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
  let rowSum = 0, rows = 0, tokenSum = 0, tokens = 0, withoutLabels = 0;
  for (let i = 0; i < batches.length; i++) {
    const batch = batches[i];
    const masked = countLabels(batch);
    if (masked === 0) {
      withoutLabels++;
      options.onBatch?.(i + 1, batches.length);
      continue;
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
  if (tokens === 0) {
    throw new Error(
      `evaluateMlm: none of the ${batches.length} eval batches has a masked token; the loss is undefined`,
    );
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
    eval_batches_without_labels: withoutLabels,
    eval_runtime: (performance.now() - t0) / 1000,
  };
}
