/**
 * The fused-kernel check shared by the WebGPU fused-layer tests: a layer's value and the gradients of a fixed weighting
 * of it, on the tf-op path and on the fused kernels, within 1e-6 relative, and the fused run repeated bit for bit.
 *
 * @module
 */
import { tf } from "../../lib/deps.ts";
import { setFusedKernels } from "../../lib/model/kernels/fused.ts";
import { assert, assertEquals } from "./assert.ts";

/** A deterministic tensor of `shape` (sines of the index; `seed` shifts them, `scale` multiplies). */
export function values(shape: number[], seed: number, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + seed * 1.3) * scale), shape);
}

/** The value of `f(inputs)` and the gradients of `sum(value · w)` (a fixed weighting) for every input. */
async function run(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): Promise<Float32Array[]> {
  const out = tf.tidy(() => {
    const y = f(...inputs);
    const w = values(y.shape, 9);
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), w)))(inputs);
    return [y, ...grads];
  });
  const data = await Promise.all(out.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(out);
  return data;
}

/**
 * Hold `f` on the fused kernels to the tf-op path: value and every input's gradient within 1e-6 of its own largest
 * value (finite), and a second fused run bit-identical. `loose`: inputs (by index) whose gradient is a sum with heavy
 * cancellation, held to 1e-6 of the largest gradient of all inputs instead.
 */
export async function checkFused(
  name: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  loose: number[] = [],
): Promise<void> {
  setFusedKernels(false);
  const ref = await run(f, inputs);
  setFusedKernels(true);
  const fused = await run(f, inputs);
  const again = await run(f, inputs);
  const largest = Math.max(...ref.slice(1).map((r) => r.reduce((m, x) => Math.max(m, Math.abs(x)), 0)));
  ref.forEach((r, i) => {
    const what = i === 0 ? "value" : `gradient ${i - 1}`;
    let diff = 0, scale = 0;
    for (let j = 0; j < r.length; j++) {
      diff = Math.max(diff, Math.abs(fused[i][j] - r[j]));
      scale = Math.max(scale, Math.abs(r[j]));
    }
    if (i > 0 && loose.includes(i - 1)) scale = largest;
    assert(
      Number.isFinite(diff) && diff <= 1e-6 * Math.max(scale, 1e-30),
      `${name} ${what}: max diff ${diff} (scale ${scale})`,
    );
    assertEquals(Array.from(again[i]), Array.from(fused[i]), `${name} ${what}: a second run differs`);
  });
}
