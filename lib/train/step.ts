/**
 * One optimizer step, used by the masked-LM trainer, the sequence classifier and `bench:train`: forward/backward of
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
 * No read-back: {@link enqueueTrainStep} leaves the loss, the gradient norm and the applied flag on the device, and
 * `AdamW.update` decides there whether to apply the update: a non-finite loss or gradient never reaches the weights
 * (`applied: false`; the optimizer then skips every later update too, and the caller stops the run).
 * {@link readTrainStep} reads the three numbers later (the trainer one step late, while the next step runs).
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Rng } from "../data/rng.ts";
import type { MlmBatch } from "../data/types.ts";
import { AdamW } from "./adamw.ts";
import { IGNORE_INDEX, type LabelledBatch } from "./plan.ts";

export type { LabelledBatch } from "./plan.ts";

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
  return batch.labels.some((l) => l !== IGNORE_INDEX);
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
  /** Told when a micro-batch's forward, then its backward, is enqueued (for instrumentation). */
  onPhase?: (phase: "forward" | "backward") => void;
  /**
   * Loss scaling (`--fp16`, a `GradScaler`'s): the backward runs on `loss · scale`, the summed gradients are
   * multiplied by `invScale` before clipping, the loss reported is the unscaled one. A non-finite gradient then skips
   * the update as a non-finite loss does.
   */
  lossScale?: { scale: number; invScale: number };
}

/** What one optimizer step did. */
export interface TrainStepResult {
  /** Sum of the micro-batches' losses, each divided by their number (0 when none has a label). */
  loss: number;
  /** Global gradient norm before clipping (computed with or without clipping). */
  gradNorm: number;
  /** False when the loss or a gradient was not finite: nothing was changed. */
  applied: boolean;
  /** Micro-batches of this step without any label (zero loss, zero gradient). */
  batchesWithoutLabels: number;
}

/** The first half of a step: its loss and summed gradients (device tensors, the caller's to dispose). */
export interface StepGradients {
  /** Sum of the micro-batches' losses, each divided by their number. */
  loss: tf.Scalar;
  /** Summed gradients by parameter name (all-zero when no micro-batch has a label; of the scaled loss with `lossScale`). */
  grads: Map<string, tf.Tensor>;
  /** Micro-batches without any label (skipped). */
  skipped: number;
}

/**
 * The first half of {@link enqueueTrainStep}: forward/backward of each micro-batch with a label, losses and
 * gradients summed (see the module doc). `onPhase` is told when each micro-batch's forward and backward are
 * enqueued (the benchmark counts dispatches per phase with it).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { AdamW } from "./adamw.ts";
 * import { stepGradients } from "./step.ts";
 * const w = tf.variable(tf.scalar(3));
 * const model = { params: new Map([["w", w]]), loss: () => tf.square(w) as tf.Scalar };
 * const batch = { attention_mask: new Int32Array(1), labels: new Int32Array(1) };
 * const { loss, grads } = stepGradients(model, [batch], { optimizer: new AdamW(model.params), lr: 0, maxGradNorm: 0, training: false });
 * if (loss.dataSync()[0] !== 9 || grads.get("w")!.dataSync()[0] !== 6) throw new Error("d(w²)/dw = 2w");
 * ```
 */
