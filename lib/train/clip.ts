/**
 * Global-norm gradient clipping with `torch.nn.utils.clip_grad_norm_` semantics: the L2 norm of all gradients
 * together, `coef = max_norm / (total_norm + 1e-6)` clamped to 1, every gradient multiplied by `coef`. Everything
 * stays on the device (no read-back), so it costs no synchronisation on WebGPU.
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
    const norms = [...grads.values()].map((g) => tf.norm(g));
    totalNorm = tf.keep(tf.norm(tf.stack(norms)) as tf.Scalar);
    const coef = tf.minimum(tf.div(maxNorm, tf.add(totalNorm, 1e-6)), 1);
    for (const [name, g] of grads) out.set(name, tf.keep(tf.mul(g, coef)));
  });
  return { grads: out, totalNorm: totalNorm! };
}
