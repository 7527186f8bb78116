/**
 * Global-norm gradient clipping with `torch.nn.utils.clip_grad_norm_` semantics: the L2 norm of all gradients
 * together, `coef = max_norm / (total_norm + 1e-6)` clamped to 1, every gradient multiplied by `coef`. Everything
 * stays on the device (no read-back), so it costs no synchronisation on WebGPU.
 *
 * `AdamW.update` (`adamw.ts`) clips with these functions on the tf-op path; an optimizer built on webgpu computes the
 * same norm and coefficient with two multi-tensor kernels instead (`lib/model/kernels/webgpu_grad_norm.ts`; ~5 tf ops
 * per gradient here).
 *
 * @module
 */
import { tf } from "../deps.ts";

/** Options of {@link clipGradNorm}. */
export interface ClipOptions {
  /** Largest allowed global norm (TrainingArguments `max_grad_norm`, 1.0 by default). */
  maxNorm: number;
}

/** Clipped gradients (new tensors, caller disposes) and the global norm before clipping (a scalar tensor). */
export interface ClipResult {
  /** Gradients scaled by `min(1, maxNorm / (norm + 1e-6))`, same keys. */
  grads: Map<string, tf.Tensor>;
  /** Global L2 norm before clipping. */
  totalNorm: tf.Scalar;
}

/**
 * Scale `grads` so that their global L2 norm is at most `maxNorm`. The inputs are left untouched.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { clipGradNorm } from "./clip.ts";
 * const { grads, totalNorm } = clipGradNorm(new Map([["w", tf.tensor([3, 4])]]), { maxNorm: 1 });
 * if (Math.abs(totalNorm.dataSync()[0] - 5) > 1e-6) throw new Error("norm");
 * if (Math.abs(grads.get("w")!.dataSync()[0] - 0.6) > 1e-6) throw new Error("scaled");
 * ```
 */
export function clipGradNorm(grads: Map<string, tf.Tensor>, options: ClipOptions): ClipResult {
  const { maxNorm } = options;
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  if (grads.size === 0) throw new Error("clipGradNorm: no gradients");
  const out = new Map<string, tf.Tensor>();
  let totalNorm: tf.Scalar | undefined;
  tf.tidy(() => {
    totalNorm = tf.keep(globalGradNorm(grads));
    const coef = clipCoefficient(totalNorm, maxNorm);
    for (const [name, g] of grads) out.set(name, tf.keep(tf.mul(g, coef)));
  });
  return { grads: out, totalNorm: totalNorm! };
}

/**
 * The global L2 norm of all gradients together, as `clip_grad_norm_` computes it: the norm of the per-tensor norms
 * (a scalar tensor; NaN or Infinity when a gradient is not finite). The tf ops {@link clipGradNorm} runs.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { globalGradNorm } from "./clip.ts";
 * const norm = globalGradNorm(new Map([["a", tf.tensor([3])], ["b", tf.tensor([0, 4])]]));
 * if (Math.abs(norm.dataSync()[0] - 5) > 1e-6) throw new Error("sqrt(3² + 4²)");
 * ```
 */
export function globalGradNorm(grads: Map<string, tf.Tensor>): tf.Scalar {
  if (grads.size === 0) throw new Error("globalGradNorm: no gradients");
  return tf.tidy(() => tf.norm(tf.stack([...grads.values()].map((g) => tf.norm(g)))) as tf.Scalar);
}

/**
 * `clip_grad_norm_`'s factor: `min(1, maxNorm / (totalNorm + 1e-6))`, in f32 tf ops (a scalar tensor).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { clipCoefficient } from "./clip.ts";
 * if (clipCoefficient(tf.scalar(0.5), 1).dataSync()[0] !== 1) throw new Error("small norms are not scaled");
 * ```
 */
export function clipCoefficient(totalNorm: tf.Scalar, maxNorm: number): tf.Scalar {
  return tf.tidy(() => tf.minimum(tf.div(maxNorm, tf.add(totalNorm, 1e-6)), 1) as tf.Scalar);
}
