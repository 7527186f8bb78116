/**
 * ONE optimizer step, used by the masked-LM trainer, the sequence classifier and `bench:train`: forward/backward of
 * each micro-batch (its loss divided by the number of micro-batches, as HF's gradient accumulation) inside
 * `tf.variableGrads`, gradients summed, global-norm clipping, AdamW at this step's learning rate.
 *
 * Batches without a label. A micro-batch whose labels are all -100 (the masking collator may mask nothing in a batch of
 * one 8-token chunk) contributes zero loss and zero gradient: it is not run through the model (its loss, a mean over
 * no token, is NaN in PyTorch and has no path to the weights in tfjs). The step still counts: when no micro-batch of
 * the step has a label, AdamW still advances with all-zero gradients — its step count grows, the moments decay and
 * weight decay applies, exactly as torch's AdamW does with zero gradients (not as with `grad is None`, which skips).
 * The number of such micro-batches is reported ({@link TrainStepResult.batchesWithoutLabels}) and logged.
 *
 * A non-finite loss or gradient never reaches the weights: the step is not applied (`applied: false`) and the caller
 * stops the run.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Rng } from "../data/rng.ts";
import type { MlmBatch } from "../data/types.ts";
import type { AdamW } from "./adamw.ts";
import { clipGradNorm } from "./clip.ts";

/** What a training batch must hold: labels (-100 where no loss is taken) and the attention mask. */
export interface LabelledBatch {
  /** 1 for real tokens, 0 for padding. */
  attention_mask: Int32Array;
  /** Target ids, -100 where no loss is taken. */
  labels: Int32Array;
}

/**
 * The part of a model training needs: its parameters and the loss of a batch `B` (`MaskedLM` from `lib/model` has it
 * for `MlmBatch`, the sequence classifiers for `ClassificationBatch`).
 */
export interface TrainableModel<B = MlmBatch> {
  /** Trainable parameters by HF name. */
  params: Map<string, tf.Variable>;
  /** Mean loss of the batch (masked-token cross-entropy for MLM); `training` turns dropout on, drawing from `rng`. */
  loss(batch: B, options: { training: boolean; rng?: Rng }): tf.Scalar;
}

/**
 * The parameters an optimizer updates: the trainable ones (sinusoidal position tables are not, as in PyTorch).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { trainableParams } from "./step.ts";
 * const params = new Map([["a", tf.variable(tf.zeros([1]))], ["b", tf.variable(tf.zeros([1]), false)]]);
 * if ([...trainableParams({ params }).keys()].join() !== "a") throw new Error("trainable only");
 * ```
 */
export function trainableParams(model: { params: Map<string, tf.Variable> }): Map<string, tf.Variable> {
  return new Map([...model.params].filter(([, v]) => v.trainable));
}

/**
 * Whether `batch` has at least one label other than -100.
 *
 * @example
 * ```ts
 * import { hasLabels } from "./step.ts";
 * if (hasLabels({ labels: new Int32Array([-100, -100]) })) throw new Error("none");
 * ```
 */
export function hasLabels(batch: { labels: Int32Array }): boolean {
  for (const l of batch.labels) if (l !== -100) return true;
  return false;
}

/** Options of {@link trainStep}. */
export interface TrainStepOptions {
  /** The optimizer (over {@link trainableParams}). */
  optimizer: AdamW;
  /** Learning rate of this step. */
  lr: number;
  /** Global-norm clip (0: none). */
  maxGradNorm: number;
  /** Dropout on (training) or off (eval mode, as the goldens). */
  training: boolean;
  /** Dropout generator of micro-batch `k`. */
  rngFor?: (k: number) => Rng;
}

/** What one optimizer step did. */
export interface TrainStepResult {
  /** Sum of the micro-batches' losses, each divided by their number (0 when none has a label). */
  loss: number;
  /** Global gradient norm before clipping (NaN when not clipping). */
  gradNorm: number;
  /** False when the loss or the gradient norm was not finite: nothing was changed. */
  applied: boolean;
  /** Micro-batches of this step without any label (zero loss, zero gradient). */
  batchesWithoutLabels: number;
}

