/**
 * Inverted dropout on tfjs-backend-webgpu in one dispatch: `y = x · floor(u + keep) / keep` for uniform draws `u` in
 * [0, 1), the arithmetic of `tf.dropout` (which runs it as four element-wise kernels). The draws come from
 * `tf.randomUniform` with the caller's seed (generated on the CPU and uploaded, as `tf.dropout` does), so a seed gives
 * the same mask as `tf.dropout` on every backend. The backward is the same kernel on `dy`.
 *
 * @module
 */
import type { tf } from "../../deps.ts";
import { flatDispatch, runProgram } from "./webgpu_kernel.ts";

/** Threads per workgroup. */
const THREADS = 64;

/**
 * WGSL of `dropout_apply`.
 *
 * @example
 * ```ts
 * import { DROPOUT_SOURCE } from "./webgpu_dropout.ts";
 * if (!DROPOUT_SOURCE.includes("floor(U[index] + uniforms.keep)")) throw new Error("tf.dropout's mask");
 * ```
 */
export const DROPOUT_SOURCE = `
fn main(index : i32) {
  if (index < uniforms.n) {
    result[index] = X[index] * (floor(U[index] + uniforms.keep) / uniforms.keep);
  }
}`;

/**
 * `dropout_apply`: `x · floor(u + keep) / keep` element-wise (`u` shaped like `x`); one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { dropoutApply } from "./webgpu_dropout.ts";
 * if (tf.getBackend() === "webgpu") dropoutApply(tf.ones([2]), tf.tensor1d([0.1, 0.9]), 0.5).dispose(); // [0, 2]
 * ```
 */
export function dropoutApply(x: tf.Tensor, u: tf.Tensor, keep: number): tf.Tensor {
  if (u.size !== x.size) throw new Error(`dropoutApply: ${u.size} draws for ${x.size} values`);
  const spec = {
    name: "dropout_apply",
    inputs: ["X", "U"],
    outputShape: x.shape,
    workgroupSize: THREADS,
    dispatch: flatDispatch(x.size, THREADS),
    uniforms: "n : i32, keep : f32,",
    source: DROPOUT_SOURCE,
  };
  return runProgram(spec, [x, u], [{ type: "int32", data: [x.size] }, { type: "float32", data: [keep] }]);
}