export function stepGradients<B extends LabelledBatch>(
  model: TrainableModel<B>,
  batches: readonly B[],
  options: TrainStepOptions,
): StepGradients {
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
    let unscaled: tf.Scalar | undefined;
    const { value: v, grads: g } = tf.variableGrads(() => {
      const loss = tf.div(model.loss(batches[k], { training: options.training, rng }), micro) as tf.Scalar;
      options.onPhase?.("forward");
      if (!options.lossScale) return loss;
      unscaled = tf.keep(loss);
      return tf.mul(loss, options.lossScale.scale) as tf.Scalar;
    }, varList);
    const value = unscaled ?? v;
    if (unscaled) v.dispose();
    options.onPhase?.("backward");
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

/** A step enqueued on the device by {@link enqueueTrainStep}: its results, not read yet. */
export interface PendingStep {
  /** The step's loss (device scalar). */
  loss: tf.Scalar;
  /** Global gradient norm before clipping (device scalar). */
  gradNorm: tf.Scalar;
  /** 1 when the update was applied, 0 when the loss or a gradient was not finite (device scalar). */
  applied: tf.Scalar;
  /** Micro-batches of this step without any label (known on the CPU). */
  batchesWithoutLabels: number;
}

/**
 * The optimizer step (see the module doc): enqueue forward/backward of each micro-batch and
 * `AdamW.update` (global-norm clip + AdamW, applied only when the loss and every gradient are finite, decided on the
 * device). Reads nothing back: the loss, gradient norm and applied flag stay on the device until
 * {@link readTrainStep}, so a loop can enqueue the next step before reading this one.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { AdamW } from "./adamw.ts";
 * import { enqueueTrainStep, readTrainStep } from "./step.ts";
 * const w = tf.variable(tf.scalar(2));
 * const model = { params: new Map([["w", w]]), loss: () => tf.square(w) as tf.Scalar };
 * const batch = { input_ids: new Int32Array(1), attention_mask: new Int32Array(1), labels: new Int32Array(1), shape: [1, 1] as [number, number] };
 * const pending = enqueueTrainStep(model, [batch], { optimizer: new AdamW(model.params, { weightDecay: 0 }), lr: 0.1, maxGradNorm: 1, training: false });
 * const r = await readTrainStep(pending);
 * if (r.loss !== 4 || r.gradNorm !== 4 || !r.applied || Math.abs(w.dataSync()[0] - 1.9) > 1e-6) throw new Error("one step");
 * ```
 */
export function enqueueTrainStep<B extends LabelledBatch>(
  model: TrainableModel<B>,
  batches: readonly B[],
  options: TrainStepOptions,
): PendingStep {
  if (batches.length === 0) throw new Error("trainStep: no batches");
  const { loss, grads, skipped } = stepGradients(model, batches, options);
  try {
    const { gradNorm, applied } = options.optimizer.update(grads, {
      lr: options.lr,
      maxGradNorm: options.maxGradNorm,
      loss,
      gradScale: options.lossScale?.invScale, // the gradients are of the scaled loss
    });
    return { loss, gradNorm, applied, batchesWithoutLabels: skipped };
  } finally {
    tf.dispose([...grads.values()]);
  }
}

/**
 * Read a {@link PendingStep}'s loss, gradient norm and applied flag (one read-back of three floats) and dispose its
 * scalars.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { readTrainStep } from "./step.ts";
 * const r = await readTrainStep({ loss: tf.scalar(2), gradNorm: tf.scalar(0.5), applied: tf.scalar(1), batchesWithoutLabels: 0 });
 * if (r.loss !== 2 || r.gradNorm !== 0.5 || !r.applied) throw new Error("read");
 * ```
 */
export async function readTrainStep(step: PendingStep): Promise<TrainStepResult> {
  const all = tf.tidy(() => tf.stack([step.loss, step.gradNorm, step.applied]));
  tf.dispose([step.loss, step.gradNorm, step.applied]);
  try {
    const [loss, gradNorm, applied] = await all.data();
    return { loss, gradNorm, applied: applied === 1, batchesWithoutLabels: step.batchesWithoutLabels };
  } finally {
    all.dispose();
  }
}

/**
 * One optimizer step, read back at once: {@link enqueueTrainStep} then {@link readTrainStep} (for callers that do
 * not pipeline, such as parity tests). A NaN/Inf loss or gradient leaves the weights untouched (`applied: false`).
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
  return await readTrainStep(enqueueTrainStep(model, batches, options));
}

/** Per-phase means of {@link profileSteps}, in milliseconds. */
export interface StepPhaseTimes {
  /** The loss alone (dropout on). */
  forward_ms: number;
  /** `variableGrads` minus the forward. */
  backward_ms: number;
  /** `AdamW.update`: global-norm clip + AdamW. */
  optimizer_ms: number;
}

/** Wait for everything queued so far: read one element of `t`. */
async function syncOn(t: tf.Tensor): Promise<void> {
  const one = tf.tidy(() => tf.slice(t.reshape([-1]), 0, 1));
  await one.data();
  one.dispose();
}

/**
 * Time the phases of `batches.length` optimizer steps with a sync after each phase: the forward (the loss alone),
 * forward + backward ({@link stepGradients}), the optimizer (`AdamW.update`). The backward is the second minus the
 * first. Trains `model` with a fresh AdamW at a constant `lr` (the benchmark's split-phase mode).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { Rng } from "../data/rng.ts";
 * import { profileSteps } from "./step.ts";
 * const w = tf.variable(tf.scalar(2));
 * const model = { params: new Map([["w", w]]), loss: () => tf.square(w) as tf.Scalar };
 * const batch = { attention_mask: new Int32Array(1), labels: new Int32Array(1) };
 * const t = await profileSteps(model, [batch], { lr: 0.1, maxGradNorm: 1, dropout: (i) => new Rng(i) });
 * if (!(t.optimizer_ms >= 0) || !(w.dataSync()[0] < 2)) throw new Error("one timed step");
 * ```
 */
export async function profileSteps<B extends LabelledBatch>(
  model: TrainableModel<B>,
  batches: readonly B[],
  options: { lr: number; maxGradNorm: number; fused?: boolean; dropout: (i: number) => Rng },
  log: (line: string) => void = () => {},
): Promise<StepPhaseTimes> {
  const optimizer = new AdamW(trainableParams(model), { lr: options.lr, weightDecay: 0.01, fused: options.fused });
  const lastParam = [...optimizer.params.values()].at(-1)!;
  const f: number[] = [], fb: number[] = [], o: number[] = [];
  try {
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i], rng = options.dropout(i);
      const a = performance.now();
      const fwd = tf.tidy(() => model.loss(batch, { training: true, rng }));
      await fwd.data();
      fwd.dispose();
      const b = performance.now();
      const { loss, grads } = stepGradients(model, [batch], {
        optimizer,
        lr: options.lr,
        maxGradNorm: options.maxGradNorm,
        training: true,
        rngFor: () => rng,
      });
      await syncOn([...grads.values()].at(-1)!);
      const c = performance.now();
      const r = optimizer.update(grads, { lr: options.lr, maxGradNorm: options.maxGradNorm, loss });
      await syncOn(lastParam);
      const d = performance.now();
      tf.dispose([loss, ...grads.values(), r.gradNorm, r.applied]);
      f.push(b - a), fb.push(c - b), o.push(d - c);
      log(
        `split step ${i + 1}/${batches.length}: forward ${(b - a).toFixed(1)} ms, fwd+bwd ${(c - b).toFixed(1)} ms, ` +
          `optimizer ${(d - c).toFixed(1)} ms`,
      );
    }
  } finally {
    optimizer.dispose();
  }
  const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
  return { forward_ms: mean(f), backward_ms: Math.max(0, mean(fb) - mean(f)), optimizer_ms: mean(o) };
}