/** Loss and summed gradients of `batches` (micro-batches without labels skipped; all-zero gradients if none left). */
function lossAndGrads<B extends LabelledBatch>(
  model: TrainableModel<B>,
  batches: readonly B[],
  options: TrainStepOptions,
): { loss: tf.Scalar; grads: Map<string, tf.Tensor>; skipped: number } {
  const params = options.optimizer.params;
  const varList = [...params.values()];
  const nameOf = new Map([...params].map(([name, v]) => [v.name, name]));
  const micro = batches.length;
  let loss: tf.Scalar = tf.scalar(0);
  const grads = new Map<string, tf.Tensor>();
  let skipped = 0;
  for (let k = 0; k < micro; k++) {
    if (!hasLabels(batches[k])) {
      skipped++;
      continue;
    }
    const rng = options.rngFor?.(k);
    const { value, grads: g } = tf.variableGrads(
      () => tf.div(model.loss(batches[k], { training: options.training, rng }), micro) as tf.Scalar,
      varList,
    );
    for (const [vname, t] of Object.entries(g)) {
      const name = nameOf.get(vname);
      if (name === undefined) throw new Error(`trainStep: gradient for unknown variable ${vname}`);
      const prev = grads.get(name);
      grads.set(name, prev ? tf.tidy(() => tf.add(prev, t)) : t);
      if (prev) tf.dispose([prev, t]);
    }
    const prevLoss = loss;
    loss = tf.tidy(() => tf.add(prevLoss, value)) as tf.Scalar;
    tf.dispose([prevLoss, value]);
  }
  if (skipped === micro) { for (const [name, p] of params) grads.set(name, tf.zerosLike(p)); }
  return { loss, grads, skipped };
}

/**
 * One optimizer step over `batches` (see the module doc: gradient accumulation, clipping, AdamW, micro-batches
 * without labels). A NaN/Inf loss or gradient norm leaves the weights and optimizer untouched (`applied: false`).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { AdamW } from "./adamw.ts";
 * import { trainStep } from "./step.ts";
 * const w = tf.variable(tf.scalar(2));
 * const model = { params: new Map([["w", w]]), loss: () => tf.square(w) as tf.Scalar };
 * const batch = { input_ids: new Int32Array(1), attention_mask: new Int32Array(1), labels: new Int32Array(1), shape: [1, 1] as [number, number] };
 * const r = await trainStep(model, [batch], { optimizer: new AdamW(model.params, { weightDecay: 0 }), lr: 0.1, maxGradNorm: 1, training: false });
 * if (r.loss !== 4 || Math.abs(w.dataSync()[0] - 1.9) > 1e-6) throw new Error("one step");
 * ```
 */
export async function trainStep<B extends LabelledBatch>(
  model: TrainableModel<B>,
  batches: readonly B[],
  options: TrainStepOptions,
): Promise<TrainStepResult> {
  if (batches.length === 0) throw new Error("trainStep: no batches");
  const { optimizer, lr, maxGradNorm } = options;
  const { loss: lossT, grads, skipped } = lossAndGrads(model, batches, options);
  const batchesWithoutLabels = skipped;
  try {
    const loss = (await lossT.data())[0];
    if (!Number.isFinite(loss)) return { loss, gradNorm: NaN, applied: false, batchesWithoutLabels };
    if (!(maxGradNorm > 0)) {
      optimizer.step(grads, lr);
      return { loss, gradNorm: NaN, applied: true, batchesWithoutLabels };
    }
    const clipped = clipGradNorm(grads, { maxNorm: maxGradNorm });
    try {
      const gradNorm = (await clipped.totalNorm.data())[0];
      if (!Number.isFinite(gradNorm)) return { loss, gradNorm, applied: false, batchesWithoutLabels };
      optimizer.step(clipped.grads, lr);
      return { loss, gradNorm, applied: true, batchesWithoutLabels };
    } finally {
      tf.dispose([...clipped.grads.values(), clipped.totalNorm]);
    }
  } finally {
    tf.dispose([lossT, ...grads.values()]);
  }
}
